// @ts-check
/**
 * Offline cashier PIN check and the lockout policy.
 *
 * The server sends each cashier's PIN verifier (never the PIN):
 * `{algorithm: "pbkdf2_sha256", iterations, salt, hash}` with salt and hash in base64
 * (standard alphabet, padded). The PIN is checked with WebCrypto's PBKDF2-HMAC-SHA-256,
 * the derived key's length being the hash's length; the comparison does not stop at the
 * first differing byte.
 *
 * Lockout: after `maxFailures` (5) wrong PINs in a row the cashier is locked for `lockMs`
 * (30 s); each further lock of the same series lasts twice the previous one, up to
 * `maxLockMs` (1 h). A right PIN ends the series. While locked, PINs are not even checked.
 * The state is a plain value (state in, state out) that the caller keeps per cashier.
 */

/**
 * @typedef {object} PinVerifier
 * @property {"pbkdf2_sha256"} algorithm
 * @property {number} iterations
 * @property {string} salt  base64
 * @property {string} hash  base64
 *
 * @typedef {object} LockoutPolicy
 * @property {number} maxFailures
 * @property {number} lockMs
 * @property {number} maxLockMs
 *
 * @typedef {object} LockoutState
 * @property {number} failures     wrong PINs since the last lock or success
 * @property {number} lockouts     locks in this series
 * @property {number} lockedUntil  ms timestamp; 0 when not locked
 *
 * @typedef {object} SubtleLike  the part of SubtleCrypto used here
 * @property {(format: "raw", key: Uint8Array, algorithm: "PBKDF2", extractable: false, usages: ["deriveBits"]) => Promise<unknown>} importKey
 * @property {(algorithm: {name: "PBKDF2", hash: "SHA-256", salt: Uint8Array, iterations: number}, key: any, length: number) => Promise<ArrayBuffer>} deriveBits
 */

/** @type {Readonly<LockoutPolicy>} */
export const DEFAULT_LOCKOUT = Object.freeze({ maxFailures: 5, lockMs: 30_000, maxLockMs: 3_600_000 });

/**
 * Whether `pin` matches the verifier.
 * @param {string} pin
 * @param {PinVerifier} verifier
 * @param {SubtleLike} [subtle] WebCrypto's crypto.subtle (the default)
 * @returns {Promise<boolean>}
 */
export async function verifyPin(pin, verifier, subtle = defaultSubtle()) {
  if (verifier.algorithm !== "pbkdf2_sha256") throw new TypeError(`unknown PIN algorithm ${verifier.algorithm}`);
  if (!Number.isSafeInteger(verifier.iterations) || verifier.iterations < 1) {
    throw new TypeError(`PIN verifier: iterations ${verifier.iterations}`);
  }
  const salt = decodeBase64(verifier.salt);
  const expected = decodeBase64(verifier.hash);
  if (expected.length === 0) throw new TypeError("PIN verifier: empty hash");
  const key = await subtle.importKey("raw", encodeUtf8(pin), "PBKDF2", false, ["deriveBits"]);
  const derived = new Uint8Array(
    await subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt, iterations: verifier.iterations },
      key,
      expected.length * 8,
    ),
  );
  let difference = derived.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) difference |= derived[i] ^ expected[i];
  return difference === 0;
}

/** @returns {LockoutState} */
export function createLockoutState() {
  return Object.freeze({ failures: 0, lockouts: 0, lockedUntil: 0 });
}

/**
 * @param {LockoutState} state
 * @param {number} now ms timestamp
 * @returns {{locked: boolean, retryAt: number | null}}
 */
export function lockoutStatus(state, now) {
  return now < state.lockedUntil ? { locked: true, retryAt: state.lockedUntil } : { locked: false, retryAt: null };
}

/**
 * A wrong PIN. Counts only when not locked.
 * @param {LockoutState} state
 * @param {number} now
 * @param {LockoutPolicy} [policy]
 * @returns {LockoutState}
 */
export function recordPinFailure(state, now, policy = DEFAULT_LOCKOUT) {
  if (lockoutStatus(state, now).locked) return state;
  const failures = state.failures + 1;
  if (failures < policy.maxFailures) return Object.freeze({ ...state, failures });
  const duration = Math.min(policy.lockMs * 2 ** state.lockouts, policy.maxLockMs);
  return Object.freeze({ failures: 0, lockouts: state.lockouts + 1, lockedUntil: now + duration });
}

/**
 * A right PIN ends the series.
 * @returns {LockoutState}
 */
export function recordPinSuccess() {
  return createLockoutState();
}

/**
 * Check a PIN under the lockout policy.
 * @param {object} attempt
 * @param {string} attempt.pin
 * @param {PinVerifier} attempt.verifier
 * @param {LockoutState} attempt.state
 * @param {number} attempt.now          ms timestamp when the PIN was entered
 * @param {LockoutPolicy} [attempt.policy]
 * @param {SubtleLike} [attempt.subtle]
 * @returns {Promise<{ok: boolean, locked: boolean, retryAt: number | null, state: LockoutState}>}
 */
export async function checkPin({ pin, verifier, state, now, policy = DEFAULT_LOCKOUT, subtle }) {
  const status = lockoutStatus(state, now);
  if (status.locked) return { ok: false, ...status, state };
  if (await verifyPin(pin, verifier, subtle))
    return { ok: true, locked: false, retryAt: null, state: recordPinSuccess() };
  const next = recordPinFailure(state, now, policy);
  return { ok: false, ...lockoutStatus(next, now), state: next };
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * Standard base64 (padding optional) to bytes; throws on anything else.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function decodeBase64(text) {
  const clean = text.replace(/=+$/, "");
  if (!/^[A-Za-z0-9+/]*$/.test(clean) || clean.length % 4 === 1 || text.length - clean.length > 2) {
    throw new TypeError(`not base64: ${JSON.stringify(text.slice(0, 20))}`);
  }
  const bytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let out = 0;
  for (let i = 0; i < clean.length; i++) {
    buffer = (buffer << 6) | BASE64.indexOf(clean[i]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[out++] = (buffer >> bits) & 0xff;
    }
  }
  return bytes;
}

/**
 * @param {string} text
 * @returns {Uint8Array}
 */
function encodeUtf8(text) {
  /** @type {number[]} */
  const bytes = [];
  for (const char of text) {
    const code = /** @type {number} */ (char.codePointAt(0));
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 63));
    else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    else bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
  }
  return Uint8Array.from(bytes);
}

/** @returns {SubtleLike} */
function defaultSubtle() {
  const subtle = /** @type {any} */ (globalThis).crypto?.subtle;
  if (!subtle) throw new Error("WebCrypto is not available (crypto.subtle needs a secure context)");
  return subtle;
}
