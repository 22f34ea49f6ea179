"""Verifying proof bundles: offline from the bundle alone, then against any node of the chain.

`verify_document(document, file=..., w3=...)` returns a `VerificationReport`: one `Check` per
statement, each PASS or FAIL with its reason and, on failure, the JSON paths of the fields it
found wrong (e.g. `history[1].args.rating`). Nothing the bundle says is taken on trust:

offline
- format (`ledger.evidence.format_check`): the JSON Schema of `ledger.evidence.schema` and
  what it cannot say (real calendar times); every value the later checks convert is then in
  its range;
- file: SHA-256 of the original file equals the content hash (with `--file`);
- commitment: recomputed from contributor, project, content hash and salt; the id from it;
- header: keccak256 of the RLP header is the block hash; number and time are the header's;
- transaction / receipt: keccak256 of the raw transaction is the tx hash; both lie in the
  header's transactions and receipts tries at the transaction's index (trie proofs);
- registration log: the receipt holds a ContributionRegistered log of the contract whose
  topics and data decode to every stated field;
- authorisation: an EIP-712 signature over typed data rebuilt from the bundle's own fields
  (the bundled typed data is compared with it, not used) recovers the contributor, and the
  transaction's calldata carries that signature; or the contributor's own signed transaction;
- policy, identity, batch (Merkle path, anchor log), every history entry: the same log proofs,
  plus how each relates to the contribution (same id, before/after the registration);
- log indexes: exact where a log's transaction is its block's first, else within the bounds
  its receipt's gas allows (`ledger.evidence.block_evidence.log_index_bounds`), and consistent
  between logs of one block;
- status: what the history implies.

A verifier is handed hostile files by definition. It never raises on a document: whatever a
check meets, the check FAILs naming the fields it was reading, and the others still run.

online (`w3` given: any node of the chain, never trusted for anything but its own data)
- chain id; for every block cited, the node's block at that height has that hash, and every
  receipt proof leads to the receiptsRoot of the node's header (not to the bundle's header);
- the node's receipts put each cited log at the stated log index;
- the contract's runtime code is PocLedger's (immutables masked: OpenZeppelin's EIP712 keeps
  the domain in immutables, so the code differs per deployment in exactly those bytes), of the
  current release or of an earlier one kept in ledger/artifacts/releases/; from 1.1.0 on, the
  code of the governance module the ledger names (`governance()`) is PocGovernance's too;
- the contribution's current status; history, identity and policy still complete.

Building bundles: `ledger.evidence.bundle`. The CLI (`poc verify`): `poc.cli.proofs`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from itertools import combinations
from typing import Any, Final

from eth_account import Account
from eth_utils.address import to_canonical_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3

from ledger.chain.artifacts import load_artifact, load_release_artifact, released_versions
from ledger.chain.signing import recover_signer
from ledger.chain.translate import translating
from ledger.domain.cards import ContributionCard
from ledger.domain.codec import ZERO_BYTES32
from ledger.domain.hashing import batch_id as compute_batch_id
from ledger.domain.hashing import commitment as compute_commitment
from ledger.domain.hashing import contribution_id as compute_contribution_id
from ledger.domain.merkle import leaf_hash, leaf_hash_v1, process_proof
from ledger.domain.values import BatchLeaf, ContributionStatus, Origin, bytes32_to_text
from ledger.errors import LedgerError, ProofError
from ledger.evidence.block_evidence import (
    BlockHeader,
    DecodedReceipt,
    ReceiptLog,
    decode_receipt,
    decode_transaction,
    log_index_bounds,
    prove_inclusion,
)
from ledger.evidence.builder import ProofBuilder
from ledger.evidence.bundle import (
    CHILD_EVENT,
    COMMITMENT_FORMULA,
    HASH_ALGORITHM,
    HISTORY_EVENTS,
    LEDGER_CONTRACT,
    LogProof,
    ProofBundle,
    derived_status,
    hex0x,
    iso_utc,
    ledger_events,
    ledger_functions,
    typed_data_for,
    unhex,
)
from ledger.evidence.format_check import clip, format_problems

PASS: Final = "PASS"
FAIL: Final = "FAIL"
_PUSH32: Final = 0x7F
# What one failed check reports at most: a hostile bundle can make every field wrong.
_MAX_FIELDS: Final = 50
_MAX_DETAIL: Final = 2_000
#: The module PocLedger runs its governance in (from release 1.1.0 on).
GOVERNANCE_CONTRACT: Final = "PocGovernance"


@dataclass(frozen=True)
class Check:
    """The outcome of one check; `fields` are the JSON paths found wrong (on failure)."""

    name: str
    passed: bool
    detail: str
    fields: tuple[str, ...] = ()

    def line(self) -> str:
        """One line for a terminal: PASS/FAIL, the check, the reason, the fields at fault."""
        text = f"{PASS if self.passed else FAIL}  {self.name}: {self.detail}"
        if not self.passed and self.fields:
            text += f" [fields: {', '.join(self.fields)}]"
        return text


@dataclass(frozen=True)
class VerificationReport:
    """All checks of one bundle, offline first, then online (if a node was given)."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.passed for check in self.checks)

    def lines(self) -> list[str]:
        return [check.line() for check in self.checks]

    def failed_fields(self) -> set[str]:
        """Every field path some failed check blamed."""
        return {f for check in self.checks if not check.passed for f in check.fields}


@dataclass(frozen=True)
class _Problem:
    message: str
    fields: tuple[str, ...]


class _Problems:
    """Collects the problems of one check."""

    def __init__(self) -> None:
        self.items: list[_Problem] = []

    def add(self, message: str, *fields: str) -> None:
        self.items.append(_Problem(message, fields))

    def expect(self, ok: bool, message: str, *fields: str) -> bool:
        if not ok:
            self.add(message, *fields)
        return ok


# ------------------------------------------------------------------------------ helpers


def _norm(value: Any) -> Any:
    # Hex and addresses compare case-insensitively: EIP-55 case is a checksum, not a value.
    if isinstance(value, str) and value.startswith("0x"):
        return value.lower()
    return value


