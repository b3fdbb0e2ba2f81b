// domain/refund.js against the worked cases shared with the server (tests/shared/refund_cases.json),
// and a refund as the cart, the sync payload and the REFUND journal entry carry it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  NOTHING,
  RefundError,
  defaultTender,
  recentFromOrder,
  recentMatches,
  refundAmounts,
  refundPicks,
  refundableLines,
} from "../../src/kassa/terminal/domain/refund.js";
import {
  addPayment,
  addProduct,
  addReturnedLines,
  amountDue,
  createOrder,
  isFullyPaid,
  orderKind,
  setQuantity,
  stampOrder,
  toSyncPayload,
  totals,
} from "../../src/kassa/terminal/domain/cart.js";
import {
  linePrice,
  parseAmount,
  parseDiscount,
  parseQuantity,
  parseRate,
} from "../../src/kassa/terminal/domain/money.js";
import { refundPayload } from "../../src/kassa/terminal/domain/journal.js";

const shared = JSON.parse(readFileSync(new URL("../shared/refund_cases.json", import.meta.url), "utf8"));

/** An original (a RecentOrder) of the case's lines, priced by linePrice, which must give the case's figures. */
function original(lines, places, uuid = "00000000-0000-4000-8000-000000000001") {
  return {
    uuid,
    receiptNumber: "POS1-1-000001",
    createdAt: "2026-11-30T10:00:00.000+01:00",
    kind: "sale",
    original: null,
    gross: 0,
    payments: [{ methodId: 1, amount: 0 }],
    lines: lines.map((line, position) => {
      const input = {
        quantity: parseQuantity(line.quantity),
        unitPrice: parseAmount(line.unit_price, places),
        discount: parseDiscount(line.discount),
        rate: parseRate(line.tax_rate),
        priceIncludesTax: line.price_includes_tax,
      };
      const priced = linePrice({ ...input, places });
      assert.deepEqual(priced, {
        net: parseAmount(line.net, places),
        tax: parseAmount(line.tax, places),
        gross: parseAmount(line.gross, places),
      });
      return {
        position,
        productId: position + 1,
        name: `P${position}`,
        unit: "pc",
        taxId: 1,
        ...input,
        ...priced,
        originalLine: null,
        reason: "",
      };
    }),
  };
}

let refundSeq = 0;
/** The RecentOrder a refund of `picks` leaves in the local index. */
function asRecent(sold, picks) {
  refundSeq += 1;
  return {
    uuid: `r-${refundSeq}`,
    receiptNumber: `R${refundSeq}`,
    createdAt: sold.createdAt,
    kind: "refund",
    original: sold.uuid,
    gross: 0,
    payments: [],
    lines: picks.map((pick, position) => ({
      ...pick.line,
      position,
      quantity: -pick.quantity,
      net: -pick.amounts.net,
      tax: -pick.amounts.tax,
      gross: -pick.amounts.gross,
      originalLine: pick.position,
      reason: pick.reason,
    })),
  };
}

for (const worked of shared.cases) {
  test(`refund case: ${worked.name}`, () => {
    const places = worked.currency_places;
    const sold = original(worked.original, places);
    const known = [];
    for (const step of worked.refunds) {
      const picks = refundPicks(
        sold,
        known,
        step.lines.map((line) => ({ position: line.line, quantity: parseQuantity(line.quantity), reason: "DAMAGED" })),
      );
      step.lines.forEach((line, i) => {
        const got = picks[i].amounts;
        assert.deepEqual(
          [-got.net, -got.tax, -got.gross],
          [line.net, line.tax, line.gross].map((v) => parseAmount(v, places)),
        );
        assert.equal(got.net + got.tax, got.gross);
      });
      known.push(asRecent(sold, picks));
    }
    // everything refunded: nothing is left, and the refunds negate the original to the cent per tax rate
    assert.deepEqual(
      refundableLines(sold, known).map((entry) => entry.left),
      sold.lines.map(() => 0),
    );
    const byRate = new Map();
    for (const refund of known)
      for (const line of refund.lines) {
        const sum = byRate.get(line.rate) ?? [0, 0, 0];
        byRate.set(line.rate, [sum[0] + line.net, sum[1] + line.tax, sum[2] + line.gross]);
      }
    for (const [rate, sum] of byRate) {
      const lines = sold.lines.filter((line) => line.rate === rate);
      assert.deepEqual(sum, [
        -lines.reduce((s, l) => s + l.net, 0),
        -lines.reduce((s, l) => s + l.tax, 0),
        -lines.reduce((s, l) => s + l.gross, 0),
      ]);
    }
  });
}

