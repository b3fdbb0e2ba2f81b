// domain/permissions.js: the full matrix shared with the server
// (tests/shared/permission_cases.json, also run by tests/server/staff/test_permissions.py),
// and the cart's enforcement of it: a restricted change without a matching, unused
// approval is refused, whatever called the cart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  ACTIONS,
  AMOUNT_ACTIONS,
  DEFAULT_RULES,
  PERCENT_ACTIONS,
  decide,
  mayApprove,
  restrictedChanges,
} from "../../src/kassa/terminal/domain/permissions.js";
import {
  CartError,
  addProduct,
  authorizeChange,
  createOrder,
  pricedLines,
  removeLine,
  setDiscount,
  setPrice,
  setQuantity,
  totals,
  voidedPricedLines,
} from "../../src/kassa/terminal/domain/cart.js";
import { parseAmount, parseDiscount } from "../../src/kassa/terminal/domain/money.js";
import { voidedLines } from "../../src/kassa/terminal/domain/journal.js";

const shared = JSON.parse(readFileSync(new URL("../shared/permission_cases.json", import.meta.url), "utf8"));

/** A case's decimal string in the action's unit. @param {string} action @param {string | null} value */
function caseValue(action, value) {
  if (value === null) return null;
  if (PERCENT_ACTIONS.includes(action)) return parseDiscount(value);
  if (AMOUNT_ACTIONS.includes(action)) return parseAmount(value, 2);
  throw new Error(`${action} has no value`);
}

test("the matrix: every action for every role, at and around each limit", () => {
  const seen = new Set(shared.cases.map((/** @type {any} */ c) => `${c.role} ${c.action}`));
  for (const role of Object.keys(shared.roles)) for (const action of ACTIONS) assert.ok(seen.has(`${role} ${action}`));
  for (const worked of shared.cases) {
    const rules = shared.roles[worked.role];
    const value = worked.value === null ? null : caseValue(worked.action, worked.value);
    assert.equal(decide(rules, worked.action, value, { places: 2 }), worked.expect, JSON.stringify(worked));
  }
});

test("who may approve: only a role that may do it alone", () => {
  for (const worked of shared.approvals) {
    const value = worked.value === null ? null : caseValue(worked.action, worked.value);
    assert.equal(
      mayApprove(shared.roles[worked.approver], worked.action, value),
      worked.expect,
      JSON.stringify(worked),
    );
  }
});

test("the fallback rules of a till not yet told its roles are the shipped ones", () => {
  for (const code of ["cashier", "supervisor", "manager"]) assert.deepEqual(DEFAULT_RULES[code], shared.roles[code]);
});

test("amount limits follow the currency's places", () => {
  const rules = { REFUND: /** @type {const} */ ({ mode: "allow", limit: "100" }) };
  assert.equal(decide(rules, "REFUND", 100, { places: 0 }), "allowed");
  assert.equal(decide(rules, "REFUND", 101, { places: 0 }), "needs_approval");
  assert.equal(decide(rules, "REFUND", 10000, { places: 2 }), "allowed");
  assert.equal(decide(undefined, "REFUND", 1), "denied");
});

// ------------------------------------------------------------------ the cart enforces them

const VAT = { id: 1, rate: "21", price_includes_tax: true };
const COLA = { id: 12, name: "Cola", price: "10.00", tax_id: 1 };
const TEA = { id: 13, name: "Tea", price: "3.00", tax_id: 1 };
const ORDER = "7d1c5a4e-0000-4000-8000-000000000001";
const cashier = shared.roles.cashier;
const manager = shared.roles.manager;

function twoLines() {
  let order = createOrder({
    newUuid: () => ORDER,
    receiptNumber: "",
    createdAt: "2026-11-30T10:00:00.000+01:00",
    places: 2,
  });
  order = addProduct(order, { product: COLA, tax: VAT, quantity: 2000 });
  return addProduct(order, { product: TEA, tax: VAT });
}

/** @param {string} code */
const refused = (code) => (/** @type {any} */ error) => error instanceof CartError && error.code === code;

/** @param {string} action @param {string} line @param {number | null} [value] */
function approval(action, line, value = null) {
  return {
    id: crypto.randomUUID(),
    action,
    subject: { kind: /** @type {const} */ ("line"), order: ORDER, line },
    value,
  };
}

