// domain/search.js: name, reference and barcode search and its order of results.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  buildSearchIndex,
  lookupBarcode,
  normalizeText,
  productById,
  searchProducts,
} from "../../src/kassa/terminal/domain/search.js";

const catalog = [
  { id: 1, name: "Coca-Cola 33cl", ref: "COLA33", barcodes: ["5449000000996"] },
  { id: 2, name: "Coca-Cola Zero 1.5L", ref: "COLAZ15", barcodes: ["5449000131805"] },
  { id: 3, name: "Crème fraîche épaisse", ref: "CF-200", barcodes: [] },
  { id: 4, name: "Café Royal Espresso", ref: "CR-ESP", barcodes: ["036000291452"] },
  { id: 5, name: "Müsli Nüsse", ref: "MUE1", barcodes: ["96385074"] },
  { id: 6, name: "Smørrebrød", ref: null, barcodes: ["2100005000000"] },
  { id: 7, name: "Straße Brot", ref: "STR", barcodes: [] },
  { id: 8, name: "Zero waste bag", ref: "BAG", barcodes: ["4006381333931", "4006381333931"] },
  { id: 9, name: "Pepsi cola", ref: "COLA-P", barcodes: [] },
  { id: 10, name: "", ref: "EMPTY", barcodes: [] },
];
const index = buildSearchIndex(catalog);
const ids = (/** @type {string} */ query, limit = 50) => searchProducts(index, query, { limit }).items.map((p) => p.id);

test("normalizeText folds case, accents and punctuation", () => {
  assert.equal(normalizeText("Crème  Brûlée (2×)"), "creme brulee 2");
  assert.equal(normalizeText("Smørrebrød"), "smorrebrod");
  assert.equal(normalizeText("STRASSE Straße"), "strasse strasse");
  assert.equal(normalizeText("Coca-Cola 1.5L"), "coca cola 1 5l");
  assert.equal(normalizeText("Ærø Œuvre Łódź"), "aero oeuvre lodz");
  assert.equal(normalizeText("  "), "");
  assert.equal(normalizeText("Молоко"), "молоко");
});

test("names match by word prefix, any case and accent", () => {
  assert.deepEqual(ids("creme"), [3]);
  assert.deepEqual(ids("CRÈME FRA"), [3]);
  assert.deepEqual(ids("epai"), [3]);
  assert.deepEqual(ids("musli nusse"), [5]);
  assert.deepEqual(ids("nüsse müsli"), [5]); // word order does not matter
  assert.deepEqual(ids("smorre"), [6]);
  assert.deepEqual(ids("strasse"), [7]);
  assert.deepEqual(ids("ola"), []); // not a word start
  assert.deepEqual(ids("cola zero"), [2]);
  assert.deepEqual(ids("cola banana"), []);
});

test("names starting with the query come first, then the others, each in name order", () => {
  // "cola": no name starts with it; references COLA-P, COLA33, COLAZ15 do (in that order)
  assert.deepEqual(ids("cola"), [9, 1, 2]);
  // "pepsi": the name starts with it
  assert.deepEqual(ids("pep"), [9]);
  // "zero": the name that starts with it first, then the name containing it
  assert.deepEqual(ids("zero"), [8, 2]);
  assert.deepEqual(ids("coca"), [1, 2]);
});

test("references: exact first, then prefix", () => {
  assert.deepEqual(ids("cola33"), [1]);
  assert.deepEqual(ids("COLAZ"), [2]);
  assert.deepEqual(ids("cf-2"), [3]);
  assert.deepEqual(ids("cr"), [3, 4]); // "Crème…" starts with "cr" (name), then CR-ESP by reference
  assert.deepEqual(ids("empty"), [10]);
  assert.deepEqual(ids("str"), [7]);
});

test("barcodes match exactly, UPC-A and EAN-13 forms alike", () => {
  assert.deepEqual(ids("5449000000996"), [1]);
  assert.deepEqual(ids("544900000099"), []); // no prefix match on barcodes
  assert.deepEqual(ids("0036000291452"), [4]);
  assert.deepEqual(ids("036000291452"), [4]);
  assert.deepEqual(
    lookupBarcode(index, "036000291452").map((p) => p.id),
    [4],
  );
  assert.deepEqual(
    lookupBarcode(index, "2100005000000").map((p) => p.id),
    [6],
  );
  assert.deepEqual(
    lookupBarcode(index, "4006381333931").map((p) => p.id),
    [8],
  ); // listed twice, found once
  assert.deepEqual(lookupBarcode(index, "123"), []);
  assert.equal(productById(index, 5)?.name, "Müsli Nüsse");
  assert.equal(productById(index, 99), undefined);
});

