// The partner's proof secret: its recovery sheet of BIP-39 words, the salts derived from it,
// and sealed files (a secret or openings encrypted with a passphrase). Byte for byte what
// ledger/openings/ does in Python, as docs/design.md ("Proof secret, salts and openings")
// describes it; the browser tests compare the two. Well-kept libraries do the cryptography:
// @noble/hashes (HMAC-SHA256, scrypt), @noble/ciphers (AES-256-GCM), @scure/bip39 (words).

import { gcm } from "../vendor/noble-ciphers/aes.js";
import { hmac } from "../vendor/noble-hashes/hmac.js";
import { scryptAsync } from "../vendor/noble-hashes/scrypt.js";
import { sha256 } from "../vendor/noble-hashes/sha2.js";
import { entropyToMnemonic, mnemonicToEntropy } from "../vendor/scure-bip39/index.js";
import { wordlist } from "../vendor/scure-bip39/wordlists/english.js";
import { fromHex, toHex } from "./crypto.js";

export const SECRET_BYTES = 32;
export const RECOVERY_WORDS = 24;
const PREFIX_LETTERS = 4;
const encoder = new TextEncoder();
const SECRET_ID_LABEL = concat(encoder.encode("poc-ledger/secret-id/v1"), new Uint8Array([0]));
const SALT_LABEL = concat(encoder.encode("poc-ledger/salt/v1"), new Uint8Array([0]));
export const SALT_MESSAGE_BYTES = SALT_LABEL.length + 32 + 20 + 4 + 32;

/** A refusal a person can act on: `code` names the sentence in i18n.json ("secret.<code>"),
 * `values` fill it in (e.g. which word of the sheet is wrong). */
