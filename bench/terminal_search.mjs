// Benchmark of the terminal's product search and catalog storage.
//
//   node bench/terminal_search.mjs [--products N] [--browser]
//
// Makes N (100,000) synthetic products (multilingual names with accents, references, EAN-13
// barcodes), builds the search index (src/kassa/terminal/domain/search.js), then replays a
// cashier typing: each query is one keystroke of a name, two name words, a reference or a
// barcode. Prints the build time and p50/p95/p99/max per keystroke.
//
// With --browser the same file runs as a module in headless Chromium (CHROMIUM, default
// `chromium`), served from a throw-away local HTTP server, and also times the cold start the
// terminal does: JSON.parse of the catalog, the index built page by page and stored whole
// (data/db.js putCatalogIndex), read back (loadCatalog), a catalog delta applied in place
// and kept (putCatalogChanges), outbox and receipt-number writes.
// Figures go into docs/terminal.md with the machine they ran on.
import { checkDigit } from "../src/kassa/terminal/domain/barcode.js";
import {
  INDEX_FORMAT,
  applyCatalogChanges,
  buildSearchIndex,
  catalogChanges,
  createIndexBuilder,
  restoreSearchIndex,
  searchProducts,
  storableSearchIndex,
} from "../src/kassa/terminal/domain/search.js";
import { runInChromium } from "./chromium.mjs";

const inBrowser = typeof window !== "undefined";

/** Deterministic products and keystrokes, the same in node and in the browser. */
function makeWorkload(/** @type {number} */ count) {
  let seed = 1;
  const random = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (/** @type {string[]} */ list) => list[Math.floor(random() * list.length)];
  const brands = [
    "Coca-Cola",
    "Nestlé",
    "Müller",
    "Danone",
    "Øko",
    "Café Royal",
    "Señor Jalapeño",
    "Łowicz",
    "Brødrene",
    "Zwan",
    "Hollandia",
    "Bonne Maman",
    "Dr. Oetker",
    "Heinz",
    "Lindt",
    "Milka",
    "Président",
    "Tōkyō Foods",
    "Ürün",
    "Gül",
    "Crème d'Or",
    "Fjällräven Deli",
    "Kraš",
    "Ülker",
    "Storck",
    "Barilla",
    "De Cecco",
    "Rémy",
    "Mövenpick",
  ];
  const items = [
    "cola",
    "zero",
    "müsli",
    "yoghurt",
    "crème fraîche",
    "brötchen",
    "smørrebrød",
    "jalapeño",
    "chips",
    "pâté",
    "café",
    "espresso",
    "thé vert",
    "pâtes",
    "spaghetti",
    "penne",
    "risotto",
    "gnocchi",
    "chocolat",
    "praliné",
    "bière",
    "limonade",
    "jus d'orange",
    "eau gazeuse",
    "fromage",
    "gouda",
    "emmental",
    "brie",
    "camembert",
    "pain",
    "croissant",
    "baguette",
    "confiture",
    "miel",
    "beurre",
    "lait",
    "œufs",
    "saucisse",
    "jambon",
    "salami",
    "poulet",
    "bœuf",
    "saumon",
    "thon",
    "crevettes",
    "pomme",
    "poire",
    "banane",
    "fraise",
    "framboise",
    "tomate",
    "concombre",
    "salade",
    "oignon",
  ];
  const variants = [
    "bio",
    "light",
    "original",
    "classic",
    "extra",
    "premium",
    "mini",
    "maxi",
    "family",
    "gluten free",
    "vegan",
    "épicé",
    "doux",
    "fumé",
    "nature",
    "citron",
    "vanille",
    "fraise",
    "noisette",
    "caramel",
  ];
  const sizes = ["33cl", "50cl", "1L", "1.5L", "250g", "500g", "1kg", "6x33cl", "100g", "200g", "12 pcs", "4 pcs"];
  const ean13 = (/** @type {number} */ n) => {
    const head = "87" + String(n).padStart(10, "0");
    return head + checkDigit(head);
  };
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
  const keystrokes = (/** @type {string} */ text) => [...text].map((_, i) => text.slice(0, i + 1));
  /** @type {Record<string, string[]>} */
  const queries = { name: [], "two words": [], ref: [], barcode: [] };
  for (let i = 0; i < 400; i++) {
    const product = products[Math.floor(random() * products.length)];
    const words = product.name.split(" ");
    queries.name.push(...keystrokes(words[words.length - 3].toLowerCase()));
    queries["two words"].push(...keystrokes(`${words[0].slice(0, 4)} ${words[words.length - 2].slice(0, 5)}`));
    queries.ref.push(...keystrokes(product.ref));
    queries.barcode.push(...keystrokes(product.barcodes[0]));
  }
  return { products, queries };
}

/**
 * Time every keystroke; one line per kind of query and one for all.
 * @param {ReturnType<typeof buildSearchIndex>} index
 * @param {Record<string, string[]>} queries
 * @param {(line: string) => void} log
 */
function replayKeystrokes(index, queries, log) {
  const quantile = (/** @type {number[]} */ sorted, /** @type {number} */ q) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const ms = (/** @type {number} */ value) => value.toFixed(3).padStart(7);
  const row = (/** @type {string} */ kind, /** @type {number[]} */ sorted) =>
    log(
      `${kind.padEnd(10)} ${String(sorted.length).padStart(6)} ${ms(quantile(sorted, 0.5))} ${ms(quantile(sorted, 0.95))} ${ms(quantile(sorted, 0.99))} ${ms(sorted[sorted.length - 1])}`,
    );
  log(`${"keystrokes".padEnd(10)} ${"n".padStart(6)}  p50 ms  p95 ms  p99 ms  max ms  (50 results a query)`);
  const all = [];
  for (const [kind, list] of Object.entries(queries)) {
    const times = [];
    let hits = 0;
    for (const query of list) {
      const started = performance.now();
      hits += searchProducts(index, query, { limit: 50 }).items.length;
      times.push(performance.now() - started);
    }
    if (hits === 0) throw new Error(`no hits for ${kind}`);
    times.sort((a, b) => a - b);
    all.push(...times);
    row(kind, times);
  }
  all.sort((a, b) => a - b);
  row("all", all);
}

