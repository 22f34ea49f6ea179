// One contribution: its card (what it is, in its contributor's words, checked against the
// fingerprint on the ledger), its facts, whether it counts and why, its disputes (each with
// the reason, who disputed, the tally and the outcome, resolved ones too); for the other
// partners endorse, dispute and vote, for its contributor withdraw and supersede. Every action
// asks first (confirm.js), waits for the ledger's real outcome, and then the page shows the
// new state in place (no reload) with keyboard focus on what changed.

import { ApiError, get, paths } from "../api.js";
import { cardHash, makeReason, reasonHash } from "../cards.js";
import { confirmAction } from "../confirm.js";
import { context, currentPolicy, nameOf, personName, requireActor, titleOf } from "../context.js";
import { $, busy, el, fact, fill, focusResult, short, showError } from "../dom.js";
import { categoryName, formatBytes, formatDate, formatDay, formatValue, t } from "../i18n.js";
import { runPage } from "../page.js";
import { hashWithProgress, settle, submitWrite } from "../progress.js";
import { outcomeText, recordError, recordProblem, validCard } from "../records.js";
import { explanationOf, explanationText, loadScore } from "../score.js";

const ZERO_ID = `0x${"0".repeat(64)}`;
const same = (a, b) => Boolean(a && b) && a.toLowerCase() === b.toLowerCase();

/** A plain word with its technical term as a tooltip, for the lawyer who wants it. */
const term = (word, technical) => el("abbr", { title: technical }, word);

/** The contributions this one names (parents, the one it replaces, the one replacing it),
 * read for their titles; one that cannot be read is shown by its short id. */
async function loadRelated(c) {
  const ids = [...c.parents, c.supersedes, c.supersededBy].filter((id) => id && id !== ZERO_ID);
  const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
  const records = await Promise.all(unique.map((id) => get(paths.contribution(id)).catch(() => null)));
  return new Map(unique.map((id, index) => [id, records[index]]));
}

