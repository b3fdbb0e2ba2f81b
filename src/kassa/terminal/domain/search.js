// @ts-check
/**
 * Product search for the terminal: by barcode (exact), internal reference (prefix) and name
 * (every query word is the start of a word of the name; case- and accent-insensitive).
 *
 * Built for a keystroke on 100,000 products in well under a millisecond of work per query:
 * - products are sorted by their normalised name, so "names that start with the query" is
 *   one contiguous range found by binary search, and every list below is in name order;
 * - a sorted array of the distinct name words, each with its slice of one Int32Array of
 *   product positions: a query word is a range of words found by binary search; the query
 *   word with the fewest candidates drives, the others are checked on the normalised name;
 * - a sorted array of references for prefix ranges; a Map for barcodes.
 * The index is rebuilt from scratch when the catalog changes (a few hundred ms for 100k);
 * figures in docs/terminal.md, from bench/terminal_search.mjs.
 *
 * Result order: exact barcode, exact reference, names starting with the query, references
 * starting with the query, then names with the query words anywhere; each group by name.
 */

import { normalizeBarcode } from "./barcode.js";

/**
 * @typedef {object} SearchableProduct
 * @property {number} id
 * @property {string} name
 * @property {string | null} [ref]
 * @property {readonly string[]} [barcodes]
 */

/**
 * @template {SearchableProduct} P
 * @typedef {object} SearchIndex
 * @property {P[]} products        sorted by normalised name
 * @property {string[]} names      normalised names, each with a leading space
 * @property {string[]} words      distinct words of all names, sorted
 * @property {Int32Array} wordStart postings of words[w] are postings[wordStart[w] .. wordStart[w + 1]]
 * @property {Int32Array} postings product positions, ascending per word
 * @property {string[]} refs       normalised references, sorted
 * @property {Int32Array} refPositions product position of refs[i]
 * @property {Map<string, number[]>} barcodes normalised barcode → product positions
 * @property {Uint32Array} marks   scratch space for queries
 * @property {{generation: number}} scratch
 */

const FOLDS = /** @type {Record<string, string>} */ ({
  ß: "ss",
  æ: "ae",
  œ: "oe",
  ø: "o",
  đ: "d",
  ð: "d",
  ł: "l",
  ı: "i",
  þ: "th",
});

/** Changes whenever the index's shape changes: a stored index of another format is rebuilt. */
export const INDEX_FORMAT = 1;

/**
 * The index as it can be stored (structured clone) and restored with `restoreSearchIndex`:
 * without its scratch space.
 * @template {SearchableProduct} P
 * @param {SearchIndex<P>} index
 */
export function storableSearchIndex(index) {
  const { marks, scratch, ...rest } = index;
  return rest;
}

/**
 * @template {SearchableProduct} P
 * @param {Omit<SearchIndex<P>, "marks" | "scratch">} stored
 * @returns {SearchIndex<P>}
 */
export function restoreSearchIndex(stored) {
  // An index stored by an earlier terminal also holds `byId` (products by id, which nothing
  // used): it is left out; the rest has the same format, so INDEX_FORMAT did not change.
  const { byId, ...rest } = /** @type {any} */ (stored);
  return { ...rest, marks: new Uint32Array(stored.products.length), scratch: { generation: 0 } };
}

/** @type {WeakMap<SearchIndex<any>, Map<number, any>>} */
const byIdOf = new WeakMap();

/**
 * A product of the index by id, or undefined. The map behind it is made on the first call
 * for an index and is not part of the index (nor of the stored copy).
 * @template {SearchableProduct} P
 * @param {SearchIndex<P>} index
 * @param {number} id
 * @returns {P | undefined}
 */
export function productById(index, id) {
  let byId = byIdOf.get(index);
  if (!byId) {
    byId = new Map(index.products.map((product) => [product.id, product]));
    byIdOf.set(index, byId);
  }
  return byId.get(id);
}

/**
 * Lowercase, without accents, words separated by single spaces: "Crème  Brûlée (2×)" →
 * "creme brulee 2".
 * @param {string} text
 * @returns {string}
 */
