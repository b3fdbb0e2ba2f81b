// domain/cart.js: the immutable order, its payments, and the payload the server syncs.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CartError,
  LIMITS,
  addPayment,
  addProduct,
  amountDue,
  cashPaid,
  change,
  createOrder,
  isFullyPaid,
  localIsoString,
  paid,
  paymentProblem,
  pricedLines,
  removeLine,
  hasLines,
  voidedPricedLines,
  removePayment,
  selectLine,
  setDiscount,
  setNote,
  setPrice,
  setQuantity,
  taxes,
  toSyncPayload,
  totals,
} from "../../src/kassa/terminal/domain/cart.js";

const VAT21 = { id: 1, name: "VAT 21%", rate: "21", price_includes_tax: true };
const VAT9 = { id: 2, name: "VAT 9%", rate: "9", price_includes_tax: true };
const COLA = {
  id: 12,
  name: "Cola 33cl",
  ref: "COLA33",
  barcodes: ["5449000000996"],
  category_id: 1,
  price: "10.00",
  tax_id: 1,
  unit: /** @type {const} */ ("pc"),
  weighed: false,
};
const APPLES = {
  id: 30,
  name: "Apples",
  ref: "APL",
  barcodes: [],
  category_id: 2,
  price: "2.49",
  tax_id: 2,
  unit: /** @type {const} */ ("kg"),
  weighed: true,
};
const CASH = { id: 1, name: "Cash", is_cash: true };
const CARD = { id: 2, name: "Card", is_cash: false };

function newOrder(places = 2) {
  return createOrder({
    newUuid: () => "7d1c5a4e-0000-4000-8000-000000000001",
    receiptNumber: "POS1-1-000042",
    createdAt: "2026-11-21T10:15:00.123+01:00",
    places,
  });
}

/** @param {CartError} code */
const cartError = (/** @type {string} */ code) => (/** @type {any} */ error) =>
  error instanceof CartError && error.code === code;

test("a new order is empty, frozen and uses the injected uuid and receipt number", () => {
  const order = newOrder();
  assert.equal(order.uuid, "7d1c5a4e-0000-4000-8000-000000000001");
  assert.equal(order.receiptNumber, "POS1-1-000042");
  assert.deepEqual(order.lines, []);
  assert.deepEqual(totals(order), { net: 0, tax: 0, gross: 0 });
  assert.ok(Object.isFrozen(order) && Object.isFrozen(order.lines));
  assert.ok(!isFullyPaid(order));
});

test("adding the same product twice merges into one line; the old order is unchanged", () => {
  // given an order with one cola
  const one = addProduct(newOrder(), { product: COLA, tax: VAT21 });
  // when the same cola is added again
  const two = addProduct(one, { product: COLA, tax: VAT21 });
  // then there is one line of 2, selected, and the first order still has 1
  assert.equal(two.lines.length, 1);
  assert.equal(two.lines[0].quantity, 2000);
  assert.equal(two.selectedLineId, two.lines[0].id);
  assert.equal(one.lines[0].quantity, 1000);
  assert.ok(Object.isFrozen(two.lines[0]));
  assert.deepEqual(totals(two), { net: 1653, tax: 347, gross: 2000 });
});

test("a discounted, overridden or differently priced line is not merged into", () => {
  let order = addProduct(newOrder(), { product: COLA, tax: VAT21 });
  order = setDiscount(order, "1", 1000, { approvedBy: 9 });
  order = addProduct(order, { product: COLA, tax: VAT21 });
  assert.deepEqual(
    order.lines.map((line) => [line.id, line.quantity, line.discount]),
    [
      ["1", 1000, 1000],
      ["2", 1000, 0],
    ],
  );
  order = setPrice(order, "2", 900, { approvedBy: 9 });
  order = addProduct(order, { product: COLA, tax: VAT21 });
  assert.equal(order.lines.length, 3);
  // a price from a price barcode is a different unit price: new line, not overridden
  order = addProduct(order, { product: COLA, tax: VAT21, unitPrice: 1234 });
  assert.equal(order.lines.length, 4);
  assert.equal(order.lines[3].priceOverridden, false);
  // merge: false always makes a new line
  order = addProduct(order, { product: COLA, tax: VAT21, merge: false });
  assert.equal(order.lines.length, 5);
  // an explicit quantity merges by that quantity into the last mergeable line
  order = addProduct(order, { product: COLA, tax: VAT21, quantity: 3000 });
  assert.equal(order.lines[4].quantity, 4000);
  assert.equal(order.selectedLineId, "5");
});

