// @ts-check
/**
 * The till's journal (docs/journal.md): the entry object of every event type, its payload
 * with money and quantities written as printed, the perpetual grand totals, the clock-jump
 * rule, the key id, and the sealed wire form `{seq, canonical, hash, sig}`. Pure: the
 * signing key and SHA-256 come in as functions (WebCrypto in the terminal, node's in the
 * tests), and time comes in as a string.
 *
 * data/journal.js appends what this builds, in the same IndexedDB transaction as what it
 * records; sync/outbox.js sends it to the server with the orders.
 */
import { canonicalBytes, canonicalize, chainHash, GENESIS_HASH } from "./jcs.js";
import { formatAmount, formatDiscount, formatQuantity, formatRate } from "./money.js";
import { change, linePriced, pricedLines, totals } from "./cart.js";

/** The entry format (`v`) and every payload's version (`payload.v`). */
export const ENTRY_VERSION = 1;
export const PAYLOAD_VERSION = 1;

/**
 * The terminal's software version, as journalled by SOFTWARE_VERSION and printed on
 * receipts. One constant: the package's version (pyproject.toml; a node test ties them).
 */
export const SOFTWARE = "Kassa 0.1.0";

/** How far the clock may go back since the last entry before a CLOCK_JUMP is journalled. */
export const CLOCK_JUMP_MS = 2 * 60_000;

/** Entries per `orders/sync` request (docs/journal.md, Transport). */
export const MAX_JOURNAL_BATCH = 500;

export const TYPES = Object.freeze([
  "JOURNAL_INIT",
  "JOURNAL_RESUME",
  "SOFTWARE_VERSION",
  "LOGIN",
  "LOGOUT",
  "SESSION_OPEN",
  "SALE",
  "REFUND",
  "DUPLICATE",
  "DRAWER_OPEN",
  "ORDER_ABANDONED",
  "LINE_VOID",
  "OFFLINE_START",
  "OFFLINE_END",
  "CLOCK_JUMP",
  "INTEGRITY_FAILURE",
  "CASH_MOVE",
  "CASH_COUNT",
  "X_REPORT",
  "Z_CLOSE",
  "PERIOD_CLOSE",
  "OVERRIDE",
]);

/**
 * @typedef {{id: number, name: string} | null} EntryCashier
 *
 * @typedef {object} Entry  the signed object (its canonical form is what is hashed)
 * @property {number} v
 * @property {string} terminal   the terminal's code
 * @property {number} seq        gapless from 1
 * @property {string} type
 * @property {string} at         ISO 8601 with the UTC offset and milliseconds
 * @property {EntryCashier} cashier
 * @property {string} key        the signing key's id (keyId)
 * @property {string} prev_hash
 * @property {Record<string, unknown>} payload  with `v`
 *
 * @typedef {object} WireEntry   how an entry travels and is stored (docs/journal.md, Wire form)
 * @property {number} seq
 * @property {string} canonical  the canonical JSON text, never rebuilt
 * @property {string} hash       64 lowercase hex
 * @property {string} sig        ECDSA P-256 / SHA-256, P1363 r‖s, base64url without padding
 *
 * @typedef {object} Head        where a chain stands after its last entry
 * @property {number} seq        0 for an empty chain
 * @property {string} hash       GENESIS_HASH for an empty chain
 * @property {number} gt         grand total (minor units, signed sum of the sales' gross)
 * @property {number} gtAbs      grand total of absolute values (minor units)
 * @property {string | null} at  the last entry's `at`
 * @property {string | null} software  the last SOFTWARE_VERSION (or JOURNAL_INIT) recorded
 *
 * @typedef {object} SaleLinePayload
 * @property {string} name
 * @property {string} ref
 * @property {string} qty
 * @property {string} unit
 * @property {string} unit_price
 * @property {string} discount
 * @property {string} tax_rate
 * @property {string} net
 * @property {string} tax
 * @property {string} amount    the line's gross, the amount printed on the line
 */

/** The types whose `totals.gross` the perpetual grand totals add up: a refund is negative. */
export const GRAND_TOTAL_TYPES = Object.freeze(["SALE", "REFUND"]);

/** The head of a chain with no entry. @returns {Head} */
export function emptyHead() {
  return { seq: 0, hash: GENESIS_HASH, gt: 0, gtAbs: 0, at: null, software: null };
}

