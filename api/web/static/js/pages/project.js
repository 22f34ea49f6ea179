// The project: agreement and who accepted it, the scoring policy, members, and the timeline
// of contributions.

import { allContributions, get, paths } from "../api.js";
import { context, currentPolicy, nameOf, projectId, requireActor, titleOf } from "../context.js";
import { $, el, fact, fill } from "../dom.js";
import { categoryName, formatBps, formatDate, formatValue, t, unitName } from "../i18n.js";
import { runPage } from "../page.js";

async function projectPage() {
  if (!requireActor()) return;
  const pid = await projectId();
  const [project, policy, contributions] = await Promise.all([
    get(paths.project(pid)),
    currentPolicy(pid),
    allContributions(pid),
  ]);
  // Parents are named by their cards' titles (this page reads every contribution anyway).
  const byId = new Map(contributions.map((c) => [c.contributionId.toLowerCase(), c]));
  if (context.demo) $("#project-heading").textContent = context.demo.projectTitle;
  fill(
    $("#agreement-facts"),
    fact(t("project.project_id"), String(pid)),
    fact(t("project.coordinator"), nameOf(project.coordinator)),
    fact(t("project.agreement_version"), String(project.agreementVersion)),
    fact(t("project.agreement_hash"), el("code", { class: "hash" }, project.agreementHash)),
    fact(t("project.in_force"), project.inForce ? t("common.yes") : t("common.no")),
  );
  fill(
    $("#acceptances"),
    project.partners.map((p) => {
      const accepted = p.acceptedVersion >= project.agreementVersion && p.acceptedVersion > 0;
      return el(
        "li",
        { class: accepted ? "ok" : "pending" },
        el("span", { class: "icon", "aria-hidden": "true" }, accepted ? "✔" : "…"),
        ` ${nameOf(p.address)}: `,
        accepted
          ? t("project.accepted_version", { version: p.acceptedVersion })
          : t("project.not_accepted"),
      );
    }),
  );
  const rules = policy.policy;
  const pct = (bps) => formatBps(bps);
  // A threshold as the count the vault and the governance module apply ("2 of 3 partners").
  const approvals = (required, partners, bps) => t("policy.approvals_count", { required, partners, share: pct(bps) });
  fill(
    $("#policy-facts"),
    fact(t("policy.version"), String(policy.version)),
    fact(t("policy.background_weight"), pct(rules.backgroundWeightBps)),
    fact(t("policy.result_weight"), pct(rules.resultWeightBps)),
    fact(t("policy.quorum"), String(rules.endorsementQuorum)),
    fact(t("policy.dispute_window"), t("policy.days", { days: Math.round(rules.disputeWindow / 86400) })),
    fact(t("policy.split_approval"), approvals(policy.splitApprovalsRequired, policy.partners, rules.splitApprovalBps)),
    fact(t("policy.governance_approval"), approvals(policy.governanceApprovalsRequired, policy.partners, rules.governanceBps)),
    fact(t("policy.parent_share"), rules.parentShareBps ? pct(rules.parentShareBps) : t("policy.none")),
    fact(t("policy.cap"), rules.partnerCapBps ? pct(rules.partnerCapBps) : t("policy.none")),
    fact(t("policy.floor"), rules.partnerFloorBps ? pct(rules.partnerFloorBps) : t("policy.none")),
  );
  fill(
    $("#categories-table tbody"),
    rules.categories.map((c) =>
      el(
        "tr",
        {},
        el("td", {}, categoryName(c)),
        el("td", {}, unitName(c)),
        // What one score unit is in the category's own unit: 100 EUR for funding.
        el("td", {}, formatValue(String(c.unitScale), c)),
        el("td", {}, pct(c.weightBps)),
      ),
    ),
  );
  fill(
    $("#members"),
    project.partners.map((p) =>
      el(
        "li",
        { class: "partner-card" },
        el("h3", {}, nameOf(p.address)),
        el("p", {}, p.address === project.coordinator ? t("role.coordinator") : t("role.partner")),
        el("p", { class: "muted" }, el("code", { class: "hash" }, p.address)),
        el("p", { class: "muted" }, p.active ? t("project.active_member") : t("project.former_member")),
      ),
    ),
  );
  fill($("#timeline"), contributions.length ? contributions.map((c) => timelineItem(c, rules, byId)) : el("li", {}, t("project.no_contributions")));
}

function timelineItem(c, rules, byId) {
  const category = rules.categories[c.category];
  return el(
    "li",
    { class: `timeline-item status-${c.status}`, "data-contribution": c.contributionId },
    // The block is for the lawyer: a tooltip on the date.
    el("p", { class: "timeline-date", title: t("contribution.block_term", { block: c.blockNumber }) }, formatDate(c.registeredAt)),
    el("h3", {}, el("a", { href: `/contribution?id=${c.contributionId}` }, titleOf(c))),
    el(
      "p",
      {},
      nameOf(c.contributor),
      " · ",
      t(`origin.${c.origin}`),
      " · ",
      categoryName(category),
      " · ",
      formatValue(c.value, category),
    ),
    el(
      "p",
      {},
      el("span", { class: `badge badge-${c.status}` }, t(`status.${c.status}`)),
      // By title: "builds on 1" would read like "contribution number 1".
      c.parents.length ? ` ${t("project.builds_on")} ` : "",
      c.parents.flatMap((p, i) => [
        i ? ", " : "",
        el("a", { href: `/contribution?id=${p}` }, titleOf(byId.get(p.toLowerCase()) || { contributionId: p })),
      ]),
    ),
  );
}

runPage(projectPage);
