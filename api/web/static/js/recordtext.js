// The format problems of cards and reasons (`card_too_long`, `reason_control_character`, ...)
// as sentences in the page's language, naming the field: for the browser's own check
// (records.js) and for the same refusal from the API (api.js). Kept apart from records.js so
// that api.js can use it without importing what imports api.js.

import { LIMITS } from "./cards.js";
import { t } from "./i18n.js";

// Written out (not computed) so that the translation test sees every key.
const PROBLEMS = {
  unknown_field: () => t("record.problem.unknown_field"),
  missing_field: () => t("record.problem.missing_field"),
  wrong_type: () => t("record.problem.wrong_type"),
  empty: () => t("record.problem.empty"),
  too_long: (max) => t("record.problem.too_long", { max }),
  too_many: () => t("record.problem.too_many"),
  control_character: () => t("record.problem.control_character"),
  not_normalised: () => t("record.problem.not_normalised"),
  invalid_text: () => t("record.problem.invalid_text"),
  invalid_value: () => t("record.problem.invalid_value"),
  duplicate: () => t("record.problem.duplicate"),
  too_large: () => t("record.problem.too_large"),
  parent_unknown: () => t("record.problem.parent_unknown"),
};

// The longest each field may be (characters), for the too_long sentence.
const MAX_CHARS = {
  title: LIMITS.title,
  description: LIMITS.description,
  "file.name": LIMITS.fileName,
  keywords: LIMITS.keyword,
  "parents.note": LIMITS.parentNote,
  text: LIMITS.reasonText,
};

const FIELDS = {
  title: () => t("record.field.title"),
  description: () => t("record.field.description"),
  "file.name": () => t("record.field.file_name"),
  "file.mediaType": () => t("record.field.file_type"),
  "file.size": () => t("record.field.file_size"),
  "file.sha256": () => t("record.field.file_hash"),
  keywords: () => t("record.field.keywords"),
  "parents.note": () => t("record.field.parent_note"),
  "parents.contributionId": () => t("record.field.parent"),
  text: () => t("record.field.reason"),
};

/** "Title: is too long (at most 200 characters)" for code `card_too_long` and field `title`
 * (list positions such as `parents[2].note` are ignored); null for a code that is no format
 * problem of a card or reason. */
export function recordSentence(code, field) {
  const match = /^(card|reason)_(.+)$/.exec(code || "");
  if (!match || !PROBLEMS[match[2]]) return null;
  const name = field ? field.replace(/\[\d+\]/g, "") : "";
  const what = FIELDS[name] ? FIELDS[name]() : "";
  const sentence = PROBLEMS[match[2]](MAX_CHARS[name] || "");
  return what ? `${what}: ${sentence}` : sentence;
}
