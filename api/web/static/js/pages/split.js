// The split: each partner's share and why (which contributions count, which do not), split
// proposals and approvals, and a revenue statement; in a sandbox, the clock moved forward.

import { ApiError, allContributions, get, paths, post, waitFor } from "../api.js";
import { parseAmount } from "../amount.js";
import { confirmAction } from "../confirm.js";
import { context, currentPolicy, nameOf, personName, projectId, requireActor, titleOf } from "../context.js";
import { $, busy, el, fill, focusResult, short, showError } from "../dom.js";
import { categoryName, formatBps, formatDate, formatEuroCents, formatValue, t, tr } from "../i18n.js";
import { runPage } from "../page.js";
import { settle, submitWrite } from "../progress.js";
import { explanationText, loadScore } from "../score.js";

function splitEntries(score) {
  return (score.split || []).map((entry) => ({ partner: entry.partner, bps: Number(entry.bps) }));
}

function barFill(bps, index) {
  const fillNode = el("span", { class: `bar-fill bar-color-${index % 4}` });
  // Through the CSSOM: the page's CSP refuses style attributes.
  fillNode.style.width = `${bps / 100}%`;
  return fillNode;
}

function renderChart(score) {
  const chart = $("#split-chart");
  const entries = splitEntries(score);
  if (!entries.length) {
    $("#split-summary").textContent = t("split.empty");
    fill(chart, el("p", { class: "muted" }, t("split.empty_hint")));
    return;
  }
  $("#split-summary").textContent = t("split.summary", {
    counted: score.counted_count,
    total: score.contribution_count,
  });
  fill(
    chart,
    el(
      "ul",
      { class: "bars", "aria-label": t("split.chart_label") },
      entries.map((entry, index) =>
        el(
          "li",
          { class: "bar-row" },
          el("span", { class: "bar-name" }, nameOf(entry.partner)),
          el(
            "span",
            { class: "bar-track", "aria-hidden": "true" },
            barFill(entry.bps, index),
          ),
          el("span", { class: "bar-value" }, formatBps(entry.bps)),
        ),
      ),
    ),
  );
}

function renderWhy(score, rules, contributions) {
  const byId = new Map((score.contributions || []).map((x) => [x.contribution_id.toLowerCase(), x]));
  // Each contribution by the title on its card, as its contributor signed it.
  const titles = new Map(contributions.map((c) => [c.contribution_id.toLowerCase(), titleOf(c)]));
  const describe = (cid) => {
    const x = byId.get(cid.toLowerCase());
    const category = x ? rules.categories[x.category] : null;
    const title = titles.get(cid.toLowerCase()) || short(cid);
    return el(
      "li",
      {},
      el("a", { href: `/contribution?id=${cid}` }, title),
      x ? ` (${categoryName(category)}, ${formatValue(x.value, category)}): ` : ": ",
      explanationText(x),
    );
  };
  fill(
    $("#split-why"),
    (score.partners || []).map((p) =>
      el(
        "article",
        { class: "why-partner" },
        el("h3", {}, `${nameOf(p.partner)}: ${formatBps(Number(p.bps))}`),
        p.adjustment && p.adjustment !== "UNCHANGED" ? el("p", { class: "muted" }, tr("adjustment", p.adjustment)) : null,
        el("h4", {}, t("split.counted", { count: p.counted.length })),
        p.counted.length ? el("ul", { class: "plain-list counted" }, p.counted.map(describe)) : el("p", { class: "muted" }, t("split.none")),
        el("h4", {}, t("split.not_counted", { count: p.not_counted.length })),
        p.not_counted.length ? el("ul", { class: "plain-list not-counted" }, p.not_counted.map(describe)) : el("p", { class: "muted" }, t("split.none")),
      ),
    ),
  );
}

