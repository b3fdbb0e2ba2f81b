// @ts-check
/**
 * Who may do what at the till (docs/permissions.md), pure: a role's rules and an action
 * (with its value) give allowed, needs_approval or denied; which changes of an order are
 * restricted; whether an approval covers a change, and only once.
 *
 * The server's `staff/permissions.py` is the same rule; both run
 * tests/shared/permission_cases.json.
 *
 * A rule is `{mode: "allow" | "approve" | "deny", limit: decimal string | null}`:
 * - allow without a limit: alone; allow with a limit: alone up to it (a percent for
 *   discounts, an amount in currency units for refunds and variances), above it with an
 *   approval; a limited action asked without a value needs an approval;
 * - approve: only with the approval of a person whose role allows it;
 * - deny, or an action the role does not name: never.
 */
import { DISCOUNT_PLACES, formatAmount, formatDiscount, formatQuantity, parseDecimal } from "./money.js";

export const ACTIONS = Object.freeze([
  "PRICE_OVERRIDE",
  "LINE_DISCOUNT",
  "ORDER_DISCOUNT",
  "LINE_VOID",
  "ORDER_ABANDON",
  "REFUND",
  "BLIND_RETURN",
  "NO_SALE",
  "CASH_IN",
  "CASH_OUT",
  "CASH_DROP",
  "REPRINT",
  "X_REPORT",
  "CLOSE_SESSION",
  "APPROVE_VARIANCE",
  "OPEN_PRICE_ITEM",
]);

/** Limits in percent: values in hundredths of a percent (domain/money.js parseDiscount). */
export const PERCENT_ACTIONS = Object.freeze(["LINE_DISCOUNT", "ORDER_DISCOUNT"]);
/** Limits in currency units: values in minor units. */
export const AMOUNT_ACTIONS = Object.freeze(["REFUND", "APPROVE_VARIANCE"]);
/** A reason code (config.reasons) is required for these. */
export const REASON_REQUIRED = Object.freeze(["NO_SALE", "CASH_OUT"]);

/**
 * @typedef {{mode: "allow" | "approve" | "deny", limit: string | null}} Rule
 * @typedef {Readonly<Record<string, Rule>>} Rules
 * @typedef {"allowed" | "needs_approval" | "denied"} Decision
 *
 * @typedef {object} Subject   what an approval is for, and nothing else
 * @property {"line" | "order" | "session" | "drawer"} kind
 * @property {string} [order]
 * @property {string} [line]
 * @property {string} [session]
 *
 * @typedef {object} Change    one restricted change of an order
 * @property {string} action
 * @property {Subject} subject
 * @property {number | null} value   in the action's unit (see PERCENT_ACTIONS, AMOUNT_ACTIONS)
 * @property {string | null} before  as printed
 * @property {string | null} after
 *
 * @typedef {object} Grant     an approval as the order keeps it
 * @property {string} id
 * @property {string} action
 * @property {Subject} subject
 * @property {number | null} [value]
 */

/** @param {"allow" | "approve" | "deny"} mode @param {string | null} [limit] @returns {Rule} */
const rule = (mode, limit = null) => Object.freeze({ mode, limit });
/** @param {Rule} given @param {Record<string, Rule>} [rest] @returns {Rules} */
const every = (given, rest = {}) => Object.freeze({ ...Object.fromEntries(ACTIONS.map((a) => [a, given])), ...rest });

/**
 * The roles Kassa ships (server migration staff 0004), for a till whose cached cashiers
 * predate roles: their rights until the next sync brings the cashier list with them.
 * @type {Readonly<Record<string, Rules>>}
 */
export const DEFAULT_RULES = Object.freeze({
  cashier: every(rule("approve"), {
    LINE_DISCOUNT: rule("allow", "10"),
    ORDER_DISCOUNT: rule("allow", "10"),
    CASH_IN: rule("allow"),
    CASH_DROP: rule("allow"),
    REPRINT: rule("allow"),
    X_REPORT: rule("allow"),
    CLOSE_SESSION: rule("allow"),
  }),
  supervisor: every(rule("allow"), {
    LINE_DISCOUNT: rule("allow", "30"),
    ORDER_DISCOUNT: rule("allow", "30"),
    REFUND: rule("allow", "100"),
    BLIND_RETURN: rule("approve"),
    APPROVE_VARIANCE: rule("allow", "20"),
  }),
  manager: every(rule("allow")),
});

/**
 * A limit in the action's unit.
 * @param {string} action
 * @param {string} limit   decimal string
 * @param {number} places  the currency's decimals
 * @returns {number}
 */
export function limitValue(action, limit, places) {
  return parseDecimal(limit, PERCENT_ACTIONS.includes(action) ? DISCOUNT_PLACES : places, "limit");
}

