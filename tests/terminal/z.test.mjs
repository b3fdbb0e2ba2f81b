// domain/z.js against tests/shared/z_cases.json (docs/z-report.md), which the server's
// Python computation runs too: the till's Z and the server's are the same bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { canonicalize } from "../../src/kassa/terminal/domain/jcs.js";
import { parseAmount } from "../../src/kassa/terminal/domain/money.js";
import {
  businessDay,
  cashCountPayload,
  cashMovePayload,
  computeZ,
  overThreshold,
  periodCloses,
  zParameters,
} from "../../src/kassa/terminal/domain/z.js";

const cases = JSON.parse(readFileSync(new URL("../shared/z_cases.json", import.meta.url), "utf8"));

for (const { name, entries, context, z, period_closes } of cases.sessions) {
  test(`Z: ${name}`, () => {
    const computed = computeZ(entries, context);
    assert.deepEqual(computed, z);
    // the Z is an entry's payload: canonical (integers and strings only), as both sides hash it
    assert.equal(canonicalize(computed), canonicalize(z));
    assert.deepEqual(periodCloses(computed, context.previous), period_closes);
  });
}

for (const { at, time_zone, day_start, business_day } of cases.business_days) {
  test(`business day of ${at} in ${time_zone} from ${day_start} is ${business_day}`, () => {
    assert.equal(businessDay(at, time_zone, day_start), business_day);
  });
}

for (const { difference, expected, limit, over } of cases.thresholds) {
  test(`a difference of ${difference} on ${expected} against ${JSON.stringify(limit)} is ${over ? "" : "not "}over`, () => {
    assert.equal(overThreshold(parseAmount(difference, 2), parseAmount(expected, 2), limit, 2), over);
  });
}

const [golden, late, december, january] = cases.sessions;

test("the golden session holds what the issue asks of it", () => {
  const types = new Set(golden.entries.map((/** @type {any} */ e) => e.type));
  for (const type of ["SALE", "REFUND", "CASH_MOVE", "LINE_VOID", "ORDER_ABANDONED", "OVERRIDE", "CASH_COUNT"])
    assert.ok(types.has(type), type);
  const rates = golden.z.sales.tax_rates.map((/** @type {any} */ r) => r.rate);
  assert.deepEqual(rates, ["9", "21"]);
  const kinds = golden.entries
    .filter((/** @type {any} */ e) => e.type === "CASH_MOVE")
    .map((/** @type {any} */ e) => e.payload.kind);
  assert.ok(kinds.includes("in") && kinds.includes("drop"));
});

test("the Z's sums equal its entries: tickets' totals, per rate, payments", () => {
  const { z, entries } = golden;
  const cents = (/** @type {string} */ s) => parseAmount(s, 2);
  const tickets = entries.filter((/** @type {any} */ e) => e.type === "SALE" || e.type === "REFUND");
  assert.equal(z.totals.tickets, tickets.length);
  assert.equal(
    cents(z.totals.gross),
    tickets.reduce((s, /** @type {any} */ e) => s + cents(e.payload.totals.gross), 0),
  );
  for (const part of ["net", "tax", "gross"])
    assert.equal(
      cents(z.totals[part]),
      z.totals.tax_rates.reduce((s, /** @type {any} */ r) => s + cents(r[part]), 0),
    );
  assert.equal(cents(z.sales.gross) + cents(z.refunds.gross), cents(z.totals.gross));
  const paid = tickets
    .flatMap((/** @type {any} */ e) => e.payload.payments)
    .reduce((s, /** @type {any} */ p) => s + cents(p.amount), 0);
  assert.equal(
    paid,
    z.methods.reduce((s, /** @type {any} */ m) => s + cents(m.payments), 0),
  );
});

test("after the Z, the perpetual grand total equals the last ticket's", () => {
  const last = golden.entries.filter((/** @type {any} */ e) => e.type === "SALE" || e.type === "REFUND").at(-1);
  assert.equal(golden.z.grand_totals.gt_after, last.payload.gt_after);
  assert.equal(golden.z.grand_totals.gt_abs_after, last.payload.gt_abs_after);
  // a session without tickets carries the totals from before it
  assert.deepEqual(december.z.grand_totals, december.context.before);
});

test("the month equals the sum of its Zs", () => {
  // November: the previous Zs' totals (1-6), the golden Z (7) and the 00:30 session's (8)
  const [close] = december.period_closes;
  assert.equal(close.period, "month");
  assert.equal(close.key, "2026-11");
  assert.equal(close.zs, 8);
  const november = [golden.context.previous.period_totals.month, golden.z.totals, late.z.totals];
  const cents = (/** @type {string} */ s) => parseAmount(s, 2);
  for (const part of ["net", "tax", "gross"])
    assert.equal(
      cents(close[part]),
      november.reduce((s, t) => s + cents(t[part]), 0),
      part,
    );
  assert.equal(
    close.tickets,
    november.reduce((s, t) => s + t.tickets, 0),
  );
  assert.equal(close.last_z, 8);
  assert.equal(close.first_z, 1);
});

