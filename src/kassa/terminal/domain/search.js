// @ts-check
/**
 * Product search for the terminal: by barcode (exact), internal reference (prefix) and name
 * (every query word is the start of a word of the name; case- and accent-insensitive).
 *
 * Built for a million products (issue 17): the index is columnar, so it is stored and read
 * back as a few long strings and typed arrays (a structured clone of those is a copy, where
 * a million product objects took seconds), and a product object is made only when a search,
 * a scan or a tile needs it.
 * - Rows are the products in the order they were added (the download's id order); a string
 *   column is one string and the Int32Array of where each row's piece starts.
 * - `order` lists the rows by normalised name, so "names that start with the query" is one
 *   range found by binary search; every list below is in that order (a position).
 * - A sorted column of the distinct name words, each with its slice of one Int32Array of
 *   positions: a query word is a range of words found by binary search; the query word with
 *   the fewest candidates drives, the others are checked on the normalised name.
 * - Sorted columns of normalised references and barcodes with their rows.
 * - The builder takes the catalog a page at a time (`createIndexBuilder`): each page is
 *   normalised and sorted while the next one downloads, and `finish` merges the sorted runs.
 * - A catalog delta is applied in place (`applyCatalogChanges`): the changed and removed
 *   products' rows are hidden and the changed ones go into a small second index searched
 *   beside the first; the results of both are merged in the one order below.
 * Figures in docs/performance.md, from bench/terminal_search.mjs and bench/catalog_bench.py.
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
 * @typedef {{text: string, offsets: Int32Array}} StringColumn  row i is text[offsets[i], offsets[i + 1])
 *
 * @typedef {object} ExtraColumn  one more field of the products (price, tax_id, …), as given
 * @property {string} key
 * @property {"number" | "boolean" | "string" | "any"} kind
 * @property {Float64Array | Uint8Array | StringColumn | unknown[]} values
 * @property {Uint8Array | null} flags  per row: 0 a value, 1 null, 2 absent (null: all values)
 *
 * @typedef {object} StoredIndex  what is kept in IndexedDB (structured clone)
 * @property {number} format
 * @property {number} count
 * @property {Float64Array} ids
 * @property {boolean} idsAscending
 * @property {Int32Array | null} idOrder   rows by id, when ids were not added in order
 * @property {StringColumn} names
 * @property {StringColumn} refs
 * @property {Uint8Array} refNull
 * @property {StringColumn} codes          every barcode as given, rows' codes in turn
 * @property {Int32Array} codesStart       row i's codes are codes[codesStart[i] .. codesStart[i + 1])
 * @property {ExtraColumn[]} extras
 * @property {StringColumn} norm           normalised names, each with a leading space
 * @property {Int32Array} order            rows by normalised name (then id): position → row
 * @property {StringColumn} words          distinct words of all names, sorted
 * @property {Int32Array} wordStart        positions of words[w] are postings[wordStart[w] .. wordStart[w + 1]]
 * @property {Int32Array} postings         positions, ascending per word
 * @property {StringColumn} refKeys        normalised references, sorted
 * @property {Int32Array} refRows
 * @property {StringColumn} barcodeKeys    normalised barcodes, sorted
 * @property {Int32Array} barcodeRows
 *
 * @typedef {object} Overlay  a catalog delta applied in place
 * @property {Map<number, any>} byId       changed and added products
 * @property {Set<number>} deleted         ids removed since the stored index
 * @property {Uint8Array} hidden           rows of the base index not to show (changed or removed)
 * @property {number} hiddenCount
 * @property {SearchIndex<any>} index      the changed and added products' own index
 */

/**
 * @template {SearchableProduct} [P=any]
 * @typedef {StoredIndex & {marks: Uint32Array, scratch: {generation: number}, made: Map<number, P>, overlay: Overlay | null}} SearchIndex
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
export const INDEX_FORMAT = 2;

/** The fields every product has; the others become extra columns. */
const BASE_KEYS = new Set(["id", "name", "ref", "barcodes"]);
// biome-ignore lint/suspicious/noControlCharactersInRegex: the whole ASCII range
const ASCII = /^[\x00-\x7f]*$/;
const NOT_ALNUM = /[^a-z0-9]+/g;
/** Product objects kept made (for a stable identity between renders), at most. */
const MADE_KEPT = 20_000;

