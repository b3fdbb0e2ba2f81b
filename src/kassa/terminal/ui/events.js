// @ts-check
/**
 * What happens at the till, for whoever wants to react to it: hardware/proxy.js (printer,
 * customer display, cash drawer) subscribes here, without the screens knowing it.
 *
 * Events and their detail:
 * - `line.added`      {order, line}            a product was added (tile, search or scan)
 * - `order.changed`   {order}                  anything in the current order changed
 * - `order.validated` {order, receipt, payload} the order is durably queued; receipt shown
 * - `receipt.reprint` {receipt}
 * - `payment.screen`  {order}                  the payment screen opened (total to pay)
 * - `session.opened`  {session}, `session.closed` {session}
 * - `scan.error`      {code, message}
 * - `receipt.done`    {}                       the receipt screen's "New order"
 * - `terminal.ready`  {config}                 configuration loaded (again after a refresh)
 *
 * A listener that throws does not stop the sale: the error is logged and the next one runs.
 */

/** @type {Map<string, Set<(detail: any) => void>>} */
const listeners = new Map();

/**
 * @param {string} type
 * @param {(detail: any) => void} listener
 * @returns {() => void} unsubscribe
 */
export function on(type, listener) {
  let set = listeners.get(type);
  if (!set) listeners.set(type, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

/**
 * @param {string} type
 * @param {any} detail
 */
export function emit(type, detail) {
  for (const listener of listeners.get(type) ?? []) {
    try {
      listener(detail);
    } catch (error) {
      console.error(`listener for ${type} failed`, error);
    }
  }
}
