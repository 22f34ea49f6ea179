"""The split: one background process owning the workspaces' nodes, two API processes serving
the public port (docs/hosting.md, "Processes"), all real processes started as an operator
starts them. Requests of one workspace alternate between the API processes; what one does
(a write, a clock move, a reset, a wipe) the other sees; a node stopped idle comes back at its
URL with its state; an API process killed with SIGKILL loses no write it accepted; the
control API wants its secret and is not reachable through the public port."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from api.schemas.contributions import RegistrationFields
from ledger.domain.hashing import commitment, new_salt, sha256_bytes
from poc.hosting.control import CONTROL_HEADER
from tests.poc.hosting.split_support import Session, SplitHost, make_split_host, session_of
from tests.poc.hosting.support import new_slug, postgres_platform_url

pytestmark = [pytest.mark.anvil, pytest.mark.timeout(900)]

DAY = 24 * 3600
T = TypeVar("T")


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SplitHost]:
    urls = postgres_platform_url()
    url = next(urls)
    tmp: Path = tmp_path_factory.mktemp("split")
    host = make_split_host(tmp, url or f"sqlite:///{(tmp / 'platform.sqlite3').as_posix()}")
    try:
        host.start()
        yield host
    finally:
        host.stop()
        next(urls, None)


def eventually(check: Callable[[], T | None], timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.1)


def chain_time(client: httpx.Client, ws: Session) -> int:
    response = client.get("/hosted/api/status", headers=ws.session_headers)
    assert response.status_code == 200, response.text
    return int(response.json()["chainTime"])


def registration(ws: Session, project: int, text: str, label: str = "leievlas") -> dict[str, Any]:
    content = sha256_bytes(text.encode())
    return RegistrationFields(
        commitment="0x" + commitment(ws.addresses[label], project, content, new_salt()).hex(),
        origin="result",
        category=0,
        value=7,
    ).model_dump(mode="json", exclude_none=True)


def confirmed(client: httpx.Client, ws: Session, operation: dict[str, Any]) -> dict[str, Any]:
    """The operation once the background process has sent it and it is confirmed."""

    def done() -> dict[str, Any] | None:
        response = client.get(operation["statusUrl"], headers=ws.key_headers())
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body["status"] != "failed", body
        return body if body["status"] == "confirmed" else None

    return eventually(done)


def test_cycle_alternates_between_the_api_processes(split: SplitHost) -> None:
    ws = split.join(new_slug("alt"), via=0)
    with split.client(0, ws.slug) as a, split.client(1, ws.slug) as b:
        status = b.get("/hosted/api/status", headers=ws.session_headers).json()
        project = int(status["projectId"])
        # Registered through A, read through B.
        accepted = a.post(
            f"/v1/projects/{project}/contributions",
            json=registration(ws, project, "batch 1"),
            headers=ws.key_headers(),
        )
        assert accepted.status_code == 202, accepted.text
        contribution = confirmed(b, ws, accepted.json())["resourceId"]
        eventually(
            lambda: (
                b.get(f"/v1/contributions/{contribution}", headers=ws.key_headers()).status_code
                == 200
            )
        )
        # A prepares a signature (which refreshes its lead of chain time over wall time), B
        # moves the clock past a custodial deadline's 30 days, A writes at once: A dates the
        # write by the chain's new time, not by the lead it cached, so it is not refused for
        # its deadline.
        before = chain_time(a, ws)
        warm = a.post(
            f"/v1/projects/{project}/contributions/prepare",
            json=registration(ws, project, "batch 2"),
            headers=ws.key_headers(),
        )
        assert warm.status_code == 200, warm.text
        moved = b.post("/hosted/clock", json={"days": 40}, headers=ws.session_headers)
        assert moved.status_code == 200, moved.text
        endorsed = a.post(
            f"/v1/contributions/{contribution}/endorsements",
            json={"rating": 4},
            headers=ws.key_headers("unikortrijk"),
        )
        assert endorsed.status_code == 202, endorsed.text
        assert chain_time(a, ws) >= before + 40 * DAY
        confirmed(b, ws, endorsed.json())


def test_reset_through_one_api_process_is_seen_by_the_other(split: SplitHost) -> None:
    ws = split.join(new_slug("reset"), via=0)
    with split.client(0, ws.slug) as a, split.client(1, ws.slug) as b:
        seeded = b.get("/hosted/api/status", headers=ws.session_headers).json()
        assert seeded["generation"] == 0
        moved = b.post("/hosted/clock", json={"days": 50}, headers=ws.session_headers)
        assert moved.status_code == 200
        assert b.get("/v1/me", headers=ws.key_headers()).status_code == 200
        answer = a.post("/hosted/reset", json={}, headers=ws.session_headers)
        assert answer.status_code == 200, answer.text
        fresh = session_of(ws.slug, {"keys": answer.json()}, ws)
        assert fresh.keys["leievlas"] != ws.keys["leievlas"]
        # B drops what it built on the old data within a second (its cache of the
        # workspace's row): the old key is unknown there, the new one works, the clock is back.
        eventually(lambda: b.get("/v1/me", headers=ws.key_headers()).status_code == 401, timeout=5)
        me = b.get("/v1/me", headers=fresh.key_headers())
        assert me.status_code == 200, me.text
        status = b.get("/hosted/api/status", headers=ws.session_headers).json()
        assert status["chainTime"] < time.time() + DAY
        assert status["contributions"] == seeded["contributions"]
        assert a.get("/v1/me", headers=ws.key_headers()).status_code == 401


def test_wipe_through_one_api_process_is_seen_by_the_other(split: SplitHost) -> None:
    ws = split.join(new_slug("wipe"), via=1)
    with split.client(0, ws.slug) as a, split.client(1, ws.slug) as b:
        assert a.get("/v1/me", headers=ws.key_headers()).status_code == 200
        with split.client(0) as operator:
            wiped = operator.post(
                f"/operator/api/workspaces/{ws.slug}/wipe", headers=split.operator_headers
            )
        assert wiped.status_code == 200, wiped.text
        for client in (a, b):
            for headers in (ws.key_headers(), ws.session_headers):
                refused = client.get("/v1/me", headers=headers)
                assert refused.status_code == 401, refused.text
        assert not (split.data_dir / "workspaces" / ws.slug).exists()


def test_stopped_node_starts_again_at_its_url_with_its_state(split: SplitHost) -> None:
    ws = split.join(new_slug("idle"), via=1)
    control = {CONTROL_HEADER: split.secret}
    with split.client(0, ws.slug) as a, split.client(1, ws.slug) as b:
        moved = b.post("/hosted/clock", json={"days": 45}, headers=ws.session_headers)
        assert moved.status_code == 200
        moved_to = int(moved.json()["chainTime"])
        url = httpx.post(
            f"{split.control_url}/control/workspaces/{ws.slug}/ensure", headers=control
        ).json()["rpcUrl"]
        stopped = httpx.post(
            f"{split.control_url}/control/workspaces/{ws.slug}/stop", headers=control
        )
        assert stopped.json() == {"stopped": True}
        with pytest.raises(httpx.ConnectError):
            httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
        # An API process uses the node it was told of for up to twice activity_seconds (the
        # background process stops none sooner after it was asked for, but the explicit stop
        # of a suspension); then its next request waits for the node and finds it stopped.
        time.sleep(1.2)
        # The next request starts it again: the same URL, its clock and keys as they were.
        assert moved_to <= chain_time(a, ws) < moved_to + 3600
        assert b.get("/v1/me", headers=ws.key_headers()).status_code == 200
        again = httpx.post(
            f"{split.control_url}/control/workspaces/{ws.slug}/ensure", headers=control
        ).json()
        assert again["rpcUrl"] == url


def test_control_api_refuses_requests_without_its_secret(split: SplitHost) -> None:
    slug = new_slug("ctl")
    with split.client(0) as platform:
        invited = platform.post(
            "/operator/api/workspaces",
            json={"slug": slug, "ownerName": "SME", "ownerEmail": "sme@x.example"},
            headers=split.operator_headers,
        )
    assert invited.status_code == 201
    ensure = f"/control/workspaces/{slug}/ensure"
    for headers in ({}, {CONTROL_HEADER: "0" * 64}, {CONTROL_HEADER: split.secret[:-1]}):
        refused = httpx.post(f"{split.control_url}{ensure}", headers=headers)
        assert refused.status_code == 401 and refused.json()["code"] == "control_refused"
    # Through the public port, even with the secret, there is no control API.
    with split.client(1) as platform, split.client(1, slug) as workspace:
        by_platform = platform.post(ensure, headers={CONTROL_HEADER: split.secret})
        assert by_platform.status_code == 404
        by_prefix = platform.post(f"/w/{slug}{ensure}", headers={CONTROL_HEADER: split.secret})
        assert by_prefix.status_code == 401
        by_origin = workspace.post(ensure, headers={CONTROL_HEADER: split.secret})
        assert by_origin.status_code == 401
        assert by_origin.json()["code"] == "workspace_sign_in_required"
    # Nothing was started for the workspace.
    assert not (split.data_dir / "workspaces" / slug).exists()
    # A wiped or unknown workspace is never started, even with the secret.
    unknown = httpx.post(
        f"{split.control_url}/control/workspaces/{new_slug('none')}/ensure",
        headers={CONTROL_HEADER: split.secret},
    )
    assert unknown.status_code == 404


def test_killed_api_process_loses_no_accepted_write(split: SplitHost) -> None:
    ws = split.join(new_slug("kill"), via=0)
    with split.client(0, ws.slug) as a:
        project = int(a.get("/hosted/api/status", headers=ws.session_headers).json()["projectId"])
        accepted = []
        for n in range(5):
            response = a.post(
                f"/v1/projects/{project}/contributions",
                json=registration(ws, project, f"killed batch {n}"),
                headers=ws.key_headers(),
            )
            assert response.status_code == 202, response.text
            accepted.append(response.json())
    split.kill_api(0)
    try:
        with split.client(1, ws.slug) as b:
            for operation in accepted:
                confirmed(b, ws, operation)
    finally:
        split.start_api(0)
        split.wait_api(0)
