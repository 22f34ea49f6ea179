// Contribution cards and dispute reasons in the browser: the same format, text rules, error
// codes and hash as ledger/domain/cards.py and ledger/domain/canonical.py (docs/proofs.md,
// "Contribution cards"). The canonical JSON is RFC 8785, written by the `canonicalize` package
// (vendored); the hash is SHA-256 of its UTF-8 bytes. A browser test feeds both sides the same
// tricky inputs and compares bytes, hashes and error codes.
//
// Nothing here talks to the API or to people: errors carry a stable `code` and the `field`
// they concern, and the pages turn them into sentences with t().

import canonicalize from "../vendor/canonicalize/lib/canonicalize.js";
import { sha256 } from "../vendor/noble-hashes/sha2.js";
import { toHex } from "./crypto.js";

export const CARD_KIND = "poc-ledger/contribution-card";
export const REASON_KIND = "poc-ledger/dispute-reason";
export const RECORD_VERSION = 1;

// Bounds in Unicode code points, as in ledger/domain/cards.py.
export const LIMITS = Object.freeze({
  title: 200,
  description: 10000,
  fileName: 255,
  mediaType: 255,
  keywords: 20,
  keyword: 64,
  parents: 16,
  parentNote: 1000,
  reasonText: 20000,
  recordBytes: 256 * 1024,
});
export const DEFAULT_MEDIA_TYPE = "application/octet-stream";
const MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

const CARD_KEYS = ["description", "file", "keywords", "kind", "parents", "salt", "title", "version"];
const CARD_FILE_KEYS = ["mediaType", "name", "size"];
const CARD_PARENT_KEYS = ["contributionId", "note"];
const REASON_KEYS = ["file", "kind", "salt", "text", "version"];
const REASON_FILE_KEYS = ["name", "sha256"];

// The white space trimmed from both ends of a field (TRIMMED_WHITESPACE in Python): Unicode's
// White_Space plus U+FEFF, spelled out because String.prototype.trim differs from str.strip.
const WS = "\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff";
const TRIM = new RegExp(`^[${WS}]+|[${WS}]+$`, "gu");
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const FORBIDDEN_MULTILINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const LINE_BREAKS = /\r\n|\r|\u2028|\u2029/gu;
const HEX32 = /^0x[0-9a-f]{64}$/;
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** A record's salt: 32 fresh random bytes (Web Crypto), never derived from the proof secret
 * (docs/proofs.md, "Where the salt comes from"). */
export function recordSalt() {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

/** A card or reason that breaks the format: `code` as in Python (card_too_long, ...). */
export class RecordFormatError extends Error {
  constructor(message, code, field = null) {
    super(message);
    this.name = "RecordFormatError";
    this.code = code;
    this.field = field;
  }
}

function fail(prefix, problem, field, message) {
  throw new RecordFormatError(message, `${prefix}_${problem}`, field);
}

const codePoints = (text) => [...text].length;

// -- text -----------------------------------------------------------------------------

/** What a person typed, tidied: NFC; in multi-line fields CR LF, CR, U+2028 and U+2029
 * become LF; white space trimmed at both ends (normalise_text in Python). */
export function normaliseText(value, { multiline = false } = {}) {
  let text = value.normalize("NFC");
  if (multiline) text = text.replace(LINE_BREAKS, "\n");
  return text.replace(TRIM, "").normalize("NFC");
}

/** `value` if it is a text field in canonical form (check_text in Python). */
export function checkText(value, { prefix, field, maxChars, minChars = 0, multiline = false }) {
  if (typeof value !== "string") fail(prefix, "wrong_type", field, `${field} must be text`);
  if (!value.isWellFormed()) {
    fail(prefix, "invalid_text", field, `${field} holds a lone surrogate (not Unicode text)`);
  }
  const found = (multiline ? FORBIDDEN_MULTILINE : FORBIDDEN).exec(value);
  if (found) {
    const hex = found[0].codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
    const position = codePoints(value.slice(0, found.index)) + 1;
    fail(prefix, "control_character", field, `${field} holds the control character U+${hex} at position ${position}`);
  }
  if (value.normalize("NFC") !== value) {
    fail(prefix, "not_normalised", field, `${field} is not in Unicode NFC form`);
  }
  if (value.replace(TRIM, "") !== value) {
    fail(prefix, "not_normalised", field, `${field} starts or ends with white space`);
  }
  const length = codePoints(value);
  if (length < minChars) fail(prefix, "empty", field, `${field} is required`);
  if (length > maxChars) {
    fail(prefix, "too_long", field, `${field} is ${length} characters long; at most ${maxChars} are allowed`);
  }
  return value;
}

function checkHex32(value, prefix, field) {
  if (typeof value !== "string" || !HEX32.test(value)) {
    fail(prefix, "invalid_value", field, `${field} must be 32 bytes as 0x and 64 lower-case hex digits`);
  }
  return value;
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function checkObject(value, prefix, field, keys) {
  if (!isObject(value)) fail(prefix, "wrong_type", field, `${field} must be an object`);
  for (const key of Object.keys(value).sort()) {
    if (!keys.includes(key)) {
      const name = field ? `${field}.${key}` : key;
      fail(prefix, "unknown_field", name, `unknown field '${name}'`);
    }
  }
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) {
      const name = field ? `${field}.${key}` : key;
      fail(prefix, "missing_field", name, `missing field '${name}'`);
    }
  }
  return value;
}

