// The split, in three parts kept apart in words and on screen: the split in force (the vault's
// version that money follows today), today's score (what a new proposal would say), and the
// proposals between them with their approvals; then every partner's points with their
// arithmetic, and a revenue simulation that says which split it used. The page follows the
// ledger as it moves (the sandbox clock, another partner's approval) without a reload.

import { ApiError, allContributions, get, paths, post, waitFor } from "../api.js";
import { parseAmount } from "../amount.js";
import { confirmAction } from "../confirm.js";
import { context, nameOf, personName, projectId, requireActor, titleOf } from "../context.js";
import { $, busy, el, fill, focusResult, showError } from "../dom.js";
import {
  categoryName,
  formatBps,
  formatDate,
  formatDecimal,
  formatEuroCents,
  formatValue,
  t,
  tr,
} from "../i18n.js";
import { runPage } from "../page.js";
import { settle, submitWrite } from "../progress.js";
import { explanationText, loadScore } from "../score.js";

/** How often the page asks whether the ledger moved (the index read a new block). */
const FOLLOW_MS = 3000;

const state = { pid: null, score: null, proposals: [], policies: [], block: null, contributions: new Map() };

/** A contribution's title as its card gives it (the one its contributor signed), by id. */
function titleById(cid) {
  return titleOf(state.contributions.get(cid.toLowerCase()) || { contributionId: cid });
}

function splitEntries(split) {
  return (split || []).map((entry) => ({ partner: entry.partner, bps: Number(entry.bps) }));
}

function sameSplit(a, b) {
  const left = splitEntries(a);
  const right = new Map(splitEntries(b).map((e) => [e.partner.toLowerCase(), e.bps]));
  return left.length === right.size && left.every((e) => right.get(e.partner.toLowerCase()) === e.bps);
}

/** Points as the API gives them, exact ("120", "362/5"): a whole number as it is, a fraction
 * as "about" its value to two decimals (rounded half up, in BigInt: no float). */
function formatPoints(text) {
  const [top, bottom] = String(text).split("/");
  if (!bottom) return formatDecimal(top, 0);
  const numerator = BigInt(top) * 200n + BigInt(bottom);
  const hundredths = (numerator / (2n * BigInt(bottom))).toString().padStart(3, "0");
  const decimal = `${hundredths.slice(0, -2)}.${hundredths.slice(-2)}`;
  return t("split.points_about", { points: formatDecimal(decimal, 2) });
}

function barFill(bps, index) {
  const fillNode = el("span", { class: `bar-fill bar-color-${index % 4}` });
  // Through the CSSOM: the page's CSP refuses style attributes.
  fillNode.style.width = `${bps / 100}%`;
  return fillNode;
}

function bars(split, label) {
  return el(
    "ul",
    { class: "bars", "aria-label": label },
    splitEntries(split).map((entry, index) =>
      el(
        "li",
        { class: "bar-row", "data-partner": entry.partner },
        el("span", { class: "bar-name" }, nameOf(entry.partner)),
        el("span", { class: "bar-track", "aria-hidden": "true" }, barFill(entry.bps, index)),
        el("span", { class: "bar-value" }, formatBps(entry.bps)),
      ),
    ),
  );
}

function sharesText(split) {
  return splitEntries(split)
    .map((entry) => `${nameOf(entry.partner)} ${formatBps(entry.bps)}`)
    .join(" · ");
}

/** The split version money follows now: the finalized proposal with the highest version. */
function inForce(proposals) {
  return proposals
    .filter((p) => p.finalized)
    .reduce((best, p) => (!best || p.splitVersion > best.splitVersion ? p : best), null);
}

function policyOf(version) {
  const found = state.policies.find((p) => p.version === version);
  return (found || state.policies[state.policies.length - 1]).policy;
}

// -- the split in force ----------------------------------------------------------------------

