"""Which split a royalty statement divides by: one rule for the API and `poc statement`."""

from __future__ import annotations

import pytest

from ledger.errors import NoSplitVersionError, NothingToSplitError
from ledger.scoring.statements import statement_basis
from tests.ledger.scoring.histories import A, B, three_partners
from tests.ledger.scoring.test_scoring import WORKED_AS_OF, worked_example

FINALIZED = {1: {A: 10_000}, 2: {A: 4_000, B: 6_000}}


def _basis(requested: int | None, finalized: dict[int, dict[str, int]] = FINALIZED, **kw):
    return statement_basis(
        project_id=7,
        requested=requested,
        newest_finalized=lambda: max(finalized, default=0),
        finalized_split=finalized.get,
        **kw,
    )


def test_statement_basis_takes_the_requested_finalized_version() -> None:
    chosen = _basis(1)

    assert (chosen.split_version, dict(chosen.shares), chosen.basis) == (
        1,
        {A: 10_000},
        "finalized_split",
    )


def test_statement_basis_defaults_to_the_newest_finalized_version() -> None:
    assert _basis(None).split_version == 2


def test_statement_basis_refuses_a_version_not_finalized() -> None:
    with pytest.raises(NoSplitVersionError, match="project 7 has no finalized split version 3"):
        _basis(3, current_score=lambda: worked_example().score(as_of=WORKED_AS_OF))


def test_statement_basis_without_finalized_split_uses_the_current_score_when_given() -> None:
    result = worked_example().score(as_of=WORKED_AS_OF)

    chosen = _basis(None, {}, current_score=lambda: result)

    assert (chosen.split_version, chosen.basis) == (0, "current_score")
    assert dict(chosen.shares) == result.bps()


def test_statement_basis_without_finalized_split_or_current_score_is_refused() -> None:
    with pytest.raises(NoSplitVersionError, match="no finalized split version 0"):
        _basis(None, {})


def test_statement_basis_of_a_score_that_counts_nothing_is_refused() -> None:
    empty = three_partners().score()

    with pytest.raises(NothingToSplitError, match="NO_COUNTED_CONTRIBUTIONS"):
        _basis(None, {}, current_score=lambda: empty)
