"""The durable outbox: accepted writes are stored first, then sent, then confirmed.

An operation moves through

    accepted ──send──▶ sent ──receipt──▶ included ──durable──▶ confirmed
        ▲               │                   │
        └──── lost ─────┴─────── lost ──────┘          (reverted) ──▶ failed

- *accepted*: stored in the database (by the API) before anything else; nothing is lost.
- *sent*: the worker signed and submitted the transaction (its hash is stored).
- *included*: a receipt exists; `result_json` holds the events it emitted.
- *confirmed*: the block is durable: `confirmations` blocks on top of it, the node still has
  it, and it is on the node's disk. Where the node says what it has saved (`saved_block`, the
  sandbox's anvil: `poc.sandbox.anvil.AnvilProcess.saved_block`), the block must be at or below
  the saved one, and the saved one still on the chain: exact. Otherwise the block must be
  `persist_delay` seconds old (a node that persists its state periodically loses younger
  blocks when it is killed): a timing bound, for nodes that cannot say.
- *lost*: the receipt or the block disappeared (node crash, reorg), or the transaction vanished
  from the node: the operation goes back to *accepted* and is sent again.

Each action lands exactly once because the contracts make repeats fail: a signed action's nonce
is single-use (`SignatureNonceUsed`), a registration's id is unique (`PocContributionExists`).
When a re-sent operation reverts that way, the worker checks the chain and counts the earlier
landing as success ("already done") instead of failing; it is then *included* (its block holds
the revert, and the landing at or below it) and confirmed by the same rule as any other.

The worker is one thread; it pipelines: every round sends all accepted operations without
waiting, then collects receipts. Each phase is one JSON-RPC batch request (signed
transactions, receipts, block hashes; one call at a time on eth-tester), items failing alone,
and the round's changes are written in one transaction; busy rounds start at most every
`round_interval`, so a round carries whatever was accepted meanwhile.

`ChainCall` is what an operation sends (contract, function, ABI arguments, gas, and who
sends it: the relayer, or a custodial partner key for the few calls that have no signed
variant). Persistence is `ledger.store`; the API builds the calls.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

from eth_typing import ChecksumAddress, HexStr
from hexbytes import HexBytes
from web3 import Web3
from web3.types import FilterParams

from ledger.chain.events import DEFAULT_DECODER, decode_receipt, log_entry_from_web3
from ledger.chain.receipts import (
    TxReceipt,
    block_hashes,
    fetch_receipt,
    fetch_receipts,
    revert_error,
    transactions_known,
)
from ledger.chain.reverts import (
    DecodedRevertError,
    PocContributionExists,
    SignatureExpired,
    SignatureNonceUsed,
    from_transaction_error,
)
from ledger.chain.transactions import TxRequest, TxSender
from ledger.chain.translate import translating
from ledger.domain.events import NonceCancelled, to_json
from ledger.domain.values import checksum
from ledger.errors import ChainError, LedgerError, TransactionRevertedError
from ledger.store import Store
from ledger.store.outbox import OperationRecord
from ledger.sync.calls import RELAYER, ChainCall

log = logging.getLogger(__name__)


class OpStatus(StrEnum):
    """Where an operation stands."""

    ACCEPTED = "accepted"
    SENT = "sent"
    INCLUDED = "included"
    CONFIRMED = "confirmed"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self in (OpStatus.CONFIRMED, OpStatus.FAILED)


# What an operation whose transaction or block was lost goes back to: accepted, to be sent again.
_SEND_AGAIN: Mapping[str, Any] = {
    "status": OpStatus.ACCEPTED,
    "tx_hash": None,
    "block_number": None,
    "block_hash": None,
}

# ------------------------------------------------------------------------------ confirming


class _Verdict(StrEnum):
    """What a confirmation pass finds for one included operation."""

    CONFIRMED = "confirmed"
    WAIT_FOR_SAVE = "wait_for_save"
    WAIT_FOR_DEPTH = "wait_for_depth"
    LOST = "lost"


@dataclass(frozen=True)
class _ChainView:
    """What a confirmation pass read from the node: the head, block hashes by number, and the
    highest block of the node's saved state that is still on the chain (-1: none)."""

    head: int
    hashes: Mapping[int, HexStr | None]
    saved_up_to: int


