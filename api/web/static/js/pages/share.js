// Share a document with partners of the project: sealed in this browser with a fresh key
// (envelope.js), uploaded sealed, the key wrapped to each recipient's published encryption
// key, the disclosure signed and recorded on chain. Below, who received what, and their
// receipts.

import { allContributions, get, paths, putBlob, waitFor } from "../api.js";
import { context, nameOf, projectId, requireActor, titleOf } from "../context.js";
import { commitment, contributionId, newSalt } from "../crypto.js";
import { $, busy, el, fill, focusResult, short } from "../dom.js";
import { newFileKey, sealBlob, wrapKey } from "../envelope.js";
import { publishedKey } from "../exchange.js";
import { formatDate, t } from "../i18n.js";
import { runPage } from "../page.js";
import { submitWrite } from "../progress.js";

const base64 = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));

async function renderRecipients(pid) {
  const me = context.actor.address.toLowerCase();
  const project = await get(paths.project(pid));
  const others = project.partners.filter((p) => p.active && p.address.toLowerCase() !== me);
  const keys = await Promise.all(others.map((p) => publishedKey(p.address)));
  // A partner may publish another's public key as its own: documents for it would then open
  // for the other. Such recipients are shown, and not offered.
  const counts = new Map();
  for (const key of keys) if (key) counts.set(key.publicKey.toLowerCase(), (counts.get(key.publicKey.toLowerCase()) || 0) + 1);
  const shared = (key) => Boolean(key) && counts.get(key.publicKey.toLowerCase()) > 1;
  const box = $("#share-recipients");
  fill(
    box,
    others.map((p, i) => {
      const id = `recipient-${p.address}`;
      return el(
        "div",
        { class: "check-row" },
        el("input", {
          type: "checkbox",
          id,
          name: "recipient",
          value: p.address,
          ...(keys[i] && !shared(keys[i]) ? {} : { disabled: "" }),
        }),
        el("label", { for: id }, nameOf(p.address)),
        keys[i] ? null : el("span", { class: "help" }, ` ${t("share.no_key")}`),
        shared(keys[i]) ? el("span", { class: "alert" }, ` ${t("share.same_key")}`) : null,
      );
    }),
  );
  box.removeAttribute("aria-busy");
}

async function renderReferences(pid) {
  const select = $("#share-reference");
  for (const c of await allContributions(pid)) {
    select.append(el("option", { value: c.contributionId }, titleOf(c)));
  }
}

async function renderShared(pid) {
  const disclosures = await get(paths.disclosures(pid));
  const list = $("#shared-list");
  if (!disclosures.length) {
    fill(list, el("li", { class: "muted" }, t("share.none")));
    return;
  }
  fill(
    list,
    disclosures.map((d) =>
      el(
        "li",
        { class: "disclosure-item", "data-disclosure-id": d.disclosureId },
        el("strong", {}, t("share.by", { sharer: nameOf(d.sharer) })),
        " ",
        el("code", { class: "hash", title: d.disclosureId }, short(d.disclosureId)),
        el(
          "ul",
          {},
          d.receipts.map((r) =>
            el(
              "li",
              { "data-recipient": r.recipient, "data-status": r.status },
              `${nameOf(r.recipient)}: `,
              el("span", { class: `badge badge-${r.status}` }, t(`receipt.${r.status}`)),
            ),
          ),
        ),
      ),
    ),
  );
}

async function share(pid) {
  const file = $("#share-file").files[0];
  const recipients = [...document.querySelectorAll("input[name=recipient]:checked")].map((x) => x.value);
  const status = $("#share-status");
  if (!file || !recipients.length) {
    status.textContent = t("share.choose");
    return;
  }
  const me = context.actor.address;
  status.textContent = t("share.sealing");
  const fileKey = newFileKey();
  const salt = newSalt();
  const sealed = await sealBlob(file, fileKey);
  const commit = commitment(me, pid, sealed.sha256, salt);
  const disclosureId = contributionId(pid, me, commit);
  status.textContent = t("share.uploading");
  await putBlob(paths.upload(pid, commit), sealed.sealed);
  const envelope = {
    fileKey,
    salt,
    name: file.name,
    mediaType: file.type || "application/octet-stream",
    size: sealed.size,
  };
  const wrapped = {};
  for (const recipient of recipients) {
    const key = await publishedKey(recipient);
    wrapped[key.account] = base64(await wrapKey(envelope, key.publicKey, { disclosureId, recipient: key.account }));
  }
  status.textContent = "";
  const reference = $("#share-reference").value;
  await submitWrite("share.kind", paths.disclose(pid), {
    contentCommitment: commit,
    recipients: Object.keys(wrapped),
    contributionIds: reference ? [reference] : [],
    wrappedKeys: wrapped,
  });
  await waitFor(async () => (await get(paths.disclosures(pid))).some((d) => d.disclosureId === disclosureId));
  status.textContent = t("share.done", { name: file.name, date: formatDate(Date.now() / 1000) });
  await renderShared(pid);
  focusResult(status);
}

async function render() {
  if (!requireActor()) return;
  const pid = await projectId();
  await Promise.all([renderRecipients(pid), renderReferences(pid), renderShared(pid)]);
  $("#share-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("#share-submit"), () => share(pid), $("#share-status"));
  });
}

runPage(render);
