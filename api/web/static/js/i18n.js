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

/** A contribution's declared value in its category's unit (euro cents as money). */
export function formatValue(value, category) {
  if (category && category.unit === "EUR-cent") return formatEuroCents(value);
  return `${formatNumber(Number(value))} ${unitName(category)}`.trim();
}
