"""The API's surface does not change by accident: its OpenAPI paths and methods, and the routes
outside the schema (pages, sandbox helpers), against the committed `openapi_paths.json`.

A deliberate change of the API updates the snapshot in the same commit:

    .venv/bin/python -m tests.api.test_openapi_paths > tests/api/openapi_paths.json
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from api.settings import ApiSettings
from poc.wiring import create_app

SNAPSHOT = Path(__file__).with_name("openapi_paths.json")


def surface(app: FastAPI) -> dict[str, list[str]]:
    """ "METHOD path" of every operation in the OpenAPI document, and of every route the app
    serves outside it (HEAD and the documentation's own routes left out)."""
    documented = sorted(
        f"{method.upper()} {path}"
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    )
    client = app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url
    served: set[str] = set()
    # Included routers are resolved lazily; their routes are listed by `iter_route_contexts`.
    for route in iter_route_contexts(app.routes):
        path = route.path
        if path is None or path in client:
            continue
        methods = getattr(route, "methods", None) or {"MOUNT"}
        served.update(f"{method} {path}" for method in methods if method != "HEAD")
    undocumented = sorted(served - set(documented))
    return {"openapi": documented, "other": undocumented}


def current() -> dict[str, Any]:
    """The surface of an app without a chain, plain and as the sandbox serves it."""
    snapshot: dict[str, Any] = {}
    for name, sandbox in (("app", False), ("sandbox", True)):
        with tempfile.TemporaryDirectory() as tmp:
            snapshot[name] = surface(create_app(ApiSettings(data_dir=Path(tmp), sandbox=sandbox)))
    return snapshot


def test_api_surface_matches_the_snapshot() -> None:
    expected = json.loads(SNAPSHOT.read_text())

    assert current() == expected, (
        "the API's routes changed; if that is intended, regenerate tests/api/openapi_paths.json "
        "(see this module's docstring)"
    )


if __name__ == "__main__":
    json.dump(current(), sys.stdout, indent=2)
    sys.stdout.write("\n")
