"""The score through the API with a parent share: the policy goes on chain with its
`parent_share_bps`, and the score explains the flow along "builds on" per partner and per
contribution, with the factors of every contribution's points."""

from __future__ import annotations

from typing import Any

from tests.api.flows import registration, write
from tests.api.support import AGREEMENT, POLICY_JSON, Consortium

DAY = 24 * 3600


def _project(consortium: Consortium, share: int) -> int:
    body = {
        "agreementHash": "0x" + AGREEMENT.hex(),
        "partners": [m.address for m in consortium.partners],
        "policy": {**POLICY_JSON, "parentShareBps": share},
    }
    project_id = int(write(consortium, consortium.coordinator, "/v1/projects", body)["resourceId"])
    for member in consortium.partners:
        write(consortium, member, f"/v1/projects/{project_id}/agreement/acceptances")
    return project_id


def _register(
    consortium: Consortium, member: Any, project_id: int, label: str, **fields: Any
) -> str:
    body = {**registration(member, project_id, label), **fields}
    op = write(consortium, member, f"/v1/projects/{project_id}/contributions", body)
    return str(op["resourceId"])


def test_score_explains_credit_along_builds_on(consortium: Consortium) -> None:
    coord, b, c = consortium.partners
    project_id = _project(consortium, 2_000)
    base = _register(consortium, coord, project_id, "background", value=10)
    child = _register(consortium, b, project_id, "result", value=10, parents=[base])
    for cid, endorser in ((base, b), (child, c)):
        write(consortium, endorser, f"/v1/contributions/{cid}/endorsements", {"rating": 3})
    consortium.chain.increase_time(8 * DAY)
    consortium.sync()
    consortium.grant_auditor(project_id)

    policies = consortium.client.get(
        f"/v1/projects/{project_id}/policies", headers=coord.headers
    ).json()
    assert policies[-1]["policy"]["parentShareBps"] == 2_000
    # The thresholds as counts of today's three partners: 6667 is 2 of 3 (docs/governance.md).
    assert policies[-1]["partners"] == 3
    assert policies[-1]["splitApprovalsRequired"] == 2
    assert policies[-1]["governanceApprovalsRequired"] == 2
    score = consortium.client.get(
        f"/v1/projects/{project_id}/score", headers=consortium.auditor_headers
    )
    assert score.status_code == 200, score.text
    result = score.json()
    partners = {p["partner"]: p for p in result["partners"]}
    # b's 30 points pass 20 % to coord's: 6.
    assert (partners[coord.address]["rawPoints"], partners[coord.address]["receivedPoints"]) == (
        "36",
        "6",
    )
    assert (partners[b.address]["ownPoints"], partners[b.address]["passedPoints"]) == ("30", "6")
    entries = {x["contributionId"]: x for x in result["contributions"]}
    assert entries[child]["parents"] == [{"parent": base, "credit": "takes_part", "points": "6"}]
    assert entries[child]["kept"] == "24" and entries[base]["received"] == "6"
    factors = {k: entries[child][k] for k in ("categoryWeightBps", "originWeightBps", "unitScale")}
    assert factors == {"categoryWeightBps": 10_000, "originWeightBps": 10_000, "unitScale": "1"}
    assert {e["partner"]: e["bps"] for e in result["split"]} == {
        coord.address: 6_000,
        b.address: 4_000,
    }


def test_policy_with_parent_share_of_whole_is_refused_before_the_chain(
    consortium: Consortium,
) -> None:
    body = {
        "agreementHash": "0x" + AGREEMENT.hex(),
        "partners": [m.address for m in consortium.partners],
        "policy": {**POLICY_JSON, "parentShareBps": 10_000},
    }
    response = consortium.client.post(
        "/v1/projects", json=body, headers=consortium.coordinator.headers
    )
    assert response.status_code == 422, response.text
    assert "parentShareBps" in response.text


def test_split_proposals_say_approvals_needed_of_whom_and_since_when(
    consortium: Consortium,
) -> None:
    client = consortium.client
    coord, b, c = consortium.partners
    project_id = _project(consortium, 2_000)
    cid = _register(consortium, b, project_id, "work", value=10)
    write(consortium, c, f"/v1/contributions/{cid}/endorsements", {"rating": 3})
    consortium.chain.increase_time(8 * DAY)
    consortium.sync()

    op = write(consortium, b, f"/v1/projects/{project_id}/splits")
    proposal_id = int(op["resourceId"])
    url = f"/v1/projects/{project_id}/splits/{proposal_id}"
    proposal = client.get(url, headers=c.headers).json()
    # The policy's 6667 of three partners: 2 of 3; b's own approval counts, one more is needed
    # from either of the two others.
    assert proposal["approvalsRequired"] == 2
    assert sorted(proposal["eligible"]) == sorted(m.address for m in consortium.partners)
    assert proposal["approvals"] == [b.address]
    assert sorted(proposal["waitingFor"]) == sorted([coord.address, c.address])
    assert proposal["finalized"] is False and proposal["finalizedAt"] is None
    created = consortium.chain.w3.eth.get_block(proposal["blockNumber"])["timestamp"]
    assert proposal["proposedAt"] == created

    write(consortium, coord, f"{url}/approvals")
    versions = client.get(f"/v1/projects/{project_id}/splits?finalized=true", headers=c.headers)
    (version,) = versions.json()
    assert (version["proposalId"], version["splitVersion"]) == (proposal_id, 1)
    assert version["waitingFor"] == [] and version["approvals"] == [b.address, coord.address]
    vault = consortium.client.app.state.services.chain.vault  # type: ignore[attr-defined]
    info = vault.split_proposal(project_id, proposal_id)
    assert (info.finalized, info.approvals, info.required) == (True, 2, 2)
    finalized_block = consortium.chain.w3.eth.get_block(version["finalizedAtBlock"])
    assert version["finalizedAt"] == finalized_block["timestamp"]
    assert vault.current_split_version(project_id) == 1
