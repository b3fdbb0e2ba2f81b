// @ts-check
/**
 * Bringing the server's catalog, cashiers and configuration into IndexedDB.
 *
 * First run: the whole catalog, page by page. Each page is indexed (domain/search.js
 * createIndexBuilder) while the next one downloads; after the last, the index is finished
 * and stored whole in one transaction (data/db.js putCatalogIndex). Progress is reported
 * as it really goes: products received, then the index being finished and stored.
 * Later: only what changed since the stored token (`since`), applied in place to the
 * running till's index (applyCatalogChanges) and kept beside the stored one. The token
 * stored is the one `GET catalog` gave before the products were read, so a change made
 * meanwhile is fetched again next time rather than missed.
 */
import { api } from "./api.js";
import {
  INDEX_FORMAT,
  applyCatalogChanges,
  catalogChanges,
  createIndexBuilder,
  productCount,
  storableSearchIndex,
} from "../domain/search.js";
import { putCashiers, putCatalogChanges, putCatalogIndex, putPaymentMethods, setMeta, META } from "../data/db.js";

/** Products per page: 40 requests for a million products, with a progress step each. */
export const PAGE_SIZE = 25_000;
/** A delta larger than this share of the catalog is downloaded whole instead. */
const DELTA_SHARE = 0.25;

/**
 * @typedef {object} CatalogSnapshot  a catalog ready to sell from
 * @property {import("../domain/search.js").SearchIndex<any>} index
 * @property {any[]} categories
 * @property {any[]} taxes
 * @property {number} token
 *
 * @typedef {{step: "products" | "index" | "store", loaded: number, total: number | null}} DownloadProgress
 */

/**
 * The pages of `GET catalog/products`, following `next_after` until it is null: the whole
 * catalog, or with `since` what changed after that token. The next page is asked for as
 * soon as a page has arrived, so the server and the network work on it while this page is
 * used.
 * @param {string} token  the device token
 * @param {number} [since]
 * @returns {AsyncGenerator<any>}
 */
async function* productPages(token, since) {
  const changed = since === undefined ? "" : `since=${since}&`;
  /** @param {number} after */
  const fetchPage = (after) =>
    api(`catalog/products?${changed}after=${after}&limit=${PAGE_SIZE}`, { token, timeout: 120_000 });
  let next = fetchPage(0);
  for (;;) {
    const page = await next;
    if (page.next_after !== null) next = fetchPage(page.next_after);
    yield page;
    if (page.next_after === null) return;
  }
}

/**
 * Download the whole catalog, index it and store it.
 * @param {any} db
 * @param {string} token  the device token
 * @param {(progress: DownloadProgress) => void} [onProgress]
 * @returns {Promise<CatalogSnapshot>} what was stored
 */
export async function catalogDownload(db, token, onProgress) {
  const meta = await api("catalog", { token });
  const builder = createIndexBuilder();
  /** @type {number | null} */
  let total = null;
  let adding = 0;
  for await (const page of productPages(token)) {
    if (page.total !== undefined && page.total !== null) total = page.total;
    const started = performance.now();
    builder.add(page.products);
    adding += performance.now() - started;
    onProgress?.({ step: "products", loaded: builder.count, total });
  }
  // Figures for bench/catalog_bench.py and for anyone looking at a slow till.
  performance.measure("kassa:index-pages", { start: 0, duration: adding });
  onProgress?.({ step: "index", loaded: builder.count, total: builder.count });
  await painted();
  let started = performance.now();
  const index = builder.finish();
  performance.measure("kassa:index-finish", { start: started, end: performance.now() });
  onProgress?.({ step: "store", loaded: builder.count, total: builder.count });
  await painted();
  started = performance.now();
  await putCatalogIndex(db, {
    index: storableSearchIndex(index),
    format: INDEX_FORMAT,
    categories: meta.categories,
    taxes: meta.taxes,
    token: meta.token,
  });
  performance.measure("kassa:catalog-store", { start: started, end: performance.now() });
  return { index, categories: meta.categories, taxes: meta.taxes, token: meta.token };
}

/**
 * Fetch what changed since `current` was downloaded and apply it to its index in place,
 * keeping the changes in IndexedDB; a change larger than a quarter of the catalog is
 * downloaded whole instead.
 * @param {any} db
 * @param {string} token
 * @param {CatalogSnapshot & {base: number}} current  the running catalog; `base`: its stored index's token
 * @returns {Promise<(CatalogSnapshot & {base: number}) | null>} the catalog after the changes, or null when none
 */
export async function catalogUpdate(db, token, current) {
  const meta = await api("catalog", { token });
  if (meta.token === current.token) return null;
  /** @type {any[]} */
  const products = [];
  /** @type {number[]} */
  const deleted = [];
  const limit = Math.max(PAGE_SIZE, productCount(current.index) * DELTA_SHARE);
  for await (const page of productPages(token, current.token)) {
    for (const product of page.products) products.push(product);
    for (const id of page.deleted) deleted.push(id);
    if (products.length + deleted.length > limit) {
      const whole = await catalogDownload(db, token);
      return { ...whole, base: whole.token };
    }
  }
  let started = performance.now();
  const index = applyCatalogChanges(current.index, { products, deleted });
  performance.measure("kassa:delta-apply", { start: started, end: performance.now() });
  started = performance.now();
  await putCatalogChanges(db, {
    base: current.base,
    ...catalogChanges(index),
    categories: meta.categories,
    taxes: meta.taxes,
    token: meta.token,
  });
  performance.measure("kassa:delta-store", { start: started, end: performance.now() });
  return { index, categories: meta.categories, taxes: meta.taxes, token: meta.token, base: current.base };
}

/** After the next frame (the progress shown), or 50 ms where no frame comes (a hidden tab). */
function painted() {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 50);
    globalThis.requestAnimationFrame?.(() =>
      setTimeout(() => {
        clearTimeout(timer);
        resolve(undefined);
      }, 0),
    );
  });
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
