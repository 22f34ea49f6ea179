"""The pages' Content-Security-Policy: scripts, styles and connections from this app only.

A partner types an API key and drops files into these pages; a script from another origin, or
a connection to one, could carry both away. The header is what the browser enforces, so the
test reads the served header of every page, directive by directive.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.routes import web
from api.settings import ApiSettings
from poc.wiring import create_app


def _directives(header: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0].lower()] = words[1:]
    return parsed


def test_pages_allow_scripts_and_connections_from_this_app_only(tmp_path: Path) -> None:
    app = create_app(ApiSettings(data_dir=tmp_path, start_workers=False))
    with TestClient(app) as client:
        for page in web.PAGES:
            response = client.get(page.path)
            assert response.status_code == 200, page.path
            csp = _directives(response.headers["content-security-policy"])
            assert csp["default-src"] == ["'self'"], (page.path, csp)
            # Where a directive is absent the browser falls back to default-src ('self').
            for directive in ("script-src", "connect-src", "style-src", "form-action"):
                assert csp.get(directive, ["'self'"]) == ["'self'"], (page.path, directive, csp)
            assert csp["object-src"] == ["'none'"], page.path
            assert csp["base-uri"] == ["'none'"], page.path
            assert csp["frame-ancestors"] == ["'none'"], page.path
