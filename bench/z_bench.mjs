// Benchmark of the Z computed on the till (docs/z-report.md; target: a 2,000-order
// session in at most 500 ms).
//
//   node bench/z_bench.mjs [--orders 2000] [--browser]
//
// Builds a session's journal: SESSION_OPEN, then N SALEs of 1 to 5 lines in two tax
// rates paid by cash (with change) or card, with a LINE_VOID every 20 orders, an
// ORDER_ABANDONED every 50, a DRAWER_OPEN every 100, a cash move every 250, two
// CASH_COUNTs at the end; each entry in its canonical text, as IndexedDB keeps it.
//
// In node: JSON.parse of every entry's canonical text plus computeZ (domain/z.js), the
// pure part. With --browser, in headless Chromium (CHROMIUM, default `chromium`), served
// from a throw-away local HTTP server: the entries are written into a real IndexedDB
// journal store (data/db.js openTerminalDb), then timed as the close does it: read back
// from the head to the session's SESSION_OPEN (data/journal.js journalSessionEntries),
// parsed, and computeZ. Prints the median and the max of 7 runs after 2 warm-ups.
import { canonicalize } from "../src/kassa/terminal/domain/jcs.js";
import { formatAmount, formatRate, linePrice } from "../src/kassa/terminal/domain/money.js";
import { computeZ } from "../src/kassa/terminal/domain/z.js";
import { runInChromium } from "./chromium.mjs";

const inBrowser = typeof window !== "undefined";
const PLACES = 2;

/** The session's entries in canonical text, deterministic. @param {number} orders */
export function makeSession(orders) {
  let seed = 1;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const money = (/** @type {number} */ minor) => formatAmount(minor, PLACES);
  const uuid = (/** @type {number} */ n) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  const cashier = { id: 3, name: "Ana" };
  /** @type {any[]} */
  const entries = [];
  let seq = 1000;
  let gt = 0;
  let gtAbs = 0;
  const add = (/** @type {string} */ type, /** @type {any} */ payload) => {
    seq += 1;
    entries.push({
      v: 1,
      terminal: "POS1",
      seq,
      type,
      at: `2026-11-30T${String(8 + (Math.floor(seq / 400) % 12)).padStart(2, "0")}:00:00.000+01:00`,
      cashier,
      key: "9f86d081884c7d65",
      prev_hash: "0".repeat(64),
      payload: { v: 1, ...payload },
    });
  };
  const line = () => {
    const rate = random() < 0.5 ? 90000 : 210000;
    const quantity = (1 + Math.floor(random() * 3)) * 1000;
    const unitPrice = 50 + Math.floor(random() * 2000);
    const discount = random() < 0.1 ? 1000 : 0;
    const priced = linePrice({ quantity, unitPrice, discount, rate, priceIncludesTax: true, places: PLACES });
    return {
      name: `Product ${Math.floor(random() * 5000)}`,
      ref: "",
      qty: formatAmount(quantity, 3),
      unit: "pc",
      unit_price: money(unitPrice),
      discount: discount ? "10" : "0",
      tax_rate: formatRate(rate),
      net: money(priced.net),
      tax: money(priced.tax),
      amount: money(priced.gross),
      gross: priced.gross,
    };
  };
  const session = uuid(1);
  add("SESSION_OPEN", { session, opening_float: "150.00" });
  for (let n = 1; n <= orders; n++) {
    const lines = Array.from({ length: 1 + Math.floor(random() * 5) }, line);
    const gross = lines.reduce((s, l) => s + l.gross, 0);
    const net = lines.reduce((s, l) => s + Number(l.net.replace(".", "")), 0);
    const cash = random() < 0.5;
    const paid = cash ? Math.ceil(gross / 500) * 500 : gross;
    gt += gross;
    gtAbs += gross;
    if (n % 20 === 0) {
      const { gross: _, ...voided } = line();
      add("LINE_VOID", { order: uuid(10000 + n), line: voided });
    }
    if (n % 50 === 0) add("ORDER_ABANDONED", { order: uuid(20000 + n), lines: [], total: "0.00" });
    if (n % 100 === 0) add("DRAWER_OPEN", { reason: "change_request", approved_by: null });
    if (n % 250 === 0)
      add("CASH_MOVE", {
        move: uuid(30000 + n),
        session,
        kind: n % 500 === 0 ? "drop" : "in",
        amount: "50.00",
        reason: "SAFE",
        note: "",
        approval: null,
      });
    add("SALE", {
      order: uuid(10000 + n),
      receipt_no: `POS1-1-${String(n).padStart(6, "0")}`,
      session,
      lines: lines.map(({ gross: _, ...rest }) => rest),
      totals: { net: money(net), tax: money(gross - net), gross: money(gross) },
      payments: [{ method: cash ? "Cash" : "Card", amount: money(paid) }],
      change: money(paid - gross),
      gt_after: money(gt),
      gt_abs_after: money(gtAbs),
    });
  }
  for (const attempt of [1, 2])
    add("CASH_COUNT", {
      session,
      attempt,
      blind: true,
      methods: [
        { method: "Cash", amount: "1000.00", denominations: null },
        { method: "Card", amount: "1000.00", denominations: null },
      ],
    });
  return entries.map((entry) => ({ seq: entry.seq, type: entry.type, canonical: canonicalize(entry) }));
}

