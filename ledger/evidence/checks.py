"""One verification run: the report, the problems a check collects, and cited logs proven.

`Check` and `VerificationReport` are what `ledger.evidence.verifier` returns. A check is a
function of a `Problems` collector, run by `Run.run`, which turns whatever the check meets
into a FAIL naming the fields it was reading (a verifier is handed hostile files: it never
raises on a document). `prove_log` proves one cited log from its block: header, transaction and
receipt with their trie proofs, the log found in the receipt and its arguments compared with the
stated ones; it records where the log is (`Located`) for the log-index and online checks.

The checks themselves: `ledger.evidence.offline` and `ledger.evidence.online`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from eth_utils.address import to_canonical_address
from eth_utils.crypto import keccak

from ledger.chain.events import DEFAULT_DECODER
from ledger.domain.codec import ZERO_HASH, to_hex
from ledger.domain.events import EVENTS_BY_NAME
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
from ledger.evidence.bundle import LogProof, ProofBundle, bundle_event_abis, iso_utc
from ledger.evidence.format_check import clip

PASS: Final = "PASS"
FAIL: Final = "FAIL"
SKIP: Final = "SKIP"
# What one failed check reports at most: a hostile bundle can make every field wrong.
_MAX_FIELDS: Final = 50
MAX_DETAIL: Final = 2_000


@dataclass(frozen=True)
class Check:
    """The outcome of one check; `fields` are the JSON paths found wrong (on failure).

    `skipped`: the check could not be completed for want of something only the person
    verifying can give (the TSA's trust anchors, a node of the public chain); nothing it could
    check failed. A skipped check counts as passed in `VerificationReport.ok` and says in its
    detail what to give; it prints as SKIP, never as PASS."""

    name: str
    passed: bool
    detail: str
    fields: tuple[str, ...] = ()
    skipped: bool = False

    @property
    def verdict(self) -> str:
        """PASS, FAIL or SKIP."""
        if not self.passed:
            return FAIL
        return SKIP if self.skipped else PASS

    def line(self) -> str:
        """One line for a terminal: PASS/FAIL/SKIP, the check, the reason, the fields at fault."""
        text = f"{self.verdict}  {self.name}: {self.detail}"
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

    @property
    def skipped(self) -> int:
        """How many checks could not be completed (`Check.skipped`)."""
        return sum(1 for check in self.checks if check.skipped)

    def lines(self) -> list[str]:
        return [check.line() for check in self.checks]

    def failed_fields(self) -> set[str]:
        """Every field path some failed check blamed."""
        return {f for check in self.checks if not check.passed for f in check.fields}


@dataclass(frozen=True)
class Problem:
    message: str
    fields: tuple[str, ...]


class Problems:
    """Collects the problems of one check."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, message: str, *fields: str) -> None:
        self.items.append(Problem(message, fields))

    def expect(self, ok: bool, message: str, *fields: str) -> bool:
        if not ok:
            self.add(message, *fields)
        return ok


# ------------------------------------------------------------------------------ helpers


def norm(value: Any) -> Any:
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
    if type(stated) is not type(actual) or norm(stated) != norm(actual):
        return [path]
    return []


def block_time(timestamp: int) -> str:
    # A forged header can carry any time; one past year 9999 has no ISO form.
    try:
        return iso_utc(timestamp)
    except (ValueError, OverflowError, OSError):
        return f"Unix time {timestamp}"


def _find_log(
    receipt: DecodedReceipt, contract: str, event: str, tx_hash: bytes
) -> list[tuple[int, ReceiptLog, dict[str, Any]]]:
    """(position, raw log, arguments) of every `event` log of `contract` in `receipt`, the
    arguments as a bundle states them: the log decoded into its typed event, in ABI form (the
    form of its release: an earlier release's event, as ContributionRegistered before cards,
    is stated without the arguments it lacked)."""
    topics = DEFAULT_DECODER.topics_of(EVENTS_BY_NAME[event])  # of every release
    address = to_canonical_address(contract)
    found = []
    for position, log in enumerate(receipt.logs):
        if log.address == address and log.topics and log.topics[0] in topics:
            try:
                typed = DEFAULT_DECODER.decode_parts(
                    log.topics,
                    log.data,
                    address=contract,
                    block_number=0,
                    block_hash=ZERO_HASH,
                    tx_hash=to_hex(tx_hash),
                    log_index=position,
                )
                assert typed is not None  # its topic is one of the decoder's
                arguments = DEFAULT_DECODER.abi_arguments(typed, topic=log.topics[0])
            except ValueError as exc:
                raise ProofError(f"{event} log does not decode: {exc}") from exc
            found.append((position, log, arguments))
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
class Located:
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


def prove_log(
    problems: Problems,
    *,
    path: str,
    chain_path: str,
    evidence: LogProof,
    contract: str,
    chain_id: int,
    event_field: str | None,
) -> tuple[Located, dict[str, Any] | None]:
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
            f"header hashes to {to_hex(header.hash)}, not to the stated block hash",
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
                f"header time is {block_time(header.timestamp)}, not the stated time",
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
        event_ok = evidence.event in bundle_event_abis()
        if event_field is not None:
            problems.expect(
                event_ok, f"{clip(evidence.event)!r} is not a ledger event", event_field
            )
        if event_ok:
            candidates = _find_log(receipt, contract, evidence.event, evidence.tx_hash)
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
    located = Located(
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


# ------------------------------------------------------------------------------ the run


@dataclass
class Run:
    """State of one verification: the document, its parsed form, and what was located."""

    document: Mapping[str, Any]
    bundle: ProofBundle
    checks: list[Check] = field(default_factory=list)
    located: list[Located] = field(default_factory=list)

    def run(self, name: str, body: Callable[[Problems], str], *fields_on_error: str) -> None:
        problems = Problems()
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
        self.checks.append(check_outcome(name, problems, detail))


def check_outcome(name: str, problems: Problems, detail: str) -> Check:
    if not problems.items:
        return Check(name, True, detail)
    fields = tuple(dict.fromkeys(f for item in problems.items for f in item.fields))
    reason = "; ".join(dict.fromkeys(clip(item.message) for item in problems.items))
    if len(fields) > _MAX_FIELDS:
        reason += f" ({len(fields) - _MAX_FIELDS} more fields at fault)"
        fields = fields[:_MAX_FIELDS]
    return Check(name, False, clip(reason, MAX_DETAIL), fields)
