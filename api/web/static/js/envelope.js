// Sealed documents and wrapped keys in the browser: the byte format of docs/exchange.md, the
// same as ledger/exchange/envelope.py. A shared document is encrypted here with a fresh key
// (AES-256-GCM through Web Crypto, in segments so that memory stays flat), the key is wrapped
// to each recipient's X25519 public key with HPKE (RFC 9180; the vendored `hpke` module on Web
// Crypto), and only ciphertext leaves the browser. The recipient's browser unwraps, opens and
// checks the document against the commitment disclosed on chain before it may acknowledge.

import * as HPKE from "../vendor/hpke/index.js";
import { sha256 } from "../vendor/noble-hashes/sha2.js";
import { commitment, fromHex, toHex } from "./crypto.js";

export const MAGIC = new TextEncoder().encode("POCX");
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 8;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;
export const ENC_BYTES = 32;
export const DEFAULT_SEGMENT_LOG2 = 20;
export const MIN_SEGMENT_LOG2 = 12;
export const MAX_SEGMENT_LOG2 = 24;
const WRAP_INFO_PREFIX = new TextEncoder().encode("poc-ledger/exchange/v1\0");
const MAX_NAME_CHARS = 255;
const MAX_MEDIA_TYPE_CHARS = 127;
const MEDIA_TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/;
const SALT_RE = /^0x[0-9a-f]{64}$/;
const ENVELOPE_FIELDS = ["key", "name", "salt", "size", "type", "v"];
// Control, format, lone surrogate and line/paragraph separator characters, and path
// separators: never in a file name (the same set as Python's check).
const BAD_NAME_CHAR_RE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}/\\]/u;

const suite = new HPKE.CipherSuite(
  HPKE.KEM_DHKEM_X25519_HKDF_SHA256,
  HPKE.KDF_HKDF_SHA256,
  HPKE.AEAD_AES_256_GCM,
);

/** Raised when bytes or fields are not of the documented format. */
export class EnvelopeFormatError extends Error {
  constructor(message) {
    super(message);
    this.name = "EnvelopeFormatError";
  }
}

/** Raised when a document or wrapped key does not open (altered, truncated, another key or
 * recipient), or opens to another document than the one disclosed on chain. */
export class EnvelopeIntegrityError extends Error {
  constructor(message) {
    super(message);
    this.name = "EnvelopeIntegrityError";
  }
}

// ------------------------------------------------------------------------------ the format

export function header(segmentLog2) {
  requireSegmentLog2(segmentLog2);
  const out = new Uint8Array(HEADER_BYTES);
  out.set(MAGIC, 0);
  out[4] = FORMAT_VERSION;
  out[5] = segmentLog2;
  return out;
}

