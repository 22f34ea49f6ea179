// Talking to the poc-ledger API as the chosen partner: the key lives in sessionStorage (gone
// when the tab closes), errors become translated sentences, accepted writes are followed
// until they are confirmed on chain. What proves contributions (the proof secret, openings)
// is kept by proofkeys.js.

import { has, t } from "./i18n.js";
import { recordSentence } from "./recordtext.js";

/** A card's or reason's field the API refused (`card_too_long` at `card.title`, or at
 * `items[3].card.title` in a batch), in the words the browser's own check uses. */
function recordRefusal(code, body) {
  const location = (body && body.details && body.details[0] && body.details[0].location) || "";
  const field = location.replace(/^(?:.*\.)?(?:card|reason)\./, "");
  return recordSentence(code, field === location ? "" : field);
}

const ACTOR_KEY = "poc.actor";

// Every API path the pages use, in one place.
export const paths = {
  demo: "/sandbox/demo",
  reset: "/sandbox/reset",
  clock: "/sandbox/clock",
  document: (name) => `/sandbox/documents/${encodeURIComponent(name)}`,
  projects: "/v1/projects",
  project: (pid) => `/v1/projects/${pid}`,
  policies: (pid) => `/v1/projects/${pid}/policies`,
  contributions: (pid, cursor) =>
    `/v1/projects/${pid}/contributions?limit=500${cursor ? `&cursor=${cursor}` : ""}`,
  contribution: (cid) => `/v1/contributions/${cid}`,
  byCommitment: (pid, commitment) => `/v1/projects/${pid}/contributions?commitment=${commitment}`,
  chain: "/v1/chain",
  proofSecret: (address) => `/v1/partners/${address}/proof-secret`,
  register: (pid) => `/v1/projects/${pid}/contributions`,
  supersede: (cid) => `/v1/contributions/${cid}/supersede`,
  withdraw: (cid) => `/v1/contributions/${cid}/withdraw`,
  operation: (id) => `/v1/operations/${id}`,
  me: "/v1/me",
  partner: (address) => `/v1/partners/${address}`,
  endorse: (cid) => `/v1/contributions/${cid}/endorsements`,
  endorsements: (cid) => `/v1/contributions/${cid}/endorsements`,
  dispute: (cid) => `/v1/contributions/${cid}/disputes`,
  disputes: (cid) => `/v1/contributions/${cid}/disputes`,
  vote: (cid, n) => `/v1/contributions/${cid}/disputes/${n}/votes`,
  score: (pid) => `/v1/projects/${pid}/score`,
  splits: (pid) => `/v1/projects/${pid}/splits`,
  approveSplit: (pid, proposalId) => `/v1/projects/${pid}/splits/${proposalId}/approvals`,
  statement: (pid) => `/v1/projects/${pid}/statement`,
  bundle: (cid) => `/v1/exports/contributions/${cid}/bundle`,
  certificate: (cid) => `/v1/exports/contributions/${cid}/certificate`,
  rol: (pid) => `/v1/exports/projects/${pid}/results-ownership-list?format=csv`,
  verify: "/v1/proofs/verify",
  encryptionKeys: (address) => `/v1/partners/${address}/encryption-keys`,
  publishKey: (address) => `/v1/partners/${address}/encryption-keys`,
  upload: (pid, commitment) => `/v1/projects/${pid}/documents/${commitment}`,
  disclose: (pid) => `/v1/projects/${pid}/disclosures`,
  disclosures: (pid) => `/v1/projects/${pid}/disclosures`,
  disclosure: (id) => `/v1/disclosures/${id}`,
  sealedDocument: (id) => `/v1/disclosures/${id}/document`,
  wrappedKey: (id) => `/v1/disclosures/${id}/key`,
  acknowledge: (id) => `/v1/disclosures/${id}/acknowledge`,
  decline: (id) => `/v1/disclosures/${id}/decline`,
  inbox: "/v1/inbox",
  accessRequests: (pid) => `/v1/projects/${pid}/access-requests`,
  requestAccess: (cid) => `/v1/contributions/${cid}/access-requests`,
  grant: (id) => `/v1/access-requests/${id}/grant`,
  refuse: (id) => `/v1/access-requests/${id}/refuse`,
  withdrawRequest: (id) => `/v1/access-requests/${id}/withdraw`,
};

/** An API refusal, with a sentence for people: the translation of its `code` (every code
 * the API has is in the table; tests/e2e/test_web_i18n.py checks it), else a general
 * sentence. The API's own English `message` is kept as `detail` for the curious (the page
 * shows it as a tooltip, never as the sentence). */
export class ApiError extends Error {
  constructor(status, code, message, detail, details = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.detail = detail || "";
    // Field-level problems (location, code, message), when the API names them.
    this.details = details;
  }

  static from(status, body) {
    const code = (body && body.code) || `http_${status}`;
    const serverMessage = (body && body.message) || "";
    const key = `error.${code}`;
    const message = has(key) ? t(key) : recordRefusal(code, body) || t("error.unknown", { status });
    return new ApiError(status, code, message, serverMessage, (body && body.details) || null);
  }
}

