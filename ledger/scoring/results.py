"""What a score says: the split, and why, per partner and per contribution.

`ScoreResult` is what `ledger.scoring.scheme.score` returns: the split as the RoyaltyVault takes
it (`SplitEntry`), every partner's share explained (`PartnerExplanation`: raw points, what the
cap and floor did, rounding) and, on request, every contribution's (`ContributionExplanation`:
whether it counts or the first reason it does not, `CountStatus`, and the factors of its
points). Ids and hashes in results are 0x-hex, addresses EIP-55, fractions exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Final, Protocol

from ledger.domain.codec import from_hex
from ledger.domain.values import Origin, Policy
from ledger.errors import NotScoredError
from ledger.scoring.rules import BPS

NO_COUNTED_CONTRIBUTIONS: Final = "NO_COUNTED_CONTRIBUTIONS"
"""`ScoreResult.empty_reason` when nothing counts and there is nothing to split."""


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


class ParentCredit(StrEnum):
    """Whether a parent named by a contribution can take credit from it."""

    TAKES_PART = "TAKES_PART"
    """Another partner's, and counts (or stands in for its newest version, which counts)."""
    OWN = "OWN"
    """The contributor's own: that credit belongs to the contributor already."""
    NOT_TAKING_PART = "NOT_TAKING_PART"
    """Does not count (see its own status) and stands in for no version that does."""
    UNKNOWN = "UNKNOWN"
    """Not in this project's history."""


@dataclass(frozen=True, slots=True)
class ParentLink:
    """One distinct parent of a contribution and the points it received from it."""

    parent: str
    """The parent's id, 0x-hex."""
    credit: ParentCredit
    points: Fraction
    """What the contribution passed to it: zero unless the parent takes part and the
    contribution itself does."""


@dataclass(frozen=True, slots=True)
class SplitEntry:
    """One line of a split as the RoyaltyVault takes it."""

    partner: str
    bps: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerExplanation:
    """How one partner's share came about.

    `raw_points` is what its contributions keep: the points of its counted contributions
    (`own_points`), less what they passed to the work they build on (`passed_points`), plus
    what other partners' work built on them passed to them (`received_points`); without a
    parent share it is `own_points`. `share_before` is its fraction of all points;
    `share_after` the fraction after the cap and floor; `bps` the integer basis points after
    largest-remainder rounding, of which `rounding_bonus` (0 or 1) came from the rounding
    itself.
    """

    partner: str
    member: bool
    """A partner of the project at the evaluation time (False: removed, keeps its credit)."""
    raw_points: Fraction
    own_points: Fraction
    passed_points: Fraction
    share_before: Fraction
    adjustment: Adjustment
    share_after: Fraction
    bps: int
    rounding_bonus: int
    counted: tuple[str, ...]
    not_counted: tuple[str, ...]

    @property
    def received_points(self) -> Fraction:
        """What work of other partners that builds on its contributions passed to them."""
        return self.raw_points - self.own_points + self.passed_points

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

    With a parent share, `received` is what work built on it passed to it, `parents` says what
    each contribution it builds on took from it, and `kept` = points + received - passed is
    what it adds to its contributor's points (a superseded contribution can keep credit as the
    stand-in of its newest version). Without one, `kept` is `points`.
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
    received: Fraction
    parents: tuple[ParentLink, ...]
    """The distinct parents it names, in the order named, and what each took from it (empty
    without a parent share)."""
    kept: Fraction

    @property
    def passed(self) -> Fraction:
        """What it passed to the work it builds on."""
        return sum((link.points for link in self.parents), Fraction(0))

    @property
    def reason(self) -> str:
        """One sentence a reader outside the project understands."""
        n, needed = len(self.endorsements), self.quorum
        match self.status:
            case CountStatus.COUNTED:
                return (
                    f"counted: {self.category_weight_bps}/{BPS} x {self.origin_weight_bps}/{BPS}"
                    f" x {self.value}/{self.unit_scale} x rating {self.rating} = {self.points}"
                    + self._flow_note()
                )
            case CountStatus.WITHDRAWN:
                return "withdrawn by its contributor"
            case CountStatus.SUPERSEDED:
                return "superseded by a newer version" + self._flow_note()
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

    def _flow_note(self) -> str:
        """The credit flow's part of `reason`, empty when nothing moved."""
        passed = self.passed
        if not self.received and not passed:
            return ""
        note = f"; received {self.received} from work that builds on it" if self.received else ""
        if passed:
            to = (f"{link.points} to {link.parent}" for link in self.parents if link.points)
            note += f"; passed {', '.join(to)}"
        return f"{note}; keeps {self.kept}"


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
    _evidence: Explainer = field(repr=False, compare=False)

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
        return self._evidence.input_set()

    def explain(self, contribution_id: str | bytes) -> ContributionExplanation:
        """The explanation of one contribution (its id as bytes or 0x-hex)."""
        try:
            key = (
                contribution_id
                if isinstance(contribution_id, bytes)
                else from_hex(contribution_id, size=32)
            )
        except ValueError:
            key = None
        explanation = None if key is None else self._evidence.explain(key)
        if explanation is None:
            raise NotScoredError(f"no contribution {contribution_id!r} in this history")
        return explanation

    def contributions(self) -> Iterator[ContributionExplanation]:
        """Every contribution's explanation, in chain order."""
        return self._evidence.explain_all()


class Explainer(Protocol):
    """What a `ScoreResult` keeps of the scorer's work to explain contributions on request
    (a project may hold millions of contributions: their explanations are not built upfront)."""

    def explain(self, contribution_id: bytes) -> ContributionExplanation | None:
        """The explanation of one contribution, None if the history has no such id."""
        ...

    def explain_all(self) -> Iterator[ContributionExplanation]:
        """Every contribution's explanation, in chain order."""
        ...

    def input_set(self) -> tuple[tuple[str, int], ...]:
        """The counted (contribution id, rating) pairs, in chain order."""
        ...
