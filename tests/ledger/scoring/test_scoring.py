"""Proof-of-Contribution scoring: reason codes, limits, policy versions, history checks, the
input-set hash and the worked example of docs/scoring.md.

Also home of `History`, the builder of consistent event histories that the property tests in
test_scoring_properties.py use too. No chain here: the scorer is pure and reads events only.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import re
from fractions import Fraction
from pathlib import Path

import pytest
from eth_abi.abi import encode as abi_encode
from eth_hash.auto import keccak

from ledger.domain.events import (
    ContributionRegistered,
    PolicySet,
)
from ledger.domain.values import Category, DisputeOutcome, Origin, Policy, text_to_bytes32
from ledger.errors import (
    HistoryError,
    InfeasibleLimitsError,
    InvalidPolicyError,
    InvalidSplitError,
    NotScoredError,
    PolicyHashMismatchError,
    PolicyNotFoundError,
)
from ledger.scoring.results import NO_COUNTED_CONTRIBUTIONS, Adjustment, CountStatus, ScoreResult
from ledger.scoring.rules import BPS, NEUTRAL_RATING, apportion, input_set_hash, lower_median
from ledger.scoring.scheme import score
from tests.ledger.scoring.histories import (
    DAY,
    PROJECT,
    T0,
    A,
    B,
    C,
    D,
    History,
    make_policy,
    three_partners,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "scoring.md"


# ------------------------------------------------------------------------ reason codes


def test_score_counts_contribution_with_quorum_after_window() -> None:
    history = three_partners(quorum=2)
    cid = history.register(A, 10)
    history.endorse(cid, (B, 4), (C, 2))
    result = history.score()
    explanation = result.explain(cid)
    assert explanation.status is CountStatus.COUNTED
    assert explanation.rating == 2  # lower median of (2, 4)
    assert explanation.points == 20
    assert result.bps() == {A: BPS}


def test_score_reports_withdrawn() -> None:
    history = three_partners()
    cid = history.register(A, 10)
    history.endorse(cid, (B, 3))
    history.withdraw(cid, A)
    assert history.score().explain(cid).status is CountStatus.WITHDRAWN


def test_score_reports_superseded_and_counts_replacement() -> None:
    history = three_partners()
    old = history.register(A, 10)
    new = history.register(A, 12, supersedes=old)
    history.endorse(new, (B, 3))
    result = history.score()
    assert result.explain(old).status is CountStatus.SUPERSEDED
    assert result.explain(new).status is CountStatus.COUNTED
    assert result.total_points == 36


def test_score_reports_invalidated_by_upheld_dispute() -> None:
    history = three_partners()
    cid = history.register(A, 10)
    history.endorse(cid, (B, 3))
    history.open_dispute(cid, B)
    history.vote(cid, C, True)
    history.resolve(cid, DisputeOutcome.UPHELD)
    explanation = history.score().explain(cid)
    assert explanation.status is CountStatus.INVALIDATED_BY_DISPUTE
    assert explanation.dispute_number == 1
    assert explanation.reason == "invalidated: dispute 1 was upheld"


def test_score_reports_open_dispute_and_counts_after_rejection() -> None:
    history = three_partners()
    cid = history.register(A, 10)
    history.endorse(cid, (B, 3))
    history.open_dispute(cid, B, eligible=1)
    disputed = history.score().explain(cid)
    assert disputed.status is CountStatus.DISPUTE_OPEN
    assert disputed.reason == "dispute 1 is open: 0 of 1 eligible voters to uphold, 0 to reject"
    history.vote(cid, C, False)
    history.resolve(cid, DisputeOutcome.REJECTED)
    assert history.score().explain(cid).status is CountStatus.COUNTED


def test_score_explains_votes_of_open_dispute() -> None:
    history = History([A, B, C, D], make_policy())
    cid = history.register(A, 10)
    history.open_dispute(cid, B, eligible=2)
    history.vote(cid, C, True)
    explanation = history.score().explain(cid)
    assert explanation.dispute_votes == (1, 0, 2)
    assert explanation.reason == "dispute 1 is open: 1 of 2 eligible voters to uphold, 0 to reject"


def test_score_counts_again_after_dispute_withdrawn_by_disputer() -> None:
    history = three_partners()
    cid = history.register(A, 10)
    history.endorse(cid, (B, 3))
    history.open_dispute(cid, B)
    history.resolve(cid, DisputeOutcome.WITHDRAWN)
    assert history.score().explain(cid).status is CountStatus.COUNTED


def test_score_keeps_withdrawn_when_its_dispute_is_rejected_later() -> None:
    history = three_partners()
    cid = history.register(A, 10)
    history.open_dispute(cid, B)
    history.withdraw(cid, A)
    history.resolve(cid, DisputeOutcome.REJECTED)
    assert history.score().explain(cid).status is CountStatus.WITHDRAWN


def test_score_reports_quorum_not_met_with_count_and_needed() -> None:
    history = three_partners(quorum=2)
    cid = history.register(A, 10)
    history.endorse(cid, (B, 5))
    explanation = history.score().explain(cid)
    assert explanation.status is CountStatus.QUORUM_NOT_MET
    assert (len(explanation.endorsements), explanation.quorum) == (1, 2)
    assert explanation.reason == "quorum not met: 1 of 2 endorsements by other partners"


def test_score_reports_dispute_window_open_until_its_end() -> None:
    history = three_partners(window=7 * DAY)
    cid = history.register(A, 10, at=T0)
    history.endorse(cid, (B, 3))
    early = history.score(as_of=T0 + 7 * DAY - 1).explain(cid)
    assert early.status is CountStatus.DISPUTE_WINDOW_OPEN
    assert early.window_ends_at == T0 + 7 * DAY
    assert early.reason == f"dispute window open until {T0 + 7 * DAY}"
    # registeredAt + disputeWindow <= as_of: counts from the window's last second on.
    assert history.score(as_of=T0 + 7 * DAY).explain(cid).status is CountStatus.COUNTED


def test_score_reports_unknown_category_under_narrower_policy() -> None:
    history = History([A, B], make_policy([(1, BPS), (1, BPS)]))
    cid = history.register(A, 10, category=1)
    history.endorse(cid, (B, 3))
    history.set_policy(make_policy([(1, BPS)]))
    result = history.score()
    assert result.explain(cid).status is CountStatus.UNKNOWN_CATEGORY
    assert result.explain(cid).category_weight_bps is None
    assert history.score(policy_version=1).explain(cid).status is CountStatus.COUNTED


def test_score_reports_zero_value() -> None:
    history = three_partners()
    cid = history.register(A, 0)
    history.endorse(cid, (B, 3))
    assert history.score().explain(cid).status is CountStatus.ZERO_VALUE


def test_score_reports_zero_weight_for_weightless_origin() -> None:
    history = History([A, B], make_policy(background=0))
    cid = history.register(A, 10, origin=Origin.BACKGROUND)
    history.endorse(cid, (B, 3))
    assert history.score().explain(cid).status is CountStatus.ZERO_WEIGHT


def test_score_reports_first_reason_in_documented_order() -> None:
    # Withdrawn, unendorsed and in its window: the lifecycle reason comes first.
    history = three_partners(quorum=2)
    cid = history.register(A, 10, at=T0 + 29 * DAY)
    history.withdraw(cid, A)
    assert history.score().explain(cid).status is CountStatus.WITHDRAWN


def test_score_returns_empty_split_when_nothing_counts() -> None:
    history = three_partners(quorum=2)
    history.register(A, 10)
    result = history.score()
    assert result.split == ()
    assert result.empty_reason == NO_COUNTED_CONTRIBUTIONS
    assert result.total_points == 0
    assert all(p.bps == 0 for p in result.partners)


# ------------------------------------------------------------------------ endorsements


def test_lower_median_takes_lower_middle_of_even_count() -> None:
    assert lower_median([5, 1]) == 1
    assert lower_median([4, 2, 5, 3]) == 3
    assert lower_median([2, 5, 4]) == 4


def test_score_ignores_self_and_repeated_endorsements() -> None:
    history = three_partners(quorum=2)
    cid = history.register(A, 10)
    history.endorse(cid, (A, 5), (B, 2), (B, 5))
    explanation = history.score().explain(cid)
    assert explanation.status is CountStatus.QUORUM_NOT_MET
    assert explanation.endorsements == ((B, 2),)
    assert explanation.ignored_endorsements == ((A, 5), (B, 5))


def test_score_uses_neutral_rating_without_quorum_or_endorsements() -> None:
    history = three_partners(quorum=0)
    cid = history.register(A, 10)
    explanation = history.score().explain(cid)
    assert explanation.rating == NEUTRAL_RATING
    assert explanation.points == 10 * NEUTRAL_RATING


def test_score_aggregates_many_endorsements_by_lower_median() -> None:
    history = History([A, B, C, D], make_policy(quorum=1))
    cid = history.register(A, 1)
    history.endorse(cid, (B, 5), (C, 1), (D, 4))
    assert history.score().explain(cid).rating == 4


# ------------------------------------------------------------------------ points


def test_score_points_follow_weights_unit_scale_and_rating_exactly() -> None:
    policy = make_policy([(3, 7_000)], background=4_000, quorum=1)
    history = History([A, B], policy)
    cid = history.register(A, 10, origin=Origin.BACKGROUND)
    history.endorse(cid, (B, 5))
    explanation = history.score().explain(cid)
    assert explanation.points == Fraction(7_000, BPS) * Fraction(4_000, BPS) * Fraction(10, 3) * 5
    assert explanation.reason == "counted: 7000/10000 x 4000/10000 x 10/3 x rating 5 = 14/3"


def test_score_shares_are_exact_across_unit_scales() -> None:
    history = History([A, B], make_policy([(3, BPS), (7, BPS)], quorum=1))
    a = history.register(A, 1, category=0)
    b = history.register(B, 1, category=1)
    history.endorse(a, (B, 1))
    history.endorse(b, (A, 1))
    result = history.score()
    assert result.partner(A).share_before == Fraction(7, 10)
    assert result.bps() == {A: 7_000, B: 3_000}


def test_score_partner_points_equal_sum_of_contribution_points() -> None:
    history = History([A, B, C], make_policy([(3, 9_000), (100, 3_000)], quorum=1))
    for i in range(12):
        cid = history.register((A, B, C)[i % 3], 7 * i + 1, category=i % 2, origin=Origin(i % 2))
        history.endorse(cid, ((B, C, A)[i % 3], 1 + i % 5))
    result = history.score()
    for partner in result.partners:
        assert partner.raw_points == sum(
            (result.explain(cid).points for cid in partner.counted), Fraction(0)
        )
    assert sum(e.points for e in result.contributions()) == result.total_points


# ------------------------------------------------------------------------ limits


def test_score_caps_partner_and_redistributes_in_proportion() -> None:
    history = three_partners(cap=5_000)
    for partner, value in ((A, 80), (B, 15), (C, 5)):
        cid = history.register(partner, value)
        history.endorse(cid, (A if partner != A else B, 1))
    result = history.score()
    assert result.partner(A).adjustment is Adjustment.CAPPED
    assert result.partner(A).share_after == Fraction(1, 2)
    # B and C share the other half 15:5.
    assert result.partner(B).share_after == Fraction(3, 8)
    assert result.partner(C).share_after == Fraction(1, 8)
    assert result.scale_factor == Fraction(5, 2)
    assert result.bps() == {A: 5_000, B: 3_750, C: 1_250}


def test_score_raises_partner_to_floor_from_unconstrained_partners() -> None:
    history = three_partners(floor=1_000)
    for partner, value in ((A, 60), (B, 38), (C, 2)):
        cid = history.register(partner, value)
        history.endorse(cid, (A if partner != A else B, 1))
    result = history.score()
    assert result.partner(C).adjustment is Adjustment.FLOORED
    assert result.partner(C).bps == 1_000
    assert result.partner(A).share_after == Fraction(9, 10) * Fraction(60, 98)
    assert sum(result.bps().values()) == BPS


def test_score_releases_floor_that_no_longer_binds_after_capping() -> None:
    # Raw shares 107:40:12. C (7.5 %) is below the 10 % floor before A is capped, not after.
    history = three_partners(cap=5_000, floor=1_000)
    for partner, value in ((A, 107), (B, 40), (C, 12)):
        cid = history.register(partner, value)
        history.endorse(cid, (A if partner != A else B, 1))
    result = history.score()
    assert result.partner(C).share_before < Fraction(1, 10)
    assert result.partner(A).adjustment is Adjustment.CAPPED
    assert result.partner(C).adjustment is Adjustment.SCALED
    assert result.partner(C).share_after == Fraction(1, 2) * Fraction(12, 52)


def test_score_gives_residual_to_members_without_points_when_all_others_capped() -> None:
    history = three_partners(cap=4_000)
    cid = history.register(A, 10)
    history.endorse(cid, (B, 3))
    result = history.score()
    assert result.bps() == {A: 4_000, B: 3_000, C: 3_000}
    assert result.partner(B).adjustment is Adjustment.RESIDUAL


def test_score_refuses_cap_too_low_for_partner_count() -> None:
    history = three_partners(cap=3_000)
    cid = history.register(A, 10)
    history.endorse(cid, (B, 3))
    with pytest.raises(InfeasibleLimitsError, match="cap of 3000 bps for 3 partners"):
        history.score()


def test_score_refuses_floor_too_high_for_member_count() -> None:
    history = three_partners(floor=3_400)
    cid = history.register(A, 10)
    history.endorse(cid, (B, 3))
    with pytest.raises(InfeasibleLimitsError, match="floor of 3400 bps for 3 partners"):
        history.score()


def test_score_refuses_floor_above_cap() -> None:
    history = three_partners(cap=4_000, floor=4_500)
    cid = history.register(A, 10)
    history.endorse(cid, (B, 3))
    with pytest.raises(InvalidPolicyError, match="floor 4500 bps is above cap 4000 bps"):
        history.score()


# ------------------------------------------------------------------------ partners, policies


def test_score_keeps_removed_partners_credit_without_floor() -> None:
    history = three_partners(floor=2_000)
    a = history.register(A, 10)
    c = history.register(C, 1)
    history.endorse(a, (B, 3))
    history.endorse(c, (A, 3))
    history.remove_partner(C)
    result = history.score()
    removed = result.partner(C)
    assert not removed.member
    assert removed.raw_points == 3
    # Not raised to the floor: scaled like every unconstrained partner while B gets its floor.
    assert removed.adjustment is Adjustment.SCALED
    assert removed.share_after == Fraction(8, 10) * Fraction(3, 33)
    assert result.partner(B).bps == 2_000  # a member without points gets the floor
    assert sum(result.bps().values()) == BPS
    assert removed.bps > 0


def test_score_uses_named_policy_version_and_defaults_to_latest() -> None:
    history = History([A, B], make_policy([(1, BPS), (1, BPS)]))
    a = history.register(A, 10, category=0)
    b = history.register(B, 10, category=1)
    history.endorse(a, (B, 3))
    history.endorse(b, (A, 3))
    history.set_policy(make_policy([(1, BPS), (1, 3 * BPS)]))
    assert history.score(policy_version=1).bps() == {A: 5_000, B: 5_000}
    latest = history.score()
    assert latest.policy_version == 2
    assert latest.bps() == {A: 2_500, B: 7_500}
    assert latest.input_set_hash != history.score(policy_version=1).input_set_hash


def test_score_reproduces_old_version_after_later_events() -> None:
    history = History([A, B], make_policy())
    cid = history.register(A, 10)
    history.endorse(cid, (B, 3))
    before = history.score()
    history.set_policy(make_policy(result=2 * BPS))
    assert history.score(policy_version=1) == before


def test_score_refuses_unknown_policy_version() -> None:
    with pytest.raises(PolicyNotFoundError, match="policy version 9"):
        three_partners().score(policy_version=9)


def test_score_refuses_policy_whose_hash_does_not_match() -> None:
    history = three_partners()
    policy_set = history.events[1]
    assert isinstance(policy_set, PolicySet)
    history.events[1] = dataclasses.replace(policy_set, policy_hash=bytes(32))
    with pytest.raises(PolicyHashMismatchError):
        history.score()


def test_score_refuses_policy_with_zero_unit_scale() -> None:
    with pytest.raises(InvalidPolicyError, match="unit scale 0"):
        History([A, B], make_policy([(0, BPS)])).score()


# ------------------------------------------------------------------------ history checks


def test_score_refuses_history_not_starting_with_project_created() -> None:
    history = three_partners()
    with pytest.raises(HistoryError, match="must start with ProjectCreated"):
        score(history.events[1:], as_of=T0)


def test_score_refuses_events_out_of_chain_order() -> None:
    history = three_partners()
    history.register(A, 1)
    history.register(B, 1)
    history.events[-2:] = reversed(history.events[-2:])
    with pytest.raises(HistoryError, match="chain order"):
        history.score()


def test_score_refuses_endorsement_of_unknown_contribution() -> None:
    history = three_partners()
    history.endorse("0x" + "12" * 32, (B, 3))
    with pytest.raises(HistoryError, match="unknown contribution"):
        history.score()


def test_score_refuses_endorsement_by_non_partner() -> None:
    history = three_partners()
    cid = history.register(A, 1)
    history.endorse(cid, (D, 3))
    with pytest.raises(HistoryError, match="non-partner"):
        history.score()


def test_score_refuses_endorsement_by_removed_partner() -> None:
    history = three_partners()
    cid = history.register(A, 1)
    history.remove_partner(B)
    history.endorse(cid, (B, 3))
    with pytest.raises(HistoryError, match="non-partner"):
        history.score()


def test_score_refuses_rating_out_of_range() -> None:
    history = three_partners()
    cid = history.register(A, 1)
    history.endorse(cid, (B, 6))
    with pytest.raises(HistoryError, match="rating 6"):
        history.score()


def test_score_refuses_duplicate_registration() -> None:
    history = three_partners()
    history.register(A, 1)
    duplicate = history.events[-1]
    history._add(
        ContributionRegistered,
        **{
            f.name: getattr(duplicate, f.name)
            for f in dataclasses.fields(duplicate)
            if f.name not in ("project_id", "block_number", "log_index")
        },
    )
    with pytest.raises(HistoryError, match="registered twice"):
        history.score()


def test_score_refuses_event_of_another_project() -> None:
    history = three_partners()
    history.register(A, 1)
    history.events[-1] = dataclasses.replace(history.events[-1], project_id=PROJECT + 1)
    with pytest.raises(HistoryError, match="project"):
        history.score()


def test_score_refuses_withdrawing_twice() -> None:
    history = three_partners()
    cid = history.register(A, 1)
    history.withdraw(cid, A)
    history.withdraw(cid, A)
    with pytest.raises(HistoryError, match="already WITHDRAWN"):
        history.score()


def test_score_refuses_contribution_registered_after_as_of() -> None:
    history = three_partners()
    history.register(A, 1, at=T0 + 31 * DAY)
    with pytest.raises(HistoryError, match="after as_of"):
        history.score(as_of=T0 + 30 * DAY)


def test_score_refuses_lower_case_partner_address() -> None:
    history = History([A, B.lower()], make_policy())
    with pytest.raises(HistoryError, match="not checksummed"):
        history.score()


def test_score_explain_refuses_unknown_contribution() -> None:
    with pytest.raises(NotScoredError):
        three_partners().score().explain("0x" + "00" * 32)


# ------------------------------------------------------------------------ input-set hash


def test_input_set_hash_is_keccak_of_documented_abi_encoding() -> None:
    ids = ["0x" + hashlib.sha256(bytes([i])).hexdigest() for i in range(40)]
    ratings = [1 + i % 5 for i in range(40)]
    policy_hash = "0x" + "5a" * 32
    expected = keccak(
        abi_encode(
            ["uint32", "uint32", "bytes32", "bytes32[]", "bytes"],
            [
                PROJECT,
                3,
                bytes.fromhex(policy_hash[2:]),
                [bytes.fromhex(i[2:]) for i in ids],
                bytes(ratings),
            ],
        )
    )
    assert input_set_hash(PROJECT, 3, policy_hash, ids, ratings) == "0x" + expected.hex()
    empty = keccak(
        abi_encode(
            ["uint32", "uint32", "bytes32", "bytes32[]", "bytes"],
            [PROJECT, 3, bytes.fromhex(policy_hash[2:]), [], b""],
        )
    )
    assert input_set_hash(PROJECT, 3, policy_hash, [], []) == "0x" + empty.hex()


@pytest.mark.parametrize(
    "bad_id",
    ["0x" + "ab" * 31, "ab" * 33, "0X" + "ab" * 32, "0x" + "ab" * 31 + " a", "0x" + "gg" * 32],
)
def test_input_set_hash_refuses_malformed_ids(bad_id: str) -> None:
    good = "0x" + "cd" * 32
    with pytest.raises(HistoryError):
        input_set_hash(PROJECT, 1, "0x" + "00" * 32, [good, bad_id, good], [1, 2, 3])


def test_score_input_set_hash_commits_to_counted_ids_and_ratings() -> None:
    history = three_partners()
    counted = history.register(A, 10)
    history.register(B, 10)  # not endorsed: not in the input set
    history.endorse(counted, (C, 4))
    result = history.score()
    assert result.input_set() == ((counted, 4),)
    assert result.input_set_hash == input_set_hash(PROJECT, 1, result.policy_hash, [counted], [4])


# ------------------------------------------------------------------------ apportion


def test_apportion_gives_leftover_units_to_largest_remainders() -> None:
    assert apportion(100, {A: 3_333, B: 3_333, C: 3_334}) == {A: 33, B: 33, C: 34}
    lowest = min((A, B, C), key=str.lower)
    assert apportion(10, {A: 1, B: 1, C: 1}) == {p: 4 if p == lowest else 3 for p in (A, B, C)}


def test_apportion_breaks_ties_to_lower_address() -> None:
    low, high = "0x" + "00" * 19 + "01", "0x" + "ff" * 20
    assert apportion(1, {high: 1, low: 1}) == {low: 1, high: 0}
    assert list(apportion(1, {high: 1, low: 1})) == [low, high]


def test_apportion_refuses_all_zero_weights() -> None:
    with pytest.raises(InvalidSplitError):
        apportion(5, {A: 0})


# ------------------------------------------------------------------------ worked example


def worked_example() -> History:
    """The three-partner example of docs/scoring.md, section "Worked example"."""
    policy = Policy(
        background_weight_bps=5_000,
        result_weight_bps=10_000,
        endorsement_quorum=2,
        dispute_window=14 * DAY,
        split_approval_bps=10_000,
        governance_bps=6_667,
        partner_cap_bps=5_000,
        partner_floor_bps=1_000,
        categories=(
            Category(text_to_bytes32("person-hours"), text_to_bytes32("hour"), 1, 10_000),
            Category(text_to_bytes32("cash"), text_to_bytes32("EUR-cent"), 10_000, 10_000),
            Category(text_to_bytes32("equipment"), text_to_bytes32("hour"), 1, 5_000),
        ),
    )
    history = History([A, B, C], policy, project_id=1)
    a1 = history.register(A, 400, category=0, origin=Origin.BACKGROUND, at=T0 + 1 * DAY)
    a2 = history.register(A, 300, category=2, at=T0 + 2 * DAY)
    a3 = history.register(A, 1_500_000, category=1, at=T0 + 2 * DAY)
    b1 = history.register(B, 800, category=0, at=T0 + 3 * DAY)
    b2 = history.register(B, 200, category=0, origin=Origin.BACKGROUND, at=T0 + 3 * DAY)
    c1 = history.register(C, 150, category=0, at=T0 + 4 * DAY)
    c2 = history.register(C, 300, category=0, at=T0 + 4 * DAY)
    c3 = history.register(C, 500, category=0, at=T0 + 5 * DAY)
    b3 = history.register(B, 120, category=0, at=T0 + 27 * DAY)
    history.endorse(a1, (B, 4), (C, 3))
    history.endorse(a2, (B, 3), (C, 5))
    history.endorse(a3, (B, 5), (C, 4))
    history.endorse(b1, (A, 4), (C, 4))
    history.endorse(b2, (A, 2))
    history.endorse(c1, (A, 3), (B, 3))
    history.endorse(c3, (A, 4), (B, 4))
    history.endorse(b3, (A, 5), (C, 5))
    history.withdraw(c2, C)
    history.open_dispute(c3, A, eligible=1)
    history.vote(c3, B, True)
    history.resolve(c3, DisputeOutcome.UPHELD)
    return history


WORKED_AS_OF = T0 + 30 * DAY
NAMES = {A: "A (flax SME)", B: "B (university lab)", C: "C (research centre)"}


def _fraction(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value}"


def _percent(value: Fraction) -> str:
    """value as a percentage with 4 decimals, rounded half up, without floats."""
    tenths_of_bps = (value * 1_000_000 * 2 + 1) // 2
    whole, decimals = divmod(tenths_of_bps, 10_000)
    return f"{whole}.{decimals:04d} %"


def render_worked_example(result: ScoreResult) -> list[str]:
    """The tables of the worked example, exactly as docs/scoring.md shows them."""
    labels = {}
    for partner in (A, B, C):
        for n, cid in enumerate(
            [c.contribution_id for c in result.contributions() if c.contributor == partner], 1
        ):
            labels[cid] = f"{NAMES[partner][0].lower()}{n}"
    lines = [
        "| id | partner | origin | category | value | ratings | rating | points | status |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in result.contributions():
        ratings = ", ".join(str(r) for _, r in c.endorsements) or "-"
        lines.append(
            f"| {labels[c.contribution_id]} | {NAMES[c.contributor][0]} | {c.origin.name.title()}"
            f" | {c.category} | {c.value} | {ratings} | {c.rating or '-'}"
            f" | {_fraction(c.points)} | {c.status.value} |"
        )
    lines += [
        "",
        "| partner | raw points | share before | adjustment | share after | exact bps "
        "| rounding | bps |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in result.partners:
        exact = p.share_after * BPS
        lines.append(
            f"| {NAMES[p.partner]} | {_fraction(p.raw_points)} | {_fraction(p.share_before)}"
            f" = {_percent(p.share_before)} | {p.adjustment.value} | {_fraction(p.share_after)}"
            f" = {_percent(p.share_after)} | {_fraction(exact)} | +{p.rounding_bonus}"
            f" | **{p.bps}** |"
        )
    lines += [
        "",
        f"Redistribution factor k = {_fraction(result.scale_factor)}.",
        f"Policy hash: `{result.policy_hash}`.",
        f"Input-set hash: `{result.input_set_hash}`.",
    ]
    return lines


def test_worked_example_matches_docs() -> None:
    result = worked_example().score(as_of=WORKED_AS_OF)
    assert result.bps() == {A: 3_929, B: 5_000, C: 1_071}
    assert [p.adjustment for p in result.partners] == [
        {A: Adjustment.SCALED, B: Adjustment.CAPPED, C: Adjustment.SCALED}[p.partner]
        for p in result.partners
    ]
    doc = DOC.read_text()
    block = re.search(r"<!-- worked-example -->\n(.*?)\n<!-- /worked-example -->", doc, re.S)
    assert block is not None, "docs/scoring.md lost its worked-example markers"
    assert block.group(1).splitlines() == render_worked_example(result)


if __name__ == "__main__":
    # Prints the worked example's tables, to paste into docs/scoring.md when the scheme changes.
    print("\n".join(render_worked_example(worked_example().score(as_of=WORKED_AS_OF))))


@pytest.mark.parametrize("enabled", [True, False])
def test_score_leaves_the_cyclic_collector_as_it_found_it(enabled: bool) -> None:
    """Scoring pauses the collector and promotes what it built to the oldest generation on the
    way out: the collector is left on or off as it was, nothing stays frozen (that would never
    be collected), and the young generation is left empty rather than full of records."""
    history = three_partners(quorum=1)
    for value in range(1, 200):
        history.endorse(history.register(A, value), (B, 3))
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        result = history.score()
        assert gc.isenabled() is enabled
        assert gc.get_freeze_count() == 0
        assert gc.get_count()[0] < 199  # fewer than one record each
        assert result.bps() == {A: BPS}
    finally:
        (gc.enable if was else gc.disable)()


def test_score_leaves_what_the_application_froze_frozen() -> None:
    history = three_partners(quorum=1)
    history.endorse(history.register(A, 5), (B, 3))
    kept_frozen = [[object()] for _ in range(50)]  # containers, tracked by the collector
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen >= len(kept_frozen)
        assert history.score().bps() == {A: BPS}
        # Still frozen. Not exactly as many: whatever else was frozen with them (the whole
        # heap of this process) may have been freed since, which leaves the count.
        assert gc.get_freeze_count() > frozen // 2
    finally:
        gc.unfreeze()
