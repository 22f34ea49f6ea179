"""Project set-up and governance through the API: coordinator-only membership before the
agreement is in force (sent from the coordinator's custodial key), proposals and approvals
after it, and the refusals on the way."""

from __future__ import annotations

from ledger.chain.signing import sign_typed_data
from tests.api.flows import api_project, write
from tests.api.support import Consortium


def test_coordinator_adds_and_removes_partner_during_set_up(consortium: Consortium) -> None:
    coord, outsider = consortium.coordinator, consortium.outsider
    project_id = api_project(consortium, accept=False)
    added = write(
        consortium, coord, f"/v1/projects/{project_id}/partners", {"partner": outsider.address}
    )
    assert added["kind"] == "add_partner" and added["actor"] == coord.address
    members = consortium.client.get(f"/v1/projects/{project_id}", headers=coord.headers).json()
    assert outsider.address in [p["address"] for p in members["partners"] if p["active"]]
    response = consortium.client.delete(
        f"/v1/projects/{project_id}/partners/{outsider.address}?wait=true", headers=coord.headers
    )
    assert response.status_code == 200 and response.json()["status"] == "confirmed", response.text
    consortium.sync()
    members = consortium.client.get(f"/v1/projects/{project_id}", headers=coord.headers).json()
    assert outsider.address not in [p["address"] for p in members["partners"] if p["active"]]


def test_add_partner_prepare_returns_transaction_for_own_wallet(consortium: Consortium) -> None:
    coord = consortium.coordinator
    project_id = api_project(consortium, accept=False)
    tx = consortium.client.post(
        f"/v1/projects/{project_id}/partners/prepare",
        json={"partner": consortium.outsider.address},
        headers=coord.headers,
    )
    assert tx.status_code == 200, tx.text
    body = tx.json()
    assert body["from"] == coord.address and body["data"].startswith("0x")
    assert body["to"] == consortium.record.address("PocLedger")


def test_add_partner_after_agreement_in_force_is_refused(consortium: Consortium) -> None:
    project_id = api_project(consortium)
    response = consortium.client.post(
        f"/v1/projects/{project_id}/partners",
        json={"partner": consortium.outsider.address},
        headers=consortium.coordinator.headers,
    )
    assert response.status_code in (403, 409), response.text


def test_add_partner_by_coordinator_of_other_project_is_403_not_coordinator(
    consortium: Consortium,
) -> None:
    from api.auth import Role, issue_api_key

    project_id = api_project(consortium, accept=False)
    key = issue_api_key(consortium.store, consortium.partner_b.address, Role.COORDINATOR, "b2")
    response = consortium.client.post(
        f"/v1/projects/{project_id}/partners",
        json={"partner": consortium.outsider.address},
        headers={"X-API-Key": key},
    )
    assert response.status_code == 403 and response.json()["code"] == "not_coordinator"


def test_create_project_with_partner_key_makes_its_partner_coordinator(
    consortium: Consortium,
) -> None:
    b = consortium.partner_b
    body = {
        "agreementHash": "0x" + "11" * 32,
        "partners": [b.address, consortium.partner_c.address],
        "policy": {
            "backgroundWeightBps": 1,
            "resultWeightBps": 1,
            "endorsementQuorum": 0,
            "disputeWindow": 0,
            "splitApprovalBps": 10000,
            "governanceBps": 10000,
            "categories": [{"name": "h", "unit": "h", "unitScale": "1", "weightBps": 1}],
        },
    }

    op = write(consortium, b, "/v1/projects", body)

    project = consortium.client.get(f"/v1/projects/{op['resourceId']}", headers=b.headers)
    assert project.json()["coordinator"] == b.address


def test_proposal_to_add_partner_executes_at_threshold(consortium: Consortium) -> None:
    coord, b, c = consortium.partners
    project_id = api_project(consortium)
    op = write(
        consortium,
        coord,
        f"/v1/projects/{project_id}/proposals",
        {"kind": "add_partner", "partner": consortium.outsider.address},
    )
    proposal_id = int(op["resourceId"])
    url = f"/v1/projects/{project_id}/proposals/{proposal_id}"
    proposal = consortium.client.get(url, headers=c.headers).json()
    assert proposal["kind"] == "add_partner" and proposal["partner"] == consortium.outsider.address
    assert proposal["approvals"] == [coord.address] and proposal["executed"] is False
    write(consortium, b, f"{url}/approvals")  # 2 of 3: the policy's two thirds
    proposal = consortium.client.get(url, headers=c.headers).json()
    assert proposal["executed"] is True and proposal["approvals"] == [coord.address, b.address]
    listed = consortium.client.get(f"/v1/projects/{project_id}/proposals", headers=b.headers)
    assert [p["proposalId"] for p in listed.json()] == [proposal_id]
    members = consortium.client.get(f"/v1/projects/{project_id}", headers=b.headers).json()
    assert consortium.outsider.address in [p["address"] for p in members["partners"]]


def test_proposal_change_policy_non_custodial(consortium: Consortium) -> None:
    from tests.api.support import POLICY_JSON

    b = consortium.partner_b
    project_id = api_project(consortium)
    body = {"kind": "change_policy", "policy": {**POLICY_JSON, "endorsementQuorum": 2}}
    prepared = consortium.client.post(
        f"/v1/projects/{project_id}/proposals/prepare", json=body, headers=b.headers
    ).json()
    signature = sign_typed_data(b.account.key, prepared["typedData"])
    op = write(
        consortium,
        b,
        f"/v1/projects/{project_id}/proposals",
        {
            **body,
            "signature": "0x" + signature.hex(),
            "nonce": prepared["nonce"],
            "deadline": prepared["deadline"],
        },
    )
    proposal = consortium.client.get(
        f"/v1/projects/{project_id}/proposals/{op['resourceId']}", headers=b.headers
    ).json()
    assert proposal["policy"]["endorsementQuorum"] == 2


def test_proposal_with_mismatched_fields_is_422(consortium: Consortium) -> None:
    project_id = api_project(consortium, accept=False)
    response = consortium.client.post(
        f"/v1/projects/{project_id}/proposals",
        json={"kind": "add_partner", "agreementHash": "0x" + "22" * 32},
        headers=consortium.partner_b.headers,
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_proposal"


def test_withdraw_dispute_by_disputer_and_refused_to_others(consortium: Consortium) -> None:
    from tests.api.flows import api_contribution

    coord, b, c = consortium.partners
    project_id = api_project(consortium)
    cid = api_contribution(consortium, c, project_id, "c-doc")
    write(consortium, coord, f"/v1/contributions/{cid}/disputes", {"reasonHash": "0x" + "cd" * 32})
    other = consortium.client.post(
        f"/v1/contributions/{cid}/disputes/1/withdraw", json={}, headers=b.headers
    )
    assert other.status_code == 403 and other.json()["code"] == "wrong_actor"
    write(consortium, coord, f"/v1/contributions/{cid}/disputes/1/withdraw")
    disputes = consortium.client.get(f"/v1/contributions/{cid}/disputes", headers=b.headers)
    assert disputes.json()[0]["outcome"] == "withdrawn"
    closed = consortium.client.post(
        f"/v1/contributions/{cid}/disputes/1/votes", json={"uphold": True}, headers=b.headers
    )
    assert closed.status_code == 409 and closed.json()["code"] == "no_open_dispute"
