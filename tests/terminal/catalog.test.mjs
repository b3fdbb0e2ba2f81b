// The catalog as the sale screen browses it (domain/catalog.js): the category tree and the
// tiles of a search or a category.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CATEGORY_LIMIT, categoryTree, productsFor } from "../../src/kassa/terminal/domain/catalog.js";
import { buildSearchIndex } from "../../src/kassa/terminal/domain/search.js";

const categories = [
  { id: 1, name: "Bakery", parent_id: null },
  { id: 2, name: "Drinks", parent_id: null },
  { id: 3, name: "Bread", parent_id: 1 },
  { id: 4, name: "Rye", parent_id: 3 },
  { id: 5, name: "Orphan", parent_id: 99 },
];
const products = [
  { id: 1, name: "Baguette", price: "1.49", tax_id: 1, category_id: 3, barcodes: ["4006381333931"] },
  { id: 2, name: "Rye loaf", price: "3.20", tax_id: 1, category_id: 4, barcodes: [] },
  { id: 3, name: "Croissant", price: "0.95", tax_id: 1, category_id: 1, barcodes: [] },
  { id: 4, name: "Cola", price: "1.80", tax_id: 2, category_id: 2, barcodes: [] },
  { id: 5, name: "Mystery", price: "1.00", tax_id: 2, category_id: null, barcodes: [] },
];

test("the tree: children in the given order, by id, and each category's top-level ancestor", () => {
  const tree = categoryTree(categories);
  assert.deepEqual(
    (tree.children.get(null) ?? []).map((c) => c.id),
    [1, 2],
  );
  assert.deepEqual(
    (tree.children.get(1) ?? []).map((c) => c.id),
    [3],
  );
  assert.deepEqual(
    (tree.children.get(3) ?? []).map((c) => c.id),
    [4],
  );
  assert.deepEqual(
    (tree.children.get(99) ?? []).map((c) => c.id),
    [5],
  );
  assert.equal(tree.byId.get(4)?.name, "Rye");
  assert.deepEqual(
    [...tree.topOf],
    [
      [1, 1],
      [2, 2],
      [3, 1],
      [4, 1],
      [5, 5],
    ],
  );
});

test("a cycle in the data does not hang", () => {
  const tree = categoryTree([
    { id: 1, name: "A", parent_id: 2 },
    { id: 2, name: "B", parent_id: 1 },
  ]);
  assert.equal(tree.topOf.size, 2);
});

test("a category's tiles include its subcategories', at any depth; none chosen: all", () => {
  const index = buildSearchIndex(products);
  const tree = categoryTree(categories);
  const names = (/** @type {number | null} */ id) =>
    productsFor(index, "", id, tree)
      .items.map((p) => p.name)
      .sort();
  assert.deepEqual(names(1), ["Baguette", "Croissant", "Rye loaf"]);
  assert.deepEqual(names(3), ["Baguette", "Rye loaf"]);
  assert.deepEqual(names(4), ["Rye loaf"]);
  assert.deepEqual(names(2), ["Cola"]);
  assert.deepEqual(names(null), ["Baguette", "Cola", "Croissant", "Mystery", "Rye loaf"]);
  assert.equal(productsFor(index, "", 1, tree).more, false);
});

test("a search ignores the category; no index yet: nothing", () => {
  const index = buildSearchIndex(products);
  const tree = categoryTree(categories);
  assert.deepEqual(
    productsFor(index, "rye", 2, tree).items.map((p) => p.name),
    ["Rye loaf"],
  );
  assert.deepEqual(
    productsFor(index, "  ", 2, tree).items.map((p) => p.name),
    ["Cola"],
  );
  assert.deepEqual(productsFor(null, "rye", null, tree), { items: [], more: false });
});

test("at most the limit, and whether there are more", () => {
  const many = Array.from({ length: CATEGORY_LIMIT + 1 }, (_, i) => ({
    id: i + 1,
    name: `Item ${i + 1}`,
    price: "1.00",
    tax_id: 1,
    category_id: 2,
    barcodes: [],
  }));
  const index = buildSearchIndex(many);
  const tree = categoryTree(categories);
  const shown = productsFor(index, "", 2, tree);
  assert.equal(shown.items.length, CATEGORY_LIMIT);
  assert.equal(shown.more, true);
  const exactly = productsFor(index, "", 2, tree, { limit: CATEGORY_LIMIT + 1 });
  assert.equal(exactly.items.length, CATEGORY_LIMIT + 1);
  assert.equal(exactly.more, false);
  const searched = productsFor(index, "item", null, tree, { searchLimit: 5 });
  assert.equal(searched.items.length, 5);
  assert.equal(searched.more, true);
});