function checkList(value, prefix, field, maxItems) {
  if (!Array.isArray(value)) fail(prefix, "wrong_type", field, `${field} must be a list`);
  if (value.length > maxItems) {
    fail(prefix, "too_many", field, `${field} has ${value.length} items; at most ${maxItems} are allowed`);
  }
  return value;
}

function checkInteger(value, prefix, field, minimum, maximum) {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    fail(prefix, "wrong_type", field, `${field} must be a whole number`);
  }
  if (value < minimum || value > maximum) {
    fail(prefix, "invalid_value", field, `${field} must be between ${minimum} and ${maximum}, got ${value}`);
  }
  return value;
}

function checkVersion(record, prefix, kind) {
  if (record.kind !== kind) fail(prefix, "invalid_value", "kind", `kind must be '${kind}'`);
  if (record.version !== RECORD_VERSION) {
    fail(prefix, "unsupported_version", "version", `version ${JSON.stringify(record.version)} is not known`);
  }
}

function checkSize(record, prefix) {
  const size = new TextEncoder().encode(canonicalJson(record)).length;
  if (size > LIMITS.recordBytes) {
    fail(prefix, "too_large", null, `the record is ${size} bytes in canonical form; at most ${LIMITS.recordBytes} are allowed`);
  }
}

// -- canonical form and hash -----------------------------------------------------------

/** RFC 8785 canonical JSON of a value, as text (encode as UTF-8 to hash). */
export function canonicalJson(value) {
  try {
    return canonicalize(value);
  } catch (error) {
    throw new RecordFormatError(`not representable in canonical JSON: ${error.message}`, "json_not_canonicalizable");
  }
}

/** SHA-256 of the canonical JSON's UTF-8 bytes, as 0x-hex. */
export function canonicalHash(value) {
  return toHex(sha256(new TextEncoder().encode(canonicalJson(value))));
}

// -- contribution card -----------------------------------------------------------------

