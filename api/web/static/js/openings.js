// Opening files: what proves one contribution (the file's SHA-256 and the salt), in the JSON
// format of docs/design.md, the same bytes ledger/openings/files.py writes. Reading one checks
// it completely: the format, and that salt and content hash give its commitment and the
// commitment its contribution id. An opening may carry the contribution's card (checked as
// cards.js checks a card; its hash is checked against the chain when a bundle is verified).
// Sealed backups of many openings use secret.js's seal.

import { RecordFormatError, checkCard } from "./cards.js";
import { checksumAddress, commitment, contributionId } from "./crypto.js";
import { SecretError, deriveSalt, seal, secretId, unseal } from "./secret.js";

export const OPENING_TYPE = "poc-ledger/opening";
export const DERIVED_V1 = "derived v1";
export const RANDOM = "random";
const FIELDS = [
  "type",
  "version",
  "chainId",
  "ledger",
  "projectId",
  "contributor",
  "contributionId",
  "commitment",
  "contentHash",
  "salt",
  "derivation",
];
const OPTIONAL = ["secretId", "fileName", "card"];
const MAX_FILE_NAME_CHARS = 255;
const UINT256_MAX = (1n << 256n) - 1n;

/** A file that is not an opening, or an opening that does not open what it names; `field`
 * says which part is wrong. Its code is "opening_format" or "opening_mismatch". */
export class OpeningError extends SecretError {
  constructor(code, field, message) {
    super(code, `${field}: ${message}`, { field });
    this.name = "OpeningError";
    this.field = field;
  }
}

const formatError = (field, message) => new OpeningError("opening_format", field, message);

function bytes32(value, field) {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw formatError(field, "not 32 bytes of 0x-hex");
  }
  return value.toLowerCase();
}

function address(value, field) {
  try {
    return checksumAddress(value);
  } catch {
    throw formatError(field, "not an address");
  }
}

// A chain id: a safe integer, or a decimal string of any uint256 (JSON numbers past 2^53 are
// already rounded by whoever wrote them). Kept as a BigInt.
function chainIdOf(value) {
  let chain;
  if (typeof value === "string" && /^[0-9]{1,78}$/.test(value)) chain = BigInt(value);
  else if (typeof value === "bigint") chain = value;
  else if (Number.isSafeInteger(value)) chain = BigInt(value);
  else if (typeof value === "number" && Number.isInteger(value)) {
    throw formatError("chainId", "above 2^53 - 1, write it as a decimal string");
  } else throw formatError("chainId", "an integer is needed");
  if (chain < 1n || chain > UINT256_MAX) throw formatError("chainId", "out of range");
  return chain;
}

function projectIdOf(value) {
  if (!Number.isSafeInteger(value) || value < 1 || value > 2 ** 32 - 1) {
    throw formatError("projectId", "an integer from 1 to 2^32 - 1 is needed");
  }
  return value;
}

function fileNameOf(value) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.length > MAX_FILE_NAME_CHARS) {
    throw formatError("fileName", `text of at most ${MAX_FILE_NAME_CHARS} characters`);
  }
  // Control characters, as Python's check (C0, DEL and C1).
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) {
    throw formatError("fileName", "control characters are not allowed");
  }
  return value;
}

function cardOf(value) {
  if (value === undefined || value === null) return undefined;
  try {
    return checkCard(value);
  } catch (error) {
    if (!(error instanceof RecordFormatError)) throw error;
    throw formatError(error.field ? `card.${error.field}` : "card", error.message);
  }
}

/** The opening of `contentHash` salted with `salt`: commitment and contribution id computed
 * as the ledger computes them. Fields as in the file; throws OpeningError on a bad one. */
