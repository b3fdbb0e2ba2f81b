// @ts-check
/**
 * The one canonical byte form of a journal entry, and the hash chain built on it.
 *
 * The terminal writes journal entries and the server verifies them, so both must turn
 * the same entry into the same bytes. The form is RFC 8785, the JSON Canonicalization
 * Scheme (JCS): object keys sorted by UTF-16 code units, no whitespace, strings escaped
 * exactly as `JSON.stringify` escapes them, everything else literal UTF-8.
 *
 * Kassa narrows JCS in one place: the only numbers are integers within ±(2^53 − 1)
 * (`Number.isSafeInteger`). Money and quantities travel as decimal strings, so a
 * fraction in an entry is a bug. `-0` is written `0`, as RFC 8785 and `JSON.stringify`
 * write it: arithmetic can produce it (`-1 * 0`), and the server reads the text "-0" as
 * the integer 0 anyway.
 *
 * The server's `src/kassa/jcs.py` implements the same rules; both are held to
 * `tests/shared/jcs_cases.json`. The rules are written down in `docs/journal.md`.
 */

/** The `prev_hash` of a journal's first entry: 32 zero bytes, in hex. */
export const GENESIS_HASH = "0".repeat(64);

/** A value the journal cannot hold; `path` names where (`payload.lines[2].qty`). */
export class CanonicalFormError extends Error {
  /**
   * @param {string} path
   * @param {string} problem
   */
  constructor(path, problem) {
    super(`${path || "(root)"}: ${problem}`);
    this.name = "CanonicalFormError";
    this.path = path;
    this.problem = problem;
  }
}

// With the u flag a well-formed pair is one code point, so this finds lone halves only.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HASH_HEX = /^[0-9a-f]{64}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 to U+001F are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/g;
/** @type {Record<string, string>} */
const SHORT_ESCAPES = { '"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r" };

/**
 * The RFC 8785 form of `value` as a string (encode it with `canonicalBytes`).
 *
 * Takes plain objects (prototype Object or null, string keys), arrays without holes,
 * strings without lone surrogates, safe integers, booleans and null. Anything else
 * (a fraction, NaN, undefined, a function, a BigInt, a Symbol, a Date, a Map...) throws
 * a CanonicalFormError that names the path.
 *
 * @param {unknown} value
 * @returns {string}
 */
export function canonicalize(value) {
  /** @type {string[]} */
  const parts = [];
  write(value, "", parts, new Set());
  return parts.join("");
}

/**
 * The UTF-8 bytes of the canonical form: the bytes that are hashed.
 *
 * @param {unknown} value
 * @returns {Uint8Array}
 */
export function canonicalBytes(value) {
  // Exact: canonicalize refuses lone surrogates, the only thing TextEncoder would replace.
  return new TextEncoder().encode(canonicalize(value));
}

/**
 * SHA-256 of the previous entry's hash (32 raw bytes) followed by this entry's canonical
 * bytes, as lowercase hex. The first entry's `prev_hash` is GENESIS_HASH.
 *
 * @param {string} prevHashHex exactly 64 lowercase hex digits
 * @param {Uint8Array} bytes the entry's `canonicalBytes`
 * @returns {Promise<string>}
 */
export async function chainHash(prevHashHex, bytes) {
  if (typeof prevHashHex !== "string" || !HASH_HEX.test(prevHashHex)) {
    throw new TypeError(`prev_hash must be 64 lowercase hex digits, not ${JSON.stringify(prevHashHex)}`);
  }
  if (!(bytes instanceof Uint8Array)) throw new TypeError("bytes must be a Uint8Array");
  const input = new Uint8Array(32 + bytes.length);
  for (let i = 0; i < 32; i += 1) input[i] = parseInt(prevHashHex.slice(2 * i, 2 * i + 2), 16);
  input.set(bytes, 32);
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", input));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * @param {unknown} value
 * @param {string} path
 * @param {string[]} parts
 * @param {Set<object>} open containers being written, to refuse a value inside itself
 */
function write(value, path, parts, open) {
  if (value === null) {
    parts.push("null");
  } else if (value === true || value === false) {
    parts.push(String(value));
  } else if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      const problem = Number.isInteger(value)
        ? `integer ${value} is beyond ±(2^53 − 1); a JavaScript number cannot hold it exactly`
        : `${value} is not an integer; the journal takes integers only (write amounts and quantities as decimal strings)`;
      throw new CanonicalFormError(path, problem);
    }
    parts.push(String(value)); // String(-0) is "0", as RFC 8785 wants
  } else if (typeof value === "string") {
    parts.push(quote(value, path, "a string"));
  } else if (Array.isArray(value)) {
    enter(value, path, open);
    parts.push("[");
    for (let index = 0; index < value.length; index += 1) {
      if (index) parts.push(",");
      // JSON.stringify would write a hole as null; the server could not tell.
      if (!(index in value)) throw new CanonicalFormError(`${path}[${index}]`, "an array hole is not a journal value");
      write(value[index], `${path}[${index}]`, parts, open);
    }
    parts.push("]");
    open.delete(value);
  } else if (isPlainObject(value)) {
    enter(value, path, open);
    if (Object.getOwnPropertySymbols(value).length) {
      throw new CanonicalFormError(path, "a Symbol key is not a journal value; object keys must be strings");
    }
    const keys = Object.keys(value);
    for (const key of keys) refuseSurrogates(key, path, "a key");
    parts.push("{");
    // RFC 8785 §3.2.3: keys in UTF-16 code unit order, which is what the default sort compares.
    keys.sort().forEach((key, index) => {
      if (index) parts.push(",");
      parts.push(quote(key, path, "a key"), ":");
      write(/** @type {Record<string, unknown>} */ (value)[key], childPath(path, key), parts, open);
    });
    parts.push("}");
    open.delete(value);
  } else {
    throw new CanonicalFormError(
      path,
      `${describe(value)} is not a journal value (it takes plain objects, arrays, strings, safe integers, booleans and null)`,
    );
  }
}

/**
 * @param {unknown} value
 * @returns {value is object}
 */
function isPlainObject(value) {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * @param {object} container
 * @param {string} path
 * @param {Set<object>} open
 */
function enter(container, path, open) {
  if (open.has(container)) throw new CanonicalFormError(path, "the value contains itself");
  open.add(container);
}

/**
 * A JSON string exactly as JSON.stringify writes it (RFC 8785 §3.2.2.2).
 *
 * @param {string} text
 * @param {string} path
 * @param {string} what
 */
function quote(text, path, what) {
  refuseSurrogates(text, path, what);
  return `"${text.replace(NEEDS_ESCAPE, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}"`;
}

/**
 * A lone surrogate has no UTF-8 form: TextEncoder would silently write U+FFFD instead,
 * and the terminal and the server would hash different bytes.
 *
 * @param {string} text
 * @param {string} path
 * @param {string} what
 */
function refuseSurrogates(text, path, what) {
  const found = LONE_SURROGATE.exec(text);
  if (found) {
    const unit = found[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    throw new CanonicalFormError(path, `${what} with a lone surrogate U+${unit} has no UTF-8 form`);
  }
}

/**
 * @param {string} path
 * @param {string} key
 */
function childPath(path, key) {
  if (IDENTIFIER.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${quote(key, path, "a key")}]`;
}

/** @param {unknown} value */
function describe(value) {
  if (value === undefined) return "undefined";
  if (typeof value === "function") return "a function";
  if (typeof value === "bigint") return `the BigInt ${value}n`;
  if (typeof value === "symbol") return "a Symbol";
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return name ? `a ${name}` : "an object";
}
