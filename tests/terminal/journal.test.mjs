// domain/journal.js: the entries and payloads of docs/journal.md, exact; the grand totals
// (with a refund); the clock-jump threshold; the key id; sealing (hash chain and a
// signature that verifies) and reading back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  addPayment,
  addProduct,
  createOrder,
  removeLine,
  setQuantity,
  stampOrder,
} from "../../src/kassa/terminal/domain/cart.js";
import { GENESIS_HASH, canonicalBytes, canonicalize, chainHash } from "../../src/kassa/terminal/domain/jcs.js";
import * as journal from "../../src/kassa/terminal/domain/journal.js";
import { bread, card, cash, sampleOrder, vat9 } from "./fixtures.mjs";

const methods = new Map([
  [cash.id, cash.name],
  [card.id, card.name],
]);
const refOf = (/** @type {number} */ id) => (id === bread.id ? "BAG-1" : "");

test("the SALE payload of the sample sale: every figure as printed, grand totals after it", () => {
  const { payload, gt, gtAbs } = journal.salePayload(sampleOrder(), {
    session: "s-1",
    head: { gt: 100000, gtAbs: 150000 },
    methods,
    refOf,
  });
  assert.deepEqual(payload, {
    order: "u-1",
    receipt_no: "POS1-1-000003",
    session: "s-1",
    lines: [
      {
        name: "Baguette",
        ref: "BAG-1",
        qty: "2.000",
        unit: "pc",
        unit_price: "1.49",
        discount: "0",
        tax_rate: "9",
        net: "2.73",
        tax: "0.25",
        amount: "2.98",
      },
      {
        name: "Bananas",
        ref: "",
        qty: "1.234",
        unit: "kg",
        unit_price: "1.99",
        discount: "0",
        tax_rate: "9",
        net: "2.26",
        tax: "0.20",
        amount: "2.46",
      },
      {
        name: "Gift wrapping",
        ref: "",
        qty: "1.000",
        unit: "pc",
        unit_price: "2.00",
        discount: "0",
        tax_rate: "21",
        net: "2.00",
        tax: "0.42",
        amount: "2.42",
      },
    ],
    totals: { net: "6.99", tax: "0.87", gross: "7.86" },
    payments: [
      { method: "Card", amount: "3.00" },
      { method: "Cash", amount: "10.00" },
    ],
    change: "5.14",
    gt_after: "1007.86",
    gt_abs_after: "1507.86",
  });
  assert.equal(gt, 100786);
  assert.equal(gtAbs, 150786);
});

test("a refund moves the signed grand total down and the absolute one up", () => {
  let order = createOrder({ newUuid: () => "r-1", receiptNumber: "", createdAt: "x", places: 2 });
  order = addProduct(order, { product: bread, tax: vat9 });
  order = setQuantity(order, order.lines[0].id, -1000);
  order = addPayment(order, { method: cash, amount: -149 });
  order = stampOrder(order, { receiptNumber: "POS1-1-000004", createdAt: "2026-03-14T10:05:00.000+01:00" });
  const { payload, gt, gtAbs } = journal.salePayload(order, {
    session: "s-1",
    head: { gt: 100786, gtAbs: 150786 },
    methods,
  });
  assert.deepEqual(payload.totals, { net: "-1.37", tax: "-0.12", gross: "-1.49" });
  assert.deepEqual(payload.lines, [
    {
      name: "Baguette",
      ref: "",
      qty: "-1.000",
      unit: "pc",
      unit_price: "1.49",
      discount: "0",
      tax_rate: "9",
      net: "-1.37",
      tax: "-0.12",
      amount: "-1.49",
    },
  ]);
  assert.deepEqual(payload.payments, [{ method: "Cash", amount: "-1.49" }]);
  assert.equal(payload.change, "0.00");
  assert.equal(payload.gt_after, "1006.37");
  assert.equal(payload.gt_abs_after, "1509.35");
  assert.deepEqual([gt, gtAbs], [100637, 150935]);
});

test("grand totals in a currency without decimals, and beyond a safe integer refused", () => {
  assert.deepEqual(journal.grandTotalsAfter({ gt: 0, gtAbs: 0 }, -315), { gt: -315, gtAbs: 315 });
  assert.throws(() => journal.grandTotalsAfter({ gt: Number.MAX_SAFE_INTEGER, gtAbs: 0 }, 1), RangeError);
});

