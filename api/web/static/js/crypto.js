// Hashing on the partner's own machine: the file is read and hashed here and only the
// hash (inside a salted commitment) is ever sent.

import { keccak256 } from "./keccak.js";

export function toHex(bytes) {
  return "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(hex) {
  const clean = hex.startsWith("0x") ? hex.slice(2) : hex;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** SHA-256 of a File or Blob with Web Crypto, as 0x-hex. */
export async function sha256File(file) {
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return toHex(new Uint8Array(digest));
}

export async function sha256Text(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return toHex(new Uint8Array(digest));
}

/** 32 random bytes from the browser's CSPRNG, as 0x-hex. */
export function newSalt() {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

// abi.encode of static types: every value is one left-padded 32-byte word.
function word(bytes) {
  const out = new Uint8Array(32);
  out.set(bytes, 32 - bytes.length);
  return out;
}

function uintWord(value) {
  const out = new Uint8Array(32);
  let v = BigInt(value);
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function encode(words) {
  const out = new Uint8Array(32 * words.length);
  words.forEach((w, i) => out.set(w, 32 * i));
  return out;
}

/** keccak256(abi.encode(address contributor, uint32 projectId, bytes32 contentHash,
 * bytes32 salt)): the commitment registered instead of the file (docs/design.md). */
export function commitment(contributor, projectId, contentHash, salt) {
  return toHex(
    keccak256(
      encode([word(fromHex(contributor)), uintWord(projectId), fromHex(contentHash), fromHex(salt)]),
    ),
  );
}

/** keccak256(abi.encode(uint32 projectId, address contributor, bytes32 commitment)): the id
 * the ledger gives the contribution. */
export function contributionId(projectId, contributor, commitmentHex) {
  return toHex(
    keccak256(encode([uintWord(projectId), word(fromHex(contributor)), fromHex(commitmentHex)])),
  );
}

export { keccak256 };
