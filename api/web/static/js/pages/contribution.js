// One contribution: its facts, whether it counts and why, its disputes (each with the reason,
// who disputed, the tally and the outcome, resolved ones too), and for the other partners
// endorse, dispute and vote.

import { ApiError, get, paths } from "../api.js";
import { cardHash, makeReason, reasonHash } from "../cards.js";
import { context, currentPolicy, nameOf, requireActor, titleOf } from "../context.js";
import { $, busy, el, fact, fill, short, showError } from "../dom.js";
import { categoryName, formatBytes, formatDate, formatValue, t } from "../i18n.js";
import { runPage } from "../page.js";
import { hashWithProgress, submitWrite } from "../progress.js";
import { outcomeText, recordError, recordProblem, validCard } from "../records.js";
import { explanationOf, explanationText, loadScore } from "../score.js";

/** The contribution's card: what it is, in its contributor's words, and whether this browser
 * finds it to be the card whose fingerprint the contributor signed on the ledger. */
function cardView(c) {
  const card = validCard(c);
  if (!card) {
    const problem = recordProblem(c.card);
    return problem ? el("p", { class: "alert" }, problem) : el("p", { class: "muted" }, t("contribution.no_card"));
  }
  // Recomputed here, not taken from the service's word for it.
  let matches = false;
  try {
    matches = cardHash(card) === c.card_hash;
  } catch {
    matches = false;
  }
  return [
    el("p", { class: "card-title" }, el("strong", {}, card.title)),
    card.description ? el("p", { class: "card-description" }, card.description) : null,
    card.file
      ? el("p", { class: "help" }, t("contribution.card_file", { name: card.file.name, type: card.file.mediaType, size: formatBytes(card.file.size) }))
      : null,
    card.keywords.length ? el("ul", { class: "keywords" }, card.keywords.map((k) => el("li", {}, k))) : null,
    matches
      ? el("p", { class: "card-check ok" }, t("contribution.card_verified", { name: nameOf(c.contributor) }))
      : el("p", { class: "alert" }, t("record.altered")),
  ];
}

function reasonView(reason) {
  const problem = recordProblem(reason);
  if (problem) return el("p", { class: "alert" }, problem);
  const record = reason.reason;
  return [
    el("blockquote", { class: "reason" }, record.text),
    record.file
      ? el("p", { class: "help" }, t("dispute.attached", { name: record.file.name, hash: short(record.file.sha256) }))
      : null,
  ];
}

/** One dispute: who, when, why, the tally and what decides it, the votes, the outcome. */
function disputeView(d) {
  const uphold = d.uphold_votes;
  const reject = d.reject_votes;
  return el(
    "li",
    { class: `dispute dispute-${d.outcome}`, "data-number": String(d.number) },
    el(
      "p",
      {},
      el(
        "strong",
        {},
        t("dispute.item_title", {
          number: d.number,
          name: nameOf(d.disputer),
          date: d.opened_at ? formatDate(d.opened_at) : t("dispute.in_block", { block: d.block_number }),
        }),
      ),
      " ",
      el("span", { class: `badge badge-dispute-${d.outcome}` }, outcomeText(d)),
    ),
    reasonView(d.reason),
    el("p", { class: "dispute-tally" }, t("dispute.tally", { uphold, reject, eligible: d.eligible_voters })),
    d.outcome === "open"
      ? el("p", { class: "help" }, t("dispute.closes", { needed: d.votes_needed, eligible: d.eligible_voters }))
      : null,
    d.votes.length
      ? el(
          "ul",
          { class: "plain-list dispute-votes" },
          d.votes.map((v) =>
            el(
              "li",
              {},
              v.uphold
                ? t("dispute.vote_right", { name: nameOf(v.voter) })
                : t("dispute.vote_wrong", { name: nameOf(v.voter) }),
            ),
          ),
        )
      : null,
  );
}