/** Throws RecordFormatError unless `card` is a canonical card (ContributionCard.from_json). */
export function checkCard(card) {
  const p = "card";
  checkObject(card, p, "", CARD_KEYS);
  checkVersion(card, p, CARD_KIND);
  checkText(card.title, { prefix: p, field: "title", maxChars: LIMITS.title, minChars: 1 });
  checkText(card.description, { prefix: p, field: "description", maxChars: LIMITS.description, multiline: true });
  if (card.file !== null) {
    checkObject(card.file, p, "file", CARD_FILE_KEYS);
    checkText(card.file.name, { prefix: p, field: "file.name", maxChars: LIMITS.fileName, minChars: 1 });
    checkText(card.file.mediaType, { prefix: p, field: "file.mediaType", maxChars: LIMITS.mediaType });
    if (!MEDIA_TYPE.test(card.file.mediaType)) {
      fail(p, "invalid_value", "file.mediaType", `file.mediaType '${card.file.mediaType}' is not a media type such as application/pdf (lower case, no parameters)`);
    }
    checkInteger(card.file.size, p, "file.size", 0, MAX_SAFE_INTEGER);
  }
  const seen = new Set();
  checkList(card.keywords, p, "keywords", LIMITS.keywords).forEach((keyword, index) => {
    const where = `keywords[${index}]`;
    checkText(keyword, { prefix: p, field: where, maxChars: LIMITS.keyword, minChars: 1 });
    if (seen.has(keyword)) fail(p, "duplicate", where, `keyword '${keyword}' appears twice`);
    seen.add(keyword);
  });
  let previous = "";
  checkList(card.parents, p, "parents", LIMITS.parents).forEach((parent, index) => {
    const where = `parents[${index}]`;
    checkObject(parent, p, where, CARD_PARENT_KEYS);
    const cid = checkHex32(parent.contributionId, p, `${where}.contributionId`);
    checkText(parent.note, { prefix: p, field: `${where}.note`, maxChars: LIMITS.parentNote, minChars: 1 });
    if (cid <= previous) {
      fail(p, "invalid_value", `${where}.contributionId`, "parent notes must be sorted by contribution id, each parent once");
    }
    previous = cid;
  });
  checkHex32(card.salt, p, "salt");
  checkSize(card, p);
  return card;
}

/** A canonical card from what a person typed (ContributionCard.create): `file` is
 * {name, mediaType, size} or null; `parentNotes` maps contribution ids to notes (empty notes
 * are left out); a fresh salt unless one is given. Throws RecordFormatError. */
export function makeCard({ title, description = "", file = null, keywords = [], parentNotes = {}, salt = null }) {
  const notes = Object.entries(parentNotes)
    .map(([cid, note]) => [String(cid).toLowerCase(), typeof note === "string" ? normaliseText(note) : note])
    .filter(([, note]) => typeof note === "string" && note !== "")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([contributionId, note]) => ({ contributionId, note }));
  const card = {
    description: typeof description === "string" ? normaliseText(description, { multiline: true }) : description,
    file:
      file === null
        ? null
        : {
            mediaType: normaliseText(file.mediaType || "").toLowerCase() || DEFAULT_MEDIA_TYPE,
            name: typeof file.name === "string" ? normaliseText(file.name) : file.name,
            size: file.size,
          },
    keywords: keywords.map((k) => (typeof k === "string" ? normaliseText(k) : k)),
    kind: CARD_KIND,
    parents: notes,
    salt: salt || recordSalt(),
    title: typeof title === "string" ? normaliseText(title) : title,
    version: RECORD_VERSION,
  };
  return checkCard(card);
}

/** cardHash: SHA-256 of the card's canonical JSON, 0x-hex (after checking the card). */
export function cardHash(card) {
  return canonicalHash(checkCard(card));
}

// -- dispute reason --------------------------------------------------------------------

/** Throws RecordFormatError unless `reason` is a canonical reason (DisputeReason.from_json). */
export function checkReason(reason) {
  const p = "reason";
  checkObject(reason, p, "", REASON_KEYS);
  checkVersion(reason, p, REASON_KIND);
  checkText(reason.text, { prefix: p, field: "text", maxChars: LIMITS.reasonText, minChars: 1, multiline: true });
  if (reason.file !== null) {
    checkObject(reason.file, p, "file", REASON_FILE_KEYS);
    checkText(reason.file.name, { prefix: p, field: "file.name", maxChars: LIMITS.fileName, minChars: 1 });
    checkHex32(reason.file.sha256, p, "file.sha256");
  }
  checkHex32(reason.salt, p, "salt");
  checkSize(reason, p);
  return reason;
}

/** A canonical reason from what a person typed; `file` is {name, sha256} or null. */
export function makeReason({ text, file = null, salt = null }) {
  const reason = {
    file:
      file === null
        ? null
        : { name: normaliseText(file.name), sha256: String(file.sha256).toLowerCase() },
    kind: REASON_KIND,
    salt: salt || recordSalt(),
    text: typeof text === "string" ? normaliseText(text, { multiline: true }) : text,
    version: RECORD_VERSION,
  };
  return checkReason(reason);
}

/** reasonHash: SHA-256 of the reason's canonical JSON, 0x-hex. */
export function reasonHash(reason) {
  return canonicalHash(checkReason(reason));
}
