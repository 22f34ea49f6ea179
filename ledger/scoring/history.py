"""The scorer's input: which ledger events make a project's scoring history.

`SCORING_EVENTS` are the event classes `score` reads; every other event of the ledger
(agreements, identities, proposals, batches, the vault's) carries nothing the scheme needs.
`scoring_history` picks them out of any stream of typed events (decoded from a node, read back
from the index): the scorer takes the events as they are, in their one shape
(`ledger.domain.events`), with no conversion.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, TypeGuard

from ledger.domain.events import (
    ContractEvent,
    ContributionRegistered,
    ContributionSuperseded,
    ContributionWithdrawn,
    DisputeOpened,
    DisputeResolved,
    DisputeVoted,
    Endorsed,
    PartnerAdded,
    PartnerRemoved,
    PolicySet,
    ProjectCreated,
)

ScoringEvent = (
    ProjectCreated
    | PolicySet
    | PartnerAdded
    | PartnerRemoved
    | ContributionRegistered
    | ContributionWithdrawn
    | ContributionSuperseded
    | Endorsed
    | DisputeOpened
    | DisputeVoted
    | DisputeResolved
)
"""Every event `score` reads."""

SCORING_EVENTS: Final[tuple[type[ContractEvent], ...]] = (
    ProjectCreated,
    PolicySet,
    PartnerAdded,
    PartnerRemoved,
    ContributionRegistered,
    ContributionWithdrawn,
    ContributionSuperseded,
    Endorsed,
    DisputeOpened,
    DisputeVoted,
    DisputeResolved,
)
"""The classes of `ScoringEvent`."""
SCORING_EVENT_NAMES: Final = frozenset(cls.event_name for cls in SCORING_EVENTS)


def is_scoring_event(event: ContractEvent) -> TypeGuard[ScoringEvent]:
    """Whether the scorer reads `event`."""
    return type(event) in _SCORING_TYPES


def scoring_history(events: Iterable[ContractEvent]) -> list[ScoringEvent]:
    """The scoring events among `events`, in the order given (chain order for `score`)."""
    return [event for event in events if type(event) in _SCORING_TYPES]  # type: ignore[misc]


_SCORING_TYPES: Final = frozenset(SCORING_EVENTS)