/**
 * The index as it is stored (structured clone) and restored with `restoreSearchIndex`:
 * without its scratch space, made products, or the delta applied in place.
 * @param {SearchIndex<any>} index
 * @returns {StoredIndex}
 */
export function storableSearchIndex(index) {
  const { marks, scratch, made, overlay, ...rest } = index;
  return rest;
}

/**
 * @template {SearchableProduct} P
 * @param {StoredIndex} stored
 * @returns {SearchIndex<P>}
 */
export function restoreSearchIndex(stored) {
  return withScratch(stored);
}

/**
 * @param {StoredIndex} stored
 * @returns {SearchIndex<any>}
 */
function withScratch(stored) {
  return {
    ...stored,
    marks: new Uint32Array(stored.count),
    scratch: { generation: 0 },
    made: new Map(),
    overlay: null,
  };
}

/**
 * @param {StringColumn} column
 * @param {number} i
 */
function at(column, i) {
  return column.text.slice(column.offsets[i], column.offsets[i + 1]);
}

/**
 * @param {readonly string[]} strings
 * @returns {StringColumn}
 */
function stringColumn(strings) {
  const offsets = new Int32Array(strings.length + 1);
  let total = 0;
  for (let i = 0; i < strings.length; i++) {
    offsets[i] = total;
    total += strings[i].length;
  }
  offsets[strings.length] = total;
  return { text: strings.join(""), offsets };
}

/**
 * Lowercase, trimmed.
 * @param {string} ref
 */
function normalizeRef(ref) {
  return ref.trim().toLowerCase();
}

/**
 * An index built a page at a time: `add` each page as it arrives (its names normalised and
 * sorted), then `finish`.
 * @template {SearchableProduct} P
 */
