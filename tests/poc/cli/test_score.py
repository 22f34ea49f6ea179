"""`poc score` states the credit flow along "builds on": per partner what it received and
passed, per contribution what each parent took (the chain-backed runs are in
tests/api/test_score_cli.py)."""

from __future__ import annotations

import pytest

from poc.cli import score as score_cli
from tests.ledger.scoring.histories import DAY, T0, A, B, C, History, make_policy


def test_poc_score_prints_and_states_the_flow(capsys: pytest.CaptureFixture[str]) -> None:
    history = History([A, B, C], make_policy(quorum=0, window=0, parent_share=2_000))
    base = history.register(A, 10)
    child = history.register(B, 10, parents=[base])
    result = history.score(as_of=T0 + DAY)
    document = score_cli.score_document(result, 7)
    partners = {p["partner"]: p for p in document["partners"]}
    assert (partners[A]["receivedPoints"], partners[B]["passedPoints"]) == ("6", "6")
    (entry,) = [x for x in document["contributions"] if x["contributionId"] == child]
    assert entry["parents"] == [{"parent": base, "credit": "takes_part", "points": "6"}]
    assert entry["kept"] == "24"
    score_cli._print_score(result, 7)
    assert "received from work that builds on yours: 6" in capsys.readouterr().out
