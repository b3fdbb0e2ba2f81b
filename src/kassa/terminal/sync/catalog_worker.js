// @ts-check
/// <reference lib="webworker" />
/**
 * The catalog worker (a module worker, started by sync/catalog.js catalogDownload): it
 * downloads the catalog's pages, parses them and builds the search index while the next
 * page downloads, off the page's thread, which meanwhile only shows the progress.
 *
 * Messages in: `{token}` once (the device token, kept in this worker's memory only and
 * gone with it). Messages out, in this order:
 * - `{type: "progress", step: "products" | "index", loaded, total}` after each page, then
 *   when the index is being finished;
 * - `{type: "alive"}` every HEARTBEAT_MS meanwhile, so that the page can tell a worker that
 *   works from one that died without a word (killed, out of memory, closed);
 * - `{type: "index", index, adding, finishing}`: the index as stored
 *   (domain/search.js StoredIndex), its typed arrays handed over rather than copied;
 * - or `{type: "error", name, message, status?, code?}` (sync/api.js's errors, rebuilt on
 *   the page).
 * The page stores the index and terminates the worker.
 */
import { HEARTBEAT_MS, buildFromPages, buffersOf } from "./catalog_pages.js";

const scope = /** @type {DedicatedWorkerGlobalScope} */ (/** @type {unknown} */ (self));

scope.onmessage = async (/** @type {MessageEvent<{token: string}>} */ event) => {
  const heartbeat = setInterval(() => scope.postMessage({ type: "alive" }), HEARTBEAT_MS);
  try {
    const built = await buildFromPages(event.data.token, (progress) =>
      scope.postMessage({ type: "progress", ...progress }),
    );
    scope.postMessage({ type: "index", ...built }, buffersOf(built.index));
  } catch (error) {
    const failure = /** @type {any} */ (error);
    scope.postMessage({
      type: "error",
      name: failure?.name ?? "Error",
      message: String(failure?.message ?? failure),
      status: failure?.status,
      code: failure?.code,
    });
  } finally {
    clearInterval(heartbeat);
  }
};