export function createIndexBuilder() {
  /** @type {number[]} */ const ids = [];
  /** @type {string[]} */ const names = [];
  /** @type {string[]} */ const refs = [];
  /** @type {number[]} */ const refNull = [];
  /** @type {string[]} */ const codes = [];
  /** @type {number[]} */ const codesStart = [0];
  /** @type {string[]} */ const norm = [];
  /** @type {Map<string, unknown[]>} */ const extras = new Map();
  /** @type {Map<string, number[]>} */ const wordRows = new Map();
  /** @type {Int32Array[]} */ const runs = [];
  /** @type {Map<string, string>} */ const pieces = new Map();
  /** @type {string[]} */ const barcodeKeys = [];
  /** @type {number[]} */ const barcodeRows = [];
  /** @type {string[]} */ const refKeys = [];
  /** @type {number[]} */ const refRows = [];
  let idsAscending = true;
  const byName = (/** @type {number} */ a, /** @type {number} */ b) => {
    const x = norm[a];
    const y = norm[b];
    return x < y ? -1 : x > y ? 1 : ids[a] - ids[b];
  };
  return {
    get count() {
      return ids.length;
    },
    /** @param {readonly P[]} products */
    add(products) {
      const first = ids.length;
      // The other fields are those of the page's first product: the server sends every
      // product with the same fields, and a for-in per product was a third of this loop.
      /** @type {Array<[string, unknown[]]>} */
      const others = [];
      for (const key in products[0] ?? {}) {
        if (BASE_KEYS.has(key)) continue;
        let column = extras.get(key);
        if (!column) {
          column = [];
          extras.set(key, column);
        }
        while (column.length < first) column.push(undefined);
        others.push([key, column]);
      }
      for (const product of products) {
        const row = ids.length;
        if (row > 0 && product.id <= ids[row - 1]) idsAscending = false;
        ids.push(product.id);
        names.push(product.name);
        const ref = product.ref;
        refs.push(ref ?? "");
        refNull.push(ref === null || ref === undefined ? 1 : 0);
        if (ref) {
          refKeys.push(normalizeRef(ref));
          refRows.push(row);
        }
        for (const code of product.barcodes ?? []) {
          codes.push(code);
          barcodeKeys.push(normalizeBarcode(code));
          barcodeRows.push(row);
        }
        codesStart.push(codes.length);
        const normal = normalName(product.name, pieces);
        norm.push(normal);
        const words = normal.split(" ");
        for (let k = 1; k < words.length; k++) {
          const list = wordRows.get(words[k]);
          if (!list) wordRows.set(words[k], [row]);
          else if (list[list.length - 1] !== row) list.push(row); // a word twice in one name
        }
        for (const [key, column] of others) column.push(/** @type {any} */ (product)[key]);
      }
      const run = new Int32Array(ids.length - first);
      for (let i = 0; i < run.length; i++) run[i] = first + i;
      runs.push(run.sort(byName));
    },
    /** @returns {SearchIndex<P>} */
    finish() {
      const n = ids.length;
      const order = mergeRuns(runs, byName);
      runs.length = 0;
      const rank = new Int32Array(n);
      for (let position = 0; position < n; position++) rank[order[position]] = position;

      const words = [...wordRows.keys()].sort();
      const wordStart = new Int32Array(words.length + 1);
      let total = 0;
      for (let w = 0; w < words.length; w++) {
        wordStart[w] = total;
        total += /** @type {number[]} */ (wordRows.get(words[w])).length;
      }
      wordStart[words.length] = total;
      const postings = new Int32Array(total);
      for (let w = 0; w < words.length; w++) {
        const rows = /** @type {number[]} */ (wordRows.get(words[w]));
        const start = wordStart[w];
        for (let i = 0; i < rows.length; i++) postings[start + i] = rank[rows[i]];
        if (rows.length > 1) postings.subarray(start, start + rows.length).sort();
      }
      wordRows.clear();

      const [sortedRefKeys, sortedRefRows] = sortedPairs(refKeys, refRows, rank);
      const [sortedCodeKeys, sortedCodeRows] = sortedPairs(barcodeKeys, barcodeRows, rank);
      /** @type {Int32Array | null} */
      let idOrder = null;
      if (!idsAscending) {
        idOrder = new Int32Array(n);
        for (let i = 0; i < n; i++) idOrder[i] = i;
        idOrder.sort((a, b) => ids[a] - ids[b]);
      }
      /** @type {StoredIndex} */
      const stored = {
        format: INDEX_FORMAT,
        count: n,
        ids: Float64Array.from(ids),
        idsAscending,
        idOrder,
        names: stringColumn(names),
        refs: stringColumn(refs),
        refNull: Uint8Array.from(refNull),
        codes: stringColumn(codes),
        codesStart: Int32Array.from(codesStart),
        extras: [...extras].map(([key, values]) => extraColumn(key, values, n)),
        norm: stringColumn(norm),
        order,
        words: stringColumn(words),
        wordStart,
        postings,
        refKeys: stringColumn(sortedRefKeys),
        refRows: sortedRefRows,
        barcodeKeys: stringColumn(sortedCodeKeys),
        barcodeRows: sortedCodeRows,
      };
      return withScratch(stored);
    },
  };
}

/**
 * Build the index of a whole catalog at once.
 * @template {SearchableProduct} P
 * @param {readonly P[]} catalog
 * @returns {SearchIndex<P>}
 */
export function buildSearchIndex(catalog) {
  /** @type {ReturnType<typeof createIndexBuilder<P>>} */
  const builder = createIndexBuilder();
  builder.add(catalog);
  return builder.finish();
}

/**
 * Sorted runs of rows merged into one order, two at a time.
 * @param {Int32Array[]} runs
 * @param {(a: number, b: number) => number} compare
 * @returns {Int32Array}
 */
function mergeRuns(runs, compare) {
  if (runs.length === 0) return new Int32Array(0);
  let level = runs;
  while (level.length > 1) {
    /** @type {Int32Array[]} */
    const next = [];
    for (let i = 0; i < level.length; i += 2) {
      if (i + 1 === level.length) {
        next.push(level[i]);
        continue;
      }
      const a = level[i];
      const b = level[i + 1];
      const merged = new Int32Array(a.length + b.length);
      let x = 0;
      let y = 0;
      let k = 0;
      while (x < a.length && y < b.length) merged[k++] = compare(a[x], b[y]) <= 0 ? a[x++] : b[y++];
      while (x < a.length) merged[k++] = a[x++];
      while (y < b.length) merged[k++] = b[y++];
      next.push(merged);
    }
    level = next;
  }
  return level[0];
}

