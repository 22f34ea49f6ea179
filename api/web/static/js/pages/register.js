// Register a contribution, or (with ?supersedes=<id>) a new version of one's own: the file is
// hashed in this browser (it is never sent), salted with the salt the partner's proof secret
// derives for it, and committed; the opening is kept on this machine before the write. The
// same file registered before by the same partner in the project has the same commitment:
// the page says so, with a link to the first, before anything is signed.
//
// What is shown, signed and kept is one and the same file, or nothing is sent: choosing a
// file forgets the previous one at once, Register waits for the fingerprint, the summary
// asked before signing names the file, and if the file changes while that summary is open
// nothing is sent; while a registration is under way the file cannot change.
//
// The card (title, description, keywords, per parent a note) is made and hashed here too: the
// service must arrive at the same hash, which is what the partner's signature covers. A new
// version starts from the old card's words; it is a new card all the same.

import { ApiError, allContributions, get, paths } from "../api.js";
import { describeAmount, parseAmount, typedUnitName, unitOf } from "../amount.js";
import { cardHash, makeCard } from "../cards.js";
import { confirmAction } from "../confirm.js";
import {
  chain,
  context,
  currentPolicy,
  nameOf,
  personName,
  projectId,
  renderBackupWarning,
  requireActor,
  titleOf,
} from "../context.js";
import { $, busy, clearError, download, el, fill, focusResult, showError } from "../dom.js";
import { categoryName, formatBytes, formatDate, formatDecimal, formatNumber, t } from "../i18n.js";
import { derivedOpening, openingFileText } from "../openings.js";
import { runPage } from "../page.js";
import { hashWithProgress, settle, submitWrite } from "../progress.js";
import { keepOpening, markBackedUp, secretProblem, secretState, unlockSecret } from "../proofkeys.js";
import { recordError, validCard } from "../records.js";

const CONTRIBUTION_ID = /^0x[0-9a-fA-F]{64}$/;

/** The contribution `?supersedes=` names, if it is the actor's own and still active; shows
 * why not otherwise (and returns undefined: the page then registers nothing). */
async function supersededContribution(actor) {
  const cid = new URLSearchParams(window.location.search).get("supersedes");
  if (cid === null) return null;
  if (!CONTRIBUTION_ID.test(cid)) throw new ApiError(404, "contribution_not_found", t("error.contribution_not_found"));
  const old = await get(paths.contribution(cid));
  if (old.contributor.toLowerCase() !== actor.address.toLowerCase()) {
    throw new ApiError(403, "not_contributor", t("error.not_contributor"));
  }
  if (old.status !== "active") throw new ApiError(409, "contribution_not_active", t("error.contribution_not_active"));
  return old;
}

/** A recorded value back in the unit people type, for the form: 1500000 EUR-cent -> "15.000,00". */
function typedValue(value, category) {
  const unit = unitOf(category);
  const digits = BigInt(value).toString();
  if (unit.kind !== "money") return formatDecimal(digits, 0);
  const padded = digits.padStart(3, "0");
  return formatDecimal(`${padded.slice(0, -2)}.${padded.slice(-2)}`, 2);
}

