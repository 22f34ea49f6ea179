// What waits for this partner: its encryption key (made here, published signed by its partner
// key), the documents shared with it — opened in this browser, checked against the commitment
// on chain, then acknowledged or declined — and the requests for access rights to its
// contributions, granted on terms or refused with a reason.

import { ApiError, allContributions, get, paths, post, waitFor } from "../api.js";
import { confirmAction } from "../confirm.js";
import { context, learnTitles, nameOf, requireActor } from "../context.js";
import { sha256Text } from "../crypto.js";
import { $, busy, download, el, fill, focusResult } from "../dom.js";
import { EnvelopeFormatError, EnvelopeIntegrityError, checkOpened, openBlob, unwrapKey } from "../envelope.js";
import { createLocalKey, localKey, publishedKey, requestItem, saltedTextHash } from "../exchange.js";
import { formatBytes, t } from "../i18n.js";
import { runPage } from "../page.js";
import { submitWrite } from "../progress.js";

const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const same = (a, b) => Boolean(a && b) && a.toLowerCase() === b.toLowerCase();

async function renderKey() {
  const address = context.actor.address;
  const [local, published] = await Promise.all([localKey(address), publishedKey(address)]);
  const ready = local && published && same(local.publicKey, published.publicKey);
  $("#key-status").textContent = ready
    ? t("inbox.key_ready")
    : local
      ? t("inbox.key_not_published")
      : t("inbox.key_missing");
  $("#key-create").hidden = Boolean(ready);
  return ready ? local : null;
}

async function publishKey() {
  const address = context.actor.address;
  let local = await localKey(address);
  if (!local) {
    local = await createLocalKey(address);
    $("#key-backup-value").textContent = local.backup;
    $("#key-backup").hidden = false;
  }
  await submitWrite("inbox.publish_kind", paths.publishKey(address), { publicKey: local.publicKey });
  await waitFor(async () => same((await publishedKey(address))?.publicKey, local.publicKey));
  await renderKey();
  focusResult($("#key-status"));
}

/** Fetch, unwrap, open and check one document; the opened file, or a refusal in words. */
async function openDocument(d) {
  const address = context.actor.address;
  const local = await localKey(address);
  if (!local) throw new ApiError(0, "no_local_key", t("inbox.no_local_key"));
  const [wrapped, sealed] = await Promise.all([
    get(paths.wrappedKey(d.disclosureId)),
    get(paths.sealedDocument(d.disclosureId)),
  ]);
  try {
    const envelope = await unwrapKey(fromBase64(wrapped.wrappedKey), local.keyPair, {
      disclosureId: d.disclosureId,
      recipient: address,
    });
    const opened = await openBlob(sealed, envelope.fileKey, { type: envelope.mediaType });
    checkOpened(envelope, opened, {
      sharer: d.sharer,
      projectId: d.projectId,
      contentCommitment: d.contentCommitment,
    });
    return { envelope, opened };
  } catch (error) {
    if (error instanceof EnvelopeIntegrityError || error instanceof EnvelopeFormatError) {
      throw new ApiError(0, "document_refused", t("inbox.refused"), error.message);
    }
    throw error;
  }
}