/** @param {number} count @param {(line: string) => void} log */
function benchNode(count, log) {
  const { products, queries } = makeWorkload(count);
  const payload = JSON.stringify({ products });
  let started = performance.now();
  const parsed = JSON.parse(payload).products;
  log(
    `catalog JSON ${(payload.length / 1e6).toFixed(1)} MB, JSON.parse ${(performance.now() - started).toFixed(0)} ms`,
  );
  const builds = [];
  let index = buildSearchIndex(parsed);
  for (let i = 0; i < 4; i++) {
    started = performance.now();
    index = buildSearchIndex(parsed);
    builds.push(performance.now() - started);
  }
  log(`index build: ${builds.map((ms) => ms.toFixed(0)).join(" / ")} ms`);
  let pages = 0;
  started = performance.now();
  const builder = createIndexBuilder();
  for (let at = 0; at < parsed.length; at += 25_000) {
    builder.add(parsed.slice(at, at + 25_000));
    pages += performance.now() - started;
    started = performance.now();
  }
  builder.finish();
  log(
    `index by pages of 25,000: ${pages.toFixed(0)} ms adding (during the download), finish ${(performance.now() - started).toFixed(0)} ms`,
  );
  replayKeystrokes(index, queries, log);
}

/** @param {number} count @param {(line: string) => void} log */
async function benchBrowser(count, log) {
  const db = await import("../src/kassa/terminal/data/db.js");
  const { products, queries } = makeWorkload(count);
  const payload = JSON.stringify({ products });
  const name = "kassa-bench";
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = resolve;
  });
  const conn = await db.openTerminalDb({ name });
  const lap = () => {
    const started = performance.now();
    return () => (performance.now() - started).toFixed(0).padStart(5) + " ms";
  };
  log("cold start, after the download:");
  const coldStart = lap();
  let time = lap();
  const parsed = JSON.parse(payload).products;
  log(`  JSON.parse ${(payload.length / 1e6).toFixed(1)} MB       ${time()}`);
  time = lap();
  const builder = createIndexBuilder();
  for (let at = 0; at < parsed.length; at += 25_000) builder.add(parsed.slice(at, at + 25_000));
  log(`  index pages added           ${time()}  (done while the pages download)`);
  time = lap();
  const index = builder.finish();
  log(`  index finished              ${time()}`);
  time = lap();
  await db.putCatalogIndex(conn, {
    index: storableSearchIndex(index),
    format: INDEX_FORMAT,
    categories: [],
    taxes: [],
    token: 1,
  });
  log(`  putCatalogIndex committed   ${time()}  (columns: strings and typed arrays)`);
  log(`  total                       ${coldStart()}`);
  time = lap();
  const loaded = await db.loadCatalog(conn);
  const restored = restoreSearchIndex(/** @type {any} */ (loaded.base).index);
  log(`warm start: loadCatalog      ${time()}  (${restored.count} products)`);
  time = lap();
  const changed = applyCatalogChanges(restored, {
    products: parsed.slice(0, 10_000).map((/** @type {any} */ p) => ({ ...p, price: "9.99" })),
    deleted: [parsed[Math.floor(count * 0.7)].id, parsed[Math.floor(count * 0.8)].id],
  });
  log(`delta of 10,000 + 2 deleted applied ${time()}`);
  time = lap();
  await db.putCatalogChanges(conn, { base: 1, ...catalogChanges(changed), categories: [], taxes: [], token: 2 });
  log(`delta kept (putCatalogChanges)      ${time()}`);
  time = lap();
  for (let i = 0; i < 50; i++)
    await db.outboxAdd(conn, { uuid: `u${i}`, kind: "order", payload: { i }, createdAt: "" });
  log(`50 × outboxAdd (strict)      ${time()}`);
  time = lap();
  for (let i = 0; i < 50; i++) await db.nextReceiptNumber(conn, "B-");
  log(`50 × nextReceiptNumber       ${time()}`);
  conn.close();
  log("search (Chromium's timer has 0.1 ms resolution):");
  replayKeystrokes(index, queries, log);
}

if (inBrowser) {
  const lines = [];
  try {
    lines.push(`terminal bench: ${navigator.userAgent.match(/Chrom\S+/)?.[0]}, ${navigator.hardwareConcurrency} cores`);
    await benchBrowser(/** @type {any} */ (window).benchProducts ?? 100000, (line) => lines.push(line));
  } catch (error) {
    lines.push(`ERROR ${error} ${/** @type {Error} */ (error).stack}`);
  }
  await fetch("/result", { method: "POST", body: lines.join("\n") });
} else {
  const args = process.argv.slice(2);
  const at = args.indexOf("--products");
  const count = at >= 0 ? Number(args[at + 1]) : 100000;
  if (args.includes("--browser")) {
    await runInChromium("/bench/terminal_search.mjs", { benchProducts: count });
  } else {
    const os = await import("node:os");
    console.log(
      `terminal search bench: ${count} products, node ${process.version}, ${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores`,
    );
    benchNode(count, console.log);
  }
}
