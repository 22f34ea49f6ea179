// The consortium agreement: where it stands, its text in Dutch or English (with the PDF and the
// canonical document to download), every version with what it changed and who accepted it,
// accepting it by signature, and putting an amendment to the partners (propose, approve).

import { get, request } from "../api.js";
import { confirmAction } from "../confirm.js";
import { context, nameOf, requireActor } from "../context.js";
import { $, busy, download, el, fact, fill, focusResult } from "../dom.js";
import { formatBps, formatDate, lang, t } from "../i18n.js";
import { runPage } from "../page.js";
import { settle, submitWrite } from "../progress.js";

const state = { agreements: [], agreement: null, textLanguage: lang };

const me = () => (context.actor && context.actor.address ? context.actor.address.toLowerCase() : "");

async function load(agreementId) {
  state.agreement = await get(`/v1/agreements/${agreementId}`);
  return state.agreement;
}

function newest(agreement, state_ = null) {
  const versions = state_ ? agreement.versions.filter((v) => v.state === state_) : agreement.versions;
  return versions[versions.length - 1];
}

// -- what is shown --------------------------------------------------------------------------------

function renderActions(agreement) {
  const actions = [];
  if (context.actor.role === "coordinator") {
    actions.push(el("a", { class: "button", href: "/agreement/builder" }, t("agreement.write_new")));
  }
  if (agreement) {
    const latest = newest(agreement);
    const partner = latest.answers.partners.some((p) => p.address.toLowerCase() === me());
    if (agreement.projectId == null && !agreement.frozen && agreement.coordinator.toLowerCase() === me()) {
      actions.push(el("a", { class: "button button-primary", href: `/agreement/builder?draft=${agreement.agreementId}` }, t("agreement.continue_draft")));
    }
    if (agreement.projectId != null && partner && latest.state === "recorded") {
      actions.push(el("a", { class: "button", id: "amend-link", href: `/agreement/builder?amend=${agreement.agreementId}` }, t("agreement.amend")));
    }
  }
  fill($("#agreement-actions"), actions);
}

function renderFacts(agreement) {
  fill(
    $("#agreement-facts"),
    fact(t("agreement.field.project.title"), newest(agreement).title),
    fact(t("agreement.project"), agreement.projectId != null ? String(agreement.projectId) : t("agreement.no_project")),
    fact(t("agreement.coordinator"), nameOf(agreement.coordinator)),
    fact(t("agreement.current_version"), agreement.currentVersion ? String(agreement.currentVersion) : "–"),
    fact(t("agreement.in_force"), agreement.inForce ? t("common.yes") : t("common.no")),
    fact(t("agreement.salt"), el("code", { class: "hash" }, agreement.salt)),
  );
  const version = newest(agreement, "recorded") || newest(agreement);
  const p = version.policy;
  const count = version.answers.partners.length;
  fill(
    $("#agreement-rules"),
    fact(t("policy.background_weight"), formatBps(p.backgroundWeightBps)),
    fact(t("policy.result_weight"), formatBps(p.resultWeightBps)),
    fact(t("policy.quorum"), String(p.endorsementQuorum)),
    fact(t("policy.dispute_window"), t("policy.days", { days: Math.round(p.disputeWindow / 86400) })),
    fact(t("policy.cap"), p.partnerCapBps ? formatBps(p.partnerCapBps) : t("policy.none")),
    fact(t("policy.floor"), p.partnerFloorBps ? formatBps(p.partnerFloorBps) : t("policy.none")),
    fact(
      t("agreement.field.royalties.split_approvals"),
      `${version.answers.royalties.split_approvals} ${t("builder.of_partners", { count })}`,
    ),
    fact(
      t("agreement.field.decisions.governance_approvals"),
      `${version.answers.decisions.governance_approvals} ${t("builder.of_partners", { count })}`,
    ),
  );
}