test("restricted changes: voids (whole or a decrease), prices off the list, discounts raised", () => {
  const before = twoLines();
  assert.deepEqual(
    restrictedChanges(before, removeLine(before, "1")).map((c) => [c.action, c.subject.line]),
    [["LINE_VOID", "1"]],
  );
  const decreased = setQuantity(before, "1", 1000);
  assert.deepEqual(
    restrictedChanges(before, decreased).map((c) => [c.action, c.subject.line]),
    [["LINE_VOID", "1"]],
  );
  assert.deepEqual(
    voidedLines(before, decreased).map((line) => [line.voidOf, line.quantity]),
    [["1", 1000]],
  );
  assert.deepEqual(restrictedChanges(before, setQuantity(before, "1", 3000)), []);
  assert.deepEqual(
    restrictedChanges(before, setPrice(before, "2", 250)).map((c) => [c.action, c.value, c.before, c.after]),
    [["PRICE_OVERRIDE", 250, "3.00", "2.50"]],
  );
  assert.deepEqual(restrictedChanges(setPrice(before, "2", 250), setPrice(setPrice(before, "2", 250), "2", 300)), []);
  assert.deepEqual(
    restrictedChanges(before, setDiscount(before, "2", 1500)).map((c) => [c.action, c.value]),
    [["LINE_DISCOUNT", 1500]],
  );
});

test("a cashier without LINE_VOID cannot void; an approval for that line can, once", () => {
  const before = twoLines();
  const after = removeLine(before, "1");
  // without an approval: refused, whoever called the cart
  assert.throws(() => authorizeChange(before, after, { rules: cashier }), refused("approval_required"));
  // an approval for another line, or another action, does not cover it
  assert.throws(
    () => authorizeChange(before, after, { rules: cashier, approvals: [approval("LINE_VOID", "2")] }),
    refused("approval_required"),
  );
  assert.throws(
    () => authorizeChange(before, after, { rules: cashier, approvals: [approval("PRICE_OVERRIDE", "1")] }),
    refused("approval_required"),
  );
  // the matching approval does, and the order keeps it
  const grant = approval("LINE_VOID", "1");
  const voided = authorizeChange(before, after, { rules: cashier, approvals: [grant] });
  assert.deepEqual(voided.approvals, [grant]);
  assert.deepEqual(
    [pricedLines(voided).length, voidedPricedLines(voided).map((line) => line.gross), totals(voided).gross],
    [1, [2000], 300],
  );
  // used up: the same approval again, for a second change on the same line, is refused
  const priced = setPrice(voided, "2", 100);
  const grantForTea = { ...grant, action: "PRICE_OVERRIDE", subject: { ...grant.subject, line: "2" }, value: 100 };
  assert.throws(
    () => authorizeChange(voided, priced, { rules: cashier, approvals: [grantForTea] }),
    refused("approval_required"),
  );
  // a manager may alone
  assert.equal(authorizeChange(before, after, { rules: manager }), after);
});

test("a discount within the role's limit is the cashier's; above it needs an approval for that value", () => {
  const before = twoLines();
  assert.ok(authorizeChange(before, setDiscount(before, "1", 1000), { rules: cashier }));
  const above = setDiscount(before, "1", 2500);
  assert.throws(() => authorizeChange(before, above, { rules: cashier }), refused("approval_required"));
  assert.throws(
    () => authorizeChange(before, above, { rules: cashier, approvals: [approval("LINE_DISCOUNT", "1", 2000)] }),
    refused("approval_required"),
  );
  assert.ok(authorizeChange(before, above, { rules: cashier, approvals: [approval("LINE_DISCOUNT", "1", 2500)] }));
});

test("a denied action is refused even with an approval", () => {
  const before = twoLines();
  const trainee = shared.roles.trainee;
  assert.throws(
    () => authorizeChange(before, removeLine(before, "1"), { rules: trainee, approvals: [approval("LINE_VOID", "1")] }),
    refused("not_permitted"),
  );
});

test("the OVERRIDE payload has exactly the fields schema.json requires", async () => {
  const { overridePayload, TYPES } = await import("../../src/kassa/terminal/domain/journal.js");
  const schema = JSON.parse(
    readFileSync(new URL("../../src/kassa/server/journal/schema.json", import.meta.url), "utf8"),
  );
  const payload = overridePayload({
    id: "0b6f3c1e-0000-4000-8000-00000000000a",
    action: "PRICE_OVERRIDE",
    subject: { kind: "line", order: ORDER, line: "2" },
    asked_by: { id: 3, name: "Ana" },
    approver: { id: 1, name: "Maria" },
    approver_role: { code: "manager", revision: 1 },
    reason: "DAMAGED",
    note: "",
    before: "12.90",
    after: "9.90",
  });
  assert.ok(TYPES.includes("OVERRIDE"));
  const required = schema.$defs.payload.OVERRIDE.required.filter((/** @type {string} */ k) => k !== "v");
  assert.deepEqual(Object.keys(payload).sort(), [...required].sort());
  assert.deepEqual(payload.subject, { kind: "line", order: ORDER, line: "2" });
  assert.deepEqual([payload.before, payload.after], ["12.90", "9.90"]);
});
