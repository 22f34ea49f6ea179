"""Proof-of-Contribution scoring: from one project's event history to a royalty split.

`score(history, as_of=..., policy_version=...)` runs the scheme in four named steps:

1. `Replay.feed` (`ledger.scoring.replay`) replays the history: members, policies and one
   record per contribution, checked against the ledger's rules;
2. `_choose_policy` picks the policy version to apply and checks its hash and ranges;
3. `_tally` classifies every contribution (counted, or the first reason it is not) and adds up
   the counted ones' points per contributor, exactly, in integers;
4. with a parent share, `pass_credit` (`ledger.scoring.flow`) passes part of every counted
   contribution's points to the work it builds on;
5. `_result` turns points into shares, applies the partner cap and floor
   (`ledger.scoring.limits`), rounds to basis points by largest remainder
   (`ledger.scoring.rules.apportion`) and explains it all (`ledger.scoring.results`).

The history is the ledger's own typed events (`ledger.domain.events`; `ledger.scoring.history`
says which ones). What does not live here: reading logs from a node or the index, royalty
statements (`ledger.scoring.statements`), anything doing I/O or reading a clock. The module is
pure: the same history, evaluation time and policy version give the same result on any
machine. It imports no web3.

The scheme is written down for readers outside the code in docs/scoring.md; the two must agree
(tests/ledger/scoring/test_scoring.py checks the worked example there against this module).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ledger.domain import hashing
from ledger.domain.codec import to_hex
from ledger.domain.events import ContributionRegistered, PolicySet
from ledger.domain.values import MAX_CATEGORIES, Origin, Policy
from ledger.errors import (
    HistoryError,
    InvalidPolicyError,
    PolicyHashMismatchError,
    PolicyNotFoundError,
    ScoringError,
)
from ledger.scoring.flow import CreditFlow, Nodes, pass_credit
from ledger.scoring.history import ScoringEvent
from ledger.scoring.limits import apply_limits
from ledger.scoring.replay import ENDORSEMENTS, LIFECYCLE_STATUS, SUPERSEDED, Record, Replay
from ledger.scoring.results import (
    NO_COUNTED_CONTRIBUTIONS,
    Adjustment,
    ContributionExplanation,
    CountStatus,
    PartnerExplanation,
    ScoreResult,
    SplitEntry,
)
from ledger.scoring.rules import BPS, NEUTRAL_RATING, apportion, input_set_digest, lower_median

__all__ = ["score"]


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
        replay = Replay()
        replay.feed(history)
        chosen = _choose_policy(replay.policies, policy_version)
        tally = _tally(replay, chosen.policy, as_of)
        flow = _flow(replay, chosen.policy, tally)
        return _result(replay, chosen, as_of, tally, flow)


@contextmanager
def _collector_paused() -> Iterator[None]:
    # Scoring allocates a container per contribution and none of them can form a reference
    # cycle; left on, the cyclic collector would rescan the growing heap again and again
    # (it more than doubled the time of a million-contribution score).
    #
    # On the way out, what was allocated meanwhile goes straight to the oldest generation
    # (freeze, then unfreeze): the result keeps it alive, and the young collections that
    # would start as soon as the collector is back on would walk the million records twice
    # (0.3 s each time) only to end by promoting them there. The full collections still look
    # at them as at any old object. Objects other threads allocated meanwhile are promoted
    # with them: cyclic garbage among those waits for the next full collection. Not when the
    # application keeps objects frozen itself (before forking workers, say): unfreezing would
    # undo that.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()


# ---------------------------------------------------------------------------------- policy


def _choose_policy(policies: Mapping[int, PolicySet], version: int | None) -> PolicySet:
    if not policies:
        raise PolicyNotFoundError("the history sets no policy")
    chosen = policies.get(max(policies) if version is None else version)
    if chosen is None:
        raise PolicyNotFoundError(f"policy version {version} is not in the history")
    _validate_policy(chosen.policy)
    actual = hashing.policy_hash(chosen.policy)
    if actual != chosen.policy_hash:
        raise PolicyHashMismatchError(
            f"policy version {chosen.version} is announced as {_shown(chosen.policy_hash)} but "
            f"hashes to {to_hex(actual)}"
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
    if not 0 <= policy.parent_share < BPS:
        raise InvalidPolicyError(
            f"parent share {policy.parent_share} bps must be below {BPS} bps: a contribution "
            "keeps part of its points"
        )


def _origin_weight(policy: Policy, origin: int) -> int:
    return policy.result_weight_bps if origin == Origin.RESULT else policy.background_weight_bps


# ---------------------------------------------------------------------------------- tally


@dataclass(frozen=True, slots=True)
class _WeightTable:
    """Category weight x origin weight per category, scaled to the unit scales' least common
    multiple L, so that weight x value / unit scale is the integer row[category] x value / L."""

    rows: dict[int, list[int]]
    """origin -> weight of each category, scaled."""
    lcm_scale: int

    @classmethod
    def of(cls, policy: Policy) -> _WeightTable:
        categories = policy.categories
        lcm_scale = math.lcm(*(c.unit_scale for c in categories))
        rows: dict[int, list[int]] = {
            origin: [
                c.weight_bps * _origin_weight(policy, origin) * (lcm_scale // c.unit_scale)
                for c in categories
            ]
            for origin in (Origin.BACKGROUND, Origin.RESULT)
        }
        return cls(rows, lcm_scale)


@dataclass(slots=True)
class _Tally:
    """What the pass over the contributions produced, before shares."""

    points: dict[str, int]
    """Scaled integer points per contributor (see `_tally`), counted contributions only."""
    counted: dict[str, list[bytes]]
    not_counted: dict[str, list[bytes]]
    counted_ids: list[bytes]
    counted_ratings: bytearray
    verdicts: dict[bytes, CountStatus]
    """Status of every contribution that does not count."""
    scale: int
    """points(c) = scaled points / scale, exactly."""
    nodes: Nodes | None
    """With a parent share, the contributions that may take part in the credit flow."""


def _tally(replay: Replay, policy: Policy, as_of: int) -> _Tally:
    """Classify every contribution and add up the counted ones' points per contributor.

    This is the hot loop (a million contributions in well under a second): points are kept as
    integers scaled by 10^8 x L (`_WeightTable`), so that category weight x origin weight x
    value / unit scale x rating is an exact integer. Each contribution goes through the checks
    of `CountStatus` in its order, then its rating (`_rating` inlined for the one- and
    two-endorsement cases, the common ones) against the quorum.
    """
    table = _WeightTable.of(policy)
    weight_rows = table.rows
    category_count = len(policy.categories)
    # registeredAt + window <= as_of, with the addition done once rather than per contribution
    latest = as_of - policy.dispute_window
    quorum = policy.endorsement_quorum
    # contributor -> [scaled points, ids of its counted contributions, its number (1, 2, ...)]:
    # one lookup per count
    accounts: dict[str, list[Any]] = {}
    not_counted: dict[str, list[bytes]] = {}
    counted_ids: list[bytes] = []
    keep_id = counted_ids.append
    counted_ratings = bytearray()
    keep_rating = counted_ratings.append
    verdicts: dict[bytes, CountStatus] = {}
    # What the credit flow needs, collected only when the policy passes credit.
    nodes = Nodes.sized(len(replay.records)) if policy.parent_share else None
    if nodes is not None:
        node_owners, node_points = nodes.owners, nodes.points

    for record in replay.records.values():
        event = record[0]
        contributor = event.contributor
        lifecycle = record[1]
        if lifecycle:
            status = LIFECYCLE_STATUS[lifecycle]
            if nodes is not None and lifecycle == SUPERSEDED:  # may stand in for a newer one
                nodes.superseded.append(record[2])
        else:
            category = event.category
            value = event.value
            row = weight_rows.get(event.origin)
            if row is None:
                raise HistoryError(
                    f"contribution {to_hex(event.contribution_id)}: origin {event.origin}"
                )
            if value < 0:
                raise HistoryError(f"contribution {to_hex(event.contribution_id)}: value {value}")
            if not 0 <= category < category_count:
                status = CountStatus.UNKNOWN_CATEGORY
            elif not value:
                status = CountStatus.ZERO_VALUE
            elif not row[category]:
                status = CountStatus.ZERO_WEIGHT
            elif event.registered_at > latest:
                if event.registered_at > as_of:
                    raise HistoryError(
                        f"contribution {to_hex(event.contribution_id)} registered at "
                        f"{event.registered_at}, after as_of {as_of}"
                    )
                status = CountStatus.DISPUTE_WINDOW_OPEN
            else:
                # `_rating`, with the one- and two-endorsement cases inlined: they are the
                # common ones and this loop dominates the cost of a score.
                size = len(record)
                if size == 7:
                    _, _, _, first, first_rating, second, second_rating = record
                    if first != contributor and second != contributor and first != second:
                        endorsements = 2
                        rating = first_rating if first_rating < second_rating else second_rating
                    else:
                        endorsements, rating = _rating(record)
                elif size == 5:
                    endorsements = 0 if record[3] == contributor else 1
                    rating = record[4] if endorsements else NEUTRAL_RATING
                elif size == 3:
                    endorsements = 0
                    rating = NEUTRAL_RATING
                else:
                    endorsements, rating = _rating(record)
                if endorsements >= quorum:
                    contribution_id = event.contribution_id
                    account = accounts.get(contributor)
                    if account is None:
                        account = accounts[contributor] = [0, [], len(accounts) + 1]
                    points = row[category] * value * rating
                    account[0] += points
                    account[1].append(contribution_id)
                    keep_id(contribution_id)
                    keep_rating(rating)
                    if nodes is not None:
                        node_owners[record[2]] = account[2]
                        node_points[record[2]] = points
                    continue
                status = CountStatus.QUORUM_NOT_MET
        verdicts[event.contribution_id] = status
        not_counted.setdefault(contributor, []).append(event.contribution_id)

    if nodes is not None:
        nodes.names = list(accounts)  # contributor number n is the n-th account
    return _Tally(
        points={contributor: account[0] for contributor, account in accounts.items()},
        counted={contributor: account[1] for contributor, account in accounts.items()},
        not_counted=not_counted,
        counted_ids=counted_ids,
        counted_ratings=counted_ratings,
        verdicts=verdicts,
        scale=BPS * BPS * table.lcm_scale,
        nodes=nodes,
    )


def _flow(replay: Replay, policy: Policy, tally: _Tally) -> CreditFlow | None:
    """Pass the policy's parent share along "builds on" (None when it passes nothing)."""
    if tally.nodes is None:
        return None
    return pass_credit(
        policy.parent_share, tally.nodes, replay.records, replay.replaced_by, tally.scale
    )