/**
 * The entry object of an event (not yet sealed).
 * @param {object} fields
 * @param {string} fields.terminal
 * @param {number} fields.seq
 * @param {string} fields.type       one of TYPES
 * @param {string} fields.at
 * @param {EntryCashier} [fields.cashier]
 * @param {string} fields.key
 * @param {string} fields.prevHash
 * @param {Record<string, unknown>} [fields.payload]  without `v`
 * @returns {Entry}
 */
export function buildEntry({ terminal, seq, type, at, cashier = null, key, prevHash, payload = {} }) {
  if (!TYPES.includes(type)) throw new TypeError(`unknown journal entry type ${type}`);
  if (!Number.isSafeInteger(seq) || seq < 1) throw new TypeError(`seq must be a positive integer, not ${seq}`);
  return {
    v: ENTRY_VERSION,
    terminal,
    seq,
    type,
    at,
    cashier: cashier ? { id: cashier.id, name: cashier.name } : null,
    key,
    prev_hash: prevHash,
    payload: { v: PAYLOAD_VERSION, ...payload },
  };
}

/**
 * Seal an entry: its canonical text, chain hash and signature, in the wire form.
 * @param {Entry} entry
 * @param {(bytes: Uint8Array<ArrayBuffer>) => Promise<ArrayBuffer | Uint8Array>} sign  ECDSA P-256 SHA-256 (P1363)
 * @returns {Promise<WireEntry>}
 */
export async function sealEntry(entry, sign) {
  const canonical = canonicalize(entry);
  const bytes = /** @type {Uint8Array<ArrayBuffer>} */ (canonicalBytes(entry));
  const hash = await chainHash(entry.prev_hash, bytes);
  const sig = base64url(new Uint8Array(await sign(bytes)));
  return { seq: entry.seq, canonical, hash, sig };
}

/**
 * Read a wire entry as docs/journal.md says a reader must: parse `canonical`, canonicalise
 * it again and refuse it unless that gives the same text; the hash must chain from
 * `prevHash` (when given) and match.
 * @param {WireEntry} wire
 * @param {string} [prevHash]  the previous entry's hash
 * @returns {Promise<Entry>}
 */
export async function readEntry(wire, prevHash) {
  const entry = JSON.parse(wire.canonical);
  if (canonicalize(entry) !== wire.canonical) throw new Error(`entry ${wire.seq}: not in canonical form`);
  if (entry.seq !== wire.seq) throw new Error(`entry ${wire.seq}: its canonical text says seq ${entry.seq}`);
  if (prevHash !== undefined && entry.prev_hash !== prevHash)
    throw new Error(`entry ${wire.seq}: prev_hash does not chain`);
  if ((await chainHash(entry.prev_hash, canonicalBytes(entry))) !== wire.hash)
    throw new Error(`entry ${wire.seq}: wrong hash`);
  return entry;
}

/**
 * The head after an entry.
 * @param {Head} head   before it
 * @param {Entry} entry
 * @param {WireEntry} wire
 * @param {{gt: number, gtAbs: number}} [grand]  a SALE's grand totals after it (salePayload)
 * @returns {Head}
 */
export function headAfter(head, entry, wire, grand) {
  /** @type {Head} */
  const next = { ...head, seq: wire.seq, hash: wire.hash, at: entry.at };
  if (GRAND_TOTAL_TYPES.includes(entry.type)) {
    if (!grand) throw new TypeError(`a ${entry.type} moves the grand totals: pass them`);
    next.gt = grand.gt;
    next.gtAbs = grand.gtAbs;
  }
  if (entry.type === "SOFTWARE_VERSION" || entry.type === "JOURNAL_INIT")
    next.software = String(entry.payload.software);
  return next;
}

/**
 * The perpetual grand totals after a sale of `gross` (minor units, negative for a refund).
 * @param {{gt: number, gtAbs: number}} head
 * @param {number} gross
 * @returns {{gt: number, gtAbs: number}}
 */
export function grandTotalsAfter(head, gross) {
  const gt = head.gt + gross;
  const gtAbs = head.gtAbs + Math.abs(gross);
  if (!Number.isSafeInteger(gt) || !Number.isSafeInteger(gtAbs))
    throw new RangeError("grand totals beyond a safe integer");
  return { gt, gtAbs };
}

/**
 * Whether the clock went back more than CLOCK_JUMP_MS since the last entry.
 * @param {string | null} lastAt   the last entry's `at`
 * @param {string} now             the new entry's `at`
 */
export function clockJumped(lastAt, now) {
  if (!lastAt) return false;
  const last = Date.parse(lastAt);
  const current = Date.parse(now);
  if (Number.isNaN(last) || Number.isNaN(current)) return false;
  return last - current > CLOCK_JUMP_MS;
}