/**
 * Keys with their rows, sorted by key then name position, a row's repeated key once.
 * @param {string[]} keys
 * @param {number[]} rows
 * @param {Int32Array} rank  row → position
 * @returns {[string[], Int32Array]}
 */
function sortedPairs(keys, rows, rank) {
  const idx = Array.from({ length: keys.length }, (_, i) => i);
  // Keys mostly arrive in order (references and barcodes follow the ids): TimSort's runs.
  idx.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : rank[rows[a]] - rank[rows[b]]));
  /** @type {string[]} */
  const sortedKeys = [];
  /** @type {number[]} */
  const sortedRows = [];
  for (const i of idx) {
    const last = sortedKeys.length - 1;
    if (last >= 0 && sortedKeys[last] === keys[i] && sortedRows[last] === rows[i]) continue;
    sortedKeys.push(keys[i]);
    sortedRows.push(rows[i]);
  }
  return [sortedKeys, Int32Array.from(sortedRows)];
}

/**
 * @param {string} key
 * @param {unknown[]} values
 * @param {number} n
 * @returns {ExtraColumn}
 */
function extraColumn(key, values, n) {
  while (values.length < n) values.push(undefined);
  let numbers = true;
  let booleans = true;
  let strings = true;
  let missing = false;
  for (const value of values) {
    if (value === null || value === undefined) {
      missing = true;
      continue;
    }
    const type = typeof value;
    if (type !== "number") numbers = false;
    if (type !== "boolean") booleans = false;
    if (type !== "string") strings = false;
    if (!numbers && !booleans && !strings) return { key, kind: "any", values, flags: null };
  }
  const flags = missing ? Uint8Array.from(values, (v) => (v === null ? 1 : v === undefined ? 2 : 0)) : null;
  if (numbers) return { key, kind: "number", values: Float64Array.from(values, (v) => Number(v ?? 0)), flags };
  if (booleans) return { key, kind: "boolean", values: Uint8Array.from(values, (v) => (v ? 1 : 0)), flags };
  return { key, kind: "string", values: stringColumn(values.map((v) => (typeof v === "string" ? v : ""))), flags };
}

/**
 * @param {ExtraColumn} column
 * @param {number} row
 */
function extraValue(column, row) {
  const flag = column.flags ? column.flags[row] : 0;
  if (flag === 1) return null;
  if (flag === 2) return undefined;
  const values = column.values;
  if (column.kind === "number") return /** @type {Float64Array} */ (values)[row];
  if (column.kind === "boolean") return /** @type {Uint8Array} */ (values)[row] === 1;
  if (column.kind === "string") return at(/** @type {StringColumn} */ (values), row);
  return /** @type {unknown[]} */ (values)[row];
}

/**
 * The product of a row, made once (while it stays among the last MADE_KEPT made).
 * @template {SearchableProduct} P
 * @param {SearchIndex<P>} index
 * @param {number} row
 * @returns {P}
 */
function productAt(index, row) {
  const kept = index.made.get(row);
  if (kept) return kept;
  /** @type {Record<string, unknown>} */
  const product = {
    id: index.ids[row],
    name: at(index.names, row),
    ref: index.refNull[row] ? null : at(index.refs, row),
    barcodes: [],
  };
  const codes = /** @type {string[]} */ (product.barcodes);
  for (let i = index.codesStart[row]; i < index.codesStart[row + 1]; i++) codes.push(at(index.codes, i));
  for (const column of index.extras) {
    const value = extraValue(column, row);
    if (value !== undefined) product[column.key] = value;
  }
  if (index.made.size >= MADE_KEPT) index.made.clear();
  index.made.set(row, /** @type {P} */ (/** @type {unknown} */ (product)));
  return /** @type {P} */ (/** @type {unknown} */ (product));
}

/**
 * The row of an id in the base index, or -1.
 * @param {SearchIndex<any>} index
 * @param {number} id
 */