def _rating(record: Record) -> tuple[int, int]:
    """(endorsements that count, rating factor) of a contribution: the lower median of the
    distinct other partners' ratings, NEUTRAL_RATING without any."""
    ratings = [rating for _, rating in _split_endorsements(record)[0]]
    return len(ratings), lower_median(ratings) if ratings else NEUTRAL_RATING


def _split_endorsements(record: Record) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(counting, ignored): the first endorsement of each other partner counts; the
    contributor's own and any repeat by the same endorser are ignored."""
    contributor = record[0].contributor
    seen: set[str] = set()
    counting: list[tuple[str, int]] = []
    ignored: list[tuple[str, int]] = []
    for position in range(ENDORSEMENTS, len(record), 2):
        endorser, rating = record[position], record[position + 1]
        if endorser == contributor or endorser in seen:
            ignored.append((endorser, rating))
        else:
            seen.add(endorser)
            counting.append((endorser, rating))
    return counting, ignored


# ---------------------------------------------------------------------------------- result


@dataclass(frozen=True, slots=True)
class _Evidence:
    """What `ScoreResult` keeps to explain contributions on request (`Explainer`)."""

    records: Mapping[bytes, Record]
    verdicts: Mapping[bytes, CountStatus]
    open_disputes: Mapping[bytes, list[int]]
    upheld: Mapping[bytes, int]
    counted_ids: Sequence[bytes]
    counted_ratings: bytes
    policy: Policy
    flow: CreditFlow | None

    def explain(self, contribution_id: bytes) -> ContributionExplanation | None:
        record = self.records.get(contribution_id)
        return None if record is None else self._explain(record)

    def explain_all(self) -> Iterator[ContributionExplanation]:
        for record in self.records.values():
            yield self._explain(record)

    def input_set(self) -> tuple[tuple[str, int], ...]:
        return tuple(
            zip(_hex_ids(self.counted_ids), self.counted_ratings, strict=True),
        )

    def _explain(self, record: Record) -> ContributionExplanation:
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
        credit = self.flow.explain(record, points) if self.flow else None
        return ContributionExplanation(
            contribution_id=to_hex(contribution_id),
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
            received=credit.received if credit else Fraction(0),
            parents=credit.parents if credit else (),
            kept=credit.kept if credit else points,
        )