test("weighed products need a quantity and never merge", () => {
  const empty = newOrder();
  assert.throws(() => addProduct(empty, { product: APPLES, tax: VAT9 }), cartError("quantity_required"));
  let order = addProduct(empty, { product: APPLES, tax: VAT9, quantity: 455 });
  order = addProduct(order, { product: APPLES, tax: VAT9, quantity: 455 });
  assert.deepEqual(
    order.lines.map((line) => line.quantity),
    [455, 455],
  );
  // 0.455 kg at 2.49 = 1.13295 → 1.13
  assert.deepEqual(
    pricedLines(order).map((line) => line.gross),
    [113, 113],
  );
  assert.equal(order.lines[0].unit, "kg");
});

test("set quantity, discount, price; remove and select lines", () => {
  let order = addProduct(newOrder(), { product: COLA, tax: VAT21 });
  order = addProduct(order, { product: APPLES, tax: VAT9, quantity: 1000 });
  order = setQuantity(order, "1", 3000);
  assert.equal(totals(order).gross, 3249);
  order = setDiscount(order, "1", 1000, { approvedBy: 7 });
  assert.equal(pricedLines(order)[0].gross, 2700);
  assert.equal(order.lines[0].approvedBy, 7);
  order = setPrice(order, "2", 199, { approvedBy: 8 });
  assert.deepEqual(
    [order.lines[1].unitPrice, order.lines[1].priceOverridden, order.lines[1].approvedBy],
    [199, true, 8],
  );
  // setting the catalog price back clears the override flag, keeps who approved
  order = setPrice(order, "2", 249);
  assert.deepEqual([order.lines[1].priceOverridden, order.lines[1].approvedBy], [false, 8]);
  // a returned item has a negative quantity
  order = setQuantity(order, "2", -1000);
  assert.equal(pricedLines(order)[1].gross, -249);
  order = selectLine(order, "1");
  assert.equal(order.selectedLineId, "1");
  // a removed line is kept, voided: it counts for nothing and cannot be changed
  order = removeLine(order, "1");
  assert.deepEqual([pricedLines(order).length, order.lines.length, order.selectedLineId], [1, 2, "2"]);
  assert.equal(order.lines[0].voided, true);
  assert.deepEqual(
    voidedPricedLines(order).map((line) => [line.id, line.gross]),
    [["1", 2700]],
  );
  assert.throws(() => setQuantity(order, "1", 1000), cartError("no_line"));
  assert.throws(() => removeLine(order, "1"), cartError("no_line"));
  order = removeLine(order, "2");
  assert.deepEqual([pricedLines(order).length, hasLines(order), order.selectedLineId], [0, false, null]);
  order = setNote(order, "gift wrap");
  assert.equal(order.note, "gift wrap");
});