export class SecretError extends Error {
  constructor(code, message, values = {}) {
    super(message);
    this.name = "SecretError";
    this.code = code;
    this.values = values;
  }
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function requireSecret(secret) {
  if (!(secret instanceof Uint8Array) || secret.length !== SECRET_BYTES) {
    throw new SecretError("invalid_secret", `a proof secret is ${SECRET_BYTES} bytes`);
  }
  return secret;
}

// -- the secret and its recovery sheet -----------------------------------------------------

/** A new proof secret from the browser's CSPRNG. */
export function newProofSecret() {
  return crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
}

/** The recovery sheet: 24 English BIP-39 words of the secret, separated by single spaces. */
export function secretWords(secret) {
  return entropyToMnemonic(requireSecret(secret), wordlist);
}

/** The list words of a typed recovery sheet: case, spaces and line breaks do not matter, and
 * a word may be given by its first four letters. Throws SecretError naming the first wrong
 * word (`position` from 1) or the checksum. */
export function normalizeWords(text) {
  const tokens = String(text).normalize("NFKD").toLowerCase().split(/\s+/).filter(Boolean);
  if (tokens.length !== RECOVERY_WORDS) {
    throw new SecretError(
      "word_count",
      `a recovery sheet has ${RECOVERY_WORDS} words, this text has ${tokens.length}`,
      { count: tokens.length },
    );
  }
  return tokens.map((token, index) => {
    if (wordlist.includes(token)) return token;
    const matches = token.length >= PREFIX_LETTERS ? wordlist.filter((w) => w.startsWith(token)) : [];
    if (matches.length !== 1) {
      throw new SecretError("unknown_word", `word ${index + 1} (${token}) is not on the BIP-39 list`, {
        position: index + 1,
        word: token,
      });
    }
    return matches[0];
  });
}

/** The proof secret a recovery sheet writes down (see normalizeWords). */
export function secretFromWords(text) {
  const words = normalizeWords(text);
  try {
    return mnemonicToEntropy(words.join(" "), wordlist);
  } catch {
    throw new SecretError(
      "checksum",
      "the words do not add up (BIP-39 checksum): a word is wrong or two are swapped",
    );
  }
}

/** 0x-hex of the first 8 bytes of HMAC-SHA256(secret, "poc-ledger/secret-id/v1" 0x00): names
 * a secret without revealing it. */
export function secretId(secret) {
  return toHex(hmac(sha256, requireSecret(secret), SECRET_ID_LABEL).slice(0, 8));
}

// -- derived salts ("derived v1") -------------------------------------------------------------

function uintBytes(value, size, what) {
  let v;
  try {
    v = BigInt(value);
  } catch {
    throw new SecretError("invalid_input", `${what} is not an integer`);
  }
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new SecretError("invalid_input", `${what} is not a safe integer`);
  }
  if (v < 0n || v >= 1n << BigInt(8 * size)) {
    throw new SecretError("invalid_input", `${what} does not fit ${size} bytes`);
  }
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function fixedBytes(hex, size, what) {
  let bytes;
  try {
    bytes = fromHex(hex);
  } catch {
    bytes = null;
  }
  if (!bytes || bytes.length !== size || !/^0x/i.test(hex)) {
    throw new SecretError("invalid_input", `${what} is not ${size} bytes of 0x-hex`);
  }
  return bytes;
}

/** The 107 bytes HMAC-ed into a derived salt (docs/design.md). `chainId` a number, BigInt or
 * decimal string; `ledger` the PocLedger address; `contentHash` the file's SHA-256, 0x-hex. */
export function saltMessage({ chainId, ledger, projectId, contentHash }) {
  return concat(
    SALT_LABEL,
    uintBytes(chainId, 32, "chainId"),
    fixedBytes(ledger, 20, "ledger"),
    uintBytes(projectId, 4, "projectId"),
    fixedBytes(contentHash, 32, "contentHash"),
  );
}

/** The "derived v1" salt of a file in a project of a ledger, as 0x-hex:
 * HMAC-SHA256(key = secret, saltMessage(...)). */
export function deriveSalt(secret, where) {
  return toHex(hmac(sha256, requireSecret(secret), saltMessage(where)));
}

// -- sealed files ---------------------------------------------------------------------------

export const SEALED_TYPE = "poc-ledger/sealed";
// The common recommendation for interactive use: 128 MiB, a few seconds in a browser.
export const DEFAULT_SCRYPT = Object.freeze({ N: 1 << 17, r: 8, p: 1 });
const MAX_SCRYPT_MEMORY = 2 ** 30;
export const MIN_PASSPHRASE_CHARS = 8;

function checkScrypt({ N, r, p }) {
  for (const [name, value] of [["N", N], ["r", r], ["p", p]]) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new SecretError("sealed_format", `kdf.${name}: a positive integer is needed`);
    }
  }
  if (N < 2 || (N & (N - 1)) !== 0) throw new SecretError("sealed_format", "kdf.N: a power of two is needed");
  if (128 * N * r * p > MAX_SCRYPT_MEMORY) {
    throw new SecretError("sealed_format", "kdf: these scrypt parameters need more than 1 GiB");
  }
}

async function sealKey(passphrase, salt, { N, r, p }, onProgress) {
  const password = encoder.encode(String(passphrase).normalize("NFC"));
  // noble's own ceiling counts its scratch space too: room above 128·N·r·p for it.
  const maxmem = 128 * N * r * p + 128 * r * (p + 2) + 1024;
  return scryptAsync(password, salt, { N, r, p, dkLen: 32, maxmem, onProgress });
}

const associatedData = (content) => encoder.encode(`${SEALED_TYPE}/v1/${content}`);

/** `plaintext` (bytes) sealed under `passphrase` as a sealed file's text. `content` is
 * "openings" or "proof-secret"; `onProgress(fraction)` follows the key derivation. */
