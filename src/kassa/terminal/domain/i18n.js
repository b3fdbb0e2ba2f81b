// @ts-check
/**
 * The terminal's words in the till's language (`language` of the terminal's
 * configuration): `t("Pay")` is the English text itself, or its translation from the
 * language's catalog (locales/<language>.js, English text → translation, gettext style:
 * a missing translation shows the English). `{name}` in a text is filled from `vars`.
 * `locale()` is what Intl formats amounts and dates with. Pure: no DOM, no I/O.
 */
import de from "../locales/de.js";
import { displayMoney, formatAmount, parseAmount } from "./money.js";

/** @type {Record<string, Record<string, string>>} */
const CATALOGS = { de };
/** The languages a till may have, as the server's Terminal.language offers them. */
export const LANGUAGES = Object.freeze(["en", "de"]);
/** Intl's locale per language; English keeps the browser's own (as before languages). */
const LOCALES = Object.freeze({ de: "de-DE" });

let language = "en";

/** @param {string | null | undefined} code */
export function setLanguage(code) {
  language = code && LANGUAGES.includes(code) ? code : "en";
}

export function getLanguage() {
  return language;
}

/** @returns {string | undefined} */
export function locale() {
  return /** @type {Record<string, string>} */ (LOCALES)[language];
}

/**
 * @param {string} text  the English text
 * @param {Record<string, string | number>} [vars]
 */
export function t(text, vars) {
  const translated = CATALOGS[language]?.[text] ?? text;
  if (!vars) return translated;
  return translated.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/**
 * An amount in a message for the cashier's eyes: by the locale in a translated till
 * ("1.234,50 €"); in English as before, its decimal text ("1234.50"). Paper keeps the point.
 * @param {number | string} amount  minor units, or the decimal text of an amount
 * @param {string} currency
 * @param {number} places
 */
export function shownAmount(amount, currency, places) {
  if (typeof amount === "string") {
    if (!locale()) return amount;
    try {
      return displayMoney(parseAmount(amount.replace(/^\+/, ""), places), currency, locale(), places);
    } catch {
      return amount;
    }
  }
  return locale() ? displayMoney(amount, currency, locale(), places) : formatAmount(amount, places);
}
