"""Approval thresholds as people read them ("2 of 3 partners") and as the contracts store them
(basis points of the partners).

The contracts turn a share in basis points into a count when a proposal is made, by one rule
(`ledger.domain.values.approvals_required`, docs/governance.md "Thresholds"): the fewest k
whose share k / partners, rounded to whole basis points, reaches the threshold; governance
never asks fewer than two while two or more partners are eligible.

An agreement states the count for today's partners ("n of m"); `bps_for_approvals` gives the
largest share in basis points for which that rule yields exactly that count (2 of 3: 6,667,
the two thirds it means), so the text and the contract agree, and a partner joining or
leaving later changes the count the way the share says.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from ledger.domain.values import approvals_required as contract_approvals_required

BPS: Final = 10_000


class ThresholdKind(StrEnum):
    """Which contract rule turns the share into a count."""

    SPLIT = "split"
    GOVERNANCE = "governance"


def approvals_required(bps: int, partners: int, kind: ThresholdKind) -> int:
    """The approvals a proposal needs among `partners` eligible partners, as the contract
    computes it for a share of `bps` basis points."""
    if partners < 1:
        raise ValueError(f"a threshold needs at least one partner, got {partners}")
    if not 1 <= bps <= BPS:
        raise ValueError(f"an approval share must be 1..{BPS} bps, got {bps}")
    required = contract_approvals_required(partners, bps)
    if kind is ThresholdKind.GOVERNANCE and partners >= 2:
        required = max(required, 2)
    return required


def bps_for_approvals(approvals: int, partners: int, kind: ThresholdKind) -> int:
    """The largest share in basis points for which `approvals_required` is `approvals` among
    `partners` (2 of 3: 6,667 bps, the two thirds it means); ValueError if no
    share gives that count (e.g. 1 of 3 for governance, which needs two)."""
    if not 1 <= approvals <= partners:
        raise ValueError(f"{approvals} of {partners} partners is not a threshold")
    # approvals_required is non-decreasing in bps: binary search for the last bps that asks
    # for no more than `approvals`, then check it asks for exactly that many.
    low, high = 1, BPS
    while low < high:
        middle = (low + high + 1) // 2
        if approvals_required(middle, partners, kind) <= approvals:
            low = middle
        else:
            high = middle - 1
    if approvals_required(low, partners, kind) != approvals:
        raise ValueError(f"no {kind} share gives exactly {approvals} of {partners} partners")
    return low


def two_thirds(partners: int) -> int:
    """Two thirds of `partners`, rounded up, and at least two when there are two or more: the
    default count of approvals."""
    return max(-(-2 * partners // 3), min(2, partners))
