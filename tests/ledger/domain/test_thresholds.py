"""Approval thresholds as counts of partners (`ledger.domain.values.approvals_required`): the
rule docs/governance.md states and the contracts apply (tests/contracts/test_thresholds.py
checks the contracts against the same table)."""

from __future__ import annotations

import dataclasses

import pytest

from ledger.domain.values import approvals_required
from tests.ledger.scoring.histories import make_policy

# threshold bps -> required approvals with 2, 3, 4 and 7 partners
TABLE = {
    6_667: (2, 2, 3, 5),  # two thirds
    6_666: (2, 2, 3, 5),
    5_000: (1, 2, 2, 4),  # half
    5_001: (2, 2, 3, 4),  # strict majority
    3_333: (1, 1, 2, 3),  # one third
    7_500: (2, 3, 3, 6),  # three quarters
    10_000: (2, 3, 4, 7),  # everyone
    1: (1, 1, 1, 1),
}
PARTNERS = (2, 3, 4, 7)


@pytest.mark.parametrize("threshold", sorted(TABLE))
def test_approvals_required_counts_partners_for_2_3_4_and_7(threshold: int) -> None:
    assert tuple(approvals_required(n, threshold) for n in PARTNERS) == TABLE[threshold]


@pytest.mark.parametrize("partners", range(1, 60))
@pytest.mark.parametrize("threshold", [1, 2_500, 3_333, 5_000, 5_001, 6_666, 6_667, 9_999, 10_000])
def test_approvals_required_is_fewest_whose_rounded_share_reaches_threshold(
    partners: int, threshold: int
) -> None:
    def rounded_bps(k: int) -> int:  # k / partners in basis points, half up, exactly
        return (2 * k * 10_000 + partners) // (2 * partners)

    required = approvals_required(partners, threshold)
    assert rounded_bps(required) >= threshold
    assert required == 1 or rounded_bps(required - 1) < threshold


def test_approvals_required_demo_two_thirds_is_two_of_three() -> None:
    assert approvals_required(3, 6_667) == 2


@pytest.mark.parametrize(("partners", "threshold"), [(0, 5_000), (3, -1), (3, 65_536)])
def test_approvals_required_refuses_impossible_input(partners: int, threshold: int) -> None:
    with pytest.raises(ValueError):
        approvals_required(partners, threshold)


@pytest.mark.parametrize(("eligible", "expected"), [(1, 1), (2, 2), (3, 2), (4, 2), (7, 2)])
def test_governance_approvals_required_is_never_one_partner_alone(
    eligible: int, expected: int
) -> None:
    lax = dataclasses.replace(make_policy(), governance_bps=1)
    assert lax.governance_approvals_required(eligible) == expected
