"""Replaying a project's history: the state the scheme scores (members, policies, the records
of contributions with their endorsements, lifecycle and disputes), checked against the ledger's
rules on the way.

A contribution record is one list, `[ContributionRegistered, lifecycle, position, endorser,
rating, endorser, rating, ...]`, rather than an object: a million of them are built per score
and a list is the cheapest mutable container Python has. `lifecycle` is one of the small
integers below; an open dispute is kept in it too, so that the scorer's hot loop needs no
lookup. `position` is the record's place in `Replay.records` (0, 1, ...): the credit flow
(`ledger.scoring.flow`) finds a parent's place through it without a dictionary of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

from ledger.domain.codec import is_checksummed, to_hex
from ledger.domain.events import (
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
from ledger.domain.values import DisputeOutcome
from ledger.errors import HistoryError
from ledger.scoring.history import ScoringEvent
from ledger.scoring.results import CountStatus
from ledger.scoring.rules import MAX_RATING, MIN_RATING

Record = list[Any]
"""[ContributionRegistered, lifecycle, position, endorser, rating, endorser, rating, ...]"""
ENDORSEMENTS: Final = 3
"""Where a record's (endorser, rating) pairs start."""
ACTIVE: Final = 0
WITHDRAWN: Final = 1
SUPERSEDED: Final = 2
INVALIDATED: Final = 3
DISPUTED: Final = 4
"""Active with an open dispute."""
LIFECYCLE_STATUS: Final = {
    WITHDRAWN: CountStatus.WITHDRAWN,
    SUPERSEDED: CountStatus.SUPERSEDED,
    INVALIDATED: CountStatus.INVALIDATED_BY_DISPUTE,
    DISPUTED: CountStatus.DISPUTE_OPEN,
}

_RATINGS: Final = frozenset(range(MIN_RATING, MAX_RATING + 1))


