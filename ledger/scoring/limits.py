"""The partner cap and floor: from raw shares to limited shares, with proportional
redistribution (docs/scoring.md, section 6).

The final share of partner p is x_p = min(cap, max(floor_p, k x s_p)) with one k for all,
chosen so that the shares sum to 1: capped partners give their excess and floored partners
receive their deficit, and the unconstrained partners absorb both in proportion to their raw
shares s_p. This is the fixed point of redistributing repeatedly, with constraints released
again when they stop binding. floor_p is the floor for members and 0 for removed partners (the
floor protects partners, credit is never confiscated).

g(k) = sum of x_p is continuous and non-decreasing and changes slope only where some k x s_p
crosses a floor or the cap, so k is found exactly: `_breakpoints` lists those k, `_solve_scale`
bisects over them and solves the linear piece that reaches 1. When even the largest breakpoint
leaves part of the whole unassigned, every contributing partner sits at the cap and
`_share_residual` gives the rest to the members without points. All arithmetic is exact
(fractions): this is money.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from ledger.errors import InfeasibleLimitsError, ScoringError
from ledger.scoring.results import Adjustment
from ledger.scoring.rules import BPS

_ZERO = Fraction(0)
_ONE = Fraction(1)


@dataclass(frozen=True, slots=True)
class Limited:
    """Shares after the cap and floor, what happened to each partner, and the factor k."""

    shares: dict[str, Fraction]
    adjustments: dict[str, Adjustment]
    scale_factor: Fraction


def apply_limits(
    raw: Mapping[str, Fraction], members: set[str], cap_bps: int, floor_bps: int
) -> Limited:
    """Apply the partner cap and floor to the raw shares `raw` (summing to 1) of the partners
    to be paid; `members` are today's partners (the others get no floor).

    Raises InfeasibleLimitsError when the floors exceed the whole or the cap cannot reach it.
    """
    if not cap_bps and not floor_bps:
        return Limited(dict(raw), dict.fromkeys(raw, Adjustment.UNCHANGED), _ONE)
    bounds = _Bounds.of(raw, members, cap_bps, floor_bps)
    breakpoints = _breakpoints(bounds)
    if bounds.total_at(breakpoints[-1]) < 1:
        return _share_residual(bounds, breakpoints[-1])
    k = _solve_scale(bounds, breakpoints)
    shares = bounds.shares_at(k)
    if sum(shares.values(), _ZERO) != 1:  # pragma: no cover - a bug, not an input error
        raise ScoringError("cap/floor redistribution did not sum to 100%")
    return Limited(shares, _adjustments(bounds, k), k)


@dataclass(frozen=True, slots=True)
class _Bounds:
    """The raw shares with each partner's lower bound (floor or 0) and the common cap."""

    raw: Mapping[str, Fraction]
    lows: dict[str, Fraction]
    cap: Fraction

    @classmethod
    def of(
        cls, raw: Mapping[str, Fraction], members: set[str], cap_bps: int, floor_bps: int
    ) -> _Bounds:
        """The bounds, once checked to be feasible together."""
        cap = Fraction(cap_bps, BPS) if cap_bps else _ONE
        floor = Fraction(floor_bps, BPS)
        lows = {p: floor if p in members else _ZERO for p in raw}
        if sum(lows.values()) > 1:
            raise InfeasibleLimitsError(
                f"a floor of {floor_bps} bps for {sum(1 for p in raw if p in members)} partners "
                f"exceeds 100%"
            )
        if cap * len(raw) < 1:
            raise InfeasibleLimitsError(
                f"a cap of {cap_bps} bps for {len(raw)} partners cannot reach 100%"
            )
        return cls(raw, lows, cap)

    def shares_at(self, k: Fraction) -> dict[str, Fraction]:
        """x_p for every partner at scale factor k."""
        cap, lows = self.cap, self.lows
        return {p: min(cap, max(lows[p], k * s)) for p, s in self.raw.items()}

    def total_at(self, k: Fraction) -> Fraction:
        """g(k): the sum of the shares at scale factor k."""
        return sum(self.shares_at(k).values(), _ZERO)

    def positive(self) -> list[str]:
        """The partners with a raw share above zero."""
        return [p for p, s in self.raw.items() if s > 0]


def _breakpoints(bounds: _Bounds) -> list[Fraction]:
    """Every k at which some partner's k x s_p meets its floor or the cap, with 0, ascending."""
    raw = bounds.raw
    positive = bounds.positive()
    return sorted(
        {_ZERO}
        | {bounds.lows[p] / raw[p] for p in positive}
        | {bounds.cap / raw[p] for p in positive}
    )


def _share_residual(bounds: _Bounds, k: Fraction) -> Limited:
    """Every contributing partner sits at the cap and the rest cannot be given in proportion
    to a raw share of zero: it goes in equal parts to the members without points (the
    feasibility check guarantees there are some and that each stays under the cap)."""
    raw = bounds.raw
    shares = bounds.shares_at(k)
    idle = [p for p, s in raw.items() if s == 0]
    part = (1 - sum(shares.values(), _ZERO)) / len(idle)
    for p in idle:
        shares[p] += part
    residual = {p: Adjustment.RESIDUAL if raw[p] == 0 else Adjustment.CAPPED for p in raw}
    return Limited(shares, residual, k)


def _solve_scale(bounds: _Bounds, breakpoints: list[Fraction]) -> Fraction:
    """The k with g(k) = 1: the first breakpoint where g reaches 1, or the exact point on the
    linear piece before it."""
    low, high = 0, len(breakpoints) - 1
    while low < high:
        middle = (low + high) // 2
        if bounds.total_at(breakpoints[middle]) >= 1:
            high = middle
        else:
            low = middle + 1
    k = breakpoints[low]
    if low == 0 or bounds.total_at(k) == 1:
        return k
    # Between the two breakpoints the same partners are free; solve for k on that piece.
    raw, lows, cap = bounds.raw, bounds.lows, bounds.cap
    probe = (breakpoints[low - 1] + k) / 2
    free = [p for p in bounds.positive() if lows[p] < probe * raw[p] < cap]
    fixed = sum(
        (min(cap, max(lows[p], probe * raw[p])) for p in raw if p not in free),
        _ZERO,
    )
    return (1 - fixed) / sum((raw[p] for p in free), _ZERO)


def _adjustments(bounds: _Bounds, k: Fraction) -> dict[str, Adjustment]:
    """What the limits did to each partner at scale factor k."""
    adjustments: dict[str, Adjustment] = {}
    for p, s in bounds.raw.items():
        if k * s > bounds.cap:
            adjustments[p] = Adjustment.CAPPED
        elif k * s < bounds.lows[p]:
            adjustments[p] = Adjustment.FLOORED
        elif k != 1 and s > 0:
            adjustments[p] = Adjustment.SCALED
        else:
            adjustments[p] = Adjustment.UNCHANGED
    return adjustments
