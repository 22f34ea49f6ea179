// Register a file as a contribution with the partner's own key, signed with ethers 6.
//
//   API_URL=http://127.0.0.1:8000 API_KEY=poc_... PRIVATE_KEY=0x... PROJECT_ID=1 \
//     node docs/examples/register-with-ethers.mjs FILE
//
// What it shows (docs/api.md): the file is hashed here and never sent; the commitment is
// keccak256(abi.encode(address, uint32 projectId, bytes32 sha256(file), bytes32 salt)); the
// service prepares the EIP-712 typed data (wide integers as decimal strings, which ethers reads
// as they are), the partner signs it, posts the body back with signature, nonce and deadline,
// and waits for the operation. It prints the opening (content hash and salt): keep it, it is
// what proves the contribution later.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { AbiCoder, TypedDataEncoder, Wallet, hexlify, keccak256 } from "ethers";

const { API_URL, API_KEY, PRIVATE_KEY, PROJECT_ID } = process.env;
const file = process.argv[2];
if (!API_URL || !API_KEY || !PRIVATE_KEY || !PROJECT_ID || !file) {
  console.error("usage: API_URL=… API_KEY=… PRIVATE_KEY=… PROJECT_ID=… node register-with-ethers.mjs FILE");
  process.exit(2);
}

async function api(method, path, body) {
  const response = await fetch(API_URL + path, {
    method,
    headers: { "X-API-Key": API_KEY, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${data.code}: ${data.message}`);
  return data;
}

const wallet = new Wallet(PRIVATE_KEY);
const me = await api("GET", "/v1/me");
if (me.partner !== wallet.address) throw new Error(`the API key acts for ${me.partner}, the key is ${wallet.address}'s`);

const projectId = Number(PROJECT_ID);
const contentHash = "0x" + createHash("sha256").update(readFileSync(file)).digest("hex");
const salt = hexlify(randomBytes(32));
const commitment = keccak256(
  AbiCoder.defaultAbiCoder().encode(
    ["address", "uint32", "bytes32", "bytes32"],
    [wallet.address, projectId, contentHash, salt],
  ),
);
// `value` is a uint64: a decimal string (a JSON number is taken only below 2^53).
const body = { commitment, origin: "result", category: 0, value: "40", parents: [], uri: "" };

const collection = `/v1/projects/${projectId}/contributions`;
const prepared = await api("POST", `${collection}/prepare`, body);
const { domain, types, message } = prepared.typedData;
const signedTypes = { ...types };
delete signedTypes.EIP712Domain; // ethers derives the domain type from `domain`
const digest = TypedDataEncoder.hash(domain, signedTypes, message);
if (digest !== prepared.digest) throw new Error(`digest ${digest} differs from the service's ${prepared.digest}`);
const signature = await wallet.signTypedData(domain, signedTypes, message);

let operation = await api("POST", collection, {
  ...body,
  signature,
  nonce: prepared.nonce,
  deadline: prepared.deadline,
});
while (!["confirmed", "failed"].includes(operation.status)) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  operation = await api("GET", operation.statusUrl);
}
if (operation.status === "failed") throw new Error(`${operation.error.code}: ${operation.error.message}`);
console.log(JSON.stringify({ contributionId: operation.resourceId, digest, contentHash, salt }));