function renderAccept(agreement) {
  const box = $("#accept-box");
  const version = newest(agreement, "recorded");
  if (!version || agreement.projectId == null || context.actor.role === "auditor" || context.actor.role === "admin") {
    fill(box);
    return;
  }
  const mine = version.acceptances.some((a) => a.partner.toLowerCase() === me());
  const expected = version.awaiting.some((a) => a.toLowerCase() === me());
  if (mine) {
    fill(box, el("p", { class: "ok", id: "accepted-note" }, t("agreement.you_accepted", { version: version.version })));
    return;
  }
  if (!expected) {
    fill(box);
    return;
  }
  const button = el(
    "button",
    { type: "button", class: "button button-primary", id: "accept-button" },
    t("agreement.accept", { version: version.version }),
  );
  button.addEventListener("click", () => busy(button, () => accept(agreement, version)));
  fill(box, button);
}

function renderVersions(agreement) {
  fill(
    $("#versions"),
    [...agreement.versions].reverse().map((v) =>
      el(
        "li",
        { "data-version": v.version },
        el(
          "h3",
          {},
          t("agreement.version_n", { version: v.version }),
          " ",
          el("span", { class: `badge badge-${v.state}` }, t(`agreement.state.${v.state}`)),
        ),
        el(
          "dl",
          { class: "facts" },
          fact(t("agreement.content_hash"), el("code", { class: "hash" }, v.contentHash)),
          fact(t("agreement.agreement_hash"), el("code", { class: "hash" }, v.agreementHash)),
          fact(
            t("agreement.accepted_by"),
            v.acceptances.length
              ? v.acceptances.map((a) => nameOf(a.partner)).join(", ")
              : t("agreement.nobody_yet"),
          ),
          v.state === "recorded" && v.awaiting.length
            ? fact(t("agreement.awaiting"), v.awaiting.map((a) => nameOf(a)).join(", "))
            : null,
        ),
        v.changes.length
          ? [
              el("h4", {}, t("agreement.changes_heading")),
              el(
                "ul",
                { class: "changes" },
                v.changes.map((c) => el("li", { lang }, c.text[lang])),
              ),
            ]
          : null,
      ),
    ),
  );
}

async function renderText(agreement) {
  const version = newest(agreement, "recorded") || newest(agreement);
  const base = `/v1/agreements/${agreement.agreementId}/versions/${version.version}/document`;
  fill(
    $("#text-languages"),
    ["nl", "en"].map((code) =>
      el(
        "button",
        {
          type: "button",
          class: "button",
          lang: code,
          "data-language": code,
          "aria-pressed": String(code === state.textLanguage),
          onclick: () => {
            state.textLanguage = code;
            renderText(agreement);
          },
        },
        t(`agreement.language.${code}`),
      ),
    ),
  );
  const text = $("#agreement-text");
  text.lang = state.textLanguage;
  text.dataset.version = String(version.version);
  const blob = await request("GET", `${base}?format=txt&language=${state.textLanguage}`);
  text.textContent = await blob.text();
  const name = `agreement-v${version.version}`;
  fill(
    $("#downloads"),
    ["nl", "en"].map((code) =>
      el(
        "button",
        {
          type: "button",
          class: "button",
          onclick: async () => download(await request("GET", `${base}?format=pdf&language=${code}`), `${name}-${code}.pdf`),
        },
        `${t("agreement.download_pdf")} (${t(`agreement.language.${code}`)})`,
      ),
    ),
    el(
      "button",
      {
        type: "button",
        class: "button",
        onclick: async () => download(await request("GET", `${base}?format=json`), `${name}.json`),
      },
      t("agreement.download_json"),
    ),
  );
}

function samePolicy(a, b) {
  return a && b && JSON.stringify(a) === JSON.stringify(b);
}

const SETTINGS_FIELDS = ["answerPeriod", "requestPeriodAfterEnd", "projectEnd"];

function sameSettings(a, b) {
  return Boolean(a && b) && SETTINGS_FIELDS.every((name) => a[name] === b[name]);
}

