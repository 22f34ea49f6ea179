"""What reads of the index return: frozen dataclasses, never ORM rows.

Ids, hashes and commitments are 0x-hex strings, addresses EIP-55, as the index keeps them (the
events' JSON form, `ledger.domain.events`). `Page` is one page of a listing with the cursor of
the next.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Generic, TypeVar

from ledger.domain.events import ContractEvent, from_json

T = TypeVar("T")


@dataclass(frozen=True)
class Cursor:
    """The follower's position."""

    block_number: int
    block_hash: str
    updated_at: float


@dataclass(frozen=True)
class PartnerRecord:
    address: str
    active: bool
    accepted_version: int
    joined_block: int


@dataclass(frozen=True)
class ProjectRecord:
    project_id: int
    coordinator: str
    agreement_version: int
    agreement_hash: str
    policy_version: int
    policy_hash: str
    in_force: bool
    created_block: int
    created_tx: str
    partners: tuple[PartnerRecord, ...]


@dataclass(frozen=True)
class PolicyRecord:
    project_id: int
    version: int
    policy_hash: str
    policy_json: str
    block_number: int


@dataclass(frozen=True)
class ContributionRecord:
    contribution_id: str
    project_id: int
    contributor: str
    commitment: str
    card_hash: str
    origin: int
    category: int
    value: int
    parents: tuple[str, ...]
    supersedes: str
    superseded_by: str | None
    batch_id: str
    registered_at: int
    uri: str
    status: int
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    seq: int


@dataclass(frozen=True)
class ContributionFilter:
    """Filters of `Store.list_contributions`; None means "any"."""

    project_id: int | None = None
    contributor: str | None = None
    status: int | None = None
    origin: int | None = None
    category: int | None = None
    batch_id: str | None = None
    commitment: str | None = None
    # Only these projects (the caller's visible ones); None means every project.
    project_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; `next_cursor` is None on the last page."""

    items: tuple[T, ...]
    next_cursor: int | None


@dataclass(frozen=True)
class IdentityRecord:
    address: str
    name: str
    company_number: str
    block_number: int


@dataclass(frozen=True)
class StoredEvent:
    """An event as the index keeps it: its arguments in the events' JSON form
    (`ledger.domain.events.to_json`); `typed()` reads it back into the one typed event."""

    seq: int
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    contract: str
    name: str
    project_id: int | None
    args_json: str

    def typed(self) -> ContractEvent:
        """The typed event (raises KeyError, TypeError or ValueError if the row is malformed)."""
        return from_json(
            self.name,
            json.loads(self.args_json),
            block_number=self.block_number,
            log_index=self.log_index,
            block_hash=self.block_hash,
            tx_hash=self.tx_hash,
        )


@dataclass(frozen=True)
class IndexedEvent:
    """An event of a followed contract, as the follower hands it to the index."""

    contract: str
    event: ContractEvent


@dataclass(frozen=True)
class ProposalRecord:
    """A governance proposal and who approved it."""

    proposal_id: int
    project_id: int
    proposer: str
    kind: int
    data: str
    approvals: tuple[str, ...]
    executed: bool
    block_number: int


@dataclass(frozen=True)
class EndorsementRecord:
    """One partner's endorsement (rating 1..5) of a contribution."""

    contribution_id: str
    endorser: str
    project_id: int
    rating: int
    block_number: int


@dataclass(frozen=True)
class DisputeVote:
    voter: str
    uphold: bool


@dataclass(frozen=True)
class DisputeRecord:
    """A dispute of a contribution, its votes and outcome (0 while open)."""

    contribution_id: str
    number: int
    project_id: int
    disputer: str
    reason_hash: str
    eligible_voters: int
    votes: tuple[DisputeVote, ...]
    outcome: int
    block_number: int


@dataclass(frozen=True)
class SplitProposalRecord:
    """A split proposal of the vault; `split_version` once finalized."""

    proposal_id: int
    project_id: int
    proposer: str
    partners: tuple[str, ...]
    bps: tuple[int, ...]
    policy_version: int
    computed_at_block: int
    input_set_hash: str
    approvals: tuple[str, ...]
    split_version: int | None
    block_number: int
