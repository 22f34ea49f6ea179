// Cards and reasons for people: a contribution's title from its card, a dispute's reason and
// outcome in words, and the format errors of cards.js as sentences in the page's language.
// The format itself (and its hash) is cards.js; this module only shows it.

import { ApiError } from "./api.js";
import { RecordFormatError } from "./cards.js";
import { short } from "./dom.js";
import { t } from "./i18n.js";
import { recordSentence } from "./recordtext.js";

/** A format error of cards.js (or anything else, unchanged) as an ApiError whose message
 * names the problem and the field in the page's language. */
export function recordError(error) {
  if (!(error instanceof RecordFormatError)) return error;
  return new ApiError(422, error.code, recordSentence(error.code, error.field) || error.message, "");
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
  return t("contribution.untitled", { id: short(contribution.contributionId) });
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
