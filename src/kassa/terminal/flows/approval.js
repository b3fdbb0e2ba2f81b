// @ts-check
/**
 * Who may do what at the till: the one door every restricted action goes through.
 *
 * A flow that is about to do a restricted action (docs/permissions.md: PRICE_OVERRIDE,
 * LINE_DISCOUNT, ORDER_DISCOUNT, LINE_VOID, ORDER_ABANDON, REFUND, BLIND_RETURN, NO_SALE,
 * CASH_IN, CASH_OUT, CASH_DROP, REPRINT, X_REPORT, CLOSE_SESSION, APPROVE_VARIANCE,
 * OPEN_PRICE_ITEM) calls `authorize` and goes on only with what it resolves to:
 *
 * - `{approval: null}`: the cashier logged in may do it alone;
 * - `{approval}`: a person whose role allows it approved it with their PIN, for this one
 *   action on this one subject (the flow records `approval.approver` with what it does);
 * - `null`: denied or cancelled; the flow changes nothing.
 *
 * Until roles land (issue 13), the rule is the one Kassa had: a manager may do anything;
 * a cashier needs a manager's PIN for `MANAGER_ONLY` actions, and for a discount above
 * the terminal's limit.
 */
import { parseDiscount } from "../domain/money.js";
import { getState, setState } from "../state/store.js";

/**
 * @typedef {object} Person
 * @property {number} id
 * @property {string} name
 *
 * @typedef {object} Subject   what an approval is for, and nothing else
 * @property {"line" | "order" | "session" | "drawer"} kind
 * @property {string} [order]    order uuid
 * @property {string} [line]     line id in that order
 * @property {string} [session]  cash session uuid
 *
 * @typedef {object} Approval
 * @property {string} id           uuid, referenced by what it approved
 * @property {string} action       the action code
 * @property {Subject} subject
 * @property {Person} asked_by     the cashier logged in
 * @property {Person} approver
 * @property {string | null} reason  reason code
 * @property {string} note
 *
 * @typedef {object} Request
 * @property {string} action
 * @property {Subject} subject
 * @property {string} message      why approval is asked, shown in the dialog
 * @property {number} [value]      for limited actions: a discount in thousandths of a
 *                                 percent (domain/money.js parseDiscount), an amount in
 *                                 minor units
 * @property {string | null} [reason]  reason code, when the flow asked for one
 * @property {string} [note]
 */

/** Actions a cashier may not do alone until roles land. */
const MANAGER_ONLY = new Set(["PRICE_OVERRIDE", "BLIND_RETURN", "NO_SALE", "APPROVE_VARIANCE", "OPEN_PRICE_ITEM"]);

/**
 * @param {Request} request
 * @returns {Promise<{approval: Approval | null} | null>}
 */
export function authorize(request) {
  const { cashier, config } = getState();
  if (!cashier) return Promise.resolve(null);
  if (cashier.role === "manager" || !needsManager(request, config)) return Promise.resolve({ approval: null });
  return new Promise((resolve) => {
    setState({
      dialog: {
        kind: "manager",
        reason: request.message,
        onApproved: (/** @type {Person} */ manager) =>
          resolve({
            approval: {
              id: crypto.randomUUID(),
              action: request.action,
              subject: request.subject,
              asked_by: { id: cashier.id, name: cashier.name },
              approver: { id: manager.id, name: manager.name },
              reason: request.reason ?? null,
              note: request.note ?? "",
            },
          }),
        onCancel: () => resolve(null),
      },
    });
  });
}

/**
 * @param {Request} request
 * @param {any} config
 */
function needsManager(request, config) {
  if (MANAGER_ONLY.has(request.action)) return true;
  if (request.action === "LINE_DISCOUNT" || request.action === "ORDER_DISCOUNT") {
    return (request.value ?? 0) > parseDiscount(config?.discount_limit ?? "0");
  }
  return false;
}