@dataclass(frozen=True)
class WorkerStats:
    """Counters of a worker since it started."""

    sent: int = 0
    resent: int = 0
    confirmed: int = 0
    failed: int = 0
    already_done: int = 0


# ------------------------------------------------------------------------------ worker


@dataclass
class _Counters:
    sent: int = 0
    resent: int = 0
    confirmed: int = 0
    failed: int = 0
    already_done: int = 0


@dataclass(frozen=True)
class OutboxConfig:
    """Tuning of the worker (see the module docstring for what the durations mean)."""

    confirmations: int = 0
    persist_delay: float = 0.0
    poll_interval: float = 0.05
    # Busy rounds start at most this often: operations accepted meanwhile share the next
    # round's batches instead of each paying a round's queries and requests (a request
    # pokes the worker awake). At 150 operations/s on anvil the worker's CPU per operation
    # was 1.9 ms at 0.05 s, 1.35 ms at 0.1 s, 1.0 ms at 0.2 s.
    round_interval: float = 0.1
    batch_size: int = 200
    # A sent transaction the node does not know after this long is lost and sent again.
    lost_after: float = 2.0
    # A sent transaction without a receipt after this long is re-sent (with a fresh relayer
    # nonce: the old one may sit behind a nonce gap after the node lost blocks).
    stale_after: float = 30.0
    # How far back `reconcile` re-checks confirmed operations after the node lost blocks.
    reconcile_window: float = 3_600.0
    # How often included operations waiting for the node to save their block are looked at.
    saved_poll_interval: float = 0.2