class Replay:
    """The project's state after its history: members, policies, contribution records."""

    __slots__ = (
        "ever_members",
        "members",
        "open_disputes",
        "policies",
        "project_id",
        "records",
        "replaced_by",
        "upheld",
    )

    def __init__(self) -> None:
        self.project_id = -1
        self.members: set[str] = set()
        self.ever_members: set[str] = set()
        self.policies: dict[int, PolicySet] = {}
        self.records: dict[bytes, Record] = {}
        # contribution id -> [dispute number, eligible voters, uphold votes, reject votes]
        self.open_disputes: dict[bytes, list[int]] = {}
        self.upheld: dict[bytes, int] = {}
        self.replaced_by: dict[bytes, bytes] = {}
        """superseded contribution id -> id of the version that replaced it"""

    def feed(self, history: Iterable[ScoringEvent]) -> None:
        """Replay `history`, in chain order; HistoryError where it breaks the ledger's rules."""
        events = iter(history)
        first = next(events, None)
        if type(first) is not ProjectCreated:
            raise HistoryError("the history must start with ProjectCreated")
        self._project_created(first)
        project_id = self.project_id
        records = self.records
        claim = records.setdefault
        members = self.members
        ever_members = self.ever_members
        valid_ratings = _RATINGS
        handlers = _HANDLERS
        last_block, last_index = first.block_number, first.log_index
        for event in events:
            # Endorsements are most of a history; they skip the order check because their
            # relative order changes nothing, and the project check because a contribution id
            # already binds its project (keccak of projectId, contributor, commitment).
            if type(event) is Endorsed:
                try:  # costs nothing unless raised, unlike a .get and a None check
                    record = records[event.contribution_id]
                except KeyError:
                    raise HistoryError(
                        f"endorsement of unknown contribution {_id(event.contribution_id)}"
                    ) from None
                endorser = event.endorser
                if endorser not in members:
                    raise HistoryError(f"endorsement by non-partner {endorser}")
                rating = event.rating
                if rating not in valid_ratings:
                    raise HistoryError(f"rating {rating} is outside 1..5")
                record.append(endorser)
                record.append(rating)
                continue
            block, index = event.block_number, event.log_index
            if block < last_block or (block == last_block and index <= last_index):
                raise HistoryError(
                    f"event at block {block} log {index} is not after block {last_block} "
                    f"log {last_index}: the history must be in chain order"
                )
            last_block, last_index = block, index
            # Every scoring event names its project; another event is refused below.
            event_project = getattr(event, "project_id", project_id)
            if event_project != project_id:
                raise HistoryError(f"event of project {event_project} in project {project_id}")
            if type(event) is ContributionRegistered:
                record = [event, ACTIVE, len(records)]
                if claim(event.contribution_id, record) is not record:
                    raise HistoryError(
                        f"contribution {_id(event.contribution_id)} registered twice"
                    )
                # A batched contribution may be revealed after its contributor left the
                # project, so membership at registration time is not required; having been a
                # partner is.
                if event.contributor not in ever_members:
                    raise HistoryError(f"contribution by non-partner {event.contributor}")
                continue
            handler = handlers.get(type(event))
            if handler is None:
                raise HistoryError(f"{type(event).__name__} is not a scoring event")
            handler(self, event)

    # -- the events other than registrations and endorsements (few per project) -------------

    def _project_created(self, event: ProjectCreated) -> None:
        if self.project_id != -1:
            raise HistoryError("a second ProjectCreated")
        self.project_id = event.project_id
        # The ledger also emits PartnerAdded for these; adding twice is harmless.
        for partner in event.partners:
            self._admit(partner)

    def _policy_set(self, event: PolicySet) -> None:
        if event.version in self.policies:
            raise HistoryError(f"policy version {event.version} set twice")
        self.policies[event.version] = event

    def _partner_added(self, event: PartnerAdded) -> None:
        self._admit(event.partner)

    def _partner_removed(self, event: PartnerRemoved) -> None:
        if event.partner not in self.members:
            raise HistoryError(f"removal of non-partner {event.partner}")
        self.members.remove(event.partner)

    def _withdrawn(self, event: ContributionWithdrawn) -> None:
        record = self._record(event.contribution_id)
        self._require_active(record)
        if record[0].contributor != event.contributor:
            raise HistoryError(f"{event.contributor} withdrew another partner's contribution")
        record[1] = WITHDRAWN

    def _superseded(self, event: ContributionSuperseded) -> None:
        record = self._record(event.contribution_id)
        self._record(event.replacement_id)
        self._require_active(record)
        record[1] = SUPERSEDED
        self.replaced_by[event.contribution_id] = event.replacement_id

    def _dispute_opened(self, event: DisputeOpened) -> None:
        record = self._record(event.contribution_id)
        if event.contribution_id in self.open_disputes:
            raise HistoryError(f"second open dispute on {_id(event.contribution_id)}")
        self._require_active(record)
        record[1] = DISPUTED
        self.open_disputes[event.contribution_id] = [
            event.dispute_number,
            event.eligible_voters,
            0,
            0,
        ]

    def _dispute_voted(self, event: DisputeVoted) -> None:
        dispute = self._open_dispute(event.contribution_id, event.dispute_number)
        dispute[2 if event.uphold else 3] += 1

    def _dispute_resolved(self, event: DisputeResolved) -> None:
        self._open_dispute(event.contribution_id, event.dispute_number)
        del self.open_disputes[event.contribution_id]
        record = self._record(event.contribution_id)
        if event.outcome == DisputeOutcome.UPHELD:
            # The ledger invalidates even a contribution withdrawn while its dispute ran.
            record[1] = INVALIDATED
            self.upheld[event.contribution_id] = event.dispute_number
        elif event.outcome in (DisputeOutcome.REJECTED, DisputeOutcome.WITHDRAWN):
            if record[1] == DISPUTED:
                record[1] = ACTIVE
        else:
            raise HistoryError(f"dispute resolved with outcome {event.outcome!r}")

    def _second_project(self, _: ProjectCreated) -> None:
        raise HistoryError("a second ProjectCreated")

    # -- checks -------------------------------------------------------------------------------

    def _admit(self, partner: str) -> None:
        if not is_checksummed(partner):
            raise HistoryError(f"partner address {partner!r} is not checksummed")
        self.members.add(partner)
        self.ever_members.add(partner)

    def _record(self, contribution_id: bytes) -> Record:
        record = self.records.get(contribution_id)
        if record is None:
            raise HistoryError(f"unknown contribution {_id(contribution_id)}")
        return record

    @staticmethod
    def _require_active(record: Record) -> None:
        # Active on chain: an open dispute does not change a contribution's status there.
        if record[1] not in (ACTIVE, DISPUTED):
            status = LIFECYCLE_STATUS[record[1]]
            raise HistoryError(f"contribution {_id(record[0].contribution_id)} is already {status}")

    def _open_dispute(self, contribution_id: bytes, number: int) -> list[int]:
        dispute = self.open_disputes.get(contribution_id)
        if dispute is None or dispute[0] != number:
            raise HistoryError(f"dispute {number} on {_id(contribution_id)} is not open")
        return dispute


_HANDLERS: Final[dict[type[Any], Callable[[Replay, Any], None]]] = {
    ProjectCreated: Replay._second_project,
    PolicySet: Replay._policy_set,
    PartnerAdded: Replay._partner_added,
    PartnerRemoved: Replay._partner_removed,
    ContributionWithdrawn: Replay._withdrawn,
    ContributionSuperseded: Replay._superseded,
    DisputeOpened: Replay._dispute_opened,
    DisputeVoted: Replay._dispute_voted,
    DisputeResolved: Replay._dispute_resolved,
}
"""The handler of each event type after the first (registrations and endorsements are
handled inline, being most of a history)."""


def _id(contribution_id: bytes) -> str:
    """An id as error messages show it."""
    return to_hex(contribution_id)
