// The agreement builder: the answers of a consortium agreement, one step per concept, each
// with its sensible default and a line saying what it means for you. The last step shows what
// the answers give (the rules the ledger will apply and the text in Dutch and English, made by
// the API from the same answers), then saves the draft and creates the project, or saves an
// amendment.
//
// Modes, by the address: new (a coordinator starts one), `?draft=<id>` (the coordinator goes on
// with its draft), `?amend=<id>` (a partner writes the next version of an agreement in force).

import { ApiError, get, post, request } from "../api.js";
import { confirmAction } from "../confirm.js";
import { context, nameOf, requireActor } from "../context.js";
import { $, busy, clearError, el, fact, fill, focusResult, short } from "../dom.js";
import { formatBps, has, lang, t } from "../i18n.js";
import { runPage } from "../page.js";
import { settle, submitWrite } from "../progress.js";

const DATA = JSON.parse(document.getElementById("page-data").textContent);
const STEPS = [...DATA.steps, { step: "review", paths: [] }];
const CHOICES = {
  prevailing_language: ["agreement.language", DATA.choices.prevailing_language],
  "partners.kind": ["agreement.kind", DATA.choices.kind],
  "results.joint_ownership": ["agreement.joint", DATA.choices.joint],
  "confidentiality.scope": ["agreement.scope", DATA.choices.scope],
  "disputes.escalation": ["agreement.escalation", DATA.choices.escalation],
  "disputes.governing_law": ["agreement.law", DATA.choices.law],
};
for (const path of [
  "access_rights.background_for_project",
  "access_rights.results_for_project",
  "access_rights.background_for_exploitation",
  "access_rights.results_for_exploitation",
]) {
  CHOICES[path] = ["agreement.terms", DATA.choices.terms];
}
const BOOLEANS = new Set(["results.joint_owner_may_exploit", "membership.leaver_keeps_access"]);
const TEXTAREAS = new Set(["project.aim"]);
const DATES = new Set(["project.start_date"]);
const APPROVALS = new Set(["royalties.split_approvals", "decisions.governance_approvals"]);
const PERCENT = (path) => path.endsWith("_bps");

const state = {
  mode: "new",
  agreementId: null,
  projectId: null,
  answers: null,
  step: 0,
  previewLanguage: lang,
  preview: null,
};

// -- reading and writing answers by dotted path -----------------------------------------------

function getAt(path) {
  return path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), state.answers);
}

function setAt(path, value) {
  const keys = path.split(".");
  let node = state.answers;
  for (const key of keys.slice(0, -1)) {
    if (node[key] == null) node[key] = {};
    node = node[key];
  }
  node[keys[keys.length - 1]] = value;
}

/** "66,66" or "66.66" -> 6666 basis points; null when it is no number with at most two
 * decimals. */
function bpsOf(text) {
  const match = /^\s*(\d{1,5})(?:[.,](\d{1,2}))?\s*%?\s*$/.exec(text);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || "0").padEnd(2, "0"));
}

function percentText(bps) {
  return formatBps(bps).replace(/\s*%$/, "");
}

// -- the fields ---------------------------------------------------------------------------------

function fieldId(path) {
  return `f-${path.replaceAll(".", "-")}`;
}

function meaning(path) {
  const generic = path.replace(/^partners\.\d+\./, "partners.");
  return has(`agreement.means.${generic}`) ? t(`agreement.means.${generic}`) : "";
}

function label(path) {
  return t(`agreement.field.${path.replace(/^partners\.\d+\./, "partners.")}`);
}

/** One answer: label, input, its "what this means" line, room for a problem. */
function field(path, input, { after = null } = {}) {
  const id = fieldId(path);
  input.id = id;
  input.dataset.path = path;
  const help = meaning(path);
  const helpId = `${id}-help`;
  const problemId = `${id}-problem`;
  input.setAttribute("aria-describedby", `${helpId} ${problemId}`);
  return el(
    "div",
    { class: "field", "data-field": path },
    el("label", { for: id }, label(path)),
    input,
    after,
    el("p", { class: "help", id: helpId }, help),
    el("p", { class: "field-problem", id: problemId, hidden: true }),
  );
}