function renderInForce(current) {
  const chart = $("#in-force-chart");
  if (!current) {
    $("#in-force-summary").textContent = t("split.in_force_none");
    fill(chart);
    return;
  }
  $("#in-force-summary").textContent = t("split.in_force_summary", {
    version: current.splitVersion,
    since: current.finalizedAt ? formatDate(current.finalizedAt) : "?",
    proposal: current.proposalId,
  });
  fill(chart, bars(current.split, t("split.in_force_label")));
}

// -- today's score ---------------------------------------------------------------------------

function renderToday(score, current) {
  const chart = $("#split-chart");
  const button = $("#propose-split");
  const compare = $("#today-compare");
  $("#today-basis").textContent = t("split.today_basis", {
    date: formatDate(score.asOf),
    version: score.policyVersion,
  });
  const entries = splitEntries(score.split);
  if (!entries.length) {
    // Nothing counts: nothing to propose either.
    $("#split-summary").textContent = t("split.empty");
    fill(chart, el("p", { class: "muted" }, t("split.empty_hint")));
    compare.textContent = "";
    button.hidden = true;
    return;
  }
  $("#split-summary").textContent = t("split.summary", {
    counted: score.countedCount,
    total: score.contributionCount,
  });
  fill(chart, bars(score.split, t("split.chart_label")));
  const pending = state.proposals.find((p) => !p.finalized && p.inputSetHash === score.inputSetHash && sameSplit(p.split, score.split));
  let note;
  if (!current) note = t("split.today_not_in_force");
  else if (sameSplit(current.split, score.split)) note = t("split.today_equal");
  else note = t("split.today_differs", { version: current.splitVersion });
  if (current && current.inputSetHash === score.inputSetHash) note = t("split.already_in_force");
  else if (pending) note = `${note} ${t("split.already_proposed", { id: pending.proposalId })}`;
  compare.textContent = note;
  // Offered only when there is something new to propose.
  button.hidden = Boolean(pending) || Boolean(current && current.inputSetHash === score.inputSetHash);
}

// -- proposals -------------------------------------------------------------------------------

function renderThreshold(proposals) {
  const newest = proposals.filter((p) => p.approvalsRequired).slice(-1)[0];
  $("#split-threshold").textContent = newest
    ? t("split.threshold", { required: newest.approvalsRequired, partners: newest.eligible.length })
    : "";
}

function proposalItem(proposal, current, me) {
  const approvers = (proposal.approvals || []).map((a) => a.toLowerCase());
  const waiting = proposal.waitingFor || [];
  const eligible = (proposal.eligible || []).length;
  const title = t("split.proposal_title", {
    id: proposal.proposalId,
    name: nameOf(proposal.proposer),
    date: proposal.proposedAt ? formatDate(proposal.proposedAt) : "?",
  });
  const parts = [
    el("h3", {}, title, " ", proposal.finalized ? badge(proposal, current) : null),
    el("p", { class: "proposal-shares" }, t("split.proposal_shares", { shares: sharesText(proposal.split) })),
    el(
      "p",
      { class: "proposal-approvals" },
      t("split.approved_by", {
        names: (proposal.approvals || []).map(nameOf).join(", "),
        given: approvers.length,
        partners: eligible,
      }),
    ),
  ];
  if (proposal.finalized) {
    parts.push(
      el(
        "p",
        { class: "proposal-version" },
        t("split.version_since", {
          version: proposal.splitVersion,
          since: proposal.finalizedAt ? formatDate(proposal.finalizedAt) : "?",
        }),
      ),
    );
  } else {
    const required = proposal.approvalsRequired;
    if (required) {
      parts.push(
        el(
          "p",
          { class: "proposal-needed" },
          el(
            "strong",
            { class: "needed" },
            t("split.more_needed", { n: Math.max(required - approvers.length, 0), m: waiting.length }),
          ),
          " · ",
          t("split.threshold", { required, partners: eligible }),
        ),
      );
    }
    if (waiting.length) {
      parts.push(el("p", { class: "proposal-waiting" }, t("split.waiting_for", { names: waiting.map(nameOf).join(", ") })));
    }
    if (me && waiting.some((a) => a.toLowerCase() === me)) {
      parts.push(el("button", { type: "button", class: "button", onclick: approve(proposal) }, t("split.approve")));
    }
    if (me && approvers.includes(me)) parts.push(el("p", { class: "muted" }, t("split.you_approved")));
  }
  return el("li", { class: "proposal", id: `proposal-${proposal.proposalId}`, "data-finalized": String(proposal.finalized) }, parts);
}

