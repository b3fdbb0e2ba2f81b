// Benchmark of the terminal's product search (src/kassa/terminal/domain/search.js).
//
//   node bench/terminal_search.mjs [products=100000] [seed=1]
//
// Builds the index over synthetic products (multilingual names with accents, references,
// EAN-13 barcodes), then replays a cashier typing: each query is one keystroke of a name,
// a reference or a barcode. Prints the build time and p50/p95/p99/max per keystroke.
// Node runs the same V8 as Chromium; figures go into docs/terminal.md with the machine.
import { performance } from "node:perf_hooks";
import os from "node:os";
import { checkDigit } from "../src/kassa/terminal/domain/barcode.js";
import { buildSearchIndex, searchProducts } from "../src/kassa/terminal/domain/search.js";

const count = Number(process.argv[2] ?? 100000);
let seed = Number(process.argv[3] ?? 1);
function random() {
  // mulberry32: deterministic, so runs compare
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (/** @type {string[]} */ list) => list[Math.floor(random() * list.length)];

const brands = ["Coca-Cola", "Nestlé", "Müller", "Danone", "Øko", "Café Royal", "Señor Jalapeño", "Łowicz", "Brødrene",
  "Zwan", "Hollandia", "Bonne Maman", "Dr. Oetker", "Heinz", "Lindt", "Milka", "Président", "Tōkyō Foods", "Ürün",
  "Gül", "Crème d'Or", "Fjällräven Deli", "Kraš", "Ülker", "Storck", "Barilla", "De Cecco", "Rémy", "Mövenpick"];
const items = ["cola", "zero", "müsli", "yoghurt", "crème fraîche", "brötchen", "smørrebrød", "jalapeño", "chips", "pâté",
  "café", "espresso", "thé vert", "pâtes", "spaghetti", "penne", "risotto", "gnocchi", "chocolat", "praliné", "bière",
  "limonade", "jus d'orange", "eau gazeuse", "fromage", "gouda", "emmental", "brie", "camembert", "pain", "croissant",
  "baguette", "confiture", "miel", "beurre", "lait", "œufs", "saucisse", "jambon", "salami", "poulet", "bœuf", "saumon",
  "thon", "crevettes", "pomme", "poire", "banane", "fraise", "framboise", "tomate", "concombre", "salade", "oignon"];
const variants = ["bio", "light", "original", "classic", "extra", "premium", "mini", "maxi", "family", "gluten free",
  "vegan", "épicé", "doux", "fumé", "nature", "citron", "vanille", "fraise", "noisette", "caramel"];
const sizes = ["33cl", "50cl", "1L", "1.5L", "250g", "500g", "1kg", "6x33cl", "100g", "200g", "12 pcs", "4 pcs"];

/** @param {number} n */
function ean13(n) {
  const head = "87" + String(n).padStart(10, "0");
  return head + checkDigit(head);
}
const products = [];
for (let id = 1; id <= count; id++) {
  products.push({
    id,
    name: `${pick(brands)} ${pick(items)} ${pick(variants)} ${pick(sizes)}`,
    ref: `${pick(["A", "B", "C", "D", "FR", "NL"])}-${String(id).padStart(6, "0")}`,
    barcodes: random() < 0.1 ? [ean13(id), ean13(id + 5000000)] : [ean13(id)],
    category_id: 1 + Math.floor(random() * 40),
    price: (1 + random() * 50).toFixed(2),
    tax_id: 1,
    unit: "pc",
    weighed: false,
  });
}

// What the terminal does at cold start with the catalog payload: parse the JSON, build the index.
const payload = JSON.stringify({ products });
let started = performance.now();
const parsed = JSON.parse(payload).products;
const parseMs = performance.now() - started;
started = performance.now();
let index = buildSearchIndex(parsed);
const firstBuildMs = performance.now() - started;
const builds = [];
for (let i = 0; i < 3; i++) {
  started = performance.now();
  index = buildSearchIndex(parsed);
  builds.push(performance.now() - started);
}

/** Keystrokes of `text`: its prefixes, as typed one key at a time. @param {string} text */
const keystrokes = (text) => [...text].map((_, i) => text.slice(0, i + 1));
/** @type {Record<string, string[]>} */
const queries = { name: [], "two words": [], ref: [], barcode: [] };
for (let i = 0; i < 400; i++) {
  const product = parsed[Math.floor(random() * parsed.length)];
  const words = product.name.split(" ");
  queries.name.push(...keystrokes(words[words.length - 3].toLowerCase()));
  queries["two words"].push(...keystrokes(`${words[0].slice(0, 4)} ${words[words.length - 2].slice(0, 5)}`));
  queries.ref.push(...keystrokes(product.ref));
  queries.barcode.push(...keystrokes(product.barcodes[0]));
}

/** @param {number[]} sorted @param {number} q */
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const format = (/** @type {number} */ ms) => ms.toFixed(3).padStart(7);
console.log(`terminal search bench: ${count} products, node ${process.version}, ${os.cpus()[0]?.model ?? "?"}`);
console.log(`catalog JSON ${(payload.length / 1e6).toFixed(1)} MB, JSON.parse ${parseMs.toFixed(0)} ms`);
console.log(`index build: first ${firstBuildMs.toFixed(0)} ms, then ${builds.map((ms) => ms.toFixed(0)).join(" / ")} ms`);
console.log(`${"keystrokes".padEnd(12)} ${"n".padStart(6)}  p50 ms  p95 ms  p99 ms  max ms  (limit 50)`);
const all = [];
let firstQueryMs = null;
for (const [kind, list] of Object.entries(queries)) {
  const times = [];
  let hits = 0;
  for (const query of list) {
    started = performance.now();
    const result = searchProducts(index, query, { limit: 50 });
    const elapsed = performance.now() - started;
    firstQueryMs ??= elapsed;
    times.push(elapsed);
    hits += result.items.length;
  }
  if (hits === 0) throw new Error(`no hits for ${kind}`);
  times.sort((a, b) => a - b);
  all.push(...times);
  console.log(`${kind.padEnd(12)} ${String(times.length).padStart(6)} ${format(quantile(times, 0.5))} ${format(quantile(times, 0.95))} ${format(quantile(times, 0.99))} ${format(times[times.length - 1])}`);
}
all.sort((a, b) => a - b);
console.log(`${"all".padEnd(12)} ${String(all.length).padStart(6)} ${format(quantile(all, 0.5))} ${format(quantile(all, 0.95))} ${format(quantile(all, 0.99))} ${format(all[all.length - 1])}`);
console.log(`first query after build: ${firstQueryMs?.toFixed(3)} ms`);
