// The same registration as register-with-ethers.mjs, signed with viem 2.
//
//   API_URL=http://127.0.0.1:8000 API_KEY=poc_... PRIVATE_KEY=0x... PROJECT_ID=1 \
//     node docs/examples/register-with-viem.mjs FILE
//
// viem wants a bigint for every integer field wider than 53 bits; the API sends those as
// decimal strings (docs/api.md, "Integers"), so `bigints` turns them into BigInt by their
// EIP-712 type before signing. Never parse them as JSON numbers: that rounds them.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { encodeAbiParameters, hashTypedData, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

const { API_URL, API_KEY, PRIVATE_KEY, PROJECT_ID } = process.env;
const file = process.argv[2];
if (!API_URL || !API_KEY || !PRIVATE_KEY || !PROJECT_ID || !file) {
  console.error("usage: API_URL=… API_KEY=… PRIVATE_KEY=… PROJECT_ID=… node register-with-viem.mjs FILE");
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

// Each (u)intN field with N > 53 arrives as a decimal string: make it a BigInt.
function bigints(fields, values) {
  const out = { ...values };
  for (const { name, type } of fields) {
    if (/^u?int(\d+)$/.test(type) && Number(type.match(/\d+/)[0]) > 53) out[name] = BigInt(values[name]);
  }
  return out;
}

const account = privateKeyToAccount(PRIVATE_KEY);
const me = await api("GET", "/v1/me");
if (me.partner !== account.address) throw new Error(`the API key acts for ${me.partner}, the key is ${account.address}'s`);

const projectId = Number(PROJECT_ID);
const contentHash = "0x" + createHash("sha256").update(readFileSync(file)).digest("hex");
const salt = toHex(randomBytes(32));
const commitment = keccak256(
  encodeAbiParameters(
    [{ type: "address" }, { type: "uint32" }, { type: "bytes32" }, { type: "bytes32" }],
    [account.address, projectId, contentHash, salt],
  ),
);
const body = { commitment, origin: "result", category: 0, value: "40", parents: [], uri: "" };

const collection = `/v1/projects/${projectId}/contributions`;
const prepared = await api("POST", `${collection}/prepare`, body);
const { types, primaryType } = prepared.typedData;
const typedData = {
  domain: bigints(types.EIP712Domain, prepared.typedData.domain),
  types,
  primaryType,
  message: bigints(types[primaryType], prepared.typedData.message),
};
const digest = hashTypedData(typedData);
if (digest !== prepared.digest) throw new Error(`digest ${digest} differs from the service's ${prepared.digest}`);
const signature = await account.signTypedData(typedData);

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
