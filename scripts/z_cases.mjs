// Writes tests/shared/z_cases.json: the golden sessions of docs/z-report.md, their entries
// built here line by line with the terminal's own pricing (domain/money.js linePrice), and
// the Z that domain/z.js computes from them. The figures of the golden session are checked
// by hand in docs/z-report.md ("The golden session"); the server computes the same Zs in
// Python from the same entries. Run: node scripts/z_cases.mjs
import { writeFileSync } from "node:fs";
import { formatAmount, formatRate, linePrice, parseAmount, parseQuantity, parseRate } from "../src/kassa/terminal/domain/money.js";
import { layoutReceipt } from "../src/kassa/terminal/domain/receipt_layout.js";
import { computeZ, periodCloses } from "../src/kassa/terminal/domain/z.js";
import { zDocument } from "../src/kassa/terminal/domain/z_receipt.js";

const PLACES = 2;
const money = (/** @type {number} */ minor) => formatAmount(minor, PLACES);
const ANA = { id: 3, name: "Ana" };
const BO = { id: 1, name: "Bo" };
const KEY = "9f86d081884c7d65";
const HASH = "0".repeat(64);

const parameters = {
  currency: "EUR",
  places: PLACES,
  time_zone: "Europe/Amsterdam",
  day_start: "04:00",
  methods: [
    { name: "Cash", cash: true, variance: { amount: null, percent: null } },
    { name: "Card", cash: false, variance: { amount: "0.00", percent: null } },
  ],
  variance: { amount: "5.00", percent: "2.00" },
};
const store = { id: 1, name: "Kassa Demo Shop", tax_id: "NL001234567B01" };

/** A line as SALE writes it. */
function line(name, ref, qty, unitPrice, rate, discount = "0", extra = {}) {
  const priced = linePrice({
    quantity: parseQuantity(qty),
    unitPrice: parseAmount(unitPrice, PLACES),
    discount: Math.round(Number(discount) * 100),
    rate: parseRate(rate),
    priceIncludesTax: true,
    places: PLACES,
  });
  return {
    name,
    ref,
    qty,
    unit: "pc",
    unit_price: unitPrice,
    discount,
    tax_rate: formatRate(parseRate(rate)),
    net: money(priced.net),
    tax: money(priced.tax),
    amount: money(priced.gross),
    ...extra,
  };
}

function sum(lines, field) {
  return money(lines.reduce((s, l) => s + parseAmount(l[field], PLACES), 0));
}

class Session {
  constructor({ seq, gt, gtAbs, terminal = "POS1" }) {
    this.seq = seq;
    this.gt = parseAmount(gt, PLACES);
    this.gtAbs = parseAmount(gtAbs, PLACES);
    this.terminal = terminal;
    this.entries = [];
  }
  add(type, at, payload, cashier = ANA) {
    const entry = { v: 1, terminal: this.terminal, seq: this.seq, type, at, cashier, key: KEY, prev_hash: HASH, payload: { v: 1, ...payload } };
    this.seq += 1;
    this.entries.push(entry);
    return entry;
  }
  ticket(type, at, fields, lines, payments, change) {
    const totals = { net: sum(lines, "net"), tax: sum(lines, "tax"), gross: sum(lines, "amount") };
    const gross = parseAmount(totals.gross, PLACES);
    this.gt += gross;
    this.gtAbs += Math.abs(gross);
    return this.add(type, at, {
      ...fields,
      lines,
      totals,
      payments,
      change,
      gt_after: money(this.gt),
      gt_abs_after: money(this.gtAbs),
    });
  }
}

const uuid = (/** @type {number} */ n) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

// ------------------------------------------------------------ the golden session
const previous = {
  z_no: 6,
  business_day: "2026-11-29",
  period_totals: {
    month: {
      key: "2026-11", zs: 6, first_z: 1, last_z: 6, tickets: 240,
      net: "2000.00", tax: "300.00", gross: "2300.00",
      tax_rates: [
        { rate: "9", net: "800.00", tax: "72.00", gross: "872.00" },
        { rate: "21", net: "1200.00", tax: "228.00", gross: "1428.00" },
      ],
      refunds: { count: 2, gross: "-25.00" }, variance: "-1.50", gt_after: "1000.00", gt_abs_after: "1200.00",
    },
    year: {
      key: "2026", zs: 6, first_z: 1, last_z: 6, tickets: 240,
      net: "2000.00", tax: "300.00", gross: "2300.00",
      tax_rates: [
        { rate: "9", net: "800.00", tax: "72.00", gross: "872.00" },
        { rate: "21", net: "1200.00", tax: "228.00", gross: "1428.00" },
      ],
      refunds: { count: 2, gross: "-25.00" }, variance: "-1.50", gt_after: "1000.00", gt_abs_after: "1200.00",
    },
  },
};

