// @ts-check
/**
 * The catalog as the sale screen browses it: the category tree and the tiles to show for a
 * search or a category. Pure.
 */
import { listProducts, searchProducts } from "./search.js";

/** Products shown at once in a category (a search narrows further). */
export const CATEGORY_LIMIT = 120;
export const SEARCH_LIMIT = 60;

/**
 * @typedef {{id: number, name: string, parent_id: number | null}} Category
 * @typedef {object} CategoryTree
 * @property {Map<number | null, Category[]>} children  by parent id (null: the top level), in the given order
 * @property {Map<number, Category>} byId
 * @property {Map<number, number>} topOf               each category's top-level ancestor (itself at the top)
 */

/**
 * @param {Category[]} categories
 * @returns {CategoryTree}
 */
export function categoryTree(categories) {
  /** @type {Map<number | null, Category[]>} */
  const children = new Map();
  /** @type {Map<number, Category>} */
  const byId = new Map();
  for (const c of categories) {
    byId.set(c.id, c);
    const parent = c.parent_id ?? null;
    const list = children.get(parent);
    if (list) list.push(c);
    else children.set(parent, [c]);
  }
  /** @type {Map<number, number>} */
  const topOf = new Map();
  for (const c of categories) {
    let top = c;
    // Bounded: a cycle in bad data must not hang the till.
    for (let depth = 0; top.parent_id !== null && byId.has(top.parent_id) && depth < 20; depth++) {
      top = /** @type {Category} */ (byId.get(top.parent_id));
    }
    topOf.set(c.id, top.id);
  }
  return { children, byId, topOf };
}

/**
 * The tiles to show: search results, or a category's products (with its subcategories'),
 * or every product when no category is chosen; at most `limit`, and whether there are more.
 * @param {any} index  domain/search.js's index (null before the catalog is loaded)
 * @param {string} search
 * @param {number | null} categoryId
 * @param {CategoryTree} tree
 * @param {{limit?: number, searchLimit?: number}} [options]
 * @returns {{items: any[], more: boolean}}
 */
export function productsFor(
  index,
  search,
  categoryId,
  tree,
  { limit = CATEGORY_LIMIT, searchLimit = SEARCH_LIMIT } = {},
) {
  if (!index) return { items: [], more: false };
  if (search.trim()) return searchProducts(index, search, { limit: searchLimit });
  /** @type {Set<number> | null} */
  let wanted = null;
  if (categoryId !== null) {
    wanted = new Set([categoryId]);
    const stack = [categoryId];
    while (stack.length) {
      for (const child of tree.children.get(/** @type {number} */ (stack.pop())) ?? []) {
        if (!wanted.has(child.id)) {
          wanted.add(child.id);
          stack.push(child.id);
        }
      }
    }
  }
  return listProducts(index, { field: "category_id", values: wanted, limit });
}