@dataclass(frozen=True, slots=True)
class _Shares:
    """Every partner's share before and after the limits, in basis points, and why."""

    before: dict[str, Fraction]
    after: dict[str, Fraction]
    adjustments: dict[str, Adjustment]
    scale_factor: Fraction
    bps: dict[str, int]
    rounding_bonus: dict[str, int]


def _result(
    replay: Replay, chosen: PolicySet, as_of: int, tally: _Tally, flow: CreditFlow | None
) -> ScoreResult:
    policy = chosen.policy
    members = replay.members
    # Every partner a reader may ask about: today's members, and anyone who contributed.
    everyone = sorted(members | tally.counted.keys() | tally.not_counted.keys(), key=str.lower)
    # Points after the credit flow (the points of its own contributions without one).
    kept, scale = (flow.points, flow.scale) if flow else (tally.points, tally.scale)
    raw = {p: kept.get(p, 0) for p in everyone}
    total = sum(kept.values())
    the_hash = input_set_digest(
        replay.project_id,
        chosen.version,
        chosen.policy_hash,
        tally.counted_ids,
        tally.counted_ratings,
    )
    shares = _shares(raw, total, members, policy) if total else _no_shares(everyone)
    partners = tuple(
        PartnerExplanation(
            partner=p,
            member=p in members,
            raw_points=Fraction(raw[p], scale),
            own_points=Fraction(tally.points.get(p, 0), tally.scale),
            passed_points=Fraction(flow.passed.get(p, 0), flow.scale) if flow else Fraction(0),
            share_before=shares.before[p],
            adjustment=shares.adjustments[p],
            share_after=shares.after[p],
            bps=shares.bps[p],
            rounding_bonus=shares.rounding_bonus[p],
            counted=_hex_ids(tally.counted.get(p, ())),
            not_counted=_hex_ids(tally.not_counted.get(p, ())),
        )
        for p in everyone
    )
    return ScoreResult(
        project_id=replay.project_id,
        policy_version=chosen.version,
        policy_hash=to_hex(chosen.policy_hash),
        policy=policy,
        as_of=as_of,
        split=tuple(SplitEntry(p, shares.bps[p]) for p in everyone if shares.bps[p] > 0),
        empty_reason=NO_COUNTED_CONTRIBUTIONS if total == 0 else None,
        partners=partners,
        total_points=Fraction(total, scale),
        scale_factor=shares.scale_factor,
        counted_count=len(tally.counted_ids),
        contribution_count=len(replay.records),
        input_set_hash=to_hex(the_hash),
        _evidence=_Evidence(
            records=replay.records,
            verdicts=tally.verdicts,
            open_disputes=replay.open_disputes,
            upheld=replay.upheld,
            counted_ids=tally.counted_ids,
            counted_ratings=bytes(tally.counted_ratings),
            policy=policy,
            flow=flow,
        ),
    )