async function registerPage() {
  if (!requireActor()) return;
  const actor = context.actor;
  const form = $("#register-form");
  if (!actor.address) {
    showError(new ApiError(403, "forbidden_role", t("error.forbidden_role")));
    form.hidden = true;
    return;
  }
  let old;
  try {
    old = await supersededContribution(actor);
  } catch (error) {
    form.hidden = true;
    throw error;
  }
  const pid = old ? old.projectId : await projectId();
  const [policy, contributions, where] = await Promise.all([
    currentPolicy(pid),
    allContributions(pid),
    chain(),
  ]);
  const categories = policy.policy.categories;
  const select = $("#category");
  const valueInput = $("#value");
  const summary = $("#value-summary");
  fill(select, categories.map((c, index) => el("option", { value: String(index) }, categoryName(c))));

  // The value in the unit people think in, and what the ledger will record for it.
  const category = () => categories[Number(select.value)];
  const showValue = () => {
    $("#value-unit").textContent = t("register.value_unit", { unit: typedUnitName(category()) });
    valueInput.inputMode = unitOf(category()).kind === "money" ? "decimal" : "numeric";
    summary.classList.remove("status-error");
    valueInput.removeAttribute("aria-invalid");
    if (!valueInput.value.trim()) {
      summary.textContent =
        unitOf(category()).kind === "money" ? t("register.value_help_money") : t("register.value_help_count");
      return;
    }
    try {
      summary.textContent = describeAmount(parseAmount(valueInput.value, category()), category());
    } catch (error) {
      summary.textContent = error.message;
      summary.classList.add("status-error");
      valueInput.setAttribute("aria-invalid", "true");
    }
  };
  select.addEventListener("change", showValue);
  valueInput.addEventListener("input", showValue);

  const byId = new Map(contributions.map((c) => [c.contributionId.toLowerCase(), c]));
  const active = contributions.filter(
    (c) => c.status === "active" && (!old || c.contributionId.toLowerCase() !== old.contributionId.toLowerCase()),
  );
  fill(
    $("#parents"),
    active.length
      ? active.map((c) =>
          el(
            "li",
            {},
            el("input", { type: "checkbox", id: `parent-${c.contributionId}`, name: "parents", value: c.contributionId }),
            el("label", { for: `parent-${c.contributionId}` }, `${titleOf(c)} (${nameOf(c.contributor)})`),
          ),
        )
      : el("li", { class: "muted" }, t("register.no_parents")),
  );
  // Per ticked parent, a sentence on how this contribution builds on it.
  const showNotes = (initial = new Map()) => {
    const ticked = Array.from(form.querySelectorAll("input[name=parents]:checked"), (box) => box.value);
    const kept = new Map(Array.from($("#parent-notes").querySelectorAll("input"), (i) => [i.dataset.parent, i.value]));
    fill(
      $("#parent-notes"),
      ticked.map((cid) => {
        const id = `note-${cid}`;
        const parent = byId.get(cid.toLowerCase());
        return el(
          "div",
          { class: "stack" },
          el("label", { for: id }, t("register.parent_note", { title: parent ? titleOf(parent) : cid })),
          el("input", {
            id,
            type: "text",
            maxlength: "1000",
            "data-parent": cid,
            value: kept.get(cid) || initial.get(cid.toLowerCase()) || "",
          }),
        );
      }),
    );
  };
  $("#parents").addEventListener("change", () => showNotes());

  if (old) {
    // A new version starts from the old one's facts; the file is chosen again.
    document.querySelector("h1").textContent = t("supersede.heading");
    $("#supersede-text").textContent = t("supersede.intro", { title: titleOf(old) });
    $("#supersede-note").hidden = false;
    $("#register-submit").textContent = t("supersede.submit");
    form.elements.origin.value = old.origin;
    select.value = String(old.category);
    valueInput.value = typedValue(old.value, categories[old.category]);
    for (const parent of old.parents) {
      const box = document.getElementById(`parent-${parent}`);
      if (box) box.checked = true;
    }
    // The old card's words to start from (the correction is a new card, signed anew).
    const oldCard = validCard(old);
    if (oldCard) {
      $("#card-title").value = oldCard.title;
      $("#card-description").value = oldCard.description;
      $("#card-keywords").value = oldCard.keywords.join(", ");
    }
    showNotes(new Map((oldCard ? oldCard.parents : []).map((p) => [p.contributionId.toLowerCase(), p.note])));
  }
  showValue();

  // -- the proof secret: ready (unlocked here, or kept by the service), locked in this browser
  // (ask the passphrase), or missing (first use: the recovery sheet comes first) -----------
  let secret = null;
  let custodial = false;
  const showSecretState = async () => {
    const state = await secretState(actor.address);
    secret = state.secret || null;
    custodial = state.state === "custodial";
    $("#secret-needed").hidden = state.state !== "none";
    $("#secret-unlock").hidden = state.state !== "sealed";
    form.hidden = state.state === "none";
  };
  await showSecretState();

  // -- the file: one at a time, and never another one than the page shows -----------------
  let prepared = null;
  // The file hashed last ({name, size, contentHash}), waiting for the secret if it is locked.
  let hashed = null;
  const already = $("#already-registered");
  // Bumped by every file chosen: only the last one's hash may become `prepared`.
  let generation = 0;
  let hashing = false;
  let sending = false;
  const submit = $("#register-submit");
  const zone = $("#drop-zone");
  const input = $("#file-input");
  const lockFile = (locked) => {
    sending = locked;
    input.disabled = locked;
    zone.classList.toggle("locked", locked);
  };
  const take = async (file) => {
    if (!file) return;
    if (sending) {
      // The registration under way is this page's file; another one waits for it to end.
      showError(new ApiError(409, "file_locked", t("error.file_locked")));
      return;
    }
    // What is shown, signed and kept is one file: the previous one is forgotten at once.
    const run = ++generation;
    prepared = null;
    hashed = null;
    already.hidden = true;
    hashing = true;
    submit.disabled = true;
    clearError();
    $("#register-result").hidden = true;
    $("#file-facts").hidden = false;
    $("#file-name").textContent = file.name;
    $("#file-size").textContent = t("register.bytes", { count: formatNumber(file.size) });
    $("#content-hash").textContent = t("register.hashing");
    $("#salt").textContent = "";
    $("#salt-source").textContent = "";
    $("#commitment").textContent = "";
    let contentHash;
    try {
      // Hashed here, in the browser, as a stream; the File object itself is never
      // given to fetch. Choosing another file stops this hash (the same progress box).
      contentHash = await hashWithProgress(file, $("#hash-progress"));
    } catch (error) {
      if (run !== generation) return;
      hashing = false;
      $("#content-hash").textContent = "";
      submit.disabled = false;
      showError(error);
      return;
    }
    if (run !== generation) return;
    hashing = false;
    if (contentHash === null) {
      submit.disabled = false;
      $("#content-hash").textContent = t("hash.stopped");
      return;
    }
    $("#content-hash").textContent = contentHash;
    hashed = { name: file.name, size: file.size, mediaType: file.type, contentHash };
    if (!secret) {
      $("#salt").textContent = t("register.unlock_first");
      return;
    }
    // Register stays off until the index has said whether this file is registered already.
    await busy(null, () => prepare(run));
  };

  // The opening of the hashed file, once both the hash and the secret are there; then the
  // index is asked whether this commitment is registered already (this partner, this file,
  // this project: the same commitment). Nothing is signed before that answer.
  const prepare = async (run) => {
    if (!hashed || !secret) return;
    submit.disabled = true;
    const opening = derivedOpening(secret, {
      ...where,
      projectId: pid,
      contributor: actor.address,
      contentHash: hashed.contentHash,
      fileName: hashed.name,
    });
    $("#salt").textContent = opening.salt;
    $("#salt-source").textContent = t("register.salt_derived", { id: opening.secretId });
    $("#commitment").textContent = opening.commitment;
    const found = await get(paths.byCommitment(pid, opening.commitment));
    if (run !== generation) return;
    submit.disabled = false;
    const earlier = found.items[0];
    if (earlier) {
      fill(
        already,
        t("register.already_registered", { date: formatDate(earlier.registeredAt) }),
        " ",
        el("a", { href: `/contribution?id=${earlier.contributionId}` }, t("register.already_link")),
      );
      already.hidden = false;
      submit.disabled = true;
      return;
    }
    prepared = {
      fileName: hashed.name,
      fileSize: hashed.size,
      mediaType: hashed.mediaType,
      contentHash: hashed.contentHash,
      salt: opening.salt,
      commitment: opening.commitment,
      contributionId: opening.contributionId,
      opening,
    };
  };

  $("#secret-unlock").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("#unlock-submit"), async () => {
      try {
        await unlockSecret(actor.address, $("#unlock-passphrase").value);
      } catch (error) {
        throw secretProblem(error);
      }
      $("#unlock-passphrase").value = "";
      await showSecretState();
      await prepare(generation);
    });
  });
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

  // -- register: summary, confirmation, then exactly what was summarised -----------------
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return;
    clearError();
    if (hashing) return showError(new ApiError(409, "still_hashing", t("error.still_hashing")));
    if (!prepared) return showError(new ApiError(422, "no_file", t("error.no_file")));
    if (!$("#card-title").value.trim()) {
      $("#card-title").focus();
      return showError(new ApiError(422, "card_empty", t("error.no_title")));
    }
    let value;
    try {
      value = parseAmount(valueInput.value, category());
    } catch (error) {
      showError(error);
      valueInput.focus();
      return;
    }
    // One snapshot: the summary shows it, the signature covers it, the opening keeps it.
    const chosen = prepared;
    const chosenCategory = category();
    const parents = Array.from(form.querySelectorAll("input[name=parents]:checked"), (box) => box.value);
    const notes = Object.fromEntries(
      Array.from($("#parent-notes").querySelectorAll("input"), (i) => [i.dataset.parent, i.value]),
    );
    let card;
    try {
      card = makeCard({
        title: $("#card-title").value,
        description: $("#card-description").value,
        file: { name: chosen.fileName, mediaType: chosen.mediaType, size: chosen.fileSize },
        keywords: $("#card-keywords").value.split(",").filter((k) => k.trim() !== ""),
        parentNotes: notes,
      });
    } catch (error) {
      return showError(recordError(error));
    }
    const body = {
      commitment: chosen.commitment,
      origin: form.elements.origin.value,
      category: Number(select.value),
      // A decimal string: a uint64 does not fit a JavaScript number.
      value: value.toString(),
      parents,
      card: {
        title: card.title,
        description: card.description,
        file: { name: card.file.name, mediaType: card.file.mediaType, size: card.file.size },
        keywords: card.keywords,
        parentNotes: card.parents.map((p) => ({ contributionId: p.contributionId, note: p.note })),
        salt: card.salt,
      },
      // What this page shows is what is signed: the service must compute the same hash.
      cardHash: cardHash(card),
    };
    const cardNotes = new Map(card.parents.map((n) => [n.contributionId.toLowerCase(), n.note]));
    const parentTitles = body.parents.map((p) => {
      const c = byId.get(p.toLowerCase());
      const note = cardNotes.get(p.toLowerCase());
      return `${c ? titleOf(c) : p}${note ? ` — ${note}` : ""}`;
    });
    const confirmed = await confirmAction({
      title: old ? t("supersede.confirm_title") : t("register.confirm_title"),
      intro: t("register.confirm_intro", { name: personName(actor) }),
      facts: [
        ...(old ? [[t("supersede.replaces"), titleOf(old)]] : []),
        [t("register.card_title"), card.title],
        ...(card.description ? [[t("register.card_description"), card.description]] : []),
        ...(card.keywords.length ? [[t("register.card_keywords"), card.keywords.join(", ")]] : []),
        [t("register.file_name"), `${chosen.fileName} (${formatBytes(chosen.fileSize)})`],
        [t("register.content_hash"), el("code", {}, chosen.contentHash)],
        [t("register.origin_legend"), t(`origin.${body.origin}`)],
        [t("register.category"), categoryName(chosenCategory)],
        [t("register.value"), describeAmount(value, chosenCategory)],
        [t("register.parents_legend"), parentTitles.length ? parentTitles.join("; ") : t("contribution.no_parents")],
      ],
      confirmLabel: old ? t("supersede.confirm_button") : t("register.confirm_button"),
    });
    if (!confirmed) return;
    if (prepared !== chosen || hashing) {
      // Another file was chosen while the summary was open: what was confirmed is no longer
      // what the page shows. Nothing is sent.
      return showError(new ApiError(409, "file_changed", t("error.file_changed")));
    }
    lockFile(true);
    try {
      await busy(submit, async () => {
        // Kept before sending: the opening file is what proves the file later, on any
        // machine (and with the recovery sheet it can be derived again). It carries the card
        // signed here, so that a proof bundle made from it carries the card too.
        chosen.opening = keepOpening({ ...chosen.opening, card });
        // Derived from the secret the service keeps: it can derive this opening again.
        if (custodial) markBackedUp([chosen.contributionId], "custody");
        renderBackupWarning();
        const path = old ? paths.supersede(old.contributionId) : paths.register(pid);
        const op = await submitWrite(old ? "supersede.kind" : "register.kind", path, body);
        const cid = op.resourceId || chosen.contributionId;
        // Registered before (another tab, another machine): the first registration's date.
        const alreadyDone = op.result && op.result.already_done ? { at: op.result.registeredAt } : null;
        // Confirmed on chain; the page shows it once the index has it too.
        await settle(() => get(paths.contribution(cid)).catch(() => null));
        prepared = null;
        showResult(cid, chosen, alreadyDone, Boolean(old));
      });
    } finally {
      lockFile(false);
    }
  });
}

/** The outcome, naming the file that was registered (not whatever the page shows later),
 * and keyboard focus moved there. */
function showResult(cid, chosen, alreadyDone, superseded) {
  const result = $("#register-result");
  const named = { name: chosen.fileName };
  const done = alreadyDone
    ? alreadyDone.at
      ? t("register.already_registered", { date: formatDate(alreadyDone.at) })
      : t("register.already", named)
    : superseded
      ? t("supersede.done", named)
      : t("register.done", named);
  fill(
    result,
    done,
    " ",
    t("register.done_fingerprint"),
    " ",
    el("code", { class: "hash" }, chosen.contentHash),
    ". ",
    el("a", { href: `/contribution?id=${cid}` }, t("register.view")),
    " · ",
    el(
      "button",
      {
        type: "button",
        class: "button-link",
        onclick: () => {
          download(
            new Blob([openingFileText(chosen.opening)], { type: "application/json" }),
            `opening-${cid.slice(2, 10)}.json`,
          );
          markBackedUp([chosen.contributionId]);
          renderBackupWarning();
        },
      },
      t("register.save_opening"),
    ),
  );
  result.hidden = false;
  focusResult(result);
}

runPage(registerPage);
