// The pages' behaviour: one function per page (body[data-page]), all data through the API as
// the partner chosen on the "switch partner" page. Text comes from the translation table
// only (t(...)); the server never sees a file, only hashes.

import {
  ApiError,
  OPERATION_STEPS,
  allContributions,
  clearActor,
  clearOpenings,
  currentActor,
  followOperation,
  get,
  openings,
  paths,
  post,
  request,
  saveOpening,
  setActor,
} from "./api.js";
import { commitment, contributionId, newSalt, sha256File, sha256Text } from "./crypto.js";
import { formatBps, formatDate, formatEuroCents, formatNumber, has, t } from "./i18n.js";

const isSandbox = document.body.dataset.sandbox === "true";
const $ = (selector, root = document) => root.querySelector(selector);

// -- small DOM helpers ------------------------------------------------------------------

/** Create an element: el("p", {class: "x"}, "text", child, ...). Text is never parsed as HTML. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
  node.removeAttribute("aria-busy");
}

function fact(term, ...value) {
  return [el("dt", {}, term), el("dd", {}, ...value)];
}

const short = (hex) => (hex ? `${hex.slice(0, 8)}…${hex.slice(-6)}` : "");

function showError(error, target = $("#page-error")) {
  const message = error instanceof ApiError ? error.message : t("error.unexpected");
  const detail = error instanceof ApiError && error.detail ? ` (${error.detail})` : "";
  target.textContent = message + detail;
  target.hidden = false;
  if (!(error instanceof ApiError)) console.error(error);
}

function clearError() {
  const target = $("#page-error");
  target.hidden = true;
  target.textContent = "";
}

function download(blob, fileName) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: fileName, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Run `action` with `button` disabled, errors shown in plain words. */
async function busy(button, action, errorTarget) {
  if (button) button.disabled = true;
  clearError();
  try {
    return await action();
  } catch (error) {
    showError(error, errorTarget);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// -- translations of API values ------------------------------------------------------------

const tr = (prefix, value) => (has(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : value);
const categoryName = (category) => (category ? tr("category", category.name) : "?");
const unitName = (category) => (category ? tr("unit", category.unit) : "");

function formatValue(value, category) {
  if (category && category.unit === "EUR-cent") return formatEuroCents(value);
  return `${formatNumber(Number(value))} ${unitName(category)}`.trim();
}

// -- the context every page shares: demo, actor, project, names ------------------------------

const context = {
  demo: null,
  actor: null,
  projectId: null,
  names: new Map(),
  titles: new Map(),
};

async function loadContext() {
  if (isSandbox) {
    try {
      context.demo = await get(paths.demo);
    } catch (error) {
      showError(error);
    }
  }
  const demo = context.demo;
  let actor = currentActor();
  // A reset issues new keys: a key remembered from before it is void.
  if (actor && demo && actor.instance && actor.instance !== demo.instance) {
    clearActor();
    clearOpenings();
    actor = null;
  }
  context.actor = actor;
  if (demo) {
    context.projectId = demo.project_id;
    for (const person of demo.people) {
      if (person.address) context.names.set(person.address.toLowerCase(), person.name);
    }
    for (const c of demo.contributions) context.titles.set(c.contribution_id.toLowerCase(), c.title);
  }
  for (const [cid, opening] of Object.entries(openings())) {
    if (opening.fileName && !context.titles.has(cid)) context.titles.set(cid, opening.fileName);
  }
  renderActingAs();
}

function nameOf(address) {
  if (!address) return "";
  return context.names.get(address.toLowerCase()) || short(address);
}

function titleOf(contribution) {
  const cid = contribution.contribution_id.toLowerCase();
  return context.titles.get(cid) || t("contribution.untitled", { id: short(cid) });
}

function renderActingAs() {
  const target = $("#acting-as");
  const actor = context.actor;
  if (!actor) {
    fill(target, t("partner.none_chosen"), " ", el("a", { href: "/partner" }, t("partner.choose_link")));
    return;
  }
  fill(
    target,
    t("partner.acting_as"),
    " ",
    el("strong", {}, actor.name),
    ` (${tr("role", actor.role)}) `,
    el("a", { href: "/partner" }, t("partner.switch_link")),
  );
}

/** Pages that need a key show a pointer to the partner page instead of failing. */
function requireActor() {
  if (context.actor) return true;
  for (const node of document.querySelectorAll(".needs-key")) node.hidden = false;
  return false;
}

async function projectId() {
  if (context.projectId) return context.projectId;
  const page = await get(paths.projects);
  if (!page.items.length) throw new ApiError(404, "project_not_found", t("error.project_not_found"));
  context.projectId = page.items[0].project_id;
  return context.projectId;
}

async function currentPolicy(pid) {
  const versions = await get(paths.policies(pid));
  return versions[versions.length - 1];
}

// -- progress of accepted writes -------------------------------------------------------------

function progressView() {
  const card = $("#progress-card");
  const list = $("#progress");
  const status = $("#progress-status");
  return {
    start(kindKey) {
      card.hidden = false;
      fill(
        list,
        OPERATION_STEPS.map((step) =>
          el("li", { "data-step": step }, el("span", { class: "step-label" }, t(`op.${step}`))),
        ),
      );
      status.textContent = t("progress.sending", { what: t(kindKey) });
    },
    update(op) {
      const reached = OPERATION_STEPS.indexOf(op.status);
      for (const item of list.children) {
        const index = OPERATION_STEPS.indexOf(item.dataset.step);
        item.classList.toggle("done", index <= reached);
        item.classList.toggle("current", index === reached);
        if (index === reached) item.setAttribute("aria-current", "step");
        else item.removeAttribute("aria-current");
      }
      status.textContent = t(`op.status.${op.status}`);
    },
    fail(error) {
      status.textContent = error instanceof ApiError ? error.message : t("error.unexpected");
      status.classList.add("status-error");
    },
  };
}

/** POST a write, follow it to confirmation with visible progress; the confirmed op. */
async function submitWrite(kindKey, path, body) {
  const view = progressView();
  view.start(kindKey);
  try {
    const op = await post(path, body);
    return await followOperation(op, (current) => view.update(current));
  } catch (error) {
    view.fail(error);
    throw error;
  }
}

// -- home ---------------------------------------------------------------------------------------

async function homePage() {
  const demo = context.demo;
  const list = $("#consortium");
  if (!demo) {
    fill(list, el("li", {}, t("home.no_sandbox")));
  } else {
    $("#project-title").textContent = t("home.project_line", {
      title: demo.project_title,
      id: demo.project_id,
    });
    fill(
      list,
      demo.people
        .filter((p) => p.address)
        .map((p) =>
          el(
            "li",
            { class: "partner-card" },
            el("h3", {}, p.name),
            el("p", {}, tr("kind", p.kind)),
            el("p", { class: "muted" }, `${t("partner.company_number")}: ${p.company_number}`),
            el("p", { class: "muted" }, tr("role", p.role)),
          ),
        ),
    );
  }
  const open = $("#reset-open");
  if (!open) return;
  const dialog = $("#reset-dialog");
  open.addEventListener("click", () => dialog.showModal());
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue !== "confirm") return;
    const status = $("#reset-status");
    open.disabled = true;
    status.textContent = t("reset.running");
    try {
      await post(paths.reset, { confirm: true });
      const before = demo && demo.instance;
      // The sandbox stops, wipes and starts again on the same port: wait for the new one.
      for (let tries = 0; tries < 240; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        try {
          const fresh = await get(paths.demo);
          if (fresh.instance !== before) {
            clearActor();
            clearOpenings();
            status.textContent = t("reset.done");
            setTimeout(() => window.location.assign("/"), 800);
            return;
          }
        } catch {
          // Down while it restarts: keep waiting.
        }
      }
      status.textContent = t("error.reset_timeout");
    } catch (error) {
      showError(error);
    } finally {
      open.disabled = false;
    }
  });
}