/**
 * What the rules say about an action.
 * @param {Rules | null | undefined} rules  a cashier's permissions (the cashier list's)
 * @param {string} action
 * @param {number | null} [value]           in the action's unit; null when it has none
 * @param {{places?: number}} [options]     the currency's decimals (amount limits)
 * @returns {Decision}
 */
export function decide(rules, action, value = null, { places = 2 } = {}) {
  const given = rules && Object.hasOwn(rules, action) ? rules[action] : undefined;
  if (!given || given.mode === "deny") return "denied";
  if (given.mode === "approve") return "needs_approval";
  if (given.mode !== "allow") return "denied";
  if (given.limit === null || given.limit === undefined) return "allowed";
  if (value === null || value === undefined) return "needs_approval";
  return Math.abs(value) <= limitValue(action, given.limit, places) ? "allowed" : "needs_approval";
}

/**
 * Whether a person with these rules may approve the action for someone else: only if
 * they may do it alone.
 * @param {Rules | null | undefined} rules
 * @param {string} action
 * @param {number | null} [value]
 * @param {{places?: number}} [options]
 */
export function mayApprove(rules, action, value = null, options = {}) {
  return decide(rules, action, value, options) === "allowed";
}

/**
 * Whether two subjects are the same thing.
 * @param {Subject} a
 * @param {Subject} b
 */
export function sameSubject(a, b) {
  return (
    a.kind === b.kind &&
    (a.order ?? null) === (b.order ?? null) &&
    (a.line ?? null) === (b.line ?? null) &&
    (a.session ?? null) === (b.session ?? null)
  );
}

/**
 * The restricted changes between two versions of an order: each line voided (removed, or
 * the part a decrease took away), each unit price set away from the list price, each
 * discount raised. Lines are matched by id. Adding lines, raising quantities, lowering a
 * discount or setting the list price back are not restricted.
 * @param {import("./cart.js").Order} before
 * @param {import("./cart.js").Order} after
 * @returns {Change[]}
 */
export function restrictedChanges(before, after) {
  const was = new Map(before.lines.map((line) => [line.id, line]));
  const places = after.places;
  /** @type {Change[]} */
  const changes = [];
  const line = (/** @type {string} */ id) => ({ kind: /** @type {const} */ ("line"), order: after.uuid, line: id });
  for (const now of after.lines) {
    const old = was.get(now.id);
    if (now.voided) {
      if (old?.voided) continue;
      // A new voided line is the part a decrease took away from the line it names.
      const of = old ? now.id : (now.voidOf ?? now.id);
      changes.push({
        action: "LINE_VOID",
        subject: line(of),
        value: null,
        before: formatQuantity(now.quantity),
        after: null,
      });
      continue;
    }
    if (!old) continue;
    if (now.unitPrice !== old.unitPrice && now.unitPrice !== now.listPrice) {
      changes.push({
        action: "PRICE_OVERRIDE",
        subject: line(now.id),
        value: now.unitPrice,
        before: formatAmount(old.unitPrice, places),
        after: formatAmount(now.unitPrice, places),
      });
    }
    if (now.discount > old.discount) {
      changes.push({
        action: "LINE_DISCOUNT",
        subject: line(now.id),
        value: now.discount,
        before: formatDiscount(old.discount),
        after: formatDiscount(now.discount),
      });
    }
  }
  return changes;
}

/**
 * Whether an order's changes may stand: each is allowed to the cashier logged in, or
 * covered by an approval given for that action on that subject (and that value, when it
 * has one) that no other change has used. The first one that may not, with why.
 * @param {Change[]} changes
 * @param {object} authority
 * @param {Rules | null | undefined} authority.rules  the permissions of the cashier logged in now
 * @param {readonly Grant[]} [authority.approvals]     approvals given for this change
 * @param {ReadonlySet<string>} [authority.used]       approval ids already used up
 * @param {number} [authority.places]
 * @returns {{ok: true, used: Grant[], alone: Change[]} | {ok: false, change: Change, why: "denied" | "needs_approval"}}
 *   `used`: the approvals that covered changes; `alone`: the changes the rules allow alone
 */
export function checkChanges(changes, { rules, approvals = [], used = new Set(), places = 2 }) {
  /** @type {Grant[]} */
  const taken = [];
  /** @type {Change[]} */
  const alone = [];
  for (const change of changes) {
    const decision = decide(rules, change.action, change.value, { places });
    if (decision === "allowed") {
      alone.push(change);
      continue;
    }
    if (decision === "denied") return { ok: false, change, why: "denied" };
    const grant = approvals.find(
      (approval) =>
        approval.action === change.action &&
        sameSubject(approval.subject, change.subject) &&
        (approval.value === undefined || approval.value === null || approval.value === change.value) &&
        !used.has(approval.id) &&
        !taken.includes(approval),
    );
    if (!grant) return { ok: false, change, why: "needs_approval" };
    taken.push(grant);
  }
  return { ok: true, used: taken, alone };
}
