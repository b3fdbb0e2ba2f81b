// @ts-check
/**
 * Who may do what at the till: the one door every restricted action goes through
 * (docs/permissions.md).
 *
 * A flow that is about to do a restricted action (PRICE_OVERRIDE, LINE_DISCOUNT,
 * ORDER_DISCOUNT, LINE_VOID, ORDER_ABANDON, REFUND, BLIND_RETURN, NO_SALE, CASH_IN,
 * CASH_OUT, CASH_DROP, REPRINT, X_REPORT, CLOSE_SESSION, APPROVE_VARIANCE,
 * OPEN_PRICE_ITEM) calls `authorize` and goes on only with what it resolves to:
 *
 * - `{approval: null}`: the cashier logged in now may do it alone (their role allows it);
 * - `{approval}`: a person whose role allows it approved it with their PIN (checked offline
 *   against the cached verifier, the login's lockout shared), for this one action on this
 *   one subject; the OVERRIDE entry is in the journal before this resolves. The flow
 *   records `approval.id` with what it does; an approval is used up by one change
 *   (`spendApproval`);
 * - `null`: denied (the role denies it, no one here may approve it, no reason where one is
 *   required) or cancelled; the flow changes nothing.
 *
 * The rights are those of the cashier logged in when `authorize` is called, read from the
 * cashier list (`permissions`, per action): switching cashier switches them at once.
 */
import { t } from "../domain/i18n.js";
import { overridePayload } from "../domain/journal.js";
import { DEFAULT_RULES, REASON_REQUIRED, decide, mayApprove } from "../domain/permissions.js";
import { getState, setState } from "../state/store.js";
import { record } from "./journal.js";
import { toast } from "./messages.js";

/**
 * @typedef {object} Person
 * @property {number} id
 * @property {string} name
 *
 * @typedef {import("../domain/permissions.js").Subject} Subject  what an approval is for, and nothing else
 *
 * @typedef {object} Approval
 * @property {string} id           uuid, referenced by what it approved
 * @property {string} action       the action code
 * @property {Subject} subject
 * @property {Person} asked_by     the cashier logged in
 * @property {Person} approver
 * @property {{code: string, revision: number}} approver_role  the approver's role as the till had it
 * @property {number | null} value the value approved (in the action's unit), null when none
 * @property {string | null} reason  reason code
 * @property {string} note
 * @property {string | null} before  as printed, e.g. "12.90"
 * @property {string | null} after
 *
 * @typedef {object} Request
 * @property {string} action
 * @property {Subject} subject
 * @property {string} message      why approval is asked, shown in the dialog
 * @property {number} [value]      for limited actions: a discount in hundredths of a percent
 *                                 (domain/money.js parseDiscount), an amount in minor units
 * @property {string | null} [reason]  reason code (config.reasons); NO_SALE and CASH_OUT need one
 * @property {string} [note]
 * @property {string | null} [before]  as printed, for the journal
 * @property {string | null} [after]
 */

/** Approvals given at this till and not used yet, by id: each is good for one change. */
const unspent = new Map();
/** Approvals given here and used: the order that used one may keep it, nothing else. */
const spent = new WeakSet();
/** Every approval given here, by id, so that a flow that keeps only the id (a refund's
 * `order.approval`) can send the whole approval with its order. */
const given = new Map();

/**
 * An approval given at this till (in this page), by its id.
 * @param {string | null | undefined} id
 * @returns {Approval | undefined}
 */
export function approvalGiven(id) {
  return id ? given.get(id) : undefined;
}

/**
 * A cashier's rules: the cashier list's `permissions`, or the shipped role's for a till
 * whose cached list predates roles.
 * @param {import("../state/store.js").Cashier | null | undefined} cashier
 * @returns {import("../domain/permissions.js").Rules | null}
 */
export function rulesOf(cashier) {
  if (!cashier) return null;
  return cashier.permissions ?? DEFAULT_RULES[cashier.role] ?? DEFAULT_RULES.cashier;
}

/**
 * What the cashier logged in now may do: for the buttons.
 * @param {string} action
 * @param {number | null} [value]
 * @returns {import("../domain/permissions.js").Decision}
 */
export function rightTo(action, value = null) {
  const { cashier, config } = getState();
  if (!cashier) return "denied";
  return decide(rulesOf(cashier), action, value, { places: config?.currency_places ?? 2 });
}

/**
 * The people at this till who may approve an action for `asker`.
 * @param {string} action
 * @param {number | null} value
 * @param {Person} asker
 */
export function approversFor(action, value, asker) {
  const { cashiers, config } = getState();
  const places = config?.currency_places ?? 2;
  return cashiers.filter((c) => c.id !== asker.id && mayApprove(rulesOf(c), action, value, { places }));
}

/**
 * Use an approval up: true once for an approval given here, false ever after (and for
 * one this till never gave).
 * @param {{id: string}} approval
 */
export function spendApproval(approval) {
  const given = unspent.get(approval.id);
  if (!given || given !== approval) return false;
  unspent.delete(approval.id);
  spent.add(approval);
  return true;
}

/**
 * Whether this approval was given here and used up by a change (flows/order.js's guard).
 * @param {object} approval
 */
export function spentHere(approval) {
  return spent.has(approval);
}

/**
 * @param {Request} request
 * @returns {Promise<{approval: Approval | null} | null>}
 */
export function authorize(request) {
  const { cashier, config } = getState();
  if (!cashier) return Promise.resolve(null);
  if (REASON_REQUIRED.includes(request.action) && !request.reason) {
    toast(t("Choose a reason first."), "error");
    return Promise.resolve(null);
  }
  const value = request.value ?? null;
  const decision = decide(rulesOf(cashier), request.action, value, { places: config?.currency_places ?? 2 });
  if (decision === "allowed") return Promise.resolve({ approval: null });
  if (decision === "denied") {
    toast(t("{name} may not do this ({action}).", { name: cashier.name, action: request.action }), "error");
    return Promise.resolve(null);
  }
  const asker = { id: cashier.id, name: cashier.name };
  if (!approversFor(request.action, value, asker).length) {
    toast(t("No one at this till may approve this."), "error");
    return Promise.resolve(null);
  }
  return new Promise((resolve) => {
    setState({
      dialog: {
        kind: "manager",
        reason: request.message,
        action: request.action,
        value,
        asker,
        onApproved: async (
          /** @type {import("../state/store.js").Cashier} */ approver,
          /** @type {number | undefined} */ submittedAt,
        ) => {
          /** @type {Approval} */
          const approval = {
            id: crypto.randomUUID(),
            action: request.action,
            subject: { ...request.subject },
            asked_by: asker,
            approver: { id: approver.id, name: approver.name },
            approver_role: { code: approver.role, revision: approver.role_revision ?? 0 },
            value,
            reason: request.reason ?? null,
            note: request.note ?? "",
            before: request.before ?? null,
            after: request.after ?? null,
          };
          try {
            await record([{ type: "OVERRIDE", payload: overridePayload(approval) }]);
          } catch (error) {
            toast(
              t("The approval could not be journalled, so it does not count: {error}", { error: String(error) }),
              "error",
            );
            resolve(null);
            return;
          }
          unspent.set(approval.id, approval);
          given.set(approval.id, approval);
          resolve({ approval });
          // From the approver's PIN to the decision (PIN check, OVERRIDE journalled):
          // bench/approval_bench.py reads it.
          if (submittedAt !== undefined) {
            performance.measure("kassa:approval", { start: submittedAt, detail: request.action });
          }
        },
        onCancel: () => resolve(null),
      },
    });
  });
}