export const CONTEXT = {
  z_no: 1,
  terminal: "POS1",
  store: { id: 1, name: "Bench shop", tax_id: "" },
  parameters: {
    currency: "EUR",
    places: PLACES,
    time_zone: "Europe/Amsterdam",
    day_start: "04:00",
    methods: [
      { name: "Cash", cash: true, variance: { amount: null, percent: null } },
      { name: "Card", cash: false, variance: { amount: null, percent: null } },
    ],
    variance: { amount: "5.00", percent: null },
  },
  software: "Kassa 0.1.0",
  closed: { at: "2026-11-30T22:00:00.000+01:00", by: { id: 3, name: "Ana" } },
  approval: { id: "a", approver: { id: 1, name: "Bo" }, reason: null, note: "" },
  before: { gt_after: "0.00", gt_abs_after: "0.00" },
  previous: null,
};

/** @param {number[]} times */
function summary(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms`;
}

/** @param {number} orders @param {(line: string) => void} log */
function benchNode(orders, log) {
  const records = makeSession(orders);
  log(
    `${orders} orders: ${records.length} entries, ${records.reduce((s, r) => s + r.canonical.length, 0)} bytes of canonical text`,
  );
  const times = [];
  let z;
  for (let run = 0; run < 9; run++) {
    const start = performance.now();
    z = computeZ(
      records.map((r) => JSON.parse(r.canonical)),
      CONTEXT,
    );
    if (run >= 2) times.push(performance.now() - start);
  }
  log(`parse + computeZ: ${summary(times)} (Z: ${z?.sales.tickets} tickets, gross ${z?.sales.gross})`);
}

/** @param {number} orders @param {(line: string) => void} log */
async function benchBrowser(orders, log) {
  const { openTerminalDb } = await import("../src/kassa/terminal/data/db.js");
  const { journalSessionEntries, JOURNAL_STORE } = await import("../src/kassa/terminal/data/journal.js");
  const records = makeSession(orders);
  log(`${orders} orders: ${records.length} entries`);
  const db = await openTerminalDb({ name: `z-bench-${Date.now()}` });
  // Entries before the session, as a till has them: the read stops at SESSION_OPEN.
  const tx = db.transaction(JOURNAL_STORE, "readwrite");
  for (let seq = 1; seq < records[0].seq; seq++)
    tx.store.put({
      seq,
      type: "LOGIN",
      canonical: JSON.stringify({ seq, type: "LOGIN", payload: {} }),
      hash: "",
      sig: "",
    });
  for (const record of records) tx.store.put({ ...record, hash: "", sig: "" });
  await tx.done;
  const times = [];
  const reads = [];
  let z;
  for (let run = 0; run < 9; run++) {
    const start = performance.now();
    const entries = await journalSessionEntries(db, records[0].canonical.match(/"session":"([^"]+)"/)?.[1] ?? "");
    const read = performance.now();
    z = computeZ(entries, CONTEXT);
    if (run >= 2) {
      times.push(performance.now() - start);
      reads.push(read - start);
    }
  }
  log(`IndexedDB read + parse: ${summary(reads)}`);
  log(
    `Z on the till (read + parse + computeZ): ${summary(times)} (Z: ${z?.sales.tickets} tickets, gross ${z?.sales.gross})`,
  );
}

if (inBrowser) {
  const lines = [];
  try {
    lines.push(`z bench: ${navigator.userAgent.match(/Chrom\S+/)?.[0]}, ${navigator.hardwareConcurrency} cores`);
    await benchBrowser(/** @type {any} */ (window).benchOrders ?? 2000, (line) => lines.push(line));
  } catch (error) {
    lines.push(`ERROR ${error} ${/** @type {Error} */ (error).stack}`);
  }
  await fetch("/result", { method: "POST", body: lines.join("\n") });
} else {
  const args = process.argv.slice(2);
  const at = args.indexOf("--orders");
  const orders = at >= 0 ? Number(args[at + 1]) : 2000;
  if (args.includes("--browser")) {
    await runInChromium("/bench/z_bench.mjs", { benchOrders: orders });
  } else {
    const os = await import("node:os");
    console.log(`z bench: node ${process.version}, ${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores`);
    benchNode(orders, console.log);
  }
}
