// The page's translation table (the same api/web/i18n.json the server renders with),
// embedded by the template as a JSON data block; number, date and size formats in the page's
// language; the words for values the API returns (categories, units, roles, ...).

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

const locale = lang === "nl" ? "nl-BE" : "en-GB";
const numberFormat = new Intl.NumberFormat(locale);
const dateFormat = new Intl.DateTimeFormat(locale, {
  dateStyle: "medium",
  timeStyle: "short",
});
const dayFormat = new Intl.DateTimeFormat(locale, { dateStyle: "long" });

export const formatNumber = (n) => numberFormat.format(n);
/** A decimal string ("15000.50", "9007199254740993") with exactly `decimals` places, as money
 * in `currency` if given. Exact: Intl formats a string as the decimal it spells, where a
 * Number would round anything past 2^53. */
export function formatDecimal(text, decimals = 0, currency = null) {
  const places = { minimumFractionDigits: decimals, maximumFractionDigits: decimals };
  const options = currency ? { style: "currency", currency, ...places } : places;
  return new Intl.NumberFormat(locale, options).format(String(text));
}
/** Euro cents (a number, BigInt or decimal string) as money, exactly: 1500000 -> "€ 15.000,00". */
export function formatEuroCents(cents) {
  const digits = BigInt(cents).toString().padStart(3, "0");
  return formatDecimal(`${digits.slice(0, -2)}.${digits.slice(-2)}`, 2, "EUR");
}
/** A day without the time, e.g. "5 december 2026". */
export const formatDay = (unixSeconds) => dayFormat.format(new Date(unixSeconds * 1000));
export const formatDate = (unixSeconds) => dateFormat.format(new Date(unixSeconds * 1000));
/** Basis points as a percentage with two decimals, e.g. 3333 -> "33,33 %". */
export const formatBps = (bps) =>
  new Intl.NumberFormat(lang === "nl" ? "nl-BE" : "en-GB", {
    style: "percent",
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  }).format(bps / 10000);
/** A fraction in [0, 1] as a whole percentage, e.g. 0.42 -> "42 %". */
export const formatPercent = (fraction) =>
  new Intl.NumberFormat(lang === "nl" ? "nl-BE" : "en-GB", {
    style: "percent",
    maximumFractionDigits: 0,
  }).format(fraction);

const BYTE_UNITS = [
  [1e9, "gigabyte"],
  [1e6, "megabyte"],
  [1e3, "kilobyte"],
];

/** A size in bytes in the largest decimal unit that fits, e.g. 314572800 -> "314.6 MB". */
export function formatBytes(bytes) {
  const [size, unit] = BYTE_UNITS.find(([limit]) => bytes >= limit) || [1, "byte"];
  return new Intl.NumberFormat(lang === "nl" ? "nl-BE" : "en-GB", {
    style: "unit",
    unit,
    unitDisplay: "short",
    maximumFractionDigits: 1,
  }).format(bytes / size);
}

// -- values the API returns, in words -----------------------------------------------------

/** The translation of `prefix.value` when the table has one, else the value as the API said it. */
export const tr = (prefix, value) => (has(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : value);
export const categoryName = (category) => (category ? tr("category", category.name) : "?");
export const unitName = (category) => (category ? tr("unit", category.unit) : "");

/** A contribution's declared value in its category's unit, exactly (the API gives it as a
 * decimal string; uint64 does not fit a Number): money for "<currency>-cent" units
 * ("€ 15.000,00"), else a count of the unit ("120 uur"). */
export function formatValue(value, category) {
  const money = category ? /^([A-Z]{3})-cent$/.exec(category.unit) : null;
  const digits = BigInt(value).toString();
  if (money) {
    const padded = digits.padStart(3, "0");
    return formatDecimal(`${padded.slice(0, -2)}.${padded.slice(-2)}`, 2, money[1]);
  }
  return `${formatDecimal(digits, 0)} ${unitName(category)}`.trim();
}
