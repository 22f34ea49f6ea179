"""Health, readiness, docs and the read endpoints of projects and contributions."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ledger.chain.connection import Chain
from ledger.chain.deployment_record import DeploymentRecord
from ledger.sync.deployment_check import DeploymentCheck
from tests.api.support import Consortium


def test_health_answers_without_key(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_ready_reports_caught_up_index(client: TestClient, consortium: Consortium) -> None:
    consortium.sync()
    response = client.get("/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ready"] and body["chainReachable"] and body["indexLag"] == 0
    assert body["problems"] == [] and body["problemCodes"] == []


def test_docs_and_openapi_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/v1/projects" in spec["paths"]


def test_get_project_returns_indexed_project(consortium: Consortium) -> None:
    project_id = consortium.project_on_chain()
    consortium.grant_auditor(project_id)
    response = consortium.client.get(
        f"/v1/projects/{project_id}", headers=consortium.auditor_headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["coordinator"] == consortium.coordinator.address
    assert body["inForce"] is True
    assert {p["address"] for p in body["partners"]} == {m.address for m in consortium.partners}
    assert all(p["acceptedVersion"] == 1 for p in body["partners"])


def test_get_project_unknown_is_404_with_code(consortium: Consortium) -> None:
    response = consortium.client.get("/v1/projects/999", headers=consortium.coordinator.headers)
    assert response.status_code == 404
    assert response.json() == {"code": "project_not_found", "message": "no project 999"}


def test_list_projects_without_key_is_401(client: TestClient) -> None:
    response = client.get("/v1/projects")
    assert response.status_code == 401
    assert response.json()["code"] == "missing_api_key"


def test_list_projects_with_bad_key_is_401(client: TestClient) -> None:
    response = client.get("/v1/projects", headers={"X-API-Key": "poc_000000000000_" + "x" * 43})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"


def test_list_contributions_paginates_in_chain_order(consortium: Consortium) -> None:
    project_id = consortium.project_on_chain()
    commitments = [
        consortium.register_on_chain(consortium.partner_b, project_id, f"d{i}") for i in range(5)
    ]
    consortium.grant_auditor(project_id)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = consortium.client.get(
            f"/v1/projects/{project_id}/contributions",
            params=params,
            headers=consortium.auditor_headers,
        ).json()
        seen += [item["commitment"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == ["0x" + c.hex() for c in commitments]


def test_get_contribution_by_id(consortium: Consortium) -> None:
    project_id = consortium.project_on_chain()
    consortium.register_on_chain(consortium.partner_c, project_id)
    consortium.sync()
    listed = consortium.client.get(
        f"/v1/projects/{project_id}/contributions",
        params={"contributor": consortium.partner_c.address},
        headers=consortium.partner_b.headers,
    ).json()["items"]
    assert len(listed) == 1
    one = consortium.client.get(
        f"/v1/contributions/{listed[0]['contributionId']}", headers=consortium.partner_b.headers
    )
    assert one.status_code == 200
    assert one.json()["status"] == "active" and one.json()["origin"] == "result"


def test_ready_before_the_node_is_checked_is_503_with_a_code(
    client: TestClient, deployed: tuple[Chain, DeploymentRecord]
) -> None:
    chain, record = deployed
    client.app.state.services.check = DeploymentCheck(chain, record)  # type: ignore[attr-defined]
    response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["problemCodes"] == ["chain_unavailable"]
    assert body["problems"] == [
        "chain_unavailable: the node has not been checked against the deployment yet"
    ]