function rowOf(index, id) {
  const { ids, idOrder } = index;
  let lo = 0;
  let hi = index.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const row = idOrder ? idOrder[mid] : mid;
    if (ids[row] < id) lo = mid + 1;
    else hi = mid;
  }
  if (lo === index.count) return -1;
  const row = idOrder ? idOrder[lo] : lo;
  return ids[row] === id ? row : -1;
}

/**
 * How many products the index holds, a delta applied in place included.
 * @param {SearchIndex<any> | null} index
 */
export function productCount(index) {
  if (!index) return 0;
  const overlay = index.overlay;
  return overlay ? index.count - overlay.hiddenCount + overlay.index.count : index.count;
}

/**
 * A product of the index by id, or undefined.
 * @template {SearchableProduct} P
 * @param {SearchIndex<P>} index
 * @param {number} id
 * @returns {P | undefined}
 */
export function productById(index, id) {
  const overlay = index.overlay;
  if (overlay) {
    const changed = overlay.byId.get(id);
    if (changed) return changed;
    if (overlay.deleted.has(id)) return undefined;
  }
  const row = rowOf(index, id);
  return row < 0 ? undefined : productAt(index, row);
}

/**
 * Apply a catalog delta in place of reloading the catalog: the changed and removed
 * products' rows are hidden, the changed and added ones indexed apart (with those of the
 * deltas before), and searched beside the others. Returns a new index object over the
 * same columns; the one passed keeps answering as before.
 * @template {SearchableProduct} P
 * @param {SearchIndex<P>} index
 * @param {{products: readonly P[], deleted: readonly number[]}} delta
 * @returns {SearchIndex<P>}
 */
export function applyCatalogChanges(index, { products, deleted }) {
  const before = index.overlay;
  const byId = new Map(before?.byId);
  const gone = new Set(before?.deleted);
  const hidden = before ? before.hidden.slice() : new Uint8Array(index.count);
  let hiddenCount = before?.hiddenCount ?? 0;
  const hide = (/** @type {number} */ id) => {
    const row = rowOf(index, id);
    if (row >= 0 && !hidden[row]) {
      hidden[row] = 1;
      hiddenCount++;
    }
  };
  for (const id of deleted) {
    byId.delete(id);
    gone.add(id);
    hide(id);
  }
  for (const product of products) {
    byId.set(product.id, product);
    gone.delete(product.id);
    hide(product.id);
  }
  const overlay = { byId, deleted: gone, hidden, hiddenCount, index: buildSearchIndex([...byId.values()]) };
  return { ...index, overlay };
}

/**
 * The delta applied in place, to keep beside the stored index: the changed and added
 * products, and the ids removed.
 * @template {SearchableProduct} P
 * @param {SearchIndex<P>} index
 * @returns {{products: P[], deleted: number[]}}
 */
export function catalogChanges(index) {
  const overlay = index.overlay;
  return overlay
    ? { products: [...overlay.byId.values()], deleted: [...overlay.deleted] }
    : { products: [], deleted: [] };
}

/**
 * The products with this barcode (UPC-A and EAN-13 forms are the same key).
 * @template {SearchableProduct} P
 * @param {SearchIndex<P>} index
 * @param {string} code
 * @returns {P[]}
 */
export function lookupBarcode(index, code) {
  const key = normalizeBarcode(code);
  /** @type {P[]} */
  const found = [];
  const overlay = index.overlay;
  if (overlay) found.push(...lookupBarcode(overlay.index, key));
  const [lo, hi] = equalRange(index.barcodeKeys, key);
  for (let i = lo; i < hi; i++) {
    const row = index.barcodeRows[i];
    if (!overlay?.hidden[row]) found.push(productAt(index, row));
  }
  return found;
}

/**
 * The products in name order, those of a set of categories only (`categories`), at most
 * `limit`, and whether there are more.
 * @template {SearchableProduct} P
 * @param {SearchIndex<P>} index
 * @param {{field?: string, values?: Set<unknown> | null, limit: number}} options
 * @returns {{items: P[], more: boolean}}
 */