const PROPOSE_LABEL = {
  change_policy: "agreement.propose_policy",
  change_exchange_settings: "agreement.propose_settings",
  amend_agreement: "agreement.propose_text",
};

// PocExchange's settings in force and its settings proposals; none where the deployment has no
// PocExchange (the page then offers only the ledger's proposals).
async function exchangeSettings(projectId) {
  try {
    const [inForce, proposals] = await Promise.all([
      get(`/v1/projects/${projectId}/exchange-settings`),
      get(`/v1/projects/${projectId}/exchange-settings/proposals`),
    ]);
    return { inForce, proposals };
  } catch {
    return { inForce: null, proposals: [] };
  }
}

async function renderPending(agreement) {
  const pending = agreement.versions.find((v) => v.state === "proposed");
  const section = $("#pending");
  if (!pending || agreement.projectId == null) {
    section.hidden = true;
    fill($("#propose-buttons"));
    fill($("#proposals"));
    return;
  }
  section.hidden = false;
  const recorded = newest(agreement, "recorded");
  const [proposals, exchange] = await Promise.all([
    get(`/v1/projects/${agreement.projectId}/proposals`),
    exchangeSettings(agreement.projectId),
  ]);
  const ours = [
    ...proposals.filter(
      (p) =>
        (p.kind === "amend_agreement" && p.agreementHash === pending.agreementHash) ||
        (p.kind === "change_policy" && samePolicy(p.policy, pending.policy)),
    ),
    ...exchange.proposals
      .filter((p) => sameSettings(p, pending.exchangeSettings))
      .map((p) => ({ ...p, kind: "change_exchange_settings" })),
  ];
  const proposed = new Set(ours.map((p) => p.kind));
  const kinds = [];
  if (!samePolicy(recorded.policy, pending.policy) && !proposed.has("change_policy")) kinds.push("change_policy");
  if (
    exchange.inForce &&
    !sameSettings(exchange.inForce, pending.exchangeSettings) &&
    !proposed.has("change_exchange_settings")
  ) {
    kinds.push("change_exchange_settings");
  }
  if (!proposed.has("amend_agreement")) kinds.push("amend_agreement");
  fill(
    $("#propose-buttons"),
    kinds.map((kind) => {
      const button = el(
        "button",
        { type: "button", class: "button button-primary", "data-kind": kind },
        t(PROPOSE_LABEL[kind]),
      );
      button.addEventListener("click", () => busy(button, () => propose(agreement, pending, kind)));
      return button;
    }),
  );
  fill(
    $("#proposals"),
    ours.map((p) => {
      const approved = p.approvals.some((a) => a.toLowerCase() === me());
      const item = el(
        "li",
        { "data-proposal": p.proposalId, "data-kind": p.kind },
        `${t(`agreement.proposal_kind.${p.kind}`)} · ${t("agreement.approvals", { count: p.approvals.length })}`,
        p.executed ? ` · ${t("agreement.executed")}` : "",
        approved && !p.executed ? ` · ${t("agreement.you_approved")}` : "",
      );
      if (!p.executed && !approved) {
        const button = el("button", { type: "button", class: "button", "data-approve": p.proposalId }, t("agreement.approve"));
        button.addEventListener("click", () => busy(button, () => approve(agreement, p)));
        item.append(" ", button);
      }
      return item;
    }),
  );
}

async function render(agreementId) {
  const agreement = await load(agreementId);
  $("#agreement-main").hidden = false;
  $("#versions-card").hidden = false;
  $("#text-card").hidden = false;
  renderActions(agreement);
  renderFacts(agreement);
  renderAccept(agreement);
  renderVersions(agreement);
  await Promise.all([renderText(agreement), renderPending(agreement)]);
  document.body.dataset.agreement = agreement.agreementId;
}

// -- actions --------------------------------------------------------------------------------------