function badge(proposal, current) {
  const active = current && current.proposalId === proposal.proposalId;
  return el("span", { class: `badge ${active ? "badge-active" : "badge-superseded"}` }, active ? t("split.finalized") : t("split.replaced"));
}

function approve(proposal) {
  return (event) =>
    busy(event.currentTarget, async () => {
      const me = context.actor.address.toLowerCase();
      const confirmed = await confirmAction({
        title: t("split.approve_confirm_title", { id: proposal.proposalId }),
        intro: t("register.confirm_intro", { name: personName(context.actor) }),
        facts: splitEntries(proposal.split).map((entry) => [nameOf(entry.partner), formatBps(entry.bps)]),
        confirmLabel: t("split.approve"),
      });
      if (!confirmed) return;
      await submitWrite("split.approve_kind", paths.approveSplit(state.pid, proposal.proposalId), {});
      await settle(async () => {
        const now = (await proposalsOf(state.pid)).find((p) => p.proposalId === proposal.proposalId);
        return now && (now.approvals || []).some((a) => a.toLowerCase() === me);
      });
      await refresh();
      focusResult($(`#proposal-${proposal.proposalId}`));
    });
}

function renderProposals(proposals, current) {
  const target = $("#proposals");
  renderThreshold(proposals);
  if (!proposals.length) {
    fill(target, el("p", { class: "muted" }, t("split.no_proposals")));
    return;
  }
  const me = context.actor.address && context.actor.address.toLowerCase();
  // Open proposals first, then the versions, newest first in each.
  const ordered = [...proposals].sort(
    (a, b) => Number(a.finalized) - Number(b.finalized) || b.proposalId - a.proposalId,
  );
  fill(target, el("ul", { class: "plain-list" }, ordered.map((p) => proposalItem(p, current, me))));
}

async function proposalsOf(pid) {
  try {
    const proposals = await get(paths.splits(pid));
    return Array.isArray(proposals) ? proposals : proposals.items || [];
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    return [];
  }
}

// -- why: every partner's sum, every contribution's arithmetic ------------------------------

/** The unit scale as the arithmetic divides by it: money in money (100 EUR is one unit: "€100.00"),
 * a count as a plain number. */
function scaleText(x, category) {
  const money = category && /-cent$/.test(category.unit);
  return money ? formatValue(String(x.unitScale), category) : formatDecimal(String(x.unitScale), 0);
}

function arithmetic(x, category) {
  return t("split.arithmetic", {
    value: formatValue(x.value, category),
    scale: scaleText(x, category),
    category: formatBps(x.categoryWeightBps),
    origin: formatBps(x.originWeightBps),
    origin_name: x.origin === "result" ? t("split.origin_result") : t("split.origin_background"),
    rating: x.rating,
    points: formatPoints(x.points),
  });
}

function flowLines(x, byId, rules) {
  if (!rules.parentShareBps) return [];
  const lines = [];
  const taken = (x.parents || []).filter((link) => link.credit === "takes_part" && link.points !== "0");
  if (x.received !== "0") {
    lines.push(el("li", { class: "flow-received" }, t("split.flow_received", { points: formatPoints(x.received) })));
  }
  if (taken.length) {
    const parts = taken.map((link) => {
      const parent = byId.get(link.parent.toLowerCase());
      return t("split.flow_part", {
        points: formatPoints(link.points),
        title: titleById(link.parent),
        name: parent ? nameOf(parent.contributor) : "?",
      });
    });
    lines.push(el("li", { class: "flow-passed" }, t("split.flow_passed", { share: formatBps(rules.parentShareBps), parts: parts.join("; ") })));
  }
  if (lines.length) lines.push(el("li", { class: "flow-kept" }, t("split.flow_kept", { points: formatPoints(x.kept) })));
  return lines.length ? [el("ul", { class: "flow" }, lines)] : [];
}