// -- switch partner ------------------------------------------------------------------------------

function partnerPage() {
  const status = $("#partner-status");
  const choose = (actor) => {
    setActor(actor);
    context.actor = actor;
    renderActingAs();
    status.textContent = t("partner.now_acting", { name: actor.name });
    renderPeople();
  };
  const renderPeople = () => {
    const list = $("#people");
    if (!list || !context.demo) return;
    fill(
      list,
      context.demo.people.map((person) => {
        const chosen = context.actor && context.actor.label === person.label;
        return el(
          "li",
          { class: "person" },
          el(
            "button",
            {
              type: "button",
              class: `button person-button${chosen ? " chosen" : ""}`,
              "aria-pressed": chosen ? "true" : "false",
              "data-label": person.label,
              onclick: () =>
                choose({
                  label: person.label,
                  name: person.name,
                  role: person.role,
                  address: person.address,
                  apiKey: person.api_key,
                  instance: context.demo.instance,
                }),
            },
            el("span", { class: "person-name" }, person.name),
            el("span", { class: "person-role" }, tr("role", person.role)),
          ),
          el("p", { class: "muted" }, person.kind ? tr("kind", person.kind) : t(`role_help.${person.role}`)),
        );
      }),
    );
  };
  renderPeople();
  $("#manual-key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("#manual-key").value.trim();
    if (!key) return;
    choose({ label: "manual", name: t("partner.manual_name"), role: "partner", address: null, apiKey: key });
    $("#manual-key").value = "";
  });
}

