// The project's score as the API explains it: whether and why a contribution counts, in the
// page's language. Used by the contribution and split pages.

import { ApiError, get, paths } from "./api.js";
import { formatDate, has, t } from "./i18n.js";

/** The sentence for one contribution's explanation (`score.contributions[i]`). */
export function explanationText(x) {
  if (!x) return t("contribution.no_explanation");
  const key = `count.${x.status}`;
  const values = {
    n: (x.endorsements || []).length,
    needed: x.quorum,
    until: x.windowEndsAt ? formatDate(x.windowEndsAt) : "",
    dispute: x.disputeNumber,
    uphold: x.disputeVotes ? x.disputeVotes[0] : 0,
    reject: x.disputeVotes ? x.disputeVotes[1] : 0,
    eligible: x.disputeVotes ? x.disputeVotes[2] : 0,
    points: x.points,
    rating: x.rating,
  };
  return has(key) ? t(key, values) : x.reason || x.status;
}

/** The project's score, or null from an API without the scoring routes. */
export async function loadScore(pid) {
  try {
    return await get(paths.score(pid));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && error.code === "not_found") {
      return null;
    }
    throw error;
  }
}

export function explanationOf(score, cid) {
  if (!score) return null;
  return (score.contributions || []).find((x) => x.contributionId.toLowerCase() === cid.toLowerCase()) || null;
}
