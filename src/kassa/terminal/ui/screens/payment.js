// @ts-check
/** Payment: total, remaining and change; payments; the amount pad, quick cash and one button per method; *Validate*. */
import { t } from "../../domain/i18n.js";
import * as cart from "../../domain/cart.js";
import { typedAmount } from "../../domain/money.js";
import { closePayment, pay, payKey, removePayment, validate } from "../../flows/payment.js";
import { Numpad, money, useKeyboardPad } from "../components.js";
import { html } from "../html.js";
import { saleState, useStore } from "../store.js";

export function PaymentScreen() {
  const state = useStore();
  const { methods, payBuffer, busy } = state;
  const { order, config } = saleState(state);
  const sum = cart.totals(order);
  const due = cart.amountDue(order);
  const changeDue = cart.change(order);
  const ready = cart.isFullyPaid(order);
  const problem = cart.paymentProblem(order);
  // What the cashier typed: null when it is not an amount (too many decimals), shown as such.
  const typed = payBuffer ? typedAmount(payBuffer, config.currency_places) : 0;
  const names = new Map(methods.map((/** @type {any} */ m) => [m.id, m.name]));
  const cash = methods.find((/** @type {any} */ m) => m.is_cash);
  useKeyboardPad((key) => (key === "OK" ? (ready ? validate() : undefined) : payKey(key)), { onEscape: closePayment });
  return html`<div class="payment">
    <section class="pay-summary">
      <button type="button" class="button back" data-test="back-to-order" onClick=${closePayment}>‹ ${t("Back to order")}</button>
      <dl class="pay-figures">
        <div><dt>${t("Total")}</dt><dd data-test="pay-total">${money(sum.gross)}</dd></div>
        <div class=${due ? "due" : "paid"}><dt>${due ? t("Remaining") : t("Paid")}</dt><dd data-test="pay-remaining">${money(due)}</dd></div>
        <div class=${changeDue ? "change" : "muted"}><dt>${t("Change")}</dt><dd data-test="pay-change">${money(changeDue)}</dd></div>
      </dl>
      <ul class="payments" data-test="payments">
        ${order.payments.map(
          (/** @type {any} */ p) => html`<li key=${p.id} data-test="payment">
            <span>${names.get(p.methodId) ?? `#${p.methodId}`}</span><b>${money(p.amount)}</b>
            <button type="button" class="icon-button" aria-label=${t("Remove payment")} onClick=${() => removePayment(p.id)}>✕</button>
          </li>`,
        )}
        ${order.payments.length === 0 ? html`<li class="muted">${t("No payment yet.")}</li>` : null}
      </ul>
      ${problem ? html`<div class="form-error" role="alert">${problem.code === "non_cash_overpay" ? t("Only cash can be more than the amount due.") : t("Too much paid out.")}</div>` : null}
      <button type="button" class="button primary validate" data-test="validate" disabled=${!ready || busy} onClick=${validate}>
        ${busy ? t("Saving…") : t("Validate")}
      </button>
    </section>
    <section class="pay-entry">
      <div class="amount-display" data-test="pay-amount" data-valid=${String(typed !== null)}>
        ${!payBuffer ? html`<span class="muted">${money(due)}</span>` : typed === null ? html`<span class="bad">${payBuffer}</span>` : money(typed)}
      </div>
      ${
        cash && due > 0
          ? html`<div class="quick-cash" data-test="quick-cash">
            ${cart
              .quickCashAmounts(due, config.currency_places)
              .map(
                (amount) =>
                  html`<button type="button" class="button quick" data-amount=${amount} onClick=${() => pay(cash, amount)}>${money(amount)}</button>`,
              )}
          </div>`
          : html`<div class="quick-cash"></div>`
      }
      <${Numpad} onKey=${payKey} ok=${null} test="pay-pad" />
      <div class="methods">
        ${methods.map(
          (/** @type {any} */ m) =>
            html`<button type="button" key=${m.id} class=${`button method${m.is_cash ? " cash" : ""}`} data-test="method" data-name=${m.name} disabled=${due === 0}
              onClick=${() => pay(m)}>${m.name}</button>`,
        )}
      </div>
    </section>
  </div>`;
}
