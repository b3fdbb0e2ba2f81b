// @ts-check
/**
 * Bringing the server's catalog, cashiers and configuration into IndexedDB.
 *
 * First run: the server's index of the catalog (`GET catalog/index`, sync/catalog_snapshot.js),
 * built there once per catalog version for every till, taken as it is (its typed arrays and
 * strings, no work per product) and stored; then the changes since its version, fetched as
 * pages (`since`) and applied in place as for any update. Where the server has no index for
 * this till (an older server, another index format), the whole catalog, page by page, in the
 * catalog worker (sync/catalog_worker.js):
 * it parses each page and adds it to the index (domain/search.js createIndexBuilder) while
 * the next one downloads, finishes the index and hands its typed arrays over; the page's
 * thread meanwhile only shows the progress, then stores the index whole in one transaction
 * (data/db.js putCatalogIndex). Where no module worker can start, the same steps run on the
 * page (sync/catalog_pages.js). Progress is reported as it really goes: products received,
 * then the index being finished and stored.
 * Later: only what changed since the stored token (`since`), applied in place to the
 * running till's index (applyCatalogChanges) and kept beside the stored one. The token
 * stored is the one `GET catalog` gave before the products were read, so a change made
 * meanwhile is fetched again next time rather than missed.
 */
import { ApiError, NetworkError, api } from "./api.js";
import { PAGE_SIZE, buildFromPages, productPages } from "./catalog_pages.js";
import { fetchIndex } from "./catalog_snapshot.js";
import {
  INDEX_FORMAT,
  applyCatalogChanges,
  catalogChanges,
  productCount,
  restoreSearchIndex,
} from "../domain/search.js";
import { putCashiers, putCatalogChanges, putCatalogIndex, putPaymentMethods, setMeta, META } from "../data/db.js";

export { PAGE_SIZE };
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
 * Download the whole catalog, index it and store it.
 * @param {any} db
 * @param {string} token  the device token
 * @param {(progress: DownloadProgress) => void} [onProgress]
 * @param {{worker?: boolean, snapshot?: boolean}} [options]  `worker: false`: build on the
 *   page's thread (also after a catalog worker of this page died: see buildInWorker);
 *   `snapshot: false`: build from the pages even where the server has an index
 * @returns {Promise<CatalogSnapshot & {base: number}>} what was stored; `base`: the stored index's token
 */
export async function catalogDownload(db, token, onProgress, { worker = true, snapshot = true } = {}) {
  const report = onProgress ?? (() => {});
  if (snapshot) {
    const taken = await downloadIndex(db, token, report);
    if (taken) return taken;
  }
  const meta = await api("catalog", { token });
  const built =
    worker && !workerLost && typeof Worker !== "undefined"
      ? await buildInWorker(token, report)
      : await buildFromPages(token, report, painted);
  // Figures for bench/catalog_bench.py and for anyone looking at a slow till.
  performance.measure("kassa:index-pages", { start: 0, duration: built.adding });
  performance.measure("kassa:index-finish", { start: 0, duration: built.finishing });
  const count = built.index.count;
  report({ step: "store", loaded: count, total: count });
  await painted();
  const started = performance.now();
  await putCatalogIndex(db, {
    index: built.index,
    format: INDEX_FORMAT,
    categories: meta.categories,
    taxes: meta.taxes,
    token: meta.token,
  });
  performance.measure("kassa:catalog-store", { start: started, end: performance.now() });
  const index = restoreSearchIndex(built.index);
  return { index, categories: meta.categories, taxes: meta.taxes, token: meta.token, base: meta.token };
}

/**
 * The server's index, stored as it came, then the changes since its version fetched and
 * applied in place (kept beside it, as an update's). Null when the server has none for
 * this till: build from the pages.
 * @param {any} db
 * @param {string} token
 * @param {(progress: DownloadProgress) => void} report
 * @returns {Promise<(CatalogSnapshot & {base: number}) | null>}
 */
async function downloadIndex(db, token, report) {
  const started = performance.now();
  // The categories and taxes meanwhile: read before the changes, so that a change made
  // while they download is fetched again next time rather than missed.
  const [first, snapshot] = await Promise.all([
    api("catalog", { token }),
    fetchIndex(token, INDEX_FORMAT, ({ loaded, total }) => report({ step: "products", loaded, total })),
  ]);
  if (!snapshot) return null;
  performance.measure("kassa:index-fetch", { start: started, end: performance.now() });
  const base = snapshot.version;
  // Built after the categories were read: read them again, never older than the products.
  const meta = first.token < base ? await api("catalog", { token }) : first;
  const changed = meta.token !== base;
  let index = restoreSearchIndex(snapshot.index);
  if (changed) {
    const since = performance.now();
    const changes = /** @type {CatalogChanges} */ (await changesSince(token, base, Number.POSITIVE_INFINITY));
    performance.measure("kassa:index-changes", { start: since, end: performance.now() });
    index = applyCatalogChanges(index, changes);
  }
  const count = productCount(index);
  report({ step: "store", loaded: count, total: count });
  await painted();
  const storing = performance.now();
  const catalog = { categories: meta.categories, taxes: meta.taxes };
  await putCatalogIndex(db, { index: snapshot.index, format: INDEX_FORMAT, ...catalog, token: base });
  if (changed) {
    await putCatalogChanges(db, { base, ...catalogChanges(index), ...catalog, token: meta.token });
  }
  performance.measure("kassa:catalog-store", { start: storing, end: performance.now() });
  return { index, ...catalog, token: meta.token, base };
}

