// The lawyer's view: export a contribution's proof bundle and PDF certificate, the Results
// Ownership List, and verify a bundle (with the original file, hashed here). A contribution
// is proven from the original file and either its opening file or the partner's recovery
// secret (entered here by the partner): the secret and the file never leave this browser;
// only the opening of the contribution exported is sent, and only on export.

import { ApiError, allContributions, get, paths, post, request } from "../api.js";
import { chain, context, nameOf, projectId, requireActor, titleOf } from "../context.js";
import { commitment } from "../crypto.js";
import { $, busy, download, el, fill, focusResult, short, showError } from "../dom.js";
import { has, lang, t } from "../i18n.js";
import { parseOpening } from "../openings.js";
import { runPage } from "../page.js";
import { hashWithProgress } from "../progress.js";
import { keptOpenings, secretProblem, secretState } from "../proofkeys.js";
import { deriveSalt, secretFromWords } from "../secret.js";

/** The translation key of a verifier check (`ledger.proof_verifier`): "online: chain id" ->
 * "online_chain_id"; every "history[3] Endorsed" is one "history" check with its event. */
function checkKey(name) {
  const history = /^history\[(\d+)\] (\w+)$/.exec(name);
  if (history) return { key: "history", values: { n: Number(history[1]) + 1, event: history[2] } };
  return { key: name.replace(/[^a-z0-9]+/gi, "_").toLowerCase(), values: {} };
}

/** One check of the verifier in the page's language: its name, what passing means (or that
 * it failed, naming the bundle's fields at fault); the verifier's own English detail is a
 * tooltip for whoever wants the technical words. */
function checkLine(check) {
  const { key, values } = checkKey(check.name);
  const known = has(`check.${key}`);
  const name = known ? t(`check.${key}`, values) : check.name;
  // A skipped check (no TSA trust anchors, no public node) is neither a pass nor a failure.
  const state = !check.passed ? "fail" : check.skipped ? "skip" : "pass";
  const meaning = {
    pass: known ? t(`check_ok.${key}`, values) : t("verify.check_passed"),
    skip: t("verify.check_skipped"),
    fail: t("verify.check_failed"),
  }[state];
  return el(
    "li",
    { class: state, title: check.detail || null },
    el("span", { class: "icon", "aria-hidden": "true" }, { pass: "✔", skip: "–", fail: "✘" }[state]),
    el(
      "span",
      { class: "visually-hidden" },
      { pass: t("verify.pass"), skip: t("verify.skip"), fail: t("verify.fail") }[state],
    ),
    " ",
    el("strong", {}, name),
    `: ${meaning}`,
    check.fields.length ? [" ", t("verify.fields"), " ", el("code", {}, check.fields.join(", "))] : "",
  );
}

