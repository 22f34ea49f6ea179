// The single-file verifier a lawyer opens: a proof bundle (and the original file) checked in the
// browser, offline, with no install and nothing sent anywhere. Bundled with its libraries into
// ledger/evidence/verifier.html by scripts/build_verifier_html.py (esbuild); docs/proofs.md is
// the specification it follows. It runs the offline checks of `poc verify` that need no trust
// anchors; what it cannot do (a TSA's signature, anything online) it reports as SKIP and names
// the tool that can. It reads three formats: 3 (format 2 with every integer that can exceed
// 2^53 - 1 written as a decimal string, read back here into exact integers by the schema's
// `x-integer` marks), 2 (contribution cards: `contribution.cardHash` and `card`, checked by the
// web pages' own card rules) and 1 (deployments of releases 1.x, whose events, Register and
// batch leaf had no card hash).

import { Interface, defaultAbiCoder } from "@ethersproject/abi";
import { _TypedDataEncoder } from "@ethersproject/hash";
import { parse as parseTransaction, recoverAddress } from "@ethersproject/transactions";
import { RLP } from "@ethereumjs/rlp";
import { Trie } from "@ethereumjs/trie";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { RecordFormatError, canonicalHash, checkCard } from "../../../api/web/static/js/cards.js";

const DATA = JSON.parse(document.getElementById("verifier-data").textContent);
const coder = defaultAbiCoder;
const ledger = new Interface(DATA.ledgerAbi);
// PocLedger's events as earlier releases emit them: one shape each, tried after the current one.
const ledgerShapes = [ledger, ...DATA.earlierLedgerEvents.map((event) => new Interface([event]))];
// And its functions: the calldata of a 1.x registration has the selectors of that release.
const ledgerCalls = [ledger, ...DATA.earlierLedgerFunctions.map((f) => new Interface([f]))];

/** The PocLedger call of `data`, by the current ABI or an earlier release's. */
function parseCall(data) {
  for (const abi of ledgerCalls) {
    try {
      return abi.parseTransaction({ data });
    } catch {
      // not a function of this shape; try the next
    }
  }
  throw new Error(`calldata selector ${String(data).slice(0, 10)} is not a ledger function`);
}
const checkpoints = new Interface(DATA.checkpointsAbi);
const exchange = new Interface(DATA.exchangeAbi);
const TIMESTAMP_DOMAIN = DATA.timestampDomain;
const FORMATS = [1, 2, 3];
// From this format on, wide integers are decimal strings (DATA.bundleSchema marks where).
const TEXT_INTEGERS = 3;
const ZERO32 = "0x" + "00".repeat(32);
const BLOCK_LEAF = ["uint256", "bytes32"];
const HISTORY = new Set([
  "Endorsed",
  "DisputeOpened",
  "DisputeVoted",
  "DisputeResolved",
  "ContributionWithdrawn",
  "ContributionSuperseded",
]);
// PocExchange's events in a history, logs of `chain.exchange` (docs/proofs.md): a disclosure
// naming the contribution, its recipients' answers, access-rights requests and their answers.
const DISCLOSED = "Disclosed";
const RECEIPTS = new Set(["DisclosureAcknowledged", "DisclosureDeclined"]);
const ACCESS = new Set(["AccessRequested", "AccessGranted", "AccessRefused", "AccessRequestWithdrawn"]);
const EXCHANGE_EVENTS = new Set([DISCLOSED, ...RECEIPTS, ...ACCESS]);

// -- bytes ------------------------------------------------------------------------------------