function receivedItem(d) {
  const mine = d.receipts.find((r) => same(r.recipient, context.actor.address));
  const status = el("span", { class: `badge badge-${mine.status}` }, t(`receipt.${mine.status}`));
  const result = el("p", { class: "status", "aria-live": "polite" });
  const item = el(
    "li",
    { class: "disclosure-item", "data-disclosure-id": d.disclosureId, "data-status": mine.status },
    el("strong", {}, t("inbox.from", { sharer: nameOf(d.sharer) })),
    " ",
    status,
    result,
  );
  if (mine.status !== "pending") return item;
  const openButton = el("button", { type: "button", class: "button button-primary" }, t("inbox.open"));
  const declineButton = el("button", { type: "button", class: "button" }, t("inbox.decline"));
  const actions = el("div", { class: "button-row" }, openButton, declineButton);
  item.append(actions);
  openButton.addEventListener("click", () =>
    busy(openButton, async () => {
      result.textContent = t("inbox.opening");
      const { envelope, opened } = await openDocument(d);
      const save = el("button", { type: "button", class: "button" }, t("inbox.save", { name: envelope.name }));
      save.addEventListener("click", () => download(opened.plaintext, envelope.name));
      const acknowledge = el("button", { type: "button", class: "button button-primary" }, t("inbox.acknowledge"));
      acknowledge.addEventListener("click", () =>
        busy(acknowledge, async () => {
          await submitWrite("inbox.acknowledge_kind", paths.acknowledge(d.disclosureId), {
            contentCommitment: d.contentCommitment,
          });
          await waitFor(async () => {
            const now = await get(paths.disclosure(d.disclosureId));
            return now.receipts.some((r) => same(r.recipient, context.actor.address) && r.status !== "pending");
          });
          await renderReceived();
        }),
      );
      result.textContent = t("inbox.checked", { name: envelope.name, size: formatBytes(opened.size) });
      fill(actions, save, acknowledge);
      focusResult(result);
    }, result),
  );
  declineButton.addEventListener("click", () =>
    busy(declineButton, async () => {
      const sure = await confirmAction({ title: t("inbox.decline_confirm"), confirmLabel: t("inbox.decline"), danger: true });
      if (!sure) return;
      await submitWrite("inbox.decline_kind", paths.decline(d.disclosureId), {});
      await waitFor(async () => {
        const now = await get(paths.disclosure(d.disclosureId));
        return now.receipts.some((r) => same(r.recipient, context.actor.address) && r.status !== "pending");
      });
      await renderReceived();
    }, result),
  );
  return item;
}

async function renderReceived() {
  const inbox = await get(paths.inbox);
  const list = $("#received-list");
  fill(
    list,
    inbox.disclosures.length
      ? inbox.disclosures.map(receivedItem)
      : [el("li", { class: "muted" }, t("inbox.nothing_received"))],
  );
  // The requests name contributions by id: their titles are on the cards of their projects.
  const projects = new Set(inbox.requestsToAnswer.map((r) => r.projectId));
  for (const pid of projects) learnTitles(await allContributions(pid));
  renderAnswers(inbox.requestsToAnswer);
}

async function waitForAnswer(request) {
  await waitFor(async () => (await get(paths.inbox)).requestsToAnswer.some(
    (r) => r.requestId === request.requestId && r.status !== "open",
  ));
  await renderReceived();
}

function answerActions(request) {
  if (request.status !== "open") return [];
  const terms = el("select", { "aria-label": t("requests.terms") },
    el("option", { value: "royalty_free" }, t("access.terms.royalty_free")),
    el("option", { value: "fair_and_reasonable" }, t("access.terms.fair_and_reasonable")),
  );
  terms.value = request.terms;
  const text = el("textarea", { rows: "2", "aria-label": t("inbox.answer_text") });
  const grant = el("button", { type: "button", class: "button button-primary" }, t("inbox.grant"));
  const refuse = el("button", { type: "button", class: "button button-danger" }, t("inbox.refuse"));
  const result = el("p", { class: "status", "aria-live": "polite" });
  grant.addEventListener("click", () =>
    busy(grant, async () => {
      if (!text.value.trim()) {
        result.textContent = t("inbox.terms_needed");
        return;
      }
      const termsHash = await sha256Text(text.value);
      await submitWrite("inbox.grant_kind", paths.grant(request.requestId), {
        terms: terms.value,
        termsHash: termsHash,
      });
      await waitForAnswer(request);
    }, result),
  );
  refuse.addEventListener("click", () =>
    busy(refuse, async () => {
      if (!text.value.trim()) {
        result.textContent = t("inbox.reason_needed");
        return;
      }
      const sealed = await saltedTextHash(text.value);
      await submitWrite("inbox.refuse_kind", paths.refuse(request.requestId), { reasonHash: sealed.hash });
      result.textContent = t("inbox.reason_kept", { salt: sealed.salt });
      await waitForAnswer(request);
    }, result),
  );
  return [
    el("label", {}, t("inbox.answer_text")),
    text,
    terms,
    el("div", { class: "button-row" }, grant, refuse),
    result,
  ];
}

function renderAnswers(requests) {
  fill(
    $("#answer-list"),
    requests.length
      ? requests.map((r) => requestItem(r, answerActions(r)))
      : [el("li", { class: "muted" }, t("inbox.nothing_to_answer"))],
  );
}

async function render() {
  if (!requireActor()) return;
  await renderKey();
  $("#key-create").addEventListener("click", () => busy($("#key-create"), publishKey));
  await renderReceived();
}

runPage(render);
