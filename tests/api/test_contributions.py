"""Registering, superseding and withdrawing contributions through the API, both signing modes."""

from __future__ import annotations

from typing import Any

from ledger.chain.connection import Chain
from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.signing import sign_typed_data
from ledger.domain.hashing import commitment, new_salt, sha256_bytes
from ledger.sync.deployment_check import DeploymentCheck
from tests.api.support import Consortium, Member


def _body(member: Member, project_id: int, label: str = "doc", **extra: Any) -> dict[str, Any]:
    commit = commitment(member.address, project_id, sha256_bytes(label.encode()), new_salt())
    return {
        "commitment": "0x" + commit.hex(),
        "origin": "result",
        "category": 0,
        "value": 40,
        **extra,
    }


def test_register_custodial_waits_until_confirmed(consortium: Consortium) -> None:
    project_id = consortium.project_on_chain()
    body = _body(consortium.partner_b, project_id)
    response = consortium.client.post(
        f"/v1/projects/{project_id}/contributions?wait=true",
        json=body,
        headers=consortium.partner_b.headers,
    )
    assert response.status_code == 200, response.text
    op = response.json()
    assert op["status"] == "confirmed" and op["kind"] == "register"
    assert response.headers["Location"] == op["statusUrl"]
    consortium.grant_auditor(project_id)
    record = consortium.client.get(
        f"/v1/contributions/{op['resourceId']}", headers=consortium.auditor_headers
    )
    assert record.status_code == 200
    assert record.json()["commitment"] == body["commitment"]
    assert record.json()["contributor"] == consortium.partner_b.address


def test_register_without_wait_is_202_then_confirms(consortium: Consortium) -> None:
    project_id = consortium.project_on_chain()
    response = consortium.client.post(
        f"/v1/projects/{project_id}/contributions",
        json=_body(consortium.partner_b, project_id),
        headers=consortium.partner_b.headers,
    )
    assert response.status_code == 202, response.text
    status_url = response.json()["statusUrl"]
    waited = consortium.client.get(status_url, headers=consortium.partner_b.headers)
    assert waited.status_code == 200
    services = consortium.client.app.state.services  # type: ignore[attr-defined]
    services.worker.wait(response.json()["id"], 20)
    assert (
        consortium.client.get(status_url, headers=consortium.partner_b.headers).json()["status"]
        == "confirmed"
    )


def test_register_same_commitment_twice_returns_first_operation(consortium: Consortium) -> None:
    project_id = consortium.project_on_chain()
    body = _body(consortium.partner_b, project_id)
    url = f"/v1/projects/{project_id}/contributions?wait=true"
    first = consortium.client.post(url, json=body, headers=consortium.partner_b.headers).json()
    again = consortium.client.post(url, json=body, headers=consortium.partner_b.headers)
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]


def test_register_with_idempotency_key_reused_for_other_body_is_409(consortium: Consortium) -> None:
    project_id = consortium.project_on_chain()
    headers = {**consortium.partner_b.headers, "Idempotency-Key": "k-1"}
    url = f"/v1/projects/{project_id}/contributions"
    first = consortium.client.post(
        url, json=_body(consortium.partner_b, project_id, "a"), headers=headers
    )
    repeat = consortium.client.post(
        url, json=_body(consortium.partner_b, project_id, "b"), headers=headers
    )
    assert first.status_code == 202
    assert repeat.status_code == 409 and repeat.json()["code"] == "idempotency_key_reused"