const day = "2026-11-30T";
const g = new Session({ seq: 101, gt: "1000.00", gtAbs: "1200.00" });
g.add("SESSION_OPEN", `${day}08:00:00.000+01:00`, { session: uuid(1), opening_float: "150.00" });
g.add("LOGIN", `${day}08:00:05.000+01:00`, {});
const saleA = [
  line("Espresso beans 1 kg", "BEANS1", "1.000", "12.50", "21", "0", { }),
  line("Bread", "BREAD", "2.000", "2.95", "9", "10"),
];
g.ticket("SALE", `${day}09:10:00.000+01:00`, { order: uuid(101), receipt_no: "POS1-1-000001", session: uuid(1) }, saleA, [{ method: "Cash", amount: "20.00" }], "2.19");
g.add("LINE_VOID", `${day}09:20:00.000+01:00`, { order: uuid(102), line: line("Milk", "MILK", "1.000", "1.29", "9") });
const saleB = [line("Milk", "MILK", "2.000", "1.29", "9"), line("Red wine", "WINE", "1.000", "8.99", "21")];
g.ticket("SALE", `${day}09:21:00.000+01:00`, { order: uuid(102), receipt_no: "POS1-1-000002", session: uuid(1) }, saleB, [{ method: "Card", amount: "11.57" }], "0.00");
g.add("OVERRIDE", `${day}10:00:00.000+01:00`, {
  approval: uuid(201), action: "PRICE_OVERRIDE", subject: { kind: "line", order: uuid(103), line: "l1" },
  asked_by: ANA, approved_by: BO, reason: null, note: "", before: "12.90", after: "9.90",
});
g.ticket("SALE", `${day}10:01:00.000+01:00`, { order: uuid(103), receipt_no: "POS1-1-000003", session: uuid(1) }, [line("Cheese", "CHEESE", "1.000", "9.90", "9")], [{ method: "Cash", amount: "10.00" }], "0.10");
g.add("CASH_MOVE", `${day}11:00:00.000+01:00`, { move: uuid(301), session: uuid(1), kind: "in", amount: "50.00", reason: "change_float", note: "coins from the bank", approval: null });
g.add("ORDER_ABANDONED", `${day}12:00:00.000+01:00`, { order: uuid(104), lines: [line("Red wine", "WINE", "1.000", "8.99", "21")], total: "8.99" });
g.add("DRAWER_OPEN", `${day}12:30:00.000+01:00`, { reason: "change_request", approved_by: null });
const refund = [line("Espresso beans 1 kg", "BEANS1", "-1.000", "12.50", "21", "0", { original_line: "l1", reason: "damaged" })];
g.ticket("REFUND", `${day}14:00:00.000+01:00`, {
  order: uuid(105), receipt_no: "POS1-1-000004", session: uuid(1), kind: "refund",
  original: { order: uuid(101), receipt_no: "POS1-1-000001", at: `${day}09:10:00.000+01:00` }, approval: null,
}, refund, [{ method: "Cash", amount: "-12.50" }], "0.00");
g.add("CASH_MOVE", `${day}16:00:00.000+01:00`, { move: uuid(302), session: uuid(1), kind: "drop", amount: "100.00", reason: "safe_drop", note: "", approval: null });
g.add("CASH_COUNT", `${day}20:00:00.000+01:00`, {
  session: uuid(1), attempt: 1, blind: true,
  methods: [{ method: "Cash", amount: "90.00", denominations: null }, { method: "Card", amount: "11.57", denominations: null }],
});
g.add("CASH_COUNT", `${day}20:03:00.000+01:00`, {
  session: uuid(1), attempt: 2, blind: true,
  methods: [
    { method: "Cash", amount: "109.00", denominations: [{ value: "50.00", count: 1 }, { value: "20.00", count: 2 }, { value: "10.00", count: 1 }, { value: "5.00", count: 1 }, { value: "2.00", count: 2 }] },
    { method: "Card", amount: "11.57", denominations: null },
  ],
});
g.add("CASH_MOVE", `${day}20:04:00.000+01:00`, { move: uuid(303), session: uuid(1), kind: "drop", amount: "60.00", reason: "safe_drop", note: "closing drop", approval: null });

