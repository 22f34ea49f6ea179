// One contribution: its facts, whether it counts and why, and (for the other partners)
// endorse, dispute and vote.

import { ApiError, get, paths } from "../api.js";
import { context, currentPolicy, nameOf, requireActor, titleOf } from "../context.js";
import { sha256Text } from "../crypto.js";
import { $, busy, el, fact, fill, short, showError } from "../dom.js";
import { categoryName, formatDate, formatValue, t } from "../i18n.js";
import { runPage } from "../page.js";
import { submitWrite } from "../progress.js";
import { explanationOf, explanationText, loadScore } from "../score.js";

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
  const [policy, score] = await Promise.all([currentPolicy(pid), loadScore(pid).catch(() => null)]);
  const category = policy.policy.categories[c.category];
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
        ? el("ul", { class: "plain-list" }, c.parents.map((p) => el("li", {}, el("a", { href: `/contribution?id=${p}` }, context.titles.get(p.toLowerCase()) || short(p)))))
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

  const own = actor.address && actor.address.toLowerCase() === c.contributor.toLowerCase();
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
  $("#dispute-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = $("#dispute-reason").value.trim();
    if (!reason) return showError(new ApiError(422, "no_reason", t("error.no_reason")));
    await busy($("#dispute-submit"), async () => {
      // Only a hash of the reason goes on chain; the text stays with the partners.
      await submitWrite("dispute.kind", paths.dispute(cid), { reason_hash: await sha256Text(reason) });
      reload();
    });
  });
  if (explanation && explanation.status === "DISPUTE_OPEN" && actor.address && !own) {
    const box = $("#vote-box");
    box.hidden = false;
    $("#vote-state").textContent = explanationText(explanation);
    const vote = (uphold) => async (event) => {
      await busy(event.currentTarget, async () => {
        await submitWrite("vote.kind", paths.vote(cid, explanation.dispute_number), { uphold });
        reload();
      });
    };
    $("#vote-uphold").addEventListener("click", vote(true));
    $("#vote-reject").addEventListener("click", vote(false));
  }
}

runPage(contributionPage);
