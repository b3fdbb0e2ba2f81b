// @ts-check
/**
 * Closing the cash session (docs/z-report.md): the close was started (no new sales); the
 * cash is counted by denomination or as a total and the other methods declared, each
 * attempt recorded; the variance is shown, and above its limit a manager approves it or
 * the cashier recounts; then an optional closing drop and the Z. In blind mode what was
 * expected is never rendered before the count: it is not in the page at all.
 */
import { t } from "../../domain/i18n.js";
import { formatAmount, typedAmount } from "../../domain/money.js";
import { amountText } from "../components.js";
import { denominationTotal, denominationsFor } from "../../domain/z.js";
import {
  approveVariance,
  closeSettings,
  closeWithZ,
  closeWithoutZ,
  countAttempt,
  expectedNow,
  leaveClose,
  reasonsFor,
  sessionInJournal,
} from "../../flows/close.js";
import { toast } from "../../flows/messages.js";
import { html, useEffect, useState } from "../html.js";
import { saleState, useStore } from "../store.js";

/**
 * @typedef {object} MethodEntry   what the cashier typed for one method
 * @property {"denominations" | "total"} mode
 * @property {Record<string, string>} counts   by denomination value (minor units)
 * @property {string} total
 */

export function CloseScreen() {
  const state = useStore();
  const { config, order } = saleState(state);
  const places = config.currency_places;
  const { blind } = closeSettings(config);
  const methods = config.payment_methods ?? [];
  const denominations = denominationsFor(config.currency);
  const [entries, setEntries] = useState(
    /** @type {Record<string, MethodEntry>} */ (
      Object.fromEntries(
        methods.map((m) => [
          m.name,
          { mode: m.is_cash && denominations.length ? "denominations" : "total", counts: {}, total: "" },
        ]),
      )
    ),
  );
  const [expected, setExpected] = useState(/** @type {any} */ (null));
  const [result, setResult] = useState(/** @type {any} */ (null));
  const [approval, setApproval] = useState(/** @type {import("../../domain/z.js").ZApproval | null} */ (null));
  const varianceReasons = reasonsFor("APPROVE_VARIANCE");
  const dropReasons = reasonsFor("CASH_DROP");
  const [approvalReason, setApprovalReason] = useState(varianceReasons[0]?.code ?? "");
  const [approvalNote, setApprovalNote] = useState("");
  const [drop, setDrop] = useState("");
  const [dropReason, setDropReason] = useState(dropReasons[0]?.code ?? "");
  const [busy, setBusy] = useState(false);
  const [inJournal, setInJournal] = useState(/** @type {boolean | null} */ (null));

  useEffect(() => {
    sessionInJournal().then((found) => {
      setInJournal(found);
      // Only a close that is not blind asks what is expected, so a blind page never has it.
      if (found && !blind) expectedNow().then(setExpected, (error) => toast(String(error), "error"));
    });
  }, [blind]);

  /** @param {string} name @returns {number | null} */
  const amountOf = (name) => {
    const entry = entries[name];
    if (entry.mode === "denominations") {
      const rows = denominations.map((value) => ({ value, count: Number(entry.counts[value] || 0) }));
      if (rows.some((row) => !Number.isSafeInteger(row.count) || row.count < 0)) return null;
      return denominationTotal(rows);
    }
    return entry.total.trim() === "" ? null : typedAmount(entry.total.trim(), places);
  };
  const allTyped = methods.every((m) => amountOf(m.name) !== null);
  /** @param {string} name @param {Partial<MethodEntry>} change */
  const edit = (name, change) => setEntries({ ...entries, [name]: { ...entries[name], ...change } });

  const record = async () => {
    if (!allTyped || busy) return;
    setBusy(true);
    if (inJournal === false) {
      // Opened elsewhere: no Z here; the count goes with the close.
      try {
        await closeWithoutZ(counts());
      } catch (error) {
        toast(t("The session was not closed: {error}", { error: String(error) }), "error");
        setBusy(false);
      }
      return;
    }
    try {
      setResult(await countAttempt(counts()));
      setApproval(null);
    } catch (error) {
      toast(t("The count was not recorded: {error}", { error: String(error) }), "error");
    } finally {
      setBusy(false);
    }
  };
  /** What was typed, as the count's payload takes it. */
  function counts() {
    return methods.map((m) => {
      const entry = entries[m.name];
      const amount = /** @type {number} */ (amountOf(m.name));
      const rows =
        entry.mode === "denominations"
          ? denominations.map((value) => ({ value, count: Number(entry.counts[value] || 0) }))
          : null;
      return { method: m.name, amount, denominations: rows };
    });
  }
  const recount = () => {
    setResult(null);
    setApproval(null);
  };
  const approve = async () => {
    setBusy(true);
    const granted = await approveVariance(result, approvalReason || null, approvalNote.trim());
    setBusy(false);
    if (granted) setApproval(granted);
  };
  const dropAmount = drop.trim() === "" ? 0 : typedAmount(drop.trim(), places);
  const canClose = result && (!result.variance.over || approval) && dropAmount !== null && !busy;
  const confirm = async () => {
    if (!canClose) return;
    setBusy(true);
    try {
      const z = await closeWithZ({
        approval,
        closingDrop: dropAmount ? { amount: /** @type {number} */ (dropAmount), reason: dropReason || "SAFE" } : null,
      });
      if (!z) setBusy(false);
    } catch (error) {
      toast(t("The session was not closed: {error}", { error: String(error) }), "error");
      setBusy(false);
    }
  };
  const openCount = state.openOrders.length + (order.lines.length ? 1 : 0);
  const money = (/** @type {number} */ minor) => formatAmount(minor, places);
  /** An amount for the eyes: by the locale in a translated till (data-value keeps `money`). */
  const shown = (/** @type {number} */ minor) => amountText(money(minor));

  return html`<div class="close-screen" data-test="close-screen" data-blind=${String(blind)}>
    <section class="card close-figures">
      <h1>${t("Close the cash session")}</h1>
      <p class="muted">${t("New sales are stopped on this till until the session is closed.")}${blind ? ` ${t("Blind count: count the cash and declare the other methods; the difference is shown after the count.")}` : ""}</p>
      ${openCount ? html`<p class="warn">${openCount > 1 ? t("{count} open orders stay open for the next session.", { count: openCount }) : t("1 open order stays open for the next session.")}</p>` : null}
      ${methods.map(
        (
          m,
        ) => html`<fieldset class="count-method" data-test="count-method" data-method=${m.name} disabled=${Boolean(result)}>
          <legend>${m.name}${m.is_cash ? "" : ` (${t("declare the batch total")})`}</legend>
          ${
            !blind && expected
              ? html`<p class="muted">${t("Expected:")} <span data-test="close-expected" data-method=${m.name}>${amountText(expected.methods.find((/** @type {any} */ row) => row.method === m.name)?.expected)}</span></p>`
              : null
          }
          ${
            m.is_cash && denominations.length
              ? html`<div class="row">
                  <button type="button" class=${`button${entries[m.name].mode === "denominations" ? " primary" : ""}`} data-test="mode-denominations" onClick=${() => edit(m.name, { mode: "denominations" })}>${t("By denomination")}</button>
                  <button type="button" class=${`button${entries[m.name].mode === "total" ? " primary" : ""}`} data-test="mode-total" onClick=${() => edit(m.name, { mode: "total" })}>${t("Total")}</button>
                </div>`
              : null
          }
          ${
            entries[m.name].mode === "denominations"
              ? html`<div class="denominations">${denominations.map(
                  (value) => html`<label class="denomination">${shown(value)} ×
                    <input type="number" min="0" step="1" inputmode="numeric" class="count-input" data-test="denomination" data-method=${m.name} data-value=${money(value)}
                      value=${entries[m.name].counts[value] ?? ""} onInput=${(/** @type {any} */ e) => edit(m.name, { counts: { ...entries[m.name].counts, [value]: e.target.value } })} />
                  </label>`,
                )}</div>`
              : html`<input class="big-input" inputmode="decimal" placeholder="0.00" data-test="count-total" data-method=${m.name}
                  value=${entries[m.name].total} onInput=${(/** @type {any} */ e) => edit(m.name, { total: e.target.value })} />`
          }
          <p>${t("Counted:")} <strong data-test="count-amount" data-method=${m.name}>${amountOf(m.name) === null ? "—" : shown(/** @type {number} */ (amountOf(m.name)))}</strong></p>
        </fieldset>`,
      )}
    </section>
    <section class="close-entry card">
      ${
        result
          ? html`<h2>${t("Count {number}", { number: result.counts.attempts })}</h2>
            <dl class="figures">
              ${result.methods
                .filter((/** @type {any} */ row) => row.counted !== null)
                .map(
                  (/** @type {any} */ row) =>
                    html`<div class=${row.over ? "bad" : row.difference === formatAmount(0, places) ? "good" : ""}><dt>${row.method}: ${amountText(row.counted)}</dt><dd data-test="close-difference" data-method=${row.method}>${amountText(row.difference)}</dd></div>`,
                )}
              <div class=${`strong ${result.variance.over ? "bad" : "good"}`}><dt>${t("Variance")}</dt><dd data-test="close-variance">${amountText(result.variance.amount)}</dd></div>
            </dl>
            ${
              result.variance.over
                ? html`<div class="variance-over" data-test="variance-over">
                  <p class="warn">${t("The variance is above the limit: recount, or a manager approves it with their PIN and a reason.")}</p>
                  ${
                    approval
                      ? html`<p data-test="variance-approved">${t("Approved by {name}.", { name: approval.approver.name })}</p>`
                      : html`
                        ${varianceReasons.length ? html`<select class="big-input" data-test="variance-reason" value=${approvalReason} onChange=${(/** @type {any} */ e) => setApprovalReason(e.target.value)}>${varianceReasons.map((r) => html`<option value=${r.code}>${r.label}</option>`)}</select>` : null}
                        <input class="big-input" maxlength="200" placeholder=${t("Note")} data-test="variance-note" value=${approvalNote} onInput=${(/** @type {any} */ e) => setApprovalNote(e.target.value)} />
                        <div class="row">
                          <button type="button" class="button big" data-test="recount" onClick=${recount}>${t("Recount")}</button>
                          <button type="button" class="button danger big" data-test="approve-variance" disabled=${busy} onClick=${approve}>${t("Manager approval")}</button>
                        </div>`
                  }
                </div>`
                : html`<div class="row"><button type="button" class="button big" data-test="recount" onClick=${recount}>${t("Recount")}</button></div>`
            }
            ${
              result.cash.method
                ? html`<label>${t("Closing drop to the safe (optional)")}
                  <input class="big-input" inputmode="decimal" placeholder="0.00" data-test="closing-drop" value=${drop} onInput=${(/** @type {any} */ e) => setDrop(e.target.value)} />
                </label>
                ${dropReasons.length > 1 ? html`<select class="big-input" value=${dropReason} onChange=${(/** @type {any} */ e) => setDropReason(e.target.value)}>${dropReasons.map((r) => html`<option value=${r.code}>${r.label}</option>`)}</select>` : null}`
                : null
            }
            <button type="button" class="button primary big" data-test="confirm-close" disabled=${!canClose} onClick=${confirm}>${t("Close and print the Z")}</button>`
          : html`<p>${t("Count the cash in the drawer, declare the card terminal's batch, then record the count.")}</p>
            <div class="row">
              <button type="button" class="button big" data-test="leave-close" disabled=${busy} onClick=${() => leaveClose()}>${t("Back to selling")}</button>
              <button type="button" class="button primary big" data-test="record-count" disabled=${!allTyped || busy || inJournal === null} onClick=${record}>${inJournal === false ? t("Record the count and close") : t("Record the count")}</button>
            </div>`
      }
      ${inJournal === false ? html`<p class="warn" data-test="close-no-z">${t("This till's journal does not hold this session's opening (it was opened elsewhere or before this browser's data was lost): the count is recorded and the session closed without a Z here; the server's figures stand.")}</p>` : null}
    </section>
  </div>`;
}