test("invalid changes are refused with a code", () => {
  const order = addProduct(newOrder(), { product: COLA, tax: VAT21 });
  assert.throws(() => setQuantity(order, "1", 0), cartError("quantity"));
  assert.throws(() => setQuantity(order, "1", 1.5), cartError("quantity"));
  assert.throws(() => setQuantity(order, "9", 1000), cartError("no_line"));
  assert.throws(() => setDiscount(order, "1", 10001), cartError("discount"));
  assert.throws(() => setPrice(order, "1", 9.99), cartError("amount"));
  assert.throws(() => removeLine(order, "9"), cartError("no_line"));
  assert.throws(() => selectLine(order, "9"), cartError("no_line"));
  assert.throws(() => addProduct(order, { product: COLA, tax: VAT9 }), cartError("tax_mismatch"));
  assert.throws(() => setQuantity(order, "1", 9007199254740991), cartError("quantity"));
  assert.throws(() => setQuantity(order, "1", 100_000_001), cartError("quantity"));
  assert.throws(() => setPrice(order, "1", -1), cartError("amount"));
  assert.throws(() => setPrice(order, "1", 100_000_000_001), cartError("amount"));
  // 2 × 1,000,000,000.00 is beyond what the server takes for a line
  assert.throws(() => setQuantity(setPrice(order, "1", 100_000_000_000), "1", 2000), cartError("amount"));
  assert.throws(() => addProduct(order, { product: { ...COLA, price: "ten" }, tax: VAT21 }), /not a decimal number/);
});

test("the server's limits on lines, payments and the note hold in the cart", () => {
  let order = newOrder();
  for (let i = 0; i < LIMITS.lines; i++) order = addProduct(order, { product: COLA, tax: VAT21, merge: false });
  assert.throws(() => addProduct(order, { product: COLA, tax: VAT21, merge: false }), cartError("too_many_lines"));
  // merging into an existing line is still possible
  assert.equal(addProduct(order, { product: COLA, tax: VAT21 }).lines.length, LIMITS.lines);
  let paying = addProduct(newOrder(), { product: COLA, tax: VAT21 });
  for (let i = 0; i < LIMITS.payments; i++) paying = addPayment(paying, { method: CASH, amount: 1 });
  assert.throws(() => addPayment(paying, { method: CASH, amount: 1 }), cartError("too_many_payments"));
  assert.equal(setNote(newOrder(), "x".repeat(500)).note.length, 500);
  assert.throws(() => setNote(newOrder(), "x".repeat(501)), cartError("note_too_long"));
});

test("cash overpay gives change; split payments; card overpay is refused", () => {
  // given an order of 10.00
  const order = addProduct(newOrder(), { product: COLA, tax: VAT21 });
  // a card cannot pay 12.00
  assert.throws(() => addPayment(order, { method: CARD, amount: 1200 }), cartError("non_cash_overpay"));
  // card 4.00 + cash 20.00 → change 14.00, fully paid
  let split = addPayment(order, { method: CARD, amount: 400 });
  assert.deepEqual([amountDue(split), change(split), isFullyPaid(split)], [600, 0, false]);
  split = addPayment(split, { method: CASH, amount: 2000 });
  assert.deepEqual(
    [paid(split), cashPaid(split), amountDue(split), change(split), isFullyPaid(split)],
    [2400, 2000, 0, 1400, true],
  );
  // removing the cash payment leaves 6.00 due
  split = removePayment(split, split.payments[1].id);
  assert.deepEqual([amountDue(split), isFullyPaid(split)], [600, false]);
  assert.throws(() => removePayment(split, "99"), cartError("no_payment"));
  // zero and wrong-sign payments are refused
  assert.throws(() => addPayment(order, { method: CASH, amount: 0 }), cartError("payment_sign"));
  assert.throws(() => addPayment(order, { method: CASH, amount: -100 }), cartError("payment_sign"));
});

test("a line removed after a card payment makes the payments invalid", () => {
  let order = addProduct(newOrder(), { product: COLA, tax: VAT21 });
  order = addProduct(order, { product: APPLES, tax: VAT9, quantity: 1000 });
  order = addPayment(order, { method: CARD, amount: 1249 });
  assert.ok(isFullyPaid(order));
  order = removeLine(order, "2");
  assert.equal(paymentProblem(order)?.code, "non_cash_overpay");
  assert.ok(!isFullyPaid(order));
  assert.throws(() => toSyncPayload(order, { sessionUuid: "s", cashierId: 3 }), cartError("not_paid"));
});