test("limit and more", () => {
  assert.deepEqual(
    searchProducts(index, "co", { limit: 2 }).items.map((p) => p.id),
    [1, 2],
  );
  assert.equal(searchProducts(index, "co", { limit: 2 }).more, true);
  assert.equal(searchProducts(index, "co", { limit: 50 }).more, false);
  assert.deepEqual(searchProducts(index, "   "), { items: [], more: false });
  assert.deepEqual(searchProducts(index, "!!"), { items: [], more: false });
  assert.deepEqual(searchProducts(index, "cola", { limit: 0 }), { items: [], more: false });
});

for (const size of [1000, 12000])
  test(`a synthetic catalog of ${size} gives the same answers as a plain scan`, () => {
    // given products whose names are drawn from few words, so prefixes hit many words (at
    // 12000 a one-letter query has over 4096 candidates and takes the bitmap path)
    const vocabulary = [
      "alpha",
      "alps",
      "alto",
      "beta",
      "bet",
      "gamma",
      "game",
      "éclair",
      "eclat",
      "delta",
      "del",
      "x",
    ];
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const products = Array.from({ length: size }, (_, i) => ({
      id: i + 1,
      name: Array.from(
        { length: 1 + Math.floor(random() * 4) },
        () => vocabulary[Math.floor(random() * vocabulary.length)],
      ).join(" "),
    }));
    const big = buildSearchIndex(products);
    const sorted = [...products].sort((a, b) => {
      const x = " " + normalizeText(a.name);
      const y = " " + normalizeText(b.name);
      return x < y ? -1 : x > y ? 1 : a.id - b.id;
    });
    for (const query of ["a", "al", "alp", "e", "ecl", "del al", "x", "game bet", "g a", "z", "alpha alpha"]) {
      // then the results are: names starting with the query, then the rest with every word as a word prefix
      const text = normalizeText(query);
      const tokens = text.split(" ");
      const starts = sorted.filter((p) => (" " + normalizeText(p.name)).startsWith(" " + text));
      const words = sorted.filter(
        (p) => !starts.includes(p) && tokens.every((t) => (" " + normalizeText(p.name)).includes(" " + t)),
      );
      const expected = [...starts, ...words].map((p) => p.id);
      const result = searchProducts(big, query, { limit: 100000 });
      assert.deepEqual(
        result.items.map((p) => p.id),
        expected,
        query,
      );
      const first = searchProducts(big, query, { limit: 20 });
      assert.deepEqual(
        first.items.map((p) => p.id),
        expected.slice(0, 20),
        query,
      );
      assert.equal(first.more, expected.length > 20);
    }
  });

test("a stored index (structured clone) restores to one that answers the same", async () => {
  const {
    buildSearchIndex: build,
    searchProducts: search,
    lookupBarcode: lookup,
    storableSearchIndex,
    restoreSearchIndex,
    productById: byId,
  } = await import("../../src/kassa/terminal/domain/search.js");
  const products = [
    { id: 1, name: "Crème fraîche 200 ml", ref: "CF200", barcodes: ["8712345678906"] },
    { id: 2, name: "Cola zero 33cl", ref: "COLA0", barcodes: ["036000291452"] },
    { id: 3, name: "Croissant", ref: null, barcodes: [] },
  ];
  const index = build(products);
  const restored = restoreSearchIndex(structuredClone(storableSearchIndex(index)));
  for (const query of ["cr", "creme", "cola z", "COLA0", "8712345678906"]) {
    assert.deepEqual(
      search(restored, query).items.map((p) => p.id),
      search(index, query).items.map((p) => p.id),
      query,
    );
  }
  assert.deepEqual(
    lookup(restored, "0036000291452").map((p) => p.id),
    [2],
  );
  assert.equal(byId(restored, 1)?.name, "Crème fraîche 200 ml");
  assert.equal(byId(restored, 1), byId(restored, 1)); // made once, the same object for each render
  // the stored copy is columns: strings and typed arrays, no product objects
  const stored = storableSearchIndex(index);
  assert.ok(!("marks" in stored) && !("made" in stored) && !("overlay" in stored));
  assert.equal(typeof stored.names.text, "string");
});

