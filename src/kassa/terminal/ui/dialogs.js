// @ts-check
/** The dialogs over the screens: weight, manager approval, note, devices, open drawer, confirm. */
import { t } from "../domain/i18n.js";
import * as cart from "../domain/cart.js";
import { faultText } from "../domain/hardware.js";
import { parseQuantity, parseTyped } from "../domain/money.js";
import { editUnsigned } from "../domain/numpad.js";
import { setState } from "../state/store.js";
import { printOwedReceipts, pairDevices, requestDrawer } from "../flows/devices.js";
import { toast } from "../flows/messages.js";
import { addToOrder, setNote } from "../flows/order.js";
import { verifyCashierPin } from "../flows/session.js";
import { approversFor } from "../flows/approval.js";
import { Modal, Numpad, PinPad, useKeyboardPad } from "./components.js";
import { html, useEffect, useRef, useState } from "./html.js";
import { pushScanHandler } from "./scanner.js";
import { saleState, useStore } from "./store.js";

/** @param {{dialog: any}} props */
export function Dialog({ dialog }) {
  const close = () => setState({ dialog: null });
  useEffect(() => {
    // While a dialog is open a scan is not applied to the order behind it.
    const removeScan = pushScanHandler(() => toast(t("Close the dialog first."), "error"));
    return removeScan;
  }, []);
  if (dialog.kind === "weight") return html`<${WeightDialog} product=${dialog.product} onClose=${close} />`;
  if (dialog.kind === "manager") {
    const cancel = () => {
      close();
      dialog.onCancel?.();
    };
    return html`<${ManagerDialog} dialog=${dialog} onClose=${cancel} />`;
  }
  if (dialog.kind === "note") return html`<${NoteDialog} onClose=${close} />`;
  if (dialog.kind === "devices") return html`<${DevicesDialog} onClose=${close} />`;
  if (dialog.kind === "drawer") return html`<${DrawerDialog} onClose=${close} />`;
  if (dialog.kind === "confirm") {
    return html`<${Modal} title=${dialog.title} onClose=${close} test="confirm-dialog">
      <p>${dialog.body}</p>
      <div class="row">
        <button type="button" class="button big" onClick=${close}>${t("Cancel")}</button>
        <button type="button" class="button danger big" data-test="confirm" onClick=${() => {
          close();
          dialog.onConfirm();
        }}>${dialog.confirm}</button>
      </div>
    <//>`;
  }
  return null;
}

/** @param {{product: any, onClose: () => void}} props */
function WeightDialog({ product, onClose }) {
  const [buffer, setBuffer] = useState("");
  const submit = () => {
    // Digits with at most three decimals ("0." too), read exactly, never through a float.
    const milli = /^\d+(\.\d{0,3})?$/.test(buffer) ? parseTyped(buffer, parseQuantity) : null;
    if (milli === null || milli <= 0) {
      toast(t("Enter the weight in kg, e.g. 0.455."), "error");
      return;
    }
    onClose();
    addToOrder(product, { quantity: milli });
  };
  const onKey = (/** @type {string} */ key) => (key === "OK" ? submit() : setBuffer((b) => editUnsigned(b, key)));
  useKeyboardPad(onKey, { onEscape: onClose });
  return html`<${Modal} title=${t("Weight of {name}", { name: product.name })} onClose=${onClose} test="weight-dialog">
    <div class="amount-display">${buffer || "0"} ${product.unit}</div>
    <${Numpad} onKey=${onKey} ok=${t("Add")} test="weight-pad" />
  <//>`;
}

/**
 * An approval: the people who may approve this action tap their name and type their PIN
 * (checked offline, the login's lockout shared: five wrong PINs lock that person).
 * @param {{dialog: any, onClose: () => void}} props
 */
