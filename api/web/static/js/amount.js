// Amounts as people type them and as the ledger records them. A category's unit is what the
// ledger stores (an integer: "EUR-cent", "hour", "point", ...); people think in euros with
// decimals, hours, points. This module turns what a person typed (in the page's language)
// into the exact integer the ledger records, refuses what that integer cannot hold (a third
// decimal of a euro, half an hour, more than uint64), and says in words what will be
// recorded and how much it weighs in the score.
//
// Values are carried as BigInt and decimal strings throughout: a JavaScript number holds
// integers exactly only up to 2^53, and a silent rounding (9007199254740993 -> ...992) is
// exactly what a proof tool must never do.

import { ApiError } from "./api.js";
import { formatDecimal, formatValue, has, lang, t, unitName } from "./i18n.js";

export const UINT64_MAX = (1n << 64n) - 1n;

// "EUR-cent", "USD-cent": an amount of money kept in hundredths of the currency.
const MONEY_UNIT = /^([A-Z]{3})-cent$/;

/** How a category's values are typed: money (`currency`, two decimals) or a count of the
 * unit (no decimals). */
export function unitOf(category) {
  const unit = category ? category.unit : "";
  const money = MONEY_UNIT.exec(unit);
  if (money) return { kind: "money", currency: money[1], decimals: 2, unit };
  return { kind: "count", decimals: 0, unit };
}

function refuse(code, message) {
  return new ApiError(422, code, message, "");
}

// The separators of the page's language: Dutch writes 15.000,50, English 15,000.50.
const SEPARATORS = lang === "nl" ? { group: ".", decimal: "," } : { group: ",", decimal: "." };

/** The integer the ledger records for `text` typed in `category`'s unit (euros for
 * EUR-cent, hours for hour, ...), as a BigInt. Throws an ApiError (422, a translated
 * message) for anything that is not exactly representable: empty, not a number, negative,
 * zero, more decimals than the unit holds, above uint64. */
export function parseAmount(text, category) {
  const unit = unitOf(category);
  // Spaces (also the non-breaking ones Intl writes) and a currency sign are allowed.
  let s = String(text || "").replace(/[\s\u00a0\u202f]/g, "");
  if (unit.kind === "money") s = s.replace(/^(€|EUR)/i, "").replace(/(€|EUR)$/i, "");
  if (!s) throw refuse("value_empty", t("error.value_empty"));
  if (/^[-−]/.test(s)) throw refuse("value_negative", t("error.value_negative"));
  const { group, decimal } = SEPARATORS;
  const parts = s.split(decimal);
  if (parts.length > 2) throw refuse("value_format", t("error.value_format", { example: example(unit) }));
  const [whole, fraction = null] = parts;
  // Grouping is optional, but where used it must be in threes (1.500 or 1500, never 15.00).
  const grouped = new RegExp(`^\\d{1,3}(\\${group}\\d{3})+$`);
  if (!/^\d+$/.test(whole) && !grouped.test(whole)) {
    throw refuse("value_format", t("error.value_format", { example: example(unit) }));
  }
  if (fraction !== null && !/^\d+$/.test(fraction)) {
    throw refuse("value_format", t("error.value_format", { example: example(unit) }));
  }
  const digits = whole.split(group).join("");
  const decimals = fraction === null ? "" : fraction;
  if (decimals.length > unit.decimals) {
    const named = { unit: typedUnitName(category) };
    throw unit.decimals
      ? refuse("value_too_precise", t("error.value_too_precise", named))
      : refuse("value_whole_only", t("error.value_whole_only", named));
  }
  const value = BigInt(digits + decimals.padEnd(unit.decimals, "0"));
  if (value === 0n) throw refuse("value_zero", t("error.value_zero"));
  if (value > UINT64_MAX) {
    throw refuse("value_too_large", t("error.value_too_large", { max: formatRecorded(UINT64_MAX, category) }));
  }
  return value;
}

function example(unit) {
  return unit.kind === "money" ? formatDecimal("15000.50", 2) : formatDecimal("120", 0);
}

/** The unit people type in, in words: "euro" for EUR-cent, else the unit's own name. */
export function typedUnitName(category) {
  const unit = unitOf(category);
  if (unit.kind === "money") return t("amount.currency_unit", { currency: currencyName(unit.currency) });
  return unitName(category);
}

function currencyName(code) {
  if (has(`currency.${code}`)) return t(`currency.${code}`);
  try {
    return new Intl.DisplayNames([lang], { type: "currency" }).of(code) || code;
  } catch {
    return code;
  }
}

/** A recorded value in words, exactly: "€ 15.000,00" for EUR-cent, "120 uur" for hours. */
export const formatRecorded = (value, category) => formatValue(BigInt(value).toString(), category);

/** `value / scale` as a decimal string: exact when it ends within four decimals, else
 * rounded down there and marked `approximate`. */
function quotient(value, scale) {
  const v = BigInt(value);
  const s = BigInt(scale || 1);
  const whole = v / s;
  let rest = v % s;
  let fraction = "";
  for (let i = 0; i < 4 && rest > 0n; i++) {
    rest *= 10n;
    fraction += (rest / s).toString();
    rest %= s;
  }
  return {
    text: fraction ? `${whole}.${fraction}` : whole.toString(),
    decimals: fraction.length,
    approximate: rest > 0n,
  };
}

/** What a value will be recorded as and what it weighs, in one sentence:
 * "€ 15.000,00 = 150 score units (€ 100,00 per unit)". */
export function describeAmount(value, category) {
  const recorded = formatRecorded(value, category);
  const scale = BigInt(category && category.unitScale ? category.unitScale : 1);
  const units = quotient(value, scale);
  const unitsText = (units.approximate ? "≈ " : "") + formatDecimal(units.text, units.decimals);
  if (scale === 1n) return t("amount.summary_plain", { recorded, units: unitsText });
  return t("amount.summary_scaled", {
    recorded,
    units: unitsText,
    per: formatRecorded(scale, category),
  });
}