function input(path) {
  const value = getAt(path);
  const generic = path.replace(/^partners\.\d+\./, "partners.");
  if (CHOICES[generic]) {
    const [prefix, values] = CHOICES[generic];
    const select = el(
      "select",
      { onchange: (e) => setAt(path, e.target.value) },
      values.map((v) => el("option", { value: v, selected: v === value }, t(`${prefix}.${v}`))),
    );
    return field(path, select);
  }
  if (BOOLEANS.has(path)) {
    const box = el("input", { type: "checkbox", checked: Boolean(value), onchange: (e) => setAt(path, e.target.checked) });
    return field(path, box);
  }
  if (TEXTAREAS.has(path)) {
    return field(path, el("textarea", { rows: 3, oninput: (e) => setAt(path, e.target.value) }, value || ""));
  }
  if (DATES.has(path)) {
    return field(path, el("input", { type: "date", value: value || "", oninput: (e) => setAt(path, e.target.value) }));
  }
  if (PERCENT(path)) {
    const box = el("input", {
      type: "text",
      inputmode: "decimal",
      value: percentText(value ?? 0),
      oninput: (e) => {
        const bps = bpsOf(e.target.value);
        setAt(path, bps === null ? e.target.value : bps);
      },
    });
    const note = path === "royalties.parent_share_bps" ? el("p", { class: "help" }, t("builder.parent_share_note")) : null;
    return field(path, box, { after: note });
  }
  if (APPROVALS.has(path)) {
    const count = state.answers.partners.length;
    const box = el("input", {
      type: "number",
      min: 1,
      max: count,
      value: value ?? Math.ceil((2 * count) / 3),
      oninput: (e) => setAt(path, e.target.value === "" ? null : Number(e.target.value)),
    });
    const of = el("span", { class: "help" }, t("builder.of_partners", { count }));
    const hint = path === "decisions.governance_approvals" ? el("p", { class: "help" }, t("builder.approvals_hint")) : null;
    return field(path, box, { after: [of, hint] });
  }
  if (typeof value === "number" || /_days$|_months$|_years$|quorum$|years_after_end$/.test(path)) {
    return field(
      path,
      el("input", {
        type: "number",
        min: 0,
        value: value ?? "",
        oninput: (e) => setAt(path, e.target.value === "" ? null : Number(e.target.value)),
      }),
    );
  }
  return field(path, el("input", { type: "text", value: value || "", oninput: (e) => setAt(path, e.target.value) }));
}

// -- the steps ----------------------------------------------------------------------------------

function partnersStep() {
  const blocks = state.answers.partners.map((partner, i) =>
    el(
      "fieldset",
      { class: "partner-block", "data-partner": i },
      el("legend", {}, partner.name || t("builder.partner_n", { n: i + 1 })),
      ["name", "address", "kind", "company_number"].map((f) => input(`partners.${i}.${f}`)),
      state.answers.partners.length > 1
        ? el(
            "button",
            {
              type: "button",
              class: "button button-danger",
              onclick: () => {
                state.answers.partners.splice(i, 1);
                renderSteps();
              },
            },
            t("builder.remove_partner"),
          )
        : null,
    ),
  );
  const coordinator = el(
    "select",
    { onchange: (e) => setAt("coordinator", e.target.value) },
    state.answers.partners.map((p, i) =>
      el(
        "option",
        { value: p.address, selected: Boolean(p.address) && p.address.toLowerCase() === (state.answers.coordinator || "").toLowerCase() },
        p.name || t("builder.partner_n", { n: i + 1 }),
      ),
    ),
  );
  return [
    blocks,
    el(
      "button",
      {
        type: "button",
        class: "button",
        id: "add-partner",
        onclick: () => {
          state.answers.partners.push({ name: "", address: "", kind: "sme", company_number: "", background: [], excluded: [] });
          renderSteps();
          const last = state.answers.partners.length - 1;
          $(`#${fieldId(`partners.${last}.name`)}`).focus();
        },
      },
      t("builder.add_partner"),
    ),
    state.mode === "amend" ? null : field("coordinator", coordinator),
  ];
}

