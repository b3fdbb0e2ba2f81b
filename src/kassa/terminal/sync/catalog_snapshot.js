// @ts-check
/**
 * The catalog's search index as the server builds it (`GET catalog/index`,
 * kassa/server/catalog/tillindex.py): the index domain/search.js builds from the product
 * pages (StoredIndex), in a binary form the till turns back into its typed arrays and
 * strings without touching each product. The server builds it once per catalog version for
 * every till; the till then fetches the changes since its version as pages (`since`) and
 * applies them in place, as for any catalog update.
 *
 * The form (little-endian), written by `encodeIndex` here and by the server byte for byte
 * alike (tests/server/catalog/test_tillindex.py compares them):
 * - "KIX1", then the header's length in bytes (uint32);
 * - the header: UTF-8 JSON `{"format", "version", "sections", "index"}` (`sections`: the
 *   bytes after the header's padding, so that a reader knows the whole size from the first
 *   bytes, through any proxy), `index` the StoredIndex with
 *   each typed array replaced by `{"$": "f64" | "i32" | "u8", "at", "n"}` (n elements) and
 *   each string by `{"$": "utf8", "at", "n"}` (n bytes); an object that has a "$" key of its
 *   own (an extra column's value) is kept as `{"$": "obj", "v": …}`;
 * - zeros to a multiple of 8, then the sections in the header's order, each at a multiple
 *   of 8 (`at` counts from the first section's first byte).
 */

import { ApiError, API_BASE, NetworkError } from "./api.js";
import { errorFromBody } from "../domain/errors.js";

const MAGIC = "KIX1";
const TYPES = /** @type {const} */ ({ f64: Float64Array, i32: Int32Array, u8: Uint8Array });
/** Whether typed arrays of this machine are little-endian (every till's CPU): else no snapshot. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * @param {number} n
 */
const align8 = (n) => (n + 7) & ~7;

/**
 * The index in the binary form (for the tests, which compare it with the server's, and the
 * benchmarks).
 * @param {import("../domain/search.js").StoredIndex} index  as stored (storableSearchIndex)
 * @param {number} version  the catalog version it was built at
 * @returns {Uint8Array}
 */
export function encodeIndex(index, version) {
  const encoder = new TextEncoder();
  /** @type {Uint8Array[]} */
  const sections = [];
  let at = 0;
  /** @param {Uint8Array} bytes */
  const place = (bytes) => {
    const start = at;
    sections.push(bytes);
    at = align8(at + bytes.length);
    return start;
  };
  /** @param {unknown} value @returns {unknown} */
  const walk = (value) => {
    if (typeof value === "string") {
      const bytes = encoder.encode(value);
      return { $: "utf8", at: place(bytes), n: bytes.length };
    }
    if (ArrayBuffer.isView(value)) {
      const type =
        value instanceof Float64Array
          ? "f64"
          : value instanceof Int32Array
            ? "i32"
            : value instanceof Uint8Array
              ? "u8"
              : null;
      if (!type) throw new TypeError(`no binary form for ${value.constructor.name}`);
      const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      return { $: type, at: place(bytes), n: /** @type {Int32Array} */ (value).length };
    }
    if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : walk(item)));
    if (value !== null && typeof value === "object") {
      /** @type {Record<string, unknown>} */
      const out = {};
      for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = walk(item);
      return "$" in out ? { $: "obj", v: out } : out;
    }
    return value;
  };
  const tree = walk(index);
  const header = encoder.encode(JSON.stringify({ format: index.format, version, sections: at, index: tree }));
  const start = align8(8 + header.length);
  const out = new Uint8Array(start + at);
  out.set(encoder.encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  let offset = start;
  for (const bytes of sections) {
    out.set(bytes, offset);
    offset = align8(offset + bytes.length);
  }
  return out;
}

/**
 * The index back from its binary form: each typed array a copy of its bytes (its own
 * memory, so that IndexedDB stores it alone), each string decoded once.
 * @param {ArrayBuffer} buffer
 * @returns {{format: number, version: number, index: import("../domain/search.js").StoredIndex}}
 */
export function decodeIndex(buffer) {
  const bytes = new Uint8Array(buffer);
  if (buffer.byteLength < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) {
    throw new TypeError("not a catalog index");
  }
  const length = new DataView(buffer).getUint32(4, true);
  const head = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  const base = align8(8 + length);
  const text = new TextDecoder("utf-8", { fatal: true });
  /** @param {any} value @returns {any} */
  const walk = (value) => {
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== "object") return value;
    const kind = value.$;
    if (kind === undefined) {
      /** @type {Record<string, unknown>} */
      const out = {};
      for (const key of Object.keys(value)) out[key] = walk(value[key]);
      return out;
    }
    if (kind === "obj") {
      /** @type {Record<string, unknown>} */
      const out = {};
      for (const key of Object.keys(value.v)) out[key] = walk(value.v[key]);
      return out;
    }
    const start = base + value.at;
    const Type = kind === "utf8" ? Uint8Array : TYPES[/** @type {keyof typeof TYPES} */ (kind)];
    if (!Type) throw new TypeError(`unknown section ${kind}`);
    const end = start + value.n * Type.BYTES_PER_ELEMENT;
    if (end > buffer.byteLength) throw new TypeError("a catalog index cut short");
    if (kind === "utf8") return text.decode(bytes.subarray(start, end));
    return new Type(buffer.slice(start, end));
  };
  return { format: head.format, version: head.version, index: walk(head.index) };
}

