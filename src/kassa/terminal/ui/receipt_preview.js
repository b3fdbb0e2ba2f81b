// @ts-check
/**
 * The receipt on screen: the rows the printer prints (domain/receipt_layout.js), in a
 * monospace box exactly `columns` characters wide. No layout of its own, so the preview
 * cannot say what the paper does not.
 */
import { layoutReceipt } from "../domain/receipt_layout.js";
import { html } from "./html.js";

/** One printed line; large rows are twice as tall, as wide as any other (`GS !` double height). */
const LINE = 1.25;

/**
 * @param {{document: import("../domain/receipt_layout.js").ReceiptDocument, columns?: number}} props
 */
export function ReceiptPreview({ document, columns = 48 }) {
  const rows = layoutReceipt(document, columns);
  // The box's content is exactly `columns` ch: content-box, whatever app.css does to boxes.
  const box = {
    width: `${columns}ch`,
    boxSizing: "content-box",
    fontFamily: "ui-monospace, 'DejaVu Sans Mono', Menlo, monospace",
    whiteSpace: "pre",
    overflow: "hidden",
  };
  return html`<div class="receipt-preview" data-test="receipt-preview" data-columns=${columns} style=${box}>
    ${rows.map((row, index) => ("code" in row ? CodeRow(row, index) : TextRow(row, index)))}
  </div>`;
}

/**
 * @param {import("../domain/receipt_layout.js").TextRow} row
 * @param {number} index
 */
function TextRow(row, index) {
  const large = row.size === "large";
  const height = `${large ? 2 * LINE : LINE}em`;
  const style = { textAlign: row.align, fontWeight: row.bold ? "bold" : "normal", height, lineHeight: height };
  // Double height only: the glyphs are stretched upwards, never widened, so columns line up.
  const text = large
    ? html`<span style=${{ display: "inline-block", transform: "scaleY(2)" }}>${row.text}</span>`
    : row.text;
  return html`<div key=${index} class=${large ? "receipt-row receipt-large" : "receipt-row"} data-test="receipt-row" data-align=${row.align} data-bold=${String(row.bold)} data-size=${row.size} style=${style}>${text}</div>`;
}

/**
 * A code shows its value: what the barcode's text line or the QR code would read.
 * @param {import("../domain/receipt_layout.js").CodeRow} row
 * @param {number} index
 */
function CodeRow(row, index) {
  const style = {
    textAlign: "center",
    whiteSpace: "pre-wrap",
    overflowWrap: "anywhere",
    lineHeight: `${LINE}em`,
    margin: `${LINE / 2}em 0`,
  };
  return html`<div key=${index} class="receipt-code" data-test="receipt-code" data-format=${row.code} style=${style}>${row.value}</div>`;
}
