"""Proof-of-Contribution scoring: from one project's event history to a royalty split.

What lives here:
- the typed event history the scorer reads: frozen mirrors of the `PocLedger` events that
  matter for scoring (docs/design.md, "Events"); their `Policy`, `Category`, `Origin` and
  `DisputeOutcome` are the shared ones of `ledger.domain.values`;
- the scheme itself, `score(history, as_of=..., policy_version=...)`, and the result types that
  explain it per partner and per contribution;
- the two exact rules it is built from and that others reuse: `lower_median` (the robust
  aggregate of endorsers' ratings) and `apportion` (largest remainder, the same rule as the
  RoyaltyVault's allocation);
- `input_set_hash`, the bytes32 that commits a split to the exact inputs it was computed from.

What does not live here: reading logs from a node (the chain layer builds these objects),
royalty statements (`ledger.scoring.statements`), anything doing I/O or reading a clock. The module
is pure: the same history, evaluation time and policy version give the same result on any machine.
It imports no web3: keccak comes from `eth_hash`, the policy hash from `ledger.domain.hashing`.

The scheme is written down for readers outside the code in docs/scoring.md; the two must agree
(tests/ledger/test_scoring.py checks the worked example there against this module).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any, Final

from eth_hash.auto import keccak
from eth_utils.address import is_checksum_address

from ledger.domain import hashing
from ledger.domain.values import MAX_CATEGORIES, DisputeOutcome, Origin, Policy
from ledger.errors import (
    HistoryError,
    InfeasibleLimitsError,
    InvalidPolicyError,
    InvalidSplitError,
    NotScoredError,
    PolicyHashMismatchError,
    PolicyNotFoundError,
    ScoringError,
)

__all__ = [
    "BPS",
    "MAX_RATING",
    "MIN_RATING",
    "NEUTRAL_RATING",
    "ZERO_HASH",
    "Adjustment",
    "ContributionExplanation",
    "ContributionRegistered",
    "ContributionSuperseded",
    "ContributionWithdrawn",
    "CountStatus",
    "DisputeOpened",
    "DisputeResolved",
    "DisputeVoted",
    "Endorsed",
    "PartnerAdded",
    "PartnerExplanation",
    "PartnerRemoved",
    "PolicySet",
    "ProjectCreated",
    "ProjectEvent",
    "ScoreResult",
    "ScoringEvent",
    "SplitEntry",
    "apportion",
    "input_set_hash",
    "lower_median",
    "score",
]

BPS: Final = 10_000
"""Basis points in a whole."""
MIN_RATING: Final = 1
MAX_RATING: Final = 5
NEUTRAL_RATING: Final = 3
"""Rating factor of a contribution that counts without any endorsement (quorum 0)."""
ZERO_HASH: Final = "0x" + "00" * 32
NO_COUNTED_CONTRIBUTIONS: Final = "NO_COUNTED_CONTRIBUTIONS"
"""`ScoreResult.empty_reason` when nothing counts and there is nothing to split."""

_RATINGS: Final = frozenset(range(MIN_RATING, MAX_RATING + 1))


# ---------------------------------------------------------------------------------- enums


class CountStatus(StrEnum):
    """Whether a contribution counts at the evaluation time, or the first reason it does not.

    The reasons are checked in the order listed; a contribution reports the first that applies.
    """

    COUNTED = "COUNTED"
    WITHDRAWN = "WITHDRAWN"
    SUPERSEDED = "SUPERSEDED"
    INVALIDATED_BY_DISPUTE = "INVALIDATED_BY_DISPUTE"
    DISPUTE_OPEN = "DISPUTE_OPEN"
    UNKNOWN_CATEGORY = "UNKNOWN_CATEGORY"
    ZERO_VALUE = "ZERO_VALUE"
    ZERO_WEIGHT = "ZERO_WEIGHT"
    DISPUTE_WINDOW_OPEN = "DISPUTE_WINDOW_OPEN"
    QUORUM_NOT_MET = "QUORUM_NOT_MET"


class Adjustment(StrEnum):
    """What the partner cap and floor did to a partner's share."""

    UNCHANGED = "UNCHANGED"
    """No cap or floor was involved: the final share is the raw share."""
    SCALED = "SCALED"
    """Unconstrained, but scaled by the redistribution factor (took part in redistribution)."""
    CAPPED = "CAPPED"
    """Held at the cap; the excess went to the unconstrained partners."""
    FLOORED = "FLOORED"
    """Raised to the floor; the deficit came from the unconstrained partners."""
    RESIDUAL = "RESIDUAL"
    """No raw share, but received an equal part of what the capped partners could not take."""


