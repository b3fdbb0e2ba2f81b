// sync/catalog_snapshot.js fetchIndex: the server's index read as it arrives, with its
// progress, on a fake fetch (tests/browser/test_catalog.py takes the real one in Chromium);
// what is not an index of this till's format makes the till build from the pages instead.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildSearchIndex, storableSearchIndex } from "../../src/kassa/terminal/domain/search.js";
import { ApiError, NetworkError } from "../../src/kassa/terminal/sync/api.js";
import { encodeIndex, fetchIndex } from "../../src/kassa/terminal/sync/catalog_snapshot.js";

console.error = () => {}; // an unreadable index is logged

const catalog = Array.from({ length: 500 }, (_, i) => ({
  id: i + 1,
  name: `Bolt zinc ${i}`,
  ref: `B${i}`,
  barcodes: [],
}));
const stored = storableSearchIndex(buildSearchIndex(catalog));

/**
 * A fetch answering once, its body in chunks of 1,000 bytes.
 * @param {number} status
 * @param {Record<string, string>} headers
 * @param {Uint8Array} body
 */
function answering(status, headers, body) {
  /** @type {any[]} */
  const asked = [];
  globalThis.fetch = /** @type {any} */ (
    async (/** @type {string} */ url, /** @type {any} */ init) => {
      asked.push({ url, init });
      let at = 0;
      const stream = new ReadableStream({
        pull(controller) {
          if (at >= body.length) return controller.close();
          controller.enqueue(body.slice(at, at + 1000));
          at += 1000;
        },
      });
      return new Response(stream, { status, headers });
    }
  );
  return asked;
}

const json = (/** @type {unknown} */ value) => new TextEncoder().encode(JSON.stringify(value));

test("the index arrives with its version, the progress in products as its bytes come, from its own header", async () => {
  const bytes = encodeIndex(stored, 77);
  // Without the X-Index-* headers (a proxy between may drop them): the body's own header
  // says the size and the count.
  const asked = answering(200, { "Content-Type": "application/octet-stream" }, bytes);
  /** @type {any[]} */
  const shown = [];
  const snapshot = await fetchIndex("device-token", 2, (progress) => shown.push(progress));
  assert.ok(snapshot);
  assert.equal(snapshot.version, 77);
  assert.deepEqual(snapshot.index, stored);
  assert.match(asked[0].url, /\/api\/v1\/catalog\/index\?format=2$/);
  assert.equal(asked[0].init.headers.Authorization, "Bearer device-token");
  assert.ok(shown.length > 5 && shown.length < 60, `${shown.length} progress steps`);
  const loaded = shown.map((p) => p.loaded);
  assert.deepEqual(
    loaded,
    [...loaded].sort((a, b) => a - b),
  );
  assert.deepEqual(shown.at(-1), { loaded: 500, total: 500 });
});

test("a server without the index (404), or one of another format, or not an index: none", async () => {
  answering(404, { "Content-Type": "application/json" }, json({ error: { code: "not_found", message: "Not Found" } }));
  assert.equal(await fetchIndex("t", 2, () => {}), null);
  answering(404, { "Content-Type": "text/html" }, new TextEncoder().encode("<h1>Not Found</h1>"));
  assert.equal(await fetchIndex("t", 2, () => {}), null);
  const bytes = encodeIndex(stored, 1);
  answering(200, { "Content-Type": "application/octet-stream" }, bytes);
  assert.equal(await fetchIndex("t", 3, () => {}), null); // the till's format is 3, the index's 2
  answering(200, { "Content-Type": "application/octet-stream" }, bytes.subarray(0, bytes.length - 100));
  assert.equal(await fetchIndex("t", 2, () => {}), null);
});

test("the server's errors are the API's: refused (ApiError), or not reached (NetworkError)", async () => {
  answering(
    401,
    { "Content-Type": "application/json" },
    json({ error: { code: "unauthorized", message: "Unpaired." } }),
  );
  await assert.rejects(
    fetchIndex("t", 2, () => {}),
    (error) => error instanceof ApiError && error.status === 401,
  );
  answering(502, { "Content-Type": "text/html" }, new TextEncoder().encode("Bad gateway"));
  await assert.rejects(
    fetchIndex("t", 2, () => {}),
    NetworkError,
  );
  globalThis.fetch = /** @type {any} */ (
    async () => {
      throw new TypeError("Failed to fetch");
    }
  );
  await assert.rejects(
    fetchIndex("t", 2, () => {}),
    NetworkError,
  );
});
