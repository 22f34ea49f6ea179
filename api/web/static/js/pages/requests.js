// Access rights: ask another partner for the right to use its Background or Result, for a
// purpose and on proposed terms (their text hashed here); every request of the project with
// its answer, overdue ones marked. The owner answers on its inbox.

import { allContributions, get, paths, waitFor } from "../api.js";
import { context, learnTitles, projectId, requireActor, titleOf } from "../context.js";
import { sha256Text } from "../crypto.js";
import { $, busy, el, fill } from "../dom.js";
import { requestItem } from "../exchange.js";
import { t } from "../i18n.js";
import { runPage } from "../page.js";
import { submitWrite } from "../progress.js";

const same = (a, b) => Boolean(a && b) && a.toLowerCase() === b.toLowerCase();

async function renderRequests(pid) {
  const requests = await get(paths.accessRequests(pid));
  fill(
    $("#request-list"),
    requests.length ? requests.map((r) => requestItem(r)) : [el("li", { class: "muted" }, t("requests.none"))],
  );
  return requests;
}

async function ask(pid) {
  const cid = $("#ask-contribution").value;
  const text = $("#ask-terms-text").value.trim();
  const body = { purpose: $("#ask-purpose").value, terms: $("#ask-terms").value };
  if (text) body.termsHash = await sha256Text(text);
  const before = (await get(paths.accessRequests(pid))).length;
  await submitWrite("requests.kind", paths.requestAccess(cid), body);
  await waitFor(async () => (await get(paths.accessRequests(pid))).length > before);
  await renderRequests(pid);
}

async function render() {
  if (!requireActor()) return;
  const pid = await projectId();
  const contributions = await allContributions(pid);
  learnTitles(contributions); // the requests name contributions by id
  const others = contributions.filter((c) => !same(c.contributor, context.actor.address) && c.status === "active");
  fill(
    $("#ask-contribution"),
    others.map((c) => el("option", { value: c.contributionId }, `${titleOf(c)} (${t(`origin.${c.origin}`)})`)),
  );
  await renderRequests(pid);
  $("#ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("#ask-submit"), () => ask(pid));
  });
}

runPage(render);
