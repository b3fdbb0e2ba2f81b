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
 * - the header: UTF-8 JSON `{"format", "version", "index"}`, `index` the StoredIndex with
 *   each typed array replaced by `{"$": "f64" | "i32" | "u8", "at", "n"}` (n elements) and
 *   each string by `{"$": "utf8", "at", "n"}` (n bytes); an object that has a "$" key of its
 *   own (an extra column's value) is kept as `{"$": "obj", "v": …}`;
 * - zeros to a multiple of 8, then the sections in the header's order, each at a multiple
 *   of 8 (`at` counts from the first section's first byte).
 */

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
  const header = encoder.encode(JSON.stringify({ format: index.format, version, index: tree }));
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