const product = (id, price, taxId = 1) => ({ id, name: `Product ${id}`, price, tax_id: taxId });
const tax21 = { id: 1, rate: "21", price_includes_tax: true };

for (const worked of shared.exchanges) {
  test(`exchange case: ${worked.name}`, () => {
    // given the original, and a ticket returning part of it and selling a new line
    const places = worked.currency_places;
    const sold = original(worked.original, places);
    let order = createOrder({ newUuid: () => "ex-1", receiptNumber: "", createdAt: sold.createdAt, places });
    const picks = refundPicks(
      sold,
      [],
      worked.returned.map((l) => ({ position: l.line, quantity: parseQuantity(l.quantity), reason: "SIZE" })),
    );
    order = addReturnedLines(order, { uuid: sold.uuid, receiptNumber: sold.receiptNumber, at: sold.createdAt }, picks);
    for (const line of worked.new_lines) {
      order = addProduct(order, {
        product: product(9, line.unit_price),
        tax: tax21,
        quantity: parseQuantity(line.quantity),
      });
    }
    // then its totals are the case's, and the customer pays the difference
    const sum = totals(order);
    assert.deepEqual(
      [sum.net, sum.tax, sum.gross],
      ["net", "tax", "gross"].map((k) => parseAmount(worked.totals[k], places)),
    );
    assert.equal(orderKind(order), worked.kind);
    assert.equal(amountDue(order), sum.gross);
    order = addPayment(order, { method: { id: 1, is_cash: true }, amount: sum.gross });
    const payload = toSyncPayload(stampOrder(order, { receiptNumber: "R1", createdAt: sold.createdAt }), {
      sessionUuid: "s",
      cashierId: 1,
    });
    assert.equal(payload.kind, "exchange");
    assert.equal(payload.original_uuid, sold.uuid);
    assert.deepEqual(
      payload.lines.map((l) => [l.quantity, l.gross, l.original_line, l.reason]),
      [
        ["-1.000", "-19.99", 0, "SIZE"],
        ["1.000", "24.99", undefined, undefined],
      ],
    );
  });
}

for (const worked of shared.over_refunds) {
  test(`over-refund blocked at the till: ${worked.name}`, () => {
    const places = worked.currency_places;
    const sold = original(worked.original, places);
    const done = refundPicks(
      sold,
      [],
      worked.refunded.map((l) => ({ position: l.line, quantity: parseQuantity(l.quantity), reason: "" })),
    );
    const known = [asRecent(sold, done)];
    assert.equal(refundableLines(sold, known)[worked.asked.line].left, parseQuantity(worked.refundable));
    assert.throws(
      () =>
        refundPicks(sold, known, [
          { position: worked.asked.line, quantity: parseQuantity(worked.asked.quantity), reason: "" },
        ]),
      (error) =>
        error instanceof RefundError &&
        error.code === worked.error &&
        /at most 0 can still be refunded/.test(error.message),
    );
  });
}

test("a refund counted once whether the server sent it or this till wrote it", () => {
  const sold = original(
    [
      {
        quantity: "3",
        unit_price: "1.00",
        discount: "0",
        tax_rate: "21",
        price_includes_tax: true,
        net: "2.48",
        tax: "0.52",
        gross: "3.00",
      },
    ],
    2,
  );
  const [pick] = refundPicks(sold, [], [{ position: 0, quantity: 1000, reason: "" }]);
  const mine = asRecent(sold, [pick]);
  const pulled = { ...mine, local: false };
  assert.equal(refundableLines(sold, [mine, pulled])[0].left, 2000);
});