test("a refund is paid out with negative payments, without change", () => {
  let order = addProduct(newOrder(), { product: COLA, tax: VAT21, quantity: -1000 });
  assert.equal(amountDue(order), -1000);
  assert.throws(() => addPayment(order, { method: CASH, amount: 1000 }), cartError("payment_sign"));
  assert.throws(() => addPayment(order, { method: CASH, amount: -1100 }), cartError("refund_overpaid"));
  order = addPayment(order, { method: CASH, amount: -1000 });
  assert.deepEqual([amountDue(order), change(order), isFullyPaid(order)], [0, 0, true]);
});

test("toSyncPayload gives exactly the server's order JSON", () => {
  // given the order of the API example: one cola at 10.00 incl. 21 %, paid 20.00 cash
  let order = addProduct(newOrder(), { product: COLA, tax: VAT21 });
  order = addPayment(order, { method: CASH, amount: 2000 });
  // then
  const payload = toSyncPayload(order, { sessionUuid: "0b6f3c1e-0000-4000-8000-00000000000a", cashierId: 3 });
  assert.deepEqual(payload, {
    uuid: "7d1c5a4e-0000-4000-8000-000000000001",
    receipt_number: "POS1-1-000042",
    session_uuid: "0b6f3c1e-0000-4000-8000-00000000000a",
    cashier_id: 3,
    created_at: "2026-11-21T10:15:00.123+01:00",
    note: "",
    lines: [
      {
        product_id: 12,
        name: "Cola 33cl",
        quantity: "1.000",
        unit_price: "10.00",
        discount: "0",
        tax_id: 1,
        tax_rate: "21",
        price_includes_tax: true,
        net: "8.26",
        tax: "1.74",
        gross: "10.00",
        price_overridden: false,
        approved_by: null,
        line_id: "1",
        list_price: "10.00",
        voided: false,
      },
    ],
    payments: [{ method_id: 1, amount: "20.00" }],
    change: "10.00",
    totals: { net: "8.26", tax: "1.74", gross: "10.00" },
    cashier_role: null,
    approvals: [],
  });
  assert.deepEqual(Object.keys(payload), [
    "uuid",
    "receipt_number",
    "session_uuid",
    "cashier_id",
    "created_at",
    "note",
    "lines",
    "payments",
    "change",
    "totals",
    "cashier_role",
    "approvals",
  ]);
});

test("payload of a mixed order: discounts, rates, weighed, override", () => {
  const EXCL = { id: 3, rate: "7.7", price_includes_tax: false };
  let order = addProduct(newOrder(), { product: { ...COLA, tax_id: 3, price: "2.50" }, tax: EXCL, quantity: 1234 });
  order = addProduct(order, { product: APPLES, tax: VAT9, quantity: 455 });
  order = setDiscount(order, "2", 1250, { approvedBy: 5 });
  order = setPrice(order, "1", 250);
  order = addPayment(order, { method: CARD, amount: 432 });
  const payload = toSyncPayload(order, { sessionUuid: "s", cashierId: 4 });
  assert.deepEqual(payload.lines, [
    {
      product_id: 12,
      name: "Cola 33cl",
      quantity: "1.234",
      unit_price: "2.50",
      discount: "0",
      tax_id: 3,
      tax_rate: "7.7",
      price_includes_tax: false,
      net: "3.09",
      tax: "0.24",
      gross: "3.33",
      price_overridden: false,
      approved_by: null,
      line_id: "1",
      list_price: "2.50",
      voided: false,
    },
    // 0.455 × 2.49 × 0.875 = 0.99133… → 0.99; tax 0.99 × 9/109 = 0.0817… → 0.08
    {
      product_id: 30,
      name: "Apples",
      quantity: "0.455",
      unit_price: "2.49",
      discount: "12.5",
      tax_id: 2,
      tax_rate: "9",
      price_includes_tax: true,
      net: "0.91",
      tax: "0.08",
      gross: "0.99",
      price_overridden: false,
      approved_by: 5,
      line_id: "2",
      list_price: "2.49",
      voided: false,
    },
  ]);
  assert.deepEqual(payload.totals, { net: "4.00", tax: "0.32", gross: "4.32" });
  assert.equal(payload.change, "0.00");
  assert.deepEqual(
    taxes(order).map((group) => [group.rate, group.priceIncludesTax, group.gross]),
    [
      [77000, false, 333],
      [90000, true, 99],
    ],
  );
});