function renderWhy(score) {
  const rules = policyOf(score.policyVersion);
  const byId = new Map((score.contributions || []).map((x) => [x.contributionId.toLowerCase(), x]));
  const rule = $("#flow-rule");
  rule.hidden = !rules.parentShareBps;
  rule.textContent = rules.parentShareBps ? t("split.flow_rule", { share: formatBps(rules.parentShareBps) }) : "";
  const describe = (cid, counted) => {
    const x = byId.get(cid.toLowerCase());
    const category = x ? rules.categories[x.category] : null;
    return el(
      "li",
      { "data-contribution": cid },
      el("a", { href: `/contribution?id=${cid}` }, titleById(cid)),
      x ? ` (${categoryName(category)}, ${formatValue(x.value, category)}): ` : ": ",
      counted && x && x.status === "COUNTED"
        ? el("span", { class: "arithmetic" }, arithmetic(x, category))
        : explanationText(x),
      counted && x ? flowLines(x, byId, rules) : null,
    );
  };
  const total = score.totalPoints;
  fill(
    $("#split-why"),
    (score.partners || []).map((p) => {
      const flows = p.receivedPoints !== "0" || p.passedPoints !== "0";
      const sum = flows
        ? t("split.partner_sum", {
            own: formatPoints(p.ownPoints),
            received: formatPoints(p.receivedPoints),
            passed: formatPoints(p.passedPoints),
            total: formatPoints(p.rawPoints),
          })
        : t("split.partner_points", { total: formatPoints(p.rawPoints) });
      return el(
        "article",
        { class: "why-partner", "data-partner": p.partner },
        el("h3", {}, `${nameOf(p.partner)}: ${formatBps(Number(p.bps))}`),
        el("p", { class: "partner-sum" }, sum),
        total !== "0"
          ? el("p", { class: "partner-share" }, t("split.partner_share", { points: formatPoints(p.rawPoints), all: formatPoints(total), share: formatBps(Number(p.bps)) }))
          : null,
        p.adjustment && p.adjustment !== "UNCHANGED" ? el("p", { class: "muted" }, tr("adjustment", p.adjustment)) : null,
        el("h4", {}, t("split.counted", { count: p.counted.length })),
        p.counted.length
          ? el("ul", { class: "plain-list counted" }, p.counted.map((cid) => describe(cid, true)))
          : el("p", { class: "muted" }, t("split.none")),
        el("h4", {}, t("split.not_counted", { count: p.notCounted.length })),
        p.notCounted.length
          ? el("ul", { class: "plain-list not-counted" }, p.notCounted.map((cid) => describe(cid, false)))
          : el("p", { class: "muted" }, t("split.none")),
      );
    }),
  );
}

// -- the whole page, and following the ledger ------------------------------------------------

async function refresh() {
  const pid = state.pid;
  const [score, proposals, policies, contributions] = await Promise.all([
    loadScore(pid),
    proposalsOf(pid),
    get(paths.policies(pid)),
    allContributions(pid),
  ]);
  state.contributions = new Map(contributions.map((c) => [c.contributionId.toLowerCase(), c]));
  state.proposals = proposals;
  state.policies = policies;
  state.score = score;
  const current = inForce(proposals);
  renderInForce(current);
  renderProposals(proposals, current);
  if (!score) {
    // An API without the scoring routes: say so instead of failing.
    $("#split-summary").textContent = t("split.unavailable");
    fill($("#split-chart"));
    return null;
  }
  state.block = score.computedAtBlock;
  renderToday(score, current);
  renderWhy(score);
  return score;
}