// ---------------------------------------------------------------- payloads

/** @param {string} software @param {string} publicKey SPKI DER, base64 */
export function initPayload(software, publicKey) {
  return { software, key: publicKey };
}

/**
 * @param {string} publicKey  the new key's SPKI DER, base64
 * @param {"mirror" | "server"} source
 * @param {number} afterSeq   the last entry recovered
 */
export function resumePayload(publicKey, source, afterSeq) {
  return { key: publicKey, source, after_seq: afterSeq };
}

/** @param {string} software */
export function softwarePayload(software) {
  return { software };
}

/**
 * @param {string} session   uuid
 * @param {number} openingFloat  minor units
 * @param {number} places
 */
export function sessionOpenPayload(session, openingFloat, places) {
  return { session, opening_float: formatAmount(openingFloat, places) };
}

/**
 * A line as SALE, ORDER_ABANDONED and LINE_VOID write it: every figure as printed.
 * @param {import("./cart.js").PricedLine} line
 * @param {number} places
 * @param {(productId: number) => string} [refOf]  the product's reference ("" when none)
 * @returns {SaleLinePayload}
 */
export function linePayload(line, places, refOf = () => "") {
  return {
    name: line.name,
    ref: refOf(line.productId) ?? "",
    qty: formatQuantity(line.quantity),
    unit: line.unit,
    unit_price: formatAmount(line.unitPrice, places),
    discount: formatDiscount(line.discount),
    tax_rate: formatRate(line.rate),
    net: formatAmount(line.net, places),
    tax: formatAmount(line.tax, places),
    amount: formatAmount(line.gross, places),
  };
}

/**
 * The SALE payload of a finished (stamped) order, and the grand totals after it.
 * @param {import("./cart.js").Order} order   stamped: its receipt number is set
 * @param {object} context
 * @param {string} context.session            the cash session's uuid
 * @param {{gt: number, gtAbs: number}} context.head  grand totals before this sale
 * @param {ReadonlyMap<number, string> | ((methodId: number) => string)} context.methods payment method names by id
 * @param {(productId: number) => string} [context.refOf]
 * @returns {{payload: Record<string, unknown>, gt: number, gtAbs: number}}
 */
export function salePayload(order, { session, head, methods, refOf }) {
  const places = order.places;
  const money = (/** @type {number} */ minor) => formatAmount(minor, places);
  const sum = totals(order);
  const { gt, gtAbs } = grandTotalsAfter(head, sum.gross);
  const methodName =
    typeof methods === "function" ? methods : (/** @type {number} */ id) => methods.get(id) ?? `#${id}`;
  return {
    payload: {
      order: order.uuid,
      receipt_no: order.receiptNumber,
      session,
      lines: pricedLines(order).map((line) => linePayload(line, places, refOf)),
      totals: { net: money(sum.net), tax: money(sum.tax), gross: money(sum.gross) },
      payments: order.payments.map((payment) => ({
        method: methodName(payment.methodId),
        amount: money(payment.amount),
      })),
      change: money(change(order)),
      gt_after: money(gt),
      gt_abs_after: money(gtAbs),
    },
    gt,
    gtAbs,
  };
}

/**
 * The REFUND payload of a finished ticket with returned lines (a refund, a blind return or
 * an exchange): as SALE, plus `kind`, `original` and `approval`; each returned line carries
 * `original_line` (null when blind) and `reason`. docs/journal.md, docs/refunds.md.
 * @param {import("./cart.js").Order} order   stamped
 * @param {Parameters<typeof salePayload>[1]} context
 * @returns {{payload: Record<string, unknown>, gt: number, gtAbs: number}}
 */
export function refundPayload(order, context) {
  const sale = salePayload(order, context);
  const kind = order.lines.some((line) => line.quantity > 0) ? "exchange" : "refund";
  const lines = /** @type {Record<string, unknown>[]} */ (sale.payload.lines).map((line, index) => {
    const source = pricedLines(order)[index];
    if (source.quantity > 0) return line;
    return { ...line, original_line: source.returned?.originalLine ?? null, reason: source.reason ?? "" };
  });
  const original = order.original
    ? { order: order.original.uuid, receipt_no: order.original.receiptNumber, at: order.original.at }
    : null;
  return {
    payload: { ...sale.payload, kind, original, approval: order.approval ?? null, lines },
    gt: sale.gt,
    gtAbs: sale.gtAbs,
  };
}