test("every other payload, exactly", () => {
  assert.deepEqual(journal.initPayload("Kassa 0.1.0", "MFkw"), { software: "Kassa 0.1.0", key: "MFkw" });
  assert.deepEqual(journal.resumePayload("MFkw", "mirror", 41), { key: "MFkw", source: "mirror", after_seq: 41 });
  assert.deepEqual(journal.softwarePayload("Kassa 0.2.0"), { software: "Kassa 0.2.0" });
  assert.deepEqual(journal.sessionOpenPayload("s-1", 10000, 2), { session: "s-1", opening_float: "100.00" });
  assert.deepEqual(journal.sessionOpenPayload("s-1", 10000, 0), { session: "s-1", opening_float: "10000" });
  assert.deepEqual(journal.duplicatePayload("u-1", "POS1-1-000003"), { order: "u-1", receipt_no: "POS1-1-000003" });
  assert.deepEqual(journal.drawerPayload("Change for the safe", 3), { reason: "Change for the safe", approved_by: 3 });
  assert.deepEqual(journal.drawerPayload("Cash count", null), { reason: "Cash count", approved_by: null });
  assert.deepEqual(journal.offlineEndPayload(61234.4), { offline_ms: 61234 });
  assert.deepEqual(journal.clockJumpPayload("2026-03-14T10:00:00.000+01:00", "2026-03-13T10:00:00.000+01:00"), {
    from: "2026-03-14T10:00:00.000+01:00",
    to: "2026-03-13T10:00:00.000+01:00",
  });
  assert.deepEqual(journal.integrityFailurePayload("storage_lost", 17, "lost"), {
    reason: "storage_lost",
    after_seq: 17,
    detail: "lost",
  });
});

test("an abandoned order lists its lines and total", () => {
  let order = createOrder({ newUuid: () => "a-1", receiptNumber: "", createdAt: "x", places: 2 });
  order = addProduct(order, { product: bread, tax: vat9 });
  order = addProduct(order, { product: bread, tax: vat9 });
  assert.deepEqual(journal.abandonedPayload(order, refOf), {
    order: "a-1",
    lines: [
      {
        name: "Baguette",
        ref: "BAG-1",
        qty: "2.000",
        unit: "pc",
        unit_price: "1.49",
        discount: "0",
        tax_rate: "9",
        net: "2.73",
        tax: "0.25",
        amount: "2.98",
      },
    ],
    total: "2.98",
  });
});

test("a void: a line removed whole, a quantity lowered by the part taken away; more is no void", () => {
  let order = createOrder({ newUuid: () => "v-1", receiptNumber: "", createdAt: "x", places: 2 });
  order = addProduct(order, { product: bread, tax: vat9 });
  order = setQuantity(order, order.lines[0].id, 3000);
  const lineId = order.lines[0].id;
  const lowered = setQuantity(order, lineId, 1000);
  const [part] = journal.voidedLines(order, lowered);
  assert.equal(part.quantity, 2000);
  assert.deepEqual(journal.lineVoidPayload(order, part), {
    order: "v-1",
    line: {
      name: "Baguette",
      ref: "",
      qty: "2.000",
      unit: "pc",
      unit_price: "1.49",
      discount: "0",
      tax_rate: "9",
      net: "2.73",
      tax: "0.25",
      amount: "2.98",
    },
  });
  const removed = journal.voidedLines(order, removeLine(order, lineId));
  assert.deepEqual(
    removed.map((line) => line.quantity),
    [3000],
  );
  assert.deepEqual(journal.voidedLines(order, setQuantity(order, lineId, 4000)), []);
  // A returned item (negative) brought toward zero is a void too.
  const returned = setQuantity(order, lineId, -2000);
  assert.deepEqual(
    journal.voidedLines(returned, setQuantity(returned, lineId, -1000)).map((line) => line.quantity),
    [-1000],
  );
});

test("a CLOCK_JUMP needs the clock more than 2 minutes behind the last entry", () => {
  const last = "2026-03-14T10:00:00.000+01:00";
  assert.equal(journal.clockJumped(last, "2026-03-14T09:58:00.000+01:00"), false); // exactly 2 minutes
  assert.equal(journal.clockJumped(last, "2026-03-14T09:57:59.999+01:00"), true);
  assert.equal(journal.clockJumped(last, "2026-03-14T08:57:59.999+00:00"), true); // instants compared, offsets and all
  assert.equal(journal.clockJumped(last, "2026-03-14T09:00:00.000+00:00"), false); // 10:00+01:00 is 09:00Z
  assert.equal(journal.clockJumped(last, "2026-03-13T10:00:00.000+01:00"), true); // a day back
  assert.equal(journal.clockJumped(null, "2026-03-13T10:00:00.000+01:00"), false);
  assert.equal(journal.CLOCK_JUMP_MS, 120_000);
});