test("a month boundary writes a PERIOD_CLOSE, a year boundary two (month first), a day start keeps the day", () => {
  assert.deepEqual(golden.period_closes, []);
  assert.equal(late.z.business_day, "2026-11-30");
  assert.deepEqual(late.period_closes, []);
  assert.deepEqual(
    december.period_closes.map((/** @type {any} */ p) => [p.period, p.key]),
    [["month", "2026-11"]],
  );
  assert.deepEqual(
    january.period_closes.map((/** @type {any} */ p) => [p.period, p.key]),
    [
      ["month", "2026-12"],
      ["year", "2026"],
    ],
  );
  assert.equal(january.z.period_totals.month.zs, 1);
  assert.equal(january.z.period_totals.year.key, "2027");
  assert.deepEqual(periodCloses(golden.z, null), []);
});

test("the X report is the same computation, unclosed, without a count", () => {
  const beforeCount = golden.entries.slice(
    0,
    golden.entries.findIndex((/** @type {any} */ e) => e.type === "CASH_COUNT"),
  );
  const x = computeZ(beforeCount, { ...golden.context, z_no: null, closed: null, approval: null });
  assert.equal(x.z_no, null);
  assert.equal(x.cash.expected, "115.21");
  assert.equal(x.cash.counted, null);
  assert.equal(x.cash.suggested_float, null);
  assert.equal(x.variance.amount, null);
  assert.equal(x.variance.over, false);
  assert.deepEqual(x.sales, golden.z.sales);
});

test("a cash move written twice is one move", () => {
  const move = golden.entries.find((/** @type {any} */ e) => e.type === "CASH_MOVE");
  const twice = [...golden.entries.slice(0, -3), { ...move, seq: 999 }, ...golden.entries.slice(-3)];
  const z = computeZ(twice, golden.context);
  assert.equal(z.moves.length, golden.z.moves.length);
  assert.equal(z.cash.expected, golden.z.cash.expected);
});

test("a Z starts at its SESSION_OPEN", () => {
  assert.throws(() => computeZ(golden.entries.slice(1), golden.context), /SESSION_OPEN/);
});

test("day start and time zones are checked", () => {
  assert.throws(() => businessDay("2026-11-30T10:00:00.000Z", "UTC", "4:00"), /HH:MM/);
  assert.throws(() => businessDay("yesterday", "UTC", "04:00"), /not a time/);
});

test("cash move and count payloads: as printed, positive moves, denominations above zero", () => {
  assert.deepEqual(cashMovePayload({ move: "m", session: "s", kind: "drop", amount: 10000, reason: "safe_drop" }, 2), {
    move: "m",
    session: "s",
    kind: "drop",
    amount: "100.00",
    reason: "safe_drop",
    note: "",
    approval: null,
  });
  assert.throws(() => cashMovePayload({ move: "m", session: "s", kind: "drop", amount: 0, reason: "x" }, 2));
  assert.throws(() =>
    cashMovePayload({ move: "m", session: "s", kind: /** @type {any} */ ("steal"), amount: 1, reason: "x" }, 2),
  );
  assert.deepEqual(
    cashCountPayload(
      {
        session: "s",
        attempt: 1,
        blind: true,
        methods: [
          {
            method: "Cash",
            amount: 7000,
            denominations: [
              { value: 5000, count: 1 },
              { value: 1000, count: 2 },
              { value: 500, count: 0 },
            ],
          },
          { method: "Card", amount: 1157, denominations: null },
        ],
      },
      2,
    ),
    {
      session: "s",
      attempt: 1,
      blind: true,
      methods: [
        {
          method: "Cash",
          amount: "70.00",
          denominations: [
            { value: "50.00", count: 1 },
            { value: "10.00", count: 2 },
          ],
        },
        { method: "Card", amount: "11.57", denominations: null },
      ],
    },
  );
});

test("the parameters come from the terminal's configuration, with defaults", () => {
  const parameters = zParameters({
    currency: "EUR",
    currency_places: 2,
    payment_methods: [
      { id: 1, name: "Cash", is_cash: true },
      { id: 2, name: "Card", is_cash: false, variance_amount: "0.00" },
    ],
  });
  assert.deepEqual(parameters, {
    currency: "EUR",
    places: 2,
    time_zone: "UTC",
    day_start: "04:00",
    methods: [
      { name: "Cash", cash: true, variance: { amount: null, percent: null } },
      { name: "Card", cash: false, variance: { amount: "0.00", percent: null } },
    ],
    variance: { amount: null, percent: null },
    language: "en",
  });
  // the till's language is kept with the Z: its words print in it (domain/z_receipt.js)
  assert.equal(zParameters({ currency: "EUR", currency_places: 2, language: "de" }).language, "de");
});
