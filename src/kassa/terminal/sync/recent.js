// @ts-check
/**
 * The store's recent orders from the server, for the till's local index (docs/refunds.md):
 * `GET orders/recent` pulled page by page from the last cursor while online, and
 * `GET orders/lookup` for an order the index does not hold.
 */
import { META, getMeta, recentPrune, recentPut } from "../data/db.js";
import { recentFromWire } from "../domain/refund.js";
import { ApiError, api } from "./api.js";

/** Pages of 1,000 orders pulled in one go at most; the next round goes on from the cursor. */
const MAX_PAGES = 20;

/**
 * Pull the store's orders created since the last pull (and in the last `days`) into the
 * local index, and drop those older than `days`.
 * @param {any} db
 * @param {string} token
 * @param {{places: number, days: number}} options
 * @returns {Promise<number>} orders pulled
 */
export async function pullRecentOrders(db, token, { places, days }) {
  let cursor = (await getMeta(db, META.recentCursor)) ?? 0;
  let pulled = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await api(`orders/recent?after=${cursor}&days=${days}&limit=1000`, { token, timeout: 30_000 });
    await recentPut(
      db,
      answer.orders.map((/** @type {any} */ wire) => recentFromWire(wire, places)),
      answer.last,
    );
    pulled += answer.orders.length;
    cursor = answer.last;
    if (!answer.more) break;
  }
  await recentPrune(db, new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10));
  return pulled;
}

/**
 * An order of the store the local index does not hold, from the server, with its refunds;
 * null when the server has none such.
 * @param {string} token
 * @param {{uuid?: string, receiptNumber?: string}} key
 * @param {number} places
 * @returns {Promise<{order: import("../domain/refund.js").RecentOrder, refunds: import("../domain/refund.js").RecentOrder[]} | null>}
 */
export async function lookupOrder(token, { uuid, receiptNumber }, places) {
  const query = uuid ? `uuid=${encodeURIComponent(uuid)}` : `receipt=${encodeURIComponent(receiptNumber ?? "")}`;
  try {
    const answer = await api(`orders/lookup?${query}`, { token, timeout: 5_000 });
    return {
      order: recentFromWire(answer.order, places),
      refunds: answer.refunds.map((/** @type {any} */ wire) => recentFromWire(wire, places)),
    };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}