# ---------------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectEvent:
    """Fields every event carries: its project and its position in the chain."""

    project_id: int
    block_number: int
    log_index: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectCreated(ProjectEvent):
    """`ProjectCreated`: the first event of every project."""

    coordinator: str
    agreement_hash: str
    partners: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicySet(ProjectEvent):
    """`PolicySet`: policy `version` (1, 2, ...) came into force, given in full."""

    version: int
    policy_hash: str
    policy: Policy


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerAdded(ProjectEvent):
    """`PartnerAdded`."""

    partner: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerRemoved(ProjectEvent):
    """`PartnerRemoved`: the partner leaves; its contributions stay recorded and credited."""

    partner: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ContributionRegistered(ProjectEvent):
    """`ContributionRegistered`, direct or revealed from a Merkle batch.

    `registered_at` is the evidence time (for a batched contribution: when its batch was
    anchored); the dispute window runs from it.
    """

    contribution_id: str
    contributor: str
    commitment: str
    origin: Origin
    category: int
    value: int
    registered_at: int
    parents: tuple[str, ...] = ()
    supersedes: str = ZERO_HASH
    batch_id: str = ZERO_HASH
    uri: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContributionWithdrawn(ProjectEvent):
    """`ContributionWithdrawn`."""

    contribution_id: str
    contributor: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ContributionSuperseded(ProjectEvent):
    """`ContributionSuperseded`: replaced by `replacement_id` (registered just before)."""

    contribution_id: str
    replacement_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Endorsed(ProjectEvent):
    """`Endorsed`: `endorser` rated the contribution's impact from 1 to 5."""

    contribution_id: str
    endorser: str
    rating: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeOpened(ProjectEvent):
    """`DisputeOpened`."""

    contribution_id: str
    disputer: str
    dispute_number: int
    reason_hash: str
    eligible_voters: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeVoted(ProjectEvent):
    """`DisputeVoted`."""

    contribution_id: str
    voter: str
    dispute_number: int
    uphold: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeResolved(ProjectEvent):
    """`DisputeResolved`; an UPHELD outcome invalidates the contribution."""

    contribution_id: str
    dispute_number: int
    outcome: DisputeOutcome


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
"""Every event `score` reads. Other ledger events (agreements, proposals, batches) carry
nothing the scheme needs and are left out of the history."""


# ---------------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class SplitEntry:
    """One line of a split as the RoyaltyVault takes it."""

    partner: str
    bps: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerExplanation:
    """How one partner's share came about.

    `raw_points` is the sum of its counted contributions' points; `share_before` its fraction
    of all points; `share_after` the fraction after the cap and floor; `bps` the integer basis
    points after largest-remainder rounding, of which `rounding_bonus` (0 or 1) came from the
    rounding itself.
    """

    partner: str
    member: bool
    """A partner of the project at the evaluation time (False: removed, keeps its credit)."""
    raw_points: Fraction
    share_before: Fraction
    adjustment: Adjustment
    share_after: Fraction
    bps: int
    rounding_bonus: int
    counted: tuple[str, ...]
    not_counted: tuple[str, ...]

    @property
    def adjustment_amount(self) -> Fraction:
        """What the cap/floor moved: share_after - share_before (negative when capped)."""
        return self.share_after - self.share_before


@dataclass(frozen=True, slots=True, kw_only=True)
class ContributionExplanation:
    """Whether one contribution counts, why (not), and the factors of its points.

    `points` = category weight x origin weight x value / unit scale x rating, with both weights
    as fractions of 1 (bps / 10000); zero unless `status` is COUNTED. The factors are given even
    for contributions that do not count, where they are known.
    """

    contribution_id: str
    contributor: str
    origin: Origin
    category: int
    value: int
    registered_at: int
    block_number: int
    log_index: int
    status: CountStatus
    endorsements: tuple[tuple[str, int], ...]
    """Distinct endorsements by other partners, (endorser, rating), in chain order."""
    ignored_endorsements: tuple[tuple[str, int], ...]
    """Self-endorsements and repeated endorsements by the same partner, which never count."""
    quorum: int
    window_ends_at: int
    """registered_at + dispute window: the contribution can count from this time on."""
    dispute_number: int | None
    """The open dispute (DISPUTE_OPEN) or the upheld one (INVALIDATED_BY_DISPUTE)."""
    dispute_votes: tuple[int, int, int] | None
    """Of the open dispute: (votes to uphold, votes to reject, eligible voters)."""
    rating: int | None
    """The lower median of `endorsements` (NEUTRAL_RATING when none and quorum is 0)."""
    category_weight_bps: int | None
    origin_weight_bps: int
    unit_scale: int | None
    points: Fraction

    @property
    def reason(self) -> str:
        """One sentence a reader outside the project understands."""
        n, needed = len(self.endorsements), self.quorum
        match self.status:
            case CountStatus.COUNTED:
                return (
                    f"counted: {self.category_weight_bps}/{BPS} x {self.origin_weight_bps}/{BPS}"
                    f" x {self.value}/{self.unit_scale} x rating {self.rating} = {self.points}"
                )
            case CountStatus.WITHDRAWN:
                return "withdrawn by its contributor"
            case CountStatus.SUPERSEDED:
                return "superseded by a newer version"
            case CountStatus.INVALIDATED_BY_DISPUTE:
                return f"invalidated: dispute {self.dispute_number} was upheld"
            case CountStatus.UNKNOWN_CATEGORY:
                return f"category {self.category} does not exist in this policy version"
            case CountStatus.ZERO_VALUE:
                return "declared value is zero"
            case CountStatus.ZERO_WEIGHT:
                return "this policy gives its category or origin a weight of zero"
            case CountStatus.DISPUTE_OPEN:
                uphold, reject, eligible = self.dispute_votes or (0, 0, 0)
                return (
                    f"dispute {self.dispute_number} is open: {uphold} of {eligible} eligible "
                    f"voters to uphold, {reject} to reject"
                )
            case CountStatus.DISPUTE_WINDOW_OPEN:
                return f"dispute window open until {self.window_ends_at}"
            case CountStatus.QUORUM_NOT_MET:
                return f"quorum not met: {n} of {needed} endorsements by other partners"


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreResult:
    """The split of one project at one evaluation time under one policy version, explained.

    `split` lists the partners with a non-zero share, ascending by address, bps summing to
    exactly 10000 -- or is empty, with `empty_reason`, when no contribution counts. `partners`
    explains every partner (members at `as_of`, and removed partners with contributions).
    Per-contribution explanations are built on request (`contributions`, `explain`), because a
    project may hold millions of contributions.
    """

    project_id: int
    policy_version: int
    policy_hash: str
    policy: Policy
    as_of: int
    split: tuple[SplitEntry, ...]
    empty_reason: str | None
    partners: tuple[PartnerExplanation, ...]
    total_points: Fraction
    scale_factor: Fraction
    """k: every unconstrained partner's final share is k x its raw share (1 without limits)."""
    counted_count: int
    contribution_count: int
    input_set_hash: str
    _evidence: _Evidence = field(repr=False, compare=False)

    def bps(self) -> dict[str, int]:
        """The split as {partner: bps}, non-zero shares only, ascending by address."""
        return {entry.partner: entry.bps for entry in self.split}

    def partner(self, address: str) -> PartnerExplanation:
        """The explanation of one partner."""
        for explanation in self.partners:
            if explanation.partner == address:
                return explanation
        raise NotScoredError(f"{address} is not a partner of this score")

    def input_set(self) -> tuple[tuple[str, int], ...]:
        """The (contribution id, rating) pairs `input_set_hash` commits to, in chain order."""
        return tuple(zip(self._evidence.counted_ids, self._evidence.counted_ratings, strict=True))

    def explain(self, contribution_id: str) -> ContributionExplanation:
        """The explanation of one contribution."""
        record = self._evidence.records.get(contribution_id)
        if record is None:
            raise NotScoredError(f"no contribution {contribution_id} in this history")
        return self._evidence.explain(record)

    def contributions(self) -> Iterator[ContributionExplanation]:
        """Every contribution's explanation, in chain order."""
        evidence = self._evidence
        for record in evidence.records.values():
            yield evidence.explain(record)


