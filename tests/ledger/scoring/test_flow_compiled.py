"""The credit flow's compiled loops (ledger/scoring/_walk.pyx) against its Python loops.

`ledger.scoring.flow` uses the compiled loops when the install built them, and every other
scoring test runs on them; these tests hold them to the Python loops, result for result, on
generated histories and on the shapes that stress the walk's bookkeeping (values raised to
higher and higher powers of the unit, parents named in any order, parents in other projects).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given

from ledger.scoring import flow
from ledger.scoring.results import ScoreResult
from ledger.scoring.scheme import score
from scripts.bench_scoring import AS_OF as BENCH_AS_OF
from scripts.bench_scoring import build_history
from tests.ledger.scoring.histories import DAY, T0, History, address, make_policy
from tests.ledger.scoring.test_flow_properties import raw_points, reference_points
from tests.ledger.scoring.test_scoring_properties import EXAMPLES, Spec, specs

COMPILED = flow.compiled_walk


@pytest.fixture(autouse=True)
def compiled_loops_built() -> None:
    """Missing compiled loops skip locally (no C compiler at install) and fail in CI."""
    if COMPILED is None:
        message = "ledger/scoring/_walk.pyx is not compiled: run `make setup` with a C compiler"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def python_loops() -> Iterator[None]:
    """Score with the Python loops, as an install without a compiler does."""
    flow.compiled_walk = None
    try:
        yield
    finally:
        flow.compiled_walk = COMPILED


def both(scoring: Callable[[], ScoreResult]) -> tuple[ScoreResult, ScoreResult]:
    """(compiled, python): the same scoring run on each pair of loops."""
    assert flow.compiled_walk is COMPILED
    compiled = scoring()
    with python_loops():
        python = scoring()
    return compiled, python


def assert_same(compiled: ScoreResult, python: ScoreResult) -> None:
    """Equal splits, partners (points, received, passed) and every contribution's part."""
    assert compiled == python
    assert list(compiled.contributions()) == list(python.contributions())


def test_scores_use_the_compiled_loops() -> None:
    assert COMPILED is not None
    assert COMPILED.__name__ == "ledger.scoring._walk"  # type: ignore[attr-defined]
    assert not COMPILED.__file__.endswith(".py")  # type: ignore[attr-defined]
    walk = flow._Walk(2_000, flow.Nodes.sized(0), {}, {}, 1)
    assert walk.compiled is COMPILED
    with python_loops():
        assert flow._Walk(2_000, flow.Nodes.sized(0), {}, {}, 1).compiled is None


@EXAMPLES
@given(specs(flow=True, removals=True))
def test_compiled_and_python_loops_agree(spec: Spec) -> None:
    compiled, python = both(spec.score)
    assert_same(compiled, python)
    assert raw_points(compiled) == reference_points(spec)


def raised_one_power_at_a_time(height: int) -> History:
    """A contribution whose value is raised to U^height one power at a time, then credited by a
    contribution building on it directly: that credit must be raised `height - 1` powers at
    once, further than any single step before it went.

    The credited contribution's children are, in the order walked, the tops of such trees of
    heights 0, 1, ..., height - 1 (a binomial tree: every value in it is raised one power at a
    time), then the direct one. The walk goes from the last record to the first, so records
    are registered in the reverse of the order they are walked. Two partners alternate by
    depth, so that every record passes credit."""
    a, b = address("raised a"), address("raised b")
    history = History([a, b], make_policy(quorum=0, window=0, parent_share=2_500))

    def tree(height: int, parent: str, depth: int) -> None:
        top = history.register((a, b)[depth % 2], 1 + depth, at=T0, parents=[parent])
        for below in range(height - 1, -1, -1):
            tree(below, top, depth + 1)

    top = history.register(a, 7, at=T0)
    history.register(b, 5, at=T0, parents=[top])  # walked last
    for below in range(height - 1, -1, -1):
        tree(below, top, 1)
    return history


@pytest.mark.parametrize("height", [1, 3, 8])
def test_compiled_and_python_loops_agree_on_values_raised_one_power_at_a_time(
    height: int,
) -> None:
    history = raised_one_power_at_a_time(height)
    assert len(history.events) > 2**height
    compiled, python = both(lambda: history.score(as_of=T0 + DAY))
    assert_same(compiled, python)
    assert sum(p.passed_points for p in compiled.partners) > 0


def test_compiled_and_python_loops_agree_on_many_parents_and_other_projects() -> None:
    """Records naming up to 6 parents (the general case, beyond the inlined one and two), some
    twice, some of their own partner, some in another project."""
    partners = [address(f"many {n}") for n in range(4)]
    history = History(partners, make_policy(quorum=0, window=0, parent_share=3_333))
    ids: list[str] = []
    elsewhere = "0x" + "ee" * 32
    for n in range(300):
        named = [ids[(n * 7 + k * 13) % len(ids)] for k in range(n % 7)] if ids else []
        if n % 5 == 0:
            named.append(elsewhere)
        if n % 11 == 0 and named:
            named.append(named[0])
        ids.append(history.register(partners[n % 4], 1 + n % 9, at=T0, parents=named))
    compiled, python = both(lambda: history.score(as_of=T0 + DAY))
    assert_same(compiled, python)
    assert sum(p.passed_points for p in compiled.partners) > 0


def test_compiled_and_python_loops_agree_on_the_bench_history() -> None:
    """The benchmark's shape (scripts/bench_scoring.py) at 20,000 contributions: endorsements,
    withdrawals, supersessions, disputes, 0 to 2 parents each."""
    events = build_history(20_000, 50, with_parents=True)
    compiled, python = both(lambda: score(events, as_of=BENCH_AS_OF))
    assert_same(compiled, python)