async function load(cid) {
  const c = await get(paths.contribution(cid));
  const [policy, score, endorsements, disputes, related] = await Promise.all([
    currentPolicy(c.projectId),
    loadScore(c.projectId).catch(() => null),
    get(paths.endorsements(cid)),
    get(paths.disputes(cid)).catch(() => []),
    loadRelated(c),
  ]);
  return { c, policy, score, endorsements, disputes, related, explanation: explanationOf(score, cid) };
}

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
    matches = cardHash(card) === c.cardHash;
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
  const uphold = d.upholdVotes;
  const reject = d.rejectVotes;
  return el(
    "li",
    { class: `dispute dispute-${d.outcome}`, "data-number": String(d.number) },
    el(
      "p",
      {},
      // The block is for the lawyer: a tooltip, as on the contribution's facts.
      el(
        "strong",
        { title: t("contribution.block_term", { block: d.blockNumber }) },
        d.openedAt
          ? t("dispute.item_title", { number: d.number, name: nameOf(d.disputer), date: formatDate(d.openedAt) })
          : t("dispute.item_title_undated", { number: d.number, name: nameOf(d.disputer) }),
      ),
      " ",
      el("span", { class: `badge badge-dispute-${d.outcome}` }, outcomeText(d)),
    ),
    reasonView(d.reason),
    el("p", { class: "dispute-tally" }, t("dispute.tally", { uphold, reject, eligible: d.eligibleVoters })),
    d.outcome === "open"
      ? el("p", { class: "help" }, t("dispute.closes", { needed: d.votesNeeded, eligible: d.eligibleVoters }))
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

function renderFacts({ c, policy, related }) {
  const category = policy.policy.categories[c.category];
  /** A link to another contribution, by its title (never by a bare number). */
  const contributionLink = (id) => {
    const record = related.get(id.toLowerCase());
    return el("a", { href: `/contribution?id=${id}` }, record ? titleOf(record) : titleOf({ contributionId: id }));
  };
  // How this one builds on each parent, in the contributor's words on the card.
  const card = validCard(c);
  const notes = new Map((card ? card.parents : []).map((n) => [n.contributionId.toLowerCase(), n.note]));
  const parentItem = (p) => {
    const note = notes.get(p.toLowerCase());
    return el("li", {}, contributionLink(p), note ? el("span", { class: "parent-note" }, ` — ${note}`) : null);
  };
  fill(
    $("#contribution-facts"),
    fact(t("contribution.title"), titleOf(c)),
    fact(t("contribution.contributor"), nameOf(c.contributor)),
    fact(t("contribution.origin"), t(`origin.${c.origin}`)),
    fact(t("contribution.category"), categoryName(category)),
    fact(t("contribution.value"), formatValue(c.value, category)),
    fact(t("contribution.status"), el("span", { class: `badge badge-${c.status}` }, t(`status.${c.status}`))),
    // The block is for the lawyer: a tooltip, not a line people have to understand.
    fact(
      t("contribution.registered"),
      el("span", { title: t("contribution.block_term", { block: c.blockNumber }) }, formatDate(c.registeredAt)),
    ),
    fact(term(t("contribution.commitment"), t("contribution.commitment_term")), el("code", { class: "hash" }, c.commitment)),
    fact(term(t("contribution.id"), t("contribution.id_term")), el("code", { class: "hash" }, c.contributionId)),
    fact(
      t("contribution.parents"),
      c.parents.length
        ? el("ul", { class: "plain-list" }, c.parents.map(parentItem))
        : t("contribution.no_parents"),
    ),
    c.supersedes && c.supersedes !== ZERO_ID ? fact(t("contribution.replaces"), contributionLink(c.supersedes)) : null,
    c.supersededBy ? fact(t("contribution.replaced_by"), contributionLink(c.supersededBy)) : null,
  );
}

function renderHistory({ endorsements, disputes }) {
  const lines = [
    ...endorsements.map((e) =>
      el(
        "li",
        {},
        e.endorsedAt
          ? t("contribution.endorsed_by_on", { name: nameOf(e.endorser), rating: e.rating, date: formatDay(e.endorsedAt) })
          : t("contribution.endorsed_by", { name: nameOf(e.endorser), rating: e.rating }),
      ),
    ),
    ...disputes.map((d) =>
      el("li", {}, t(`dispute_outcome.${d.outcome}`, { name: nameOf(d.disputer), number: d.number })),
    ),
  ];
  fill($("#history"), lines.length ? lines : el("li", { class: "muted" }, t("contribution.no_endorsements")));
}

/** Show `text` in `node` (a `your-action` line) or hide it when `text` is null. */
function say(node, text) {
  node.hidden = text === null;
  node.textContent = text === null ? "" : text;
}

function render(state, actor) {
  const { c, endorsements, disputes, explanation } = state;
  fill($("#contribution-card"), cardView(c));
  renderFacts(state);
  fill($("#disputes"), disputes.length ? disputes.map(disputeView) : el("li", { class: "muted" }, t("dispute.none")));
  $("#contribution-explain").textContent = explanationText(explanation);
  $("#contribution-explain").classList.remove("muted");
  renderHistory(state);

  const me = actor.address;
  const own = same(me, c.contributor);
  const active = c.status === "active";
  const openDispute = disputes.find((d) => d.outcome === "open") || null;

  // The contributor: correct (a new version) or withdraw, while it is active.
  $("#own-card").hidden = !(own && active);
  $("#supersede-link").href = `/register?supersedes=${c.contributionId}`;

  // Endorse: once per partner. After that the page says how, not the form again.
  const mine = me ? endorsements.find((e) => same(e.endorser, me)) : null;
  let endorseNote = null;
  if (mine) {
    endorseNote = mine.endorsedAt
      ? t("endorse.yours", { rating: mine.rating, words: t(`rating.${mine.rating}`), date: formatDay(mine.endorsedAt) })
      : t("endorse.yours_undated", { rating: mine.rating, words: t(`rating.${mine.rating}`) });
  } else if (own) endorseNote = t("endorse.own");
  else if (!me) endorseNote = t("endorse.read_only");
  else if (!active) endorseNote = t("endorse.not_active");
  say($("#endorse-state"), endorseNote);
  $("#endorse-state").classList.toggle("your-action", Boolean(mine));
  $("#endorse-form").hidden = endorseNote !== null;

  // Dispute: one open at a time; the parties do not vote.
  let disputeNote = null;
  if (openDispute) {
    disputeNote = same(openDispute.disputer, me)
      ? t("dispute.yours_open")
      : t("dispute.open_by", { name: nameOf(openDispute.disputer) });
  } else if (own) disputeNote = t("endorse.own");
  else if (!me) disputeNote = t("endorse.read_only");
  else if (!active) disputeNote = t("endorse.not_active");
  say($("#dispute-state"), disputeNote);
  $("#dispute-form").hidden = disputeNote !== null;

  const voter = openDispute && me && !own && !same(openDispute.disputer, me);
  $("#vote-box").hidden = !voter;
  if (voter) {
    // What is being voted on: the reason, who disputed, the tally and what decides it.
    fill($("#vote-dispute"), el("ol", { class: "plain-list dispute-list" }, disputeView(openDispute)));
    $("#vote-state").textContent = explanationText(explanation);
    const myVote = openDispute.votes.find((v) => same(v.voter, me));
    const done = myVote ? (myVote.uphold ? t("vote.yours_uphold") : t("vote.yours_reject")) : null;
    say($("#vote-done"), done);
    $("#vote-buttons").hidden = Boolean(myVote);
  }
}

async function contributionPage() {
  if (!requireActor()) return;
  const cid = new URLSearchParams(window.location.search).get("id") || "";
  if (!/^0x[0-9a-fA-F]{64}$/.test(cid)) {
    showError(new ApiError(404, "contribution_not_found", t("error.contribution_not_found")));
    return;
  }
  const actor = context.actor;
  let state = await load(cid);
  render(state, actor);

  /** Ask, sign, follow to the ledger's outcome, wait for the index to show `effect`, then
   * show the new state and move focus to `resultNode`. */
  const act = (button, { ask, kindKey, path, body, effect, resultNode }) =>
    busy(button, async () => {
      if (!(await confirmAction(ask))) return;
      await submitWrite(kindKey, path, body);
      const next = await settle(async () => {
        const fresh = await load(cid);
        return effect(fresh) ? fresh : null;
      });
      state = next;
      render(state, actor);
      const problem = ask.check ? ask.check(state) : null;
      if (problem) throw problem;
      focusResult(resultNode());
    });

  const summary = (...facts) => [[t("contribution.title"), titleOf(state.c)], [t("contribution.contributor"), nameOf(state.c.contributor)], ...facts];
  const mineIn = (s) => s.endorsements.find((e) => same(e.endorser, actor.address));

  $("#endorse-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const rating = Number($("#rating").value);
    act($("#endorse-submit"), {
      ask: {
        title: t("endorse.confirm_title"),
        intro: t("register.confirm_intro", { name: personName(actor) }),
        facts: summary([t("endorse.rating"), t(`rating.${rating}`)]),
        confirmLabel: t("endorse.confirm_button"),
        // The ledger keeps the first endorsement: say so if it is not the one asked for.
        check: (s) => {
          const mine = mineIn(s);
          return mine && mine.rating !== rating
            ? new ApiError(409, "outcome_differs", t("error.endorsed_otherwise", { rating: mine.rating }))
            : null;
        },
      },
      kindKey: "endorse.kind",
      path: paths.endorse(cid),
      body: { rating },
      effect: (s) => Boolean(mineIn(s)),
      resultNode: () => $("#endorse-state"),
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

  $("#dispute-form").addEventListener("submit", (event) => {
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
    const facts = [[t("dispute.reason"), reason.text]];
    if (reason.file) facts.push([t("dispute.file"), `${reason.file.name} (${short(reason.file.sha256)})`]);
    act(disputeSubmit, {
      ask: {
        title: t("dispute.confirm_title"),
        intro: t("register.confirm_intro", { name: personName(actor) }),
        facts: summary(...facts),
        confirmLabel: t("dispute.confirm_button"),
        danger: true,
      },
      kindKey: "dispute.kind",
      path: paths.dispute(cid),
      // The reason's words go to the service (sealed there, read by the project's partners);
      // its hash, computed here, is what goes on chain: the service must arrive at the same.
      body: {
        reason: { text: reason.text, file: reason.file, salt: reason.salt },
        reasonHash: reasonHash(reason),
      },
      effect: (s) => s.disputes.some((d) => d.outcome === "open" && same(d.disputer, actor.address)),
      resultNode: () => $("#dispute-state"),
    });
  });

  const vote = (uphold) => (event) => {
    const open = state.disputes.find((d) => d.outcome === "open");
    if (!open) return;
    act(event.currentTarget, {
      ask: {
        title: t("vote.confirm_title"),
        intro: t("register.confirm_intro", { name: personName(actor) }),
        facts: summary([t("vote.heading"), uphold ? t("vote.uphold_means") : t("vote.reject_means")]),
        confirmLabel: uphold ? t("vote.uphold") : t("vote.reject"),
        danger: uphold,
      },
      kindKey: "vote.kind",
      path: paths.vote(cid, open.number),
      body: { uphold },
      effect: (s) => {
        const d = s.disputes.find((x) => x.number === open.number);
        return Boolean(d && (d.outcome !== "open" || d.votes.some((v) => same(v.voter, actor.address))));
      },
      resultNode: () => ($("#vote-box").hidden ? $("#contribution-explain") : $("#vote-done")),
    });
  };
  $("#vote-uphold").addEventListener("click", vote(true));
  $("#vote-reject").addEventListener("click", vote(false));

  $("#withdraw-submit").addEventListener("click", (event) =>
    act(event.currentTarget, {
      ask: {
        title: t("own.withdraw_confirm_title"),
        intro: t("own.withdraw_confirm_intro"),
        facts: summary([t("contribution.registered"), formatDate(state.c.registeredAt)], [t("contribution.id"), short(cid)]),
        confirmLabel: t("own.withdraw_confirm_button"),
        danger: true,
      },
      kindKey: "own.withdraw_kind",
      path: paths.withdraw(cid),
      body: {},
      effect: (s) => s.c.status === "withdrawn",
      resultNode: () => $("#contribution-explain"),
    }),
  );
}

runPage(contributionPage);
