// Knowledge exchange in the browser (docs/exchange.md): this partner's encryption key pair,
// kept in this browser's IndexedDB (this origin only) and loaded as a key pair whose private
// key cannot be exported; requests
// for access rights shown alike on the inbox and the requests page; salted hashes of reasons
// and terms typed here. Sealing, wrapping and opening are envelope.js's.

import { get, paths } from "./api.js";
import { keccak256, fromHex, newSalt, sha256Text, toHex } from "./crypto.js";
import { exportPrivateKey, generateKeyPair, importKeyPair } from "./envelope.js";
import { nameOf, titleOf } from "./context.js";
import { el } from "./dom.js";
import { formatDate, t } from "./i18n.js";

const DB_NAME = "poc-exchange";
const STORE = "keys";

function database() {
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open(DB_NAME, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
}

async function inStore(mode, action) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const request = action(db.transaction(STORE, mode).objectStore(STORE));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** The key pair this browser holds for `address`: {keyPair, publicKey (0x-hex)} or null. */
export async function localKey(address) {
  const stored = await inStore("readonly", (store) => store.get(address.toLowerCase()));
  if (!stored) return null;
  const keyPair = await importKeyPair(fromHex(stored.privateKey), fromHex(stored.publicKey));
  return { keyPair, publicKey: stored.publicKey };
}

/** A fresh key pair for `address`, kept here; returns it with the raw private key (0x-hex),
 * shown once for the partner's backup: without it, documents shared with this partner
 * cannot be opened in another browser. */
export async function createLocalKey(address) {
  const fresh = await generateKeyPair();
  const privateKey = toHex(new Uint8Array(await exportPrivateKey(fresh.keyPair)));
  const publicKey = toHex(new Uint8Array(fresh.publicKey));
  await inStore("readwrite", (store) => store.put({ privateKey, publicKey }, address.toLowerCase()));
  return { ...(await localKey(address)), backup: privateKey };
}

/** The partner's current published key (0x-hex) or null. */
export async function publishedKey(address) {
  const keys = await get(paths.encryptionKeys(address));
  return keys.length ? keys[keys.length - 1] : null;
}

/** keccak256(abi.encode(bytes32 sha256(text), bytes32 salt)): a reason or terms text as the
 * chain keeps it, with the salt to keep beside the text (docs/exchange.md). */
export async function saltedTextHash(text) {
  const content = await sha256Text(text);
  const salt = newSalt();
  const packed = new Uint8Array(64);
  packed.set(fromHex(content), 0);
  packed.set(fromHex(salt), 32);
  return { hash: toHex(keccak256(packed)), content, salt };
}

/** One access-rights request as a list item; `actions` (nodes) follow the facts. */
export function requestItem(request, actions = []) {
  const status = request.overdue ? "overdue" : request.status;
  return el(
    "li",
    { class: "request-item", "data-request-id": String(request.requestId), "data-status": status },
    el("strong", {}, titleOf({ contributionId: request.contributionId })),
    " ",
    el("span", { class: `badge badge-${status}` }, t(`access.status.${status}`)),
    el(
      "p",
      {},
      t("access.line", {
        requester: nameOf(request.requester),
        owner: nameOf(request.owner),
        purpose: t(`access.purpose.${request.purpose}`),
        terms: t(`access.terms.${request.terms}`),
      }),
    ),
    el("p", { class: "help" }, t("access.deadline", { date: formatDate(request.answerDeadline) })),
    ...actions,
  );
}