/** Items as lines: a line whose text an item already has keeps that item (its conditions and
 * registered contribution); new lines are new items. */
function itemsField(path, items) {
  const box = el("textarea", {
    rows: 4,
    oninput: (e) => {
      const known = new Map(items.map((item) => [item.description, item]));
      const lines = e.target.value.split("\n").map((line) => line.trim()).filter(Boolean);
      setAt(path, lines.map((line) => known.get(line) || { description: line }));
    },
  }, items.map((item) => item.description).join("\n"));
  return field(path, box);
}

function backgroundStep() {
  return state.answers.partners.map((partner, i) =>
    el(
      "fieldset",
      { class: "partner-block" },
      el("legend", {}, t("builder.background_of", { name: partner.name || t("builder.partner_n", { n: i + 1 }) })),
      itemsField(`partners.${i}.background`, partner.background || []),
      itemsField(`partners.${i}.excluded`, partner.excluded || []),
    ),
  );
}

function categoriesField() {
  const categories = state.answers.royalties.categories;
  const cell = (i, key, attrs = {}) =>
    el(
      "td",
      {},
      el("input", {
        type: "text",
        id: fieldId(`royalties.categories.${i}.${key}`),
        "data-path": `royalties.categories.${i}.${key}`,
        "aria-label": `${t(`builder.col_${key === "unit_scale" ? "scale" : key === "weight_bps" ? "weight" : key}`)} ${i + 1}`,
        value: key === "weight_bps" ? percentText(categories[i][key]) : String(categories[i][key] ?? ""),
        oninput: (e) => {
          const text = e.target.value;
          if (key === "weight_bps") categories[i][key] = bpsOf(text) ?? text;
          else if (key === "unit_scale") categories[i][key] = /^\d+$/.test(text) ? Number(text) : text;
          else categories[i][key] = text;
        },
        ...attrs,
      }),
    );
  return el(
    "div",
    { class: "field", "data-field": "royalties.categories" },
    el("p", {}, el("strong", {}, label("royalties.categories"))),
    el("p", { class: "help" }, meaning("royalties.categories")),
    el(
      "div",
      { class: "table-scroll" },
      el(
        "table",
        { class: "category-table" },
        el(
          "thead",
          {},
          el("tr", {}, ["name", "unit", "scale", "weight"].map((k) => el("th", { scope: "col" }, t(`builder.col_${k}`))), el("td", {})),
        ),
        el(
          "tbody",
          {},
          categories.map((_, i) =>
            el(
              "tr",
              {},
              cell(i, "name"),
              cell(i, "unit"),
              cell(i, "unit_scale", { inputmode: "numeric" }),
              cell(i, "weight_bps", { inputmode: "decimal" }),
              el(
                "td",
                {},
                categories.length > 1
                  ? el("button", { type: "button", class: "button-link", onclick: () => { categories.splice(i, 1); renderSteps(); } }, t("builder.remove_category"))
                  : null,
              ),
            ),
          ),
        ),
      ),
    ),
    el(
      "button",
      { type: "button", class: "button", onclick: () => { categories.push({ name: "", unit: "point", unit_scale: 1, weight_bps: 10000 }); renderSteps(); } },
      t("builder.add_category"),
    ),
  );
}

function stepContent(step) {
  if (step.step === "partners") return partnersStep();
  if (step.step === "background") return backgroundStep();
  if (step.step === "review") return [];
  return step.paths.map((path) => (path === "royalties.categories" ? categoriesField() : input(path)));
}

