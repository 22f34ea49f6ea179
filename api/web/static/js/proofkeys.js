// What this browser keeps so that its partners can prove their contributions: each partner's
// proof secret (sealed with the partner's passphrase in localStorage; unlocked for this tab
// in sessionStorage), the opening of every contribution registered here (opening files, the
// format of docs/design.md), and what was backed up: recovery sheets written down and
// openings exported. A partner may also let the service keep its secret (custodial, opt-in):
// then the pages fetch it with the partner's key instead.

import { ApiError, get, paths } from "./api.js";
import { fromHex, toHex } from "./crypto.js";
import { t } from "./i18n.js";
import { DERIVED_V1, makeOpening, parseOpening, RANDOM } from "./openings.js";
import { SecretError, secretId, sealSecret, unsealSecret } from "./secret.js";

const OPENINGS_KEY = "poc.openings";
const BACKED_UP_KEY = "poc.openings.backedUp";
const SHEETS_KEY = "poc.sheets";
const SECRET_PREFIX = "poc.secret.";
const UNLOCKED_PREFIX = "poc.unlocked.";

/** A SecretError (or OpeningError) as an ApiError in the page's language, so that the
 * pages show it like any refusal: its code names the sentence `secret.<code>`. */
export function secretProblem(error) {
  if (!(error instanceof SecretError)) return error;
  return new ApiError(422, error.code, t(`secret.${error.code}`, error.values), "");
}

function readJson(storage, key, fallback) {
  try {
    const value = JSON.parse(storage.getItem(key) || "null");
    return value && typeof value === "object" ? value : fallback;
  } catch {
    return fallback;
  }
}

const writeJson = (storage, key, value) => storage.setItem(key, JSON.stringify(value));
const now = () => new Date().toISOString();

// -- openings -------------------------------------------------------------------------------

/** Every opening kept here that reads as an opening file, by lower-case contribution id.
 * Entries an older version of the pages kept (content hash and salt only) are left out: see
 * `legacyOpenings`. */
export function keptOpenings() {
  const kept = {};
  for (const [cid, entry] of Object.entries(readJson(localStorage, OPENINGS_KEY, {}))) {
    try {
      kept[cid] = parseOpening(entry);
    } catch {
      // Not an opening file: a legacy entry, or damaged; never dropped silently.
    }
  }
  return kept;
}

/** Entries kept by an older version of the pages: {contentHash, salt, projectId, contributor,
 * fileName}, without chain and ledger. */
export function legacyOpenings() {
  const all = readJson(localStorage, OPENINGS_KEY, {});
  const kept = keptOpenings();
  return Object.fromEntries(Object.entries(all).filter(([cid]) => !(cid in kept)));
}

/** Turn legacy entries into opening files of `chainId`/`ledger` (random salts), where they
 * open their contribution; return how many were converted. */
export function upgradeLegacyOpenings(chainId, ledger) {
  let upgraded = 0;
  for (const [cid, entry] of Object.entries(legacyOpenings())) {
    try {
      const opening = makeOpening({
        chainId,
        ledger,
        projectId: entry.projectId,
        contributor: entry.contributor,
        contentHash: entry.contentHash,
        salt: entry.salt,
        derivation: RANDOM,
        fileName: entry.fileName,
      });
      if (opening.contributionId.toLowerCase() !== cid) continue;
      keepOpening(opening);
      upgraded += 1;
    } catch {
      // Not enough to rebuild it: it stays as it was.
    }
  }
  return upgraded;
}

/** Keep `opening` (an opening file object): before its registration is sent, or imported. */
export function keepOpening(opening) {
  const checked = parseOpening(opening);
  const all = readJson(localStorage, OPENINGS_KEY, {});
  all[checked.contributionId.toLowerCase()] = checked;
  writeJson(localStorage, OPENINGS_KEY, all);
  return checked;
}

export function clearOpenings() {
  localStorage.removeItem(OPENINGS_KEY);
  localStorage.removeItem(BACKED_UP_KEY);
}

/** Record that these contributions' openings exist beyond this browser: `how` is "file" (an
 * opening file or a sealed backup was downloaded, or they were imported from one) or
 * "custody" (derived from the secret the service keeps for the partner). */