const shop = [
  {
    id: 1,
    name: "Baguette",
    ref: "BAG",
    barcodes: ["4006381333931"],
    category_id: 3,
    price: "1.49",
    tax_id: 1,
    unit: "pc",
    weighed: false,
  },
  {
    id: 2,
    name: "Rye loaf",
    ref: null,
    barcodes: [],
    category_id: null,
    price: "3.20",
    tax_id: 1,
    unit: "pc",
    weighed: false,
  },
  {
    id: 3,
    name: "Cheese",
    ref: "CHS",
    barcodes: ["2100007000008", "8712345678906"],
    category_id: 4,
    price: "18.90",
    tax_id: 2,
    unit: "kg",
    weighed: true,
  },
  {
    id: 5,
    name: "Croissant",
    ref: "CRO",
    barcodes: ["5449000000996"],
    category_id: 3,
    price: "0.95",
    tax_id: 1,
    unit: "pc",
    weighed: false,
  },
];

test("a product comes back with every field it was given, nulls included", () => {
  const index = buildSearchIndex(shop);
  for (const product of shop) assert.deepEqual(productById(index, product.id), product);
  assert.deepEqual(lookupBarcode(index, "8712345678906"), [shop[2]]);
  assert.equal(productById(index, 4), undefined);
});

test("built a page at a time, the index answers as built at once", async () => {
  const { createIndexBuilder } = await import("../../src/kassa/terminal/domain/search.js");
  const products = Array.from({ length: 3000 }, (_, i) => ({
    id: i + 1,
    name: `${["Oat", "Rye", "Tea", "Cola"][i % 4]} ${["milk", "bread", "bag"][(i * 7) % 3]} ${(i * 37) % 1000}`,
    ref: i % 5 ? `R${(i * 13) % 3000}` : null,
    barcodes: i % 3 ? [`21${String(i).padStart(10, "0")}0`] : [],
  }));
  const whole = buildSearchIndex(products);
  const builder = createIndexBuilder();
  for (let start = 0; start < products.length; start += 700) builder.add(products.slice(start, start + 700));
  const paged = builder.finish();
  for (const query of ["o", "oat m", "tea bag 1", "r1", "R12", "cola 99", "bread", "2100000000030"]) {
    const answer = (/** @type {any} */ index) => searchProducts(index, query, { limit: 200 }).items.map((p) => p.id);
    assert.deepEqual(answer(paged), answer(whole), query);
  }
  assert.deepEqual(paged.order, whole.order);
});

test("a catalog delta applied in place: new prices, names and barcodes, removals, additions", async () => {
  const { applyCatalogChanges, catalogChanges, listProducts, productCount } = await import(
    "../../src/kassa/terminal/domain/search.js"
  );
  const index = buildSearchIndex(shop);
  // Given the baguette's price changed, the rye loaf renamed, the cheese removed, a cake added
  const changed = applyCatalogChanges(index, {
    products: [
      { ...shop[0], price: "1.59" },
      { ...shop[1], name: "Spelt loaf", barcodes: ["2100007000008"] },
      {
        id: 9,
        name: "Cake",
        ref: "CAKE",
        barcodes: ["96385074"],
        category_id: 3,
        price: "9.00",
        tax_id: 1,
        unit: "pc",
        weighed: false,
      },
    ],
    deleted: [3],
  });
  // Then a scan, a search and a look-up by id see the changes
  assert.equal(lookupBarcode(changed, "4006381333931")[0].price, "1.59");
  assert.equal(productById(changed, 1)?.price, "1.59");
  assert.deepEqual(
    lookupBarcode(changed, "2100007000008").map((p) => p.id),
    [2],
  ); // moved from the cheese
  assert.deepEqual(lookupBarcode(changed, "8712345678906"), []);
  assert.equal(productById(changed, 3), undefined);
  const names = (/** @type {any} */ i, /** @type {string} */ q) => searchProducts(i, q).items.map((p) => p.name);
  assert.deepEqual(names(changed, "rye"), []);
  assert.deepEqual(names(changed, "loaf"), ["Spelt loaf"]);
  assert.deepEqual(names(changed, "c"), ["Cake", "Croissant"]); // merged in name order
  assert.deepEqual(names(changed, "ca"), ["Cake"]);
  assert.deepEqual(names(changed, "cheese"), []);
  assert.equal(productCount(changed), 4);
  assert.deepEqual(
    listProducts(changed, { values: new Set([3]), limit: 10 }).items.map((p) => p.name),
    ["Baguette", "Cake", "Croissant"],
  );
  assert.deepEqual(listProducts(changed, { limit: 2 }), {
    items: [productById(changed, 1), productById(changed, 9)],
    more: true,
  });
  // and the index before the delta answers as before
  assert.equal(lookupBarcode(index, "4006381333931")[0].price, "1.49");
  // A second delta adds to the first; what is kept beside the stored index holds both
  const again = applyCatalogChanges(changed, { products: [{ ...shop[2], price: "19.90" }], deleted: [9] });
  assert.equal(productById(again, 3)?.price, "19.90");
  assert.equal(productById(again, 9), undefined);
  assert.equal(productById(again, 1)?.price, "1.59");
  const kept = catalogChanges(again);
  assert.deepEqual(kept.products.map((p) => p.id).sort(), [1, 2, 3]);
  assert.deepEqual(kept.deleted, [9]);
  const reloaded = applyCatalogChanges(buildSearchIndex(shop), kept);
  for (const query of ["c", "loaf", "2100007000008", "bag", "cake"])
    assert.deepEqual(names(reloaded, query), names(again, query), query);
});