const hex = (bytes) => "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
function unhex(text) {
  if (typeof text !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(text)) throw new Error("not hex");
  const out = new Uint8Array((text.length - 2) / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}
const keccak = (bytes) => hex(keccak_256(bytes));
const same = (a, b) => String(a).toLowerCase() === String(b).toLowerCase();
const toNumber = (value) => (typeof value === "bigint" ? value : BigInt(value.toString()));

/** A JSON value as the bundle states event arguments (docs/proofs.md, "JSON form"). */
function jsonOf(param, value) {
  if (param.baseType === "array") return value.map((v) => jsonOf(param.arrayChildren, v));
  if (param.baseType === "tuple") {
    const out = {};
    param.components.forEach((c, i) => (out[c.name] = jsonOf(c, value[i])));
    return out;
  }
  if (param.type === "address") return value;
  if (param.type.startsWith("bytes")) return String(value).toLowerCase();
  if (param.type === "bool") return Boolean(value);
  if (/^u?int/.test(param.type)) return toNumber(value);
  return value;
}
function equalJson(stated, actual) {
  if (typeof actual === "bigint") return typeof stated === "number" || typeof stated === "bigint"
    ? BigInt(stated) === actual : false;
  if (Array.isArray(actual)) return Array.isArray(stated) && stated.length === actual.length
    && actual.every((a, i) => equalJson(stated[i], a));
  if (actual && typeof actual === "object") return stated && typeof stated === "object"
    && Object.keys(actual).every((k) => equalJson(stated[k], actual[k]))
    && Object.keys(stated).every((k) => k in actual);
  if (typeof actual === "string") return same(stated, actual);
  return stated === actual;
}

// -- one check at a time ----------------------------------------------------------------------

class Problems {
  constructor() { this.items = []; }
  add(message, ...fields) { this.items.push({ message, fields }); }
  expect(ok, message, ...fields) { if (!ok) this.add(message, ...fields); return ok; }
}

async function run(report, name, body, ...fieldsOnError) {
  const p = new Problems();
  let detail = "";
  try {
    detail = (await body(p)) || "";
  } catch (error) {
    p.add(`cannot check: ${String(error && error.message ? error.message : error).slice(0, 200)}`,
      ...fieldsOnError);
  }
  const fields = [...new Set(p.items.flatMap((i) => i.fields))];
  report.push(p.items.length
    ? { name, verdict: "FAIL", detail: p.items.map((i) => i.message).join("; "), fields }
    : { name, verdict: "PASS", detail, fields: [] });
}

// -- block evidence ---------------------------------------------------------------------------

const trie = new Trie();

async function inTrie(root, index, proof) {
  const value = await trie.verifyProof(root, RLP.encode(index), proof.map(unhex));
  return value ? hex(value) : null;
}

function header(raw) {
  const fields = RLP.decode(unhex(raw));
  const int = (b) => (b.length ? BigInt(hex(b)) : 0n);
  return { hash: keccak(unhex(raw)), txRoot: fields[4], receiptsRoot: fields[5],
    number: int(fields[8]), timestamp: int(fields[11]) };
}

function receiptLogs(raw) {
  let bytes = unhex(raw);
  if (bytes[0] < 0x7f) bytes = bytes.slice(1); // EIP-2718 type byte
  const [status, cumulative, , logs] = RLP.decode(bytes);
  return { ok: status.length === 1 && status[0] === 1,
    cumulativeGas: cumulative.length ? BigInt(hex(cumulative)) : 0n,
    logs: logs.map(([address, topics, data]) => ({ address: hex(address),
      topics: topics.map(hex), data: hex(data), dataBytes: data.length, topicCount: topics.length })) };
}

/** docs/proofs.md, "Log indexes offline": exact for a block's first transaction, else within
 * what the receipt's cumulative gas allows the earlier transactions to have logged. */
function logIndexBounds(p, log, receipt, position, tx, blockAt) {
  const index = BigInt(log.logIndex);
  const at = BigInt(position);
  if (BigInt(log.txIndex) === 0n) {
    p.expect(index === at, `the log is number ${position} of its block, not ${log.logIndex}`,
      blockAt("logIndex"));
    return;
  }
  const data = unhex(tx.data);
  let g = 21000n;
  for (const byte of data) g += byte === 0 ? 4n : 16n;
  for (const l of receipt.logs) g += 375n + 375n * BigInt(l.topicCount) + 8n * BigInt(l.dataBytes);
  let earlier = receipt.cumulativeGas - (g + 1n) / 2n;
  if (earlier < 0n) earlier = 0n;
  p.expect(at <= index && index <= at + (2n * earlier) / 375n,
    "the log index is outside what its receipt allows", blockAt("logIndex"));
}

/** Prove one cited log (header, transaction and receipt tries, the log with its arguments);
 * returns the decoded arguments of the stated event, or null. */
async function proveLog(p, path, log, { contract, chainId, abi, blockPath, argField }) {
  const at = (field) => `${path}.${field}`;
  const blockAt = (field) => `${blockPath || path}.${field}`;
  const h = header(log.header);
  p.expect(same(h.hash, log.blockHash), "the header does not hash to the block hash",
    at("header"), blockAt("blockHash"));
  p.expect(h.number === BigInt(log.blockNumber), "the header is another block", blockAt("blockNumber"));
  p.expect(h.timestamp === BigInt(Date.parse(log.blockTimestamp) / 1000),
    "the header has another time", blockAt("blockTimestamp"));
  p.expect(await inTrie(h.txRoot, log.txIndex, log.transactionProof) === log.transaction.toLowerCase(),
    "the transaction is not in the block at that index", at("transaction"), blockAt("txIndex"));
  p.expect(await inTrie(h.receiptsRoot, log.txIndex, log.receiptProof) === log.receipt.toLowerCase(),
    "the receipt is not in the block at that index", at("receipt"), blockAt("txIndex"));
  p.expect(same(keccak(unhex(log.transaction)), log.txHash), "the transaction does not hash to txHash",
    blockAt("txHash"));
  const tx = parseTransaction(log.transaction);
  p.expect(BigInt(tx.chainId) === BigInt(chainId), "the transaction is for another chain",
    "chain.chainId");
  const receipt = receiptLogs(log.receipt);
  p.expect(receipt.ok, "the transaction failed", at("receipt"));
  // The event in each shape it has had (PocLedger's earlier releases too), and the logs of
  // the contract with one of those topics.
  const found = [];
  for (const shape of abi === ledger ? ledgerShapes : [abi]) {
    let event = null;
    try { event = shape.getEvent(log.event); } catch { continue; }
    const topic = shape.getEventTopic(event);
    for (const l of receipt.logs) {
      if (same(l.address, contract) && same(l.topics[0], topic)) found.push({ shape, event, log: l });
    }
  }
  if (!p.expect(found.length > 0, `the receipt has no ${log.event} log of the contract`, at("receipt"))) {
    return null;
  }
  let best = null;
  let bestWrong = null;
  let bestScore = Infinity;
  let bestLog = null;
  let bestEvent = null;
  for (const candidate of found) {
    const parsed = candidate.shape.parseLog(candidate.log);
    const inputs = candidate.event.inputs;
    const wrong = inputs.filter((input, i) =>
      !equalJson(log.args[input.name], jsonOf(input, parsed.args[i])))
      .map((i) => (argField ? argField(i.name) : at(`args.${i.name}`)));
    // An argument stated that this shape lacks (a card hash on a log of release 1.x) counts
    // against it too (reported below).
    const names = new Set(inputs.map((i) => i.name));
    const score = wrong.length + Object.keys(log.args || {}).filter((k) => !names.has(k)).length;
    if (score < bestScore) {
      [best, bestWrong, bestScore, bestLog, bestEvent] = [parsed, wrong, score, candidate.log, candidate.event];
    }
  }
  if (bestWrong.length) p.add(`the ${log.event} log in the receipt says otherwise`, ...bestWrong);
  logIndexBounds(p, log, receipt, receipt.logs.indexOf(bestLog), tx, blockAt);
  const known = new Set(bestEvent.inputs.map((i) => i.name));
  const extra = Object.keys(log.args || {}).filter((k) => !known.has(k));
  if (extra.length) {
    p.add(`the ${log.event} log has no argument ${extra.join(", ")}`,
      ...extra.map((k) => (argField ? argField(k) : at(`args.${k}`))));
  }
  return { args: best.args, tx };
}

// -- the checks -------------------------------------------------------------------------------

function registrationLog(b) {
  return { event: "ContributionRegistered", args: registeredArgs(b.contribution), ...b.chain, ...b.inclusion };
}

// ContributionRegistered argument -> the bundle field stating it.
const REGISTERED_FIELD = { category: "contribution.category.id" };

function registeredArgs(c) {
  // Format 2 states the card hash (the event has it from release 2.0.0 on); format 1 does not.
  const card = "cardHash" in c ? { cardHash: c.cardHash } : {};
  return { projectId: c.projectId, contributionId: c.contributionId, contributor: c.contributor,
    commitment: c.commitment, ...card, origin: c.origin === "Result" ? 1 : 0, category: c.category.id,
    value: c.value, parents: c.parents, supersedes: c.supersedes, batchId: c.batchId,
    registeredAt: Date.parse(c.registeredAt) / 1000, uri: c.uri };
}

async function verifyBundle(b, fileBytes) {
  const report = [];
  const c = b.contribution;
  const chain = b.chain;
  const ctx = { contract: chain.contract, chainId: chain.chainId, abi: ledger };

  await run(report, "format", (p) => {
    p.expect(FORMATS.includes(b.version), "not a proof bundle of format 1, 2 or 3", "version");
    p.expect(b.type === "poc-ledger/contribution-proof", "not a proof bundle", "type");
    for (const part of ["contribution", "policy", "authorisation", "chain", "inclusion", "history"]) {
      p.expect(b[part] && typeof b[part] === "object", `${part} is missing`, part);
    }
    if (b.version >= 2 && b.contribution) {
      p.expect(/^0x[0-9a-fA-F]{64}$/.test(String(c.cardHash)), `format ${b.version} states the card hash`,
        "contribution.cardHash");
      p.expect("card" in b && (b.card === null || (typeof b.card === "object" && !Array.isArray(b.card))),
        `format ${b.version} carries the card (or null)`, "card");
    }
    if (b.version === 1 && b.contribution) {
      p.expect(!("cardHash" in c), "format 1 has no card hash", "contribution.cardHash");
      p.expect(!("card" in b), "format 1 has no card", "card");
    }
    p.expect(b.contribution && b.contribution.hashAlgorithm === "sha256",
      "the content hash must be SHA-256", "contribution.hashAlgorithm");
    p.expect(b.contribution && b.contribution.commitmentFormula === DATA.commitmentFormula,
      "another commitment formula", "contribution.commitmentFormula");
    return `a proof bundle of format ${b.version}`;
  });
  if (report[0].verdict === "FAIL") return report;

  if (fileBytes) {
    await run(report, "file", (p) => {
      p.expect(same(hex(sha256(fileBytes)), c.contentHash),
        "the file's SHA-256 is not the content hash", "contribution.contentHash");
      return "SHA-256 of the file equals the content hash";
    });
  }
  await run(report, "commitment", (p) => {
    const commitment = keccak(unhex(coder.encode(["address", "uint32", "bytes32", "bytes32"],
      [c.contributor, c.projectId, c.contentHash, c.salt])));
    p.expect(same(commitment, c.commitment), "content hash and salt do not open the commitment",
      "contribution.commitment", "contribution.salt", "contribution.contentHash");
    const id = keccak(unhex(coder.encode(["uint32", "address", "bytes32"],
      [c.projectId, c.contributor, c.commitment])));
    p.expect(same(id, c.contributionId), "the contribution id does not follow", "contribution.contributionId");
    return "content hash and salt open the commitment; the id recomputes";
  }, "contribution");
  await run(report, "registration", async (p) => {
    const argField = (name) => REGISTERED_FIELD[name] || `contribution.${name}`;
    await proveLog(p, "inclusion", registrationLog(b), { ...ctx, blockPath: "chain", argField });
    return `in block ${chain.blockNumber}, transaction ${chain.txHash}`;
  }, "inclusion");
  await run(report, "authorisation", (p) => authorisation(p, b), "authorisation");
  if (b.version >= 2) await run(report, "card", (p) => card(p, b), "card");
  await run(report, "policy", async (p) => {
    const proven = await proveLog(p, "policy.evidence", b.policy.evidence, ctx);
    p.expect(b.policy.evidence.event === "PolicySet", "not a PolicySet log", "policy.evidence.event");
    if (proven) {
      const args = b.policy.evidence.args;
      p.expect(same(args.projectId, c.projectId), "the policy is another project's",
        "policy.evidence.args.projectId");
      p.expect(BigInt(args.version) === BigInt(b.policy.version), "another policy version",
        "policy.version");
      p.expect(same(args.policyHash, b.policy.policyHash), "another policy hash", "policy.policyHash");
      const category = b.policy.evidence.args.policy.categories[c.category.id];
      const text = (h) => new TextDecoder().decode(unhex(h)).replace(/\0+$/, "");
      p.expect(category && text(category.name) === c.category.name,
        "the policy names the category otherwise", "contribution.category.name");
      p.expect(category && text(category.unit) === c.category.unit,
        "the policy gives the category another unit", "contribution.category.unit");
      p.expect(before(b.policy.evidence, chain), "the policy was set after the registration",
        "policy.evidence.blockNumber");
    }
    return `policy v${b.policy.version} names category ${c.category.id} ${c.category.name}`;
  }, "policy");
  if (b.identity) {
    await run(report, "identity", async (p) => {
      await proveLog(p, "identity.evidence", b.identity.evidence, ctx);
      const args = b.identity.evidence.args;
      p.expect(same(args.account, c.contributor), "the identity is another account's", "identity.evidence.args.account");
      p.expect(args.name === b.identity.name, "another name", "identity.name");
      p.expect(args.companyNumber === b.identity.companyNumber, "another company number",
        "identity.companyNumber");
      p.expect(before(b.identity.evidence, chain), "declared after the registration", "identity.evidence.blockNumber");
      return `${b.identity.name} declared on the ledger`;
    }, "identity");
  }
  if (b.batch) {
    await run(report, "batch", async (p) => {
      await proveLog(p, "batch.anchor", b.batch.anchor, ctx);
      // Format 1 bundles come from releases whose leaf had no card hash.
      const v2 = b.version >= 2;
      const types = v2 ? DATA.batchLeaf : DATA.batchLeafV1;
      const leaf = [c.commitment, ...(v2 ? [c.cardHash] : []), c.origin === "Result" ? 1 : 0,
        c.category.id, c.value, c.parents];
      p.expect(same(keccak(keccak_256(unhex(coder.encode(types, leaf)))), b.batch.leafHash),
        "the leaf hash is not that of the contribution", "batch.leafHash",
        ...(v2 ? ["contribution.cardHash"] : []));
      p.expect(StandardMerkleTree.verify(b.batch.root, types, leaf, b.batch.merkleProof),
        "the Merkle proof does not lead to the batch root", "batch.merkleProof", "batch.root");
      p.expect(same(b.batch.anchor.args.root, b.batch.root), "another root was anchored", "batch.root");
      p.expect(same(b.batch.anchor.args.batchId, c.batchId), "another batch", "contribution.batchId");
      return `one of ${b.batch.count} records under root ${b.batch.root}`;
    }, "batch");
  }
  for (const [index, entry] of b.history.entries()) {
    const path = `history[${index}]`;
    await run(report, `${path} ${entry.event}`, async (p) => {
      const fromExchange = EXCHANGE_EVENTS.has(entry.event);
      if (fromExchange && !chain.exchange) {
        p.expect(false, `${entry.event} is an event of PocExchange, but the bundle names no exchange`,
          `${path}.event`, "chain.exchange");
        return "not proven";
      }
      await proveLog(p, path, entry, fromExchange
        ? { ...ctx, contract: chain.exchange, abi: exchange } : ctx);
      const args = entry.args || {};
      let about;
      if (entry.event === "ContributionRegistered") {
        about = (args.parents || []).some((x) => same(x, c.contributionId));
      } else if (entry.event === DISCLOSED) {
        about = (args.contributionIds || []).some((x) => same(x, c.contributionId));
      } else if (RECEIPTS.has(entry.event)) {
        // An answer belongs to a disclosure of this contribution listed before it.
        about = b.history.slice(0, index).some((e) => e.event === DISCLOSED
          && e.args && same(e.args.disclosureId, args.disclosureId));
      } else {
        about = (HISTORY.has(entry.event) || ACCESS.has(entry.event))
          && same(args.contributionId, c.contributionId);
      }
      p.expect(about, "the event is not about this contribution", `${path}.args`);
      if (fromExchange) {
        p.expect(String(args.projectId) === String(c.projectId), "in another project",
          `${path}.args.projectId`);
      }
      p.expect(!before(entry, chain), "the event precedes the registration", `${path}.blockNumber`);
      return `${entry.event} in block ${entry.blockNumber}`;
    }, path);
  }
  await run(report, "status", (p) => {
    let implied = "Active";
    for (const e of b.history) {
      if (!same(e.args.contributionId, c.contributionId)) continue;
      if (e.event === "ContributionWithdrawn") implied = "Withdrawn";
      if (e.event === "ContributionSuperseded") implied = "Superseded";
      if (e.event === "DisputeResolved" && Number(e.args.outcome) === 1) implied = "Invalidated";
    }
    p.expect(implied === c.status, `the history makes it ${implied}`, "contribution.status");
    return `${c.status}, as its history implies`;
  }, "contribution.status");
  if (b.timestamp) await run(report, "timestamp", (p) => timestamp(p, b), "timestamp");
  if (b.checkpoint) await run(report, "public anchor", (p) => anchor(p, b), "checkpoint");
  for (const item of report) item.skipped = item.verdict === "SKIP";
  return report;
}

/** JSON paths where `stated` differs from `actual` (hex and addresses case-insensitively,
 * integers by value). */
function diffPaths(stated, actual, path) {
  if (actual !== null && typeof actual === "object" && !Array.isArray(actual)) {
    if (!stated || typeof stated !== "object" || Array.isArray(stated)) return [path];
    const keys = new Set([...Object.keys(stated), ...Object.keys(actual)]);
    return [...keys].flatMap((k) => (k in stated && k in actual
      ? diffPaths(stated[k], actual[k], `${path}.${k}`) : [`${path}.${k}`]));
  }
  if (Array.isArray(actual)) {
    if (!Array.isArray(stated) || stated.length !== actual.length) return [path];
    return actual.flatMap((v, i) => diffPaths(stated[i], v, `${path}[${i}]`));
  }
  const integer = (v) => typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v));
  if (integer(actual)) return integer(stated) && BigInt(stated) === BigInt(actual) ? [] : [path];
  return typeof stated === typeof actual && same(stated, actual) ? [] : [path];
}

