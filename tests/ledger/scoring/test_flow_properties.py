"""Properties of the credit flow along "builds on" over generated histories (hypothesis).

Each test is named for the guarantee it guards; docs/scoring.md section 4 lists them. The specs
are those of test_scoring_properties.py with `flow=True`: a policy passing a parent share and
contributions that build on earlier ones (and now and then on another project's).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from fractions import Fraction

from hypothesis import assume, given
from hypothesis import strategies as st

from ledger.scoring.results import CountStatus, ScoreResult
from ledger.scoring.rules import BPS
from tests.ledger.scoring.histories import DAY, T0, History, address, make_policy
from tests.ledger.scoring.test_scoring_properties import EXAMPLES, Spec, specs


def raw_points(result: ScoreResult) -> dict[str, Fraction]:
    return {p.partner: p.raw_points for p in result.partners}


def without_share(spec: Spec) -> Spec:
    return dataclasses.replace(spec, policy=dataclasses.replace(spec.policy, parent_share_bps=0))


def reference_points(spec: Spec) -> dict[str, Fraction]:
    """Every partner's points after the flow, computed from the rule as docs/scoring.md states
    it, with fractions and nothing clever: own points from the score without a share, then
    each contribution from the last to the first (a spec's parents are earlier ones)."""
    base = without_share(spec).score()
    share = Fraction(spec.policy.parent_share, BPS)
    contributions = spec.contributions
    explanations = [base.explain(c.cid(i)) for i, c in enumerate(contributions)]
    own = [e.points for e in explanations]
    counts = [e.status is CountStatus.COUNTED for e in explanations]
    gross = list(own)
    totals = {p.partner: Fraction(0) for p in base.partners}
    for i in range(len(contributions) - 1, -1, -1):
        if not counts[i]:
            continue
        mine = contributions[i].contributor
        credit_parents = [
            j
            for j in dict.fromkeys(contributions[i].parents)
            if j >= 0 and counts[j] and contributions[j].contributor != mine
        ]
        by_partner: dict[int, list[int]] = {}
        for j in credit_parents:
            by_partner.setdefault(contributions[j].contributor, []).append(j)
        passed = share * gross[i] if credit_parents else Fraction(0)
        for theirs in by_partner.values():
            for j in theirs:
                gross[j] += passed / len(by_partner) / len(theirs)
        totals[spec.partners[mine]] += gross[i] - passed
    return totals


@EXAMPLES
@given(specs(flow=True, removals=True))
def test_credit_flow_follows_documented_rule(spec: Spec) -> None:
    assert raw_points(spec.score()) == reference_points(spec)


@EXAMPLES
@given(specs(flow=True, removals=True))
def test_credit_flow_conserves_total_points(spec: Spec) -> None:
    result, base = spec.score(), without_share(spec).score()
    assert result.total_points == base.total_points
    assert sum(raw_points(result).values()) == result.total_points
    explanations = list(result.contributions())
    assert sum((e.kept for e in explanations), Fraction(0)) == result.total_points
    for e in explanations:
        assert e.kept == e.points + e.received - e.passed
        assert e.kept >= 0 and e.received >= 0
    for partner in result.partners:
        assert partner.own_points == base.partner(partner.partner).raw_points
        mine = [e for e in explanations if e.contributor == partner.partner]
        assert partner.received_points == sum((e.received for e in mine), Fraction(0))
        assert partner.passed_points == sum((e.passed for e in mine), Fraction(0))


@EXAMPLES
@given(specs(flow=True, min_contributions=2), st.data())
def test_citing_own_contributions_gains_nothing(spec: Spec, data: st.DataObject) -> None:
    """Naming one's own earlier contributions as parents changes no partner's points."""
    cited = []
    for i, c in enumerate(spec.contributions):
        own_earlier = [j for j in range(i) if spec.contributions[j].contributor == c.contributor]
        extra = data.draw(st.lists(st.sampled_from(own_earlier), max_size=2)) if own_earlier else []
        cited.append(dataclasses.replace(c, parents=(*c.parents, *extra)))
    assume(tuple(cited) != spec.contributions)
    self_citing = dataclasses.replace(spec, contributions=tuple(cited))
    before, after = spec.score(), self_citing.score()
    assert raw_points(after) == raw_points(before)
    assert after.split == before.split


@EXAMPLES
@given(specs(flow=True, min_contributions=1), st.data())
def test_splitting_contribution_gains_nothing(spec: Spec, data: st.DataObject) -> None:
    """Registering a piece of work as several records (values adding up, the same parents and
    endorsements; later work naming the piece it builds on) changes no partner's points."""
    index = data.draw(st.integers(0, len(spec.contributions) - 1))
    original = spec.contributions[index]
    assume(original.value >= 2)
    cuts = sorted(data.draw(st.sets(st.integers(1, original.value - 1), min_size=1, max_size=3)))
    values = [b - a for a, b in zip([0, *cuts], [*cuts, original.value], strict=True)]
    extra = len(values) - 1

    def moved(parents: tuple[int, ...]) -> tuple[int, ...]:
        """Where a later contribution's parents land once the pieces are in: one that named the
        original names one of the pieces (every time it names it: a parent named twice is
        still one parent, and its two mentions do not become two pieces)."""
        piece = index + data.draw(st.integers(0, extra))
        return tuple(piece if j == index else j + extra if j > index else j for j in parents)

    pieces = tuple(dataclasses.replace(original, value=v) for v in values)
    later = tuple(
        dataclasses.replace(c, parents=moved(c.parents)) for c in spec.contributions[index + 1 :]
    )
    spread = dataclasses.replace(spec, contributions=(*spec.contributions[:index], *pieces, *later))
    before, after = spec.score(), spread.score()
    assert raw_points(after) == raw_points(before)
    assert after.split == before.split


@EXAMPLES
@given(specs(flow=True, removals=True))
def test_parent_that_does_not_count_passes_and_takes_nothing(spec: Spec) -> None:
    """Cutting every "builds on" link to and from the contributions that do not count changes
    nothing: they neither took credit nor passed any on."""
    result = spec.score()
    idle = {
        i
        for i, c in enumerate(spec.contributions)
        if result.explain(c.cid(i)).status is not CountStatus.COUNTED
    }
    assume(idle)
    cut = dataclasses.replace(
        spec,
        contributions=tuple(
            dataclasses.replace(
                c, parents=() if i in idle else tuple(j for j in c.parents if j not in idle)
            )
            for i, c in enumerate(spec.contributions)
        ),
    )
    assert raw_points(cut.score()) == raw_points(result)
    for i in idle:
        explanation = result.explain(spec.contributions[i].cid(i))
        assert explanation.received == explanation.passed == explanation.kept == 0


@EXAMPLES
@given(specs(flow=True, removals=True), st.randoms(use_true_random=False))
def test_credit_flow_independent_of_event_order(spec: Spec, random: object) -> None:
    """Any order of registrations (even a child before its parent, which no chain records) and
    of endorsements gives the same points, split and explanations."""
    registrations = list(range(len(spec.contributions)))
    endorsements = list(range(sum(len(c.endorsements) for c in spec.contributions)))
    random.shuffle(registrations)  # type: ignore[attr-defined]
    random.shuffle(endorsements)  # type: ignore[attr-defined]
    before = spec.score()
    after = spec.score(registration_order=registrations, endorsement_order=endorsements)
    assert raw_points(after) == raw_points(before)
    assert after.split == before.split
    for i, c in enumerate(spec.contributions):
        first, second = before.explain(c.cid(i)), after.explain(c.cid(i))
        assert (first.received, first.kept, first.parents) == (
            second.received,
            second.kept,
            second.parents,
        )


def chain_of(depth: int, partners: Sequence[str], share: int) -> History:
    """`depth` contributions of 1 point each by the partners in turn, each building on the one
    before it; no quorum, no dispute window."""
    history = History(list(partners), make_policy(quorum=0, window=0, parent_share=share))
    previous: list[str] = []
    for n in range(depth):
        previous = [history.register(partners[n % len(partners)], 1, at=T0, parents=previous)]
    return history


def test_credit_flow_finishes_deep_chain() -> None:
    a, b = address("chain a"), address("chain b")
    depth, share = 1_000, Fraction(1, 2)
    result = chain_of(depth, [a, b], 5_000).score(as_of=T0 + DAY)
    # Contribution n (0 first) has gross 3 x (1 + s + ... + s^(depth-1-n)) points, the rating
    # 3 making one value unit 3 points; the first keeps all of it, the others 1 - s.
    gross = [3 * sum(share**k for k in range(depth - n)) for n in range(depth)]
    kept = [gross[0]] + [g * (1 - share) for g in gross[1:]]
    assert result.partner(a).raw_points == sum(kept[0::2], Fraction(0))
    assert result.partner(b).raw_points == sum(kept[1::2], Fraction(0))
    assert result.total_points == 3 * depth