test("the name words' columns: each word's rows as positions in name order, sorted, a word twice in a name once", async () => {
  const { createIndexBuilder, storableSearchIndex, restoreSearchIndex } = await import(
    "../../src/kassa/terminal/domain/search.js"
  );
  // Words repeated within a name, accents, names without words, ids out of order, 5 pages
  const products = Array.from({ length: 5000 }, (_, i) => ({
    id: i % 7 ? i + 1 : 20_000 - i,
    name:
      i % 97 === 0
        ? ""
        : `${["Crème", "Oat", "Rye", "Tea", "Cola"][i % 5]} ${["milk", "bread", "bag", "crème"][(i * 7) % 4]} ${(i * 37) % 1500} ${i % 11 === 0 ? "milk milk" : "brûlée"}`,
    ref: i % 5 ? `R${(i * 13) % 5000}` : null,
    barcodes: i % 3 ? [`21${String(i).padStart(10, "0")}0`] : [],
  }));
  const builder = createIndexBuilder();
  for (let start = 0; start < products.length; start += 1000) builder.add(products.slice(start, start + 1000));
  const index = builder.finish();
  // Computed apart from the builder: one array of rows per distinct word, its rows' positions sorted
  const column = (/** @type {{text: string, offsets: Int32Array}} */ c, /** @type {number} */ i) =>
    c.text.slice(c.offsets[i], c.offsets[i + 1]);
  const rank = new Int32Array(index.count);
  for (let position = 0; position < index.count; position++) rank[index.order[position]] = position;
  /** @type {Map<string, number[]>} */
  const wordRows = new Map();
  for (let row = 0; row < index.count; row++) {
    const words = column(index.norm, row).split(" ");
    for (let k = 1; k < words.length; k++) {
      const list = wordRows.get(words[k]);
      if (!list) wordRows.set(words[k], [row]);
      else if (list[list.length - 1] !== row) list.push(row);
    }
  }
  const words = [...wordRows.keys()].sort();
  const wordStart = [0];
  const postings = [];
  for (const word of words) {
    const positions = /** @type {number[]} */ (wordRows.get(word)).map((row) => rank[row]).sort((a, b) => a - b);
    postings.push(...positions);
    wordStart.push(postings.length);
  }
  assert.ok(words.includes("creme") && words.includes("brulee") && words.length > 1000);
  assert.deepEqual(
    Array.from({ length: index.words.offsets.length - 1 }, (_, w) => column(index.words, w)),
    words,
  );
  assert.deepEqual([...index.wordStart], wordStart);
  assert.deepEqual([...index.postings], postings);
  // and an index with these columns answers every search and scan the same, stored or not
  const wordOffsets = [0];
  for (const word of words) wordOffsets.push(wordOffsets[wordOffsets.length - 1] + word.length);
  const stored = storableSearchIndex(index);
  const apart = restoreSearchIndex({
    ...stored,
    words: { text: words.join(""), offsets: Int32Array.from(wordOffsets) },
    wordStart: Int32Array.from(wordStart),
    postings: Int32Array.from(postings),
  });
  const restored = restoreSearchIndex(structuredClone(stored));
  for (const query of ["c", "cr", "creme", "creme milk", "milk 1", "brulee tea", "bag 14", "r12", "R4999", "x"]) {
    const answer = (/** @type {any} */ some) => searchProducts(some, query, { limit: 500 }).items.map((p) => p.id);
    assert.deepEqual(answer(index), answer(apart), query);
    assert.deepEqual(answer(restored), answer(apart), query);
  }
  for (const i of [1, 2, 4, 1000, 4999]) {
    const code = `21${String(i).padStart(10, "0")}0`;
    assert.deepEqual(lookupBarcode(index, code), lookupBarcode(apart, code), code);
    assert.equal(lookupBarcode(restored, code)[0]?.id, products[i].id);
  }
});
