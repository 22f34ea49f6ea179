"""Anchoring Merkle batches and revealing their leaves through the API."""

from __future__ import annotations

from typing import Any

from ledger.domain.hashing import commitment, new_salt, sha256_bytes
from tests.api.support import Consortium


def _leaves(address: str, project_id: int, n: int) -> list[dict[str, Any]]:
    return [
        {
            "commitment": "0x"
            + commitment(address, project_id, sha256_bytes(f"b{i}".encode()), new_salt()).hex(),
            "origin": "result",
            "category": 0,
            "value": i + 1,
        }
        for i in range(n)
    ]


def test_anchor_batch_then_reveal_leaves(consortium: Consortium) -> None:
    project_id = consortium.project_on_chain()
    member = consortium.partner_b
    items = _leaves(member.address, project_id, 5)
    anchored = consortium.client.post(
        f"/v1/projects/{project_id}/batches?wait=true",
        json={"items": items},
        headers=member.headers,
    )
    assert anchored.status_code == 200, anchored.text
    batch_id = anchored.json()["resourceId"]
    assert anchored.json()["status"] == "confirmed" and batch_id
    revealed = consortium.client.post(
        f"/v1/batches/{batch_id}/reveal?wait=true", json={"indices": [0, 3]}, headers=member.headers
    )
    assert revealed.status_code == 202, revealed.text
    assert [op["status"] for op in revealed.json()] == ["confirmed", "confirmed"]
    consortium.grant_auditor(project_id)
    listed = consortium.client.get(
        f"/v1/projects/{project_id}/contributions",
        params={"batchId": batch_id},
        headers=consortium.auditor_headers,
    ).json()["items"]
    assert sorted(c["commitment"] for c in listed) == sorted(
        [items[0]["commitment"], items[3]["commitment"]]
    )


def test_reveal_other_partners_batch_is_403_wrong_actor(consortium: Consortium) -> None:
    project_id = consortium.project_on_chain()
    anchored = consortium.client.post(
        f"/v1/projects/{project_id}/batches?wait=true",
        json={"items": _leaves(consortium.partner_b.address, project_id, 2)},
        headers=consortium.partner_b.headers,
    ).json()
    response = consortium.client.post(
        f"/v1/batches/{anchored['resourceId']}/reveal",
        json={},
        headers=consortium.partner_c.headers,
    )
    assert response.status_code == 403 and response.json()["code"] == "wrong_actor"


def test_anchor_batch_with_auditor_key_is_403(consortium: Consortium) -> None:
    project_id = consortium.project_on_chain()
    response = consortium.client.post(
        f"/v1/projects/{project_id}/batches",
        json={"items": _leaves(consortium.partner_b.address, project_id, 1)},
        headers=consortium.auditor_headers,
    )
    assert response.status_code == 403
