// domain/i18n.js: the till's words in its language, English when a text has no translation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { getLanguage, locale, setLanguage, shownAmount, t } from "../../src/kassa/terminal/domain/i18n.js";
import de from "../../src/kassa/terminal/locales/de.js";
import { displayMoney } from "../../src/kassa/terminal/domain/money.js";

test("English is the text itself; German from its catalog, with its placeholders filled", () => {
  setLanguage("en");
  assert.equal(t("Pay"), "Pay");
  assert.equal(t("{count} to sync", { count: 3 }), "3 to sync");
  assert.equal(locale(), undefined);
  setLanguage("de");
  assert.equal(getLanguage(), "de");
  assert.equal(t("Pay"), "Bezahlen");
  assert.equal(t("{count} to sync", { count: 3 }), "3 zu senden");
  assert.equal(t("A text nobody translated"), "A text nobody translated");
  assert.equal(locale(), "de-DE");
  // an unknown language is English
  setLanguage("xx");
  assert.equal(getLanguage(), "en");
  assert.equal(t("Pay"), "Pay");
});

test("amounts by locale: German decimal comma and grouping", () => {
  setLanguage("de");
  assert.equal(displayMoney(123456, "EUR", locale(), 2).replace(/\s/g, " "), "1.234,56 €");
  setLanguage("en");
  assert.equal(displayMoney(123456, "EUR", "en-US", 2), "€1,234.56");
});

test("every German text keeps the English text's placeholders", () => {
  for (const [english, german] of Object.entries(de)) {
    const names = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(names(german), names(english), english);
  }
});

test("amounts in the cashier's messages: by the locale in German, the decimal text in English", () => {
  setLanguage("de");
  assert.equal(shownAmount(123450, "EUR", 2).replace(/\s/g, " "), "1.234,50 €");
  assert.equal(shownAmount("71.49", "EUR", 2).replace(/\s/g, " "), "71,49 €");
  assert.equal(shownAmount("-1.50", "EUR", 2).replace(/\s/g, " "), "-1,50 €");
  assert.equal(shownAmount("not an amount", "EUR", 2), "not an amount");
  setLanguage("en");
  assert.equal(shownAmount(123450, "EUR", 2), "1234.50");
  assert.equal(shownAmount("71.49", "EUR", 2), "71.49");
});