function renderSteps() {
  const current = state.step;
  fill(
    $("#steps"),
    STEPS.map((step, i) =>
      el(
        "section",
        { "data-step": step.step, hidden: i !== current, "aria-labelledby": `step-${step.step}-heading` },
        el("h2", { id: `step-${step.step}-heading`, tabindex: "-1" }, t(`agreement.step.${step.step}`)),
        // el() flattens one level; a step's content nests deeper (partners, their fields).
        stepContent(step).flat(Infinity),
      ),
    ),
  );
  fill(
    $("#step-list"),
    STEPS.map((step, i) =>
      el(
        "li",
        {},
        el(
          "button",
          { type: "button", class: "button-link", "aria-current": i === current ? "step" : null, onclick: () => goTo(i) },
          t(`agreement.step.${step.step}`),
        ),
      ),
    ),
  );
  $("#step-count").textContent = t("builder.step_of", { n: current + 1, count: STEPS.length });
  $("#step-previous").disabled = current === 0;
  $("#step-next").hidden = current === STEPS.length - 1;
  $("#review").hidden = STEPS[current].step !== "review";
}

async function goTo(index) {
  state.step = Math.max(0, Math.min(STEPS.length - 1, index));
  renderSteps();
  $(`#step-${STEPS[state.step].step}-heading`).focus();
  if (STEPS[state.step].step === "review") await review();
}

// -- problems -------------------------------------------------------------------------------------