async function contributionPage() {
  if (!requireActor()) return;
  const cid = new URLSearchParams(window.location.search).get("id") || "";
  if (!/^0x[0-9a-fA-F]{64}$/.test(cid)) {
    showError(new ApiError(404, "contribution_not_found", t("error.contribution_not_found")));
    return;
  }
  const actor = context.actor;
  const c = await get(paths.contribution(cid));
  const pid = c.project_id;
  const [policy, score, parents] = await Promise.all([
    currentPolicy(pid),
    loadScore(pid).catch(() => null),
    Promise.all(c.parents.map((p) => get(paths.contribution(p)).catch(() => null))),
  ]);
  const category = policy.policy.categories[c.category];
  fill($("#contribution-card"), cardView(c));
  const card = validCard(c);
  const notes = new Map((card ? card.parents : []).map((n) => [n.contributionId.toLowerCase(), n.note]));
  const parentItem = (p, index) => {
    const parent = parents[index];
    const note = notes.get(p.toLowerCase());
    return el(
      "li",
      {},
      el("a", { href: `/contribution?id=${p}` }, parent ? titleOf(parent) : short(p)),
      note ? el("span", { class: "parent-note" }, ` — ${note}`) : null,
    );
  };
  fill(
    $("#contribution-facts"),
    fact(t("contribution.title"), titleOf(c)),
    fact(t("contribution.contributor"), nameOf(c.contributor)),
    fact(t("contribution.origin"), t(`origin.${c.origin}`)),
    fact(t("contribution.category"), categoryName(category)),
    fact(t("contribution.value"), formatValue(c.value, category)),
    fact(t("contribution.status"), el("span", { class: `badge badge-${c.status}` }, t(`status.${c.status}`))),
    fact(t("contribution.registered"), formatDate(c.registered_at)),
    fact(t("contribution.block"), String(c.block_number)),
    fact(t("contribution.commitment"), el("code", { class: "hash" }, c.commitment)),
    fact(t("contribution.id"), el("code", { class: "hash" }, c.contribution_id)),
    fact(
      t("contribution.parents"),
      c.parents.length
        ? el("ul", { class: "plain-list" }, c.parents.map(parentItem))
        : t("contribution.no_parents"),
    ),
  );
  const explanation = explanationOf(score, cid);
  $("#contribution-explain").textContent = explanationText(explanation);
  $("#contribution-explain").classList.remove("muted");
  fill(
    $("#history"),
    explanation && explanation.endorsements && explanation.endorsements.length
      ? explanation.endorsements.map((e) => {
          const [who, rating] = Array.isArray(e) ? e : [e.endorser, e.rating];
          return el("li", {}, t("contribution.endorsed_by", { name: nameOf(who), rating }));
        })
      : el("li", { class: "muted" }, t("contribution.no_endorsements")),
  );

  const disputes = await get(paths.dispute(cid));
  fill(
    $("#disputes"),
    disputes.length ? disputes.map(disputeView) : el("li", { class: "muted" }, t("dispute.none")),
  );

  const me = (actor.address || "").toLowerCase();
  const own = Boolean(me) && me === c.contributor.toLowerCase();
  const canAct = Boolean(actor.address) && !own && c.status === "active";
  for (const form of [$("#endorse-form"), $("#dispute-form")]) {
    form.hidden = !canAct;
  }
  if (!canAct) {
    const why = own ? t("endorse.own") : actor.address ? t("endorse.not_active") : t("endorse.read_only");
    $("#endorse-card").append(el("p", { class: "muted" }, why));
    $("#dispute-card").append(el("p", { class: "muted" }, why));
  }
  const reload = () => setTimeout(() => window.location.reload(), 600);
  $("#endorse-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const rating = Number($("#rating").value);
    await busy($("#endorse-submit"), async () => {
      await submitWrite("endorse.kind", paths.endorse(cid), { rating });
      reload();
    });
  });

  // A document backing the reason is hashed here; only its name and fingerprint are sent.
  let attached = null;
  let chosen = 0;
  const disputeSubmit = $("#dispute-submit");
  $("#dispute-file").addEventListener("change", async (event) => {
    const file = event.currentTarget.files[0];
    const run = ++chosen;
    attached = null;
    if (!file) return;
    disputeSubmit.disabled = true;
    try {
      const sha256 = await hashWithProgress(file, $("#dispute-hash-progress"));
      if (run === chosen && sha256) attached = { name: file.name, sha256 };
    } catch (error) {
      if (run === chosen) showError(error);
    } finally {
      if (run === chosen) disputeSubmit.disabled = false;
    }
  });
  $("#dispute-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!$("#dispute-reason").value.trim()) {
      return showError(new ApiError(422, "no_reason", t("error.no_reason")));
    }
    let reason;
    try {
      reason = makeReason({ text: $("#dispute-reason").value, file: attached });
    } catch (error) {
      return showError(recordError(error));
    }
    await busy(disputeSubmit, async () => {
      // The reason's words go to the service (sealed there, read by the project's partners);
      // its hash, computed here, is what goes on chain: the service must arrive at the same.
      const body = {
        reason: { text: reason.text, file: reason.file, salt: reason.salt },
        reason_hash: reasonHash(reason),
      };
      await submitWrite("dispute.kind", paths.dispute(cid), body);
      reload();
    });
  });

  const open = disputes.find((d) => d.outcome === "open");
  if (open && canAct) {
    // One dispute at a time: the form comes back once this one is decided.
    $("#dispute-form").hidden = true;
    $("#dispute-card").append(el("p", { class: "muted" }, t("dispute.open_already")));
  }
  const party = open && (own || me === open.disputer.toLowerCase());
  if (open && actor.address && !party) {
    const box = $("#vote-box");
    box.hidden = false;
    fill($("#vote-dispute"), el("ol", { class: "plain-list dispute-list" }, disputeView(open)));
    const mine = open.votes.find((v) => v.voter.toLowerCase() === me);
    if (mine) {
      $("#vote-buttons").hidden = true;
      $("#vote-state").textContent = mine.uphold ? t("vote.you_voted_right") : t("vote.you_voted_wrong");
    } else {
      $("#vote-state").textContent = explanationText(explanation);
      const vote = (uphold) => async (event) => {
        await busy(event.currentTarget, async () => {
          await submitWrite("vote.kind", paths.vote(cid, open.number), { uphold });
          reload();
        });
      };
      $("#vote-uphold").addEventListener("click", vote(true));
      $("#vote-reject").addEventListener("click", vote(false));
    }
  }
}

runPage(contributionPage);