@dataclass
class OutboxWorker:
    """Sends, tracks and confirms the outbox's operations in one background thread.

    `contracts` maps contract names to addresses; `partner_sender` returns the `TxSender` of a
    custodial partner key for the calls that partner must send itself. `saved_block` returns
    the newest block (number, hash) the node has on disk, or None while it has saved none;
    without it, `config.persist_delay` stands in (see the module docstring).
    """

    store: Store
    w3: Web3
    relayer: TxSender
    contracts: Mapping[str, ChecksumAddress]
    config: OutboxConfig = field(default_factory=OutboxConfig)
    partner_sender: Callable[[str], TxSender] | None = None
    is_nonce_used: Callable[[str, str, int], bool] | None = None
    saved_block: Callable[[], tuple[int, str] | None] | None = None

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._counters = _Counters()
        self._last_head = -1
        self._confirm_after = 0.0  # no included operation can be due before (time.time())
        self._updates: list[tuple[str, Mapping[str, Any]]] = []  # the round's, written at its end
        self.last_error: str | None = None

    # ---------------------------------------------------------------------------- control

    def start(self) -> None:
        """Run the worker in a daemon thread until `stop()`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="poc-outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread; operations in flight stay in the store and resume on restart."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def poke(self) -> None:
        """Wake the worker now (a new operation was accepted)."""
        self._wake.set()

    @property
    def stats(self) -> WorkerStats:
        c = self._counters
        return WorkerStats(c.sent, c.resent, c.confirmed, c.failed, c.already_done)

    def wait(self, op_id: str, timeout: float) -> OperationRecord | None:
        """Block until the operation is final (or `timeout`); return its latest state."""
        deadline = time.monotonic() + timeout
        self.poke()
        while True:
            op = self.store.outbox.operation(op_id)
            if op is None or OpStatus(op.status).final:
                return op
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return op
            with self._changed:
                self._changed.wait(min(remaining, 0.05))

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                busy = self.step()
                self.last_error = None
            except LedgerError as exc:
                # Node or database outages are expected; everything is in the store.
                self.last_error = str(exc)
                log.debug("outbox: %s", exc)
                busy = False
            except Exception:  # a bug: keep the worker alive, it is the only sender
                log.exception("outbox worker step failed")
                busy = False
            if not busy:
                self._wake.wait(self.config.poll_interval)
                self._wake.clear()
            else:
                self._stop.wait(self.config.round_interval - (time.monotonic() - started))

    # ------------------------------------------------------------------------------- steps

    def step(self) -> bool:
        """One round: send accepted, collect receipts, confirm durable. True if anything moved.

        The round's changes are written in one transaction at its end, also when a phase
        fails half-way (what was sent is recorded even if the node went away): every commit
        syncs the outbox's file to disk and holds up the API's accepts while it does.
        """
        try:
            moved = self._check_head()
            sent, held = self._send_accepted()
            moved = self._collect_receipts() or sent or moved
            moved = self._confirm_included() or moved
        finally:
            updates, self._updates = self._updates, []
            self.store.outbox.update_operations(updates)
        if moved:
            with self._changed:
                self._changed.notify_all()
        if held is not None:
            # Reported after the round: an operation the node refuses for now must not keep
            # the others' receipts and confirmations waiting.
            raise held
        return moved

    def drain(self, timeout: float = 60.0) -> bool:
        """Run rounds in this thread until nothing is pending (tests); True if drained."""
        deadline = time.monotonic() + timeout
        pending = (OpStatus.ACCEPTED, OpStatus.SENT, OpStatus.INCLUDED)
        while time.monotonic() < deadline:
            self.step()
            if not self.store.outbox.operations_in(list(pending), limit=1):
                return True
            time.sleep(self.config.poll_interval)
        return False

    def _check_head(self) -> bool:
        with translating():
            head = int(self.w3.eth.block_number)
        moved = False
        if self._last_head < 0 or head < self._last_head:
            # First contact, or the node lost blocks: its nonces went back, ours must follow,
            # and operations confirmed recently may have been in the lost part.
            if self._last_head >= 0:
                log.warning("chain head went back from %d to %d", self._last_head, head)
            self._resync_senders()
            self._confirm_after = 0.0
            moved = self.reconcile(head)
        self._last_head = head
        return moved

    def reconcile(self, head: int) -> bool:
        """Send again the recently confirmed operations whose block the node no longer has.

        "Confirmed" means durable by the node's own promise (depth, persistence interval); a
        node restored from an older state file breaks that promise, and this is the safety net.
        """
        since = time.time() - self.config.reconcile_window
        ops = self.store.outbox.operations_in(
            [OpStatus.CONFIRMED], limit=100_000, updated_after=since
        )
        numbers = [op.block_number for op in ops if op.block_number is not None]
        hashes = block_hashes(self.w3, [n for n in numbers if n <= head])
        updates: list[tuple[str, Mapping[str, Any]]] = []
        for op in ops:
            if op.block_number is None or op.block_hash is None:
                continue
            if hashes.get(op.block_number) != op.block_hash:
                log.warning(
                    "operation %s: confirmed block %d is gone, resending", op.id, op.block_number
                )
                updates.append((op.id, _SEND_AGAIN))
        self.store.outbox.update_operations(updates)
        return bool(updates)

    def _resync_senders(self) -> None:
        self.relayer.resync()

    def _sender_of(self, call: ChainCall) -> TxSender:
        if call.sender == RELAYER:
            return self.relayer
        if self.partner_sender is None:
            raise LedgerError(f"no custodial key to send as {call.sender}")
        return self.partner_sender(call.sender)

    def _send_accepted(self) -> tuple[bool, ChainError | None]:
        """Send every accepted operation; whether any moved, and why the node refused those
        that stay accepted for the next round (if any did)."""
        ops = self.store.outbox.operations_in([OpStatus.ACCEPTED], limit=self.config.batch_size)
        if not ops:
            return False, None
        updates: list[tuple[str, Mapping[str, Any]]] = []
        # Per sender, in order: one signed batch each (the relayer's, mostly).
        batches: dict[str, tuple[TxSender, list[tuple[OperationRecord, TxRequest]]]] = {}
        for op in ops:
            call = ChainCall.from_json(op.payload_json)
            request = TxRequest(
                to=self.contracts[call.contract],
                data=call.calldata(),
                value=call.value,
                gas=call.gas,
            )
            try:
                sender = self._sender_of(call)
            except ChainError:
                raise
            except LedgerError as exc:
                updates.append((op.id, self._send_failed_values(exc)))
                continue
            batches.setdefault(sender.address, (sender, []))[1].append((op, request))
        held: ChainError | None = None
        try:
            for sender, items in batches.values():
                results = sender.send_batch([request for _, request in items])
                for (op, _), result in zip(items, results, strict=True):
                    if isinstance(result, TransactionRevertedError):
                        updates.append((op.id, self._failed_values(result)))
                    elif isinstance(result, ChainError):
                        # Refused for now (no funds, a node in trouble): the operation stays
                        # accepted for the next round, and the round reports why.
                        held = held or result
                    elif isinstance(result, LedgerError):
                        updates.append((op.id, self._send_failed_values(result)))
                    else:
                        updates.append((op.id, self._sent_values(op, result)))
        finally:
            self._updates.extend(updates)
        return bool(updates), held

    def _sent_values(self, op: OperationRecord, tx_hash: str) -> dict[str, Any]:
        if op.attempts > 0:
            self._counters.resent += 1
        self._counters.sent += 1
        return {
            "status": OpStatus.SENT,
            "tx_hash": tx_hash,
            "attempts": op.attempts + 1,
            "sent_at": time.time(),
            "block_number": None,
            "block_hash": None,
        }

    def _send_failed_values(self, exc: LedgerError) -> dict[str, Any]:
        return self._failure("send_failed", str(exc))

    def _failure(self, code: str, message: str) -> dict[str, Any]:
        """A final failure. It frees the operation's action (`dedupe_key`) and nonce
        (`nonce_key`): a failed attempt never blocks a new one, and the same request
        (`attempt_key`, `idempotency_key`) still finds it."""
        self._counters.failed += 1
        return {
            "status": OpStatus.FAILED,
            "error_code": code,
            "error_message": message,
            "dedupe_key": None,
            "nonce_key": None,
        }

    def _collect_receipts(self) -> bool:
        ops = self.store.outbox.operations_in([OpStatus.SENT], limit=self.config.batch_size * 5)
        if not ops:
            return False
        receipts = fetch_receipts(self.w3, [cast(str, op.tx_hash) for op in ops])
        now = time.time()
        # Sent a while ago and still without a receipt: does the node know it at all?
        config = self.config
        unsure = [
            op
            for op, receipt in zip(ops, receipts, strict=True)
            if receipt is None
            and config.lost_after <= now - (op.sent_at or op.updated_at) < config.stale_after
        ]
        known = dict(
            zip(
                [op.id for op in unsure],
                transactions_known(self.w3, [cast(str, op.tx_hash) for op in unsure]),
                strict=True,
            )
        )
        updates: list[tuple[str, Mapping[str, Any]]] = []
        resync = False
        for op, receipt in zip(ops, receipts, strict=True):
            if receipt is None:
                age = now - (op.sent_at or op.updated_at)
                if age >= self.config.stale_after or known.get(op.id) is False:
                    log.warning("operation %s: transaction %s lost, resending", op.id, op.tx_hash)
                    updates.append((op.id, {"status": OpStatus.ACCEPTED, "tx_hash": None}))
                    resync = True
                continue
            if receipt.succeeded:
                updates.append((op.id, self._included_values(receipt, now)))
            else:
                updates.append((op.id, self._reverted_values(op, receipt, now)))
        if resync:
            self._resync_senders()
        self._updates.extend(updates)
        return bool(updates)

    def _confirm_included(self) -> bool:
        """One pass over included operations: confirm those whose block is final, wait for the
        others, send again those whose block was lost; then pace the next pass."""
        now = time.time()
        if now < self._confirm_after:
            return False
        limit = self.config.batch_size * 5
        ops = self.store.outbox.operations_in([OpStatus.INCLUDED], limit=limit)
        if not ops:
            # Whatever is included from now on is mined now or later.
            self._confirm_after = now + self.config.persist_delay
            return False
        # Only blocks old enough to confirm are checked: a block lost before then is found
        # lost when it is due, and one beyond the head is lost without asking.
        due = [op for op in ops if now - (op.mined_at or now) >= self.config.persist_delay]
        view = self._chain_view(due)
        updates: list[tuple[str, Mapping[str, Any]]] = []
        waiting_for_depth = waiting_for_save = False
        for op in due:
            verdict = self._judge(op, view)
            if verdict is _Verdict.CONFIRMED:
                updates.append((op.id, {"status": OpStatus.CONFIRMED}))
                self._counters.confirmed += 1
            elif verdict is _Verdict.WAIT_FOR_SAVE:
                waiting_for_save = True  # on the chain, not yet on the node's disk
            elif verdict is _Verdict.WAIT_FOR_DEPTH:
                waiting_for_depth = True
            else:
                updates.append(self._block_lost(op, now))
        self._updates.extend(updates)
        self._confirm_after = self._next_confirm_pass(
            ops,
            updates,
            limit,
            now,
            waiting_for_depth=waiting_for_depth,
            waiting_for_save=waiting_for_save,
        )
        return bool(updates)

    def _chain_view(self, due: Sequence[OperationRecord]) -> _ChainView:
        """The head, the hashes of the blocks deep enough to confirm, and how far the node's
        saved state reaches (-1 without one, or if its block left the chain)."""
        # What the node has saved is read before the chain: a block found on the chain below
        # a saved block that is itself still on the chain was saved with it.
        saved = self.saved_block() if self.saved_block is not None else None
        with translating():
            head = int(self.w3.eth.block_number)
        numbers = [
            cast(int, op.block_number)
            for op in due
            if head - cast(int, op.block_number) >= self.config.confirmations
        ]
        hashes = block_hashes(self.w3, numbers + ([saved[0]] if saved is not None else []))
        saved_up_to = saved[0] if saved is not None and hashes.get(saved[0]) == saved[1] else -1
        return _ChainView(head, hashes, saved_up_to)

    def _judge(self, op: OperationRecord, view: _ChainView) -> _Verdict:
        """Whether `op`'s block is final (deep enough, still on the chain, saved by the node),
        not yet, or lost."""
        assert op.block_number is not None and op.tx_hash is not None
        deep = view.head - op.block_number >= self.config.confirmations
        if deep and view.hashes.get(op.block_number) == op.block_hash:
            if self.saved_block is not None and op.block_number > view.saved_up_to:
                return _Verdict.WAIT_FOR_SAVE
            return _Verdict.CONFIRMED
        if not deep and op.block_number <= view.head:
            return _Verdict.WAIT_FOR_DEPTH
        return _Verdict.LOST

    def _block_lost(self, op: OperationRecord, now: float) -> tuple[str, Mapping[str, Any]]:
        """The update for an operation whose block left the chain: included again if its
        transaction landed elsewhere (a reorg), else sent again."""
        assert op.tx_hash is not None
        receipt = fetch_receipt(self.w3, op.tx_hash)
        if receipt is not None and receipt.succeeded:
            # Re-included in another block after a reorg: wait for that one instead.
            return op.id, self._included_values(receipt, now)
        log.warning("operation %s: block of %s lost, resending", op.id, op.tx_hash)
        self._resync_senders()
        return op.id, _SEND_AGAIN

    def _next_confirm_pass(
        self,
        ops: Sequence[OperationRecord],
        updates: Sequence[tuple[str, Mapping[str, Any]]],
        limit: int,
        now: float,
        *,
        waiting_for_depth: bool,
        waiting_for_save: bool,
    ) -> float:
        """When the next pass is worth making. Passes are skipped while nothing can be due,
        and spaced a fifth of the persistence delay apart: each one reads every included
        operation, and hundreds wait out the delay at a time."""
        done = {op_id for op_id, _ in updates}
        rest = [op for op in ops if op.id not in done]
        if len(ops) >= limit or waiting_for_depth:
            after = now
        elif waiting_for_save:
            after = now + self.config.saved_poll_interval
        elif rest:
            after = min((op.mined_at or now) for op in rest) + self.config.persist_delay
        else:
            after = now + self.config.persist_delay
        return max(after, now + min(self.config.persist_delay / 5, 0.5))

    # ----------------------------------------------------------------------------- helpers

    def _included_values(self, receipt: TxReceipt, now: float) -> dict[str, Any]:
        events = decode_receipt(receipt, address=list(self.contracts.values()))
        result = {"events": [{"event": e.event_name, "args": to_json(e)} for e in events]}
        return {
            "status": OpStatus.INCLUDED,
            "tx_hash": receipt.tx_hash,
            "block_number": receipt.block_number,
            "block_hash": receipt.block_hash,
            "mined_at": now,
            "result_json": json.dumps(result, separators=(",", ":")),
        }

    def _reverted_values(
        self, op: OperationRecord, receipt: TxReceipt, now: float
    ) -> dict[str, Any]:
        call = ChainCall.from_json(op.payload_json)
        error = self._explain(call, receipt)
        if isinstance(error, DecodedRevertError) and self._already_done(call, error):
            self._counters.already_done += 1
            result = {"already_done": True, "reason": error.code, "events": []}
            # Included, not confirmed: the landing may be as young as this block, and is as
            # final as the block is (`_confirm_included`).
            return {
                "status": OpStatus.INCLUDED,
                "block_number": receipt.block_number,
                "block_hash": receipt.block_hash,
                "mined_at": now,
                "result_json": json.dumps(result),
            }
        return self._failed_values(error)

    def _explain(self, call: ChainCall, receipt: TxReceipt) -> LedgerError:
        """Why the call's transaction failed, decoded where the revert data says.

        A signed call in a block later than its deadline failed on `SignatureExpired`: the
        contracts check the deadline before anything else. That is read from the block's
        clock, without a replay, which sees another block's clock or no state at all on a node
        that keeps none of older blocks (what happens to a write accepted while the node was
        down and sent after its deadline). Anything else is replayed (`tx.revert_error`).
        """
        deadline = call.deadline
        if deadline is not None:
            with translating():
                timestamp = int(self.w3.eth.get_block(receipt.block_number)["timestamp"])
            if timestamp > deadline:
                expired = SignatureExpired(deadline, timestamp)
                expired.tx_hash = receipt.tx_hash
                return expired
        return _decoded(revert_error(self.w3, receipt))

    def _failed_values(self, exc: LedgerError) -> dict[str, Any]:
        exc = _decoded(exc)
        if isinstance(exc, DecodedRevertError):
            return self._failure(exc.code, str(exc))
        # Reverted without data (out of gas?), or the replay could not read it: the message
        # says which; "unknown_revert" is kept for data that no ABI here explains.
        return self._failure("transaction_reverted", str(exc))

    def _already_done(self, call: ChainCall, error: DecodedRevertError) -> bool:
        """Whether a revert says this very action landed earlier (a re-send of it)."""
        if isinstance(error, PocContributionExists) and call.function in (
            "registerBySig",
            "revealBatched",
        ):
            return True
        if isinstance(error, SignatureNonceUsed) and call.signer and call.nonce is not None:
            signer = checksum(call.signer)
            if self.is_nonce_used is not None and not self.is_nonce_used(
                call.contract, signer, call.nonce
            ):
                return False
            # Used by a landing of this signed call, or cancelled by its signer: only the
            # latter leaves a `NonceCancelled` event, and then the action never happened.
            return not self._nonce_cancelled(call.contract, signer, call.nonce)
        return False

    def _nonce_cancelled(self, contract: str, signer: ChecksumAddress, nonce: int) -> bool:
        params: FilterParams = {
            "address": self.contracts[contract],
            "fromBlock": 0,
            "toBlock": "latest",
            "topics": [
                HexBytes(DEFAULT_DECODER.topic_of(NonceCancelled)).to_0x_hex(),
                HexBytes(bytes(12) + bytes.fromhex(signer[2:])).to_0x_hex(),
            ],
        }
        with translating():
            logs = self.w3.eth.get_logs(params)
        for raw in logs:
            event = DEFAULT_DECODER.decode(log_entry_from_web3(raw))
            if isinstance(event, NonceCancelled) and event.nonce == nonce:
                return True
        return False


def _decoded(exc: LedgerError) -> LedgerError:
    """A revert with data as its decoded class (`unknown_revert` if no ABI here knows it); a
    revert without data, or any other error, as it is."""
    if isinstance(exc, TransactionRevertedError) and exc.revert_data:
        return from_transaction_error(exc)
    return exc