export function normalizeText(text) {
  let folded = text.toLowerCase();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the whole ASCII range, controls included, needs no folding
  if (!/^[\x00-\x7f]*$/.test(folded)) {
    folded = folded
      .normalize("NFD")
      .replace(/\p{M}+/gu, "")
      .replace(/[ßæœøđðłıþ]/g, (c) => FOLDS[c]);
  }
  return folded.replace(/[^\p{L}\p{N}]+/gu, " ").trim();
}

/** @param {string} ref */
function normalizeRef(ref) {
  return ref.trim().toLowerCase();
}

/**
 * Build the index. The products are kept (not copied) and returned by `searchProducts`.
 * @template {SearchableProduct} P
 * @param {readonly P[]} catalog
 * @returns {SearchIndex<P>}
 */
export function buildSearchIndex(catalog) {
  // Catalog names reuse a small vocabulary: each distinct space-separated piece is
  // normalised once (same result as normalising the whole name). join() keeps the strings
  // flat, which makes the sort's comparisons cheaper.
  /** @type {Map<string, string>} */
  const pieces = new Map();
  const n = catalog.length;
  /** @type {string[]} */
  const unsortedNames = new Array(n);
  for (let i = 0; i < n; i++) {
    /** @type {string[]} */
    const parts = [""];
    for (const piece of catalog[i].name.split(" ")) {
      let normal = pieces.get(piece);
      if (normal === undefined) {
        normal = normalizeText(piece);
        pieces.set(piece, normal);
      }
      if (normal) parts.push(normal);
    }
    unsortedNames[i] = parts.join(" "); // with a leading space
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    const x = unsortedNames[a];
    const y = unsortedNames[b];
    return x < y ? -1 : x > y ? 1 : catalog[a].id - catalog[b].id;
  });
  const products = order.map((i) => catalog[i]);
  const names = order.map((i) => unsortedNames[i]);

  /** @type {Map<string, number[]>} */
  const wordMap = new Map();
  /** @type {Array<[string, number]>} */
  const refPairs = [];
  /** @type {Map<string, number[]>} */
  const barcodes = new Map();
  for (let position = 0; position < n; position++) {
    const product = products[position];
    const words = names[position].split(" ");
    for (let k = 1; k < words.length; k++) {
      const list = wordMap.get(words[k]);
      if (!list) wordMap.set(words[k], [position]);
      else if (list[list.length - 1] !== position) list.push(position); // a word twice in one name
    }
    if (product.ref) refPairs.push([normalizeRef(product.ref), position]);
    for (const code of product.barcodes ?? []) {
      const key = normalizeBarcode(code);
      const list = barcodes.get(key);
      if (!list) barcodes.set(key, [position]);
      else if (!list.includes(position)) list.push(position);
    }
  }

  const words = [...wordMap.keys()].sort();
  const wordStart = new Int32Array(words.length + 1);
  let total = 0;
  for (let w = 0; w < words.length; w++) {
    wordStart[w] = total;
    total += /** @type {number[]} */ (wordMap.get(words[w])).length;
  }
  wordStart[words.length] = total;
  const postings = new Int32Array(total);
  for (let w = 0; w < words.length; w++) postings.set(/** @type {number[]} */ (wordMap.get(words[w])), wordStart[w]);

  refPairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  return {
    products,
    names,
    words,
    wordStart,
    postings,
    refs: refPairs.map((pair) => pair[0]),
    refPositions: Int32Array.from(refPairs, (pair) => pair[1]),
    barcodes,
    marks: new Uint32Array(products.length),
    scratch: { generation: 0 },
  };
}

/**
 * The products with this barcode (UPC-A and EAN-13 forms are the same key).
 * @template {SearchableProduct} P
 * @param {SearchIndex<P>} index
 * @param {string} code
 * @returns {P[]}
 */
export function lookupBarcode(index, code) {
  return (index.barcodes.get(normalizeBarcode(code)) ?? []).map((position) => index.products[position]);
}

/**
 * Search by barcode, reference and name.
 * @template {SearchableProduct} P
 * @param {SearchIndex<P>} index
 * @param {string} query what the cashier typed
 * @param {{limit?: number}} [options]
 * @returns {{items: P[], more: boolean}} at most `limit` (50) products; `more` when there are others
 */