def test_register_non_custodial_relays_partner_signature(consortium: Consortium) -> None:
    project_id = consortium.project_on_chain()
    member = consortium.partner_c
    body = _body(member, project_id)
    prepared = consortium.client.post(
        f"/v1/projects/{project_id}/contributions/prepare", json=body, headers=member.headers
    )
    assert prepared.status_code == 200, prepared.text
    data = prepared.json()
    # The partner signs on its own machine; only the signature travels.
    signature = sign_typed_data(member.account.key, data["typedData"])
    signed = {
        **body,
        "signature": "0x" + signature.hex(),
        "nonce": data["nonce"],
        "deadline": data["deadline"],
    }
    response = consortium.client.post(
        f"/v1/projects/{project_id}/contributions?wait=true", json=signed, headers=member.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "confirmed"


def test_register_signed_by_another_partner_is_422_signature_mismatch(
    consortium: Consortium,
) -> None:
    project_id = consortium.project_on_chain()
    member, other = consortium.partner_c, consortium.partner_b
    body = _body(member, project_id)
    data = consortium.client.post(
        f"/v1/projects/{project_id}/contributions/prepare", json=body, headers=member.headers
    ).json()
    signature = sign_typed_data(other.account.key, data["typedData"])
    signed = {
        **body,
        "signature": "0x" + signature.hex(),
        "nonce": data["nonce"],
        "deadline": data["deadline"],
    }
    response = consortium.client.post(
        f"/v1/projects/{project_id}/contributions", json=signed, headers=member.headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "signature_mismatch"


def test_register_by_non_partner_is_403_from_contract(consortium: Consortium) -> None:
    project_id = consortium.project_on_chain()
    response = consortium.client.post(
        f"/v1/projects/{project_id}/contributions",
        json=_body(consortium.outsider, project_id),
        headers=consortium.outsider.headers,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_partner"


def test_register_with_auditor_key_is_403_role(consortium: Consortium) -> None:
    project_id = consortium.project_on_chain()
    response = consortium.client.post(
        f"/v1/projects/{project_id}/contributions",
        json=_body(consortium.partner_b, project_id),
        headers=consortium.auditor_headers,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden_role"


def test_withdraw_and_supersede_own_contribution(consortium: Consortium) -> None:
    project_id = consortium.project_on_chain()
    member = consortium.partner_b
    url = f"/v1/projects/{project_id}/contributions?wait=true"
    first = consortium.client.post(
        url, json=_body(member, project_id, "v1"), headers=member.headers
    ).json()
    second = consortium.client.post(
        url, json=_body(member, project_id, "w"), headers=member.headers
    ).json()
    consortium.sync()
    replaced = consortium.client.post(
        f"/v1/contributions/{first['resourceId']}/supersede?wait=true",
        json=_body(member, project_id, "v2"),
        headers=member.headers,
    )
    assert replaced.status_code == 200 and replaced.json()["status"] == "confirmed", replaced.text
    withdrawn = consortium.client.post(
        f"/v1/contributions/{second['resourceId']}/withdraw?wait=true",
        json={},
        headers=member.headers,
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "confirmed", (
        withdrawn.text
    )
    consortium.sync()
    get = consortium.client.get
    assert (
        get(f"/v1/contributions/{first['resourceId']}", headers=member.headers).json()["status"]
        == "superseded"
    )
    assert (
        get(f"/v1/contributions/{second['resourceId']}", headers=member.headers).json()["status"]
        == "withdrawn"
    )


def test_withdraw_other_partners_contribution_is_403_wrong_actor(consortium: Consortium) -> None:
    project_id = consortium.project_on_chain()
    op = consortium.client.post(
        f"/v1/projects/{project_id}/contributions?wait=true",
        json=_body(consortium.partner_b, project_id),
        headers=consortium.partner_b.headers,
    ).json()
    consortium.sync()
    response = consortium.client.post(
        f"/v1/contributions/{op['resourceId']}/withdraw",
        json={},
        headers=consortium.partner_c.headers,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "wrong_actor"


def test_register_before_the_node_is_checked_skips_preflight_and_lets_the_chain_judge(
    consortium: Consortium, deployed: tuple[Chain, DeploymentRecord]
) -> None:
    """Until the deployment check has passed, a node's dry-run answer is not trusted: the write
    is accepted into the outbox instead of being refused on the node's word."""
    chain, record = deployed
    project_id = consortium.project_on_chain()
    services = consortium.client.app.state.services  # type: ignore[attr-defined]
    services.check = DeploymentCheck(chain, record)  # never run: not passed
    response = consortium.client.post(
        f"/v1/projects/{project_id}/contributions",
        json=_body(consortium.outsider, project_id),
        headers=consortium.outsider.headers,
    )
    assert response.status_code == 202
    assert response.json()["status"] == "accepted"


def test_register_non_custodial_by_partner_whose_key_the_service_does_not_hold(
    consortium: Consortium, tmp_path: Any
) -> None:
    # The test service holds every member's key, so a signature it relays could be its own
    # (ECDSA is deterministic). Here it holds none of partner_c's: only partner_c can sign.
    from api.services.custody import Custody

    project_id = consortium.project_on_chain()
    services = consortium.client.app.state.services  # type: ignore[attr-defined]
    services.custody = Custody(tmp_path / "other-keys", "another password")
    member = consortium.partner_c
    url = f"/v1/projects/{project_id}/contributions"
    body = _body(member, project_id)
    unsigned = consortium.client.post(url, json=body, headers=member.headers)
    assert unsigned.status_code == 422 and unsigned.json()["code"] == "not_custodial"
    data = consortium.client.post(f"{url}/prepare", json=body, headers=member.headers).json()
    signature = sign_typed_data(member.account.key, data["typedData"])
    signed = {
        **body,
        "signature": "0x" + signature.hex(),
        "nonce": data["nonce"],
        "deadline": data["deadline"],
    }
    response = consortium.client.post(f"{url}?wait=true", json=signed, headers=member.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "confirmed"
