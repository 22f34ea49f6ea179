"""The terms the contracts receive: thresholds that mean "n of m" under the contracts' own rule,
the policy and the exchange settings from the answers, and the parent-share seam."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.agreement.answers import parse_answers
from ledger.agreement.terms import (
    exchange_settings_of,
    parent_share_of,
    policy_of,
)
from ledger.agreement.thresholds import (
    ThresholdKind,
    approvals_required,
    bps_for_approvals,
)
from ledger.domain.values import Category
from tests.ledger.agreement.conftest import VARIANTS, base_answers


def solidity_ceil_bps(count: int, bps: int) -> int:
    """The contracts' count (contracts/PocTypes.sol): the fewest k whose share k / count,
    rounded half up to basis points, reaches `bps`; at least one."""
    return max(1, (2 * count * bps + 2 * 10_000 - 1 - count) // (2 * 10_000))


@pytest.mark.parametrize("partners", [1, 2, 3, 4, 7, 10, 32])
def test_bps_for_approvals_gives_each_count_under_the_contract_rule(partners: int) -> None:
    for approvals in range(1, partners + 1):
        bps = bps_for_approvals(approvals, partners, ThresholdKind.SPLIT)
        assert solidity_ceil_bps(partners, bps) == approvals
        # The largest such share: one basis point more asks for another partner.
        if bps < 10_000:
            assert solidity_ceil_bps(partners, bps + 1) == approvals + 1
        # The share as people read it: approvals / partners, rounded half up to basis points.
        assert bps == (2 * approvals * 10_000 + partners) // (2 * partners)


@pytest.mark.parametrize(
    ("approvals", "partners", "bps"),
    [(2, 3, 6667), (3, 3, 10_000), (2, 2, 10_000), (3, 4, 7500), (5, 7, 7143)],
)
def test_bps_for_approvals_reads_as_the_share_it_means(
    approvals: int, partners: int, bps: int
) -> None:
    assert bps_for_approvals(approvals, partners, ThresholdKind.GOVERNANCE) == bps


def test_bps_for_approvals_refuses_governance_by_one_partner_of_several() -> None:
    with pytest.raises(ValueError, match="no governance share"):
        bps_for_approvals(1, 3, ThresholdKind.GOVERNANCE)
    assert approvals_required(1, 3, ThresholdKind.GOVERNANCE) == 2
    assert approvals_required(1, 1, ThresholdKind.GOVERNANCE) == 1


@pytest.mark.parametrize(("bps", "partners"), [(0, 3), (10_001, 3), (5000, 0)])
def test_approvals_required_refuses_out_of_range(bps: int, partners: int) -> None:
    with pytest.raises(ValueError):
        approvals_required(bps, partners, ThresholdKind.SPLIT)


def test_policy_of_maps_every_answer() -> None:
    answers = parse_answers(VARIANTS["singular_and_decimals"])
    policy = policy_of(answers)
    assert policy.background_weight_bps == 1234
    assert policy.result_weight_bps == 12_345
    assert policy.endorsement_quorum == 1
    assert policy.dispute_window == 86_400
    assert policy.partner_cap_bps == 3334
    assert policy.partner_floor_bps == 1
    assert policy.split_approval_bps == 10_000  # 3 of 3
    assert policy.governance_bps == 6667  # 2 of 3
    assert policy.categories == (
        Category.of("licence fees", "EUR-cent", 1_234_567, 65_535),
        Category.of("person-hours", "hour", 1, 1),
    )
    assert parent_share_of(policy) == 0


def test_exchange_settings_follow_the_project_dates() -> None:
    answers = parse_answers(VARIANTS["singular_and_decimals"])  # 31 Jan 2024, one month
    settings = exchange_settings_of(answers)
    assert settings.answer_period == 86_400
    assert settings.request_period_after_end == 0
    # Last day 28 Feb 2024... no: 31 Jan + 1 month is 29 Feb 2024 (leap), so the last day is
    # 28 Feb and the project ends at the first second of 29 Feb.
    assert settings.project_end == int(dt.datetime(2024, 2, 29, tzinfo=dt.UTC).timestamp())
    assert settings.as_abi() == (86_400, 0, settings.project_end)


def test_policy_of_sets_the_parent_share() -> None:
    answers = parse_answers(base_answers(royalties={"parent_share_bps": 1000}))
    assert parent_share_of(policy_of(answers)) == 1000