test("an entry: the fields of docs/journal.md, the payload's version, the cashier's id and name only", () => {
  const entry = journal.buildEntry({
    terminal: "POS1",
    seq: 42,
    type: "LOGIN",
    at: "2026-11-30T10:15:00.123+01:00",
    cashier: /** @type {any} */ ({ id: 3, name: "Ana", role: "cashier", pin_verifier: {} }),
    key: "9f86d081884c7d65",
    prevHash: GENESIS_HASH,
  });
  assert.equal(
    canonicalize(entry),
    `{"at":"2026-11-30T10:15:00.123+01:00","cashier":{"id":3,"name":"Ana"},"key":"9f86d081884c7d65","payload":{"v":1},"prev_hash":"${GENESIS_HASH}","seq":42,"terminal":"POS1","type":"LOGIN","v":1}`,
  );
  assert.throws(
    () => journal.buildEntry({ terminal: "POS1", seq: 1, type: "NOPE", at: "x", key: "k", prevHash: GENESIS_HASH }),
    TypeError,
  );
  assert.throws(
    () => journal.buildEntry({ terminal: "POS1", seq: 0, type: "LOGIN", at: "x", key: "k", prevHash: GENESIS_HASH }),
    TypeError,
  );
});

test("the key id is the first 16 hex digits of SHA-256 of the SPKI bytes", async () => {
  const pair = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const spki = new Uint8Array(await webcrypto.subtle.exportKey("spki", pair.publicKey));
  assert.equal(await journal.keyId(spki), createHash("sha256").update(spki).digest("hex").slice(0, 16));
  assert.equal(journal.base64(spki), Buffer.from(spki).toString("base64"));
});

test("sealing: canonical text, chained hash, a P1363 signature that verifies; read back; a chain of two", async () => {
  const pair = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const sign = (/** @type {Uint8Array<ArrayBuffer>} */ bytes) =>
    webcrypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, bytes);
  const first = journal.buildEntry({
    terminal: "POS1",
    seq: 1,
    type: "JOURNAL_INIT",
    at: "2026-11-30T10:00:00.000+01:00",
    key: "k",
    prevHash: GENESIS_HASH,
    payload: journal.initPayload(journal.SOFTWARE, "MFkw"),
  });
  const wire = await journal.sealEntry(first, sign);
  assert.deepEqual(Object.keys(wire), ["seq", "canonical", "hash", "sig"]);
  assert.equal(wire.seq, 1);
  assert.equal(wire.canonical, canonicalize(first));
  assert.equal(wire.hash, await chainHash(GENESIS_HASH, canonicalBytes(first)));
  assert.match(wire.sig, /^[A-Za-z0-9_-]{86}$/); // 64 bytes, base64url without padding
  const signature = Buffer.from(wire.sig, "base64url");
  assert.equal(signature.length, 64);
  assert.ok(
    await webcrypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" },
      pair.publicKey,
      signature,
      new TextEncoder().encode(wire.canonical),
    ),
  );
  assert.deepEqual(await journal.readEntry(wire, GENESIS_HASH), first);

  let head = journal.headAfter(journal.emptyHead(), first, wire);
  assert.deepEqual(head, { seq: 1, hash: wire.hash, gt: 0, gtAbs: 0, at: first.at, software: journal.SOFTWARE });
  const { payload, gt, gtAbs } = journal.salePayload(sampleOrder(), { session: "s-1", head, methods });
  const sale = journal.buildEntry({
    terminal: "POS1",
    seq: 2,
    type: "SALE",
    at: "2026-11-30T10:01:00.000+01:00",
    key: "k",
    prevHash: head.hash,
    payload,
  });
  const saleWire = await journal.sealEntry(sale, sign);
  assert.equal(saleWire.hash, await chainHash(wire.hash, canonicalBytes(sale)));
  head = journal.headAfter(head, sale, saleWire, { gt, gtAbs });
  assert.deepEqual([head.seq, head.gt, head.gtAbs], [2, 786, 786]);
  assert.throws(() => journal.headAfter(head, sale, saleWire), TypeError); // a SALE without its totals

  await assert.rejects(journal.readEntry(saleWire, GENESIS_HASH), /does not chain/);
  await assert.rejects(journal.readEntry({ ...saleWire, hash: wire.hash }), /wrong hash/);
  await assert.rejects(journal.readEntry({ ...saleWire, canonical: JSON.stringify(sale, null, 1) }), /canonical/);
});

test("the software version is the package's", () => {
  const pyproject = readFileSync(new URL("../../pyproject.toml", import.meta.url), "utf8");
  const version = /^version = "([^"]+)"/m.exec(pyproject)?.[1];
  assert.equal(journal.SOFTWARE, `Kassa ${version}`);
});