/**
 * @typedef {{format: number, version: number, index: import("../domain/search.js").StoredIndex}} IndexSnapshot
 */

/**
 * The server's index of the catalog (`GET catalog/index`), read as it arrives (the progress
 * in products, from the share of its bytes read) and decoded; null when the server has none
 * for this till's format (an older server without the endpoint, or another format: 404), or
 * sends something that is not one: the till then builds its index from the pages.
 * @param {string} token  the device token
 * @param {number} format  domain/search.js INDEX_FORMAT
 * @param {(progress: {loaded: number, total: number | null}) => void} onProgress
 * @returns {Promise<IndexSnapshot | null>}
 */
export async function fetchIndex(token, format, onProgress) {
  if (!LITTLE_ENDIAN) return null;
  let response;
  try {
    response = await fetch(`${API_BASE}catalog/index?format=${format}`, {
      headers: { Accept: "application/octet-stream, application/json", Authorization: `Bearer ${token}` },
      cache: "no-store",
      signal: AbortSignal.timeout(300_000),
    });
  } catch (error) {
    throw new NetworkError(error instanceof Error ? error.message : String(error));
  }
  const type = response.headers.get("Content-Type") ?? "";
  if (response.status === 404) return null;
  if (!response.ok) {
    if (!type.includes("application/json")) throw new NetworkError(`HTTP ${response.status} from catalog/index`);
    const { code, message } = errorFromBody(await response.json().catch(() => null), response.status);
    if (response.status >= 500) throw new NetworkError(`HTTP ${response.status}: ${message}`);
    throw new ApiError(response.status, code, message);
  }
  if (!type.includes("application/octet-stream") || !response.body) return null;
  const buffer = await readIndex(response.body, onProgress);
  const started = performance.now();
  let snapshot;
  try {
    snapshot = decodeIndex(buffer);
  } catch (error) {
    console.error("catalog index", error);
    return null;
  }
  performance.measure("kassa:index-decode", { start: started, end: performance.now() });
  return snapshot.format === format ? snapshot : null;
}

/**
 * The index's body read whole into one buffer, with the progress in products: its size and
 * product count are read from its own header as soon as that has arrived (a proxy between
 * the till and the server may drop the X-Index-* headers).
 * @param {ReadableStream<Uint8Array>} body
 * @param {(progress: {loaded: number, total: number | null}) => void} onProgress
 * @returns {Promise<ArrayBuffer>}
 */
async function readIndex(body, onProgress) {
  let buffer = new Uint8Array(1 << 20);
  let read = 0;
  let reported = 0;
  /** @type {{size: number, count: number} | null} */
  let known = null;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (read + value.length > buffer.length)
        buffer = grown(buffer, read, Math.max(buffer.length * 2, read + value.length));
      buffer.set(value, read);
      read += value.length;
      if (!known) {
        known = announced(buffer, read);
        if (known && known.size > buffer.length) buffer = grown(buffer, read, known.size);
      }
      // Every 2% or so: a state change per chunk of 64 KB would be thousands of renders.
      if (known && read - reported >= known.size / 50) {
        reported = read;
        onProgress({
          loaded: Math.min(known.count, Math.floor((known.count * read) / known.size)),
          total: known.count,
        });
      }
    }
  } catch (error) {
    throw new NetworkError(error instanceof Error ? error.message : String(error));
  }
  if (known) onProgress({ loaded: known.count, total: known.count });
  return read === buffer.length ? buffer.buffer : buffer.buffer.slice(0, read);
}

/**
 * @param {Uint8Array} buffer
 * @param {number} read
 * @param {number} length
 */
function grown(buffer, read, length) {
  const bigger = new Uint8Array(length);
  bigger.set(buffer.subarray(0, read));
  return bigger;
}

/**
 * The whole size and the product count an index's header announces, once it has arrived
 * (null before); what is not an index announces nothing (decodeIndex then refuses it).
 * @param {Uint8Array} bytes
 * @param {number} read
 * @returns {{size: number, count: number} | null}
 */
function announced(bytes, read) {
  if (read < 8) return null;
  const none = { size: Number.MAX_SAFE_INTEGER, count: 0 };
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) return none;
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  if (read < 8 + length) return null;
  try {
    const head = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
    const size = align8(8 + length) + head.sections;
    return Number.isSafeInteger(size) && Number.isSafeInteger(head.index.count)
      ? { size, count: head.index.count }
      : none;
  } catch {
    return none;
  }
}
