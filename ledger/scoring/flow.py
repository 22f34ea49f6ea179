"""Credit along "builds on": part of each contribution's points passes to the work it builds on
(docs/scoring.md, section 4).

With s = parentShareBps / 10000:

- A contribution *takes part* in the flow if it counts, or if it was superseded and the newest
  version in its chain of replacements counts: the old version then stands in for the new one,
  so that correcting a document does not cut its author off from the work built on it.
- Its *credit parents* are the distinct contributions it names as parents that take part and
  belong to another partner. A parent the history does not hold (another project's), one that
  takes no part (withdrawn, invalidated, disputed, not yet counting, ...) and the contributor's
  own contributions take nothing; a contribution that takes no part passes nothing.
- gross(c) = points(c) + what c receives from the work built on it. A contribution with credit
  parents passes s x gross(c) to them and keeps the rest; one without keeps all of it. So a
  grandparent receives s x s of a grandchild's points through its child, and so on upwards.
- What c passes is divided equally among the partners whose contributions are credit parents,
  and each partner's part equally among its credit parents of c: how finely a partner cut its
  work into records, and how many of those records a citation names, changes nothing of what
  that partner receives. (What its records pass on upwards follows the records named: a
  citation naming two of them passes on through both.)

A partner's points are what its contributions keep; the total is unchanged by the flow.

Everything is exact, in integers. With s = a/d in lowest terms and K a common multiple of every
equal-part divisor a contribution's parents can need, U = d x K is the unit: a contribution's
gross value is held as num / U^e (in the tally's units), e being the longest chain of credit
below it, and what it passes to a parent is num x a x (K / divisor) / U^(e+1), raised to the
parent's power of U when they differ. The numbers grow by log2(U) bits per level of the
longest chain, not with the number of contributions.

The walk goes children first, each contribution after all the work that builds on it. On a
history from the chain every parent is registered before its child, so reversed chain order is
such an order and the walk is one pass; the order is checked, not trusted, and any other order
is sorted first (Kahn's algorithm), so the result never depends on the input's order. A cycle
cannot be recorded on chain; a history with one is refused (HistoryError). Nothing recurses:
a chain a million deep is walked like any other.

What costs here is memory, not arithmetic: every parent is found by id anywhere in the
history. The ids are looked up before the walk (`_Walk.__init__`), so that the walk itself only
reads positions; the contributors are small numbers in a compact array.

The two loops that touch every record, the parents' lookup and the walk in chain order, exist
twice: compiled from `_walk.pyx` (built at install, see hatch_build.py), and in Python below.
The compiled ones are used when they were built (`compiled_walk`); the Python ones are the
fallback without a C compiler, and the reference the tests hold the compiled ones to
(tests/ledger/scoring/test_flow_compiled.py: the same results on generated histories). Both do
the same exact integer arithmetic; the compiled loops save the interpreter's time per record
(a million contributions with a parent each: the flow takes about 0.8 s instead of 1.4 s).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Mapping, MutableSequence, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from importlib import import_module
from itertools import accumulate, chain, repeat
from operator import attrgetter, itemgetter, sub
from typing import Any, Final, Protocol, cast

from ledger.domain.codec import to_hex
from ledger.domain.events import ContributionRegistered
from ledger.errors import HistoryError
from ledger.scoring.replay import Record
from ledger.scoring.results import ParentCredit, ParentLink
from ledger.scoring.rules import BPS


class CompiledLoops(Protocol):
    """What the compiled module `ledger.scoring._walk` provides (its functions' types)."""

    def resolve_parents(
        self, in_order: list[list[Any]], records: Mapping[bytes, list[Any]]
    ) -> tuple[array[int], array[int]]: ...

    def walk_in_chain_order(
        self,
        owners: array[int],
        starts: Sequence[int],
        positions: Sequence[int],
        gross: list[int],
        exponents: MutableSequence[int],
        roots: list[list[int]],
        passing: list[list[int]],
        whole: int,
        powers: list[int],
        unit: int,
        edge_of: Callable[[int], tuple[tuple[int, int], ...]],
    ) -> bool: ...


compiled_walk: CompiledLoops | None
"""The compiled loops (`ledger.scoring._walk`), None when the install could not build them."""
try:
    compiled_walk = cast(CompiledLoops, import_module("ledger.scoring._walk"))
except ImportError:  # no C compiler at install: the Python loops below do the same
    compiled_walk = None

__all__ = ["CreditFlow", "Nodes", "compiled_walk", "pass_credit"]

_NOT_IN_HISTORY: Final = (None, None, -1)
"""What a parent id outside the history resolves to: a record-like triple at position -1."""


@dataclass(slots=True)
class Nodes:
    """What the tally collects for the flow, one entry per record of the history (in the
    order of `Replay.records`, which is each record's `position`)."""

    owners: array[int]
    """1 + the contributor's number for a counted contribution, else 0 (takes no part)."""
    points: list[int]
    """Points of each counted contribution in the tally's units, else 0."""
    names: list[str] = field(default_factory=list)
    """Contributor number n is names[n - 1]."""
    superseded: list[int] = field(default_factory=list)
    """Positions of the superseded contributions (which may stand in for a newer version)."""

    @classmethod
    def sized(cls, count: int) -> Nodes:
        """All zero, for a history of `count` contributions."""
        return cls(array("I", bytes(array("I").itemsize * count)), [0] * count)


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeCredit:
    """One contribution's part in the flow: what it received, passed on and kept."""

    received: Fraction
    parents: tuple[ParentLink, ...]
    kept: Fraction


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditFlow:
    """The flow's outcome: every partner's points after it, as integers over one scale, and
    what is needed to explain any contribution's part on request."""

    points: dict[str, int]
    """Points each contributor keeps, in units of 1 / `scale`."""
    passed: dict[str, int]
    """Points each contributor's contributions passed to the work they build on, same units."""
    scale: int
    _walk: _Walk

    def explain(self, record: Record, own_points: Fraction) -> NodeCredit:
        """The part of one contribution; `own_points` are its points before the flow."""
        return self._walk.explain(record, own_points)


def pass_credit(
    share_bps: int,
    nodes: Nodes,
    records: Mapping[bytes, Record],
    replaced_by: Mapping[bytes, bytes],
    scale: int,
) -> CreditFlow:
    """Pass `share_bps` of every taking-part contribution's gross value to its credit parents.

    `records` are the replayed history's, `replaced_by` maps a superseded id to its
    replacement; `scale` is the tally's (points = integer / scale). The result's points are
    integers over its own scale, a multiple of it.
    """
    walk = _Walk(share_bps, nodes, records, replaced_by, scale)
    if not walk.run_in_chain_order():
        walk.run_sorted()
    kept, passed, denominator = walk.totals()
    return CreditFlow(points=kept, passed=passed, scale=scale * denominator, _walk=walk)


class _Walk:
    """The walk over the history's records and the numbers it leaves: each record's gross
    value as gross[i] / U^exponents[i], and each contributor's sums by exponent.

    `compiled`: the compiled loops to use (`compiled_walk` when the walk is made), or None
    for the Python ones."""

    def __init__(
        self,
        share_bps: int,
        nodes: Nodes,
        records: Mapping[bytes, Record],
        replaced_by: Mapping[bytes, bytes],
        scale: int,
    ) -> None:
        common = math.gcd(share_bps, BPS)
        self.a, self.d = share_bps // common, BPS // common
        self.nodes, self.records, self.scale = nodes, records, scale
        #: the records in order: record i is in_order[i]
        self.in_order: list[Record] = list(records.values())
        _admit_stand_ins(nodes, records, self.in_order, replaced_by)
        self.compiled = compiled_walk
        # Every parent id resolved to its record's position (-1: not in the history):
        # `starts[i]:starts[i + 1]` are record i's parents in `parent_positions`.
        self.starts: Sequence[int]
        self.parent_positions: Sequence[int]
        #: how many parents each record names (the Python walk's; the compiled one reads starts)
        self.counts: list[int] = []
        if self.compiled is not None:
            self.starts, self.parent_positions = self.compiled.resolve_parents(
                self.in_order, records
            )
            most_parents = max(map(sub, self.starts[1:], self.starts[:-1]), default=0)
        else:
            parents = list(map(_PARENTS, map(_EVENT, self.in_order)))
            self.counts = list(map(len, parents))
            self.starts = list(accumulate(self.counts, initial=0))
            # One pass at a time, each list complete before the next: a lookup's cache misses
            # then overlap with the next lookup's, where chained maps wait on each record in
            # turn (a million parents: 0.41 s against 0.55).
            named = list(chain.from_iterable(parents))
            found = list(map(records.get, named, repeat(_NOT_IN_HISTORY)))
            del named
            self.parent_positions = list(map(_POSITION, found))
            del found
            most_parents = max(self.counts, default=0)
        self.k = _divisor_multiple(most_parents)
        self.unit = self.d * self.k
        self.powers = [1, self.unit]
        self.gross: list[int] = []
        self.exponents: MutableSequence[int] = []
        # contributor number -> sum of gross values by exponent, of the records that keep all
        # of theirs (`roots`) and of those that pass part on (`passing`)
        self.roots: list[list[int]] = []
        self.passing: list[list[int]] = []

    def _power(self, n: int) -> int:
        powers = self.powers
        while len(powers) <= n:
            powers.append(powers[-1] * self.unit)
        return powers[n]

    def _reset(self) -> None:
        self.gross = list(self.nodes.points)
        # the compiled walk keeps the exponents in a C array of ints
        self.exponents = (
            [0] * len(self.gross)
            if self.compiled is None
            else array("i", bytes(array("i").itemsize * len(self.gross)))
        )
        self.roots = [[] for _ in range(len(self.nodes.names) + 1)]
        self.passing = [[] for _ in range(len(self.nodes.names) + 1)]

    def run_in_chain_order(self) -> bool:
        """The one-pass walk, from the last record to the first; False (and nothing kept) if
        some parent comes after its child.

        Written for speed, as the loop of a million iterations it is: a record with one or
        two parents (nearly all) is linked inline, others through `_edge`. The compiled loop
        is the same, line for line."""
        self._reset()
        whole = self.a * self.k  # what a sole credit parent receives per unit of gross value
        if self.compiled is not None:
            return self.compiled.walk_in_chain_order(
                self.nodes.owners,
                self.starts,
                self.parent_positions,
                self.gross,
                self.exponents,
                self.roots,
                self.passing,
                whole,
                self.powers,
                self.unit,
                lambda i: self._edge(i, whole),
            )
        owners, starts, parent_positions = self.nodes.owners, self.starts, self.parent_positions
        gross, exponents, roots, passing = self.gross, self.exponents, self.roots, self.passing
        half = whole // 2
        powers = self.powers
        unit = self.unit
        counts = self.counts
        for i in range(len(gross) - 1, -1, -1):
            owner = owners[i]
            if not owner:
                continue
            exponent = exponents[i]
            count = counts[i]
            if count:
                if count == 1:
                    parent = parent_positions[starts[i]]
                    if parent >= 0:
                        theirs = owners[parent]
                        if theirs and theirs != owner:
                            if parent > i:
                                return False
                            value = gross[i]
                            amount = value * whole
                            up = exponent + 1
                            held = exponents[parent]
                            if held == up:
                                gross[parent] += amount
                            elif held > up:
                                gross[parent] += amount * powers[held - up]
                            else:
                                if up == len(powers):
                                    powers.append(powers[-1] * unit)
                                gross[parent] = gross[parent] * powers[up - held] + amount
                                exponents[parent] = up
                            sums = passing[owner]
                            try:
                                sums[exponent] += value
                            except IndexError:
                                sums.extend([0] * (exponent + 1 - len(sums)))
                                sums[exponent] += value
                            continue
                if count == 2:  # two credit parents take half each, whoever owns them
                    start = starts[i]
                    first, second = parent_positions[start], parent_positions[start + 1]
                    if first >= 0 and second >= 0 and first != second:
                        mine, theirs = owners[first], owners[second]
                        if mine and theirs and mine != owner and theirs != owner:
                            if first > i or second > i:
                                return False
                            value = gross[i]
                            amount = value * half
                            up = exponent + 1
                            if up == len(powers):
                                powers.append(powers[-1] * unit)
                            held = exponents[first]
                            if held == up:
                                gross[first] += amount
                            elif held > up:
                                gross[first] += amount * powers[held - up]
                            else:
                                gross[first] = gross[first] * powers[up - held] + amount
                                exponents[first] = up
                            held = exponents[second]
                            if held == up:
                                gross[second] += amount
                            elif held > up:
                                gross[second] += amount * powers[held - up]
                            else:
                                gross[second] = gross[second] * powers[up - held] + amount
                                exponents[second] = up
                            sums = passing[owner]
                            try:
                                sums[exponent] += value
                            except IndexError:
                                sums.extend([0] * (exponent + 1 - len(sums)))
                                sums[exponent] += value
                            continue
                edge = self._edge(i, whole)
                if edge:
                    value = gross[i]
                    up = exponent + 1
                    if up == len(powers):
                        powers.append(powers[-1] * unit)
                    for parent, multiple in edge:
                        if parent > i:
                            return False
                        amount = value * multiple
                        held = exponents[parent]
                        if held >= up:
                            gross[parent] += amount * powers[held - up]
                        else:
                            gross[parent] = gross[parent] * powers[up - held] + amount
                            exponents[parent] = up
                    sums = passing[owner]
                    sums.extend([0] * (exponent + 1 - len(sums)))
                    sums[exponent] += value
                    continue
            sums = roots[owner]
            try:
                sums[exponent] += gross[i]
            except IndexError:
                sums.extend([0] * (exponent + 1 - len(sums)))
                sums[exponent] += gross[i]
        return True

    def run_sorted(self) -> None:
        """The walk in a children-first order found by Kahn's algorithm, for histories whose
        parents do not all come before their children (never so on chain)."""
        self._reset()
        count = len(self.gross)
        whole = self.a * self.k
        edges = [self._edge(i, whole) for i in range(count)]
        waiting = [0] * count
        for edge in edges:
            for parent, _ in edge:
                waiting[parent] += 1
        ready = [i for i in range(count) if not waiting[i]]
        order: list[int] = []
        while ready:
            i = ready.pop()
            order.append(i)
            for parent, _ in edges[i]:
                waiting[parent] -= 1
                if not waiting[parent]:
                    ready.append(parent)
        if len(order) != count:
            stuck = next(i for i in range(count) if waiting[i])
            stuck_id = to_hex(self.in_order[stuck][0].contribution_id)
            raise HistoryError(
                f"contribution {stuck_id} builds, through the contributions it builds on, on "
                "itself: the ledger cannot record such a cycle"
            )
        gross, exponents, owners = self.gross, self.exponents, self.nodes.owners
        for i in order:
            if not owners[i]:
                continue
            value, exponent = gross[i], exponents[i]
            up = exponent + 1
            for parent, multiple in edges[i]:
                amount = value * multiple
                held = exponents[parent]
                if held >= up:
                    gross[parent] += amount * self._power(held - up)
                else:
                    gross[parent] = gross[parent] * self._power(up - held) + amount
                    exponents[parent] = up
            sums = (self.passing if edges[i] else self.roots)[owners[i]]
            sums.extend([0] * (exponent + 1 - len(sums)))
            sums[exponent] += value

    def _edge(self, i: int, whole: int) -> tuple[tuple[int, int], ...]:
        """(parent, what it receives per unit of gross value x U) of each credit parent of
        record i: `whole` / the number of partners owning credit parents / the number of that
        partner's credit parents."""
        owners = self.nodes.owners
        owner = owners[i]
        if not owner:
            return ()
        by_partner: dict[int, list[int]] = {}
        positions = self.parent_positions[self.starts[i] : self.starts[i + 1]]
        for parent in dict.fromkeys(positions):  # distinct, in the order named
            if parent >= 0:
                theirs = owners[parent]
                if theirs and theirs != owner:
                    by_partner.setdefault(theirs, []).append(parent)
        partners = len(by_partner)
        return tuple(
            (parent, whole // (partners * len(mine)))
            for mine in by_partner.values()
            for parent in mine
        )

    def totals(self) -> tuple[dict[str, int], dict[str, int], int]:
        """What each contributor keeps and passes, over one denominator U^top: a root's gross
        value is over U^e, a passing record's kept and passed parts over U^(e + 1)."""
        top = max(map(len, [*self.roots, *self.passing]), default=0) or 1
        power = self._power
        keep, give = (self.d - self.a) * self.k, self.a * self.k

        def combine(sums: list[int], over: int) -> int:
            return sum(value * power(over - e) for e, value in enumerate(sums) if value)

        kept: dict[str, int] = {}
        passed: dict[str, int] = {}
        for number, name in enumerate(self.nodes.names, 1):
            passing = combine(self.passing[number], top - 1)
            kept[name] = combine(self.roots[number], top) + keep * passing
            if passing:
                passed[name] = give * passing
        return kept, passed, power(top)

    def explain(self, record: Record, own_points: Fraction) -> NodeCredit:
        event = record[0]
        i = record[2]
        taking_part = bool(self.nodes.owners[i])
        gross = Fraction(0)
        shares: dict[int, int] = {}
        if taking_part:
            gross = Fraction(self.gross[i], self.scale * self._power(self.exponents[i]))
            shares = dict(self._edge(i, self.a * self.k))
        per_share = gross / self.unit  # what a parent receives per unit of its share
        links: list[ParentLink] = []
        positions = self.parent_positions[self.starts[i] : self.starts[i + 1]]
        for parent_id, parent in dict(zip(event.parents, positions, strict=True)).items():
            if parent < 0:
                credit = ParentCredit.UNKNOWN
            elif self.in_order[parent][0].contributor == event.contributor:
                credit = ParentCredit.OWN
            elif not self.nodes.owners[parent]:
                credit = ParentCredit.NOT_TAKING_PART
            else:
                credit = ParentCredit.TAKES_PART
            points = per_share * shares[parent] if parent in shares else Fraction(0)
            links.append(ParentLink(to_hex(parent_id), credit, points))
        passed = gross * Fraction(self.a, self.d) if shares else Fraction(0)
        return NodeCredit(
            received=gross - own_points if taking_part else Fraction(0),
            parents=tuple(links),
            kept=gross - passed,
        )


_EVENT = itemgetter(0)
_POSITION = itemgetter(2)
_PARENTS = attrgetter("parents")


def _divisor_multiple(most_parents: int) -> int:
    """K: a common multiple of every equal-part divisor (partners x that partner's parents)
    a contribution naming at most `most_parents` parents can need."""
    return math.lcm(
        1,
        *(
            partners * theirs
            for partners in range(1, most_parents + 1)
            for theirs in range(1, most_parents + 2 - partners)
        ),
    )


def _admit_stand_ins(
    nodes: Nodes,
    records: Mapping[bytes, Record],
    in_order: Sequence[Record],
    replaced_by: Mapping[bytes, bytes],
) -> None:
    """Give a contributor number to every superseded record whose chain of replacements ends
    in a version that counts: it stands in for that version."""
    numbers = {name: n for n, name in enumerate(nodes.names, 1)}
    for i in nodes.superseded:
        event: ContributionRegistered = in_order[i][0]
        newest = records.get(_newest_version(event.contribution_id, replaced_by))
        if newest is not None and nodes.points[newest[2]]:  # counted: it has points
            contributor = event.contributor
            if contributor not in numbers:
                nodes.names.append(contributor)
                numbers[contributor] = len(nodes.names)
            nodes.owners[i] = numbers[contributor]


def _newest_version(contribution_id: bytes, replaced_by: Mapping[bytes, bytes]) -> bytes:
    """The end of a chain of replacements (b"" for a ring, which no ledger records)."""
    seen = {contribution_id}
    while contribution_id in replaced_by:
        contribution_id = replaced_by[contribution_id]
        if contribution_id in seen:
            return b""
        seen.add(contribution_id)
    return contribution_id
