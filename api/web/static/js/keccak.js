// Keccak-256 as Ethereum uses it (original Keccak padding, not SHA3-256), written from the
// FIPS 202 description: the browser's Web Crypto has SHA-256 but no Keccak, and the
// commitment a partner registers is keccak256(abi.encode(...)). Inputs here are a few
// hundred bytes at most, so 64-bit lanes as BigInt are fast enough and easy to check.

const MASK = (1n << 64n) - 1n;
const RATE_BYTES = 136; // 1088-bit rate of Keccak-256

// Round constants from the degree-8 LFSR of the specification, not a copied table.
function lfsrBit(t) {
  let r = 1;
  for (let i = 0; i < t % 255; i++) {
    r <<= 1;
    if (r & 0x100) r ^= 0x171;
  }
  return r & 1;
}

const ROUND_CONSTANTS = Array.from({ length: 24 }, (_, round) => {
  let rc = 0n;
  for (let j = 0; j < 7; j++) {
    if (lfsrBit(j + 7 * round)) rc |= 1n << BigInt((1 << j) - 1);
  }
  return rc;
});

// Rotation offsets, walked as in the specification: (x, y) -> (y, 2x + 3y).
const ROTATIONS = (() => {
  const r = new Array(25).fill(0);
  let x = 1;
  let y = 0;
  for (let t = 0; t < 24; t++) {
    r[x + 5 * y] = (((t + 1) * (t + 2)) / 2) % 64;
    [x, y] = [y, (2 * x + 3 * y) % 5];
  }
  return r;
})();

function rotl(value, n) {
  if (n === 0) return value;
  const s = BigInt(n);
  return ((value << s) | (value >> (64n - s))) & MASK;
}

function permute(a) {
  const c = new Array(5);
  const b = new Array(25);
  for (let round = 0; round < 24; round++) {
    for (let x = 0; x < 5; x++) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (let x = 0; x < 5; x++) {
      const d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
      for (let y = 0; y < 25; y += 5) a[x + y] ^= d;
    }
    for (let x = 0; x < 5; x++) {
      for (let y = 0; y < 5; y++) {
        b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(a[x + 5 * y], ROTATIONS[x + 5 * y]);
      }
    }
    for (let y = 0; y < 25; y += 5) {
      for (let x = 0; x < 5; x++) {
        a[x + y] = b[x + y] ^ (~b[((x + 1) % 5) + y] & MASK & b[((x + 2) % 5) + y]);
      }
    }
    a[0] ^= ROUND_CONSTANTS[round];
  }
}

/** keccak256(bytes) -> Uint8Array(32). */
export function keccak256(bytes) {
  const padded = new Uint8Array(Math.ceil((bytes.length + 1) / RATE_BYTES) * RATE_BYTES);
  padded.set(bytes);
  padded[bytes.length] ^= 0x01;
  padded[padded.length - 1] ^= 0x80;
  const state = new Array(25).fill(0n);
  for (let offset = 0; offset < padded.length; offset += RATE_BYTES) {
    for (let lane = 0; lane < RATE_BYTES / 8; lane++) {
      let v = 0n;
      for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(padded[offset + lane * 8 + k]);
      state[lane] ^= v;
    }
    permute(state);
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((state[i >> 3] >> BigInt(8 * (i & 7))) & 0xffn);
  return out;
}
