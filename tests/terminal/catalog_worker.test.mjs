// sync/catalog.js buildInWorker: the page's watch over the catalog worker, on a fake worker
// driven by the test (tests/browser/test_catalog.py runs the real one, and one that goes
// silent, in Chromium). A worker that dies must never leave the download screen waiting.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildInWorker } from "../../src/kassa/terminal/sync/catalog.js";
import { ApiError, NetworkError } from "../../src/kassa/terminal/sync/api.js";

console.error = () => {}; // the watch logs why it gave a worker up

class FakeWorker {
  constructor() {
    /** @type {unknown[]} */
    this.sent = [];
    this.terminated = false;
    /** @type {((event: {data: any}) => void) | null} */
    this.onmessage = null;
    /** @type {(() => void) | null} */
    this.onmessageerror = null;
    /** @type {((event: {message: string, preventDefault: () => void}) => void) | null} */
    this.onerror = null;
  }
  /** @param {unknown} data */
  postMessage(data) {
    this.sent.push(data);
  }
  terminate() {
    this.terminated = true;
  }
  /** @param {any} data */
  say(data) {
    this.onmessage?.({ data });
  }
  /** @param {string} message */
  fail(message) {
    this.onerror?.({ message, preventDefault() {} });
  }
}

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));
const PAGE_BUILT = { index: "built on the page", adding: 0, finishing: 0 };
const progress = { type: "progress", step: "products", loaded: 25_000, total: 50_000 };

/** @param {number} stallMs */
function watched(stallMs = 60) {
  const worker = new FakeWorker();
  /** @type {unknown[]} */
  const shown = [];
  let onPage = 0;
  const built = buildInWorker("device-token", (step) => shown.push(step), {
    create: () => /** @type {any} */ (worker),
    stallMs,
    onPage: async () => {
      onPage += 1;
      return /** @type {any} */ (PAGE_BUILT);
    },
  });
  return { worker, shown, built, pageRuns: () => onPage };
}

test("a worker that speaks keeps its download; one that then goes silent ends it with an error", async () => {
  // A worker that keeps saying it is alive, for three times the stall, is not given up
  const alive = watched(60);
  assert.deepEqual(alive.worker.sent, [{ token: "device-token" }]);
  alive.worker.say(progress);
  for (let n = 0; n < 9; n += 1) {
    await sleep(20);
    alive.worker.say({ type: "alive" });
  }
  alive.worker.say({ type: "index", index: "built in the worker", adding: 1, finishing: 2 });
  const result = await alive.built;
  assert.equal(result.index, "built in the worker");
  assert.deepEqual(alive.shown, [{ step: "products", loaded: 25_000, total: 50_000 }]);
  assert.ok(alive.worker.terminated);
  // A worker that said something, then nothing (killed, out of memory, closed itself)
  const silent = watched(60);
  silent.worker.say(progress);
  // not given up before its stall time: a 30 ms timer set now fires first (both on node's
  // timer clock; measured on performance.now, node's timer could look early, since it
  // counts from the event loop's turn and failed that way once under load)
  const settled = silent.built.then(
    () => "resolved",
    () => "rejected",
  );
  assert.equal(await Promise.race([settled, sleep(30).then(() => "pending")]), "pending");
  await assert.rejects(silent.built, /The catalog download stopped unexpectedly \(no word from its worker/);
  assert.ok(silent.worker.terminated);
  assert.equal(silent.pageRuns(), 0);
  // and what it says after being given up changes nothing
  silent.worker.say({ type: "index", index: "too late", adding: 0, finishing: 0 });
});

test("an error or an unreadable message after the worker started ends the download with an error", async () => {
  const failed = watched(10_000);
  failed.worker.say(progress);
  failed.worker.fail("Uncaught RangeError: Array buffer allocation failed");
  await assert.rejects(failed.built, /stopped unexpectedly \(Uncaught RangeError: Array buffer allocation failed\)/);
  assert.ok(failed.worker.terminated);
  const garbled = watched(10_000);
  garbled.worker.say({ type: "alive" });
  garbled.worker.onmessageerror?.();
  await assert.rejects(garbled.built, /stopped unexpectedly \(its worker's message could not be read\)/);
  assert.ok(garbled.worker.terminated);
  assert.equal(failed.pageRuns() + garbled.pageRuns(), 0);
});

test("a worker that never starts working is replaced by the page's own steps", async () => {
  // Its module did not load
  const broken = watched(10_000);
  broken.worker.fail("SyntaxError: Unexpected token");
  assert.deepEqual(await broken.built, PAGE_BUILT);
  assert.ok(broken.worker.terminated);
  assert.equal(broken.pageRuns(), 1);
  // It loaded but never said a word
  const mute = watched(30);
  assert.deepEqual(await mute.built, PAGE_BUILT);
  assert.ok(mute.worker.terminated);
  assert.equal(mute.pageRuns(), 1);
});

test("the worker's own errors come back as the errors the download screen knows", async () => {
  const refused = watched(10_000);
  refused.worker.say({
    type: "error",
    name: "ApiError",
    status: 401,
    code: "unauthorized",
    message: "Unknown device.",
  });
  const error = await refused.built.catch((failure) => failure);
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 401);
  assert.equal(error.code, "unauthorized");
  const offline = watched(10_000);
  offline.worker.say({ type: "error", name: "NetworkError", message: "Failed to fetch" });
  assert.ok((await offline.built.catch((failure) => failure)) instanceof NetworkError);
  assert.ok(refused.worker.terminated && offline.worker.terminated);
});
