// domain/scan.js: scanner runs against human typing, key by key.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createScanState, scanDeadline, scanKey, scanTick } from "../../src/kassa/terminal/domain/scan.js";

/**
 * Drive the machine like a page would: apply each key to a text field unless swallowed,
 * insert released text before it, take back retracted characters on a scan, and fire the
 * timer when it is due before the next key.
 * @param {Array<[string, number]>} keys [key, time]
 * @param {{editable?: boolean, end?: number, options?: object}} [setup]
 */
function simulate(keys, { editable = true, end = Infinity, options = {} } = {}) {
  let state = createScanState();
  let field = "";
  /** @type {string[]} */
  const scans = [];
  const swallowed = [];
  /** @param {{release: string, scan: {code: string, retract: number} | null}} outcome */
  const apply = (outcome) => {
    field += outcome.release;
    if (outcome.scan) {
      field = field.slice(0, field.length - outcome.scan.retract);
      scans.push(outcome.scan.code);
    }
  };
  const tickUntil = (/** @type {number} */ time) => {
    const deadline = scanDeadline(state, options);
    if (deadline !== null && deadline <= time) {
      const outcome = scanTick(state, deadline, options);
      state = outcome.state;
      apply(outcome);
    }
  };
  for (const [key, time] of keys) {
    tickUntil(time);
    const outcome = scanKey(state, { key, time, editable }, options);
    state = outcome.state;
    apply(outcome);
    if (outcome.swallow) swallowed.push(key);
    else if (key.length === 1) field += key;
    else if (key === "Enter") field += "⏎";
  }
  tickUntil(end);
  return { field, scans, swallowed, state };
}

/** @param {string} text @param {number} start @param {number} step */
const typed = (text, start, step) =>
  [...text].map((key, i) => /** @type {[string, number]} */ ([key, start + i * step]));

test("a fast run ended by Enter is a scan, even into a focused search box", () => {
  // given a search box holding "co", and a scanner typing 8 ms per key plus Enter
  const keys = [...typed("co", 0, 200), ...typed("4006381333931", 1000, 8), ["Enter", 1000 + 13 * 8]];
  const { field, scans, swallowed } = simulate(/** @type {any} */ (keys));
  // then the scan is reported, the field keeps only what the human typed, Enter is swallowed
  assert.deepEqual(scans, ["4006381333931"]);
  assert.equal(field, "co");
  assert.equal(swallowed.length, 13); // 12 held digits + Enter; the first digit went through and came back out
  assert.ok(swallowed.includes("Enter"));
});

test("a fast run without Enter is a scan after 100 ms of silence", () => {
  const { field, scans } = simulate(typed("96385074", 0, 10), { editable: false });
  assert.deepEqual(scans, ["96385074"]);
  assert.equal(field, "");
});

test("with nothing editable focused, even the first character is held", () => {
  let state = createScanState();
  const first = scanKey(state, { key: "9", time: 0, editable: false });
  assert.equal(first.swallow, true);
  // and a lone key comes back when the next key is late
  assert.equal(scanDeadline(first.state), 51);
  assert.deepEqual(scanTick(first.state, 50).release, "");
  const later = scanTick(first.state, 51);
  assert.deepEqual([later.release, later.scan, later.state.buffer], ["9", null, ""]);
  state = later.state;
  assert.equal(scanDeadline(state), null);
});

test("a human typing a search into the box types normally", () => {
  // given a human typing "Cola Zero 33" at 90–160 ms per key, with a Backspace fix
  const keys = [];
  let time = 0;
  for (const key of "Cola Zero 33") {
    time += 90 + ((key.charCodeAt(0) * 7) % 70);
    keys.push([key, time]);
  }
  keys.push(["Backspace", time + 150]);
  const { field, scans, swallowed } = simulate(/** @type {any} */ (keys));
  assert.deepEqual(scans, []);
  assert.deepEqual(swallowed, []);
  assert.equal(field, "Cola Zero 33"); // Backspace is not a text key in this simulation
});

test("a fast typist's burst is held briefly, then given back in order", () => {
  // given "the" with 30 ms between t and h, then a pause, then e
  const { field, scans, swallowed } = simulate([
    ["t", 0],
    ["h", 30],
    ["e", 200],
  ]);
  assert.deepEqual(scans, []);
  assert.deepEqual(swallowed, ["h"]);
  assert.equal(field, "the");
  // and a burst of five keys is still not a scan (fewer than 6 characters)
  const five = simulate(typed("hello", 0, 20));
  assert.deepEqual([five.field, five.scans], ["hello", []]);
  // and Enter after a short burst submits normally, after the held keys
  const enter = simulate([...typed("abc", 0, 20), ["Enter", 70]]);
  assert.deepEqual([enter.field, enter.scans, enter.swallowed], ["abc⏎", [], ["b", "c"]]);
});

