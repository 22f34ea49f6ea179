"""PostgreSQL stops under load and starts again; the API keeps running throughout.

The API (a uvicorn process, with the follower and the outbox worker) keeps its store on a
PostgreSQL server of the test's own (`tests.faults.postgres_cluster`), never on the shared test
server. Midway through a load the server is stopped at once (`pg_ctl stop -m immediate`: every
connection is cut, as in a crash). While it is down every write is refused with 503
`database_unavailable`, a stable code, a message and Retry-After (never a 500, never a
traceback in the log), and `/ready` says the database is unreachable. The server starts again;
the same API process, not restarted, accepts writes again, and every write it accepted, before,
during or after, is confirmed and on chain exactly once.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from scripts.bench_api import LiveStack
from tests.faults.postgres_cluster import PostgresCluster, private_postgres
from tests.faults.support import Load, api_log, assert_exactly_once, require_anvil

pytestmark = [
    pytest.mark.faults,
    pytest.mark.anvil,
    pytest.mark.slow,
    pytest.mark.postgresql,
    pytest.mark.timeout(600),
]

REFUSED = "http 503 database_unavailable"


def _ready(stack: LiveStack) -> httpx.Response:
    return httpx.get(f"{stack.base_url}/ready", timeout=30)


def _wait_ready(stack: LiveStack, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while (response := _ready(stack)).status_code != 200:
        assert time.monotonic() < deadline, f"not ready after the restart: {response.text}"
        time.sleep(0.5)


def test_postgres_restart_under_load_loses_nothing_accepted(tmp_path: Path) -> None:
    require_anvil()
    with private_postgres() as server:
        stack = LiveStack.start(
            tmp_path / "data", persist_delay=2.5, database_url=server.create_database("poc")
        )
        try:
            _restart_under_load(stack, server)
        finally:
            stack.stop()


def _restart_under_load(stack: LiveStack, server: PostgresCluster) -> None:
    assert stack.api_proc is not None
    api_pid = stack.api_proc.pid
    load = Load(stack)
    load.fire(150, after=50, fault=server.stop)  # the database dies under the load
    assert not server.running
    assert len(load.accepted) >= 50
    # The requests in flight when it died, and those after: refused, and said so.
    assert set(load.refused) == {REFUSED}, (load.refused, load.messages)

    # Down: every write refused with the stable code, nothing promised; the API stays up.
    down = Load(stack)
    down.fire(30)
    assert not down.accepted
    assert set(down.refused) == {REFUSED}, (down.refused, down.messages)
    assert down.messages[REFUSED]  # a message for people, not SQL
    assert "SELECT" not in down.messages[REFUSED] and "INSERT" not in down.messages[REFUSED]
    refused = httpx.post(
        f"{stack.base_url}/v1/projects/{stack.project_id}/contributions",
        json=stack.registration(0, "while down"),
        headers={"X-API-Key": stack.api_keys[0]},
        timeout=30,
    )
    assert refused.status_code == 503 and refused.headers.get("Retry-After")
    ready = _ready(stack)
    assert ready.status_code == 503
    assert "database_unavailable" in ready.json()["problemCodes"]
    assert ready.json()["databaseReachable"] is False
    assert stack.api_proc.poll() is None, "the API died with its database"

    # Back: the same process serves and accepts again, without a restart.
    server.start()
    _wait_ready(stack)
    after = load.fire(100)
    assert after == 100, (load.refused, load.messages)
    assert stack.api_proc is not None and stack.api_proc.pid == api_pid

    assert_exactly_once(stack, load)
    assert "Traceback" not in api_log(stack)