function ManagerDialog({ dialog, onClose }) {
  useStore();
  const approvers = approversFor(dialog.action, dialog.value ?? null, dialog.asker);
  const [approver, setApprover] = useState(approvers.length === 1 ? approvers[0] : null);
  const submit = async (/** @type {string} */ pin) => {
    if (!approver) return t("Choose who approves first.");
    const submittedAt = performance.now();
    const result = await verifyCashierPin(approver, pin);
    if (result.ok) {
      setState({ dialog: null });
      dialog.onApproved(approver, submittedAt);
      return null;
    }
    return result.lockedFor
      ? t("Locked for {seconds} s.", { seconds: Math.ceil(result.lockedFor / 1000) })
      : t("Wrong PIN.");
  };
  return html`<${Modal} title=${t("Approval")} onClose=${onClose} test="manager-dialog">
    <p>${dialog.reason}</p>
    ${approvers.length === 0 ? html`<p class="form-error">${t("No one at this till may approve this.")}</p>` : null}
    ${
      approvers.length > 1
        ? html`<div class="people small">${approvers.map(
            (/** @type {any} */ m) =>
              html`<button type="button" class=${`person${approver?.id === m.id ? " selected" : ""}`} data-test="approver" onClick=${() => setApprover(m)}>${m.name}</button>`,
          )}</div>`
        : null
    }
    ${approver ? html`<p class="muted">${t("{name}, enter your PIN.", { name: approver.name })}</p><${PinPad} key=${approver.id} onSubmit=${submit} test="manager-pin" />` : null}
  <//>`;
}

/** @param {{onClose: () => void}} props */
function NoteDialog({ onClose }) {
  const { order } = saleState(useStore());
  const [note, editNote] = useState(order.note);
  const ref = useRef(/** @type {HTMLTextAreaElement | null} */ (null));
  useEffect(() => ref.current?.focus(), []);
  return html`<${Modal} title=${t("Order note")} onClose=${onClose} test="note-dialog">
    <textarea ref=${ref} class="note-input" maxlength=${cart.LIMITS.noteLength} rows="4" value=${note} data-test="note-input"
      onInput=${(/** @type {any} */ e) => editNote(e.target.value)}></textarea>
    <div class="row">
      <button type="button" class="button big" onClick=${onClose}>${t("Cancel")}</button>
      <button type="button" class="button primary big" data-test="save-note" onClick=${() => {
        setNote(note);
        onClose();
      }}>${t("Save note")}</button>
    </div>
  <//>`;
}

// ---------------------------------------------------------------- devices

/** @param {{onClose: () => void}} props */
function DevicesDialog({ onClose }) {
  const { hw: h, phase } = useStore();
  const [code, setCode] = useState("");
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [busy, setBusy] = useState(false);
  const status = h?.status;
  const printer = status?.printer;
  const row = (/** @type {string} */ name, /** @type {string} */ value, /** @type {string} */ test) =>
    html`<tr><th>${name}</th><td data-test=${test}>${value}</td></tr>`;
  const pair = async (/** @type {Event} */ e) => {
    e.preventDefault();
    setBusy(true);
    const message = await pairDevices(code);
    setBusy(false);
    setError(message);
    if (!message) setCode("");
  };
  return html`<${Modal} title=${t("Devices")} onClose=${onClose} test="devices-dialog">
    <table class="devices">
      ${row(t("Hardware proxy"), `${h?.url || t("none set up")} · ${h?.reachable ? t("reachable") : h?.reachable === false ? t("not reachable") : "…"}`, "proxy-state")}
      ${row(t("Printer"), printer ? (printer.configured === false ? t("not set up") : printer.fault ? t(faultText(printer.fault)) : printer.paper === "near_end" ? t("ready, paper low") : printer.state === "online" ? t("ready") : deviceState(printer.state)) : t("unknown"), "printer-state")}
      ${row(t("Drawer"), deviceState(status?.drawer?.state), "drawer-state")}
      ${row(t("Customer display"), status?.display ? (status.display.configured ? deviceState(status.display.state) : t("not set up")) : t("unknown"), "display-state")}
      ${row(t("Scanner"), status?.scanner ? (status.scanner.configured ? deviceState(status.scanner.state) : t("not set up")) : t("unknown"), "scanner-state")}
      ${row(t("Receipts owed"), String(h?.owed ?? 0), "owed-count")}
    </table>
    ${
      h?.configured && !h.paired
        ? html`<form class="pair-proxy" onSubmit=${pair}>
          <p>${t("Enter the pairing code shown on the hardware proxy's page")} (<a href=${h.url} target="_blank" rel="noopener">${h.url}</a>).</p>
          <input class="big-input" autocomplete="off" autocapitalize="characters" spellcheck="false" placeholder="ABCD-2345"
            value=${code} onInput=${(/** @type {any} */ e) => setCode(e.target.value)} data-test="proxy-code" />
          <div class="form-error" role="alert" data-test="proxy-pair-error">${error ?? ""}</div>
          <button type="submit" class="button primary big" disabled=${busy || code.trim().length < 4} data-test="proxy-pair">${busy ? t("Pairing…") : t("Pair devices")}</button>
        </form>`
        : null
    }
    <div class="row">
      ${h?.owed ? html`<button type="button" class="button big" data-test="print-owed" onClick=${() => printOwedReceipts()}>${t("Print owed receipts")}</button>` : null}
      ${h?.paired && phase === "sale" ? html`<button type="button" class="button big" data-test="open-drawer" onClick=${() => setState({ dialog: { kind: "drawer" } })}>${t("Open drawer")}</button>` : null}
      <button type="button" class="button big" onClick=${onClose}>${t("Close")}</button>
    </div>
  <//>`;
}