test("slow keys are never a scan, however many", () => {
  const { field, scans } = simulate([...typed("4006381333931", 0, 60), ["Enter", 800]]);
  assert.deepEqual(scans, []);
  assert.equal(field, "4006381333931⏎");
});

test("two scans in a row, letters with Shift, and a custom terminator", () => {
  const keys = [
    ...typed("96385074", 0, 5),
    ["Enter", 40],
    ["Shift", 300],
    ["A", 301],
    ["Shift", 305],
    ["B", 306],
    ...typed("C12345", 311, 5),
    ["Enter", 345],
  ];
  const { field, scans } = simulate(/** @type {any} */ (keys));
  assert.deepEqual(scans, ["96385074", "ABC12345"]);
  assert.equal(field, "");
  const tab = simulate([...typed("96385074", 0, 5), ["Tab", 40]], { options: { terminators: ["Tab"] } });
  assert.deepEqual([tab.scans, tab.swallowed.at(-1)], [["96385074"], "Tab"]);
});

test("a new key after the gap settles the previous scan first", () => {
  // given a scan without suffix and a human key 70 ms later (after maxGap, before the timer ran)
  let state = createScanState();
  for (const [key, time] of typed("96385074", 0, 5)) state = scanKey(state, { key, time, editable: true }).state;
  const next = scanKey(state, { key: "x", time: 105, editable: true });
  assert.deepEqual(next.scan, { code: "96385074", retract: 1 });
  assert.equal(next.swallow, false);
  assert.equal(next.state.buffer, "x");
});

test("key repeats, modifiers and other keys end a run and pass", () => {
  let state = scanKey(createScanState(), { key: "1", time: 0, editable: true }).state;
  state = scanKey(state, { key: "2", time: 10, editable: true }).state;
  const repeat = scanKey(state, { key: "2", time: 20, editable: true, repeat: true });
  assert.deepEqual([repeat.swallow, repeat.release, repeat.state.buffer], [false, "2", ""]);
  const ctrl = scanKey(state, { key: "v", time: 20, editable: true, ctrlKey: true });
  assert.deepEqual([ctrl.swallow, ctrl.release], [false, "2"]);
  const arrow = scanKey(state, { key: "ArrowLeft", time: 20, editable: true });
  assert.deepEqual([arrow.swallow, arrow.release, arrow.scan], [false, "2", null]);
  // a held-down key: first press, then auto-repeats every 33 ms; never a scan, never held
  let hold = scanKey(createScanState(), { key: "0", time: 0, editable: true });
  for (let i = 0; i < 20; i++) {
    hold = scanKey(hold.state, { key: "0", time: 500 + i * 33, editable: true, repeat: true });
    assert.deepEqual([hold.swallow, hold.scan, hold.release], [false, null, ""]);
  }
  assert.equal(scanDeadline(hold.state), null);
});

test("a run too long for a barcode is handed back", () => {
  const { field, scans } = simulate(typed("x".repeat(70), 0, 5), { options: { maxLength: 64 } });
  assert.deepEqual(scans, []);
  assert.equal(field, "x".repeat(70));
});

test("timing thresholds are options", () => {
  const slowScanner = simulate([...typed("96385074", 0, 70), ["Enter", 8 * 70]], {
    options: { maxGap: 80, endGap: 150 },
  });
  assert.deepEqual(slowScanner.scans, ["96385074"]);
  const shortCodes = simulate([...typed("1234", 0, 5), ["Enter", 25]], { options: { minLength: 4 } });
  assert.deepEqual(shortCodes.scans, ["1234"]);
});

test("the state is immutable", () => {
  const state = createScanState();
  const next = scanKey(state, { key: "1", time: 0, editable: true });
  assert.equal(state.buffer, "");
  assert.ok(Object.isFrozen(next.state));
});

test("a receipt number scanned from a receipt's code, with its dashes, is one scan (refunds)", () => {
  const keys = [...typed("POS1-1-000042", 0, 10), ["Enter", 130]];
  const { field, scans } = simulate(/** @type {any} */ (keys), { editable: false });
  assert.deepEqual(scans, ["POS1-1-000042"]);
  assert.equal(field, "");
});