def diff_paths(stated: Any, actual: Any, path: str) -> list[str]:
    """JSON paths under `path` where `stated` differs from `actual` (leaf by leaf)."""
    if isinstance(stated, Mapping) and isinstance(actual, Mapping):
        out: list[str] = []
        for key in list(stated) + [k for k in actual if k not in stated]:
            if key not in stated or key not in actual:
                out.append(f"{path}.{key}")
            else:
                out += diff_paths(stated[key], actual[key], f"{path}.{key}")
        return out
    if isinstance(stated, list) and isinstance(actual, list):
        if len(stated) != len(actual):
            return [path]
        out = []
        for i, (a, b) in enumerate(zip(stated, actual, strict=True)):
            out += diff_paths(a, b, f"{path}[{i}]")
        return out
    if type(stated) is not type(actual) or _norm(stated) != _norm(actual):
        return [path]
    return []


def _time(timestamp: int) -> str:
    # A forged header can carry any time; one past year 9999 has no ISO form.
    try:
        return iso_utc(timestamp)
    except (ValueError, OverflowError, OSError):
        return f"Unix time {timestamp}"


def _find_log(
    receipt: DecodedReceipt, contract: str, event: str
) -> list[tuple[int, ReceiptLog, dict[str, Any]]]:
    """(position, raw log, decoded args) of every `event` log of `contract` in `receipt`."""
    codec = ledger_events()
    topics = codec.topics(event)
    address = to_canonical_address(contract)
    found = []
    for position, log in enumerate(receipt.logs):
        if log.address == address and log.topics and log.topics[0] in topics:
            _, args = codec.decode(log.topics, log.data)
            found.append((position, log, args))
    return found


def _best_match(
    candidates: list[tuple[int, ReceiptLog, dict[str, Any]]],
    stated: Mapping[str, Any],
    path: str,
    log_index: int,
) -> tuple[tuple[int, ReceiptLog, dict[str, Any]] | None, list[str]]:
    """The candidate log closest to the stated arguments, and the paths where it differs.
    Between equally close ones (a transaction can emit the same log twice), the one whose
    position is the stated log index's, or the last before it."""
    best: tuple[int, ReceiptLog, dict[str, Any]] | None = None
    best_key: tuple[int, int] | None = None
    best_diff: list[str] = []
    for candidate in candidates:
        differing = diff_paths(dict(stated), candidate[2], path)
        key = (len(differing), 0 if candidate[0] <= log_index else 1)
        if best_key is None or key < best_key:
            best, best_key, best_diff = candidate, key, differing
    return best, best_diff


# ------------------------------------------------------------------------------ log proofs


@dataclass(frozen=True)
class _Located:
    """A log proven in a bundle: where it is, for the log index and online checks.

    `position` (the log's place in its receipt), `receipt_logs` and `bounds` (the block-wide
    index it can have) are known only when the receipt decoded and held the log."""

    path: str
    block_number: int
    block_hash: bytes
    tx_hash: bytes
    tx_index: int
    log_index: int
    receipt: bytes
    receipt_proof: tuple[bytes, ...]
    log: ReceiptLog | None
    position: int | None = None
    receipt_logs: int = 0
    bounds: tuple[int, int] | None = None


def _prove_log(
    problems: _Problems,
    *,
    path: str,
    chain_path: str,
    evidence: LogProof,
    contract: str,
    chain_id: int,
    event_field: str | None,
) -> tuple[_Located, dict[str, Any] | None]:
    """Check a log's header, transaction, receipt and the log in it; return where it is and
    its decoded arguments (None if the proofs failed)."""
    p, c = path, chain_path
    header = None
    try:
        header = BlockHeader.decode(evidence.header)
    except ProofError as exc:
        problems.add(f"header: {exc}", f"{p}.header")
    decoded_args: dict[str, Any] | None = None
    located_log: ReceiptLog | None = None
    if header is not None:
        problems.expect(
            header.hash == evidence.block_hash,
            f"header hashes to {hex0x(header.hash)}, not to the stated block hash",
            f"{p}.header",
            f"{c}.blockHash",
        )
        problems.expect(
            header.number == evidence.block_number,
            f"header is block {header.number}, not {evidence.block_number}",
            f"{c}.blockNumber",
        )
        if header.timestamp != evidence.block_timestamp:
            problems.add(
                f"header time is {_time(header.timestamp)}, not the stated time",
                f"{c}.blockTimestamp",
            )
        try:
            in_trie = prove_inclusion(
                header.transactions_root, evidence.tx_index, evidence.transaction_proof
            )
            problems.expect(
                in_trie == evidence.transaction,
                "the transaction is not the one the proof shows at that index",
                f"{p}.transaction",
                f"{c}.txIndex",
            )
        except ProofError as exc:
            problems.add(f"transaction proof: {exc}", f"{p}.transactionProof", f"{c}.txIndex")
        try:
            in_trie = prove_inclusion(
                header.receipts_root, evidence.tx_index, evidence.receipt_proof
            )
            problems.expect(
                in_trie == evidence.receipt,
                "the receipt is not the one the proof shows at that index",
                f"{p}.receipt",
                f"{c}.txIndex",
            )
        except ProofError as exc:
            problems.add(f"receipt proof: {exc}", f"{p}.receiptProof", f"{c}.txIndex")
    problems.expect(
        keccak(evidence.transaction) == evidence.tx_hash,
        "keccak256 of the raw transaction is not the stated tx hash",
        f"{c}.txHash",
        f"{p}.transaction",
    )
    calldata: bytes | None = None
    try:
        tx = decode_transaction(evidence.transaction)
        calldata = tx.data
        if tx.chain_id != chain_id:
            problems.add(
                f"the transaction was signed for chain {tx.chain_id}, not {chain_id}",
                "chain.chainId",
            )
    except ProofError as exc:
        problems.add(f"transaction: {exc}", f"{p}.transaction")
    position: int | None = None
    receipt: DecodedReceipt | None = None
    try:
        receipt = decode_receipt(evidence.receipt)
        problems.expect(receipt.status == 1, "the transaction failed", f"{p}.receipt")
        event_ok = evidence.event in ledger_events().by_name
        if event_field is not None:
            problems.expect(
                event_ok, f"{clip(evidence.event)!r} is not a ledger event", event_field
            )
        if event_ok:
            candidates = _find_log(receipt, contract, evidence.event)
            if not candidates:
                problems.add(
                    f"the receipt has no {evidence.event} log of contract {contract}",
                    "chain.contract",
                    *([event_field] if event_field else []),
                    f"{p}.receipt",
                )
            else:
                best, differing = _best_match(
                    candidates, evidence.args, f"{p}.args", evidence.log_index
                )
                assert best is not None
                position, located_log, decoded_args = best
                if differing:
                    problems.add(
                        f"the {evidence.event} log in the receipt says otherwise", *differing
                    )
    except ProofError as exc:
        problems.add(f"receipt: {exc}", f"{p}.receipt")
    bounds = None
    if position is not None and receipt is not None and calldata is not None:
        bounds = log_index_bounds(
            tx_index=evidence.tx_index, position=position, receipt=receipt, calldata=calldata
        )
    located = _Located(
        path=c,
        block_number=evidence.block_number,
        block_hash=evidence.block_hash,
        tx_hash=evidence.tx_hash,
        tx_index=evidence.tx_index,
        log_index=evidence.log_index,
        receipt=evidence.receipt,
        receipt_proof=evidence.receipt_proof,
        log=located_log,
        position=position,
        receipt_logs=len(receipt.logs) if receipt is not None else 0,
        bounds=bounds,
    )
    return located, decoded_args


