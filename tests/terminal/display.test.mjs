// The customer display's frames (domain/display.js): every character the display shows is
// the terminal's, with the till's currency places and cut to the display's size.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_SIZE,
  changeFrame,
  displaySize,
  itemFrame,
  totalFrame,
} from "../../src/kassa/terminal/domain/display.js";
import { formatQuantityShort } from "../../src/kassa/terminal/domain/money.js";

/** @param {string[]} frame @param {{rows: number, columns: number}} size */
function fits(frame, { rows, columns }) {
  return frame.length <= rows && frame.every((text) => text.length <= columns);
}

test("item frame: product and line total, quantity × price and the running total", () => {
  const line = { name: "Baguette", quantity: 2000, unitPrice: 149, gross: 298 };
  assert.deepEqual(itemFrame(line, 1235, { places: 2 }), ["Baguette        2.98", "2 x 1.49   Tot 12.35"]);
  const weighed = {
    name: "Bananas from Ecuador, organic",
    quantity: 1234,
    unit: "kg",
    weighed: true,
    unitPrice: 199,
    gross: 246,
  };
  assert.deepEqual(itemFrame(weighed, 246, { places: 2 }), ["Bananas from Ec 2.46", "Total           2.46"]);
  for (const frame of [itemFrame(line, 123456789, { places: 2 }), itemFrame(weighed, 5, { places: 2, columns: 16 })]) {
    assert.ok(frame.every((text) => text.length <= 20));
  }
  assert.equal(formatQuantityShort(3000), "3");
  assert.equal(formatQuantityShort(-1500), "-1.5");
});

test("item frame with the currency's places: JPY 0, EUR 2, KWD 3", () => {
  const line = (/** @type {number} */ unitPrice) => ({ name: "Tea", quantity: 2000, unitPrice, gross: 2 * unitPrice });
  assert.deepEqual(itemFrame(line(150), 450, { places: 0 }), ["Tea              300", "2 x 150      Tot 450"]);
  assert.deepEqual(itemFrame(line(150), 450, { places: 2 }), ["Tea             3.00", "2 x 1.50    Tot 4.50"]);
  assert.deepEqual(itemFrame(line(1500), 4500, { places: 3 }), ["Tea            3.000", "2 x 1.500  Tot 4.500"]);
});

test("total frame: TOTAL, then the amount due and the currency code at the right", () => {
  assert.deepEqual(totalFrame(339, { places: 2, currency: "EUR" }), ["TOTAL", "            3.39 EUR"]);
  assert.deepEqual(totalFrame(315, { places: 0, currency: "JPY" }), ["TOTAL", "             315 JPY"]);
  assert.deepEqual(totalFrame(1234, { places: 3, currency: "KWD" }), ["TOTAL", "           1.234 KWD"]);
  // Too long for the code: the amount alone; too long even alone: its end.
  assert.deepEqual(totalFrame(123456789012, { places: 2, currency: "EUR", columns: 16 }), [
    "TOTAL",
    "   1234567890.12",
  ]);
  assert.deepEqual(totalFrame(123456789012, { places: 2, currency: "EUR", columns: 8 }), ["TOTAL", "67890.12"]);
  // One row: label and amount on it.
  assert.deepEqual(totalFrame(339, { places: 2, currency: "EUR", rows: 1 }), ["TOTAL       3.39 EUR"]);
});

test("change frame after Validate: paid and change", () => {
  assert.deepEqual(changeFrame({ paid: 500, change: 161 }, { places: 2 }), [
    "Paid            5.00",
    "Change          1.61",
  ]);
  assert.deepEqual(changeFrame({ paid: 1000, change: 685 }, { places: 0 }), [
    "Paid            1000",
    "Change           685",
  ]);
  assert.deepEqual(changeFrame({ paid: 5000, change: 1766 }, { places: 3 }), [
    "Paid           5.000",
    "Change         1.766",
  ]);
  assert.deepEqual(changeFrame({ paid: 339, change: 0 }, { places: 2 }), [
    "Paid            3.39",
    "Change          0.00",
  ]);
  assert.deepEqual(changeFrame({ paid: 500, change: 161 }, { places: 2, rows: 1 }), ["Change          1.61"]);
});

test("the display's size comes from the proxy's status, 2 × 20 when unknown", () => {
  assert.deepEqual(displaySize(null), { rows: 2, columns: 20 });
  assert.deepEqual(displaySize({ display: { configured: true } }), DEFAULT_SIZE);
  assert.deepEqual(displaySize({ display: { size: [4, 40] } }), { rows: 4, columns: 40 });
  assert.deepEqual(displaySize({ display: { size: [0, "x"] } }), { rows: 2, columns: 20 });
  const narrow = displaySize({ display: { size: [1, 16] } });
  const line = { name: "Sparkling mineral water", quantity: 12000, unitPrice: 12345, gross: 148140 };
  for (const frame of [
    itemFrame(line, 99999999, { places: 2, ...narrow }),
    totalFrame(99999999, { places: 2, currency: "EUR", ...narrow }),
    changeFrame({ paid: 99999999, change: 9999999 }, { places: 3, ...narrow }),
  ]) {
    assert.ok(fits(frame, narrow), JSON.stringify(frame));
  }
  assert.deepEqual(itemFrame(line, 148140, { places: 2, ...narrow }), ["Sparklin 1481.40"]);
});
