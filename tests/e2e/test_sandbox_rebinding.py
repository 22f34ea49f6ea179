"""The sandbox against web pages of other sites (issue 12, item 6): DNS rebinding, cross-site
requests to its helpers, and the admin key.

A page on a rebinding domain (evil.example resolving to 127.0.0.1) talks to the sandbox as its
own origin: the TCP peer is local, only the Host header names the attacker's domain. These
tests send exactly such requests to a real `poc sandbox --chain memory` process: every page,
helper and API route must refuse them. A page of another local site cannot read the sandbox's
pages, so it cannot know their token: helpers refuse requests without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from poc.sandbox import demo
from tests.sandbox_process import Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    data = tmp_path_factory.mktemp("rebinding") / "data"
    running = Sandbox("--chain", "memory", "--data-dir", str(data))
    try:
        running.wait_healthy()
        yield running
    finally:
        running.stop()


def _token(sandbox: Sandbox) -> str:
    """This start's page token, read from a page the sandbox serves (as its own pages do)."""
    page = httpx.get(f"{sandbox.url}/", timeout=10)
    assert page.status_code == 200, page.text
    found = re.search(r'data-sandbox-token="([^"]+)"', page.text)
    assert found, "the page carries no token"
    return found.group(1)


def _demo(sandbox: Sandbox) -> dict[str, Any]:
    response = httpx.get(
        f"{sandbox.url}/sandbox/demo", headers={"X-Sandbox-Token": _token(sandbox)}, timeout=10
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _head(sandbox: Sandbox) -> int:
    head: int = sandbox.get("/v1/chain").json()["headBlock"]
    return head


def _hosts_of_other_sites(port: int) -> list[str]:
    return [
        "evil.example",
        f"evil.example:{port}",
        f"127.0.0.1.nip.io:{port}",  # resolves to 127.0.0.1: a rebinding-style name
        f"7f000001.rbndr.us:{port}",
        f"localhost.evil.example:{port}",
        f"localhost:{port + 1}",  # ours by name, another port: not what our pages send
        "127.0.0.1",  # no port: not what a browser sends to a port other than 80
        "",
    ]


def test_requests_naming_another_host_get_nothing(sandbox: Sandbox) -> None:
    token = _token(sandbox)
    document = Path(demo.CONTRIBUTIONS[0].file_name).name
    paths = [
        "/",
        "/partner",
        "/sandbox/demo",
        f"/sandbox/documents/{document}",
        "/v1/projects/1",
        "/v1/chain",
        "/health",
        "/docs",
        "/openapi.json",
        "/static/js/api.js",
    ]
    keys = sandbox.keys
    for host in _hosts_of_other_sites(sandbox.port):
        # Everything a rebinding page could send, token and key included: still nothing.
        headers = {"Host": host, "X-Sandbox-Token": token, "X-API-Key": keys[0]}
        for path in paths:
            response = httpx.get(f"{sandbox.url}{path}", headers=headers, timeout=10)
            assert response.status_code == 403, (host, path, response.status_code)
            assert response.json()["code"] == "host_not_allowed", (host, path)
            assert not any(key in response.text for key in keys), (host, path)
            assert token not in response.text
        before = _head(sandbox)
        clock = httpx.post(
            f"{sandbox.url}/sandbox/clock", json={"days": 30}, headers=headers, timeout=10
        )
        reset = httpx.post(
            f"{sandbox.url}/sandbox/reset", json={"confirm": True}, headers=headers, timeout=10
        )
        assert (clock.status_code, reset.status_code) == (403, 403), host
        assert {clock.json()["code"], reset.json()["code"]} == {"host_not_allowed"}
        assert _head(sandbox) == before  # the clock did not move (it mines a block)
    assert _token(sandbox) == token  # no reset: the same start serves
    assert sandbox.proc.poll() is None


def test_requests_naming_the_sandbox_are_served(sandbox: Sandbox) -> None:
    for host in (
        f"127.0.0.1:{sandbox.port}",
        f"localhost:{sandbox.port}",
        f"LocalHost:{sandbox.port}",
    ):
        response = httpx.get(f"{sandbox.url}/", headers={"Host": host}, timeout=10)
        assert response.status_code == 200, host


def test_helpers_without_the_page_token_are_refused(sandbox: Sandbox) -> None:
    token = _token(sandbox)
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "/sandbox/demo", None),
        ("POST", "/sandbox/clock", {"days": 30}),
        ("POST", "/sandbox/reset", {"confirm": True}),
    ]
    before = _head(sandbox)
    for method, path, body in calls:
        for headers in ({}, {"X-Sandbox-Token": ""}, {"X-Sandbox-Token": token[:-1] + "x"}):
            response = httpx.request(
                method, f"{sandbox.url}{path}", json=body, headers=headers, timeout=10
            )
            assert response.status_code == 403, (path, headers)
            assert response.json()["code"] == "sandbox_token_required", (path, headers)
            assert not any(key in response.text for key in sandbox.keys)
    assert _head(sandbox) == before
    assert _token(sandbox) == token

    # The same helper with the page's token: the clock moves (a block is mined).
    moved = httpx.post(
        f"{sandbox.url}/sandbox/clock",
        json={"days": 1},
        headers={"X-Sandbox-Token": token},
        timeout=10,
    )
    assert moved.status_code == 200, moved.text
    assert _head(sandbox) == before + 1


def test_demo_and_pages_never_hand_out_the_admin_key(sandbox: Sandbox) -> None:
    admin_key = sandbox.keys[-1]  # the banner prints the admin last, on the terminal only
    assert "role admin" in sandbox.output
    data = _demo(sandbox)

    assert {person["role"] for person in data["people"]} == {"coordinator", "partner", "auditor"}
    assert len(data["people"]) == len(demo.PARTNERS) + 1
    response = httpx.get(
        f"{sandbox.url}/sandbox/demo", headers={"X-Sandbox-Token": _token(sandbox)}, timeout=10
    )
    assert admin_key not in response.text
    for page in ("/", "/partner", "/project", "/lawyer"):
        assert admin_key not in httpx.get(f"{sandbox.url}{page}", timeout=10).text
    # The partners' keys are there: the pages act as a partner with them.
    assert {p["apiKey"] for p in data["people"]} == set(sandbox.keys[:-1])