function clearProblems() {
  $("#problems").hidden = true;
  for (const node of document.querySelectorAll(".field-problem")) {
    node.hidden = true;
    node.textContent = "";
  }
  for (const node of document.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

function stepOf(path) {
  const parts = path.split(".");
  const generic = parts[0] === "partners" && parts.length > 2 ? `partners.${parts[2]}` : parts.slice(0, 2).join(".");
  const found = STEPS.findIndex((s) => s.paths.includes(generic) || s.paths.includes(parts[0]));
  return found >= 0 ? found : 0;
}

/** Show the API's answer problems next to their fields (in this page's language) and as a
 * list that leads to them. */
function showProblems(error) {
  const details = (error.details || []).filter((d) => d.location && d.location.startsWith("answers"));
  const items = details.map((detail) => {
    const path = detail.location.replace(/^answers\.?/, "");
    const text = has(`answer_problem.${detail.code}`) ? t(`answer_problem.${detail.code}`) : t("answer_problem.other");
    return { path, text };
  });
  fill(
    $("#problems"),
    el("p", {}, error.message),
    items.length ? el("p", {}, t("builder.problems")) : null,
    el(
      "ul",
      {},
      items.map(({ path, text }) =>
        el(
          "li",
          {},
          el(
            "button",
            {
              type: "button",
              class: "button-link",
              onclick: async () => {
                await goTo(stepOf(path));
                markProblems(items);
                document.getElementById(fieldId(path))?.focus();
              },
            },
            `${labelOrPath(path)}: ${text}`,
          ),
        ),
      ),
    ),
  );
  $("#problems").hidden = false;
  markProblems(items);
  focusResult($("#problems"));
}

function labelOrPath(path) {
  const generic = path.replace(/^partners\.\d+\./, "partners.");
  const partner = /^partners\.(\d+)\./.exec(path);
  const name = partner ? `${state.answers.partners[Number(partner[1])]?.name || t("builder.partner_n", { n: Number(partner[1]) + 1 })} · ` : "";
  const key = `agreement.field.${generic}`;
  return has(key) ? name + t(key) : name + generic;
}

function markProblems(items) {
  for (const { path, text } of items) {
    const input = document.getElementById(fieldId(path));
    if (!input) continue;
    input.setAttribute("aria-invalid", "true");
    const problem = document.getElementById(`${fieldId(path)}-problem`);
    if (problem) {
      // Several problems of one answer are all said.
      problem.textContent = problem.hidden || !problem.textContent ? text : `${problem.textContent} ${text}`;
      problem.hidden = false;
    }
  }
}

// -- review, save, create --------------------------------------------------------------------------

function normalised() {
  // The coordinator is the partner the select names (by address), and must be one of them.
  const answers = structuredClone(state.answers);
  if (!answers.coordinator && answers.partners.length) answers.coordinator = answers.partners[0].address;
  // An approval count left empty takes the agreement's default (two thirds, rounded up).
  if (answers.royalties.split_approvals == null) delete answers.royalties.split_approvals;
  if (answers.decisions.governance_approvals == null) delete answers.decisions.governance_approvals;
  return answers;
}

async function review() {
  clearProblems();
  fill($("#preview-policy"));
  $("#preview-text").textContent = t("common.loading");
  try {
    const example = state.projectId || context.projectId;
    state.preview = await post("/v1/agreements/preview", {
      answers: normalised(),
      ...(example ? { exampleProjectId: example } : {}),
    });
  } catch (error) {
    $("#preview-text").textContent = "";
    if (error instanceof ApiError && error.code === "invalid_answers") showProblems(error);
    else if (error instanceof ApiError && error.details) showProblems(error);
    else throw error;
    return;
  }
  const p = state.preview.policy;
  const count = state.answers.partners.length;
  const approvals = (n) => `${n} ${t("builder.of_partners", { count })}`;
  fill(
    $("#preview-policy"),
    fact(t("policy.background_weight"), formatBps(p.backgroundWeightBps)),
    fact(t("policy.result_weight"), formatBps(p.resultWeightBps)),
    fact(t("policy.quorum"), String(p.endorsementQuorum)),
    fact(t("policy.dispute_window"), t("policy.days", { days: Math.round(p.disputeWindow / 86400) })),
    fact(t("policy.cap"), p.partnerCapBps ? formatBps(p.partnerCapBps) : t("policy.none")),
    fact(t("policy.floor"), p.partnerFloorBps ? formatBps(p.partnerFloorBps) : t("policy.none")),
    fact(t("agreement.field.royalties.split_approvals"), approvals(state.answers.royalties.split_approvals)),
    fact(t("agreement.field.decisions.governance_approvals"), approvals(state.answers.decisions.governance_approvals)),
  );
  showExample(state.preview.example);
  showPreviewText();
}

/** The live example: the split these rules would give on the contributions recorded so far. */
function showExample(example) {
  const box = $("#preview-example");
  box.hidden = !example;
  if (!example) return;
  fill(
    box,
    el("h3", {}, t("builder.example_heading", { project: example.projectId })),
    el("p", { class: "help" }, t("builder.example_counted", { counted: example.counted, contributions: example.contributions })),
    el(
      "ul",
      { class: "plain-list" },
      example.split.map((entry) => el("li", { "data-partner": entry.partner }, `${nameOf(entry.partner)}: ${formatBps(entry.bps)}`)),
    ),
  );
}

function showPreviewText() {
  fill(
    $("#preview-languages"),
    ["nl", "en"].map((code) =>
      el(
        "button",
        {
          type: "button",
          class: "button",
          lang: code,
          "aria-pressed": String(code === state.previewLanguage),
          onclick: () => {
            state.previewLanguage = code;
            showPreviewText();
          },
        },
        t(`agreement.language.${code}`),
      ),
    ),
  );
  const text = $("#preview-text");
  text.lang = state.previewLanguage;
  text.textContent = state.preview ? state.preview.texts[state.previewLanguage] : "";
}

function showSaved(message, agreementId) {
  fill(
    $("#builder-result"),
    message,
    " ",
    el("a", { href: `/agreement?id=${agreementId}` }, t("builder.open_agreement")),
  );
  focusResult($("#builder-result"));
}

async function save() {
  clearProblems();
  const body = { answers: normalised() };
  try {
    if (state.mode === "draft") {
      await request("PUT", `/v1/agreements/${state.agreementId}/draft`, { body });
    } else {
      const created = await post("/v1/agreements", body);
      state.agreementId = created.agreementId;
      state.mode = "draft";
      history.replaceState(null, "", `/agreement/builder?draft=${created.agreementId}`);
    }
  } catch (error) {
    if (error instanceof ApiError && error.details) {
      showProblems(error);
      return false;
    }
    throw error;
  }
  $("#create-project").hidden = false;
  showSaved(t("builder.saved"), state.agreementId);
  return true;
}

async function createProject() {
  if (!(await save())) return;
  const agreement = await get(`/v1/agreements/${state.agreementId}`);
  const first = agreement.versions[0];
  const confirmed = await confirmAction({
    title: t("builder.create_confirm_title"),
    intro: t("builder.create_confirm_intro"),
    facts: [
      [t("agreement.field.project.title"), first.title],
      [t("agreement.step.partners"), first.answers.partners.map((p) => p.name).join(", ")],
      [t("agreement.agreement_hash"), el("code", { class: "hash" }, first.agreementHash)],
    ],
    confirmLabel: t("builder.create_project"),
  });
  if (!confirmed) return;
  await submitWrite("builder.create_kind", `/v1/agreements/${state.agreementId}/project`, {});
  await settle(async () => (await get(`/v1/agreements/${state.agreementId}`)).projectId);
  // The access-rights terms the text states become PocExchange's settings now, while the
  // coordinator alone may still set them (before every partner accepted).
  await submitWrite("builder.settings_kind", `/v1/agreements/${state.agreementId}/exchange-settings`, {});
  $("#create-project").hidden = true;
  $("#save-draft").hidden = true;
  showSaved(t("builder.created"), state.agreementId);
}

async function saveAmendment() {
  clearProblems();
  let version;
  try {
    version = await post(`/v1/agreements/${state.agreementId}/amendments`, { answers: normalised() });
  } catch (error) {
    if (error instanceof ApiError && error.details) {
      showProblems(error);
      return;
    }
    throw error;
  }
  $("#save-amendment").hidden = true;
  showSaved(t("builder.amendment_saved", { version: version.version }), state.agreementId);
}

// -- the page ----------------------------------------------------------------------------------------

function freshAnswers() {
  const me = context.actor;
  const partners = [
    { name: nameOf(me.address) === short(me.address) ? "" : nameOf(me.address), address: me.address, kind: "sme", company_number: "", background: [], excluded: [] },
  ];
  const defaults = structuredClone(DATA.defaults);
  return {
    prevailing_language: defaults.prevailing_language,
    project: { title: "", aim: "", start_date: new Date().toISOString().slice(0, 10), duration_months: defaults.project.duration_months },
    partners,
    coordinator: me.address,
    results: defaults.results,
    access_rights: defaults.access_rights,
    confidentiality: defaults.confidentiality,
    royalties: { ...defaults.royalties, split_approvals: null },
    decisions: { governance_approvals: null },
    disputes: defaults.disputes,
    membership: defaults.membership,
  };
}

/** Answers as stored, with the counts of approvals filled in for the form. */
function editable(answers) {
  const copy = structuredClone(answers);
  for (const partner of copy.partners) {
    partner.background = partner.background || [];
    partner.excluded = partner.excluded || [];
  }
  return copy;
}

async function builderPage() {
  if (!requireActor()) return;
  const query = new URLSearchParams(location.search);
  const draft = query.get("draft");
  const amend = query.get("amend");
  if (amend || draft) {
    state.agreementId = amend || draft;
    state.mode = amend ? "amend" : "draft";
    const agreement = await get(`/v1/agreements/${state.agreementId}`);
    state.projectId = agreement.projectId;
    const latest = agreement.versions[agreement.versions.length - 1];
    state.answers = editable(latest.answers);
  } else {
    if (context.actor.role !== "coordinator") {
      $("#coordinator-only").hidden = false;
      return;
    }
    state.answers = freshAnswers();
  }
  if (state.mode === "amend") {
    $("#builder-heading").textContent = t("builder.heading_amend");
    $("#save-draft").hidden = true;
    $("#save-amendment").hidden = false;
  }
  if (state.mode === "draft") $("#create-project").hidden = false;
  $("#builder-form").hidden = false;
  $("#step-previous").addEventListener("click", () => goTo(state.step - 1));
  $("#step-next").addEventListener("click", () => goTo(state.step + 1));
  $("#save-draft").addEventListener("click", (e) => busy(e.currentTarget, save));
  $("#create-project").addEventListener("click", (e) => busy(e.currentTarget, createProject));
  $("#save-amendment").addEventListener("click", (e) => busy(e.currentTarget, saveAmendment));
  clearError();
  renderSteps();
}

runPage(builderPage);