const goldenContext = {
  z_no: 7,
  terminal: "POS1",
  store,
  parameters,
  software: "Kassa 0.1.0",
  closed: { at: `${day}20:05:00.000+01:00`, by: ANA },
  approval: { id: uuid(202), approver: BO, reason: "count_error", note: "two coins rolls miscounted" },
  before: { gt_after: "1000.00", gt_abs_after: "1200.00" },
  previous,
};
const golden = computeZ(g.entries, goldenContext);

// ------------------------------------------------------------ 00:30 belongs to the day before
const late = new Session({ seq: 130, gt: golden.grand_totals.gt_after, gtAbs: golden.grand_totals.gt_abs_after });
late.add("SESSION_OPEN", "2026-12-01T00:30:00.000+01:00", { session: uuid(2), opening_float: "49.00" });
late.ticket("SALE", "2026-12-01T00:40:00.000+01:00", { order: uuid(111), receipt_no: "POS1-1-000005", session: uuid(2) }, [line("Red wine", "WINE", "1.000", "8.99", "21")], [{ method: "Cash", amount: "8.99" }], "0.00");
late.add("CASH_COUNT", "2026-12-01T01:00:00.000+01:00", { session: uuid(2), attempt: 1, blind: false, methods: [{ method: "Cash", amount: "57.99", denominations: null }, { method: "Card", amount: "0.00", denominations: null }] });
const lateContext = {
  ...goldenContext, z_no: 8, closed: { at: "2026-12-01T01:01:00.000+01:00", by: ANA }, approval: null,
  before: golden.grand_totals, previous: golden,
};
const lateZ = computeZ(late.entries, lateContext);

// ------------------------------------------------------------ the first Z of December: a month closes
const dec = new Session({ seq: 140, gt: lateZ.grand_totals.gt_after, gtAbs: lateZ.grand_totals.gt_abs_after });
dec.add("SESSION_OPEN", "2026-12-01T09:00:00.000+01:00", { session: uuid(3), opening_float: "57.99" });
dec.add("CASH_COUNT", "2026-12-01T18:00:00.000+01:00", { session: uuid(3), attempt: 1, blind: false, methods: [{ method: "Cash", amount: "57.99", denominations: null }, { method: "Card", amount: "0.00", denominations: null }] });
const decContext = {
  ...goldenContext, z_no: 9, closed: { at: "2026-12-01T18:01:00.000+01:00", by: ANA }, approval: null,
  before: lateZ.grand_totals, previous: lateZ,
};
const decZ = computeZ(dec.entries, decContext);

// ------------------------------------------------------------ the first Z of a year: month and year close
const jan = new Session({ seq: 150, gt: decZ.grand_totals.gt_after, gtAbs: decZ.grand_totals.gt_abs_after });
jan.add("SESSION_OPEN", "2027-01-02T09:00:00.000+01:00", { session: uuid(4), opening_float: "57.99" });
jan.ticket("SALE", "2027-01-02T09:30:00.000+01:00", { order: uuid(121), receipt_no: "POS1-1-000006", session: uuid(4) }, [line("Bread", "BREAD", "1.000", "2.95", "9")], [{ method: "Card", amount: "2.95" }], "0.00");
jan.add("CASH_COUNT", "2027-01-02T18:00:00.000+01:00", { session: uuid(4), attempt: 1, blind: false, methods: [{ method: "Cash", amount: "57.99", denominations: null }, { method: "Card", amount: "2.95", denominations: null }] });
const janContext = {
  ...goldenContext, z_no: 10, closed: { at: "2027-01-02T18:01:00.000+01:00", by: ANA }, approval: null,
  before: decZ.grand_totals, previous: decZ,
};
const janZ = computeZ(jan.entries, janContext);

// ------------------------------------------------------------ the golden session on a German till
// The same session closed by a till set to German: the Z keeps its language, and prints
// (and is shown in the back office) in German; the figures are the golden ones.
const germanContext = { ...goldenContext, parameters: { ...parameters, language: "de" } };
const german = computeZ(g.entries, germanContext);
// The fixed words a German Z prints on paper (domain/z_receipt.js) and shows in the back
// office (kassa/server/cash/ztext.py), and English words neither shows.
const words = {
  de: ["Z-BERICHT", "Kasse", "Geschäftstag", "Verkäufe", "Erstattungen", "Gesamtumsatz", "Ausnahmen", "Kassenlade", "Anfangsbestand", "Bargeldbewegungen", "Kassendifferenz", "Gesamtsummen", "Laufende Summe"],
  en: ["REPORT", "Business day", "Refunds", "Cash drawer", "Opening float", "Grand totals", "Perpetual"],
};