export function listProducts(index, { field = "category_id", values = null, limit }) {
  /** @type {P[]} */
  const items = [];
  const overlay = index.overlay;
  const column = index.extras.find((/** @type {ExtraColumn} */ c) => c.key === field);
  const fieldOf = (/** @type {number} */ row) => {
    const value = column ? extraValue(column, row) : undefined;
    return value === undefined ? null : value;
  };
  const extra = overlay ? listProducts(overlay.index, { field, values, limit: limit + 1 }).items : [];
  let e = 0;
  for (let position = 0; position < index.count; position++) {
    const row = index.order[position];
    if (overlay?.hidden[row]) continue;
    if (values && !values.has(fieldOf(row))) continue;
    const name = at(index.norm, row);
    while (e < extra.length && normalName(extra[e].name) <= name) {
      if (items.length === limit) return { items, more: true };
      items.push(extra[e++]);
    }
    if (items.length === limit) return { items, more: true };
    items.push(productAt(index, row));
  }
  while (e < extra.length) {
    if (items.length === limit) return { items, more: true };
    items.push(extra[e++]);
  }
  return { items, more: false };
}

/**
 * A name normalised, with a leading space ("" when nothing is left of it).
 * @param {string} name
 * @param {Map<string, string>} [pieces]  pieces normalised before (a builder's)
 */