/** @param {string} order uuid @param {string} receiptNumber */
export function duplicatePayload(order, receiptNumber) {
  return { order, receipt_no: receiptNumber };
}

/** @param {string} reason @param {number | null} approvedBy the manager's cashier id */
export function drawerPayload(reason, approvedBy) {
  return { reason, approved_by: approvedBy };
}

/**
 * @param {import("./cart.js").Order} order  discarded with its lines
 * @param {(productId: number) => string} [refOf]
 */
export function abandonedPayload(order, refOf) {
  return {
    order: order.uuid,
    lines: pricedLines(order).map((line) => linePayload(line, order.places, refOf)),
    total: formatAmount(totals(order).gross, order.places),
  };
}

/**
 * A line removed (the whole line) or decreased (the part taken away: `qty` and the amounts
 * of the quantity that went).
 * @param {import("./cart.js").Order} order   the order before the change
 * @param {import("./cart.js").Line} line     the line as voided
 * @param {(productId: number) => string} [refOf]
 */
export function lineVoidPayload(order, line, refOf) {
  return { order: order.uuid, line: linePayload(linePriced(line, order.places), order.places, refOf) };
}

/**
 * What went away from an order between two versions of it, as lines to journal: each line
 * voided by the change (removed, or the voided part a decrease added), with the quantity
 * that went. Other changes (price, discount, a new line) are not voids. Lines are matched
 * by their id.
 * @param {import("./cart.js").Order} before
 * @param {import("./cart.js").Order} after
 * @returns {import("./cart.js").Line[]}
 */
export function voidedLines(before, after) {
  const was = new Map(before.lines.map((line) => [line.id, line]));
  return after.lines.filter((line) => line.voided && !was.get(line.id)?.voided);
}

/**
 * A restricted action approved by another person (docs/permissions.md).
 * @param {object} approval  flows/approval.js's Approval
 * @param {string} approval.id
 * @param {string} approval.action
 * @param {import("./permissions.js").Subject} approval.subject
 * @param {{id: number, name: string}} approval.asked_by
 * @param {{id: number, name: string}} approval.approver
 * @param {{code: string, revision: number}} approval.approver_role
 * @param {string | null} approval.reason
 * @param {string} approval.note
 * @param {string | null} [approval.before]
 * @param {string | null} [approval.after]
 */
export function overridePayload(approval) {
  /** @type {Record<string, string>} */
  const subject = { kind: approval.subject.kind };
  for (const key of /** @type {const} */ (["order", "line", "session"])) {
    const value = approval.subject[key];
    if (value !== undefined && value !== null) subject[key] = String(value);
  }
  return {
    approval: approval.id,
    action: approval.action,
    subject,
    asked_by: { id: approval.asked_by.id, name: approval.asked_by.name },
    approved_by: { id: approval.approver.id, name: approval.approver.name },
    approver_role: { code: approval.approver_role.code, revision: approval.approver_role.revision },
    reason: approval.reason ?? null,
    note: approval.note ?? "",
    before: approval.before ?? null,
    after: approval.after ?? null,
  };
}

/** @param {number} offlineMs */
export function offlineEndPayload(offlineMs) {
  return { offline_ms: Math.max(0, Math.round(offlineMs)) };
}

/** @param {string} from the last entry's `at` @param {string} to now */
export function clockJumpPayload(from, to) {
  return { from, to };
}

/**
 * @param {string} reason    `storage_lost`, …
 * @param {number} afterSeq  the last entry known
 * @param {string} detail
 */
export function integrityFailurePayload(reason, afterSeq, detail) {
  return { reason, after_seq: afterSeq, detail };
}

// ---------------------------------------------------------------- keys

/**
 * The id of a public key: the first 16 hex digits of SHA-256 of its SPKI DER bytes.
 * @param {Uint8Array<ArrayBuffer> | ArrayBuffer} spki
 * @param {SubtleCrypto} [subtle]
 * @returns {Promise<string>}
 */
export async function keyId(spki, subtle = globalThis.crypto.subtle) {
  const digest = new Uint8Array(await subtle.digest("SHA-256", spki));
  return Array.from(digest.slice(0, 8), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** @param {Uint8Array} bytes @returns {string} standard base64 with padding */
export function base64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** @param {Uint8Array} bytes @returns {string} base64url without padding */
export function base64url(bytes) {
  return base64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The short form of a hash printed on receipts. @param {string} hash */
export function shortHash(hash) {
  return hash.slice(0, 8);
}