def _no_shares(everyone: list[str]) -> _Shares:
    """Nothing counts: every partner has nothing."""
    zero = {p: Fraction(0) for p in everyone}
    return _Shares(
        before=zero,
        after=zero,
        adjustments=dict.fromkeys(everyone, Adjustment.UNCHANGED),
        scale_factor=Fraction(1),
        bps=dict.fromkeys(everyone, 0),
        rounding_bonus=dict.fromkeys(everyone, 0),
    )


def _shares(raw: dict[str, int], total: int, members: set[str], policy: Policy) -> _Shares:
    """Points to shares, the cap and floor, then basis points by largest remainder."""
    everyone = list(raw)
    # The partners that take part in the split: members (who may receive the floor or a
    # residual) and removed partners that still hold credit.
    entitled = [p for p in everyone if p in members or raw[p] > 0]
    before = {p: Fraction(raw[p], total) for p in everyone}
    limited = apply_limits(
        {p: before[p] for p in entitled},
        members,
        policy.partner_cap_bps,
        policy.partner_floor_bps,
    )
    after = {p: limited.shares.get(p, Fraction(0)) for p in everyone}
    common = math.lcm(*(s.denominator for s in after.values()))
    weights = {p: s.numerator * (common // s.denominator) for p, s in after.items()}
    bps = apportion(BPS, weights)
    return _Shares(
        before=before,
        after=after,
        adjustments={p: limited.adjustments.get(p, Adjustment.UNCHANGED) for p in everyone},
        scale_factor=limited.scale_factor,
        bps=bps,
        rounding_bonus={p: bps[p] - BPS * weights[p] // common for p in everyone},
    )


def _hex_ids(ids: Sequence[bytes]) -> tuple[str, ...]:
    # One hex conversion for all ids, then slices: cheaper than a call per id.
    text = b"".join(ids).hex()
    if len(text) != 64 * len(ids):  # an id of another length: no fixed-width slices
        return tuple(to_hex(i) for i in ids)
    return tuple("0x" + text[i : i + 64] for i in range(0, len(text), 64))


def _shown(value: object) -> str:
    """A hash for an error message, whatever the caller put in the event."""
    return to_hex(value) if isinstance(value, bytes | bytearray) else repr(value)
