// The page's translation table (the same api/web/i18n.json the server renders with),
// embedded by the template as a JSON data block.

const table = JSON.parse(document.getElementById("i18n").textContent);

export const lang = document.documentElement.lang || "en";

/** Whether the table has `key`. */
export function has(key) {
  return Object.prototype.hasOwnProperty.call(table, key);
}

/** The text of `key` with `{name}` placeholders filled; an unknown key shows as itself so a
 * gap is visible on screen (the test suite makes sure there is none). */
export function t(key, values = {}) {
  if (!has(key)) {
    // Collected for the browser tests, which fail on any.
    (window.missingTranslations = window.missingTranslations || []).push(key);
  }
  const text = has(key) ? table[key] : key;
  return text.replace(/\{(\w+)\}/g, (match, name) =>
    Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match,
  );
}

const numberFormat = new Intl.NumberFormat(lang === "nl" ? "nl-BE" : "en-GB");
const moneyFormat = new Intl.NumberFormat(lang === "nl" ? "nl-BE" : "en-GB", {
  style: "currency",
  currency: "EUR",
});
const dateFormat = new Intl.DateTimeFormat(lang === "nl" ? "nl-BE" : "en-GB", {
  dateStyle: "medium",
  timeStyle: "short",
});

export const formatNumber = (n) => numberFormat.format(n);
export const formatEuroCents = (cents) => moneyFormat.format(Number(cents) / 100);
export const formatDate = (unixSeconds) => dateFormat.format(new Date(unixSeconds * 1000));
/** Basis points as a percentage with two decimals, e.g. 3333 -> "33,33 %". */
export const formatBps = (bps) =>
  new Intl.NumberFormat(lang === "nl" ? "nl-BE" : "en-GB", {
    style: "percent",
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  }).format(bps / 10000);