export function makeOpening({ chainId, ledger, projectId, contributor, contentHash, salt, derivation, secretId: id, fileName, card }) {
  const chain = chainIdOf(chainId);
  const project = projectIdOf(projectId);
  const who = address(contributor, "contributor");
  const content = bytes32(contentHash, "contentHash");
  const theSalt = bytes32(salt, "salt");
  if (derivation !== DERIVED_V1 && derivation !== RANDOM) {
    throw formatError("derivation", "neither 'derived v1' nor 'random'");
  }
  let idText;
  if (id !== undefined && id !== null) {
    if (derivation !== DERIVED_V1) throw formatError("secretId", "only a derived salt names its proof secret");
    if (typeof id !== "string" || !/^0x[0-9a-fA-F]{16}$/.test(id)) throw formatError("secretId", "not 8 bytes of 0x-hex");
    idText = id.toLowerCase();
  }
  const commit = commitment(who, project, content, theSalt);
  const opening = {
    type: OPENING_TYPE,
    version: 1,
    chainId: chain <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(chain) : chain.toString(),
    ledger: address(ledger, "ledger"),
    projectId: project,
    contributor: who,
    contributionId: contributionId(project, who, commit),
    commitment: commit,
    contentHash: content,
    salt: theSalt,
    derivation,
  };
  if (idText !== undefined) opening.secretId = idText;
  const name = fileNameOf(fileName);
  if (name !== undefined) opening.fileName = name;
  const theCard = cardOf(card);
  if (theCard !== undefined) opening.card = theCard;
  return opening;
}

/** The opening a partner registers a file with: its salt derived from the proof secret. */
export function derivedOpening(secret, { chainId, ledger, projectId, contributor, contentHash, fileName, card }) {
  const salt = deriveSalt(secret, { chainId, ledger, projectId, contentHash });
  return makeOpening({
    chainId,
    ledger,
    projectId,
    contributor,
    contentHash,
    salt,
    derivation: DERIVED_V1,
    secretId: secretId(secret),
    fileName,
    card,
  });
}

/** Whether `opening`'s salt is the one `secret` derives for its file, project and ledger. */
export function isDerivedFrom(opening, secret) {
  return (
    opening.derivation === DERIVED_V1 &&
    deriveSalt(secret, opening).toLowerCase() === opening.salt.toLowerCase()
  );
}

/** An opening file's text: the JSON object indented by two spaces, then a newline (what
 * Python's `OpeningFile.to_bytes` writes, byte for byte). */
export function openingFileText(opening) {
  return JSON.stringify(opening, null, 2) + "\n";
}

/** Read an opening file (its text or parsed object) and check it completely. */
export function parseOpening(input) {
  let document = input;
  if (typeof input === "string") {
    try {
      document = JSON.parse(input);
    } catch {
      throw formatError("file", "not JSON");
    }
  }
  if (!document || typeof document !== "object" || Array.isArray(document)) {
    throw formatError("file", "not a JSON object");
  }
  const missing = FIELDS.filter((name) => !(name in document));
  if (missing.length) throw formatError(missing[0], `missing fields: ${missing.join(", ")}`);
  const unknown = Object.keys(document).filter((k) => !FIELDS.includes(k) && !OPTIONAL.includes(k));
  if (unknown.length) throw formatError(unknown[0], `unknown fields: ${unknown.sort().join(", ")}`);
  if (document.type !== OPENING_TYPE) throw formatError("type", "not an opening file");
  if (document.version !== 1) throw formatError("version", "not supported");
  const opening = makeOpening(document);
  if (bytes32(document.commitment, "commitment") !== opening.commitment) {
    throw new OpeningError("opening_mismatch", "commitment", "the salt and content hash do not give this commitment");
  }
  if (bytes32(document.contributionId, "contributionId") !== opening.contributionId) {
    throw new OpeningError("opening_mismatch", "contributionId", "not the id of this commitment");
  }
  return opening;
}

/** All `openings` sealed under `passphrase` (an encrypted backup), as a sealed file's text. */
export async function sealOpenings(openings, passphrase, options) {
  const plaintext = new TextEncoder().encode(JSON.stringify({ openings }));
  return seal(plaintext, passphrase, "openings", options);
}

/** The openings of a sealed backup's text, each checked as an opening file is. */
export async function unsealOpenings(text, passphrase, options) {
  const plaintext = await unseal(text, passphrase, "openings", options);
  let document;
  try {
    document = JSON.parse(new TextDecoder().decode(plaintext));
  } catch {
    throw formatError("openings", "not JSON");
  }
  if (!document || !Array.isArray(document.openings)) throw formatError("openings", "a list is needed");
  return document.openings.map((item) => parseOpening(item));
}