// -- the partner the pages act as -------------------------------------------------------

export function currentActor() {
  try {
    return JSON.parse(sessionStorage.getItem(ACTOR_KEY) || "null");
  } catch {
    return null;
  }
}

export function setActor(actor) {
  sessionStorage.setItem(ACTOR_KEY, JSON.stringify(actor));
}

export function clearActor() {
  sessionStorage.removeItem(ACTOR_KEY);
}

// -- requests ------------------------------------------------------------------------------

// The sandbox helpers answer only pages the sandbox served: each page carries this start's
// token, and the helpers want it back (pages of other sites cannot read it).
const SANDBOX_TOKEN = document.body.dataset.sandboxToken || "";

/** Call the API; JSON bodies in and out, a Blob for other content. Throws ApiError. */
export async function request(method, path, { body, rawBody, key } = {}) {
  const headers = { Accept: "application/json" };
  const actor = currentActor();
  const apiKey = key || (actor && actor.apiKey);
  if (apiKey) headers["X-API-Key"] = apiKey;
  if (SANDBOX_TOKEN && path.startsWith("/sandbox/")) headers["X-Sandbox-Token"] = SANDBOX_TOKEN;
  if (body !== undefined || rawBody !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: rawBody !== undefined ? rawBody : body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", t("error.network"), "");
  }
  const type = response.headers.get("content-type") || "";
  if (!response.ok) {
    let data = null;
    if (type.includes("json")) {
      try {
        data = await response.json();
      } catch {
        data = null;
      }
    }
    throw ApiError.from(response.status, data);
  }
  if (type.includes("application/json") && !response.headers.get("content-disposition")) {
    return response.json();
  }
  return response.blob();
}

export const get = (path, options) => request("GET", path, options);

/** PUT raw bytes (a sealed document) as application/octet-stream. Throws ApiError. */
export async function putBlob(path, blob) {
  const actor = currentActor();
  const headers = { Accept: "application/json", "Content-Type": "application/octet-stream" };
  if (actor && actor.apiKey) headers["X-API-Key"] = actor.apiKey;
  let response;
  try {
    response = await fetch(path, { method: "PUT", headers, body: blob });
  } catch {
    throw new ApiError(0, "network", t("error.network"), "");
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw ApiError.from(response.status, data);
  return data;
}

/** The page token a freshly served page carries: it changes when the sandbox starts again
 * (after a reset). Empty while the sandbox does not answer. */
export async function currentSandboxToken() {
  try {
    const response = await fetch("/", { cache: "no-store", headers: { Accept: "text/html" } });
    if (!response.ok) return "";
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    return page.body.dataset.sandboxToken || "";
  } catch {
    return "";
  }
}

export const sandboxToken = () => SANDBOX_TOKEN;

/** Who `key` is (GET /v1/me): its role, partner and label. Throws ApiError for a key the
 * service does not know (401 `invalid_api_key`). */
export const whoIs = (key) => request("GET", paths.me, { key });
export const post = (path, body, options = {}) => request("POST", path, { ...options, body });

/** Every contribution of a project, following the cursor. */
export async function allContributions(pid) {
  const items = [];
  let cursor = null;
  do {
    const page = await get(paths.contributions(pid, cursor));
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

// -- accepted writes -----------------------------------------------------------------------

export const OPERATION_STEPS = ["accepted", "sent", "included", "confirmed"];
const POLL_MS = 250;
const POLL_LIMIT_MS = 120000;

/** Ask `check()` every `intervalMs` until it returns something truthy (resolved with that);
 * `onWait(elapsedMs)` after each miss. Throws ApiError `index_timeout` after `limitMs`:
 * what a page uses to wait until the index shows what the ledger just confirmed. */
export async function waitFor(check, { intervalMs = POLL_MS, limitMs = 60000, onWait } = {}) {
  const started = Date.now();
  for (;;) {
    const found = await check();
    if (found) return found;
    const elapsed = Date.now() - started;
    if (elapsed > limitMs) throw new ApiError(0, "index_timeout", t("error.index_timeout"), "");
    onWait?.(elapsed);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Follow an accepted write until it is confirmed; `onUpdate(op)` sees every new status.
 * Resolves with the confirmed operation, throws ApiError when it failed or took too long. */
export async function followOperation(op, onUpdate) {
  const started = Date.now();
  let last = null;
  for (;;) {
    if (op.status !== last) {
      last = op.status;
      onUpdate(op);
    }
    if (op.status === "confirmed") return op;
    if (op.status === "failed") {
      const error = op.error || {};
      throw ApiError.from(409, { code: error.code || "operation_failed", message: error.message });
    }
    if (Date.now() - started > POLL_LIMIT_MS) {
      throw new ApiError(0, "operation_timeout", t("error.operation_timeout"), "");
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    op = await get(paths.operation(op.id));
  }
}
