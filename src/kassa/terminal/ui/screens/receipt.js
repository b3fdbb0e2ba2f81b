// @ts-check
/** The receipt of the order just paid (or the last one): the paper, the change, *New order*, *Print again*. A scan starts the next order. */
import { t } from "../../domain/i18n.js";
import { faultText } from "../../domain/hardware.js";
import { receiptDocument } from "../../domain/receipt.js";
import { handleScan } from "../../flows/order.js";
import { receiptDone, reprint } from "../../flows/payment.js";
import { money } from "../components.js";
import { html, useEffect, useRef } from "../html.js";
import { ReceiptPreview } from "../receipt_preview.js";
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
      ${receipt.change ? html`<div class="change-banner" data-test="receipt-change"><span>${t("Change")}</span><b>${money(receipt.change)}</b></div>` : html`<div class="change-banner done"><span>${t("Paid")}</span><b>${money(receipt.totals.gross)}</b></div>`}
      <button type="button" ref=${newOrderRef} class="button primary big" data-test="new-order" onClick=${receiptDone}>${t("New order")}</button>
      <${PrintStatus} uuid=${receipt.uuid} />
      <button type="button" class="button big" data-test="reprint" onClick=${() => reprint(receipt)}>${t("Print again")}</button>
    </aside>
  </div>`;
}

/** @param {{uuid: string}} props */
function PrintStatus({ uuid }) {
  const { hw: h } = useStore();
  const print = h?.prints?.[uuid];
  if (!h?.configured || !print) return null;
  const text =
    print.state === "printed"
      ? t("Receipt printed")
      : print.state === "printing"
        ? t("Printing…")
        : print.state === "failed"
          ? t("Receipt incomplete: {fault}. Print again.", { fault: t(faultText(print.fault)) })
          : print.state === "error"
            ? t("Receipt not printed.")
            : t("Receipt not printed: {fault}", { fault: t(faultText(print.fault)) });
  return html`<div class=${`print-status print-${print.state}`} role="status" data-test="print-status" data-state=${print.state} data-fault=${print.fault ?? ""}>${text}</div>`;
}

/** The paper's width when the proxy has not said (docs/receipt.md). */
const DEFAULT_COLUMNS = 48;

/**
 * The receipt as the printer prints it: the same document (`receiptDocument`), laid out at
 * the printer's `columns`. After *Print again* it is the copy, with its mark, as on paper.
 * @param {{receipt: import("../../state/store.js").KeptReceipt}} props
 */
export function ReceiptPaper({ receipt }) {
  const { hw } = useStore();
  const print = /** @type {{copy?: boolean} | undefined} */ (hw?.prints?.[receipt.uuid]);
  const columns = hw?.status?.printer?.columns;
  const width = Number.isInteger(columns) && columns > 0 ? columns : DEFAULT_COLUMNS;
  const paper = receiptDocument(receipt, { copy: Boolean(print?.copy) });
  return html`<article class="receipt-paper" data-test="receipt" data-receipt-number=${receipt.receiptNumber} data-copy=${String(Boolean(print?.copy))}>
    <${ReceiptPreview} document=${paper} columns=${width} />
  </article>`;
}
