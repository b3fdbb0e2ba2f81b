// domain/pin.js: PBKDF2 PIN verifiers through WebCrypto, and the lockout policy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pbkdf2Sync } from "node:crypto";
import {
  DEFAULT_LOCKOUT,
  checkPin,
  createLockoutState,
  decodeBase64,
  lockoutStatus,
  recordPinFailure,
  verifyPin,
} from "../../src/kassa/terminal/domain/pin.js";

/** A verifier made the way the server makes one, with node's own PBKDF2. */
function makeVerifier(/** @type {string} */ pin, iterations = 1000) {
  const salt = Buffer.from("kassa-salt-1234");
  return /** @type {const} */ ({
    algorithm: "pbkdf2_sha256",
    iterations,
    salt: salt.toString("base64"),
    hash: pbkdf2Sync(pin, salt, iterations, 32, "sha256").toString("base64"),
  });
}

test("PBKDF2-HMAC-SHA256 matches RFC 7914's test vector", async () => {
  const hash = Buffer.from(
    "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783",
    "hex",
  ).toString("base64");
  const salt = Buffer.from("salt").toString("base64");
  assert.equal(await verifyPin("passwd", { algorithm: "pbkdf2_sha256", iterations: 1, salt, hash }), true);
  assert.equal(await verifyPin("passwe", { algorithm: "pbkdf2_sha256", iterations: 1, salt, hash }), false);
});

test("a right PIN passes, a wrong one does not", async () => {
  const verifier = makeVerifier("4711");
  assert.equal(await verifyPin("4711", verifier), true);
  assert.equal(await verifyPin("4712", verifier), false);
  assert.equal(await verifyPin("", verifier), false);
  assert.equal(await verifyPin("47110", verifier), false);
  assert.equal(await verifyPin("€ü", makeVerifier("€ü")), true); // UTF-8 like the server
});

test("bad verifiers are refused", async () => {
  const verifier = makeVerifier("1");
  await assert.rejects(verifyPin("1", { ...verifier, algorithm: /** @type {any} */ ("md5") }), /unknown PIN algorithm/);
  await assert.rejects(verifyPin("1", { ...verifier, iterations: 0 }), /iterations/);
  await assert.rejects(verifyPin("1", { ...verifier, hash: "not base64!" }), /not base64/);
  await assert.rejects(verifyPin("1", { ...verifier, hash: "" }), /empty hash/);
});

test("base64 decoding", () => {
  for (const text of ["", "a", "ab", "abc", "abcd", "\u0000\u00ff\u0080 binary"]) {
    const bytes = Buffer.from(text, "latin1");
    assert.deepEqual(Buffer.from(decodeBase64(bytes.toString("base64"))), bytes);
    assert.deepEqual(Buffer.from(decodeBase64(bytes.toString("base64").replace(/=+$/, ""))), bytes);
  }
  assert.throws(() => decodeBase64("a"), TypeError);
  assert.throws(() => decodeBase64("ab-_"), TypeError);
  assert.throws(() => decodeBase64("ab==="), TypeError);
});

test("five wrong PINs lock for 30 s, then 60 s, doubling up to the cap", () => {
  let state = createLockoutState();
  let now = 1_000_000;
  for (let i = 0; i < 4; i++) state = recordPinFailure(state, now);
  assert.deepEqual(lockoutStatus(state, now), { locked: false, retryAt: null });
  state = recordPinFailure(state, now);
  assert.deepEqual(lockoutStatus(state, now), { locked: true, retryAt: now + 30_000 });
  // failures while locked do not count
  assert.equal(recordPinFailure(state, now + 1000), state);
  // after the lock, five more wrong PINs lock for 60 s
  now += 30_000;
  assert.equal(lockoutStatus(state, now).locked, false);
  for (let i = 0; i < 5; i++) state = recordPinFailure(state, now);
  assert.deepEqual(lockoutStatus(state, now), { locked: true, retryAt: now + 60_000 });
  // and the lock never exceeds maxLockMs
  let long = { failures: 0, lockouts: 20, lockedUntil: 0 };
  for (let i = 0; i < 5; i++) long = recordPinFailure(long, 0);
  assert.equal(long.lockedUntil, DEFAULT_LOCKOUT.maxLockMs);
  // a custom policy
  const strict = { maxFailures: 3, lockMs: 1000, maxLockMs: 10_000 };
  let custom = createLockoutState();
  for (let i = 0; i < 3; i++) custom = recordPinFailure(custom, 0, strict);
  assert.equal(custom.lockedUntil, 1000);
});

test("checkPin: locked cashiers are not checked, a right PIN resets the series", async () => {
  const verifier = makeVerifier("1234");
  let state = createLockoutState();
  let now = 0;
  for (let i = 0; i < 5; i++) {
    const outcome = await checkPin({ pin: "0000", verifier, state, now });
    assert.equal(outcome.ok, false);
    state = outcome.state;
  }
  // locked: even the right PIN is refused until retryAt
  const locked = await checkPin({ pin: "1234", verifier, state, now: now + 29_999 });
  assert.deepEqual([locked.ok, locked.locked, locked.retryAt], [false, true, 30_000]);
  assert.equal(locked.state, state);
  // after the lock, the right PIN passes and resets the series
  now = 30_000;
  const right = await checkPin({ pin: "1234", verifier, state, now });
  assert.deepEqual([right.ok, right.locked, right.state], [true, false, createLockoutState()]);
  // the fifth wrong PIN reports the lock at once
  state = right.state;
  let last;
  for (let i = 0; i < 5; i++) {
    last = await checkPin({ pin: "9", verifier, state, now });
    state = last.state;
  }
  assert.deepEqual([last?.locked, last?.retryAt], [true, now + 30_000]);
});