test("a currency without minor units", () => {
  let order = addProduct(newOrder(0), {
    product: { ...COLA, price: "105" },
    tax: { ...VAT21, rate: "10" },
    quantity: 3000,
  });
  order = addPayment(order, { method: CASH, amount: 400 });
  const payload = toSyncPayload(order, { sessionUuid: "s", cashierId: 1 });
  assert.deepEqual(
    [payload.lines[0].unit_price, payload.lines[0].net, payload.totals.gross, payload.change],
    ["105", "286", "315", "85"],
  );
});

test("localIsoString writes the UTC offset", () => {
  const instant = new Date("2026-11-21T09:15:00.123Z");
  assert.equal(localIsoString(instant, 60), "2026-11-21T10:15:00.123+01:00");
  assert.equal(localIsoString(instant, -210), "2026-11-21T05:45:00.123-03:30");
  assert.equal(localIsoString(instant, 0), "2026-11-21T09:15:00.123+00:00");
  assert.match(localIsoString(instant), /^2026-11-2\dT\d\d:\d\d:00\.123[+-]\d\d:\d\d$/);
});

test("stampOrder sets the receipt number and time taken when the order is paid", async () => {
  const { stampOrder } = await import("../../src/kassa/terminal/domain/cart.js");
  const order = createOrder({
    newUuid: () => "u-1",
    receiptNumber: "",
    createdAt: "2026-01-01T08:00:00.000+01:00",
    places: 2,
  });
  const stamped = stampOrder(order, { receiptNumber: "POS1-1-000007", createdAt: "2026-01-01T09:30:00.000+01:00" });
  assert.equal(stamped.receiptNumber, "POS1-1-000007");
  assert.equal(stamped.createdAt, "2026-01-01T09:30:00.000+01:00");
  assert.equal(order.receiptNumber, "");
  assert.ok(Object.isFrozen(stamped));
  assert.throws(() => stampOrder(order, { receiptNumber: "", createdAt: "x" }), { code: "receipt_number" });
});

test("prices and totals are computed once per lines array, frozen, and follow every line change", () => {
  // given an order with two lines
  let order = addProduct(newOrder(), { product: COLA, tax: VAT21 });
  order = addProduct(order, { product: APPLES, tax: VAT9, quantity: 1000 });
  const priced = pricedLines(order);
  const sum = totals(order);
  // then asking again, or after a payment or a selection (same lines), gives the same frozen values
  assert.ok(Object.isFrozen(priced) && priced.every((line) => Object.isFrozen(line)) && Object.isFrozen(sum));
  const paidPart = addPayment(selectLine(order, "1"), { method: CARD, amount: 500 });
  assert.equal(paidPart.lines, order.lines);
  assert.equal(pricedLines(paidPart), priced);
  assert.equal(totals(paidPart), sum);
  // and a changed line gives new prices
  const more = setQuantity(order, "1", 2000);
  assert.notEqual(pricedLines(more), priced);
  assert.equal(totals(more).gross, 2249);
  assert.equal(totals(order).gross, 1249);
  // an order that is not frozen (as read back from IndexedDB) is priced on every call
  const stored = structuredClone(order);
  assert.deepEqual(pricedLines(stored), priced);
  stored.lines[0].quantity = 3000;
  assert.equal(totals(stored).gross, 3249);
  // the same lines at other places are priced again (and checked: 7 places is refused)
  assert.throws(() => pricedLines({ ...order, places: 7 }), /places/);
});
