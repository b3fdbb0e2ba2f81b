// @ts-check
/**
 * The catalog's pages (`GET catalog/products`) and the search index built from them as they
 * arrive: the part of the first download that runs in the catalog worker
 * (sync/catalog_worker.js), or on the page where no worker can start. No IndexedDB and no
 * DOM here, so it runs in either.
 */
import { api } from "./api.js";
import { createIndexBuilder, storableSearchIndex } from "../domain/search.js";

/** Products per page: 40 requests for a million products, with a progress step each. */
export const PAGE_SIZE = 25_000;

/**
 * How often the catalog worker says it is alive while it works (a timer, so it also speaks
 * while a page downloads); the page takes a worker silent for much longer for dead
 * (sync/catalog.js WORKER_STALL_MS).
 */
export const HEARTBEAT_MS = 5_000;

/**
 * The pages of `GET catalog/products`, following `next_after` until it is null: the whole
 * catalog, or with `since` what changed after that token. The next page is asked for as
 * soon as a page has arrived, so the server and the network work on it while this page is
 * used.
 * @param {string} token  the device token
 * @param {number} [since]
 * @returns {AsyncGenerator<any>}
 */
export async function* productPages(token, since) {
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
 * @typedef {{step: "products" | "index", loaded: number, total: number | null}} BuildProgress
 * @typedef {{index: import("../domain/search.js").StoredIndex, adding: number, finishing: number}} BuiltIndex
 *   the index as stored (storableSearchIndex), and the ms spent adding the pages and finishing
 */

/**
 * Download every page of the catalog and build its search index page by page.
 * @param {string} token  the device token
 * @param {(progress: BuildProgress) => void} onProgress
 * @param {() => Promise<unknown>} [shown]  awaited after the last progress, before finishing (a frame painted)
 * @returns {Promise<BuiltIndex>}
 */
export async function buildFromPages(token, onProgress, shown) {
  const builder = createIndexBuilder();
  /** @type {number | null} */
  let total = null;
  let adding = 0;
  for await (const page of productPages(token)) {
    if (page.total !== undefined && page.total !== null) total = page.total;
    const started = performance.now();
    builder.add(page.products);
    adding += performance.now() - started;
    onProgress({ step: "products", loaded: builder.count, total });
  }
  onProgress({ step: "index", loaded: builder.count, total: builder.count });
  await shown?.();
  const started = performance.now();
  const index = storableSearchIndex(builder.finish());
  return { index, adding, finishing: performance.now() - started };
}

/**
 * The memory of every typed array of a value (deep), each once: what a postMessage can
 * hand over instead of copying.
 * @param {unknown} value
 * @param {Set<ArrayBuffer>} [found]
 * @returns {ArrayBuffer[]}
 */
export function buffersOf(value, found = new Set()) {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
  } else if (Array.isArray(value)) {
    for (const item of value) if (item !== null && typeof item === "object") buffersOf(item, found);
  } else if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) if (item !== null && typeof item === "object") buffersOf(item, found);
  }
  return [...found];
}
