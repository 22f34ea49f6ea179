"""The follower that fills the local index (`ledger.store`) from the chain's events.

`Follower.sync_once` reads the logs of both contracts in block ranges up to `head -
confirmations`, decodes them with `ledger.chain.events` (arguments kept as snake_case JSON), and
folds them into the store with the hash of the last block of each range. Before each step it checks
that the node still has the block the cursor points at (same hash): if not, the chain
reorganised or lost blocks (an anvil killed before it persisted its state), and the index
rewinds to the newest block it knows that the node still has, then follows the new chain.
`rebuild_index` forgets everything and follows from the deployment block: the index is always
reproducible from the chain alone. Given `saved_block` (the sandbox's anvil says which block
its saved state holds), the index follows only that far: what the API shows and exports is
never a block that a crash of the node could take back.

`Follower.start()` runs `sync_once` in a daemon thread every `poll_interval` seconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.types import FilterParams, LogReceipt

from ledger.chain.events import DEFAULT_DECODER, log_entry_from_web3
from ledger.chain.translate import translating
from ledger.domain.codec import to_hex
from ledger.errors import ChainError, LedgerError
from ledger.store import Store
from ledger.store.records import Cursor, IndexedEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexStatus:
    """How far the index is behind the chain."""

    head: int
    target: int
    cursor: int | None
    lag: int
    reorgs: int
    last_error: str | None


@dataclass(frozen=True)
class ContractSpec:
    """A contract the follower reads: its name (the artifact's) and address."""

    name: str
    address: ChecksumAddress


class LogDecoder:
    """Turns raw logs of our contracts into the index's `IndexedEvent`s: the typed event
    (`ledger.chain.events`) and the name of the contract that emitted it.

    Only logs emitted at the followed addresses count: another contract may emit an event with
    the same signature.
    """

    def __init__(self, contracts: Sequence[ContractSpec]) -> None:
        self._names: dict[ChecksumAddress, str] = {spec.address: spec.name for spec in contracts}

    @property
    def addresses(self) -> list[ChecksumAddress]:
        return list(self._names)

    def decode(self, raw: LogReceipt) -> IndexedEvent | None:
        """The event of `raw`, or None for a log we do not follow."""
        entry = log_entry_from_web3(raw)
        contract = self._names.get(entry.address)
        if contract is None:
            return None
        event = DEFAULT_DECODER.decode(entry)
        if event is None:
            return None
        return IndexedEvent(contract, event)


class Follower:
    """Follows the chain into the store; one per store. Thread-safe `sync_once`."""

    def __init__(
        self,
        w3: Web3,
        store: Store,
        contracts: Sequence[ContractSpec],
        *,
        start_block: int,
        confirmations: int = 0,
        block_range: int = 2_000,
        poll_interval: float = 0.25,
        saved_block: Callable[[], tuple[int, str] | None] | None = None,
    ) -> None:
        self.w3 = w3
        self.saved_block = saved_block
        self.store = store
        self.decoder = LogDecoder(contracts)
        self.start_block = start_block
        self.confirmations = confirmations
        self.block_range = block_range
        self.poll_interval = poll_interval
        self.reorgs = 0
        self.last_error: str | None = None
        self._head = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------------------- node access

    def _block_hash(self, number: int) -> str | None:
        if number < 0:
            return None
        try:
            with translating():
                block = self.w3.eth.get_block(number)
        except ChainError:
            # eth-tester raises BlockNotFound (translated) where a node answers null.
            head = self._head_number()
            if number > head:
                return None
            raise
        return to_hex(HexBytes(block["hash"]))

    def _head_number(self) -> int:
        with translating():
            return int(self.w3.eth.block_number)

    def _logs(self, from_block: int, to_block: int) -> list[LogReceipt]:
        params: FilterParams = {
            "address": self.decoder.addresses,
            "fromBlock": from_block,
            "toBlock": to_block,
        }
        with translating():
            return list(self.w3.eth.get_logs(params))

    # -------------------------------------------------------------------------------- sync

    def status(self) -> IndexStatus:
        """Where the index stands (asks the node for its head)."""
        head = self._head_number()
        self._head = head
        cursor = self.store.index.cursor()
        target = max(self._target(head), 0)
        position = cursor.block_number if cursor else None
        lag = target - (position if position is not None else self.start_block - 1)
        return IndexStatus(head, target, position, max(lag, 0), self.reorgs, self.last_error)

    def _target(self, head: int) -> int:
        """The newest block to index: `confirmations` deep, and saved by the node if it says."""
        target = head - self.confirmations
        if self.saved_block is not None:
            saved = self.saved_block()
            target = min(target, saved[0] if saved is not None else -1)
        return target

    def sync_once(self, *, max_ranges: int | None = None) -> int:
        """Fold every new event up to `head - confirmations` into the store; return how many."""
        with self._lock:
            return self._sync(max_ranges)

    def _sync(self, max_ranges: int | None) -> int:
        head = self._head_number()
        self._head = head
        target = self._target(head)
        cursor = self.store.index.cursor()
        if cursor is not None:
            cursor = self._check_reorg(cursor, head)
        position = cursor.block_number if cursor is not None else self.start_block - 1
        added = 0
        ranges = 0
        while position < target and (max_ranges is None or ranges < max_ranges):
            to_block = min(position + self.block_range, target)
            to_hash = self._block_hash(to_block)
            logs = self._logs(position + 1, to_block)
            if to_hash is None or self._block_hash(to_block) != to_hash:
                # The chain changed under us; the next round's reorg check sorts it out.
                break
            events = [e for e in (self.decoder.decode(raw) for raw in logs) if e is not None]
            events.sort(key=lambda e: e.event.position)
            self.store.index.append_events(events, to_block=to_block, to_hash=to_hash)
            added += len(events)
            position = to_block
            ranges += 1
        return added

    def _check_reorg(self, cursor: Cursor, head: int) -> Cursor | None:
        if (
            cursor.block_number <= head
            and self._block_hash(cursor.block_number) == cursor.block_hash
        ):
            return cursor
        self.reorgs += 1
        for number, known in self.store.index.checkpoints(min(cursor.block_number, head)):
            if number < self.start_block - 1:
                break
            if self._block_hash(number) == known:
                dropped = self.store.index.rewind(number, known)
                log.warning(
                    "chain reorganised below block %d: index rewound to %d (%d events dropped)",
                    cursor.block_number,
                    number,
                    dropped,
                )
                return self.store.index.cursor()
        log.warning("no common block with the chain: rebuilding the index from scratch")
        self.store.index.reset()
        return None

    # ------------------------------------------------------------------------------ thread

    def start(self) -> None:
        """Follow in a daemon thread until `stop()`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="poc-index-follower", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread started by `start()`."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def poke(self) -> None:
        """Ask the thread to sync now rather than at its next tick."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sync_once(max_ranges=50)
                self.last_error = None
            except LedgerError as exc:
                # A node outage is expected (restarts, crashes): keep trying.
                self.last_error = str(exc)
                log.debug("index follower: %s", exc)
            self._wake.wait(self.poll_interval)
            self._wake.clear()


def rebuild_index(follower: Follower) -> int:
    """Forget the index and rebuild it from the chain alone; return the events indexed."""
    follower.store.index.reset()
    total = 0
    while True:
        added = follower.sync_once()
        total += added
        status = follower.status()
        if status.lag == 0:
            return total


def follower_for(
    w3: Web3,
    store: Store,
    *,
    ledger_address: str,
    vault_address: str,
    exchange_address: str | None = None,
    start_block: int,
    confirmations: int = 0,
    block_range: int = 2_000,
    poll_interval: float = 0.25,
) -> Follower:
    """A follower of one deployment's PocLedger and RoyaltyVault, and its PocExchange if it has
    one (what `poc index` uses)."""
    contracts = [
        ContractSpec("PocLedger", Web3.to_checksum_address(ledger_address)),
        ContractSpec("RoyaltyVault", Web3.to_checksum_address(vault_address)),
    ]
    if exchange_address is not None:
        contracts.append(ContractSpec("PocExchange", Web3.to_checksum_address(exchange_address)))
    return Follower(
        w3,
        store,
        contracts,
        start_block=start_block,
        confirmations=confirmations,
        block_range=block_range,
        poll_interval=poll_interval,
    )
