// Shared fixtures of the terminal's tests: a small catalog and one sample sale. Named
// without ".test" so `node --test tests/terminal/` does not run it as a test file.
import { addPayment, addProduct, createOrder, stampOrder } from "../../src/kassa/terminal/domain/cart.js";

export const cash = { id: 1, name: "Cash", is_cash: true };
export const card = { id: 2, name: "Card", is_cash: false };
export const vat9 = { id: 2, rate: "9", price_includes_tax: true };
export const vat21net = { id: 3, rate: "21", price_includes_tax: false };
export const bread = { id: 18, name: "Baguette", price: "1.49", tax_id: 2 };
export const bananas = { id: 1, name: "Bananas", price: "1.99", tax_id: 2, unit: "kg", weighed: true };
export const wrapping = { id: 9, name: "Gift wrapping", price: "2.00", tax_id: 3 };
export const config = {
  currency: "EUR",
  store_name: "Shop",
  store_address: "Street 1",
  store_tax_id: "NL1",
  receipt_header: "",
  receipt_footer: "Thanks",
  name: "Till 1",
};

/** A German till (language "de"): its store's texts with ä, ö, ü, ß. */
export const germanConfig = {
  ...config,
  language: "de",
  store_name: "Bäckerei Süß",
  store_address: "Hauptstraße 5",
  store_tax_id: "DE123456789",
  receipt_footer: "Schönen Tag! Vielen Dank für Ihren Einkauf.",
  name: "Kasse 1",
};

/**
 * The sample sale, finished as POS1-1-000003: 2 × Baguette (merged), 1.234 kg of bananas
 * (9 % included) and gift wrapping (21 % on top), 7.86 in all; by default paid 3.00 by
 * card and 10.00 in cash (5.14 change).
 * @param {Array<[typeof cash, number]>} [payments] method and amount in cents
 */
export function sampleOrder(
  payments = [
    [card, 300],
    [cash, 1000],
  ],
) {
  let order = createOrder({ newUuid: () => "u-1", receiptNumber: "", createdAt: "x", places: 2 });
  order = addProduct(order, { product: bread, tax: vat9 });
  order = addProduct(order, { product: bread, tax: vat9 });
  order = addProduct(order, { product: bananas, tax: vat9, quantity: 1234 });
  order = addProduct(order, { product: wrapping, tax: vat21net });
  for (const [method, amount] of payments) order = addPayment(order, { method, amount });
  return stampOrder(order, { receiptNumber: "POS1-1-000003", createdAt: "2026-03-14T10:00:00.000+01:00" });
}
