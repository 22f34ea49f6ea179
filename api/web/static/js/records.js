// Cards and reasons for people: a contribution's title from its card, a dispute's reason and
// outcome in words, and the format errors of cards.js as sentences in the page's language.
// The format itself (and its hash) is cards.js; this module only shows it.

import { ApiError } from "./api.js";
import { LIMITS, RecordFormatError } from "./cards.js";
import { short } from "./dom.js";
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

/** A format error of cards.js (or anything else, unchanged) as an ApiError whose message
 * names the problem and the field in the page's language. */
export function recordError(error) {
  if (!(error instanceof RecordFormatError)) return error;
  const problem = error.code.replace(/^(card|reason)_/, "");
  const field = error.field ? error.field.replace(/\[\d+\]/g, "") : "";
  const what = (FIELDS[field] || (() => field))();
  const sentence = (PROBLEMS[problem] || (() => error.message))(MAX_CHARS[field] || "");
  return new ApiError(422, error.code, what ? `${what}: ${sentence}` : sentence, "");
}

/** The card of a contribution as the API reads it, when it is the one the partner signed. */
export function validCard(contribution) {
  const card = contribution && contribution.card;
  return card && card.status === "valid" ? card.card : null;
}

/** A contribution's title: its card's, else a short id ("Contribution 0x7d1b33…a83828"). */
export function cardTitle(contribution) {
  const card = validCard(contribution);
  if (card) return card.title;
  return t("contribution.untitled", { id: short(contribution.contribution_id) });
}

/** Why a card or reason is not shown, in words (null when it is). */
export function recordProblem(record) {
  if (!record) return null;
  if (record.status === "altered") return t("record.altered");
  if (record.status === "not_kept") return t("record.not_kept");
  return null;
}

/** The outcome of a dispute in words. */
export function outcomeText(dispute) {
  switch (dispute.outcome) {
    case "upheld":
      return t("dispute.outcome_upheld");
    case "rejected":
      return t("dispute.outcome_rejected");
    case "withdrawn":
      return t("dispute.outcome_withdrawn");
    default:
      return t("dispute.outcome_open");
  }
}
