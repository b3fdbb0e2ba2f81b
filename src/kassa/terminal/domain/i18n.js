// @ts-check
/**
 * The terminal's words in the till's language (`language` of the terminal's
 * configuration): `t("Pay")` is the English text itself, or its translation from the
 * language's catalog (locales/<language>.js, English text → translation, gettext style:
 * a missing translation shows the English). `{name}` in a text is filled from `vars`.
 * `locale()` is what Intl formats amounts and dates with. Pure: no DOM, no I/O.
 */
import de from "../locales/de.js";

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