function before(log, chain) {
  const a = [BigInt(log.blockNumber), BigInt(log.logIndex)];
  const b = [BigInt(chain.blockNumber), BigInt(chain.logIndex)];
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

async function authorisation(p, b) {
  const c = b.contribution;
  const a = b.authorisation;
  const raw = b.batch ? b.batch.anchor.transaction : b.inclusion.transaction;
  const tx = parseTransaction(raw);
  const call = parseCall(tx.data);
  const own = b.batch ? ["anchorBatch"] : ["register"];
  if (a.method === "transaction") {
    p.expect(own.includes(call.name), `the transaction calls ${call.name}`, "authorisation.method");
    p.expect(same(tx.from, c.contributor), "the transaction was signed by someone else",
      b.batch ? "batch.anchor.transaction" : "inclusion.transaction");
    return `the contributor's own transaction (${call.name})`;
  }
  p.expect(a.method === "eip712", "an unknown method", "authorisation.method");
  p.expect(a.primaryType === (b.batch ? "AnchorBatch" : "Register"), "another primary type",
    "authorisation.primaryType");
  const domain = { name: "PocLedger", version: "1", chainId: b.chain.chainId,
    verifyingContract: b.chain.contract };
  const auth = { signer: a.signer, nonce: a.nonce, deadline: a.deadline };
  let types;
  let message;
  if (b.batch) {
    types = { AnchorBatch: DATA.types.AnchorBatch };
    message = { projectId: c.projectId, root: b.batch.root, count: b.batch.count,
      uri: b.batch.anchor.args.uri, ...auth };
  } else {
    // Register with the card hash (format 2), or as releases 1.x defined it (format 1).
    const v2 = b.version >= 2;
    types = { Register: v2 ? DATA.types.Register : DATA.registerV1 };
    message = { projectId: c.projectId, commitment: c.commitment, ...(v2 ? { cardHash: c.cardHash } : {}),
      origin: c.origin === "Result" ? 1 : 0, category: c.category.id, value: c.value,
      parents: c.parents, supersedes: c.supersedes, uri: c.uri, ...auth };
  }
  const rebuilt = { types: { EIP712Domain: DATA.domainType, ...types },
    primaryType: Object.keys(types)[0], domain, message };
  const differing = diffPaths(a.typedData, rebuilt, "authorisation.typedData");
  p.expect(!differing.length, "the bundled typed data is not the one the fields give", ...differing);
  const digest = _TypedDataEncoder.hash(domain, types, message);
  let signer = null;
  try { signer = recoverAddress(digest, a.signature); } catch { signer = null; }
  p.expect(signer && same(signer, c.contributor) && same(a.signer, c.contributor),
    "the signature does not recover the contributor", "authorisation.signature", "authorisation.signer");
  const expected = b.batch ? "anchorBatchBySig" : "registerBySig";
  if (p.expect(call.name === expected, `the transaction calls ${call.name}`, "authorisation.method")) {
    const sent = call.args.auth;
    p.expect(same(sent.signature, a.signature) && same(sent.signer, a.signer)
      && toNumber(sent.nonce) === BigInt(a.nonce) && toNumber(sent.deadline) === BigInt(a.deadline),
    "the transaction carries another authorisation", "authorisation.signature", "authorisation.nonce");
  }
  return `signed by the contributor (EIP-712 ${b.batch ? "AnchorBatch" : "Register"})`;
}

/** The bundled card is the one whose hash the contributor signed (the cardHash the registration
 * log and the signature were checked to carry), and a card by the format's rules. */
function card(p, b) {
  const signed = String(b.contribution.cardHash);
  if (b.card === null) {
    return same(signed, ZERO32) ? "registered without a card"
      : `the card is not in the bundle; its hash ${signed.slice(0, 18)}… is signed`;
  }
  if (!p.expect(!same(signed, ZERO32),
    "the bundle carries a card, but the contribution was registered without one", "card",
    "contribution.cardHash")) return "";
  try {
    checkCard(b.card);
  } catch (error) {
    if (!(error instanceof RecordFormatError)) throw error;
    p.add(`the card is malformed: ${error.message}`, error.field ? `card.${error.field}` : "card");
    return "";
  }
  const computed = canonicalHash(b.card);
  p.expect(same(computed, signed),
    `the card hashes to ${computed}, not to the signed cardHash ${signed}: it was changed after registration`,
    "card");
  return `the card ("${b.card.title}") hashes to the cardHash the contributor signed`;
}

function timestamp(p, b) {
  const c = b.contribution;
  const t = b.timestamp;
  const message = unhex(coder.encode(
    ["bytes32", "uint256", "address", "bytes32", "bytes32", "bytes32"],
    [TIMESTAMP_DOMAIN, b.chain.chainId, b.chain.contract, c.contributionId, c.commitment, b.chain.blockHash]));
  const imprint = hex(sha256(message));
  p.expect(same(t.messageImprint, imprint),
    "the token's imprint is not that of this registration", "timestamp.messageImprint");
  const response = Uint8Array.from(atob(t.response), (ch) => ch.charCodeAt(0));
  p.expect(hex(response).includes(imprint.slice(2)), "the token holds another imprint", "timestamp.response");
  return "SKIP";
}

async function anchor(p, b) {
  const cp = b.checkpoint;
  const args = cp.log.args;
  await proveLog(p, "checkpoint.log", cp.log, { contract: cp.contract, chainId: cp.chainId, abi: checkpoints });
  p.expect(BigInt(args.sourceChainId) === BigInt(b.chain.chainId), "a checkpoint of another chain",
    "checkpoint.log.args.sourceChainId");
  const n = BigInt(b.chain.blockNumber);
  p.expect(BigInt(args.fromBlock) <= n && n <= BigInt(args.toBlock), "the block is outside the checkpoint",
    "checkpoint.log.args.fromBlock");
  p.expect(StandardMerkleTree.verify(args.root, BLOCK_LEAF, [b.chain.blockNumber, b.chain.blockHash], cp.merkleProof),
    "the Merkle proof does not lead from the block to the checkpoint's root", "checkpoint.merkleProof");
  return `block ${b.chain.blockNumber} under checkpoint ${args.sequence} on chain ${cp.chainId}, `
    + `public block ${cp.log.blockNumber} at ${cp.log.blockTimestamp}`;
}

// -- the page ---------------------------------------------------------------------------------

let language = navigator.language && navigator.language.startsWith("nl") ? "nl" : "en";
const t = (key, values = {}) =>
  (DATA.text[language][key] || key).replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ""));