# ------------------------------------------------------------------------------ the verifier


@dataclass
class _Run:
    """State of one verification: the document, its parsed form, and what was located."""

    document: Mapping[str, Any]
    bundle: ProofBundle
    checks: list[Check] = field(default_factory=list)
    located: list[_Located] = field(default_factory=list)

    def run(self, name: str, body: Callable[[_Problems], str], *fields_on_error: str) -> None:
        problems = _Problems()
        try:
            detail = body(problems)
        except (LedgerError, ValueError, KeyError, TypeError, IndexError) as exc:
            # A malformed value deep inside (e.g. bad RLP) fails this check, not the run.
            problems.add(f"cannot check: {clip(str(exc))}", *fields_on_error)
            detail = ""
        except Exception as exc:
            # The last resort: whatever a hostile bundle makes a library raise fails this
            # check, naming what it was reading, and the other checks still run.
            problems.add(f"cannot check ({type(exc).__name__}): {clip(str(exc))}", *fields_on_error)
            detail = ""
        self.checks.append(_check(name, problems, detail))


def _check(name: str, problems: _Problems, detail: str) -> Check:
    if not problems.items:
        return Check(name, True, detail)
    fields = tuple(dict.fromkeys(f for item in problems.items for f in item.fields))
    reason = "; ".join(dict.fromkeys(clip(item.message) for item in problems.items))
    if len(fields) > _MAX_FIELDS:
        reason += f" ({len(fields) - _MAX_FIELDS} more fields at fault)"
        fields = fields[:_MAX_FIELDS]
    return Check(name, False, clip(reason, _MAX_DETAIL), fields)


def _format_check(document: Any) -> Check:
    problems = format_problems(document)
    if not problems:
        return Check("format", True, f"proof bundle version {document['version']}, schema valid")
    fields = tuple(dict.fromkeys(f for problem in problems for f in problem.fields))
    detail = "; ".join(problem.message for problem in problems[:5])
    return Check("format", False, clip(detail, _MAX_DETAIL), fields)


def verify_document(
    document: Mapping[str, Any],
    *,
    file: bytes | None = None,
    w3: Web3 | None = None,
) -> VerificationReport:
    """Verify a bundle document offline, then online against `w3` if given.

    `file` is the original file's bytes (or pass its SHA-256 through `file_sha256`).
    """
    return _verify(document, file_sha256=hashlib.sha256(file).digest() if file else None, w3=w3)


def verify_with_file_hash(
    document: Mapping[str, Any], *, file_sha256: bytes | None, w3: Web3 | None = None
) -> VerificationReport:
    """`verify_document` with the original file already hashed (streamed by the caller)."""
    return _verify(document, file_sha256=file_sha256, w3=w3)


def _verify(
    document: Mapping[str, Any], *, file_sha256: bytes | None, w3: Web3 | None
) -> VerificationReport:
    try:
        form = _format_check(document)
        if not form.passed:
            return VerificationReport((form,))
        bundle = ProofBundle.from_json(document)
    except Exception as exc:
        # The format check leaves nothing for this to trip over; if it does, the document
        # still gets a verdict, not a traceback.
        reason = f"does not parse ({type(exc).__name__}): {clip(str(exc))}"
        return VerificationReport((Check("format", False, reason, ("(document)",)),))
    run = _Run(document, bundle, [form])
    _offline(run, file_sha256)
    if w3 is not None:
        _online(run, w3)
    return VerificationReport(tuple(run.checks))


# ------------------------------------------------------------------------------ offline


