// @ts-check
/** The receipt of the order just paid (or the last one): the paper, the change, *New order*, *Print again*. A scan starts the next order. */
import { faultText } from "../../domain/hardware.js";
import { formatDiscount, formatRate } from "../../domain/money.js";
import { handleScan } from "../../flows/order.js";
import { receiptDone, reprint } from "../../flows/payment.js";
import { money, quantity } from "../components.js";
import { html, useEffect, useRef } from "../html.js";
import { pushScanHandler } from "../scanner.js";
import { useStore } from "../store.js";

export function ReceiptScreen() {
  const { receipt } = useStore();
  const newOrderRef = useRef(/** @type {HTMLButtonElement | null} */ (null));
  useEffect(() => {
    const removeScan = pushScanHandler((code) => {
      // Scanning the next customer's first item starts the next order.
      receiptDone();
      handleScan(code);
    });
    return removeScan;
  }, []);
  if (!receipt) return null;
  return html`<div class="receipt-screen">
    <${ReceiptPaper} receipt=${receipt} />
    <aside class="receipt-actions">
      ${receipt.change ? html`<div class="change-banner" data-test="receipt-change"><span>Change</span><b>${money(receipt.change)}</b></div>` : html`<div class="change-banner done"><span>Paid</span><b>${money(receipt.totals.gross)}</b></div>`}
      <button type="button" ref=${newOrderRef} class="button primary big" data-test="new-order" onClick=${receiptDone}>New order</button>
      <${PrintStatus} uuid=${receipt.uuid} />
      <button type="button" class="button big" data-test="reprint" onClick=${() => reprint(receipt)}>Print again</button>
    </aside>
  </div>`;
}

/** @param {{uuid: string}} props */
function PrintStatus({ uuid }) {
  const { hw: h } = useStore();
  const print = h?.prints?.[uuid];
  if (!h?.configured || !print) return null;
  const text =
    print.state === "printed" ? "Receipt printed" :
    print.state === "printing" ? "Printing…" :
    print.state === "failed" ? `Receipt incomplete: ${faultText(print.fault)}. Print again.` :
    print.state === "error" ? "Receipt not printed." :
    `Receipt not printed: ${faultText(print.fault)}`;
  return html`<div class=${`print-status print-${print.state}`} role="status" data-test="print-status" data-state=${print.state} data-fault=${print.fault ?? ""}>${text}</div>`;
}

/** @param {{receipt: any}} props */
export function ReceiptPaper({ receipt }) {
  const r = receipt;
  return html`<article class="paper" data-test="receipt" data-receipt-number=${r.receiptNumber}>
    <header class="paper-head">
      <b>${r.store.name}</b>
      ${r.store.address.split("\n").map((/** @type {string} */ line) => html`<div>${line}</div>`)}
      ${r.store.taxId ? html`<div>VAT ${r.store.taxId}</div>` : null}
      ${r.store.header ? html`<div class="paper-note">${r.store.header}</div>` : null}
    </header>
    <div class="paper-meta"><span data-test="receipt-number">${r.receiptNumber}</span><span>${new Date(r.createdAt).toLocaleString()}</span></div>
    <div class="paper-meta"><span>${r.terminal}</span><span>${r.cashier}</span></div>
    <table class="paper-lines">
      ${r.lines.map(
        (/** @type {any} */ l) => html`<tr>
          <td>${l.name}<div class="paper-sub">${quantity(l.quantity, l.unit, l.weighed)} × ${money(l.unitPrice)}${l.discount ? ` −${formatDiscount(l.discount)} %` : ""}</div></td>
          <td class="num">${money(l.gross)}</td>
        </tr>`,
      )}
    </table>
    <div class="paper-total"><span>TOTAL</span><span data-test="receipt-total">${money(r.totals.gross)}</span></div>
    ${r.payments.map((/** @type {any} */ p) => html`<div class="paper-row"><span>${p.name}</span><span>${money(p.amount)}</span></div>`)}
    ${r.change ? html`<div class="paper-row"><span>Change</span><span>${money(r.change)}</span></div>` : null}
    <table class="paper-taxes">
      <tr><th>VAT</th><th class="num">Net</th><th class="num">Tax</th><th class="num">Gross</th></tr>
      ${r.taxes.map(
        (/** @type {any} */ g) => html`<tr><td>${formatRate(g.rate)} %${g.priceIncludesTax ? "" : " (excl.)"}</td><td class="num">${money(g.net)}</td><td class="num">${money(g.tax)}</td><td class="num">${money(g.gross)}</td></tr>`,
      )}
    </table>
    ${r.note ? html`<div class="paper-note">${r.note}</div>` : null}
    ${r.store.footer ? html`<footer class="paper-note">${r.store.footer}</footer>` : null}
  </article>`;
}
