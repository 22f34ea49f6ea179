"""Recomputing a split from chain data alone, as anyone holding a node of the chain can.

- `read_history`: a project's scoring events straight from a node, in block ranges, with an
  optional progress line on stderr; `block_time`: the evaluation time of a block;
- `score_at_block`: the score of the project as of a block, from those events alone;
- `check_split`: a finalized split version of the RoyaltyVault against its recomputation at the
  block and policy version it names (what `poc score --check-split` prints).

Nothing here reads this service's index: the scheme (`ledger.scoring`) gets the events the
chain layer decodes (`ledger.chain.events`), as they are.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from web3 import Web3

from ledger.chain.clients import RoyaltyVaultClient
from ledger.chain.events import get_events
from ledger.chain.translate import translating
from ledger.domain.codec import to_hex
from ledger.errors import ScoringError
from ledger.scoring.history import SCORING_EVENTS, ScoringEvent, scoring_history
from ledger.scoring.results import ScoreResult
from ledger.scoring.scheme import score

__all__ = [
    "SplitCheck",
    "block_time",
    "check_split",
    "read_history",
    "score_at_block",
]

# A project of a million contributions spans many blocks; eth_getLogs is asked for this many
# blocks at a time (providers commonly refuse more than 10,000).
DEFAULT_BLOCK_RANGE: Final = 5_000


# ------------------------------------------------------------------------------ the chain


def block_time(w3: Web3, block_number: int) -> int:
    """The timestamp of `block_number`: the evaluation time of a score at that block."""
    with translating():
        return int(w3.eth.get_block(block_number)["timestamp"])


def read_history(
    w3: Web3,
    ledger_address: str,
    project_id: int,
    *,
    to_block: int,
    from_block: int = 0,
    block_range: int = DEFAULT_BLOCK_RANGE,
    progress: bool = False,
) -> list[ScoringEvent]:
    """The project's scoring events in blocks `from_block`..`to_block`, in chain order.

    Reads `block_range` blocks per eth_getLogs call; `progress` draws a bar on stderr.
    """
    history: list[ScoringEvent] = []
    for start, end in _ranges(from_block, to_block, block_range, progress):
        events = get_events(
            w3,
            ledger_address,
            start,
            end,
            event_types=SCORING_EVENTS,
            project_id=project_id,
            max_block_span=block_range,
        )
        history.extend(scoring_history(events))
    return history


def _ranges(first: int, last: int, size: int, progress: bool) -> Iterator[tuple[int, int]]:
    total = max(last - first + 1, 1)
    for start in range(first, last + 1, size):
        end = min(start + size - 1, last)
        yield start, end
        if progress:
            done = end - first + 1
            print(
                f"\rreading events: block {end} of {last} ({100 * done // total} %)",
                end="" if end < last else "\n",
                file=sys.stderr,
                flush=True,
            )


def score_at_block(
    w3: Web3,
    ledger_address: str,
    project_id: int,
    block_number: int,
    *,
    policy_version: int | None = None,
    from_block: int = 0,
    progress: bool = False,
) -> ScoreResult:
    """Score the project from chain data alone, as of `block_number` (its events up to and
    including that block, evaluated at its timestamp)."""
    history = read_history(
        w3,
        ledger_address,
        project_id,
        to_block=block_number,
        from_block=from_block,
        progress=progress,
    )
    return score(history, as_of=block_time(w3, block_number), policy_version=policy_version)


@dataclass(frozen=True)
class SplitCheck:
    """A finalized split version against its recomputation from the chain."""

    project_id: int
    split_version: int
    proposal_id: int
    policy_version: int
    computed_at_block: int
    on_chain: dict[str, int]
    recomputed: dict[str, int]
    on_chain_input_set_hash: str
    recomputed_input_set_hash: str

    @property
    def matches(self) -> bool:
        """Same shares and same input set."""
        return (
            self.on_chain == self.recomputed
            and self.on_chain_input_set_hash == self.recomputed_input_set_hash
        )


def check_split(
    w3: Web3,
    ledger_address: str,
    vault: RoyaltyVaultClient,
    project_id: int,
    split_version: int,
    *,
    from_block: int = 0,
    progress: bool = False,
) -> SplitCheck:
    """Recompute finalized split `split_version` at the block and policy version it names."""
    proposal_id = vault.split_proposal_of(project_id, split_version)
    if proposal_id == 0:
        raise ScoringError(f"project {project_id} has no finalized split version {split_version}")
    info = vault.split_proposal(project_id, proposal_id)
    result = score_at_block(
        w3,
        ledger_address,
        project_id,
        info.computed_at_block,
        policy_version=info.policy_version,
        from_block=from_block,
        progress=progress,
    )
    return SplitCheck(
        project_id=project_id,
        split_version=split_version,
        proposal_id=proposal_id,
        policy_version=info.policy_version,
        computed_at_block=info.computed_at_block,
        on_chain=dict(zip(info.partners, info.bps, strict=True)),
        recomputed=result.bps(),
        on_chain_input_set_hash=to_hex(info.input_set_hash),
        recomputed_input_set_hash=result.input_set_hash,
    )
