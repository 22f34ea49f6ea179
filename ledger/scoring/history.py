"""The scorer's input from real data: ledger events turned into `ledger.scoring.scheme`'s history.

What lives here:
- `scoring_event`, the one conversion from an event's arguments to a `ledger.scoring.scheme` event;
  it accepts both the typed values of `ledger.chain.events` (bytes, `Policy`, enums) and the
  JSON-safe values the local index keeps (`ledger.sync.follower.json_safe`: 0x-hex, policy objects
  with text labels), so the API (index) and `poc score` (chain) score through the same code;
- `index_history`: the same history from the local index (`ledger.store`), which the API
  scores from;
- `read_history`: a project's scoring events straight from a node, in block ranges, with an
  optional progress line on stderr; `block_time`: the evaluation time of a block;
- `score_at_block` and `check_split`: recompute a split from chain data alone, and compare it
  with a finalized split version of the RoyaltyVault.

What does not: the scheme itself (`ledger.scoring.scheme`, pure), sending anything, the index.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from web3 import Web3

from ledger.chain import events as chain_events
from ledger.chain.clients import RoyaltyVaultClient
from ledger.chain.translate import translating
from ledger.domain.values import Category, DisputeOutcome, Origin, Policy
from ledger.errors import HistoryError, ScoringError
from ledger.scoring import scheme as scoring
from ledger.scoring.scheme import ScoreResult, ScoringEvent
from ledger.store import Store

__all__ = [
    "SCORING_EVENT_NAMES",
    "SplitCheck",
    "block_time",
    "check_split",
    "index_history",
    "read_history",
    "score_at_block",
    "scoring_event",
]

_CLASSES: Final[dict[str, type[Any]]] = {
    cls.__name__: cls
    for cls in (
        scoring.ProjectCreated,
        scoring.PolicySet,
        scoring.PartnerAdded,
        scoring.PartnerRemoved,
        scoring.ContributionRegistered,
        scoring.ContributionWithdrawn,
        scoring.ContributionSuperseded,
        scoring.Endorsed,
        scoring.DisputeOpened,
        scoring.DisputeVoted,
        scoring.DisputeResolved,
    )
}
#: The ledger events the scorer reads; every other event is left out of a history.
SCORING_EVENT_NAMES: Final = frozenset(_CLASSES)
_POSITION: Final = frozenset({"project_id", "block_number", "log_index"})
# bytes32 arguments: the scorer compares ids as lower-case 0x-hex strings.
_HASHES: Final = frozenset(
    {
        "agreement_hash",
        "policy_hash",
        "contribution_id",
        "commitment",
        "supersedes",
        "batch_id",
        "replacement_id",
        "reason_hash",
    }
)
# A project of a million contributions spans many blocks; eth_getLogs is asked for this many
# blocks at a time (providers commonly refuse more than 10,000).
DEFAULT_BLOCK_RANGE: Final = 5_000


def scoring_event(
    name: str, project_id: int, block_number: int, log_index: int, args: Mapping[str, Any]
) -> ScoringEvent | None:
    """The scoring event of ledger event `name`, or None for an event the scorer ignores."""
    cls = _CLASSES.get(name)
    if cls is None:
        return None
    values: dict[str, Any] = {
        "project_id": project_id,
        "block_number": block_number,
        "log_index": log_index,
    }
    try:
        for item in dataclasses.fields(cls):
            if item.name not in _POSITION:
                values[item.name] = _convert(item.name, args[item.name])
        event: ScoringEvent = cls(**values)
    except (KeyError, TypeError, ValueError) as exc:
        raise HistoryError(f"{name} at block {block_number}: malformed argument {exc}") from exc
    return event


def _convert(field: str, value: Any) -> Any:
    if field in _HASHES:
        return _hex(value)
    if field == "parents":
        return tuple(_hex(v) for v in value)
    if field == "partners":
        return tuple(str(v) for v in value)
    if field == "origin":
        return Origin(int(value))
    if field == "outcome":
        return DisputeOutcome(int(value))
    if field == "policy":
        return value if isinstance(value, Policy) else _policy(value)
    if field == "uphold":
        return bool(value)
    return value


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value).lower()


def _policy(raw: Mapping[str, Any]) -> Policy:
    """A policy from the index's JSON form (category labels as text)."""
    return Policy(
        background_weight_bps=int(raw["background_weight_bps"]),
        result_weight_bps=int(raw["result_weight_bps"]),
        endorsement_quorum=int(raw["endorsement_quorum"]),
        dispute_window=int(raw["dispute_window"]),
        split_approval_bps=int(raw["split_approval_bps"]),
        governance_bps=int(raw["governance_bps"]),
        partner_cap_bps=int(raw["partner_cap_bps"]),
        partner_floor_bps=int(raw["partner_floor_bps"]),
        categories=tuple(
            Category.of(c["name"], c["unit"], int(c["unit_scale"]), int(c["weight_bps"]))
            for c in raw["categories"]
        ),
    )


def index_history(store: Store, project_id: int, *, to_block: int) -> list[ScoringEvent]:
    """The project's scoring events the index holds up to and including `to_block`."""
    history: list[ScoringEvent] = []
    after = 0
    while True:
        page = store.events(project_id=project_id, after_seq=after, limit=5_000)
        for stored in page:
            if stored.block_number > to_block:
                return history
            event = scoring_event(
                stored.name,
                project_id,
                stored.block_number,
                stored.log_index,
                json.loads(stored.args_json),
            )
            if event is not None:
                history.append(event)
        if len(page) < 5_000:
            return history
        after = page[-1].seq


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
    types = [getattr(chain_events, name) for name in sorted(SCORING_EVENT_NAMES)]
    history: list[ScoringEvent] = []
    for start, end in _ranges(from_block, to_block, block_range, progress):
        for raw in chain_events.get_events(
            w3,
            ledger_address,
            start,
            end,
            event_types=types,
            project_id=project_id,
            max_block_span=block_range,
        ):
            event = scoring_event(
                raw.event_name, project_id, raw.block_number, raw.log_index, raw.arguments
            )
            if event is not None:
                history.append(event)
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
    return scoring.score(history, as_of=block_time(w3, block_number), policy_version=policy_version)


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
        on_chain_input_set_hash="0x" + info.input_set_hash.hex(),
        recomputed_input_set_hash=result.input_set_hash,
    )
