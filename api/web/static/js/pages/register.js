// Register a contribution: the file is hashed in this browser (it is never sent), salted with
// a salt derived from the partner's proof secret, and committed; the opening is kept on this
// machine before the write. The same file registered before by the same partner in the
// project gives the same commitment: the page says so, with a link, before anything is signed.

import { ApiError, allContributions, get, paths } from "../api.js";
import { chain, context, currentPolicy, nameOf, projectId, renderBackupWarning, requireActor, titleOf } from "../context.js";
import { $, busy, download, el, fill, showError } from "../dom.js";
import { categoryName, formatDate, formatNumber, t, unitName } from "../i18n.js";
import { derivedOpening, openingFileText } from "../openings.js";
import { runPage } from "../page.js";
import { hashWithProgress, submitWrite } from "../progress.js";
import { keepOpening, markBackedUp, secretProblem, secretState, unlockSecret } from "../proofkeys.js";

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
  const [policy, contributions, where] = await Promise.all([
    currentPolicy(pid),
    allContributions(pid),
    chain(),
  ]);
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
  // Counts the files chosen: only the last one's hash may become `prepared`.
  let chosenFiles = 0;
  // The file hashed last ({name, contentHash}), waiting for the secret if it is locked.
  let hashed = null;
  let secret = null;
  const submit = $("#register-submit");
  const zone = $("#drop-zone");
  const input = $("#file-input");
  const already = $("#already-registered");

  // The proof secret: ready (unlocked in this tab, or kept by the service), locked in this
  // browser (ask the passphrase), or missing (first use: the recovery sheet comes first).
  let custodial = false;
  const showSecretState = async () => {
    const state = await secretState(actor.address);
    secret = state.secret || null;
    custodial = state.state === "custodial";
    $("#secret-needed").hidden = state.state !== "none";
    $("#secret-unlock").hidden = state.state !== "sealed";
    form.hidden = state.state === "none";
    return state;
  };
  await showSecretState();

  // The opening of the hashed file, once both the hash and the secret are there; then the
  // index is asked whether this commitment is registered already.
  const prepare = async (run) => {
    if (!hashed || !secret) return;
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
    if (run !== chosenFiles) return;
    const earlier = found.items[0];
    if (earlier) {
      fill(
        already,
        t("register.already_registered", { date: formatDate(earlier.registered_at) }),
        " ",
        el("a", { href: `/contribution?id=${earlier.contribution_id}` }, t("register.already_link")),
      );
      already.hidden = false;
      submit.disabled = true;
      return;
    }
    prepared = opening;
    submit.disabled = false;
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
      await prepare(chosenFiles);
    });
  });

  const take = async (file) => {
    if (!file) return;
    // What is shown, signed and kept is one file: the previous one is forgotten at once.
    const run = ++chosenFiles;
    prepared = null;
    hashed = null;
    submit.disabled = true;
    already.hidden = true;
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
      if (run !== chosenFiles) return;
      $("#content-hash").textContent = "";
      submit.disabled = false;
      showError(error);
      return;
    }
    if (run !== chosenFiles) return;
    if (contentHash === null) {
      $("#content-hash").textContent = t("hash.stopped");
      submit.disabled = false;
      return;
    }
    $("#content-hash").textContent = contentHash;
    hashed = { name: file.name, contentHash };
    if (!secret) {
      $("#salt").textContent = t("register.unlock_first");
      return;
    }
    await busy(null, () => prepare(run));
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
    // This file's opening throughout, even if another file is chosen while this one is sent.
    const chosen = prepared;
    const body = {
      commitment: chosen.commitment,
      origin: form.elements.origin.value,
      category: Number(select.value),
      value,
      parents: Array.from(form.querySelectorAll("input[name=parents]:checked"), (box) => box.value),
    };
    await busy(submit, async () => {
      // Kept before sending: the opening file is what proves the file later, on any machine
      // (and with the recovery sheet it can be derived again).
      keepOpening(chosen);
      // Derived from the secret the service keeps: it can derive this opening again.
      if (custodial) markBackedUp([chosen.contributionId], "custody");
      renderBackupWarning();
      const op = await submitWrite("register.kind", paths.register(pid), body);
      const cid = op.resource_id || chosen.contributionId;
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
            onclick: () => {
              download(
                new Blob([openingFileText(chosen)], { type: "application/json" }),
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
    });
  });
}

runPage(registerPage);