/** Re-read the page's data whenever the ledger's index has read a new block: a moved clock,
 * another partner's approval or contribution shows up without a reload. */
function follow() {
  let running = false;
  setInterval(async () => {
    if (running || document.hidden) return;
    running = true;
    try {
      const health = await get("/health");
      if (health.indexBlock !== null && health.indexBlock !== state.block) await refresh();
    } catch {
      // A missed look is repeated at the next tick; the page keeps what it shows.
    } finally {
      running = false;
    }
  }, FOLLOW_MS);
}

async function splitPage() {
  if (!requireActor()) return;
  state.pid = await projectId();
  await refresh();
  follow();
  const clock = $("#clock-forward");
  if (clock) {
    clock.addEventListener("click", () =>
      busy(clock, async () => {
        const status = $("#clock-status");
        const days = Math.ceil(policyOf(null).disputeWindow / 86400) + 1;
        status.textContent = t("clock.moving");
        const moved = await post(paths.clock, { days });
        // The chain's clock moved at once; the score follows when the index has read the
        // block that carries the new time (a moment, or longer on a busy machine).
        await waitFor(
          async () => {
            const score = await loadScore(state.pid);
            return !score || score.asOf >= moved.timestamp;
          },
          {
            onWait: (elapsed) => {
              status.textContent = t("clock.waiting", { seconds: Math.round(elapsed / 1000) });
            },
          },
        );
        await refresh();
        status.textContent = t("clock.moved", { date: formatDate(moved.timestamp) });
        focusResult(status);
      }),
    );
  }
  $("#propose-split").addEventListener("click", (event) =>
    busy(event.currentTarget, async () => {
      const score = await loadScore(state.pid);
      if (!score || !splitEntries(score.split).length) {
        throw new ApiError(422, "nothing_to_split", t("error.nothing_to_split"));
      }
      const confirmed = await confirmAction({
        title: t("split.propose_confirm_title"),
        intro: t("register.confirm_intro", { name: personName(context.actor) }),
        facts: splitEntries(score.split).map((entry) => [nameOf(entry.partner), formatBps(entry.bps)]),
        confirmLabel: t("split.propose_confirm_button"),
      });
      if (!confirmed) return;
      const op = await submitWrite("split.propose_kind", paths.splits(state.pid), {});
      const proposalId = Number(op.resourceId);
      await settle(async () => (await proposalsOf(state.pid)).some((p) => p.proposalId === proposalId));
      await refresh();
      focusResult($(`#proposal-${proposalId}`) || $("#proposals"));
    }),
  );
  $("#revenue-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    let cents;
    try {
      // Euros as people type them, exactly: never a float times 100.
      cents = parseAmount($("#revenue-amount").value, { unit: "EUR-cent", unitScale: 1 });
    } catch (error) {
      return showError(error);
    }
    await busy(event.submitter, async () => {
      const statement = await get(`${paths.statement(state.pid)}?amount=${cents}`);
      renderStatement(statement, cents);
      focusResult($("#statement-caption"));
    });
  });
}

function renderStatement(statement, cents) {
  const table = $("#statement-table");
  const lines = statement.lines || [];
  const amount = formatEuroCents(cents);
  const version = state.proposals.find((p) => p.finalized && p.splitVersion === statement.splitVersion);
  $("#statement-caption").textContent =
    statement.basis === "finalized_split"
      ? t("revenue.caption_version", {
          amount,
          version: statement.splitVersion,
          since: version && version.finalizedAt ? formatDate(version.finalizedAt) : "?",
        })
      : t("revenue.caption_score", { amount });
  fill(
    $("tbody", table),
    lines.map((line) =>
      el(
        "tr",
        { "data-partner": line.partner },
        el("td", {}, nameOf(line.partner)),
        el("td", {}, formatBps(Number(line.bps))),
        el("td", {}, formatEuroCents(line.amount)),
      ),
    ),
  );
  table.hidden = false;
}

runPage(splitPage);