def _offline(run: _Run, file_sha256: bytes | None) -> None:
    b = run.bundle
    c = b.contribution
    doc = run.document

    if file_sha256 is not None:
        run.run(
            "file",
            lambda p: (
                "SHA-256 of the file equals the content hash"
                if p.expect(
                    file_sha256 == c.content_hash,
                    f"the file's SHA-256 is {hex0x(file_sha256)}, not the content hash",
                    "contribution.contentHash",
                )
                else ""
            ),
        )

    def commitment(p: _Problems) -> str:
        p.expect(
            c.hash_algorithm == HASH_ALGORITHM,
            "unknown hash algorithm",
            "contribution.hashAlgorithm",
        )
        p.expect(
            c.commitment_formula == COMMITMENT_FORMULA,
            "not the ledger's formula",
            "contribution.commitmentFormula",
        )
        recomputed = compute_commitment(c.contributor, c.project_id, c.content_hash, c.salt)
        p.expect(
            recomputed == c.commitment,
            "keccak256(abi.encode(contributor, projectId, contentHash, salt)) is "
            f"{hex0x(recomputed)}, not the stated commitment",
            "contribution.commitment",
            "contribution.contributor",
            "contribution.projectId",
            "contribution.contentHash",
            "contribution.salt",
        )
        cid = compute_contribution_id(c.project_id, c.contributor, c.commitment)
        p.expect(
            cid == c.contribution_id,
            f"keccak256(abi.encode(projectId, contributor, commitment)) is {hex0x(cid)}, not "
            "the stated contribution id",
            "contribution.contributionId",
            "contribution.projectId",
            "contribution.contributor",
            "contribution.commitment",
        )
        return "content hash and salt open the commitment; the contribution id recomputes"

    run.run("commitment", commitment, "contribution")

    main = LogProof(
        event="ContributionRegistered",
        args=_registered_args(doc["contribution"]),
        tx_hash=b.chain.tx_hash,
        tx_index=b.chain.tx_index,
        block_number=b.chain.block_number,
        block_hash=b.chain.block_hash,
        block_timestamp=b.chain.block_timestamp,
        log_index=b.chain.log_index,
        header=b.inclusion.header,
        receipt=b.inclusion.receipt,
        receipt_proof=b.inclusion.receipt_proof,
        transaction=b.inclusion.transaction,
        transaction_proof=b.inclusion.transaction_proof,
    )

    def registration(p: _Problems) -> str:
        # The stated fields live under `contribution`; name them there, not as log args.
        inner = _Problems()
        located, _ = _prove_log(
            inner,
            path="inclusion",
            chain_path="chain",
            evidence=main,
            contract=b.chain.contract,
            chain_id=b.chain.chain_id,
            event_field=None,
        )
        for item in inner.items:
            p.add(item.message, *(_stated_field(f) for f in item.fields))
        run.located.append(located)
        tx = decode_transaction(b.inclusion.transaction)
        if not b.contribution.is_batched:
            p.expect(
                tx.to == to_canonical_address(b.chain.contract),
                "the transaction was not sent to the stated contract",
                "chain.contract",
            )
        return (
            f"header hashes to block {hex0x(b.chain.block_hash)[:18]}…; transaction "
            f"{hex0x(b.chain.tx_hash)[:18]}… and its receipt are in the block's tries; the "
            "ContributionRegistered log decodes to every stated field"
        )

    run.run("registration", registration, "inclusion")
    run.run("authorisation", lambda p: _check_authorisation(run, p), "authorisation")
    if b.version >= 2:
        run.run("card", lambda p: _check_card(run, p), "card")
    run.run("policy", lambda p: _check_policy(run, p), "policy")
    run.run("identity", lambda p: _check_identity(run, p), "identity")
    if b.batch is not None or c.is_batched:
        run.run("batch", lambda p: _check_batch(run, p), "batch")
    for index, entry in enumerate(b.history):
        run.run(
            f"history[{index}] {entry.event}",
            lambda p, i=index, e=entry: _check_history(run, p, i, e),  # type: ignore[misc]
            f"history[{index}]",
        )

    run.run("log indexes", lambda p: _check_log_indexes(run.located, p), "chain.logIndex")

    def status(p: _Problems) -> str:
        implied = derived_status(b.history, c.contribution_id)
        p.expect(
            implied == c.status,
            f"the history makes it {implied.name.title()}, not {c.status.name.title()}",
            "contribution.status",
        )
        return f"{c.status.name.title()}, as its history implies"

    run.run("status", status, "contribution.status")


# ContributionRegistered argument -> the bundle field stating it.
_REGISTERED_FIELD: Final = {
    "inclusion.args.projectId": "contribution.projectId",
    "inclusion.args.contributionId": "contribution.contributionId",
    "inclusion.args.contributor": "contribution.contributor",
    "inclusion.args.commitment": "contribution.commitment",
    "inclusion.args.cardHash": "contribution.cardHash",
    "inclusion.args.origin": "contribution.origin",
    "inclusion.args.category": "contribution.category.id",
    "inclusion.args.value": "contribution.value",
    "inclusion.args.parents": "contribution.parents",
    "inclusion.args.supersedes": "contribution.supersedes",
    "inclusion.args.batchId": "contribution.batchId",
    "inclusion.args.registeredAt": "contribution.registeredAt",
    "inclusion.args.uri": "contribution.uri",
}


def _stated_field(path: str) -> str:
    """The bundle field that states a ContributionRegistered argument (`inclusion.args.value`
    -> `contribution.value`, `inclusion.args.parents[1]` -> `contribution.parents[1]`)."""
    for arg, stated in _REGISTERED_FIELD.items():
        if path == arg or path.startswith((arg + "[", arg + ".")):
            return stated + path[len(arg) :]
    return path


def _registered_args(contribution: Mapping[str, Any]) -> dict[str, Any]:
    """The ContributionRegistered arguments the bundle's `contribution` states."""
    try:
        registered_at: Any = _unix(contribution["registeredAt"])
    except ValueError:
        registered_at = contribution["registeredAt"]
    origin = contribution["origin"]
    # Format 2 states the card hash (the event has it from release 2.0.0 on); format 1 does not.
    card = {"cardHash": contribution["cardHash"]} if "cardHash" in contribution else {}
    return {
        "projectId": contribution["projectId"],
        "contributionId": contribution["contributionId"],
        "contributor": contribution["contributor"],
        "commitment": contribution["commitment"],
        **card,
        "origin": int(Origin[origin.upper()]) if origin.upper() in Origin.__members__ else origin,
        "category": contribution["category"]["id"],
        "value": contribution["value"],
        "parents": list(contribution["parents"]),
        "supersedes": contribution["supersedes"],
        "batchId": contribution["batchId"],
        "registeredAt": registered_at,
        "uri": contribution["uri"],
    }


def _unix(text: str) -> int:
    from ledger.evidence.bundle import parse_iso_utc

    return parse_iso_utc(text)