// -- project ---------------------------------------------------------------------------------------

async function projectPage() {
  if (!requireActor()) return;
  const pid = await projectId();
  const [project, policy, contributions] = await Promise.all([
    get(paths.project(pid)),
    currentPolicy(pid),
    allContributions(pid),
  ]);
  if (context.demo) $("#project-heading").textContent = context.demo.project_title;
  fill(
    $("#agreement-facts"),
    fact(t("project.project_id"), String(pid)),
    fact(t("project.coordinator"), nameOf(project.coordinator)),
    fact(t("project.agreement_version"), String(project.agreement_version)),
    fact(t("project.agreement_hash"), el("code", { class: "hash" }, project.agreement_hash)),
    fact(t("project.in_force"), project.in_force ? t("common.yes") : t("common.no")),
  );
  fill(
    $("#acceptances"),
    project.partners.map((p) => {
      const accepted = p.accepted_version >= project.agreement_version && p.accepted_version > 0;
      return el(
        "li",
        { class: accepted ? "ok" : "pending" },
        el("span", { class: "icon", "aria-hidden": "true" }, accepted ? "✔" : "…"),
        ` ${nameOf(p.address)}: `,
        accepted
          ? t("project.accepted_version", { version: p.accepted_version })
          : t("project.not_accepted"),
      );
    }),
  );
  const rules = policy.policy;
  const pct = (bps) => formatBps(bps);
  fill(
    $("#policy-facts"),
    fact(t("policy.version"), String(policy.version)),
    fact(t("policy.background_weight"), pct(rules.background_weight_bps)),
    fact(t("policy.result_weight"), pct(rules.result_weight_bps)),
    fact(t("policy.quorum"), String(rules.endorsement_quorum)),
    fact(t("policy.dispute_window"), t("policy.days", { days: Math.round(rules.dispute_window / 86400) })),
    fact(t("policy.split_approval"), pct(rules.split_approval_bps)),
    fact(t("policy.cap"), rules.partner_cap_bps ? pct(rules.partner_cap_bps) : t("policy.none")),
    fact(t("policy.floor"), rules.partner_floor_bps ? pct(rules.partner_floor_bps) : t("policy.none")),
  );
  fill(
    $("#categories-table tbody"),
    rules.categories.map((c) =>
      el("tr", {}, el("td", {}, categoryName(c)), el("td", {}, unitName(c)), el("td", {}, pct(c.weight_bps))),
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
  fill($("#timeline"), contributions.length ? contributions.map((c) => timelineItem(c, rules)) : el("li", {}, t("project.no_contributions")));
}

function timelineItem(c, rules) {
  const category = rules.categories[c.category];
  return el(
    "li",
    { class: `timeline-item status-${c.status}`, "data-contribution": c.contribution_id },
    el("p", { class: "timeline-date" }, formatDate(c.registered_at), " · ", t("project.block", { block: c.block_number })),
    el("h3", {}, el("a", { href: `/contribution?id=${c.contribution_id}` }, titleOf(c))),
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
      c.parents.length ? ` ${t("project.builds_on", { count: c.parents.length })}` : "",
    ),
  );
}

// -- register -------------------------------------------------------------------------------------

async function registerPage() {
  if (!requireActor()) return;
  const actor = context.actor;
  const form = $("#register-form");
  if (!actor.address) {
    showError(new ApiError(403, "forbidden_role", t("error.forbidden_role")));
    form.hidden = true;
    return;
  }
  const pid = await projectId();
  const [policy, contributions] = await Promise.all([currentPolicy(pid), allContributions(pid)]);
  const categories = policy.policy.categories;
  const select = $("#category");
  fill(select, categories.map((c, index) => el("option", { value: String(index) }, categoryName(c))));
  const showUnit = () => {
    $("#value-unit").textContent = `(${unitName(categories[Number(select.value)])})`;
  };
  select.addEventListener("change", showUnit);
  showUnit();
  const active = contributions.filter((c) => c.status === "active");
  fill(
    $("#parents"),
    active.length
      ? active.map((c) =>
          el(
            "li",
            {},
            el("input", { type: "checkbox", id: `parent-${c.contribution_id}`, name: "parents", value: c.contribution_id }),
            el("label", { for: `parent-${c.contribution_id}` }, `${titleOf(c)} (${nameOf(c.contributor)})`),
          ),
        )
      : el("li", { class: "muted" }, t("register.no_parents")),
  );

  let prepared = null;
  const zone = $("#drop-zone");
  const input = $("#file-input");
  const take = async (file) => {
    if (!file) return;
    $("#file-facts").hidden = false;
    $("#file-name").textContent = file.name;
    $("#file-size").textContent = t("register.bytes", { count: formatNumber(file.size) });
    $("#content-hash").textContent = t("register.hashing");
    // Hashed here, in the browser; the File object itself is never given to fetch.
    const contentHash = await sha256File(file);
    const salt = newSalt();
    const commit = commitment(actor.address, pid, contentHash, salt);
    prepared = {
      fileName: file.name,
      contentHash,
      salt,
      commitment: commit,
      contributionId: contributionId(pid, actor.address, commit),
    };
    $("#content-hash").textContent = contentHash;
    $("#salt").textContent = salt;
    $("#commitment").textContent = commit;
  };
  input.addEventListener("change", () => take(input.files[0]));
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    take(event.dataTransfer.files[0]);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = Number($("#value").value);
    if (!prepared) return showError(new ApiError(422, "no_file", t("error.no_file")));
    if (!Number.isInteger(value) || value < 1) {
      return showError(new ApiError(422, "invalid_value", t("error.invalid_value")));
    }
    const body = {
      commitment: prepared.commitment,
      origin: form.elements.origin.value,
      category: Number(select.value),
      value,
      parents: Array.from(form.querySelectorAll("input[name=parents]:checked"), (box) => box.value),
    };
    const submit = $("#register-submit");
    await busy(submit, async () => {
      // Kept before sending: without its salt nobody can later prove the file.
      saveOpening(prepared.contributionId, {
        contentHash: prepared.contentHash,
        salt: prepared.salt,
        fileName: prepared.fileName,
        projectId: pid,
        contributor: actor.address,
      });
      const op = await submitWrite("register.kind", paths.register(pid), body);
      const cid = op.resource_id || prepared.contributionId;
      const result = $("#register-result");
      fill(
        result,
        t("register.done"),
        " ",
        el("a", { href: `/contribution?id=${cid}` }, t("register.view")),
        " · ",
        el(
          "button",
          {
            type: "button",
            class: "button-link",
            onclick: () =>
              download(
                new Blob([JSON.stringify({ contributionId: cid, ...openings()[cid.toLowerCase()] }, null, 2)], {
                  type: "application/json",
                }),
                `opening-${cid.slice(2, 10)}.json`,
              ),
          },
          t("register.save_opening"),
        ),
      );
      result.hidden = false;
    });
  });
}

