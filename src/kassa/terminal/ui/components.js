// @ts-check
/** Small building blocks shared by the screens: numpads, money, dialogs, messages. */
import { locale, shownAmount, t } from "../domain/i18n.js";
import { displayMoney, formatQuantity, formatQuantityShort } from "../domain/money.js";
import { getState } from "../state/store.js";
import { dismissToast, toast } from "../flows/messages.js";
import { html, useEffect, useRef, useState } from "./html.js";
import { pushScanHandler, pushTypedHandler } from "./scanner.js";
import { useStore } from "./store.js";

/**
 * An amount for display, in the terminal's currency.
 * @param {number} minor
 */
export function money(minor) {
  const config = getState().config;
  return displayMoney(minor, config?.currency ?? "EUR", locale(), config?.currency_places ?? 2);
}

/**
 * An amount given as its decimal text ("71.49", as the close and the server word it) for
 * display: by the till's locale in a translated till, unchanged in English.
 * @param {string | null | undefined} text
 */
export function amountText(text) {
  if (text === null || text === undefined) return "—";
  const config = getState().config;
  return shownAmount(text, config?.currency ?? "EUR", config?.currency_places ?? 2);
}

/**
 * A quantity for display: "3", "1.5", "0.455 kg".
 * @param {number} milli
 * @param {string} [unit]
 * @param {boolean} [weighed]
 */
export function quantity(milli, unit = "pc", weighed = false) {
  const plain = weighed ? formatQuantity(milli) : formatQuantityShort(milli);
  // The locale's decimal mark (German: a comma); English keeps the point.
  const text = locale() ? plain.replace(".", decimalMark()) : plain;
  return unit && unit !== "pc" ? `${text} ${unit}` : text;
}

/** The decimal mark of the till's locale. */
function decimalMark() {
  return new Intl.NumberFormat(locale()).formatToParts(0.5).find((part) => part.type === "decimal")?.value ?? ".";
}

/**
 * A day and time for display: by the locale in a translated till, else as before
 * ("2026-11-30 10:35", the ISO text's day and minute).
 * @param {string} iso
 */
export function dateTime(iso) {
  if (!locale()) return iso.slice(0, 16).replace("T", " ");
  return new Date(iso).toLocaleString(locale(), { dateStyle: "short", timeStyle: "short" });
}

/** @param {string | null} iso */
export function clock(iso) {
  if (!iso) return t("never");
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  const time = date.toLocaleTimeString(locale() ?? [], { hour: "2-digit", minute: "2-digit" });
  return sameDay ? time : `${date.toLocaleDateString(locale())} ${time}`;
}

/**
 * A touch numpad. Keys are buttons (no hover states needed); `onKey` gets "0".."9", ".",
 * "⌫", "C", "±" and "OK".
 * @param {{onKey: (key: string) => void, decimal?: boolean, sign?: boolean, ok?: string | null, extra?: any, test?: string}} props
 */
export function Numpad({ onKey, decimal = true, sign = false, ok = "OK", test = "numpad" }) {
  const keys = ["7", "8", "9", "4", "5", "6", "1", "2", "3", sign ? "±" : decimal ? "." : "C", "0", "⌫"];
  if (sign && decimal) keys.splice(9, 3, ".", "0", "⌫");
  return html`<div class="numpad" data-test=${test}>
    ${keys.map(
      (key) =>
        html`<button type="button" class=${`key${key === "⌫" ? " key-back" : ""}`} data-key=${key} onClick=${() => onKey(key)}>${key}</button>`,
    )}
    ${sign && decimal ? html`<button type="button" class="key" data-key="±" onClick=${() => onKey("±")}>±</button>` : null}
    ${sign && decimal ? html`<button type="button" class="key" data-key="C" onClick=${() => onKey("C")}>C</button>` : null}
    ${ok ? html`<button type="button" class="key key-ok" data-key="OK" onClick=${() => onKey("OK")}>${ok}</button>` : null}
  </div>`;
}

/**
 * Keys typed on a keyboard while no text field has the focus, for screens built on a
 * numpad: digits come through the scanner's "typed" channel (so a scan is never mistaken
 * for typing); the decimal key ("." or a German keypad's ","), which is not a scan
 * character, and Backspace, Enter and Escape come from keydown.
 * @param {(key: string) => void} onKey
 * @param {{active?: boolean, onEscape?: () => void}} [options]
 */
