"""The anchoring job: now and then, post a checkpoint of the consortium chain on the public chain.

Each round (`CheckpointAnchorer.run_once`) asks the public contract where this anchorer's
previous checkpoint of the consortium chain ended, reads the consortium block hashes from the
next block up to the latest one (less `confirmations`; at most `max_blocks` at a time), builds
their tree (`ledger.evidence.checkpoints.BlockHashTree`) and posts its root with the range and
the last block hash (`ChainCheckpoints.checkpoint`). The first checkpoint starts at
`start_block`.

It keeps no state of its own: the contract is the record of what was anchored, so a crash
between sending and mining costs nothing but a repeated attempt, which the contract refuses as
not contiguous if the first one landed after all. A round with nothing new does nothing (no
empty checkpoints). The background process (`poc.background`) runs it every
`interval` seconds; settings name the public chain, the contract and the signing key.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from hexbytes import HexBytes
from web3 import Web3

from ledger.chain.checkpoints import ChainCheckpointsClient, Checkpoint, decode_checkpointed
from ledger.chain.receipts import block_hashes
from ledger.chain.reverts import CheckpointNotContiguous
from ledger.chain.transactions import TxSender
from ledger.chain.translate import translating
from ledger.errors import ChainError, LedgerError
from ledger.evidence.checkpoints import BlockHashTree

log = logging.getLogger(__name__)

DEFAULT_MAX_BLOCKS: Final = 10_000
DEFAULT_INTERVAL: Final = 600.0


@dataclass(frozen=True)
class Anchored:
    """A checkpoint this job posted, and what it cost."""

    checkpoint: Checkpoint
    tx_hash: str
    public_block: int
    gas_used: int


class CheckpointAnchorer:
    """Posts checkpoints of the chain `source` through `client` from `sender` (module docstring).

    `confirmations`: blocks to leave out at the head (0 on a chain with instant finality, such
    as Besu QBFT; more where blocks can be reorganised). `max_blocks`: the most blocks one
    checkpoint covers, so that the tree stays cheap to rebuild when proving.
    """

    def __init__(
        self,
        source: Web3,
        client: ChainCheckpointsClient,
        sender: TxSender,
        *,
        confirmations: int = 0,
        max_blocks: int = DEFAULT_MAX_BLOCKS,
        start_block: int = 0,
        on_anchored: Callable[[Anchored], None] | None = None,
        source_chain_id: int | None = None,
    ) -> None:
        if max_blocks < 1:
            raise ValueError("max_blocks must be at least 1")
        self.source = source
        self.client = client
        self.sender = sender
        self.confirmations = confirmations
        self.max_blocks = max_blocks
        self.start_block = start_block
        self.on_anchored = on_anchored
        if source_chain_id is None:
            with translating():
                source_chain_id = int(source.eth.chain_id)
        # Given, the node need not answer now (the service starts during a node outage).
        self.source_chain_id = source_chain_id

    def next_range(self) -> tuple[int, int] | None:
        """(first, last) block the next checkpoint would cover; None when nothing is new."""
        sequence, to_block = self.client.latest(self.sender.address, self.source_chain_id)
        first = to_block + 1 if sequence else self.start_block
        with translating():
            head = int(self.source.eth.block_number) - self.confirmations
        if head < first:
            return None
        return first, min(head, first + self.max_blocks - 1)

    def run_once(self) -> Anchored | None:
        """Post one checkpoint of the blocks not anchored yet; None when there are none.
        Raises ChainError (either chain) and the contract's reverts."""
        span = self.next_range()
        if span is None:
            return None
        first, last = span
        numbers = list(range(first, last + 1))
        found = block_hashes(self.source, numbers)
        missing = [n for n in numbers if found.get(n) is None]
        if missing:
            raise ChainError(f"the consortium node did not return blocks {missing[:5]}")
        hashes = [bytes(HexBytes(str(found[n]))) for n in numbers]
        tree = BlockHashTree.of(first, hashes)
        receipt = self.client.post(
            self.sender,
            source_chain_id=self.source_chain_id,
            from_block=first,
            to_block=last,
            last_block_hash=hashes[-1],
            root=tree.root,
        )
        posted = next(
            decode_checkpointed(entry.topics, entry.data)
            for entry in receipt.logs
            if entry.address == self.client.address
        )
        anchored = Anchored(posted, receipt.tx_hash, receipt.block_number, receipt.gas_used)
        log.info(
            "anchored blocks %d..%d of chain %d as checkpoint %d in public block %d",
            first,
            last,
            self.source_chain_id,
            posted.sequence,
            receipt.block_number,
        )
        if self.on_anchored is not None:
            self.on_anchored(anchored)
        return anchored

    def run(self, stop: threading.Event, *, interval: float = DEFAULT_INTERVAL) -> None:
        """A round every `interval` seconds until `stop` (at once again while blocks remain
        beyond `max_blocks`). Failures are logged and retried next round."""
        while not stop.is_set():
            busy = False
            try:
                anchored = self.run_once()
                busy = anchored is not None and self.next_range() is not None
            except CheckpointNotContiguous as exc:
                # Another instance of the job, or our own earlier attempt, landed first.
                log.info("checkpoint not posted, the contract moved on: %s", exc)
                busy = True
            except LedgerError as exc:
                log.warning("anchoring round failed, retrying in %.0f s: %s", interval, exc)
            if not busy:
                stop.wait(interval)