// -- one contribution: endorse, dispute, vote -------------------------------------------------

function explanationText(x) {
  if (!x) return t("contribution.no_explanation");
  const key = `count.${x.status}`;
  const values = {
    n: (x.endorsements || []).length,
    needed: x.quorum,
    until: x.window_ends_at ? formatDate(x.window_ends_at) : "",
    dispute: x.dispute_number,
    uphold: x.dispute_votes ? x.dispute_votes[0] : 0,
    reject: x.dispute_votes ? x.dispute_votes[1] : 0,
    eligible: x.dispute_votes ? x.dispute_votes[2] : 0,
    points: x.points,
    rating: x.rating,
  };
  return has(key) ? t(key, values) : x.reason || x.status;
}

async function loadScore(pid) {
  try {
    return await get(paths.score(pid));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && error.code === "not_found") {
      return null;
    }
    throw error;
  }
}

function explanationOf(score, cid) {
  if (!score) return null;
  return (score.contributions || []).find((x) => x.contribution_id.toLowerCase() === cid.toLowerCase()) || null;
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

// -- split ------------------------------------------------------------------------------------------

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

function renderWhy(score, rules) {
  const byId = new Map((score.contributions || []).map((x) => [x.contribution_id.toLowerCase(), x]));
  const describe = (cid) => {
    const x = byId.get(cid.toLowerCase());
    const category = x ? rules.categories[x.category] : null;
    const title = context.titles.get(cid.toLowerCase()) || short(cid);
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
    renderWhy(score, policy.policy);
    await renderProposals(pid);
    return score;
  };
  await refresh();
  const clock = $("#clock-forward");
  if (clock) {
    clock.addEventListener("click", () =>
      busy(clock, async () => {
        const days = Math.ceil(policy.policy.dispute_window / 86400) + 1;
        const moved = await post(paths.clock, { days });
        $("#clock-status").textContent = t("clock.moved", { date: formatDate(moved.timestamp) });
        await refresh();
      }),
    );
  }
  $("#propose-split").addEventListener("click", (event) =>
    busy(event.currentTarget, async () => {
      await submitWrite("split.propose_kind", paths.splits(pid), {});
      await refresh();
    }),
  );
  $("#revenue-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const euros = Number($("#revenue-amount").value);
    const cents = Math.round(euros * 100);
    if (!(cents > 0)) return showError(new ApiError(422, "invalid_value", t("error.invalid_value")));
    await busy(event.submitter, async () => {
      const statement = await get(`${paths.statement(pid)}?amount=${cents}`);
      renderStatement(statement, cents);
    });
  });
}