test("a refund of a refund is refused with a clear message", () => {
  const sold = original(
    [
      {
        quantity: "1",
        unit_price: "1.00",
        discount: "0",
        tax_rate: "21",
        price_includes_tax: true,
        net: "0.83",
        tax: "0.17",
        gross: "1.00",
      },
    ],
    2,
  );
  const refund = asRecent(sold, refundPicks(sold, [], [{ position: 0, quantity: 1000, reason: "" }]));
  assert.throws(
    () => refundableLines(refund, []),
    (error) =>
      error.code === "refund_of_refund" &&
      /a refund cannot be refunded\. Refund the original sale instead\./.test(error.message),
  );
});

test("refund lines keep their amounts: the cart will not reprice them", () => {
  const sold = original(
    [
      {
        quantity: "3",
        unit_price: "0.99",
        discount: "10",
        tax_rate: "21",
        price_includes_tax: true,
        net: "2.21",
        tax: "0.46",
        gross: "2.67",
      },
    ],
    2,
  );
  let order = createOrder({ newUuid: () => "r", receiptNumber: "", createdAt: sold.createdAt, places: 2 });
  order = addReturnedLines(
    order,
    { uuid: sold.uuid, receiptNumber: sold.receiptNumber, at: sold.createdAt },
    refundPicks(sold, [], [{ position: 0, quantity: 1000, reason: "DAMAGED" }]),
    { approval: "a-1" },
  );
  assert.equal(totals(order).gross, -89);
  assert.throws(() => setQuantity(order, order.lines[0].id, -2000), /refunded line keeps its quantity/);
  order = addPayment(order, { method: { id: 1, is_cash: true }, amount: -89 });
  assert.ok(isFullyPaid(order));
  const stamped = stampOrder(order, { receiptNumber: "POS1-1-000002", createdAt: sold.createdAt });
  const { payload, gt, gtAbs } = refundPayload(stamped, {
    session: "s-1",
    head: { gt: 1000, gtAbs: 1000 },
    methods: new Map([[1, "Cash"]]),
  });
  assert.deepEqual([gt, gtAbs], [911, 1089]);
  assert.equal(payload.kind, "refund");
  assert.deepEqual(payload.original, { order: sold.uuid, receipt_no: "POS1-1-000001", at: sold.createdAt });
  assert.equal(payload.approval, "a-1");
  assert.deepEqual(payload.lines, [
    {
      name: "P0",
      ref: "",
      qty: "-1.000",
      unit: "pc",
      unit_price: "0.99",
      discount: "10",
      tax_rate: "21",
      net: "-0.74",
      tax: "-0.15",
      amount: "-0.89",
      original_line: 0,
      reason: "DAMAGED",
    },
  ]);
  assert.deepEqual(payload.payments, [{ method: "Cash", amount: "-0.89" }]);
  // and the local index keeps it as a refund of its original, line to line
  const recent = recentFromOrder(stamped);
  assert.deepEqual([recent.kind, recent.original, recent.gross], ["refund", sold.uuid, -89]);
  assert.equal(refundableLines(sold, [recent])[0].left, 2000);
});

test("the tender defaults to the original's when refunds may go to it", () => {
  const cash = { id: 1, is_cash: true };
  const card = { id: 2, is_cash: false };
  const sold = {
    payments: [
      { methodId: 2, amount: 500 },
      { methodId: 1, amount: 100 },
    ],
  };
  assert.equal(defaultTender(/** @type {any} */ (sold), [cash, card]), 2);
  assert.equal(defaultTender(/** @type {any} */ (sold), [cash]), 1);
  assert.equal(defaultTender(null, [card, cash]), 1);
});

test("search by receipt number, day or amount", () => {
  const order = { receiptNumber: "POS1-1-000042", createdAt: "2026-11-30T10:00:00.000+01:00", gross: 267 };
  assert.ok(recentMatches(/** @type {any} */ (order), { text: "42" }));
  assert.ok(recentMatches(/** @type {any} */ (order), { day: "2026-11-30", gross: 267 }));
  assert.ok(!recentMatches(/** @type {any} */ (order), { day: "2026-11-29" }));
  assert.ok(!recentMatches(/** @type {any} */ (order), {}));
});

test("the rule alone: refund amounts", () => {
  assert.deepEqual(
    refundAmounts({ original: { quantity: 3000, net: 221, tax: 46, gross: 267 }, refunded: NOTHING, quantity: 1000 }),
    { quantity: 1000, net: 74, tax: 15, gross: 89 },
  );
});
