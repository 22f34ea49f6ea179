"""Credit along "builds on" (`ledger.scoring.flow`): each rule of docs/scoring.md section 4 on a
small history, the explanations, and the worked example of that section.

The properties over generated histories are in test_flow_properties.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from fractions import Fraction

import pytest

from ledger.domain.values import DisputeOutcome, Origin
from ledger.errors import HistoryError, InvalidPolicyError
from ledger.scoring.results import CountStatus, ParentCredit, ScoreResult
from ledger.scoring.rules import BPS
from tests.ledger.scoring.histories import DAY, T0, A, B, C, D, History, make_policy
from tests.ledger.scoring.test_scoring import DOC, NAMES

AS_OF = T0 + DAY


def history(share: int = 2_000, partners: tuple[str, ...] = (A, B, C)) -> History:
    """No quorum and no dispute window: every contribution counts at once, 3 points a unit."""
    return History(list(partners), make_policy(quorum=0, window=0, parent_share=share))


def points(result: ScoreResult) -> dict[str, Fraction]:
    return {p.partner: p.raw_points for p in result.partners}


def test_score_passes_parent_share_to_parent_of_other_partner() -> None:
    h = history()
    base = h.register(A, 10)
    h.register(B, 10, parents=[base])
    result = h.score(as_of=AS_OF)
    # B's 30 points pass 20 % (6) to A's 30.
    assert points(result) == {A: 36, B: 24, C: 0}
    assert result.partner(A).received_points == 6
    assert result.partner(B).passed_points == 6
    assert result.partner(B).own_points == 30
    assert result.bps() == {A: 6_000, B: 4_000}


def test_score_passes_share_squared_to_grandparent() -> None:
    h = history(share=5_000)
    grandparent = h.register(A, 10)
    parent = h.register(B, 10, parents=[grandparent])
    h.register(C, 10, parents=[parent])
    result = h.score(as_of=AS_OF)
    # C passes 15 to B; B passes half of 30 + 15 to A: A gets s x 30 + s^2 x 30.
    assert points(result) == {A: 30 + 15 + Fraction(15, 2), B: Fraction(45, 2), C: 15}
    assert result.explain(parent).received == 15
    assert result.explain(grandparent).received == Fraction(45, 2)


def test_score_divides_share_equally_among_partners_then_their_contributions() -> None:
    h = history(share=6_000, partners=(A, B, C, D))
    a1, a2, a3 = (h.register(A, 1) for _ in range(3))
    b1 = h.register(B, 1)
    child = h.register(C, 10, parents=[a1, a2, a3, b1, a1])  # a1 named twice counts once
    result = h.score(as_of=AS_OF)
    passed = {link.parent: link.points for link in result.explain(child).parents}
    # 60 % of 30 = 18: 9 to A's three (3 each), 9 to B's one.
    assert passed == {a1: 3, a2: 3, a3: 3, b1: 9}
    assert points(result) == {A: 9 + 9, B: 3 + 9, C: 12, D: 0}


def test_score_passes_nothing_to_own_contributions() -> None:
    h = history()
    own = h.register(A, 10)
    other = h.register(B, 10)
    child = h.register(A, 10, parents=[own, other])
    result = h.score(as_of=AS_OF)
    links = {link.parent: link for link in result.explain(child).parents}
    assert links[own].credit is ParentCredit.OWN and links[own].points == 0
    assert links[other].credit is ParentCredit.TAKES_PART and links[other].points == 6
    assert points(result) == {A: 30 + 24, B: 36, C: 0}


def test_score_passes_nothing_through_own_contributions() -> None:
    # A builds on its own earlier work, which builds on B's: nothing of the later one reaches B.
    h = history()
    theirs = h.register(B, 10)
    earlier = h.register(A, 10, parents=[theirs])
    h.register(A, 10, parents=[earlier])
    assert points(h.score(as_of=AS_OF)) == {A: 54, B: 36, C: 0}


@pytest.mark.parametrize("fate", ["withdrawn", "invalidated", "disputed", "in window"])
def test_score_passes_nothing_to_or_from_parent_that_does_not_count(fate: str) -> None:
    h = History([A, B, C], make_policy(quorum=0, window=DAY, parent_share=2_000))
    grandparent = h.register(A, 10, at=T0)
    parent = h.register(B, 10, at=T0 + DAY if fate == "in window" else T0, parents=[grandparent])
    child = h.register(C, 10, at=T0, parents=[parent])
    if fate == "withdrawn":
        h.withdraw(parent, B)
    elif fate in ("invalidated", "disputed"):
        h.open_dispute(parent, A)
        if fate == "invalidated":
            h.resolve(parent, DisputeOutcome.UPHELD)
    result = h.score(as_of=T0 + DAY)
    assert result.explain(parent).status is not CountStatus.COUNTED
    assert points(result) == {A: 30, B: 0, C: 30}
    link = result.explain(child).parents[0]
    assert (link.credit, link.points) == (ParentCredit.NOT_TAKING_PART, Fraction(0))
    assert result.explain(parent).received == result.explain(parent).passed == 0


def test_score_ignores_parent_outside_history() -> None:
    h = history()
    elsewhere = "0x" + hashlib.sha256(b"another project's contribution").hexdigest()
    child = h.register(A, 10, parents=[elsewhere])
    result = h.score(as_of=AS_OF)
    assert points(result)[A] == 30
    link = result.explain(child).parents[0]
    assert (link.parent, link.credit, link.points) == (elsewhere, ParentCredit.UNKNOWN, Fraction(0))


def test_score_credits_superseded_parent_as_stand_in_for_counting_version() -> None:
    h = history()
    first = h.register(A, 10)
    child = h.register(B, 10, parents=[first])
    second = h.register(A, 20, supersedes=first)
    result = h.score(as_of=AS_OF)
    assert result.explain(first).status is CountStatus.SUPERSEDED
    # The old version stands in for the new one: A keeps what B's work passed to it.
    assert result.explain(first).received == result.explain(first).kept == 6
    assert points(result) == {A: 60 + 6, B: 24, C: 0}
    assert result.explain(child).parents[0].credit is ParentCredit.TAKES_PART
    assert result.explain(second).received == 0


def test_score_credits_nothing_to_superseded_parent_whose_new_version_does_not_count() -> None:
    h = history()
    first = h.register(A, 10)
    h.register(B, 10, parents=[first])
    second = h.register(A, 20, supersedes=first)
    third = h.register(A, 20, supersedes=second)
    h.withdraw(third, A)
    result = h.score(as_of=AS_OF)
    assert points(result) == {A: 0, B: 30, C: 0}


def test_score_passes_superseded_stand_ins_credit_along_its_own_parents() -> None:
    h = history(share=5_000)
    base = h.register(C, 10)
    first = h.register(A, 10, parents=[base])
    h.register(B, 10, parents=[first])
    h.register(A, 10, supersedes=first)
    # B passes 15 to the stand-in, which keeps 7.5 for A and passes 7.5 on to C's base.
    assert points(h.score(as_of=AS_OF)) == {
        A: 30 + Fraction(15, 2),
        B: 15,
        C: 30 + Fraction(15, 2),
    }


def test_score_refuses_history_with_cycle_of_parents() -> None:
    h = history()
    later = "0x" + "ab" * 32
    first = h.register(A, 10, parents=[later])
    h.register(B, 10, cid=later, parents=[first])
    with pytest.raises(HistoryError, match="cycle"):
        h.score(as_of=AS_OF)


def test_score_handles_parent_registered_after_child_without_cycle() -> None:
    # Impossible on chain; the scorer does not rely on the order, it sorts.
    h = history()
    later = "0x" + "cd" * 32
    h.register(B, 10, parents=[later])
    h.register(A, 10, cid=later)
    assert points(h.score(as_of=AS_OF)) == {A: 36, B: 24, C: 0}


@pytest.mark.parametrize("share", [BPS, BPS + 1])
def test_score_refuses_parent_share_of_whole_or_more(share: int) -> None:
    h = history(share=share)
    h.register(A, 10)
    with pytest.raises(InvalidPolicyError, match="parent share"):
        h.score(as_of=AS_OF)


def test_score_without_parent_share_ignores_parents() -> None:
    with_parents, without = history(share=0), history(share=0)
    base = with_parents.register(A, 10)
    with_parents.register(B, 10, parents=[base])
    without.register(A, 10)
    without.register(B, 10)
    first, second = with_parents.score(as_of=AS_OF), without.score(as_of=AS_OF)
    assert points(first) == points(second) == {A: 30, B: 30, C: 0}
    assert first.bps() == second.bps()
    assert all(e.parents == () and e.kept == e.points for e in first.contributions())


def test_explanation_says_where_points_went() -> None:
    h = history()
    base = h.register(A, 10)
    child = h.register(B, 10, parents=[base])
    result = h.score(as_of=AS_OF)
    assert result.explain(child).reason == (
        f"counted: 10000/10000 x 10000/10000 x 10/1 x rating 3 = 30; passed 6 to {base}; keeps 24"
    )
    assert result.explain(base).reason == (
        "counted: 10000/10000 x 10000/10000 x 10/1 x rating 3 = 30; received 6 from work that"
        " builds on it; keeps 36"
    )


# ------------------------------------------------------------------------ worked example


def flow_example() -> History:
    """The example of docs/scoring.md section 4: the three partners of section 11, four
    contributions building on each other, a parent share of 20 %."""
    policy = dataclasses.replace(
        make_policy(((1, BPS), (10_000, BPS)), background=5_000, quorum=1, window=14 * DAY),
        parent_share_bps=2_000,
    )
    h = History([A, B, C], policy, project_id=1)
    a1 = h.register(A, 400, origin=Origin.BACKGROUND, at=T0 + DAY)
    b1 = h.register(B, 800, at=T0 + 3 * DAY, parents=[a1])
    c1 = h.register(C, 150, at=T0 + 4 * DAY, parents=[b1, a1])
    a2 = h.register(A, 1_500_000, category=1, at=T0 + 5 * DAY, parents=[c1])
    for cid, endorser in ((a1, B), (b1, C), (c1, A), (a2, B)):
        h.endorse(cid, (endorser, 4))
    return h


FLOW_AS_OF = T0 + 30 * DAY


def render_flow_example(result: ScoreResult) -> list[str]:
    """The tables of the worked example of section 4, exactly as docs/scoring.md shows them."""
    labels: dict[str, str] = {}
    for partner in (A, B, C):
        mine = [c.contribution_id for c in result.contributions() if c.contributor == partner]
        for n, cid in enumerate(mine, 1):
            labels[cid] = f"{NAMES[partner][0].lower()}{n}"
    lines = [
        "| id | partner | builds on | own points | received | passed | keeps |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in result.contributions():
        passed = ", ".join(f"{_number(link.points)} to {labels[link.parent]}" for link in c.parents)
        lines.append(
            f"| {labels[c.contribution_id]} | {NAMES[c.contributor][0]}"
            f" | {', '.join(labels[link.parent] for link in c.parents) or '-'}"
            f" | {_number(c.points)} | {_number(c.received)} | {passed or '-'}"
            f" | {_number(c.kept)} |"
        )
    lines += [
        "",
        "| partner | own points | received | passed | points | bps |",
        "|---|---|---|---|---|---|",
    ]
    for p in result.partners:
        lines.append(
            f"| {NAMES[p.partner]} | {_number(p.own_points)} | {_number(p.received_points)}"
            f" | {_number(p.passed_points)} | {_number(p.raw_points)} | **{p.bps}** |"
        )
    return lines


def _number(value: Fraction) -> str:
    """Exact: a decimal where one is exact (denominator 2^i x 5^j), else a fraction."""
    digits, scaled = 0, value
    while scaled.denominator != 1 and digits < 12:
        digits, scaled = digits + 1, scaled * 10
    if scaled.denominator != 1:
        return str(value)
    whole, part = divmod(abs(scaled.numerator), 10**digits)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole:,}" + (f".{part:0{digits}d}" if digits else "")


def test_flow_worked_example_matches_docs() -> None:
    result = flow_example().score(as_of=FLOW_AS_OF)
    assert points(result) == {A: Fraction(10032, 5), B: Fraction(13088, 5), C: 576}
    block = re.search(
        r"<!-- flow-example -->\n(.*?)\n<!-- /flow-example -->", DOC.read_text(), re.S
    )
    assert block is not None, "docs/scoring.md lost its flow-example markers"
    assert block.group(1).splitlines() == render_flow_example(result)


if __name__ == "__main__":
    # Prints the tables, to paste into docs/scoring.md when the scheme changes.
    print("\n".join(render_flow_example(flow_example().score(as_of=FLOW_AS_OF))))