function translate() {
  document.documentElement.lang = language;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
}

function show(report) {
  const list = document.getElementById("checks");
  list.replaceChildren();
  for (const item of report) {
    const li = document.createElement("li");
    li.className = item.verdict.toLowerCase();
    li.dataset.check = item.name;
    const verdict = document.createElement("strong");
    verdict.textContent = t(`verdict.${item.verdict}`);
    li.append(verdict, ` ${item.name}: ${item.verdict === "SKIP" ? t("skip.timestamp") : item.detail}`);
    if (item.fields.length) {
      const fields = document.createElement("code");
      fields.textContent = item.fields.join(", ");
      li.append(` ${t("fields")} `, fields);
    }
    list.append(li);
  }
  const failed = report.filter((i) => i.verdict === "FAIL").length;
  const summary = document.getElementById("summary");
  summary.className = failed ? "fail" : "pass";
  summary.textContent = failed ? t("summary.fail", { n: failed }) : t("summary.pass");
}

// -- format 3: wide integers as decimal strings -----------------------------------------------

const SCHEMA = DATA.bundleSchema;
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function resolve(node) {
  while (node && typeof node.$ref === "string") {
    node = node.$ref.replace(/^#\//, "").split("/").reduce((at, part) => at[part], SCHEMA);
  }
  return node;
}

/** The `if` of the bundle schema: every named property that is there has its `const`. */
function holds(condition, value) {
  if (!isObject(value)) return false;
  for (const [name, rule] of Object.entries(condition.properties || {})) {
    if (!Object.hasOwn(value, name)) {
      if ((condition.required || []).includes(name)) return false;
      continue;
    }
    if ("const" in rule && value[name] !== rule.const) return false;
  }
  return true;
}

/** [parent, key, JSON path, ABI type] of every place the schema puts a decimal-string integer
 * in `document`, reading the document only where it has the schema's shape (a hostile one gives
 * fewer places, never an exception). The same walk as ledger.evidence.schema.wide_integer_fields. */
function wideIntegerFields(document) {
  const found = new Map();
  const stack = [[SCHEMA, document, null, null, ""]];
  while (stack.length) {
    const [raw, value, parent, key, path] = stack.pop();
    const node = resolve(raw);
    if (!node) continue;
    if (node["x-integer"]) {
      found.set(path, [parent, key, path, node["x-integer"]]);
      continue;
    }
    for (const part of node.allOf || []) stack.push([part, value, parent, key, path]);
    if (node.if) {
      const branch = holds(node.if, value) ? node.then : node.else;
      if (branch) stack.push([branch, value, parent, key, path]);
    }
    if (isObject(value)) {
      for (const [name, rule] of Object.entries(node.properties || {})) {
        if (Object.hasOwn(value, name)) {
          stack.push([rule, value[name], value, name, path ? `${path}.${name}` : name]);
        }
      }
    } else if (Array.isArray(value) && isObject(node.items)) {
      value.forEach((item, i) => stack.push([node.items, item, value, i, `${path}[${i}]`]));
    }
  }
  return [...found.values()];
}

function abiRange(abiType) {
  if (abiType.startsWith("uint")) return [0n, (1n << BigInt(abiType.slice(4))) - 1n];
  const bits = BigInt(abiType.slice(3));
  return [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n];
}

/** Reads a format 3 document's decimal strings into integers, in place (a Number when it is
 * safe, a BigInt past 2^53 - 1, as the format 2 reader gets them), and returns the problems:
 * [path, message] of each field that is not a decimal string of its type's range. */
function readWideIntegers(document) {
  const problems = [];
  for (const [parent, key, path, abiType] of wideIntegerFields(document)) {
    const value = parent[key];
    const [low, high] = abiRange(abiType);
    if (typeof value !== "string") {
      const kind = typeof value === "number" || typeof value === "bigint" ? "a JSON number"
        : value === null ? "JSON null" : typeof value === "boolean" ? `JSON ${value}` : "not text";
      problems.push([path, `${path}: ${kind} where format 3 writes ${abiType} as a decimal string`]);
      continue;
    }
    const pattern = low < 0n ? /^(?:0|-?[1-9][0-9]*)$/ : /^(?:0|[1-9][0-9]*)$/;
    if (value.length > 2 + String(high).length || !pattern.test(value)) {
      problems.push([path, `${path}: not a decimal ${abiType} (digits only: no leading zeros, `
        + "sign, spaces or exponent)"]);
      continue;
    }
    const integer = BigInt(value);
    if (integer < low || integer > high) {
      problems.push([path, `${path}: outside the range of ${abiType}`]);
      continue;
    }
    parent[key] = Number.isSafeInteger(Number(integer)) ? Number(integer) : integer;
  }
  return problems;
}

async function check() {
  const bundleFile = document.getElementById("bundle").files[0];
  const original = document.getElementById("original").files[0];
  if (!bundleFile) return;
  const fileBytes = original ? new Uint8Array(await original.arrayBuffer()) : null;
  show(await verifyText(await bundleFile.text(), fileBytes));
}

/** The report of a bundle file's text (and the original file's bytes, if any). */
async function verifyText(text, fileBytes) {
  let bundle;
  try {
    // Integers past 2^53 (uint256 nonces) are read exactly, from their source text.
    bundle = JSON.parse(text, (key, value, context) =>
      typeof value === "number" && !Number.isSafeInteger(value) && context
        && /^-?[0-9]+$/.test(context.source) ? BigInt(context.source) : value);
  } catch (error) {
    return [{ name: "format", verdict: "FAIL", detail: t("not_json"), fields: ["(document)"] }];
  }
  let report;
  try {
    if (!bundle || typeof bundle !== "object" || Array.isArray(bundle)) throw new Error("not an object");
    const problems = bundle.version === TEXT_INTEGERS ? readWideIntegers(bundle) : [];
    if (problems.length) {
      const shown = problems.slice(0, 5).map(([, message]) => message);
      const fields = problems.slice(0, 50).map(([path]) => path);
      if (problems.length > 1 && problems.every(([, message]) => message.includes("a JSON number"))) {
        // Every wide integer a number is format 2's spelling: the stated version may be what is
        // wrong (one bare number is a wrong field).
        shown.push("version: says format 3, whose wide integers are decimal strings, but the "
          + "document has JSON numbers there (as format 2 writes them)");
        fields.push("version");
      }
      return [{ name: "format", verdict: "FAIL", detail: shown.join("; "), fields }];
    }
    report = await verifyBundle(bundle, fileBytes);
  } catch (error) {
    report = [{ name: "format", verdict: "FAIL", detail: String(error), fields: ["(document)"] }];
  }
  for (const item of report) if (item.detail === "SKIP") item.verdict = "SKIP";
  return report;
}

// For whoever wants to script the page (the tests check many bundles in one load).
window.pocVerify = verifyText;

document.getElementById("language").addEventListener("change", (event) => {
  language = event.target.value;
  translate();
});
document.getElementById("verify").addEventListener("click", check);
document.getElementById("language").value = language;
translate();
