// @ts-check
/**
 * The receipt as a document: what the screen shows now and what the receipt printer will
 * print later (the hardware proxy renders the same document). Pure: amounts stay integers
 * in minor units, quantities in thousandths; formatting is the renderer's job.
 */
import { cashPaid, change, paid, pricedLines, taxes, totals } from "./cart.js";

/**
 * @typedef {object} ReceiptLine
 * @property {string} name
 * @property {number} quantity      thousandths
 * @property {string} unit
 * @property {boolean} weighed
 * @property {number} unitPrice
 * @property {number} discount      hundredths of a percent
 * @property {number} gross
 *
 * @typedef {object} Receipt
 * @property {string} uuid
 * @property {string} receiptNumber
 * @property {string} createdAt
 * @property {string} currency
 * @property {number} places
 * @property {{name: string, address: string, taxId: string, header: string, footer: string}} store
 * @property {string} terminal
 * @property {string} cashier
 * @property {ReceiptLine[]} lines
 * @property {{net: number, tax: number, gross: number}} totals
 * @property {{rate: number, priceIncludesTax: boolean, net: number, tax: number, gross: number}[]} taxes
 * @property {{name: string, isCash: boolean, amount: number}[]} payments
 * @property {number} paid
 * @property {number} cashPaid
 * @property {number} change
 * @property {string} note
 */

/**
 * @param {import("./cart.js").Order} order   the finished (stamped) order
 * @param {object} context
 * @param {any} context.config               the terminal configuration (TerminalOut)
 * @param {string} context.cashier           the cashier's name
 * @param {readonly {id: number, name?: string}[]} context.methods payment methods
 * @returns {Receipt}
 */
export function buildReceipt(order, { config, cashier, methods }) {
  const names = new Map(methods.map((method) => [method.id, method.name ?? `#${method.id}`]));
  return {
    uuid: order.uuid,
    receiptNumber: order.receiptNumber,
    createdAt: order.createdAt,
    currency: config.currency,
    places: order.places,
    store: {
      name: config.store_name ?? "",
      address: config.store_address ?? "",
      taxId: config.store_tax_id ?? "",
      header: config.receipt_header ?? "",
      footer: config.receipt_footer ?? "",
    },
    terminal: config.name ?? config.code ?? "",
    cashier,
    lines: pricedLines(order).map((line) => ({
      name: line.name,
      quantity: line.quantity,
      unit: line.unit,
      weighed: line.weighed,
      unitPrice: line.unitPrice,
      discount: line.discount,
      gross: line.gross,
    })),
    totals: totals(order),
    taxes: taxes(order),
    payments: order.payments.map((payment) => ({
      name: names.get(payment.methodId) ?? `#${payment.methodId}`,
      isCash: payment.isCash,
      amount: payment.amount,
    })),
    paid: paid(order),
    cashPaid: cashPaid(order),
    change: change(order),
    note: order.note,
  };
}