export function useKeyboardPad(onKey, { active = true, onEscape } = {}) {
  const handler = useRef(onKey);
  handler.current = onKey;
  const escapeHandler = useRef(onEscape);
  escapeHandler.current = onEscape;
  useEffect(() => {
    if (!active) return undefined;
    const removeTyped = pushTypedHandler((text) => {
      for (const char of text) if (/[0-9]/.test(char)) handler.current(char);
    });
    // A scan on a PIN or amount pad is never typed in; the cashier hears why it did nothing.
    const removeScan = pushScanHandler(() => toast(t("Scans are not taken on this screen."), "error"));
    /** @param {KeyboardEvent} event */
    const keydown = (event) => {
      if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return;
      const target = /** @type {HTMLElement} */ (event.target);
      if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) return;
      if (event.key === "Backspace") handler.current("⌫");
      // The decimal key: not a scan character, so the scan detector lets it through to
      // here (digits come held and handed back, above); "," from a German keypad.
      else if (event.key === "." || event.key === ",") handler.current(".");
      else if (event.key === "Enter") handler.current("OK");
      else if (event.key === "Escape") escapeHandler.current?.();
      else return;
      event.preventDefault();
    };
    window.addEventListener("keydown", keydown);
    return () => {
      removeTyped();
      removeScan();
      window.removeEventListener("keydown", keydown);
    };
  }, [active]);
}

/** The open dialogs' close handlers, topmost last: Escape closes the topmost only. */
/** @type {{current: (() => void) | undefined}[]} */
const openModals = [];

/** @param {KeyboardEvent} event */
function escapeKey(event) {
  // A screen or pad that handled Escape itself (useKeyboardPad) has prevented the default.
  if (event.key !== "Escape" || event.defaultPrevented || event.isComposing) return;
  const top = openModals.at(-1);
  if (!top?.current) return;
  event.preventDefault();
  top.current();
}

/**
 * A modal dialog over the screen; Escape closes it (when it can be closed).
 * @param {{title: string, children?: any, onClose?: () => void, wide?: boolean, test?: string}} props
 */
export function Modal({ title, children, onClose, wide = false, test = "dialog" }) {
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const entry = close;
    openModals.push(entry);
    // Capture: before a screen's own Escape (useKeyboardPad) under the dialog sees it.
    if (openModals.length === 1) window.addEventListener("keydown", escapeKey, true);
    return () => {
      openModals.splice(openModals.indexOf(entry), 1);
      if (!openModals.length) window.removeEventListener("keydown", escapeKey, true);
    };
  }, []);
  return html`<div class="backdrop" onClick=${(/** @type {MouseEvent} */ e) => e.target === e.currentTarget && onClose?.()}>
    <div class=${`modal${wide ? " modal-wide" : ""}`} role="dialog" aria-modal="true" aria-label=${title} data-test=${test}>
      <header class="modal-head">
        <h2>${title}</h2>
        ${onClose ? html`<button type="button" class="icon-button" aria-label=${t("Close")} onClick=${onClose}>✕</button>` : null}
      </header>
      <div class="modal-body">${children}</div>
    </div>
  </div>`;
}

/**
 * A PIN pad: dots, not digits; OK checks. Used by the login screen and the manager dialog.
 * @param {{onSubmit: (pin: string) => Promise<string | null>, disabledFor?: number, test?: string}} props
 *        onSubmit answers an error message, or null when accepted
 */
export function PinPad({ onSubmit, test = "pinpad" }) {
  const [pin, setPin] = useState("");
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [checking, setChecking] = useState(false);
  const pinRef = useRef(pin);
  pinRef.current = pin;
  const checkingRef = useRef(false);
  const onKey = async (/** @type {string} */ key) => {
    if (checkingRef.current) return;
    if (key === "OK") {
      if (!pinRef.current) return;
      checkingRef.current = true;
      setChecking(true);
      const message = await onSubmit(pinRef.current);
      checkingRef.current = false;
      setChecking(false);
      setError(message);
      setPin("");
      pinRef.current = "";
      return;
    }
    const next =
      key === "⌫"
        ? pinRef.current.slice(0, -1)
        : key === "C"
          ? ""
          : /^\d$/.test(key) && pinRef.current.length < 12
            ? pinRef.current + key
            : pinRef.current;
    pinRef.current = next;
    setPin(next);
    setError(null);
  };
  useKeyboardPad(onKey);
  return html`<div class="pinpad" data-test=${test}>
    <div class="pin-dots" aria-label="PIN" data-test="pin-dots">
      ${pin ? [...pin].map(() => html`<span class="dot"></span>`) : html`<span class="pin-hint">${t("Enter PIN")}</span>`}
    </div>
    <div class="pin-error" role="alert" data-test="pin-error">${checking ? t("Checking…") : (error ?? "")}</div>
    <${Numpad} onKey=${onKey} decimal=${false} ok="OK" test=${`${test}-keys`} />
  </div>`;
}

/** The messages at the bottom of the screen. */
export function Toasts() {
  const { toasts } = useStore();
  return html`<div class="toasts" aria-live="polite">
    ${toasts.map(
      (message) =>
        html`<div key=${message.id} class=${`toast toast-${message.kind}`} role=${message.kind === "error" ? "alert" : "status"} data-test="toast"
          onClick=${() => dismissToast(message.id)}>
          ${message.message}
        </div>`,
    )}
  </div>`;
}
