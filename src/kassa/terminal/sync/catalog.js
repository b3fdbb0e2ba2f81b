// @ts-check
/**
 * Bringing the server's catalog, cashiers and configuration into IndexedDB.
 *
 * First run: the whole catalog, page by page (progress reported), stored in one
 * transaction (data/db.js putCatalog). Later: only what changed since the stored token
 * (`since`), applied in one transaction. The token stored is the one `GET catalog` gave
 * before the products were read, so a change made meanwhile is fetched again next time
 * rather than missed.
 */
import { api } from "./api.js";
import { META, applyCatalogDelta, getMeta, putCashiers, putCatalog, putPaymentMethods, setMeta } from "../data/db.js";

/** Products per page: 4 requests for 100,000 products, with a progress step each. */
export const PAGE_SIZE = 25_000;

/**
 * The pages of `GET catalog/products`, following `next_after` until it is null: the whole
 * catalog, or with `since` what changed after that token.
 * @param {string} token  the device token
 * @param {number} [since]
 * @returns {AsyncGenerator<any>}
 */
async function* productPages(token, since) {
  const changed = since === undefined ? "" : `since=${since}&`;
  let after = 0;
  for (;;) {
    const page = await api(`catalog/products?${changed}after=${after}&limit=${PAGE_SIZE}`, { token, timeout: 120_000 });
    yield page;
    if (page.next_after === null) return;
    after = page.next_after;
  }
}

/**
 * Download the whole catalog.
 * @param {any} db
 * @param {string} token  the device token
 * @param {(progress: {loaded: number, total: number | null}) => void} [onProgress]
 * @returns {Promise<import("../data/db.js").CatalogSnapshot>} what was stored
 */
export async function catalogDownload(db, token, onProgress) {
  const meta = await api("catalog", { token });
  /** @type {any[]} */
  const products = [];
  /** @type {number | null} */
  let total = null;
  for await (const page of productPages(token)) {
    if (page.total !== undefined && page.total !== null) total = page.total;
    for (const product of page.products) products.push(product);
    onProgress?.({ loaded: products.length, total });
  }
  const snapshot = { products, categories: meta.categories, taxes: meta.taxes, token: meta.token };
  await putCatalog(db, snapshot);
  return snapshot;
}

/**
 * Fetch and apply what changed since the stored token.
 * @param {any} db
 * @param {string} token
 * @returns {Promise<boolean>} whether anything changed
 */
export async function catalogUpdate(db, token) {
  const stored = await getMeta(db, META.catalogToken);
  if (stored === undefined) {
    await catalogDownload(db, token);
    return true;
  }
  const meta = await api("catalog", { token });
  if (meta.token === stored) return false;
  /** @type {any[]} */
  const products = [];
  /** @type {number[]} */
  const deleted = [];
  for await (const page of productPages(token, stored)) {
    products.push(...page.products);
    deleted.push(...page.deleted);
  }
  await applyCatalogDelta(db, { products, deleted, categories: meta.categories, taxes: meta.taxes, token: meta.token });
  return true;
}

/**
 * The terminal's configuration and its cashiers (with PIN verifiers).
 * @param {any} db
 * @param {string} token
 * @returns {Promise<{config: any, cashiers: any[]}>}
 */
export async function staffAndConfigUpdate(db, token) {
  const [config, cashiers] = await Promise.all([api("terminal", { token }), api("cashiers", { token })]);
  await setMeta(db, META.terminalConfig, config);
  await putPaymentMethods(db, config.payment_methods);
  await putCashiers(db, cashiers);
  return { config, cashiers };
}