/**
 * A device's state word from the proxy (online, offline, open, closed…), translated when the
 * catalog knows it, else as the proxy said it.
 * @param {string | null | undefined} state
 */
function deviceState(state) {
  const words = { online: t("online"), offline: t("offline"), open: t("open"), closed: t("closed"), error: t("error") };
  return (state && /** @type {Record<string, string>} */ (words)[state]) || state || t("unknown");
}

/** The reasons when the back office lists none: their English text is the journalled code. */
const DRAWER_REASONS = () => [
  { code: "Change for a customer", label: t("Change for a customer") },
  { code: "Cash count", label: t("Cash count") },
  { code: "Cash taken to the safe", label: t("Cash taken to the safe") },
  { code: "Wrong change given", label: t("Wrong change given") },
];

/**
 * The drawer opened without a sale (NO_SALE), for a reason from the back office's list
 * (its code is journalled); the cashier's right, or an approval.
 * @param {{onClose: () => void}} props
 */
function DrawerDialog({ onClose }) {
  const { config } = useStore();
  const listed = (config?.reasons ?? []).filter((/** @type {any} */ r) => r.action === "NO_SALE");
  const reasons = listed.length
    ? listed.map((/** @type {any} */ r) => ({ code: r.code, label: r.label }))
    : DRAWER_REASONS();
  const [reason, setReason] = useState(/** @type {{code: string, label: string} | null} */ (null));
  const [note, setNote] = useState("");
  const open = () => reason && requestDrawer(reason, note);
  return html`<${Modal} title=${t("Open drawer")} onClose=${onClose} test="drawer-dialog">
    <p>${t("Why is the drawer opened? It is logged.")}</p>
    <div class="people small">
      ${reasons.map(
        (r) =>
          html`<button type="button" class=${`person${reason?.code === r.code ? " selected" : ""}`} data-test="drawer-reason" onClick=${() => setReason(r)}>${r.label}</button>`,
      )}
    </div>
    <input class="big-input" maxlength="150" placeholder=${t("Note (optional)")} value=${note} data-test="drawer-reason-text"
      onInput=${(/** @type {any} */ e) => setNote(e.target.value)} />
    <div class="row">
      <button type="button" class="button big" onClick=${onClose}>${t("Cancel")}</button>
      <button type="button" class="button danger big" disabled=${!reason} data-test="drawer-open" onClick=${open}>${t("Open drawer")}</button>
    </div>
  <//>`;
}