export function searchProducts(index, query, { limit = 50 } = {}) {
  const trimmed = query.trim();
  /** @type {number[]} */
  const found = [];
  if (!trimmed || limit <= 0) return { items: [], more: false };
  const marks = index.marks;
  const generation = nextGeneration(index);
  const want = limit + 1; // one more than asked, to know whether there are more
  /** @param {number} position */
  const take = (position) => {
    if (marks[position] !== generation) {
      marks[position] = generation;
      found.push(position);
    }
    return found.length >= want;
  };
  const done = () => ({ items: found.slice(0, limit).map((p) => index.products[p]), more: found.length > limit });

  // 1. exact barcode
  if (!/\s/.test(trimmed)) {
    for (const position of index.barcodes.get(normalizeBarcode(trimmed)) ?? []) if (take(position)) return done();
  }
  // 2. exact reference
  const ref = normalizeRef(trimmed);
  const [refLo, refHi] = prefixRange(index.refs, ref);
  for (let i = refLo; i < refHi && index.refs[i] === ref; i++) if (take(index.refPositions[i])) return done();

  const text = normalizeText(trimmed);
  // 3. names that start with the query: one range of the sorted names
  if (text) {
    const [lo, hi] = prefixRange(index.names, " " + text);
    for (let position = lo; position < hi; position++) if (take(position)) return done();
  }
  // 4. references that start with the query
  for (let i = refLo; i < refHi; i++) if (take(index.refPositions[i])) return done();
  // 5. names with every query word as the start of one of their words
  if (text) {
    const tokens = text.split(" ");
    const ranges = tokens.map((token) => prefixRange(index.words, token));
    const counts = ranges.map(([lo, hi]) => index.wordStart[hi] - index.wordStart[lo]);
    let driver = 0;
    for (let t = 1; t < tokens.length; t++) if (counts[t] < counts[driver]) driver = t;
    if (counts[driver] > 0) {
      const others = tokens.filter((_, t) => t !== driver).map((token) => " " + token);
      const matches = (/** @type {number} */ position) =>
        others.every((token) => index.names[position].includes(token));
      for (const position of candidatesInOrder(index, ranges[driver])) {
        if (marks[position] !== generation && matches(position) && take(position)) return done();
      }
    }
  }
  return done();
}

/**
 * Product positions under a range of words, ascending, without duplicates; lazily, so a
 * query stops as soon as it has enough.
 * @param {SearchIndex<any>} index
 * @param {[number, number]} range
 * @returns {Iterable<number>}
 */
function* candidatesInOrder(index, [lo, hi]) {
  const { wordStart, postings } = index;
  const start = wordStart[lo];
  const end = wordStart[hi];
  if (hi - lo === 1) {
    for (let i = start; i < end; i++) yield postings[i];
    return;
  }
  if (end - start <= 4096) {
    const gathered = postings.slice(start, end).sort();
    for (let i = 0; i < gathered.length; i++) if (i === 0 || gathered[i] !== gathered[i - 1]) yield gathered[i];
    return;
  }
  // Many words (a one-letter query): mark the candidates, then walk the products in order.
  const seen = new Uint8Array(index.products.length);
  for (let i = start; i < end; i++) seen[postings[i]] = 1;
  for (let position = 0; position < seen.length; position++) if (seen[position]) yield position;
}

/**
 * The range [lo, hi) of a sorted string array whose items start with `prefix`.
 * @param {readonly string[]} sorted
 * @param {string} prefix
 * @returns {[number, number]}
 */
function prefixRange(sorted, prefix) {
  // Every string s with prefix <= s < prefix + U+FFFF starts with the prefix (normalised text
  // never contains U+FFFF), so two binary searches bound the range exactly.
  return [lowerBound(sorted, prefix), lowerBound(sorted, prefix + "\uffff")];
}

/**
 * @param {readonly string[]} sorted
 * @param {string} value
 */
function lowerBound(sorted, value) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** @param {SearchIndex<any>} index */
function nextGeneration(index) {
  index.scratch.generation += 1;
  if (index.scratch.generation === 0xffffffff) {
    index.marks.fill(0);
    index.scratch.generation = 1;
  }
  return index.scratch.generation;
}