async function splitPage() {
  if (!requireActor()) return;
  const pid = await projectId();
  const policy = await currentPolicy(pid);
  const refresh = async () => {
    const score = await loadScore(pid);
    if (!score) {
      // An API without the scoring routes: say so instead of failing.
      $("#split-summary").textContent = t("split.unavailable");
      fill($("#split-chart"));
      return null;
    }
    renderChart(score);
    renderWhy(score, policy.policy, await allContributions(pid));
    await renderProposals(pid);
    return score;
  };
  await refresh();
  const clock = $("#clock-forward");
  if (clock) {
    clock.addEventListener("click", () =>
      busy(clock, async () => {
        const status = $("#clock-status");
        const days = Math.ceil(policy.policy.dispute_window / 86400) + 1;
        status.textContent = t("clock.moving");
        const moved = await post(paths.clock, { days });
        // The chain's clock moved at once; the score follows when the index has read the
        // block that carries the new time (a moment, or longer on a busy machine).
        await waitFor(
          async () => {
            const score = await loadScore(pid);
            return !score || score.as_of >= moved.timestamp;
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
      const score = await loadScore(pid);
      if (!score || !splitEntries(score).length) {
        throw new ApiError(422, "nothing_to_split", t("error.nothing_to_split"));
      }
      const confirmed = await confirmAction({
        title: t("split.propose_confirm_title"),
        intro: t("register.confirm_intro", { name: personName(context.actor) }),
        facts: splitEntries(score).map((entry) => [nameOf(entry.partner), formatBps(entry.bps)]),
        confirmLabel: t("split.propose_confirm_button"),
      });
      if (!confirmed) return;
      const op = await submitWrite("split.propose_kind", paths.splits(pid), {});
      const proposalId = Number(op.resource_id);
      await settle(async () => (await proposalsOf(pid)).some((p) => p.proposal_id === proposalId));
      await refresh();
      focusResult($(`#proposal-${proposalId}`) || $("#proposals"));
    }),
  );
  $("#revenue-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    let cents;
    try {
      // Euros as people type them, exactly: never a float times 100.
      cents = parseAmount($("#revenue-amount").value, { unit: "EUR-cent", unit_scale: 1 });
    } catch (error) {
      return showError(error);
    }
    await busy(event.submitter, async () => {
      const statement = await get(`${paths.statement(pid)}?amount=${cents}`);
      renderStatement(statement, cents);
      focusResult($("#statement-caption"));
    });
  });
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

async function renderProposals(pid) {
  const target = $("#proposals");
  const items = await proposalsOf(pid);
  if (!items.length) {
    fill(target, el("p", { class: "muted" }, t("split.no_proposals")));
    return;
  }
  const me = context.actor.address && context.actor.address.toLowerCase();
  const approve = (proposal) => (event) =>
    busy(event.currentTarget, async () => {
      const confirmed = await confirmAction({
        title: t("split.approve_confirm_title", { id: proposal.proposal_id }),
        intro: t("register.confirm_intro", { name: personName(context.actor) }),
        facts: (proposal.split || []).map((entry) => [nameOf(entry.partner), formatBps(Number(entry.bps))]),
        confirmLabel: t("split.approve"),
      });
      if (!confirmed) return;
      await submitWrite("split.approve_kind", paths.approveSplit(pid, proposal.proposal_id), {});
      await settle(async () => {
        const now = (await proposalsOf(pid)).find((p) => p.proposal_id === proposal.proposal_id);
        return now && (now.approvals || []).some((a) => a.toLowerCase() === me);
      });
      await renderProposals(pid);
      focusResult($(`#proposal-${proposal.proposal_id}`));
    });
  fill(
    target,
    el(
      "ul",
      { class: "plain-list" },
      items.map((proposal) => {
        const approvers = (proposal.approvals || proposal.approvers || []).map((a) => a.toLowerCase());
        const approved = me && approvers.includes(me);
        const finalized = proposal.finalized || proposal.status === "finalized";
        return el(
          "li",
          { class: "proposal", id: `proposal-${proposal.proposal_id}` },
          el("strong", {}, t("split.proposal_line", { id: proposal.proposal_id, approvals: approvers.length })),
          " ",
          finalized ? el("span", { class: "badge badge-active" }, t("split.finalized")) : null,
          !finalized && me && !approved
            ? el("button", { type: "button", class: "button", onclick: approve(proposal) }, t("split.approve"))
            : null,
          approved ? el("span", { class: "muted" }, ` ${t("split.you_approved")}`) : null,
        );
      }),
    ),
  );
}

function renderStatement(statement, cents) {
  const table = $("#statement-table");
  const lines = statement.lines || [];
  $("#statement-caption").textContent = t("revenue.caption", { amount: formatEuroCents(cents) });
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
