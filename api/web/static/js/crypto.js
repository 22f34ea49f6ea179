// Hashing on the partner's own machine: the file is read and hashed here and only the
// hash (inside a salted commitment) is ever sent. The hash functions are @noble/hashes,
// vendored by scripts/vendor_web.py (the browser's Web Crypto has no Keccak-256, and its
// SHA-256 only takes the whole input at once).

import { sha256 } from "../vendor/noble-hashes/sha2.js";
import { keccak_256 } from "../vendor/noble-hashes/sha3.js";
import { bytesToHex, hexToBytes } from "../vendor/noble-hashes/utils.js";

export function toHex(bytes) {
  return "0x" + bytesToHex(bytes);
}

/** 0x-hex (or bare hex) to bytes; throws on anything that is not an even run of hex digits. */
export function fromHex(hex) {
  return hexToBytes(hex.startsWith("0x") ? hex.slice(2) : hex);
}

/** keccak256(bytes) -> Uint8Array(32), as Ethereum uses it (not SHA3-256). */
export function keccak256(bytes) {
  return keccak_256(bytes);
}

// One step of hashing: large enough that reading costs little next to hashing, small enough
// that a step blocks the page only briefly and that memory stays flat whatever the file size.
export const HASH_CHUNK_BYTES = 1024 * 1024;
// Reads of an in-memory Blob resolve at once, so hashing would hold the page for the whole
// file: after this much work it lets the page paint and handle clicks (the stop button).
const HASH_SLICE_MS = 25;

// A plain task boundary (not scheduler.yield, whose continuation jumps the queue): whatever
// waits, a click, a repaint or a test's probe, gets its turn.
const yieldToPage = () => new Promise((resolve) => setTimeout(resolve, 0));

/** SHA-256 of a File or Blob as 0x-hex, read as a stream so that memory does not grow with
 * the file. `onProgress(doneBytes, totalBytes)` is called before the first chunk and after
 * each one; aborting `signal` stops reading and rejects with its reason (an "AbortError"
 * DOMException unless the caller gave another). */
export async function sha256File(file, { onProgress, signal, chunkBytes = HASH_CHUNK_BYTES } = {}) {
  signal?.throwIfAborted();
  const hash = sha256.create();
  const total = file.size;
  let done = 0;
  let sliceStart = performance.now();
  onProgress?.(0, total);
  const stream = file.stream();
  const step = async (bytes) => {
    signal?.throwIfAborted();
    hash.update(bytes);
    done += bytes.length;
    onProgress?.(done, total);
    if (performance.now() - sliceStart > HASH_SLICE_MS) {
      await yieldToPage();
      signal?.throwIfAborted();
      sliceStart = performance.now();
    }
  };
  let reader;
  try {
    // A byte stream read into one buffer, handed back and forth: no garbage per chunk.
    reader = stream.getReader({ mode: "byob" });
  } catch {
    reader = null;
  }
  try {
    if (reader) {
      let buffer = new ArrayBuffer(chunkBytes);
      for (let finished = false; !finished; ) {
        // Fill the buffer before hashing: reads may return less than asked for.
        let filled = 0;
        while (filled < chunkBytes) {
          const { done: end, value } = await reader.read(new Uint8Array(buffer, filled));
          signal?.throwIfAborted();
          if (end) {
            finished = true;
            if (value) buffer = value.buffer;
            break;
          }
          buffer = value.buffer;
          filled += value.byteLength;
        }
        if (filled) await step(new Uint8Array(buffer, 0, filled));
      }
    } else {
      // Streams without byte reads (older browsers): hash the chunks as they come.
      reader = stream.getReader();
      for (;;) {
        const { done: end, value } = await reader.read();
        if (end) break;
        await step(value);
      }
    }
  } catch (error) {
    reader?.cancel().catch(() => {});
    throw error;
  }
  if (done !== total) throw new Error(`read ${done} of ${total} bytes: the file changed while it was read`);
  return toHex(hash.digest());
}

export async function sha256Text(text) {
  return toHex(sha256(new TextEncoder().encode(text)));
}

/** 32 random bytes from the browser's CSPRNG, as 0x-hex: the salts of the knowledge exchange
 * (a shared document's commitment, whose salt travels in its encrypted key envelope, and the
 * salted hashes of reasons). Registrations derive their salts from the proof secret instead
 * (secret.js, `deriveSalt`). */
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

/** An address in its EIP-55 checksummed form; throws on anything that is not 20 bytes of
 * 0x-hex, or on mixed case that is not the checksummed form (a typo, most likely). */
export function checksumAddress(address) {
  if (typeof address !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new Error(`not an address: ${address}`);
  }
  const lower = address.slice(2).toLowerCase();
  const hash = bytesToHex(keccak_256(new TextEncoder().encode(lower)));
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    out += parseInt(hash[i], 16) >= 8 ? lower[i].toUpperCase() : lower[i];
  }
  const digits = address.slice(2);
  const mixed = digits !== digits.toLowerCase() && digits !== digits.toUpperCase();
  if (mixed && digits !== out.slice(2)) throw new Error(`not an address (checksum): ${address}`);
  return out;
}
