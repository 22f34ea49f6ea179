"""Finding a registration by its commitment before signing: with a salt derived from the proof
secret, the same file by the same partner in the same project has the same commitment, and the
project's partners (only they) find the earlier registration and its date in the index."""

from __future__ import annotations

from typing import Any

from ledger.domain.hashing import sha256_bytes
from ledger.openings.files import OpeningFile, derived_opening
from ledger.openings.secret import ProofSecret
from tests.api.support import Consortium, Member


def _derive(
    consortium: Consortium, secret: ProofSecret, member: Member, project_id: int, text: str
) -> OpeningFile:
    chain = consortium.client.get("/v1/chain", headers=member.headers).json()
    return derived_opening(
        secret,
        chain_id=chain["chainId"],
        ledger=chain["contracts"]["PocLedger"],
        project_id=project_id,
        contributor=member.address,
        content_hash=sha256_bytes(text.encode()),
    )


def _lookup(consortium: Consortium, headers: dict[str, str], project_id: int, commit: bytes) -> Any:
    return consortium.client.get(
        f"/v1/projects/{project_id}/contributions?commitment=0x{commit.hex()}", headers=headers
    )


def test_same_file_derives_the_commitment_the_index_finds_with_its_date(
    consortium: Consortium,
) -> None:
    project_id = consortium.project_on_chain()
    secret = ProofSecret.generate()
    member = consortium.partner_b
    opening = _derive(consortium, secret, member, project_id, "fibre trials, batch 1")
    consortium.sync()
    before = _lookup(consortium, member.headers, project_id, opening.commitment)
    assert before.status_code == 200 and before.json()["items"] == []
    registered = consortium.client.post(
        f"/v1/projects/{project_id}/contributions?wait=true",
        json={
            "commitment": "0x" + opening.commitment.hex(),
            "origin": "result",
            "category": 0,
            "value": 12,
        },
        headers=member.headers,
    )
    assert registered.status_code == 200, registered.text
    consortium.sync()
    # Later, on another machine: the recovery secret and the same file give the same opening.
    again = _derive(
        consortium,
        ProofSecret.from_words(secret.words),
        member,
        project_id,
        "fibre trials, batch 1",
    )
    assert again == opening
    found = _lookup(consortium, member.headers, project_id, again.commitment).json()["items"]
    assert [item["contributionId"] for item in found] == ["0x" + opening.contribution_id.hex()]
    assert found[0]["registeredAt"] > 0 and found[0]["contributor"] == member.address
    # Another partner of the project sees it too (the duplicate is visible to the consortium).
    seen = _lookup(consortium, consortium.partner_c.headers, project_id, again.commitment)
    assert len(seen.json()["items"]) == 1
    # Another file, or the same file in another project, is not found.
    other = _derive(consortium, secret, member, project_id, "fibre trials, batch 2")
    assert _lookup(consortium, member.headers, project_id, other.commitment).json()["items"] == []


def test_lookup_by_commitment_from_outside_the_project_finds_nothing(
    consortium: Consortium,
) -> None:
    project_id = consortium.project_on_chain()
    commit = consortium.register_on_chain(consortium.partner_b, project_id)
    consortium.sync()
    assert (
        len(_lookup(consortium, consortium.partner_b.headers, project_id, commit).json()["items"])
        == 1
    )
    # A partner of no project here and an auditor without a grant: 404, the same answer as
    # for a project that does not exist; nothing tells them whether the file is registered.
    for headers in (consortium.outsider.headers, consortium.auditor_headers):
        response = _lookup(consortium, headers, project_id, commit)
        assert response.status_code == 404
        assert response.json()["code"] == "project_not_found"