# ---------------------------------------------------------------------------------- rules


def lower_median(ratings: Sequence[int]) -> int:
    """The lower median: the ceil(n/2)-th smallest of n ratings.

    For an even count the lower of the two middle values is taken, so that one endorser
    colluding with the contributor cannot raise the aggregate above the honest endorsers'
    middle rating (with two endorsers, the honest one's rating is an upper bound).
    """
    if not ratings:
        raise ScoringError("no ratings to aggregate")
    return sorted(ratings)[(len(ratings) - 1) // 2]


def apportion(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Split `total` indivisible units in proportion to `weights` by largest remainder.

    Each address gets floor(total x weight / W) (W = sum of weights); the units left over go
    one each to the largest remainders (total x weight mod W), ties to the lower address
    (lower-case hex order, which is the numeric order of addresses). The result sums to
    `total` exactly, is ascending by address, and never gives a unit to a zero weight.
    """
    if total < 0:
        raise InvalidSplitError(f"cannot apportion a negative total {total}")
    if any(w < 0 for w in weights.values()):
        raise InvalidSplitError("weights must not be negative")
    whole = sum(weights.values())
    if whole <= 0:
        raise InvalidSplitError("weights must not all be zero")
    order = sorted(weights, key=str.lower)
    shares = {address: total * weights[address] // whole for address in order}
    left = total - sum(shares.values())
    # sorted() is stable, so among equal remainders the ascending address order survives.
    by_remainder = sorted(order, key=lambda address: -(total * weights[address] % whole))
    for address in by_remainder[:left]:
        shares[address] += 1
    return shares


def input_set_hash(
    project_id: int,
    policy_version: int,
    policy_hash: str,
    contribution_ids: Sequence[str],
    ratings: Sequence[int] | bytes,
) -> str:
    """keccak256(abi.encode(uint32 projectId, uint32 policyVersion, bytes32 policyHash,
    bytes32[] contributionIds, bytes ratings)) as 0x-hex.

    `contribution_ids` are the counted contributions in chain order, `ratings` one byte each,
    the rating factor used for the contribution at the same position. docs/scoring.md gives
    the layout; the words are written here directly because eth_abi takes about a second per
    million ids, and a test checks the result against eth_abi.
    """
    count = len(contribution_ids)
    if len(ratings) != count:
        raise ScoringError("one rating per contribution id is needed")
    try:
        id_bytes = _ids_to_bytes(contribution_ids)
        rating_bytes = bytes(ratings)
    except ValueError as exc:
        raise HistoryError(f"malformed contribution id or rating: {exc}") from exc
    ids_offset = 5 * 32
    ratings_offset = ids_offset + 32 + 32 * count
    encoded = b"".join(
        (
            _word(project_id),
            _word(policy_version),
            _hex32(policy_hash),
            _word(ids_offset),
            _word(ratings_offset),
            _word(count),
            id_bytes,
            _word(count),
            rating_bytes,
            b"\0" * (-count % 32),
        )
    )
    return "0x" + keccak(encoded).hex()


# ---------------------------------------------------------------------------------- score


def score(
    history: Iterable[ScoringEvent],
    *,
    as_of: int,
    policy_version: int | None = None,
) -> ScoreResult:
    """Score one project: which contributions count at `as_of` and the split they produce.

    `history` is every event of the project up to and including the block whose timestamp is
    `as_of`, in chain order (ascending block number, log index). `policy_version` names the
    policy to apply to the whole history (default: the latest one in it), so that a split
    computed under an earlier version can be reproduced later.

    Raises HistoryError when the history breaks the ledger's rules (order, unknown
    contributions, impossible transitions), PolicyNotFoundError, PolicyHashMismatchError,
    InvalidPolicyError, and InfeasibleLimitsError when the cap and floor cannot both hold.
    """
    if as_of < 0:
        raise ScoringError(f"as_of must be a timestamp, got {as_of}")
    with _collector_paused():
        replay = _Replay()
        replay.feed(history)
        chosen = _choose_policy(replay.policies, policy_version)
        tally = _tally(replay, chosen.policy, as_of)
    return _result(replay, chosen, as_of, tally)


# ---------------------------------------------------------------------------------- internals

# A contribution record is one list, [ContributionRegistered, lifecycle, endorser, rating,
# endorser, rating, ...], rather than an object: a million of them are built per score and a
# list is the cheapest mutable container Python has.
_Record = list[Any]
_ACTIVE: Final = 0
_WITHDRAWN: Final = 1
_SUPERSEDED: Final = 2
_INVALIDATED: Final = 3
_DISPUTED: Final = 4
"""Active with an open dispute: kept in the record so the hot loop needs no dispute lookup."""
_LIFECYCLE_STATUS: Final = {
    _WITHDRAWN: CountStatus.WITHDRAWN,
    _SUPERSEDED: CountStatus.SUPERSEDED,
    _INVALIDATED: CountStatus.INVALIDATED_BY_DISPUTE,
    _DISPUTED: CountStatus.DISPUTE_OPEN,
}


@contextmanager
def _collector_paused() -> Iterator[None]:
    # Scoring allocates a container per contribution and none of them can form a reference
    # cycle; left on, the cyclic collector would rescan the growing heap again and again
    # (it more than doubled the time of a million-contribution score).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Replay:
    """The project's state after its history: members, policies, contribution records."""

    __slots__ = (
        "ever_members",
        "members",
        "open_disputes",
        "policies",
        "project_id",
        "records",
        "upheld",
    )

    def __init__(self) -> None:
        self.project_id = -1
        self.members: set[str] = set()
        self.ever_members: set[str] = set()
        self.policies: dict[int, PolicySet] = {}
        self.records: dict[str, _Record] = {}
        # contribution id -> [dispute number, eligible voters, uphold votes, reject votes]
        self.open_disputes: dict[str, list[int]] = {}
        self.upheld: dict[str, int] = {}

    def feed(self, history: Iterable[ScoringEvent]) -> None:
        events = iter(history)
        first = next(events, None)
        if type(first) is not ProjectCreated:
            raise HistoryError("the history must start with ProjectCreated")
        self._apply(first)
        project_id = self.project_id
        records = self.records
        claim = records.setdefault
        members = self.members
        ever_members = self.ever_members
        valid_ratings = _RATINGS
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
                        f"endorsement of unknown contribution {event.contribution_id}"
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
            if event.project_id != project_id:
                raise HistoryError(f"event of project {event.project_id} in project {project_id}")
            if type(event) is ContributionRegistered:
                record = [event, _ACTIVE]
                if claim(event.contribution_id, record) is not record:
                    raise HistoryError(f"contribution {event.contribution_id} registered twice")
                # A batched contribution may be revealed after its contributor left the
                # project, so membership at registration time is not required; having been a
                # partner is.
                if event.contributor not in ever_members:
                    raise HistoryError(f"contribution by non-partner {event.contributor}")
            else:
                self._apply(event)

    def _apply(self, event: ScoringEvent) -> None:
        """The events other than registrations and endorsements (few per project)."""
        if isinstance(event, ProjectCreated):
            if self.project_id != -1:
                raise HistoryError("a second ProjectCreated")
            self.project_id = event.project_id
            # The ledger also emits PartnerAdded for these; adding twice is harmless.
            for partner in event.partners:
                self._admit(partner)
        elif isinstance(event, PolicySet):
            if event.version in self.policies:
                raise HistoryError(f"policy version {event.version} set twice")
            self.policies[event.version] = event
        elif isinstance(event, PartnerAdded):
            self._admit(event.partner)
        elif isinstance(event, PartnerRemoved):
            if event.partner not in self.members:
                raise HistoryError(f"removal of non-partner {event.partner}")
            self.members.remove(event.partner)
        elif isinstance(event, ContributionWithdrawn):
            record = self._record(event.contribution_id)
            self._require_active(record)
            if record[0].contributor != event.contributor:
                raise HistoryError(f"{event.contributor} withdrew another partner's contribution")
            record[1] = _WITHDRAWN
        elif isinstance(event, ContributionSuperseded):
            record = self._record(event.contribution_id)
            self._record(event.replacement_id)
            self._require_active(record)
            record[1] = _SUPERSEDED
        elif isinstance(event, DisputeOpened):
            record = self._record(event.contribution_id)
            if event.contribution_id in self.open_disputes:
                raise HistoryError(f"second open dispute on {event.contribution_id}")
            self._require_active(record)
            record[1] = _DISPUTED
            self.open_disputes[event.contribution_id] = [
                event.dispute_number,
                event.eligible_voters,
                0,
                0,
            ]
        elif isinstance(event, DisputeVoted):
            dispute = self._open_dispute(event.contribution_id, event.dispute_number)
            dispute[2 if event.uphold else 3] += 1
        elif isinstance(event, DisputeResolved):
            self._open_dispute(event.contribution_id, event.dispute_number)
            del self.open_disputes[event.contribution_id]
            record = self._record(event.contribution_id)
            if event.outcome == DisputeOutcome.UPHELD:
                # The ledger invalidates even a contribution withdrawn while its dispute ran.
                record[1] = _INVALIDATED
                self.upheld[event.contribution_id] = event.dispute_number
            elif event.outcome in (DisputeOutcome.REJECTED, DisputeOutcome.WITHDRAWN):
                if record[1] == _DISPUTED:
                    record[1] = _ACTIVE
            else:
                raise HistoryError(f"dispute resolved with outcome {event.outcome!r}")
        elif isinstance(event, ContributionRegistered | Endorsed):
            raise HistoryError("registrations and endorsements cannot precede ProjectCreated")
        else:
            raise HistoryError(f"{type(event).__name__} is not a scoring event")

    def _admit(self, partner: str) -> None:
        if not is_checksum_address(partner):
            raise HistoryError(f"partner address {partner!r} is not checksummed")
        self.members.add(partner)
        self.ever_members.add(partner)

    def _record(self, contribution_id: str) -> _Record:
        record = self.records.get(contribution_id)
        if record is None:
            raise HistoryError(f"unknown contribution {contribution_id}")
        return record

    @staticmethod
    def _require_active(record: _Record) -> None:
        # Active on chain: an open dispute does not change a contribution's status there.
        if record[1] not in (_ACTIVE, _DISPUTED):
            status = _LIFECYCLE_STATUS[record[1]]
            raise HistoryError(f"contribution {record[0].contribution_id} is already {status}")

    def _open_dispute(self, contribution_id: str, number: int) -> list[int]:
        dispute = self.open_disputes.get(contribution_id)
        if dispute is None or dispute[0] != number:
            raise HistoryError(f"dispute {number} on {contribution_id} is not open")
        return dispute


def _choose_policy(policies: Mapping[int, PolicySet], version: int | None) -> PolicySet:
    if not policies:
        raise PolicyNotFoundError("the history sets no policy")
    chosen = policies.get(max(policies) if version is None else version)
    if chosen is None:
        raise PolicyNotFoundError(f"policy version {version} is not in the history")
    _validate_policy(chosen.policy)
    actual = "0x" + hashing.policy_hash(chosen.policy).hex()
    if actual != chosen.policy_hash.lower():
        raise PolicyHashMismatchError(
            f"policy version {chosen.version} is announced as {chosen.policy_hash} but hashes "
            f"to {actual}"
        )
    return chosen


def _validate_policy(policy: Policy) -> None:
    if not 1 <= len(policy.categories) <= MAX_CATEGORIES:
        raise InvalidPolicyError(f"a policy needs 1 to {MAX_CATEGORIES} categories")
    for index, category in enumerate(policy.categories):
        if not 1 <= category.unit_scale < 2**64:
            raise InvalidPolicyError(f"category {index}: unit scale {category.unit_scale}")
        if not 0 <= category.weight_bps < 2**16:
            raise InvalidPolicyError(f"category {index}: weight {category.weight_bps}")
    for name in ("background_weight_bps", "result_weight_bps", "endorsement_quorum"):
        if not 0 <= getattr(policy, name) < 2**16:
            raise InvalidPolicyError(f"{name} = {getattr(policy, name)} is not a uint16")
    if not 0 <= policy.dispute_window < 2**32:
        raise InvalidPolicyError(f"dispute window {policy.dispute_window} is not a uint32")
    cap, floor = policy.partner_cap_bps, policy.partner_floor_bps
    if not (0 <= cap <= BPS and 0 <= floor <= BPS):
        raise InvalidPolicyError(f"cap {cap} and floor {floor} must be within 0..{BPS} bps")
    if cap and floor > cap:
        raise InvalidPolicyError(f"floor {floor} bps is above cap {cap} bps")


@dataclass(slots=True)
class _Tally:
    """What the pass over the contributions produced, before shares."""

    points: dict[str, int]
    """Scaled integer points per contributor (see `_tally`), counted contributions only."""
    counted: dict[str, list[str]]
    not_counted: dict[str, list[str]]
    counted_ids: list[str]
    counted_ratings: bytearray
    verdicts: dict[str, CountStatus]
    """Status of every contribution that does not count."""
    scale: int
    """points(c) = scaled points / scale, exactly."""


def _tally(replay: _Replay, policy: Policy, as_of: int) -> _Tally:
    """Classify every contribution and add up the counted ones' points per contributor.

    This is the hot loop (a million contributions in well under a second): points are kept as
    integers scaled by 10^8 x L, where L is the least common multiple of the unit scales, so
    that category weight x origin weight x value / unit scale x rating is an exact integer.
    """
    categories = policy.categories
    lcm_scale = math.lcm(*(c.unit_scale for c in categories))
    weight_rows: dict[int, list[int]] = {
        origin: [
            c.weight_bps * _origin_weight(policy, origin) * (lcm_scale // c.unit_scale)
            for c in categories
        ]
        for origin in (Origin.BACKGROUND, Origin.RESULT)
    }
    category_count = len(categories)
    # registeredAt + window <= as_of, with the addition done once rather than per contribution
    latest = as_of - policy.dispute_window
    quorum = policy.endorsement_quorum
    # contributor -> [scaled points, ids of its counted contributions]: one lookup per count
    accounts: dict[str, list[Any]] = {}
    not_counted: dict[str, list[str]] = {}
    counted_ids: list[str] = []
    keep_id = counted_ids.append
    counted_ratings = bytearray()
    keep_rating = counted_ratings.append
    verdicts: dict[str, CountStatus] = {}

    for record in replay.records.values():
        event = record[0]
        contributor = event.contributor
        lifecycle = record[1]
        if lifecycle:
            status = _LIFECYCLE_STATUS[lifecycle]
        else:
            category = event.category
            value = event.value
            row = weight_rows.get(event.origin)
            if row is None:
                raise HistoryError(f"contribution {event.contribution_id}: origin {event.origin}")
            if value < 0:
                raise HistoryError(f"contribution {event.contribution_id}: value {value}")
            if not 0 <= category < category_count:
                status = CountStatus.UNKNOWN_CATEGORY
            elif not value:
                status = CountStatus.ZERO_VALUE
            elif not row[category]:
                status = CountStatus.ZERO_WEIGHT
            elif event.registered_at > latest:
                if event.registered_at > as_of:
                    raise HistoryError(
                        f"contribution {event.contribution_id} registered at "
                        f"{event.registered_at}, after as_of {as_of}"
                    )
                status = CountStatus.DISPUTE_WINDOW_OPEN
            else:
                # The one- and two-endorsement cases are inlined: they are the common ones and
                # this loop dominates the cost of a score.
                size = len(record)
                if size == 6:
                    _, _, first, first_rating, second, second_rating = record
                    if first != contributor and second != contributor and first != second:
                        endorsements = 2
                        rating = first_rating if first_rating < second_rating else second_rating
                    else:
                        ratings = _distinct_ratings(record)
                        endorsements = len(ratings)
                        rating = lower_median(ratings) if ratings else NEUTRAL_RATING
                elif size == 4:
                    endorsements = 0 if record[2] == contributor else 1
                    rating = record[3] if endorsements else NEUTRAL_RATING
                elif size == 2:
                    endorsements = 0
                    rating = NEUTRAL_RATING
                else:
                    ratings = _distinct_ratings(record)
                    endorsements = len(ratings)
                    rating = lower_median(ratings) if ratings else NEUTRAL_RATING
                if endorsements >= quorum:
                    contribution_id = event.contribution_id
                    account = accounts.get(contributor)
                    if account is None:
                        account = accounts[contributor] = [0, []]
                    account[0] += row[category] * value * rating
                    account[1].append(contribution_id)
                    keep_id(contribution_id)
                    keep_rating(rating)
                    continue
                status = CountStatus.QUORUM_NOT_MET
        verdicts[event.contribution_id] = status
        not_counted.setdefault(contributor, []).append(event.contribution_id)

    return _Tally(
        points={contributor: account[0] for contributor, account in accounts.items()},
        counted={contributor: account[1] for contributor, account in accounts.items()},
        not_counted=not_counted,
        counted_ids=counted_ids,
        counted_ratings=counted_ratings,
        verdicts=verdicts,
        scale=BPS * BPS * lcm_scale,
    )


def _split_endorsements(record: _Record) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(counting, ignored): the first endorsement of each other partner counts; the
    contributor's own and any repeat by the same endorser are ignored."""
    contributor = record[0].contributor
    seen: set[str] = set()
    counting: list[tuple[str, int]] = []
    ignored: list[tuple[str, int]] = []
    for position in range(2, len(record), 2):
        endorser, rating = record[position], record[position + 1]
        if endorser == contributor or endorser in seen:
            ignored.append((endorser, rating))
        else:
            seen.add(endorser)
            counting.append((endorser, rating))
    return counting, ignored


def _distinct_ratings(record: _Record) -> list[int]:
    return [rating for _, rating in _split_endorsements(record)[0]]


@dataclass(frozen=True, slots=True)
class _Evidence:
    """What `ScoreResult` keeps to explain contributions on request."""

    records: Mapping[str, _Record]
    verdicts: Mapping[str, CountStatus]
    open_disputes: Mapping[str, list[int]]
    upheld: Mapping[str, int]
    counted_ids: Sequence[str]
    counted_ratings: bytes
    policy: Policy

    def explain(self, record: _Record) -> ContributionExplanation:
        event: ContributionRegistered = record[0]
        policy = self.policy
        contribution_id = event.contribution_id
        status = self.verdicts.get(contribution_id, CountStatus.COUNTED)
        endorsements, ignored = _split_endorsements(record)
        ratings = [rating for _, rating in endorsements]
        known = 0 <= event.category < len(policy.categories)
        category = policy.categories[event.category] if known else None
        origin_weight = _origin_weight(policy, event.origin)
        rating: int | None = lower_median(ratings) if ratings else None
        if rating is None and policy.endorsement_quorum == 0:
            rating = NEUTRAL_RATING
        points = Fraction(0)
        if status is CountStatus.COUNTED and category is not None and rating is not None:
            points = Fraction(
                category.weight_bps * origin_weight * event.value * rating,
                BPS * BPS * category.unit_scale,
            )
        dispute_number: int | None = None
        dispute_votes: tuple[int, int, int] | None = None
        if contribution_id in self.open_disputes:
            dispute_number, eligible, uphold, reject = self.open_disputes[contribution_id]
            dispute_votes = (uphold, reject, eligible)
        elif contribution_id in self.upheld:
            dispute_number = self.upheld[contribution_id]
        return ContributionExplanation(
            contribution_id=contribution_id,
            contributor=event.contributor,
            origin=Origin(event.origin),
            category=event.category,
            value=event.value,
            registered_at=event.registered_at,
            block_number=event.block_number,
            log_index=event.log_index,
            status=status,
            endorsements=tuple(endorsements),
            ignored_endorsements=tuple(ignored),
            quorum=policy.endorsement_quorum,
            window_ends_at=event.registered_at + policy.dispute_window,
            dispute_number=dispute_number,
            dispute_votes=dispute_votes,
            rating=rating,
            category_weight_bps=category.weight_bps if category else None,
            origin_weight_bps=origin_weight,
            unit_scale=category.unit_scale if category else None,
            points=points,
        )


def _result(replay: _Replay, chosen: PolicySet, as_of: int, tally: _Tally) -> ScoreResult:
    policy = chosen.policy
    evidence = _Evidence(
        records=replay.records,
        verdicts=tally.verdicts,
        open_disputes=replay.open_disputes,
        upheld=replay.upheld,
        counted_ids=tally.counted_ids,
        counted_ratings=bytes(tally.counted_ratings),
        policy=policy,
    )
    the_hash = input_set_hash(
        replay.project_id,
        chosen.version,
        chosen.policy_hash,
        tally.counted_ids,
        tally.counted_ratings,
    )
    members = replay.members
    # Every partner a reader may ask about: today's members, and anyone who contributed.
    everyone = sorted(members | tally.counted.keys() | tally.not_counted.keys(), key=str.lower)
    total = sum(tally.points.values())
    raw = {p: tally.points.get(p, 0) for p in everyone}

    if total == 0:
        shares = {p: Fraction(0) for p in everyone}
        adjustments = dict.fromkeys(everyone, Adjustment.UNCHANGED)
        scale_factor = Fraction(1)
        bps = dict.fromkeys(everyone, 0)
        bonus = dict.fromkeys(everyone, 0)
        before = shares
    else:
        # The partners that take part in the split: members (who may receive the floor or a
        # residual) and removed partners that still hold credit.
        entitled = [p for p in everyone if p in members or raw[p] > 0]
        before = {p: Fraction(raw[p], total) for p in everyone}
        limited = _limit(
            {p: before[p] for p in entitled},
            members,
            policy.partner_cap_bps,
            policy.partner_floor_bps,
        )
        shares = {p: limited.shares.get(p, Fraction(0)) for p in everyone}
        adjustments = {p: limited.adjustments.get(p, Adjustment.UNCHANGED) for p in everyone}
        scale_factor = limited.scale_factor
        common = math.lcm(*(s.denominator for s in shares.values()))
        weights = {p: s.numerator * (common // s.denominator) for p, s in shares.items()}
        bps = apportion(BPS, weights)
        bonus = {p: bps[p] - BPS * weights[p] // common for p in everyone}

    partners = tuple(
        PartnerExplanation(
            partner=p,
            member=p in members,
            raw_points=Fraction(raw[p], tally.scale),
            share_before=before[p],
            adjustment=adjustments[p],
            share_after=shares[p],
            bps=bps[p],
            rounding_bonus=bonus[p],
            counted=tuple(tally.counted.get(p, ())),
            not_counted=tuple(tally.not_counted.get(p, ())),
        )
        for p in everyone
    )
    return ScoreResult(
        project_id=replay.project_id,
        policy_version=chosen.version,
        policy_hash=chosen.policy_hash.lower(),
        policy=policy,
        as_of=as_of,
        split=tuple(SplitEntry(p, bps[p]) for p in everyone if bps[p] > 0),
        empty_reason=NO_COUNTED_CONTRIBUTIONS if total == 0 else None,
        partners=partners,
        total_points=Fraction(total, tally.scale),
        scale_factor=scale_factor,
        counted_count=len(tally.counted_ids),
        contribution_count=len(replay.records),
        input_set_hash=the_hash,
        _evidence=evidence,
    )


@dataclass(frozen=True, slots=True)
class _Limited:
    shares: dict[str, Fraction]
    adjustments: dict[str, Adjustment]
    scale_factor: Fraction


def _limit(
    raw: Mapping[str, Fraction], members: set[str], cap_bps: int, floor_bps: int
) -> _Limited:
    """Apply the partner cap and floor with proportional redistribution.

    The final share of partner p is x_p = min(cap, max(floor_p, k x s_p)) with one k for all,
    chosen so that the shares sum to 1: capped partners give their excess and floored partners
    receive their deficit, and the unconstrained partners absorb both in proportion to their
    raw shares s_p. This is the fixed point of redistributing repeatedly, with constraints
    released again when they stop binding. floor_p is the floor for members and 0 for removed
    partners (the floor protects partners, credit is never confiscated).

    g(k) = sum of x_p is continuous and non-decreasing and changes slope only where some k x s_p
    crosses a floor or the cap, so k is found exactly by bisecting over those breakpoints and
    solving the linear piece that reaches 1.
    """
    one = Fraction(1)
    if not cap_bps and not floor_bps:
        return _Limited(dict(raw), dict.fromkeys(raw, Adjustment.UNCHANGED), one)
    cap = Fraction(cap_bps, BPS) if cap_bps else one
    floor = Fraction(floor_bps, BPS)
    lows = {p: floor if p in members else Fraction(0) for p in raw}
    if sum(lows.values()) > 1:
        raise InfeasibleLimitsError(
            f"a floor of {floor_bps} bps for {sum(1 for p in raw if p in members)} partners "
            f"exceeds 100%"
        )
    if cap * len(raw) < 1:
        raise InfeasibleLimitsError(
            f"a cap of {cap_bps} bps for {len(raw)} partners cannot reach 100%"
        )

    def shares_at(k: Fraction) -> dict[str, Fraction]:
        return {p: min(cap, max(lows[p], k * s)) for p, s in raw.items()}

    def total_at(k: Fraction) -> Fraction:
        return sum(shares_at(k).values(), Fraction(0))

    positive = [p for p, s in raw.items() if s > 0]
    breakpoints = sorted(
        {Fraction(0)} | {lows[p] / raw[p] for p in positive} | {cap / raw[p] for p in positive}
    )
    if total_at(breakpoints[-1]) < 1:
        # Every contributing partner sits at the cap and the rest cannot be given in proportion
        # to a raw share of zero: it goes in equal parts to the members without points (the
        # cap check above guarantees there are some and that each stays under the cap).
        k = breakpoints[-1]
        shares = shares_at(k)
        idle = [p for p, s in raw.items() if s == 0]
        part = (1 - sum(shares.values(), Fraction(0))) / len(idle)
        for p in idle:
            shares[p] += part
        residual = {p: Adjustment.RESIDUAL if raw[p] == 0 else Adjustment.CAPPED for p in raw}
        return _Limited(shares, residual, k)

    low, high = 0, len(breakpoints) - 1
    while low < high:
        middle = (low + high) // 2
        if total_at(breakpoints[middle]) >= 1:
            high = middle
        else:
            low = middle + 1
    k = breakpoints[low]
    if low > 0 and total_at(k) != 1:
        # Between the two breakpoints the same partners are free; solve for k on that piece.
        probe = (breakpoints[low - 1] + k) / 2
        free = [p for p in positive if lows[p] < probe * raw[p] < cap]
        fixed = sum(
            (min(cap, max(lows[p], probe * raw[p])) for p in raw if p not in free),
            Fraction(0),
        )
        k = (1 - fixed) / sum((raw[p] for p in free), Fraction(0))
    shares = shares_at(k)
    if sum(shares.values(), Fraction(0)) != 1:  # pragma: no cover - a bug, not an input error
        raise ScoringError("cap/floor redistribution did not sum to 100%")
    adjustments: dict[str, Adjustment] = {}
    for p, s in raw.items():
        if k * s > cap:
            adjustments[p] = Adjustment.CAPPED
        elif k * s < lows[p]:
            adjustments[p] = Adjustment.FLOORED
        elif k != 1 and s > 0:
            adjustments[p] = Adjustment.SCALED
        else:
            adjustments[p] = Adjustment.UNCHANGED
    return _Limited(shares, adjustments, k)


def _origin_weight(policy: Policy, origin: int) -> int:
    return policy.result_weight_bps if origin == Origin.RESULT else policy.background_weight_bps


def _ids_to_bytes(ids: Sequence[str]) -> bytes:
    """The 32-byte values of 0x-hex ids, concatenated.

    Done on one joined string rather than id by id, which is three times faster for a
    million ids: every id must be "0x" + 64 hex digits, so the text is 66 characters per id
    with "0x" at each multiple of 66 and no other "x"; turning each "x" into "0" makes it
    valid hex of 33 bytes per id, whose first byte (the former prefix) is then dropped.
    """
    text = "".join(ids)
    count = len(ids)
    if (
        len(text) != 66 * count
        or text.count("x") != count
        or text[0::66] != "0" * count
        or text[1::66] != "x" * count
    ):
        raise ValueError("ids must be 0x-prefixed 32-byte hex")
    raw = bytearray.fromhex(text.replace("x", "0"))
    if len(raw) != 33 * count:  # fromhex skips whitespace, which would shift the ids
        raise ValueError("ids must be 0x-prefixed 32-byte hex")
    del raw[0::33]
    return bytes(raw)


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _hex32(value: str) -> bytes:
    raw = bytes.fromhex(value[2:] if value[:2] in ("0x", "0X") else value)
    if len(raw) != 32:
        raise ScoringError(f"{value!r} is not 32 bytes")
    return raw
