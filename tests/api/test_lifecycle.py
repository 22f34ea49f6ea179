"""A project's whole life through the API on the in-process chain: create, accept, register,
endorse, dispute and vote, score, propose and approve a split, revenue, statement, release."""

from __future__ import annotations

import csv
import io

from ledger.chain.clients import ETH
from ledger.chain.signing import sign_typed_data
from tests.api.flows import api_contribution, api_project, write
from tests.api.support import Consortium

DAY = 24 * 3600


def test_project_lifecycle_from_creation_to_release(consortium: Consortium) -> None:
    client = consortium.client
    coord, b, c = consortium.partners
    project_id = api_project(consortium)
    project = client.get(f"/v1/projects/{project_id}", headers=b.headers).json()
    assert project["inForce"] is True and project["coordinator"] == coord.address

    own = api_contribution(consortium, coord, project_id, "coord-doc")
    by_b = api_contribution(consortium, b, project_id, "b-doc")
    by_c = api_contribution(consortium, c, project_id, "c-doc")
    write(consortium, c, f"/v1/contributions/{own}/endorsements", {"rating": 5})
    write(consortium, coord, f"/v1/contributions/{by_b}/endorsements", {"rating": 4})
    write(consortium, b, f"/v1/contributions/{by_c}/endorsements", {"rating": 3})
    endorsements = client.get(f"/v1/contributions/{by_b}/endorsements", headers=b.headers)
    assert [(e["endorser"], e["rating"]) for e in endorsements.json()] == [(coord.address, 4)]
    # Dated by the ledger's clock: the timestamp of the endorsement's block.
    endorsed = endorsements.json()[0]
    block = consortium.chain.w3.eth.get_block(endorsed["blockNumber"])
    assert endorsed["endorsedAt"] == block["timestamp"]

    write(consortium, coord, f"/v1/contributions/{by_c}/disputes", {"reasonHash": "0x" + "ab" * 32})
    write(consortium, b, f"/v1/contributions/{by_c}/disputes/1/votes", {"uphold": True})
    disputes = client.get(f"/v1/contributions/{by_c}/disputes", headers=c.headers).json()
    assert disputes[0]["outcome"] == "upheld" and disputes[0]["votes"][0]["voter"] == b.address

    consortium.chain.increase_time(8 * DAY)
    consortium.grant_auditor(project_id)
    score = client.get(f"/v1/projects/{project_id}/score", headers=consortium.auditor_headers)
    assert score.status_code == 200, score.text
    result = score.json()
    shares = {e["partner"]: e["bps"] for e in result["split"]}
    # 40 h x rating 5 vs 40 h x rating 4; c's contribution was invalidated.
    assert shares == {coord.address: 5556, b.address: 4444}
    statuses = {x["contributionId"]: x["status"] for x in result["contributions"]}
    assert statuses[by_c] == "INVALIDATED_BY_DISPUTE"

    op = write(consortium, b, f"/v1/projects/{project_id}/splits")
    proposal_id = int(op["resourceId"])
    # b proposed (its approval counts), coord approves: 2 of 3, the policy's two thirds
    write(consortium, coord, f"/v1/projects/{project_id}/splits/{proposal_id}/approvals")
    versions = client.get(
        f"/v1/projects/{project_id}/splits?finalized=true", headers=c.headers
    ).json()
    assert [(v["proposalId"], v["splitVersion"]) for v in versions] == [(proposal_id, 1)]
    assert versions[0]["inputSetHash"] == result["inputSetHash"]

    vault = consortium.client.app.state.services.chain.vault  # type: ignore[attr-defined]
    vault.deposit(consortium.chain.sender(consortium.outsider.account), project_id, 1001)
    consortium.sync()
    statement = client.get(
        f"/v1/projects/{project_id}/statement?amount=1001&currency=ETH&decimals=0",
        headers=b.headers,
    ).json()
    assert statement["basis"] == "finalized_split" and statement["splitVersion"] == 1
    owed = {line["partner"]: line["amount"] for line in statement["lines"]}
    balances = client.get(f"/v1/projects/{project_id}/balances", headers=b.headers).json()
    eth = next(t for t in balances["tokens"] if t["token"] == ETH)
    held = {x["partner"]: x["amount"] for x in eth["balances"] if x["amount"] != "0"}
    assert held == owed and eth["received"] == "1001"
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    f"/v1/projects/{project_id}/statement?amount=1001&format=csv&decimals=0",
                    headers=b.headers,
                ).text
            )
        )
    )
    assert rows[-1]["partner"] == "TOTAL" and rows[-1]["amount"] == "1001"

    released = write(consortium, b, f"/v1/projects/{project_id}/payouts", {"token": ETH})
    assert released["kind"] == "release"
    after = client.get(f"/v1/projects/{project_id}/balances", headers=b.headers).json()
    eth = next(t for t in after["tokens"] if t["token"] == ETH)
    assert {x["partner"]: x["amount"] for x in eth["balances"]}[b.address] == "0"
    assert eth["released"] == owed[b.address]


def test_propose_split_non_custodial_signs_prepared_block(consortium: Consortium) -> None:
    coord, b, _ = consortium.partners
    project_id = api_project(consortium)
    by_b = api_contribution(consortium, b, project_id, "b-doc")
    write(consortium, coord, f"/v1/contributions/{by_b}/endorsements", {"rating": 4})
    consortium.chain.increase_time(8 * DAY)
    consortium.sync()
    prepared = consortium.client.post(
        f"/v1/projects/{project_id}/splits/prepare", json={}, headers=b.headers
    )
    assert prepared.status_code == 200, prepared.text
    data = prepared.json()
    message = data["typedData"]["message"]
    consortium.chain.mine(2)  # the index moves on; the signed block stays the one scored
    consortium.sync()
    signature = sign_typed_data(b.account.key, data["typedData"])
    op = write(
        consortium,
        b,
        f"/v1/projects/{project_id}/splits",
        {
            "computedAtBlock": message["computedAtBlock"],
            "policyVersion": message["policyVersion"],
            "signature": "0x" + signature.hex(),
            "nonce": data["nonce"],
            "deadline": data["deadline"],
        },
    )
    split = consortium.client.get(
        f"/v1/projects/{project_id}/splits/{op['resourceId']}", headers=b.headers
    ).json()
    # uint64 in the typed data (a decimal string), a block number in the API (a JSON number).
    assert split["computedAtBlock"] == int(message["computedAtBlock"])
    assert split["split"] == [{"partner": b.address, "bps": 10000}]


def test_statement_without_finalized_split_uses_current_score(consortium: Consortium) -> None:
    coord, b, _ = consortium.partners
    project_id = api_project(consortium)
    by_b = api_contribution(consortium, b, project_id, "b-doc")
    write(consortium, coord, f"/v1/contributions/{by_b}/endorsements", {"rating": 2})
    consortium.chain.increase_time(8 * DAY)
    consortium.sync()
    statement = consortium.client.get(
        f"/v1/projects/{project_id}/statement?amount=500", headers=b.headers
    ).json()
    assert statement["basis"] == "current_score" and statement["splitVersion"] == 0
    assert statement["lines"] == [
        {"partner": b.address, "bps": 10000, "amount": "500", "amountDecimal": "5.00"}
    ]


def test_propose_split_with_nothing_counted_is_409(consortium: Consortium) -> None:
    project_id = api_project(consortium)
    response = consortium.client.post(
        f"/v1/projects/{project_id}/splits", json={}, headers=consortium.partner_b.headers
    )
    assert response.status_code == 409 and response.json()["code"] == "nothing_to_split"