export async function seal(plaintext, passphrase, content, { params = DEFAULT_SCRYPT, onProgress } = {}) {
  if (String(passphrase).length < MIN_PASSPHRASE_CHARS) {
    throw new SecretError("passphrase_short", `a passphrase has at least ${MIN_PASSPHRASE_CHARS} characters`);
  }
  checkScrypt(params);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const key = await sealKey(passphrase, salt, params, onProgress);
  const ciphertext = gcm(key, nonce, associatedData(content)).encrypt(plaintext);
  const document = {
    type: SEALED_TYPE,
    version: 1,
    content,
    kdf: { name: "scrypt", N: params.N, r: params.r, p: params.p, salt: toHex(salt) },
    cipher: { name: "aes-256-gcm", nonce: toHex(nonce) },
    ciphertext: toHex(ciphertext),
  };
  return JSON.stringify(document, null, 2) + "\n";
}

function member(document, name) {
  const value = document[name];
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new SecretError("sealed_format", `${name}: an object is needed`);
  }
  return value;
}

function sealedHex(value, what, size) {
  if (typeof value !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(value)) {
    throw new SecretError("sealed_format", `${what}: not 0x-hex`);
  }
  const bytes = fromHex(value);
  if (size !== undefined && bytes.length !== size) {
    throw new SecretError("sealed_format", `${what}: not ${size} bytes`);
  }
  return bytes;
}

/** The plaintext (bytes) of a sealed file's text holding `content`. Throws SecretError:
 * "sealed_format" for a file that is not one, "wrong_passphrase" when the passphrase is wrong
 * or the file was altered (AES-GCM cannot tell the two apart). */
export async function unseal(text, passphrase, content, { onProgress } = {}) {
  let document;
  try {
    document = JSON.parse(text);
  } catch {
    throw new SecretError("sealed_format", "not JSON");
  }
  if (!document || typeof document !== "object" || document.type !== SEALED_TYPE) {
    throw new SecretError("sealed_format", "type: not a sealed poc-ledger file");
  }
  if (document.version !== 1) throw new SecretError("sealed_format", "version: not supported");
  if (document.content !== content) {
    throw new SecretError("sealed_content", `this file holds ${document.content}, not ${content}`, {
      content: String(document.content),
    });
  }
  const kdf = member(document, "kdf");
  const cipher = member(document, "cipher");
  if (kdf.name !== "scrypt" || cipher.name !== "aes-256-gcm") {
    throw new SecretError("sealed_format", "kdf/cipher: only scrypt with aes-256-gcm is supported");
  }
  const params = { N: kdf.N, r: kdf.r, p: kdf.p };
  checkScrypt(params);
  const salt = sealedHex(kdf.salt, "kdf.salt", 16);
  const nonce = sealedHex(cipher.nonce, "cipher.nonce", 12);
  const ciphertext = sealedHex(document.ciphertext, "ciphertext");
  const key = await sealKey(passphrase, salt, params, onProgress);
  try {
    return gcm(key, nonce, associatedData(content)).decrypt(ciphertext);
  } catch {
    throw new SecretError(
      "wrong_passphrase",
      "the passphrase is wrong, or the file was changed after it was sealed",
    );
  }
}

/** The proof secret sealed under `passphrase` (how this browser keeps it). */
export async function sealSecret(secret, passphrase, options) {
  const plaintext = JSON.stringify({ secret: toHex(requireSecret(secret)), secretId: secretId(secret) });
  return seal(encoder.encode(plaintext), passphrase, "proof-secret", options);
}

/** The proof secret of a sealed file's text. */
export async function unsealSecret(text, passphrase, options) {
  const plaintext = await unseal(text, passphrase, "proof-secret", options);
  let document;
  try {
    document = JSON.parse(new TextDecoder().decode(plaintext));
  } catch {
    throw new SecretError("sealed_format", "the sealed secret is not JSON");
  }
  const secret = sealedHex(document.secret, "secret", SECRET_BYTES);
  if (document.secretId !== secretId(secret)) {
    throw new SecretError("sealed_format", "secretId: does not name the sealed secret");
  }
  return secret;
}
