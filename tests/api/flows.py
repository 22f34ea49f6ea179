"""Helpers of the API suite for multi-step flows: writes that wait, a project made through the
API, contributions registered through it."""

from __future__ import annotations

from typing import Any

from ledger.domain.hashing import commitment, new_salt, sha256_bytes
from tests.api.support import AGREEMENT, POLICY_JSON, Consortium, Member


def write(
    consortium: Consortium, member: Member, url: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """POST `body` as `member`, wait until confirmed, bring the index up to date."""
    sep = "&" if "?" in url else "?"
    response = consortium.client.post(
        f"{url}{sep}wait=true", json=body or {}, headers=member.headers
    )
    assert response.status_code == 200, response.text
    op: dict[str, Any] = response.json()
    assert op["status"] == "confirmed", op
    consortium.sync()
    return op


def api_project(consortium: Consortium, *, accept: bool = True) -> int:
    """Create a project of the three partners through the API (and have all accept it)."""
    body = {
        "agreement_hash": "0x" + AGREEMENT.hex(),
        "partners": [m.address for m in consortium.partners],
        "policy": POLICY_JSON,
    }
    op = write(consortium, consortium.coordinator, "/v1/projects", body)
    project_id = int(op["resource_id"])
    if accept:
        for member in consortium.partners:
            write(consortium, member, f"/v1/projects/{project_id}/agreement/acceptances")
    return project_id


def registration(
    member: Member,
    project_id: int,
    label: str,
    value: int = 40,
    card: dict[str, Any] | None = None,
) -> dict[str, Any]:
    commit = commitment(member.address, project_id, sha256_bytes(label.encode()), new_salt())
    body = {"commitment": "0x" + commit.hex(), "origin": "result", "category": 0, "value": value}
    return body if card is None else {**body, "card": card}


def api_contribution(
    consortium: Consortium,
    member: Member,
    project_id: int,
    label: str,
    card: dict[str, Any] | None = None,
) -> str:
    """Register a contribution through the API (with `card`, if given); return its id."""
    op = write(
        consortium,
        member,
        f"/v1/projects/{project_id}/contributions",
        registration(member, project_id, label, card=card),
    )
    return str(op["resource_id"])