async function accept(agreement, version) {
  const confirmed = await confirmAction({
    title: t("agreement.accept_confirm_title"),
    intro: t("agreement.accept_confirm_intro"),
    facts: [
      [t("agreement.field.project.title"), version.title],
      [t("agreement.version_n", { version: version.version }), el("code", { class: "hash" }, version.agreementHash)],
      [t("agreement.read_in"), t(`agreement.language.${state.textLanguage}`)],
    ],
    confirmLabel: t("agreement.accept", { version: version.version }),
  });
  if (!confirmed) return;
  await submitWrite("agreement.accept_kind", `/v1/agreements/${agreement.agreementId}/acceptances`, {
    version: version.version,
  });
  await settle(async () => {
    const fresh = await get(`/v1/agreements/${agreement.agreementId}`);
    const v = fresh.versions.find((x) => x.version === version.version);
    return v.acceptances.some((a) => a.partner.toLowerCase() === me());
  });
  await render(agreement.agreementId);
  focusResult($("#accepted-note"));
}

// Where a kind of proposal is listed, and approved: PocExchange's settings have their own.
function proposalsUrl(projectId, kind) {
  return kind === "change_exchange_settings"
    ? `/v1/projects/${projectId}/exchange-settings/proposals`
    : `/v1/projects/${projectId}/proposals`;
}

async function propose(agreement, version, kind) {
  const listed = proposalsUrl(agreement.projectId, kind);
  const before = (await get(listed)).length;
  const confirmed = await confirmAction({
    title: t("agreement.propose_confirm_title"),
    facts: [
      [t("agreement.version_n", { version: version.version }), t(`agreement.proposal_kind.${kind}`)],
      ...version.changes.map((c) => [t("agreement.changes_heading"), c.text[lang]]),
    ],
    confirmLabel: t(PROPOSE_LABEL[kind]),
  });
  if (!confirmed) return;
  await submitWrite("agreement.propose_kind", `/v1/agreements/${agreement.agreementId}/versions/${version.version}/proposals`, { kind });
  await settle(async () => (await get(listed)).length > before);
  await render(agreement.agreementId);
}

async function approve(agreement, proposal) {
  const confirmed = await confirmAction({
    title: t("agreement.approve_confirm_title"),
    facts: [[t("agreement.proposals_heading"), t(`agreement.proposal_kind.${proposal.kind}`)]],
    confirmLabel: t("agreement.approve"),
  });
  if (!confirmed) return;
  const listed = proposalsUrl(agreement.projectId, proposal.kind);
  await submitWrite("agreement.approve_kind", `${listed}/${proposal.proposalId}/approvals`, {});
  await settle(async () => {
    const fresh = (await get(listed)).find((p) => p.proposalId === proposal.proposalId);
    return Boolean(fresh) && fresh.approvals.some((a) => a.toLowerCase() === me());
  });
  await render(agreement.agreementId);
}

// -- the page -------------------------------------------------------------------------------------

async function agreementPage() {
  if (!requireActor()) return;
  state.agreements = await get("/v1/agreements");
  if (!state.agreements.length) {
    $("#no-agreement").hidden = false;
    renderActions(null);
    return;
  }
  const wanted = new URLSearchParams(location.search).get("id");
  let chosen = state.agreements.find((a) => a.agreementId === wanted);
  if (!chosen && context.demo) chosen = state.agreements.find((a) => a.projectId === context.demo.projectId);
  if (!chosen) chosen = state.agreements[state.agreements.length - 1];
  if (state.agreements.length > 1) {
    const select = $("#agreement-select");
    fill(
      select,
      state.agreements.map((a) =>
        el(
          "option",
          { value: a.agreementId, selected: a.agreementId === chosen.agreementId },
          `${newest(a).title} (${formatDate(newest(a).createdAt)})`,
        ),
      ),
    );
    select.addEventListener("change", () => {
      history.replaceState(null, "", `/agreement?id=${select.value}`);
      render(select.value);
    });
    $("#agreement-choice").hidden = false;
  }
  await render(chosen.agreementId);
}

runPage(agreementPage);