async function renderProposals(pid) {
  const target = $("#proposals");
  let proposals = [];
  try {
    proposals = await get(paths.splits(pid));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
  }
  const items = Array.isArray(proposals) ? proposals : proposals.items || [];
  if (!items.length) {
    fill(target, el("p", { class: "muted" }, t("split.no_proposals")));
    return;
  }
  const me = context.actor.address && context.actor.address.toLowerCase();
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
          { class: "proposal" },
          el("strong", {}, t("split.proposal_line", { id: proposal.proposal_id, approvals: approvers.length })),
          " ",
          finalized ? el("span", { class: "badge badge-active" }, t("split.finalized")) : null,
          !finalized && me && !approved
            ? el(
                "button",
                {
                  type: "button",
                  class: "button",
                  onclick: (event) =>
                    busy(event.currentTarget, async () => {
                      await submitWrite("split.approve_kind", paths.approveSplit(pid, proposal.proposal_id), {});
                      await renderProposals(pid);
                    }),
                },
                t("split.approve"),
              )
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

// -- lawyer --------------------------------------------------------------------------------------

async function lawyerPage() {
  if (!requireActor()) return;
  const pid = await projectId();
  const known = new Map();
  if (context.demo) {
    for (const c of context.demo.contributions) {
      known.set(c.contribution_id.toLowerCase(), {
        title: c.title,
        contentHash: c.content_hash,
        salt: c.salt,
        document: c.document,
      });
    }
  }
  for (const [cid, o] of Object.entries(openings())) {
    known.set(cid, { title: o.fileName, contentHash: o.contentHash, salt: o.salt, document: null });
  }
  const select = $("#export-contribution");
  const entries = Array.from(known.entries()).reverse();
  fill(
    select,
    entries.length
      ? entries.map(([cid, o]) => el("option", { value: cid }, `${o.title} (${short(cid)})`))
      : el("option", { value: "" }, t("lawyer.nothing")),
  );
  const documentLink = $("#download-document");
  const showDocument = () => {
    const chosen = known.get(select.value);
    documentLink.hidden = !(chosen && chosen.document);
    if (chosen && chosen.document) documentLink.href = paths.document(chosen.document);
  };
  select.addEventListener("change", showDocument);
  showDocument();
  const status = $("#export-status");
  const exportAs = (path, extension, doneKey) => (event) =>
    busy(event.currentTarget, async () => {
      const cid = select.value;
      const opening = known.get(cid);
      if (!opening) return;
      status.textContent = t("lawyer.preparing");
      const blob = await post(path(cid), { contentHash: opening.contentHash, salt: opening.salt });
      download(blob, `contribution-${cid.slice(2, 10)}.${extension}`);
      status.textContent = t(doneKey);
    });
  $("#download-bundle").addEventListener("click", exportAs(paths.bundle, "json", "lawyer.bundle_ready"));
  $("#download-pdf").addEventListener("click", exportAs(paths.certificate, "pdf", "lawyer.pdf_ready"));
  $("#download-rol").addEventListener("click", (event) => {
    event.preventDefault();
    busy(null, async () => download(await get(paths.rol(pid)), `project-${pid}-results-ownership.csv`));
  });

  $("#verify-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const verifyStatus = $("#verify-status");
    const bundleFile = $("#verify-bundle").files[0];
    const original = $("#verify-file").files[0];
    if (!bundleFile) return showError(new ApiError(422, "no_bundle", t("error.no_bundle")));
    await busy($("#verify-submit"), async () => {
      const bundleText = await bundleFile.text();
      try {
        JSON.parse(bundleText);
      } catch {
        throw new ApiError(422, "bundle_not_json", t("error.bundle_not_json"));
      }
      verifyStatus.textContent = t("verify.running");
      // The original file is hashed here; only its SHA-256 is sent.
      const fileHash = original ? await sha256File(original) : null;
      // The bundle goes as written: parsing it in JavaScript would round its 256-bit
      // numbers (signature nonces) and break the signature check.
      const rawBody = `{"online": true, "file_sha256": ${JSON.stringify(fileHash)}, "bundle": ${bundleText}}`;
      const report = await request("POST", paths.verify, { rawBody });
      verifyStatus.textContent = report.ok ? t("verify.ok") : t("verify.failed");
      verifyStatus.classList.toggle("status-error", !report.ok);
      fill(
        $("#verify-checks"),
        report.checks.map((check) =>
          el(
            "li",
            { class: check.passed ? "pass" : "fail" },
            el("span", { class: "icon", "aria-hidden": "true" }, check.passed ? "✔" : "✘"),
            el("span", { class: "visually-hidden" }, check.passed ? t("verify.pass") : t("verify.fail")),
            " ",
            el("strong", {}, tr("check", check.name)),
            `: ${check.detail}`,
            check.fields.length ? ` [${check.fields.join(", ")}]` : "",
          ),
        ),
      );
    });
  });
}

// -- start -------------------------------------------------------------------------------------------

const PAGES = {
  home: homePage,
  partner: partnerPage,
  project: projectPage,
  register: registerPage,
  contribution: contributionPage,
  split: splitPage,
  lawyer: lawyerPage,
};

async function start() {
  await loadContext();
  const page = PAGES[document.body.dataset.page];
  if (!page) return;
  try {
    await page();
  } catch (error) {
    showError(error);
  }
  document.body.dataset.ready = "true";
}

start();