export function markBackedUp(contributionIds, how = "file") {
  const all = readJson(localStorage, BACKED_UP_KEY, {});
  for (const cid of contributionIds) all[cid.toLowerCase()] = { how, at: now() };
  writeJson(localStorage, BACKED_UP_KEY, all);
}

/** How and when the opening of `contributionId` was backed up ({how, at}), or null. */
export function backedUp(contributionId) {
  const entry = readJson(localStorage, BACKED_UP_KEY, {})[contributionId.toLowerCase()];
  if (!entry) return null;
  // An older entry is the date of a download.
  return typeof entry === "string" ? { how: "file", at: entry } : entry;
}

/** Openings that exist only in this browser: never exported, and not re-derivable from a
 * proof secret whose recovery sheet was written down. */
export function unbackedOpenings() {
  const saved = readJson(localStorage, BACKED_UP_KEY, {});
  const sheets = readJson(localStorage, SHEETS_KEY, {});
  const kept = Object.values(keptOpenings()).filter(
    (o) =>
      !saved[o.contributionId.toLowerCase()] &&
      !(o.derivation === DERIVED_V1 && o.secretId && sheets[o.secretId]),
  );
  return [...kept, ...Object.keys(legacyOpenings()).map((cid) => ({ contributionId: cid, legacy: true }))];
}

// -- recovery sheets ------------------------------------------------------------------------

/** Record that the partner wrote down the recovery sheet of the secret named `id`. */
export function markSheetWritten(id) {
  const all = readJson(localStorage, SHEETS_KEY, {});
  all[id] = now();
  writeJson(localStorage, SHEETS_KEY, all);
}

export const sheetWritten = (id) => Boolean(readJson(localStorage, SHEETS_KEY, {})[id]);

// -- proof secrets --------------------------------------------------------------------------

const secretKey = (address) => SECRET_PREFIX + address.toLowerCase();
const unlockedKey = (address) => UNLOCKED_PREFIX + address.toLowerCase();

/** The sealed secret this browser keeps for `address`: {text, secretId}, or null. */
export function sealedSecret(address) {
  const entry = readJson(localStorage, secretKey(address), null);
  return entry && typeof entry.text === "string" ? entry : null;
}

/** Seal `secret` with `passphrase` and keep it for `address`; unlocked for this tab too. */
export async function keepSecret(address, secret, passphrase, options) {
  const text = await sealSecret(secret, passphrase, options);
  writeJson(localStorage, secretKey(address), { text, secretId: secretId(secret), keptAt: now() });
  rememberUnlocked(address, secret);
  return text;
}

/** Open this browser's sealed secret of `address` with `passphrase` and keep it unlocked for
 * this tab. Throws SecretError("wrong_passphrase") for a wrong one. */
export async function unlockSecret(address, passphrase, options) {
  const sealed = sealedSecret(address);
  if (!sealed) return null;
  const secret = await unsealSecret(sealed.text, passphrase, options);
  rememberUnlocked(address, secret);
  return secret;
}

export function rememberUnlocked(address, secret) {
  sessionStorage.setItem(unlockedKey(address), toHex(secret));
}

/** The secret of `address` unlocked in this tab, or null. */
export function unlockedSecret(address) {
  const hex = sessionStorage.getItem(unlockedKey(address));
  try {
    return hex ? fromHex(hex) : null;
  } catch {
    return null;
  }
}

export function lockSecret(address) {
  sessionStorage.removeItem(unlockedKey(address));
}

export function forgetSecret(address) {
  lockSecret(address);
  localStorage.removeItem(secretKey(address));
}

/** The secret the service keeps for `address` (custodial partners who opted in), or null. */
export async function custodialSecret(address) {
  try {
    const held = await get(paths.proofSecret(address));
    return fromHex(held.secret);
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

/** Where the proof secret of `address` can come from, best first: {state, secret?}.
 * state: "unlocked" (ready), "custodial" (the service keeps it: ready, no passphrase),
 * "sealed" (this browser keeps it: ask the passphrase), "none" (create or restore one). */
export async function secretState(address) {
  const unlocked = unlockedSecret(address);
  if (unlocked) return { state: "unlocked", secret: unlocked };
  const held = await custodialSecret(address);
  if (held) return { state: "custodial", secret: held };
  if (sealedSecret(address)) return { state: "sealed" };
  return { state: "none" };
}
