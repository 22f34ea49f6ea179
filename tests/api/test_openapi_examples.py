"""The OpenAPI document is complete: every component schema carries examples that validate
against it (its `$ref`s resolved in the document), example addresses are EIP-55 and hashes
lowercase hex as the API writes them, and every operation and parameter is described.

Enum components (e.g. `OpStatus`) are the exception to "has examples": their `enum` list
already names every value, and the schema comes from `ledger`, which knows nothing of OpenAPI.

FastAPI drops every `null` from the document it generates (fastapi/fastapi#5559), which would
strip required nullable fields from examples; `api/app.py` puts the declared examples back, and
a test checks that the served examples are the declared ones, so checking the declared examples
checks what clients see.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from pydantic import BaseModel, ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

import api.routes
import api.schemas
from api.errors import ERROR_RESPONSES
from ledger.domain.values import checksum

DOCUMENT_URI = "urn:poc-ledger:openapi"
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
BYTES32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
# Public routes outside /v1 answer without a key, so the shared error responses do not apply.
UNAUTHENTICATED = {"/health", "/ready"}


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def _components(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = document["components"]["schemas"]
    return schemas


def _models() -> dict[str, type[BaseModel]]:
    """The API's pydantic models by component name: the class name, and the module-qualified
    name FastAPI gives two models of the same name (`api__schemas__partners__PartnerPublic`)."""
    names = ["api.errors"] + [
        f"{package.__name__}.{m.name}"
        for package in (api.schemas, api.routes)
        for m in pkgutil.iter_modules(package.__path__)
    ]
    models: dict[str, type[BaseModel]] = {}
    for name in names:
        for value in vars(importlib.import_module(name)).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == name
            ):
                models[value.__name__] = value
                models[f"{name.replace('.', '__')}__{value.__name__}"] = value
    return models


def _declared_examples(document: dict[str, Any]) -> dict[str, list[Any]]:
    """Each non-enum component's examples as its model declares them (nulls kept)."""
    models = _models()
    examples = {}
    for name, schema in _components(document).items():
        if "enum" in schema:
            continue
        assert name in models, f"component {name} has no model in api/"
        examples[name] = models[name].model_json_schema().get("examples", [])
    return examples


def _validator(document: dict[str, Any], name: str) -> Draft202012Validator:
    registry: Registry[Any] = Registry().with_resource(
        DOCUMENT_URI, DRAFT202012.create_resource(document)
    )
    return Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#/components/schemas/{name}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included (openings are keyed by contribution id)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def test_openapi_every_component_schema_has_examples(document: dict[str, Any]) -> None:
    missing = [
        name
        for name, schema in _components(document).items()
        if not schema.get("examples") and "enum" not in schema
    ]

    assert missing == []


def test_openapi_examples_validate_against_their_schema(document: dict[str, Any]) -> None:
    problems = []
    for name, examples in _declared_examples(document).items():
        validator = _validator(document, name)
        for index, example in enumerate(examples):
            problems += [
                f"{name} example {index}: {error.json_path}: {error.message}"
                for error in validator.iter_errors(example)
            ]

    assert problems == []


def test_openapi_examples_are_accepted_by_their_models(document: dict[str, Any]) -> None:
    # The schema cannot say everything a model checks (e.g. an address's EIP-55 checksum).
    models = _models()
    problems = []
    for name, examples in _declared_examples(document).items():
        for index, example in enumerate(examples):
            try:
                models[name].model_validate(example)
            except ValidationError as exc:
                problems.append(f"{name} example {index}: {exc}")

    assert problems == []


def test_openapi_examples_write_addresses_and_hashes_as_the_api_does(
    document: dict[str, Any],
) -> None:
    problems = []
    for name, examples in _declared_examples(document).items():
        for value in _strings(examples):
            if ADDRESS.match(value) and value != checksum(value):
                problems.append(f"{name}: {value} is not EIP-55 ({checksum(value)})")
            if BYTES32.match(value) and value != value.lower():
                problems.append(f"{name}: {value} is not lowercase hex")

    assert problems == []


def test_openapi_validation_finds_a_wrong_example(document: dict[str, Any]) -> None:
    # The check above is only as good as the resolution of nested `$ref`s: a page whose item
    # lacks a required field must fail.
    page = _declared_examples(document)["ContributionPage"][0]
    item = {k: v for k, v in page["items"][0].items() if k != "contributor"}

    errors = list(_validator(document, "ContributionPage").iter_errors({**page, "items": [item]}))

    assert [e.message for e in errors] == ["'contributor' is a required property"]


def test_openapi_served_examples_are_the_declared_ones(document: dict[str, Any]) -> None:
    served = {
        name: schema.get("examples", [])
        for name, schema in _components(document).items()
        if "enum" not in schema
    }

    assert served == _declared_examples(document)


def test_openapi_every_operation_has_summary_and_description(document: dict[str, Any]) -> None:
    undocumented = [
        f"{method} {path}"
        for path, method, operation in _operations(document)
        if not operation.get("summary") or not operation.get("description")
    ]

    assert undocumented == []


def test_openapi_every_parameter_is_described(document: dict[str, Any]) -> None:
    undescribed = [
        f"{method} {path} {parameter['name']}"
        for path, method, operation in _operations(document)
        for parameter in operation.get("parameters", [])
        if not parameter.get("description")
    ]

    assert undescribed == []


def test_openapi_authenticated_operations_document_error_responses(
    document: dict[str, Any],
) -> None:
    expected = {str(status) for status in ERROR_RESPONSES}
    error_body = {"$ref": "#/components/schemas/ErrorBody"}
    gaps = []
    for path, method, operation in _operations(document):
        if path in UNAUTHENTICATED:
            continue
        responses = operation["responses"]
        if missing := sorted(expected - responses.keys()):
            gaps.append(f"{method} {path}: no {', '.join(missing)}")
        for status in expected & responses.keys():
            schema = responses[status].get("content", {}).get("application/json", {}).get("schema")
            if schema != error_body:
                gaps.append(f"{method} {path}: {status} is not an ErrorBody")

    assert gaps == []