async function lawyerPage() {
  if (!requireActor()) return;
  const pid = await projectId();
  // Titles from the contributions' cards, as the API reads them for this key.
  const titles = new Map((await allContributions(pid)).map((c) => [c.contributionId.toLowerCase(), titleOf(c)]));
  const titleFor = (cid, fallback) => titles.get(cid) || fallback || short(cid);
  const known = new Map();
  if (context.demo) {
    for (const c of context.demo.contributions) {
      const cid = c.contributionId.toLowerCase();
      known.set(cid, {
        title: titleFor(cid),
        contentHash: c.contentHash,
        salt: c.salt,
        document: c.document,
      });
    }
  }
  for (const [cid, o] of Object.entries(keptOpenings())) {
    known.set(cid, {
      title: titleFor(cid, o.title || o.fileName || t("openings.no_name")),
      contentHash: o.contentHash,
      salt: o.salt,
      document: null,
    });
  }
  const select = $("#export-contribution");
  const listKnown = (chosen) => {
    const entries = Array.from(known.entries()).reverse();
    fill(
      select,
      entries.length
        ? entries.map(([cid, o]) => el("option", { value: cid }, `${o.title} (${short(cid)})`))
        : el("option", { value: "" }, t("lawyer.nothing")),
    );
    if (chosen) select.value = chosen;
  };
  listKnown();
  const documentLink = $("#download-document");
  const showDocument = () => {
    const chosen = known.get(select.value);
    documentLink.hidden = !(chosen && chosen.document);
    if (chosen && chosen.document) documentLink.href = paths.document(chosen.document);
  };
  select.addEventListener("change", showDocument);
  showDocument();

  // -- proving from the original file --------------------------------------------------------
  const proveStatus = $("#prove-status");
  const actorAddress = context.actor && context.actor.address;
  const mine = actorAddress ? await secretState(actorAddress).catch(() => ({ state: "none" })) : null;
  $("#prove-with-mine-row").hidden = !(mine && mine.secret);
  const showMethod = () => {
    const method = $("#prove-form").elements["prove-with"].value;
    $("#prove-opening-box").hidden = method !== "opening";
    $("#prove-words-box").hidden = method !== "words";
  };
  for (const radio of document.querySelectorAll("input[name=prove-with]")) radio.addEventListener("change", showMethod);

  // With a proof secret the contributor is not asked: each partner of the project is tried,
  // and the index says which commitment exists (commitments are public on chain anyway).
  const findDerived = async (secret, contentHash) => {
    const where = await chain();
    const salt = deriveSalt(secret, { ...where, projectId: pid, contentHash });
    const project = await get(paths.project(pid));
    for (const partner of project.partners) {
      const commit = commitment(partner.address, pid, contentHash, salt);
      const found = await get(paths.byCommitment(pid, commit));
      if (found.items.length) return { item: found.items[0], salt };
    }
    return null;
  };

  $("#prove-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("#prove-submit"), async () => {
      const original = $("#prove-file").files[0];
      if (!original) throw new ApiError(422, "no_file", t("error.no_file"), "");
      const method = $("#prove-form").elements["prove-with"].value;
      // Read what proves it before hashing, so that a mistake there is said at once.
      let secret = null;
      let opening = null;
      try {
        if (method === "words") secret = secretFromWords($("#prove-words").value);
        else if (method === "mine") secret = mine.secret;
        else {
          const file = $("#prove-opening").files[0];
          if (!file) throw new ApiError(422, "no_opening", t("error.no_opening"), "");
          opening = parseOpening(await file.text());
        }
      } catch (error) {
        throw secretProblem(error);
      }
      proveStatus.textContent = t("prove.hashing");
      const contentHash = await hashWithProgress(original, $("#prove-hash-progress"));
      if (contentHash === null) {
        proveStatus.textContent = t("hash.stopped");
        return;
      }
      let cid;
      let salt;
      let who;
      if (opening) {
        if (opening.contentHash !== contentHash.toLowerCase()) {
          proveStatus.textContent = t("prove.not_this_file");
          return;
        }
        cid = opening.contributionId.toLowerCase();
        salt = opening.salt;
        who = opening.contributor;
      } else {
        proveStatus.textContent = t("prove.searching");
        const found = await findDerived(secret, contentHash);
        if (!found) {
          proveStatus.textContent = t("prove.not_found");
          return;
        }
        cid = found.item.contributionId.toLowerCase();
        salt = found.salt;
        who = found.item.contributor;
      }
      known.set(cid, { title: titleFor(cid, original.name), contentHash, salt, document: null });
      listKnown(cid);
      showDocument();
      $("#prove-words").value = "";
      proveStatus.textContent = t("prove.found", { name: original.name, id: short(cid), who: nameOf(who) });
      $("#download-bundle").focus();
    });
  });
  const status = $("#export-status");
  const exportAs = (path, extension, doneKey, certificate = false) => (event) =>
    busy(event.currentTarget, async () => {
      const cid = select.value;
      const opening = known.get(cid);
      if (!opening) return;
      status.textContent = t("lawyer.preparing");
      const body = { contentHash: opening.contentHash, salt: opening.salt };
      // The certificate is in the page's language; its title and description are the card's
      // (in the bundle), the project's name the exporter's (the certificate says so).
      if (certificate) {
        body.language = lang === "nl" ? "nl" : "en";
        if (context.demo && context.demo.projectTitle) body.projectName = context.demo.projectTitle;
      }
      const blob = await post(path(cid), body);
      download(blob, `contribution-${cid.slice(2, 10)}.${extension}`);
      status.textContent = t(doneKey);
    });
  $("#download-bundle").addEventListener("click", exportAs(paths.bundle, "json", "lawyer.bundle_ready"));
  $("#download-pdf").addEventListener("click", exportAs(paths.certificate, "pdf", "lawyer.pdf_ready", true));
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
      const fileHash = original ? await hashWithProgress(original, $("#verify-hash-progress")) : null;
      if (original && fileHash === null) {
        verifyStatus.textContent = t("hash.stopped");
        return;
      }
      // The bundle goes as written: parsing it in JavaScript would round its 256-bit
      // numbers (signature nonces) and break the signature check.
      const rawBody = `{"online": true, "file_sha256": ${JSON.stringify(fileHash)}, "bundle": ${bundleText}}`;
      const report = await request("POST", paths.verify, { rawBody });
      verifyStatus.textContent = report.ok ? t("verify.ok") : t("verify.failed");
      verifyStatus.classList.toggle("status-error", !report.ok);
      fill($("#verify-checks"), report.checks.map(checkLine));
      focusResult(verifyStatus);
    });
  });
}

runPage(lawyerPage);