/** 12-byte nonce: the segment index big-endian in 11 bytes, then 1 for the last segment. */
export function segmentNonce(index, last) {
  if (!Number.isSafeInteger(index) || index < 0) throw new EnvelopeFormatError(`segment index ${index} out of range`);
  const nonce = new Uint8Array(12);
  let rest = BigInt(index);
  for (let i = 10; i >= 0 && rest > 0n; i--) {
    nonce[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  nonce[11] = last ? 1 : 0;
  return nonce;
}

function requireSegmentLog2(segmentLog2) {
  if (!Number.isInteger(segmentLog2) || segmentLog2 < MIN_SEGMENT_LOG2 || segmentLog2 > MAX_SEGMENT_LOG2) {
    throw new EnvelopeFormatError(`segment size 2**${segmentLog2} outside 2**${MIN_SEGMENT_LOG2}..2**${MAX_SEGMENT_LOG2}`);
  }
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function base64Encode(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function base64Decode(text) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new EnvelopeFormatError("key envelope's key is not base64");
  }
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

// ------------------------------------------------------------------------ the key envelope

function requireName(name) {
  if (typeof name !== "string" || name.length < 1 || name.length > MAX_NAME_CHARS) {
    throw new EnvelopeFormatError("file name must have 1 to 255 characters");
  }
  if (name === "." || name === ".." || BAD_NAME_CHAR_RE.test(name)) {
    throw new EnvelopeFormatError("file name has a control character or a separator");
  }
}

/** Check the fields of a key envelope ({fileKey, salt, name, mediaType, size}); returns it. */
export function checkEnvelope(envelope) {
  const { fileKey, salt, name, mediaType, size } = envelope;
  if (!(fileKey instanceof Uint8Array) || fileKey.length !== KEY_BYTES) throw new EnvelopeFormatError("file key must be 32 bytes");
  if (typeof salt !== "string" || !SALT_RE.test(salt)) throw new EnvelopeFormatError("salt must be 0x and 64 lowercase hex digits");
  requireName(name);
  if (typeof mediaType !== "string" || mediaType.length > MAX_MEDIA_TYPE_CHARS || !MEDIA_TYPE_RE.test(mediaType)) {
    throw new EnvelopeFormatError("media type is not type/subtype");
  }
  if (!Number.isSafeInteger(size) || size < 0) throw new EnvelopeFormatError("size out of range");
  return envelope;
}

/** The envelope as UTF-8 JSON, keys sorted, no spaces: byte for byte Python's `to_bytes`. */
export function envelopeToBytes(envelope) {
  checkEnvelope(envelope);
  // Keys in sorted order; JSON.stringify keeps insertion order and escapes like Python's
  // json.dumps(ensure_ascii=False) for everything requireName lets through.
  const document = {
    key: base64Encode(envelope.fileKey),
    name: envelope.name,
    salt: envelope.salt,
    size: envelope.size,
    type: envelope.mediaType,
    v: FORMAT_VERSION,
  };
  return new TextEncoder().encode(JSON.stringify(document));
}

export function envelopeFromBytes(bytes) {
  let document;
  try {
    document = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new EnvelopeFormatError("key envelope is not UTF-8 JSON");
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    throw new EnvelopeFormatError("key envelope is not a JSON object");
  }
  const keys = Object.keys(document).sort();
  if (keys.length !== ENVELOPE_FIELDS.length || keys.some((k, i) => k !== ENVELOPE_FIELDS[i])) {
    throw new EnvelopeFormatError("key envelope has other fields than v, key, salt, name, type, size");
  }
  if (document.v !== FORMAT_VERSION) throw new EnvelopeFormatError(`key envelope version ${document.v} is not 1`);
  if (typeof document.key !== "string") throw new EnvelopeFormatError("key envelope's key is malformed");
  return checkEnvelope({
    fileKey: base64Decode(document.key),
    salt: document.salt,
    name: document.name,
    mediaType: document.type,
    size: document.size,
  });
}

/** A fresh AES-256 file key from the browser's CSPRNG; one per shared document. */
export function newFileKey() {
  return crypto.getRandomValues(new Uint8Array(KEY_BYTES));
}

// -------------------------------------------------------------------------- the document

async function importFileKey(fileKey) {
  if (!(fileKey instanceof Uint8Array) || fileKey.length !== KEY_BYTES) throw new EnvelopeFormatError("file key must be 32 bytes");
  return crypto.subtle.importKey("raw", fileKey, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** Read a Blob in pieces of exactly `size` bytes (the last may be shorter), each with whether
 * it is the last; an empty Blob gives one empty last piece. */
async function* pieces(blob, size) {
  const count = Math.max(1, Math.ceil(blob.size / size));
  for (let i = 0; i < count; i++) {
    const bytes = new Uint8Array(await blob.slice(i * size, (i + 1) * size).arrayBuffer());
    yield { index: i, bytes, last: i === count - 1 };
  }
}

/** Encrypt a File or Blob with `fileKey`; returns {sealed: Blob, sha256: 0x-hex, size}.
 * `onProgress(doneBytes, totalBytes)` after each segment; `signal` stops it. */
export async function sealBlob(blob, fileKey, { segmentLog2 = DEFAULT_SEGMENT_LOG2, onProgress, signal } = {}) {
  const key = await importFileKey(fileKey);
  const head = header(segmentLog2);
  const hash = sha256.create();
  const parts = [head];
  let done = 0;
  onProgress?.(0, blob.size);
  for await (const { index, bytes, last } of pieces(blob, 1 << segmentLog2)) {
    signal?.throwIfAborted();
    hash.update(bytes);
    const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv: segmentNonce(index, last), additionalData: head }, key, bytes);
    parts.push(new Uint8Array(sealed));
    done += bytes.length;
    onProgress?.(done, blob.size);
  }
  return { sealed: new Blob(parts, { type: "application/octet-stream" }), sha256: toHex(hash.digest()), size: done };
}

/** Decrypt a sealed document (Blob) with `fileKey`; returns {plaintext: Blob, sha256, size}.
 * Throws EnvelopeIntegrityError if any segment fails: nothing of it is to be used then. */
export async function openBlob(sealedBlob, fileKey, { type = "application/octet-stream", onProgress, signal } = {}) {
  const key = await importFileKey(fileKey);
  const head = new Uint8Array(await sealedBlob.slice(0, HEADER_BYTES).arrayBuffer());
  if (head.length !== HEADER_BYTES || MAGIC.some((b, i) => head[i] !== b)) {
    throw new EnvelopeFormatError("not a sealed document (no POCX header)");
  }
  if (head[4] !== FORMAT_VERSION || head[6] !== 0 || head[7] !== 0) {
    throw new EnvelopeFormatError(`sealed document of unknown format version ${head[4]}`);
  }
  requireSegmentLog2(head[5]);
  const body = sealedBlob.slice(HEADER_BYTES);
  const hash = sha256.create();
  const parts = [];
  let done = 0;
  for await (const { index, bytes, last } of pieces(body, (1 << head[5]) + TAG_BYTES)) {
    signal?.throwIfAborted();
    if (bytes.length < TAG_BYTES) throw new EnvelopeIntegrityError("sealed document truncated inside a segment's tag");
    let plain;
    try {
      plain = new Uint8Array(
        await crypto.subtle.decrypt({ name: "AES-GCM", iv: segmentNonce(index, last), additionalData: head }, key, bytes),
      );
    } catch {
      throw new EnvelopeIntegrityError(
        `segment ${index} does not open: the document was altered, truncated or extended, or the key is not its key`,
      );
    }
    hash.update(plain);
    parts.push(plain);
    done += plain.length;
    onProgress?.(done, body.size);
  }
  return { plaintext: new Blob(parts, { type }), sha256: toHex(hash.digest()), size: done };
}

// --------------------------------------------------------------------------- wrapped keys

/** HPKE `info`: the prefix, the 32-byte disclosure id, the recipient's 20-byte address. */
export function wrapInfo(disclosureId, recipient) {
  const id = fromHex(disclosureId);
  const address = fromHex(recipient);
  if (id.length !== 32 || address.length !== 20) throw new EnvelopeFormatError("disclosure id is 32 bytes, an address 20");
  return concat(WRAP_INFO_PREFIX, id, address);
}

/** The key envelope sealed to one recipient's raw X25519 public key (0x-hex or bytes):
 * HPKE's encapsulated key (32 bytes) then its ciphertext, as bytes. */
export async function wrapKey(envelope, recipientPublicKey, { disclosureId, recipient }) {
  const raw = typeof recipientPublicKey === "string" ? fromHex(recipientPublicKey) : recipientPublicKey;
  if (raw.length !== 32) throw new EnvelopeFormatError("an X25519 public key is 32 bytes");
  const publicKey = await suite.DeserializePublicKey(raw);
  const { encapsulatedSecret, ciphertext } = await suite.Seal(publicKey, envelopeToBytes(envelope), {
    info: wrapInfo(disclosureId, recipient),
  });
  return concat(encapsulatedSecret, ciphertext);
}

/** Open a wrapped key envelope with the recipient's key pair (from `generateKeyPair` or
 * `importKeyPair`). */
export async function unwrapKey(wrapped, keyPair, { disclosureId, recipient }) {
  if (!(wrapped instanceof Uint8Array) || wrapped.length < ENC_BYTES + TAG_BYTES) {
    throw new EnvelopeFormatError("wrapped key too short");
  }
  let plain;
  try {
    plain = await suite.Open(keyPair, wrapped.slice(0, ENC_BYTES), wrapped.slice(ENC_BYTES), {
      info: wrapInfo(disclosureId, recipient),
    });
  } catch {
    throw new EnvelopeIntegrityError("wrapped key does not open: altered, or not for this recipient, key or disclosure");
  }
  return envelopeFromBytes(plain);
}

// ----------------------------------------------------------------------------------- keys
// A recipient's key is handled as an HPKE key pair {privateKey, publicKey}: decapsulation
// needs the recipient's public key too, and a private key kept non-extractable cannot give it.

/** A fresh X25519 key pair: {keyPair (for unwrapKey), publicKey: raw 32 bytes to publish}. Its
 * private key is extractable once, so that the partner can keep a backup (exportPrivateKey). */
export async function generateKeyPair() {
  const keyPair = await suite.GenerateKeyPair(true);
  return { keyPair, publicKey: await suite.SerializePublicKey(keyPair.publicKey) };
}

/** The raw 32-byte private key of a pair made by generateKeyPair (for the partner's backup). */
export async function exportPrivateKey(keyPair) {
  return suite.SerializePrivateKey(keyPair.privateKey);
}

/** A key pair from its raw private and public keys (a backup, or storage), the private key
 * non-extractable unless asked. A public key not matching the private key opens nothing. */
export async function importKeyPair(rawPrivate, rawPublic, { extractable = false } = {}) {
  for (const raw of [rawPrivate, rawPublic]) {
    if (!(raw instanceof Uint8Array) || raw.length !== 32) throw new EnvelopeFormatError("an X25519 key is 32 bytes");
  }
  return {
    privateKey: await suite.DeserializePrivateKey(rawPrivate, extractable),
    publicKey: await suite.DeserializePublicKey(rawPublic),
  };
}

// ----------------------------------------------------------------- the recipient's check

/** Before acknowledging: the opened document has the envelope's size, and its SHA-256 with the
 * envelope's salt gives the commitment disclosed on chain. Throws EnvelopeIntegrityError. */
export function checkOpened(envelope, opened, { sharer, projectId, contentCommitment }) {
  if (opened.size !== envelope.size) {
    throw new EnvelopeIntegrityError(`the document has ${opened.size} bytes, its envelope says ${envelope.size}`);
  }
  const computed = commitment(sharer, projectId, opened.sha256, envelope.salt);
  if (computed.toLowerCase() !== contentCommitment.toLowerCase()) {
    throw new EnvelopeIntegrityError(
      `the document's SHA-256 and salt do not give the commitment disclosed on chain (computed ${computed}, disclosed ${contentCommitment})`,
    );
  }
}