def _check_authorisation(run: _Run, p: _Problems) -> str:
    b = run.bundle
    c = b.contribution
    a = b.authorisation
    authorising = b.batch.anchor.transaction if b.batch else b.inclusion.transaction
    tx_path = "batch.anchor.transaction" if b.batch else "inclusion.transaction"
    p.expect(
        a.signer.lower() == c.contributor.lower(),
        "the authorisation's signer is not the contributor",
        "authorisation.signer",
        "contribution.contributor",
    )
    name, call = ledger_functions().decode(decode_transaction(authorising).data)
    if a.method == "transaction":
        expected = "anchorBatch" if b.batch else "register"
        p.expect(
            name == expected,
            f"the transaction calls {name}, not {expected}",
            "authorisation.method",
        )
        try:
            sender = Account.recover_transaction(authorising)
        except Exception as exc:  # eth-account raises rlp's, eth-keys' and its own errors
            p.add(f"the transaction's sender does not recover: {type(exc).__name__}", tx_path)
            return ""
        p.expect(
            sender.lower() == c.contributor.lower(),
            f"the transaction was signed by {sender}, not by the contributor",
            "contribution.contributor",
            tx_path,
        )
        if name == "register":
            _compare_registration(p, call["registration"], run.document["contribution"])
        elif name == "anchorBatch" and b.batch:
            _compare_anchor_call(p, call, run)
        return f"the contributor's own transaction (sender {sender})"
    # EIP-712: rebuild the typed data from the stated fields, never from the bundled copy.
    assert a.nonce is not None and a.deadline is not None and a.signature is not None
    expected_type = "AnchorBatch" if b.batch else "Register"
    p.expect(
        a.primary_type == expected_type,
        f"primary type must be {expected_type}",
        "authorisation.primaryType",
    )
    rebuilt = typed_data_for(
        c,
        b.batch,
        chain_id=b.chain.chain_id,
        contract=b.chain.contract,
        signer=a.signer,
        nonce=a.nonce,
        deadline=a.deadline,
        anchor_uri=str(b.batch.anchor.args.get("uri", "")) if b.batch else "",
    )
    differing = diff_paths(
        run.document["authorisation"]["typedData"], rebuilt, "authorisation.typedData"
    )
    p.expect(not differing, "the bundled typed data is not the one the fields give", *differing)
    inputs = [
        "authorisation.signature",
        "authorisation.signer",
        "authorisation.nonce",
        "authorisation.deadline",
        "chain.chainId",
        "chain.contract",
    ]
    if b.batch:
        inputs += ["batch.root", "batch.count", "batch.anchor.args.uri"]
    else:
        inputs += [
            f"contribution.{f}"
            for f in (
                "projectId",
                "commitment",
                *(("cardHash",) if c.card_hash is not None else ()),
                "origin",
                "category.id",
                "value",
                "parents",
                "supersedes",
                "uri",
            )
        ]
    try:
        recovered = recover_signer(rebuilt, a.signature)
        p.expect(
            recovered.lower() == c.contributor.lower(),
            f"the signature over the rebuilt typed data recovers {recovered}, not the contributor",
            *inputs,
        )
    except Exception as exc:  # a SigningError, or the typed data does not even encode
        p.add(f"the signature does not recover: {clip(str(exc))}", *inputs)
    expected_call = "anchorBatchBySig" if b.batch else "registerBySig"
    if p.expect(
        name == expected_call,
        f"the transaction calls {name}, not {expected_call}",
        "authorisation.method",
        tx_path,
    ):
        auth = call["auth"]
        for key, stated, path in (
            ("signer", a.signer, "authorisation.signer"),
            ("nonce", a.nonce, "authorisation.nonce"),
            ("deadline", a.deadline, "authorisation.deadline"),
            ("signature", hex0x(a.signature), "authorisation.signature"),
        ):
            p.expect(
                _norm(auth[key]) == _norm(stated), f"the transaction relayed another {key}", path
            )
        if name == "registerBySig":
            _compare_registration(p, call["registration"], run.document["contribution"])
        elif b.batch:
            _compare_anchor_call(p, call, run)
    return f"EIP-712 {expected_type} signature recovers the contributor {c.contributor}"


def _compare_registration(p: _Problems, call: Mapping[str, Any], contribution: Any) -> None:
    stated = _registered_args(contribution)
    if ("cardHash" in stated) != ("cardHash" in call):
        p.add(
            "the transaction is of another release than the bundle's format (card hash)",
            "contribution.cardHash" if "cardHash" in stated else "version",
        )
        return
    for key in (
        "projectId",
        "commitment",
        *(("cardHash",) if "cardHash" in stated else ()),
        "origin",
        "category",
        "value",
        "parents",
        "supersedes",
        "uri",
    ):
        differing = diff_paths(stated[key], call[key], f"inclusion.args.{key}")
        if differing:
            p.add(
                f"the transaction registered another {key}",
                *(_stated_field(f) for f in differing),
            )


def _check_card(run: _Run, p: _Problems) -> str:
    """The bundled card is the one whose hash the contributor signed (the `cardHash` the
    registration log, the signature and the calldata were checked to carry)."""
    b = run.bundle
    signed = b.contribution.card_hash
    assert signed is not None  # format 2
    if b.card is None:
        if signed == ZERO_BYTES32:
            return "registered without a card"
        return f"the card is not in the bundle; its hash {hex0x(signed)[:18]}… is signed"
    if not p.expect(
        signed != ZERO_BYTES32,
        "the bundle carries a card, but the contribution was registered without one",
        "card",
        "contribution.cardHash",
    ):
        return ""
    try:
        card = ContributionCard.from_json(b.card)
    except LedgerError as exc:
        field = getattr(exc, "field", None)
        p.add(f"the card is malformed: {clip(str(exc))}", f"card.{field}" if field else "card")
        return ""
    p.expect(
        card.hash() == signed,
        f"the card hashes to {card.hash_hex()}, not to the signed cardHash {hex0x(signed)}: "
        "it was changed after registration",
        "card",
    )
    return f"the card ({card.title!r}) hashes to the cardHash the contributor signed"


def _compare_anchor_call(p: _Problems, call: Mapping[str, Any], run: _Run) -> None:
    b = run.bundle
    assert b.batch is not None
    p.expect(
        call["projectId"] == b.contribution.project_id,
        "the anchoring transaction names another project",
        "contribution.projectId",
    )
    p.expect(
        _norm(call["root"]) == hex0x(b.batch.root),
        "the anchoring transaction anchored another root",
        "batch.root",
    )
    p.expect(
        call["count"] == b.batch.count,
        "the anchoring transaction states another count",
        "batch.count",
    )