/**
 * How long the catalog worker may stay silent before the page takes it for dead. It speaks
 * every HEARTBEAT_MS (5 s) from a timer, also while a page downloads (a page that never
 * comes is ended by the request's own 120 s timeout, which the worker reports), so the
 * only silences are its synchronous stretches: adding one page of 25,000 products (under
 * 1 s here at 1,000,000) and finishing the index (2.7–3.7 s at 1,000,000 on this 2-core
 * machine at load 7–12). A minute is fifteen times the longest of them: room for a slow
 * till PC, and a cashier waits a minute at most before the screen says what happened.
 */
export const WORKER_STALL_MS = 60_000;

/**
 * Set once a catalog worker of this page has died after it started working: the next
 * download (*Try again*) runs on the page's thread, which does not depend on a worker.
 */
let workerLost = false;

/**
 * The catalog's pages downloaded and indexed by the catalog worker, watched: a worker whose
 * module does not load, or that goes silent before its first word, is replaced by the same
 * steps on the page's thread; one that dies later (an `error` event, a `messageerror`, or
 * WORKER_STALL_MS without a message: killed, out of memory, closed) ends the download with
 * an error, which the download screen shows with *Try again*.
 * @param {string} token
 * @param {(progress: DownloadProgress) => void} onProgress
 * @param {object} [options]  for the unit tests
 * @param {() => Worker} [options.create]
 * @param {number} [options.stallMs]
 * @param {() => Promise<import("./catalog_pages.js").BuiltIndex>} [options.onPage]  the page's own steps
 * @returns {Promise<import("./catalog_pages.js").BuiltIndex>}
 */
export function buildInWorker(
  token,
  onProgress,
  {
    create = () => new Worker(new URL("./catalog_worker.js", import.meta.url), { type: "module", name: "catalog" }),
    stallMs = WORKER_STALL_MS,
    onPage = () => buildFromPages(token, onProgress, painted),
  } = {},
) {
  const worker = create();
  let heard = false;
  let done = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  return new Promise((resolve, reject) => {
    /** @param {() => void} settle */
    const end = (settle) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      worker.terminate();
      settle();
    };
    /** @param {string} why */
    const gone = (why) =>
      end(() => {
        console.error("catalog worker", why);
        if (!heard) {
          // It never started working (its module did not load): the same steps on the
          // page's thread, slower but the till gets its catalog.
          resolve(onPage());
          return;
        }
        workerLost = true;
        reject(new Error(`The catalog download stopped unexpectedly (${why}).`));
      });
    const watch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => gone(`no word from its worker for ${Math.round(stallMs / 1000)} s`), stallMs);
    };
    worker.onmessage = (event) => {
      if (done) return;
      heard = true;
      watch();
      const message = event.data;
      if (message.type === "alive") return;
      if (message.type === "progress") {
        onProgress({ step: message.step, loaded: message.loaded, total: message.total });
        return;
      }
      end(() => {
        if (message.type === "index") resolve(message);
        else if (message.name === "ApiError") reject(new ApiError(message.status, message.code, message.message));
        else if (message.name === "NetworkError") reject(new NetworkError(message.message));
        else reject(new Error(message.message));
      });
    };
    worker.onmessageerror = () => gone("its worker's message could not be read");
    worker.onerror = (event) => {
      event.preventDefault?.();
      gone(event.message || "its worker failed");
    };
    watch();
    worker.postMessage({ token });
  });
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
  const limit = Math.max(PAGE_SIZE, productCount(current.index) * DELTA_SHARE);
  const changes = await changesSince(token, current.token, limit);
  if (!changes) return catalogDownload(db, token);
  let started = performance.now();
  const index = applyCatalogChanges(current.index, changes);
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

/** @typedef {{products: any[], deleted: number[]}} CatalogChanges */

/**
 * The products changed and the ids removed since `since`, every page of them; null as soon
 * as they are more than `limit` (downloading the whole catalog is then cheaper).
 * @param {string} token
 * @param {number} since  a catalog token
 * @param {number} limit
 * @returns {Promise<CatalogChanges | null>}
 */
async function changesSince(token, since, limit) {
  /** @type {CatalogChanges} */
  const changes = { products: [], deleted: [] };
  for await (const page of productPages(token, since)) {
    for (const product of page.products) changes.products.push(product);
    for (const id of page.deleted) changes.deleted.push(id);
    if (changes.products.length + changes.deleted.length > limit) return null;
  }
  return changes;
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
