"""The API's one convention (docs/api.md) holds for every schema and parameter it serves,
including those added later: the served OpenAPI document is walked, not a list of models.

- Names: every property of every component schema and every query and path parameter is
  camelCase (`projectId`, never `project_id`); a schema that forgets `api.schemas.base.ApiModel`
  fails here.
- Integers: a JSON number only where its range fits in 2^53 (what every JSON parser reads
  exactly); anything wider is a decimal string.
- Component names are unique and plain: no module-qualified `api__schemas__…` names, which
  FastAPI gives two models of the same name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.flows import api_contribution, api_project, write
from tests.api.support import Consortium

CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")
SAFE_INTEGER = 2**53 - 1


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def _schemas(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (location, schema object) nested in `node`, depth first."""
    if isinstance(node, dict):
        if "type" in node or "properties" in node or "anyOf" in node:
            yield where, node
        for key, value in node.items():
            yield from _schemas(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schemas(value, f"{where}[{index}]")


def _parameters(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", ()):
                yield f"{method.upper()} {path}", parameter


def test_openapi_property_names_are_camel_case(document: dict[str, Any]) -> None:
    wrong = sorted(
        f"{name}.{prop}"
        for name, component in document["components"]["schemas"].items()
        for _, schema in _schemas(component, name)
        for prop in schema.get("properties", {})
        if not CAMEL.match(prop)
    )

    assert wrong == [], f"not camelCase (inherit api.schemas.base.ApiModel): {wrong}"


def test_openapi_parameter_names_are_camel_case(document: dict[str, Any]) -> None:
    wrong = sorted(
        f"{where} {p['in']} {p['name']}"
        for where, p in _parameters(document)
        if p["in"] in ("query", "path") and not CAMEL.match(p["name"])
    )

    assert wrong == [], f"not camelCase (give the parameter an alias): {wrong}"


def _unbounded_integers(node: dict[str, Any], where: str) -> Iterator[str]:
    for location, schema in _schemas(node, where):
        if schema.get("type") != "integer":
            continue
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        if high is None or low is None or high > SAFE_INTEGER or low < -SAFE_INTEGER:
            yield location


def test_openapi_integers_fit_in_a_json_number(document: dict[str, Any]) -> None:
    # Bodies only: a path or query parameter is text in a URL, which no JSON parser rounds.
    wrong = sorted(
        loc
        for name, component in document["components"]["schemas"].items()
        for loc in _unbounded_integers(component, name)
    )

    assert wrong == [], (
        "integer without a bound below 2^53 (bound it, or make it a decimal string: "
        f"api.schemas.common.Uint64 / Uint256): {wrong}"
    )


def test_openapi_component_names_are_unique(document: dict[str, Any]) -> None:
    qualified = sorted(n for n in document["components"]["schemas"] if "__" in n)

    assert qualified == []


# ------------------------------------------------------------------------------ served bodies

# Members whose content is a document with its own names (docs/api.md, "Names").
DOCUMENTS = {"answers", "change", "card", "reason", "bundle", "typedData", "abi"}
# Members that map data to data (contract names, languages, statuses): their keys are no names.
MAPS = {"contracts", "texts", "outbox"}


def _snake_names(value: Any, where: str = "$") -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if not CAMEL.match(str(key)) and not where.endswith(tuple(f".{m}" for m in MAPS)):
                yield f"{where}.{key}"
            if key not in DOCUMENTS:
                yield from _snake_names(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _snake_names(inner, f"{where}[{index}]")


def test_served_bodies_carry_only_camel_case_names(consortium: Consortium) -> None:
    b = consortium.partner_b
    project_id = api_project(consortium)
    contribution = api_contribution(consortium, b, project_id, "names")
    op = write(
        consortium,
        consortium.coordinator,
        f"/v1/contributions/{contribution}/endorsements",
        {"rating": 4},
    )
    bodies = [
        op,
        consortium.client.get(f"/v1/projects/{project_id}", headers=b.headers).json(),
        consortium.client.get(f"/v1/projects/{project_id}/policies", headers=b.headers).json(),
        consortium.client.get(f"/v1/projects/{project_id}/contributions", headers=b.headers).json(),
        consortium.client.get(f"/v1/projects/{project_id}/score", headers=b.headers).json(),
        consortium.client.get("/v1/chain", headers=b.headers).json(),
        consortium.client.get("/v1/operations", headers=b.headers).json(),
    ]

    wrong = [name for body in bodies for name in _snake_names(body)]

    assert wrong == []


def test_chain_lists_every_contract_with_release_domain_and_abi(consortium: Consortium) -> None:
    services = consortium.client.app.state.services  # type: ignore[attr-defined]
    chain = consortium.client.get("/v1/chain", headers=consortium.partner_b.headers).json()

    deployed = {c["name"]: c for c in chain["deployed"]}
    assert set(deployed) == set(chain["contracts"])
    ledger = deployed["PocLedger"]
    assert ledger["address"] == chain["contracts"]["PocLedger"] == services.chain.ledger_address
    assert ledger["version"] == services.chain.ledger.version()
    assert any(item.get("name") == "registerBySig" for item in ledger["abi"])
    assert ledger["domain"] == {
        "name": "PocLedger",
        "version": "1",
        "chainId": str(chain["chainId"]),
        "verifyingContract": ledger["address"],
    }
    vault = deployed["RoyaltyVault"]
    errors = {item["name"] for item in vault["abi"] if item["type"] == "error"}
    assert "VaultNoSplitInForce" in errors
    # The domain a client builds from /v1/chain is the one /prepare signs over.
    prepared = consortium.client.post(
        "/v1/partners/" + consortium.partner_b.address + "/identity/prepare",
        json={"name": "B", "companyNumber": "BE0123456789"},
        headers=consortium.partner_b.headers,
    ).json()
    assert prepared["typedData"]["domain"] == ledger["domain"]


def test_add_partner_by_a_key_of_another_partner_is_403_not_coordinator(
    consortium: Consortium,
) -> None:
    project_id = api_project(consortium, accept=False)

    response = consortium.client.post(
        f"/v1/projects/{project_id}/partners",
        json={"partner": consortium.outsider.address},
        headers=consortium.partner_b.headers,
    )

    assert response.status_code == 403
    assert response.json()["code"] == "not_coordinator"