def _check_policy(run: _Run, p: _Problems) -> str:
    b = run.bundle
    e = b.policy.evidence
    located, args = _prove_log(
        p,
        path="policy.evidence",
        chain_path="policy.evidence",
        evidence=e,
        contract=b.chain.contract,
        chain_id=b.chain.chain_id,
        event_field="policy.evidence.event",
    )
    run.located.append(located)
    p.expect(
        e.event == "PolicySet",
        "the policy evidence must be a PolicySet log",
        "policy.evidence.event",
    )
    if args is None:
        return ""
    p.expect(
        args["projectId"] == b.contribution.project_id,
        "the policy is another project's",
        "contribution.projectId",
        "policy.evidence.args.projectId",
    )
    p.expect(args["version"] == b.policy.version, "another policy version", "policy.version")
    p.expect(
        _norm(args["policyHash"]) == hex0x(b.policy.policy_hash),
        "another policy hash",
        "policy.policyHash",
    )
    p.expect(
        e.position < b.chain_position,
        "the policy was set after the registration",
        "policy.evidence.blockNumber",
        "policy.evidence.logIndex",
    )
    categories = args["policy"]["categories"]
    cat = b.contribution.category
    if p.expect(
        cat.id < len(categories), f"policy has no category {cat.id}", "contribution.category.id"
    ):
        name = bytes32_to_text(unhex(categories[cat.id]["name"]))
        unit = bytes32_to_text(unhex(categories[cat.id]["unit"]))
        p.expect(
            name == cat.name,
            f"the policy names category {cat.id} {name!r}",
            "contribution.category.name",
        )
        p.expect(
            unit == cat.unit,
            f"the policy's unit of category {cat.id} is {unit!r}",
            "contribution.category.unit",
        )
    return f"policy v{b.policy.version} names category {cat.id} {cat.name!r} in {cat.unit!r}"


def _check_identity(run: _Run, p: _Problems) -> str:
    b = run.bundle
    identity = b.identity
    if identity is None:
        return "the contributor declared no organisation before registering"
    e = identity.evidence
    located, args = _prove_log(
        p,
        path="identity.evidence",
        chain_path="identity.evidence",
        evidence=e,
        contract=b.chain.contract,
        chain_id=b.chain.chain_id,
        event_field="identity.evidence.event",
    )
    run.located.append(located)
    p.expect(
        e.event == "IdentitySet",
        "the identity evidence must be an IdentitySet log",
        "identity.evidence.event",
    )
    if args is None:
        return ""
    p.expect(
        _norm(args["account"]) == b.contribution.contributor.lower(),
        "the identity is another account's",
        "contribution.contributor",
        "identity.evidence.args.account",
    )
    p.expect(args["name"] == identity.name, "the log declares another name", "identity.name")
    p.expect(
        args["companyNumber"] == identity.company_number,
        "the log declares another company number",
        "identity.companyNumber",
    )
    p.expect(
        e.position < b.chain_position,
        "declared after the registration",
        "identity.evidence.blockNumber",
        "identity.evidence.logIndex",
    )
    number = f" ({identity.company_number})" if identity.company_number else ""
    return f"{identity.name}{number}, declared in block {e.block_number}"


def _check_batch(run: _Run, p: _Problems) -> str:
    b = run.bundle
    c = b.contribution
    batch = b.batch
    if not p.expect(
        c.is_batched and batch is not None,
        "batch evidence must be given exactly for a batched contribution",
        "batch",
        "contribution.batchId",
    ):
        return ""
    assert batch is not None
    a = batch.anchor
    located, args = _prove_log(
        p,
        path="batch.anchor",
        chain_path="batch.anchor",
        evidence=a,
        contract=b.chain.contract,
        chain_id=b.chain.chain_id,
        event_field="batch.anchor.event",
    )
    run.located.append(located)
    p.expect(
        a.event == "BatchAnchored", "the anchor must be a BatchAnchored log", "batch.anchor.event"
    )
    leaf = BatchLeaf(
        c.commitment,
        c.origin,
        c.category.id,
        c.value,
        c.parents,
        card_hash=c.card_hash if c.card_hash is not None else ZERO_BYTES32,
    )
    # Format 1 bundles come from releases whose leaf had no card hash.
    computed_leaf = leaf_hash(leaf) if c.card_hash is not None else leaf_hash_v1(leaf)
    p.expect(
        computed_leaf == batch.leaf_hash,
        "the leaf hash does not recompute",
        "batch.leafHash",
        "contribution.commitment",
        *(("contribution.cardHash",) if c.card_hash is not None else ()),
        "contribution.origin",
        "contribution.category.id",
        "contribution.value",
        "contribution.parents",
    )
    root = process_proof(computed_leaf, batch.merkle_proof)
    p.expect(
        root == batch.root,
        "the Merkle path does not lead to the root",
        "batch.merkleProof",
        "batch.root",
    )
    expected_id = compute_batch_id(c.project_id, c.contributor, batch.root)
    p.expect(
        expected_id == c.batch_id,
        "keccak256(projectId, contributor, root) is not the batch id",
        "contribution.batchId",
        "batch.root",
    )
    if args is not None:
        p.expect(
            _norm(args["batchId"]) == hex0x(c.batch_id),
            "another batch was anchored",
            "contribution.batchId",
        )
        p.expect(
            _norm(args["root"]) == hex0x(batch.root), "the anchored root differs", "batch.root"
        )
        p.expect(args["count"] == batch.count, "the anchored count differs", "batch.count")
        p.expect(
            _norm(args["contributor"]) == c.contributor.lower(),
            "the batch was anchored by someone else",
            "contribution.contributor",
        )
    p.expect(
        a.block_timestamp == c.registered_at,
        "a batched contribution dates from its anchoring block",
        "contribution.registeredAt",
        "batch.anchor.blockTimestamp",
    )
    p.expect(
        a.position < b.chain_position,
        "anchored after the reveal",
        "batch.anchor.blockNumber",
        "batch.anchor.logIndex",
    )
    # The reveal transaction must carry this leaf and this path.
    name, call = ledger_functions().decode(decode_transaction(b.inclusion.transaction).data)
    if p.expect(name == "revealBatched", f"revealed by {name}", "inclusion.transaction"):
        p.expect(
            [_norm(x) for x in call["proof"]] == [hex0x(x) for x in batch.merkle_proof],
            "the reveal carried another Merkle path",
            "batch.merkleProof",
        )
    return (
        f"leaf is in batch {hex0x(c.batch_id)[:18]}… of {batch.count} by its Merkle path; "
        f"anchored in block {a.block_number}"
    )


