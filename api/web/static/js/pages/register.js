// Register a contribution: the file is hashed in this browser (it is never sent), salted and
// committed; the opening (content hash and salt) is kept on this machine before the write.
// The card (title, description, keywords, per parent a note) is made and hashed here too: the
// service must arrive at the same hash, which is what the partner's signature covers.

import { ApiError, allContributions, openings, paths, saveOpening } from "../api.js";
import { context, currentPolicy, nameOf, projectId, requireActor } from "../context.js";
import { cardHash, makeCard } from "../cards.js";
import { commitment, contributionId, newSalt } from "../crypto.js";
import { $, busy, download, el, fill, showError } from "../dom.js";
import { categoryName, formatNumber, t, unitName } from "../i18n.js";
import { runPage } from "../page.js";
import { hashWithProgress, submitWrite } from "../progress.js";
import { cardTitle, recordError } from "../records.js";

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
            el("label", { for: `parent-${c.contribution_id}` }, `${cardTitle(c)} (${nameOf(c.contributor)})`),
          ),
        )
      : el("li", { class: "muted" }, t("register.no_parents")),
  );
  // Per ticked parent, a sentence on how this contribution builds on it.
  const byId = new Map(active.map((c) => [c.contribution_id, c]));
  const showNotes = () => {
    const ticked = Array.from(form.querySelectorAll("input[name=parents]:checked"), (box) => box.value);
    const kept = new Map(Array.from($("#parent-notes").querySelectorAll("input"), (i) => [i.dataset.parent, i.value]));
    fill(
      $("#parent-notes"),
      ticked.map((cid) => {
        const id = `note-${cid}`;
        return el(
          "div",
          { class: "stack" },
          el("label", { for: id }, t("register.parent_note", { title: cardTitle(byId.get(cid)) })),
          el("input", { id, type: "text", maxlength: "1000", "data-parent": cid, value: kept.get(cid) || "" }),
        );
      }),
    );
  };
  $("#parents").addEventListener("change", showNotes);

  let prepared = null;
  // Counts the files chosen: only the last one's hash may become `prepared`.
  let chosenFiles = 0;
  const submit = $("#register-submit");
  const zone = $("#drop-zone");
  const input = $("#file-input");
  const take = async (file) => {
    if (!file) return;
    // What is shown, signed and kept is one file: the previous one is forgotten at once.
    const run = ++chosenFiles;
    prepared = null;
    submit.disabled = true;
    $("#file-facts").hidden = false;
    $("#file-name").textContent = file.name;
    $("#file-size").textContent = t("register.bytes", { count: formatNumber(file.size) });
    $("#content-hash").textContent = t("register.hashing");
    $("#salt").textContent = "";
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
    submit.disabled = false;
    if (contentHash === null) {
      $("#content-hash").textContent = t("hash.stopped");
      return;
    }
    const salt = newSalt();
    const commit = commitment(actor.address, pid, contentHash, salt);
    prepared = {
      fileName: file.name,
      mediaType: file.type,
      size: file.size,
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
    if (!$("#card-title").value.trim()) {
      $("#card-title").focus();
      return showError(new ApiError(422, "card_empty", t("error.no_title")));
    }
    if (!Number.isInteger(value) || value < 1) {
      return showError(new ApiError(422, "invalid_value", t("error.invalid_value")));
    }
    // This file's opening throughout, even if another file is chosen while this one is sent.
    const chosen = prepared;
    const parents = Array.from(form.querySelectorAll("input[name=parents]:checked"), (box) => box.value);
    const notes = Object.fromEntries(
      Array.from($("#parent-notes").querySelectorAll("input"), (i) => [i.dataset.parent, i.value]),
    );
    let card;
    try {
      card = makeCard({
        title: $("#card-title").value,
        description: $("#card-description").value,
        file: { name: chosen.fileName, mediaType: chosen.mediaType, size: chosen.size },
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
      value,
      parents,
      card: {
        title: card.title,
        description: card.description,
        file: { name: card.file.name, media_type: card.file.mediaType, size: card.file.size },
        keywords: card.keywords,
        parent_notes: card.parents.map((p) => ({ contribution_id: p.contributionId, note: p.note })),
        salt: card.salt,
      },
      // What this page shows is what is signed: the service must compute the same hash.
      card_hash: cardHash(card),
    };
    await busy(submit, async () => {
      // Kept before sending: without its salt nobody can later prove the file.
      saveOpening(chosen.contributionId, {
        contentHash: chosen.contentHash,
        salt: chosen.salt,
        fileName: chosen.fileName,
        title: card.title,
        projectId: pid,
        contributor: actor.address,
      });
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

runPage(registerPage);