const session = (name, entries, context, z) => ({ name, entries, context, z, period_closes: periodCloses(z, context.previous) });

const out = {
  about:
    "docs/z-report.md: each session's entries (the parsed canonical entries, SESSION_OPEN up to the entry before PERIOD_CLOSE/Z_CLOSE; key and prev_hash are placeholders, the Z does not read them) with the context the Z takes, the exact Z, and the PERIOD_CLOSE payloads written before it. Written by scripts/z_cases.mjs; the golden session's figures are checked by hand in docs/z-report.md.",
  sessions: [
    session("golden: two tax rates, a refund, a cash in and a drop, a line void, an abandoned order, an override, a recount approved, a closing drop", g.entries, goldenContext, golden),
    session("day start: a session opened at 00:30 belongs to the day before, so no month closes", late.entries, lateContext, lateZ),
    session("the first Z of December writes November's PERIOD_CLOSE", dec.entries, decContext, decZ),
    session("the first Z of a year writes December's and the year's PERIOD_CLOSE", jan.entries, janContext, janZ),
    {
      ...session("golden, closed on a German till: the Z keeps its language, its words print in German", g.entries, germanContext, german),
      words,
      // the German Z as printed at 42 columns (domain/z_receipt.js, domain/receipt_layout.js)
      printed: layoutReceipt(zDocument(german), 42).map((row) => ("text" in row ? row.text : `[${row.value}]`)),
    },
  ],
  business_days: [
    { at: "2026-11-30T00:30:00.000+01:00", time_zone: "Europe/Amsterdam", day_start: "04:00", business_day: "2026-11-29" },
    { at: "2026-11-30T04:00:00.000+01:00", time_zone: "Europe/Amsterdam", day_start: "04:00", business_day: "2026-11-30" },
    { at: "2026-11-30T03:59:59.999+01:00", time_zone: "Europe/Amsterdam", day_start: "04:00", business_day: "2026-11-29" },
    { at: "2026-11-30T02:30:00.000+00:00", time_zone: "Europe/Amsterdam", day_start: "04:00", business_day: "2026-11-29" },
    { at: "2026-11-30T03:30:00.000+00:00", time_zone: "Europe/Amsterdam", day_start: "04:00", business_day: "2026-11-30" },
    { at: "2026-11-30T00:30:00.000+01:00", time_zone: "Europe/Amsterdam", day_start: "00:00", business_day: "2026-11-30" },
    { at: "2026-03-29T03:30:00.000+02:00", time_zone: "Europe/Amsterdam", day_start: "04:00", business_day: "2026-03-28" },
    { at: "2026-12-01T01:00:00.000+00:00", time_zone: "America/New_York", day_start: "04:00", business_day: "2026-11-30" },
    { at: "2026-12-01T08:30:00.000+00:00", time_zone: "America/New_York", day_start: "04:00", business_day: "2026-11-30" },
    { at: "2026-12-01T09:00:00.000+00:00", time_zone: "America/New_York", day_start: "04:00", business_day: "2026-12-01" },
    { at: "2027-01-01T03:00:00.000+01:00", time_zone: "Europe/Berlin", day_start: "04:00", business_day: "2026-12-31" },
    { at: "2026-11-30T12:00:00.000+00:00", time_zone: "UTC", day_start: "23:30", business_day: "2026-11-29" },
  ],
  thresholds: [
    { difference: "-0.21", expected: "115.21", limit: { amount: "5.00", percent: null }, over: false },
    { difference: "-6.21", expected: "115.21", limit: { amount: "5.00", percent: null }, over: true },
    { difference: "5.00", expected: "100.00", limit: { amount: "5.00", percent: null }, over: false },
    { difference: "5.01", expected: "100.00", limit: { amount: "5.00", percent: null }, over: true },
    { difference: "2.00", expected: "100.00", limit: { amount: null, percent: "2.00" }, over: false },
    { difference: "-2.01", expected: "100.00", limit: { amount: null, percent: "2.00" }, over: true },
    { difference: "0.01", expected: "0.00", limit: { amount: null, percent: "2.00" }, over: true },
    { difference: "0.01", expected: "11.57", limit: { amount: "0.00", percent: null }, over: true },
    { difference: "100.00", expected: "1.00", limit: { amount: null, percent: null }, over: false },
    { difference: "0.00", expected: "0.00", limit: { amount: "0.00", percent: "0.00" }, over: false },
  ],
};
writeFileSync(new URL("../tests/shared/z_cases.json", import.meta.url), `${JSON.stringify(out, null, 1)}\n`);
console.log(JSON.stringify(golden, null, 1));
