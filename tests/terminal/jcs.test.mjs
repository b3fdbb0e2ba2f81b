// domain/jcs.js against the vectors shared with the server, and the refusals only JavaScript can meet.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  CanonicalFormError,
  GENESIS_HASH,
  canonicalBytes,
  canonicalize,
  chainHash,
} from "../../src/kassa/terminal/domain/jcs.js";

const shared = JSON.parse(readFileSync(new URL("../shared/jcs_cases.json", import.meta.url), "utf8"));
const { cases, errors, chains } = shared;

/** The shared file's value with each {"$float": "1.5"} made a JavaScript number. */
const native = (/** @type {any} */ value) => {
  if (Array.isArray(value)) return value.map(native);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$float") return Number(value.$float);
    return Object.fromEntries(keys.map((key) => [key, native(value[key])]));
  }
  return value;
};

/** @param {() => unknown} run @param {string} path */
const assertRefused = (run, path) =>
  assert.throws(run, (/** @type {any} */ error) => {
    assert.ok(error instanceof CanonicalFormError, String(error));
    assert.equal(error.path, path);
    assert.ok(error.message.startsWith(`${path || "(root)"}: `), error.message);
    return true;
  });

test("the shared file has vectors", () => {
  assert.ok(cases.length >= 20);
  assert.ok(errors.length >= 12);
  assert.deepEqual(
    chains.map((/** @type {any} */ chain) => chain.entries.length),
    [3],
  );
});

for (const vector of cases) {
  test(`vector: ${vector.name}`, () => {
    // when the case's value is canonicalised
    const text = canonicalize(vector.value);
    const bytes = canonicalBytes(vector.value);
    // then it is the hand-written form, and its bytes have the SHA-256 sha256sum computed
    assert.equal(text, vector.canonical);
    assert.deepEqual(Buffer.from(bytes), Buffer.from(vector.canonical, "utf8"));
    assert.equal(createHash("sha256").update(bytes).digest("hex"), vector.sha256);
    // and it reads back as the same JSON value (-0 reads back as 0), and canonicalises to itself
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(vector.value)));
    assert.equal(canonicalize(JSON.parse(text)), text);
  });
}

for (const refusal of errors) {
  test(`refused: ${refusal.name}`, () => {
    assertRefused(() => canonicalize(native(refusal.value)), refusal.path);
    assertRefused(() => canonicalBytes(native(refusal.value)), refusal.path);
  });
}

for (const chain of chains) {
  test(`chain: ${chain.name}`, async () => {
    // given the genesis hash, when each entry's hash is chained onto the previous one
    let prev = GENESIS_HASH;
    for (const [index, entry] of chain.entries.entries()) {
      assert.equal(canonicalize(entry), chain.canonical[index]);
      prev = await chainHash(prev, canonicalBytes(entry));
      // then each hash is the one sha256sum computed
      assert.equal(prev, chain.hashes[index]);
    }
  });
}

test("the genesis hash is 32 zero bytes", async () => {
  assert.equal(GENESIS_HASH, "0".repeat(64));
  const bytes = canonicalBytes({});
  const expected = createHash("sha256").update(new Uint8Array(32)).update(bytes).digest("hex");
  assert.equal(await chainHash(GENESIS_HASH, bytes), expected);
});

test("chainHash takes one spelling of a hash, and bytes only", async () => {
  for (const prev of ["0".repeat(63), "0".repeat(65), "A".repeat(64), ` ${"0".repeat(63)}`, "g".repeat(64), ""]) {
    await assert.rejects(chainHash(prev, new Uint8Array()), /64 lowercase hex digits/, prev);
  }
  await assert.rejects(chainHash(GENESIS_HASH, /** @type {any} */ ("{}")), /Uint8Array/);
});

test("-0 is written 0, as RFC 8785 and JSON.stringify write it", () => {
  assert.equal(canonicalize(-0), "0");
  assert.equal(canonicalize({ a: [-0, 0 * -1] }), '{"a":[0,0]}');
});

test("values only JavaScript has are refused, with the path", () => {
  class Line {
    qty = "1.000";
  }
  const sparse = new Array(3); // a hole at [1], on purpose
  sparse[0] = 1;
  sparse[2] = 3;
  const looped = /** @type {any[]} */ ([1]);
  looped.push(looped);
  /** @type {[unknown, string, RegExp][]} */
  const refused = [
    [1.5, "", /1\.5 is not an integer/],
    [{ qty: 0.1 + 0.2 }, "qty", /not an integer/],
    [NaN, "", /NaN is not an integer/],
    [Number.MAX_SAFE_INTEGER + 1, "", /beyond ±\(2\^53 − 1\)/],
    [{ a: undefined }, "a", /undefined is not a journal value/],
    [[undefined], "[0]", /undefined/],
    [{ f() {} }, "f", /a function/],
    [{ n: 1n }, "n", /the BigInt 1n/],
    [{ s: Symbol("s") }, "s", /a Symbol/],
    [{ at: new Date(0) }, "at", /a Date/],
    [{ m: new Map() }, "m", /a Map/],
    [{ line: new Line() }, "line", /a Line/],
    [{ boxed: new Number(1) }, "boxed", /a Number/],
    [{ boxed: new String("s") }, "boxed", /a String/],
    [{ bytes: new Uint8Array(1) }, "bytes", /a Uint8Array/],
    [{ sparse }, "sparse[1]", /array hole/],
    [{ [Symbol("k")]: 1 }, "", /Symbol key/],
    [{ a: looped }, "a[1]", /contains itself/],
    [undefined, "", /undefined/],
  ];
  for (const [value, path, message] of refused) {
    assertRefused(() => canonicalize(value), path);
    assert.throws(() => canonicalize(value), message);
  }
});

test("plain objects only: a null prototype is plain, toJSON is not called", () => {
  const bare = Object.create(null);
  bare.b = 1;
  bare.a = 2;
  assert.equal(canonicalize(bare), '{"a":2,"b":1}');
  // JSON.stringify would call toJSON; JCS of the value itself must not, so it is refused
  assertRefused(() => canonicalize({ toJSON: () => "x" }), "toJSON");
  const shared = [1];
  assert.equal(canonicalize([shared, shared]), "[[1],[1]]"); // the same array twice is fine
});

test("keys sort by UTF-16 code units: the emoji (U+D83D…) before U+E000", () => {
  assert.equal(canonicalize({ "\ue000": 1, "\u{1f600}": 2 }), '{"\u{1f600}":2,"\ue000":1}');
});

test("a lone surrogate is refused before TextEncoder could replace it", () => {
  assert.deepEqual([...new TextEncoder().encode("\ud800")], [0xef, 0xbf, 0xbd]); // what we avoid
  assertRefused(() => canonicalBytes({ s: "\ud800" }), "s");
  assert.throws(() => canonicalBytes("\udc00"), /lone surrogate U\+DC00/);
});

test("the same strings as JSON.stringify for every escape boundary", () => {
  // JSON.stringify escapes lone surrogates as \udxxx, which we refuse, so skip those
  for (let code = 0; code < 0x10000; code += 1) {
    if (code >= 0xd800 && code <= 0xdfff) continue;
    const text = `a${String.fromCharCode(code)}b`;
    assert.equal(canonicalize(text), JSON.stringify(text));
  }
});