function normalName(name, pieces) {
  // Most names are plain ASCII: lowercase, and runs of other characters made one space.
  if (ASCII.test(name)) {
    const text = name.toLowerCase().replace(NOT_ALNUM, " ").trim();
    return text ? " " + text : "";
  }
  if (!pieces) {
    const text = normalizeText(name);
    return text ? " " + text : "";
  }
  // Catalog names reuse a small vocabulary: each distinct space-separated piece is
  // normalised once (same result as normalising the whole name).
  let normal = "";
  for (const piece of name.split(" ")) {
    let text = pieces.get(piece);
    if (text === undefined) {
      text = normalizeText(piece);
      pieces.set(piece, text);
    }
    if (text) normal += " " + text;
  }
  return normal;
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

/**
 * Search by barcode, reference and name.
 * @template {SearchableProduct} P
 * @param {SearchIndex<P>} index
 * @param {string} query what the cashier typed
 * @param {{limit?: number}} [options]
 * @returns {{items: P[], more: boolean}} at most `limit` (50) products; `more` when there are others
 */
export function searchProducts(index, query, { limit = 50 } = {}) {
  if (!query.trim() || limit <= 0) return { items: [], more: false };
  const overlay = index.overlay;
  const found = searchRows(index, query, limit + 1, overlay?.hidden ?? null);
  if (!overlay || overlay.index.count === 0) {
    return { items: found.slice(0, limit).map((hit) => productAt(index, hit.row)), more: found.length > limit };
  }
  // The products of deltas applied in place, merged into the same order.
  const changed = searchRows(overlay.index, query, limit + 1, null);
  /** @type {Array<Hit & {from: SearchIndex<P>}>} */
  const all = [
    ...found.map((hit) => ({ ...hit, from: index })),
    ...changed.map((hit) => ({ ...hit, from: overlay.index })),
  ];
  all.sort((a, b) => a.group - b.group || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || a.id - b.id);
  return { items: all.slice(0, limit).map((hit) => productAt(hit.from, hit.row)), more: all.length > limit };
}

/**
 * @typedef {{row: number, group: number, key: string, id: number}} Hit
 *   `group` and `key` order hits of two indexes: the group of the result order, then the
 *   normalised name (references starting with the query: the reference first)
 */

/**
 * The first `want` hits of a query, in the result order.
 * @param {SearchIndex<any>} index
 * @param {string} query
 * @param {number} want
 * @param {Uint8Array | null} hidden  rows not to return
 * @returns {Hit[]}
 */
function searchRows(index, query, want, hidden) {
  const trimmed = query.trim();
  /** @type {Hit[]} */
  const found = [];
  const marks = index.marks;
  const generation = nextGeneration(index);
  let group = 1;
  /** @param {number} row @param {string} [key] */
  const take = (row, key) => {
    if (marks[row] !== generation) {
      marks[row] = generation;
      if (!hidden?.[row]) found.push({ row, group, key: key ?? at(index.norm, row), id: index.ids[row] });
    }
    return found.length >= want;
  };

  // 1. exact barcode
  if (!/\s/.test(trimmed)) {
    const [lo, hi] = equalRange(index.barcodeKeys, normalizeBarcode(trimmed));
    for (let i = lo; i < hi; i++) if (take(index.barcodeRows[i])) return found;
  }
  // 2. exact reference
  group = 2;
  const ref = normalizeRef(trimmed);
  const [refLo, refHi] = prefixRange(index.refKeys, ref);
  for (let i = refLo; i < refHi && at(index.refKeys, i) === ref; i++) if (take(index.refRows[i])) return found;

  const text = normalizeText(trimmed);
  // 3. names that start with the query: one range of the sorted names
  group = 3;
  if (text) {
    const [lo, hi] = namePrefixRange(index, " " + text);
    for (let position = lo; position < hi; position++) if (take(index.order[position])) return found;
  }
  // 4. references that start with the query
  group = 4;
  for (let i = refLo; i < refHi; i++) {
    const row = index.refRows[i];
    if (take(row, at(index.refKeys, i) + "\u0000" + at(index.norm, row))) return found;
  }
  // 5. names with every query word as the start of one of their words
  group = 5;
  if (text) {
    const tokens = text.split(" ");
    const ranges = tokens.map((token) => prefixRange(index.words, token));
    const counts = ranges.map(([lo, hi]) => index.wordStart[hi] - index.wordStart[lo]);
    let driver = 0;
    for (let t = 1; t < tokens.length; t++) if (counts[t] < counts[driver]) driver = t;
    if (counts[driver] > 0) {
      const others = tokens.filter((_, t) => t !== driver).map((token) => " " + token);
      for (const position of candidatesInOrder(index, ranges[driver])) {
        const row = index.order[position];
        if (marks[row] === generation) continue;
        if (others.length) {
          const name = at(index.norm, row);
          if (!others.every((token) => name.includes(token))) continue;
        }
        if (take(row)) return found;
      }
    }
  }
  return found;
}

/**
 * Positions under a range of words, ascending, without duplicates; lazily, so a query stops
 * as soon as it has enough.
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
  // Many words (a one-letter query): mark the candidates, then walk the positions in order.
  const seen = new Uint8Array(index.count);
  for (let i = start; i < end; i++) seen[postings[i]] = 1;
  for (let position = 0; position < seen.length; position++) if (seen[position]) yield position;
}

/**
 * The range [lo, hi) of a sorted column whose items start with `prefix`.
 * @param {StringColumn} sorted
 * @param {string} prefix
 * @returns {[number, number]}
 */
function prefixRange(sorted, prefix) {
  // Every string s with prefix <= s < prefix + U+FFFF starts with the prefix (normalised text
  // never contains U+FFFF), so two binary searches bound the range exactly.
  const n = sorted.offsets.length - 1;
  const item = (/** @type {number} */ i) => at(sorted, i);
  return [lowerBound(n, item, prefix), lowerBound(n, item, prefix + "\uffff")];
}

/**
 * The range [lo, hi) of a sorted column equal to `value`.
 * @param {StringColumn} sorted
 * @param {string} value
 * @returns {[number, number]}
 */
function equalRange(sorted, value) {
  const n = sorted.offsets.length - 1;
  const item = (/** @type {number} */ i) => at(sorted, i);
  return [lowerBound(n, item, value), lowerBound(n, item, value + "\u0000")];
}

/**
 * The positions whose normalised name starts with `prefix`.
 * @param {SearchIndex<any>} index
 * @param {string} prefix
 * @returns {[number, number]}
 */
function namePrefixRange(index, prefix) {
  const item = (/** @type {number} */ position) => at(index.norm, index.order[position]);
  return [lowerBound(index.count, item, prefix), lowerBound(index.count, item, prefix + "\uffff")];
}

/**
 * The first i in [0, n) with item(i) >= value (items ascending).
 * @param {number} n
 * @param {(i: number) => string} item
 * @param {string} value
 */
function lowerBound(n, item, value) {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (item(mid) < value) lo = mid + 1;
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