def _check_history(run: _Run, p: _Problems, index: int, entry: LogProof) -> str:
    b = run.bundle
    path = f"history[{index}]"
    located, args = _prove_log(
        p,
        path=path,
        chain_path=path,
        evidence=entry,
        contract=b.chain.contract,
        chain_id=b.chain.chain_id,
        event_field=f"{path}.event",
    )
    run.located.append(located)
    own = hex0x(b.contribution.contribution_id)
    p.expect(
        entry.event in (*HISTORY_EVENTS, CHILD_EVENT),
        f"{entry.event} is not a history event",
        f"{path}.event",
    )
    if args is not None:
        if entry.event == CHILD_EVENT:
            p.expect(
                own in [_norm(x) for x in args["parents"]],
                "this contribution is not among its parents",
                f"{path}.args.parents",
            )
        else:
            p.expect(
                _norm(args["contributionId"]) == own,
                "about another contribution",
                f"{path}.args.contributionId",
            )
        p.expect(
            args["projectId"] == b.contribution.project_id,
            "in another project",
            f"{path}.args.projectId",
        )
    p.expect(
        entry.position > b.chain_position,
        "before the registration",
        f"{path}.blockNumber",
        f"{path}.logIndex",
    )
    if index > 0:
        previous = f"history[{index - 1}]"
        p.expect(
            b.history[index - 1].position < entry.position,
            f"history out of order: not after {previous}",
            f"{path}.blockNumber",
            f"{path}.logIndex",
            f"{previous}.blockNumber",
            f"{previous}.logIndex",
        )
    return f"block {entry.block_number}, tx {hex0x(entry.tx_hash)[:18]}…"


def _check_log_indexes(located: list[_Located], p: _Problems) -> str:
    """Each cited log's block-wide index against what its receipt allows, and the indexes of
    logs in one block against each other (`ledger.evidence.block_evidence.log_index_bounds`)."""
    known = [log for log in located if log.bounds is not None and log.position is not None]
    exact = 0
    for log in known:
        assert log.bounds is not None
        low, high = log.bounds
        exact += low == high
        if not low <= log.log_index <= high:
            where = (
                f"is {low}: the log is number {low} of its block's first transaction"
                if low == high
                else f"lies between {low} and {high} (its position in the receipt, and the "
                "logs the earlier transactions' gas could pay for)"
            )
            p.add(f"log index {log.log_index} is wrong: it {where}", f"{log.path}.logIndex")
    # Logs of one block: the index grows with the transaction index, and within one
    # transaction exactly as the receipt orders its logs.
    for first, second in combinations(known, 2):
        if first.block_hash != second.block_hash:
            continue
        a, b = sorted((first, second), key=lambda log: (log.tx_index, log.position or 0))
        assert a.position is not None and b.position is not None
        if a.tx_index == b.tx_index:
            ok = b.log_index - a.log_index == b.position - a.position
        else:
            ok = b.log_index - a.log_index >= a.receipt_logs - a.position + b.position
        p.expect(
            ok,
            f"log indexes {a.log_index} and {b.log_index} contradict the order of their "
            f"logs in block {a.block_number}",
            f"{a.path}.logIndex",
            f"{b.path}.logIndex",
        )
    if exact == len(known):
        return f"{exact} log index(es), each exact: every log is in its block's first transaction"
    return (
        f"{exact} of {len(known)} log index(es) exact (first transaction of the block), "
        f"{len(known) - exact} within the bounds their receipts' gas allows (exact online)"
    )


# ------------------------------------------------------------------------------ online


def code_matches(actual: bytes, expected: bytes) -> tuple[bool, int]:
    """Whether runtime `actual` is `expected` up to immutables; and how many were masked.

    solc leaves each immutable as a PUSH32 of zeros in the runtime object and fills it at
    deployment. Only those operands may differ; every other byte must be identical.
    """
    if len(actual) != len(expected):
        return False, 0
    masked = 0
    i = 0
    while i < len(expected):
        op = expected[i]
        if op == _PUSH32 and i + 33 <= len(expected) and not any(expected[i + 1 : i + 33]):
            if actual[i] != op:
                return False, masked
            masked += actual[i + 1 : i + 33] != expected[i + 1 : i + 33]
            i += 33
            continue
        if actual[i] != op:
            return False, masked
        # PUSH1..PUSH32 carry 1..32 data bytes that must match as they are.
        width = op - 0x5F if 0x60 <= op <= 0x7F else 0
        if actual[i + 1 : i + 1 + width] != expected[i + 1 : i + 1 + width]:
            return False, masked
        i += 1 + width
    return True, masked


@dataclass(frozen=True)
class LedgerRelease:
    """The runtime code of one release of PocLedger and, from 1.1.0 on, of its PocGovernance
    module. `version` is None for the current release: its contracts report it (`version()`)."""

    version: str | None
    compiler_version: str
    ledger_code: bytes
    module_code: bytes | None


@cache
def ledger_releases() -> tuple[LedgerRelease, ...]:
    """Every release a deployment's code may come from: the current artifacts, then the earlier
    releases kept in ledger/artifacts/releases/ (the code of a deployment never changes)."""
    current = load_artifact(LEDGER_CONTRACT)
    releases = [
        LedgerRelease(
            None,
            current.compiler_version,
            bytes(HexBytes(current.deployed_bytecode)),
            bytes(HexBytes(load_artifact(GOVERNANCE_CONTRACT).deployed_bytecode)),
        )
    ]
    for version in released_versions():
        ledger = load_release_artifact(version, LEDGER_CONTRACT)
        try:
            module: bytes | None = bytes(
                HexBytes(load_release_artifact(version, GOVERNANCE_CONTRACT).deployed_bytecode)
            )
        except LedgerError:  # releases before 1.1.0 have no module
            module = None
        releases.append(
            LedgerRelease(
                version, ledger.compiler_version, bytes(HexBytes(ledger.deployed_bytecode)), module
            )
        )
    return tuple(releases)


