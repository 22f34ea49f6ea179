"""`poc score` and `poc statement` on the in-process chain: the CLI recomputes from chain data
alone what the API scored and the vault finalized."""

from __future__ import annotations

import json

import pytest

from poc.cli import main as cli
from poc.cli import score as score_cli
from tests.api.flows import api_contribution, api_project, write
from tests.api.support import Consortium

DAY = 24 * 3600


@pytest.fixture
def finalized(consortium: Consortium, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[str]]:
    """A project with split version 1 finalized; the CLI talks to the same chain."""
    coord, b, c = consortium.partners
    project_id = api_project(consortium)
    for member, endorser, rating in ((b, coord, 4), (c, b, 2)):
        cid = api_contribution(consortium, member, project_id, f"{member.address}-doc")
        write(consortium, endorser, f"/v1/contributions/{cid}/endorsements", {"rating": rating})
    consortium.chain.increase_time(8 * DAY)
    consortium.sync()
    proposal = write(consortium, b, f"/v1/projects/{project_id}/splits")["resourceId"]
    # b's own approval and coord's: 2 of 3, the policy's two thirds
    write(consortium, coord, f"/v1/projects/{project_id}/splits/{proposal}/approvals")
    monkeypatch.setattr(score_cli, "connect_w3", lambda _url: consortium.chain.w3)
    record = consortium.record
    return project_id, [
        "--project", str(project_id), "--rpc-url", "http://node.invalid",
        "--ledger", record.address("PocLedger"), "--vault", record.address("RoyaltyVault"),
    ]  # fmt: skip


def test_score_json_matches_api_score(
    consortium: Consortium, finalized: tuple[int, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    project_id, common = finalized
    consortium.grant_auditor(project_id)
    api = consortium.client.get(
        f"/v1/projects/{project_id}/score", headers=consortium.auditor_headers
    ).json()
    assert cli.main(["score", *common, "--at-block", str(api["computedAtBlock"]), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    # The same document, field for field: the API's from its index, the CLI's from the chain.
    assert printed == api
    assert printed["split"] and printed["contributions"]


def test_score_check_split_matches_finalized_version(
    finalized: tuple[int, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, common = finalized
    assert cli.main(["score", *common, "--check-split", "1"]) == 0
    assert "MATCHES" in capsys.readouterr().out


def test_score_check_split_of_unknown_version_fails(
    finalized: tuple[int, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, common = finalized
    assert cli.main(["score", *common, "--check-split", "7"]) == 1
    assert "no finalized split version 7" in capsys.readouterr().err


def test_statement_csv_sums_to_amount(
    finalized: tuple[int, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, common = finalized
    assert cli.main(["statement", *common, "--amount", "100001", "--date", "2026-01-31"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    amounts = [int(row.split(",")[6]) for row in rows[1:-1]]
    assert sum(amounts) == 100001 and rows[-1].split(",")[4] == "TOTAL"
