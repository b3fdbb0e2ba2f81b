// @ts-check
/**
 * Refund: find the original (scan its receipt's code, or type its number; or a day and an
 * amount), pick lines and quantities up to what is left, a reason, *Refund*; or a return
 * without a receipt (a manager approves it). A scan here looks for a receipt.
 */
import { t } from "../../domain/i18n.js";
import { refundableLines } from "../../domain/refund.js";
import {
  closeRefund,
  confirmRefund,
  emptyRefund,
  openOriginal,
  reasonsOf,
  refundSearch,
  setPick,
  setRefundReason,
  startBlindReturn,
} from "../../flows/refund.js";
import { handleScan } from "../../flows/order.js";
import { dateTime, money, quantity } from "../components.js";
import { html, useEffect, useState } from "../html.js";
import { pushScanHandler } from "../scanner.js";
import { useStore } from "../store.js";

export function RefundScreen() {
  const { refund } = useStore();
  const state = refund ?? emptyRefund();
  const [text, setText] = useState(state.text);
  const [day, setDay] = useState(state.day);
  const [amount, setAmount] = useState(state.amount);
  useEffect(() => pushScanHandler((code) => handleScan(code)), []);
  const submit = (/** @type {Event} */ e) => {
    e.preventDefault();
    refundSearch({ text, day, amount });
  };
  const reasons = reasonsOf("REFUND");
  const blindReasons = reasonsOf("BLIND_RETURN");
  return html`<div class="refund" data-test="refund-screen">
    <section class="refund-find">
      <button type="button" class="button back" data-test="refund-back" onClick=${closeRefund}>‹ ${t("Back to order")}</button>
      <h2>${t("Refund")}</h2>
      <p class="muted">${t("Scan the code on the receipt, or type its number. Or search by day and amount.")}</p>
      <form class="refund-search" onSubmit=${submit}>
        <input type="search" placeholder=${t("Receipt number")} data-test="refund-number" value=${text}
          onInput=${(/** @type {any} */ e) => setText(e.target.value)} autocomplete="off" />
        <input type="date" data-test="refund-day" value=${day} onInput=${(/** @type {any} */ e) => setDay(e.target.value)} />
        <input type="text" inputmode="decimal" placeholder=${t("Amount")} data-test="refund-amount" value=${amount}
          onInput=${(/** @type {any} */ e) => setAmount(e.target.value)} />
        <button type="submit" class="button primary" data-test="refund-find">${t("Find")}</button>
      </form>
      ${state.message ? html`<div class="form-error" role="alert" data-test="refund-message">${state.message}</div>` : null}
      <ul class="refund-results" data-test="refund-results">
        ${state.results.map(
          (/** @type {any} */ order) =>
            html`<li key=${order.uuid}><button type="button" class="button" data-test="refund-result"
              onClick=${() => openOriginal({ uuid: order.uuid })}>${order.receiptNumber} · ${dateTime(order.createdAt)} · ${money(order.gross)}</button></li>`,
        )}
      </ul>
      <div class="blind-return">
        <h3>${t("No receipt")}</h3>
        ${(blindReasons.length ? blindReasons : [{ code: "", label: t("Return without receipt") }]).map(
          (/** @type {any} */ reason) =>
            html`<button type="button" class="button" data-test="blind-return" data-code=${reason.code}
              onClick=${() => startBlindReturn(reason.code)}>${reason.label}</button>`,
        )}
      </div>
    </section>
    ${state.original ? html`<${Original} state=${state} reasons=${reasons} />` : null}
  </div>`;
}

/** @param {{state: any, reasons: any[]}} props */
function Original({ state, reasons }) {
  const original = state.original;
  const lines = refundableLines(original, state.refunds);
  const picked = Object.keys(state.picks).length;
  return html`<section class="refund-original" data-test="refund-original" data-receipt=${original.receiptNumber}>
    <h3>${t("Receipt {number}", { number: original.receiptNumber })} <small class="muted">${dateTime(original.createdAt)}</small></h3>
    <ol class="lines">
      ${lines.map((entry) => {
        const line = entry.line;
        const chosen = state.picks[line.position] ?? 0;
        const step = line.unit === "pc" ? 1000 : entry.left;
        return html`<li key=${line.position} class=${`line${chosen ? " selected" : ""}`} data-test="refund-line" data-position=${line.position}>
          <div class="line-main">
            <span class="line-name">${line.name}</span>
            <span class="line-gross">${money(line.gross)}</span>
          </div>
          <div class="line-detail">
            ${quantity(line.quantity, line.unit)} × ${money(line.unitPrice)}
            ${entry.refunded ? html`<span class="badge" data-test="refunded-before">${t("{quantity} refunded", { quantity: quantity(entry.refunded, line.unit) })}</span>` : null}
          </div>
          <div class="refund-qty">
            <button type="button" class="button" data-test="refund-less" disabled=${!chosen}
              onClick=${() => setPick(line.position, Math.max(0, chosen - step))}>−</button>
            <b data-test="refund-picked">${quantity(chosen, line.unit)}</b> / <span data-test="refund-left">${quantity(entry.left, line.unit)}</span>
            <button type="button" class="button" data-test="refund-more" disabled=${chosen >= entry.left}
              onClick=${() => setPick(line.position, Math.min(entry.left, chosen + step))}>+</button>
          </div>
        </li>`;
      })}
    </ol>
    ${
      reasons.length
        ? html`<div class="refund-reasons" data-test="refund-reasons">
          ${reasons.map(
            (reason) =>
              html`<button type="button" class=${`chip${state.reason === reason.code ? " active" : ""}`} data-test="refund-reason" data-code=${reason.code}
                onClick=${() => setRefundReason(reason.code)}>${reason.label}</button>`,
          )}
        </div>`
        : null
    }
    <button type="button" class="button primary" data-test="refund-confirm" disabled=${!picked} onClick=${confirmRefund}>${t("Refund")}</button>
  </section>`;
}