def _online(run: _Run, w3: Web3) -> None:
    b = run.bundle

    def chain_id(p: _Problems) -> str:
        with translating():
            actual = int(w3.eth.chain_id)
        p.expect(actual == b.chain.chain_id, f"the node is on chain {actual}", "chain.chainId")
        return f"the node is on chain {actual}"

    run.run("online: chain id", chain_id, "chain.chainId")
    headers: dict[int, Any] = {}

    def blocks(p: _Problems) -> str:
        for located in run.located:
            if located.block_number not in headers:
                with translating():
                    headers[located.block_number] = w3.eth.get_block(located.block_number)
            node = headers[located.block_number]
            if not p.expect(
                bytes(node["hash"]) == located.block_hash,
                f"the node's block {located.block_number} has another hash",
                f"{located.path}.blockHash",
                f"{located.path}.blockNumber",
            ):
                continue
            # The proof against the node's own receiptsRoot, not the bundle's header.
            try:
                value = prove_inclusion(
                    bytes(node["receiptsRoot"]), located.tx_index, located.receipt_proof
                )
                p.expect(
                    value == located.receipt,
                    "the receipt differs from the node's",
                    f"{located.path}.txIndex",
                )
            except ProofError as exc:
                p.add(f"against the node's receiptsRoot: {exc}", f"{located.path}.txIndex")
        return (
            f"{len(headers)} block(s) on the node have the stated hashes; every receipt "
            "proof leads to the receiptsRoot of the node's header"
        )

    run.run("online: blocks and receipts", blocks, "chain.blockHash")

    def log_indexes(p: _Problems) -> str:
        for located in run.located:
            if located.log is None:
                continue
            with translating():
                receipt = w3.eth.get_transaction_receipt(HexBytes(located.tx_hash))
            match = [log for log in receipt["logs"] if int(log["logIndex"]) == located.log_index]
            same = bool(match) and (
                to_canonical_address(match[0]["address"]) == located.log.address
                and tuple(bytes(t) for t in match[0]["topics"]) == located.log.topics
                and bytes(match[0]["data"]) == located.log.data
            )
            p.expect(
                same,
                f"the node has another log at index {located.log_index}",
                f"{located.path}.logIndex",
            )
        return "every cited log is at its stated log index"

    run.run("online: log indexes", log_indexes, "chain.logIndex")

    def code(p: _Problems) -> str:
        with translating():
            actual = bytes(w3.eth.get_code(b.chain.contract))
        matched = [
            (release, masked)
            for release in ledger_releases()
            for ok, masked in [code_matches(actual, release.ledger_code)]
            if ok
        ]
        if not matched:
            p.add(f"the code at {b.chain.contract} is not PocLedger's", "chain.contract")
            return f"runtime code (keccak {hex0x(keccak(actual))[:18]}…) is no release's"
        release, masked = matched[0]
        version = release.version
        module_note = ""
        if release.module_code is not None:
            # The ledger runs its governance in this module by DELEGATECALL: code that could
            # write anything in the ledger's storage and log under its address. Its address is
            # an immutable (masked above), so it is checked here, not taken on trust.
            ledger = w3.eth.contract(
                address=b.chain.contract, abi=load_artifact(LEDGER_CONTRACT).abi
            )
            with translating():
                module = ledger.functions.governance().call()
                module_code = bytes(w3.eth.get_code(module))
                version = str(ledger.functions.version().call())
            module_ok, module_masked = code_matches(module_code, release.module_code)
            p.expect(
                module_ok,
                f"the governance module {module} of {b.chain.contract} is not PocGovernance's",
                "chain.contract",
            )
            module_note = f"; its module {module} is PocGovernance ({module_masked} immutables)"
        return (
            f"runtime code (keccak {hex0x(keccak(actual))[:18]}…) is PocLedger {version} "
            f"{release.compiler_version} ({masked} immutables){module_note}"
        )

    run.run("online: contract code", code, "chain.contract")

    def status(p: _Problems) -> str:
        contract = w3.eth.contract(address=b.chain.contract, abi=load_artifact(LEDGER_CONTRACT).abi)
        with translating():
            info = contract.functions.contribution(b.contribution.contribution_id).call()
        actual = ContributionStatus(int(info[3]))
        p.expect(
            actual == b.contribution.status,
            f"the contract says {actual.name.title()} now",
            "contribution.status",
        )
        return f"the contract says {actual.name.title()}"

    run.run("online: status", status, "contribution.status")

    def completeness(p: _Problems) -> str:
        builder = ProofBuilder(w3, b.chain.contract)
        reg = builder.registration_log(b.contribution.contribution_id)
        p.expect(
            reg.tx_hash == b.chain.tx_hash and reg.log_index == b.chain.log_index,
            "the node registered this contribution elsewhere",
            "chain.txHash",
            "chain.logIndex",
        )
        now = [
            (log.tx_hash, log.log_index)
            for log in builder.history_logs(
                b.contribution.contribution_id, b.contribution.project_id
            )
        ]
        stated = [(e.tx_hash, e.log_index) for e in b.history]
        missing = len([x for x in now if x not in stated])
        extra = [i for i, x in enumerate(stated) if x not in now]
        p.expect(
            not missing, f"{missing} history event(s) on chain are not in the bundle", "history"
        )
        for i in extra:
            p.add(
                "not a history event on the node", f"history[{i}].txHash", f"history[{i}].logIndex"
            )
        identity = builder.identity_log(b.contribution.contributor, reg)
        stated_identity = b.identity.evidence if b.identity else None
        p.expect(
            (identity is None and stated_identity is None)
            or (
                identity is not None
                and stated_identity is not None
                and (identity.tx_hash, identity.log_index)
                == (stated_identity.tx_hash, stated_identity.log_index)
            ),
            "the identity is not the latest declared before the registration",
            "identity",
        )
        policy = builder.policy_log(b.contribution.project_id, reg)
        p.expect(
            policy is not None
            and (policy.tx_hash, policy.log_index)
            == (b.policy.evidence.tx_hash, b.policy.evidence.log_index),
            "the policy is not the one in force at the registration",
            "policy",
        )
        return f"history ({len(stated)} events), identity and policy match the node's logs"

    run.run("online: history complete", completeness, "history")


def iter_leaves(document: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(JSON path, value) of every leaf of a document, as the verifier names fields."""
    if isinstance(document, Mapping):
        for key, value in document.items():
            yield from iter_leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from iter_leaves(value, f"{path}[{index}]")
    else:
        yield path, document
