"""kill -9 of the API during a load, and of both processes restarted API first.

The API's own fault test (`tests/api/test_faults.py`) kills the node, then the API, and
restarts the node first; these cover the other cases: the API alone dying mid-load, and both
dying with the API restarted while the node is still down (it starts, accepts writes into the
outbox, and sends them once the node is back and checked against the deployment record).
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from poc.sandbox.anvil import AnvilProcess
from scripts.bench_api import LiveStack
from tests.databases import DatabaseUnderTest
from tests.faults.support import Load, api_log, assert_exactly_once, require_anvil

pytestmark = [pytest.mark.faults, pytest.mark.anvil, pytest.mark.slow, pytest.mark.timeout(420)]


def test_kill_api_during_load_loses_nothing(stack: LiveStack) -> None:
    load = Load(stack)
    load.fire(150, after=50, fault=stack.kill_api)
    assert sum(load.refused.values()) > 0, "the kill came after the load"
    stack.start_api()
    load.fire(50)

    assert_exactly_once(stack, load)
    assert len(load.accepted) >= 100


def test_kill_background_process_during_load_loses_nothing(
    tmp_path: Path, database: DatabaseUnderTest
) -> None:
    """Follower and worker in `python -m poc.background`, API processes only serving: the
    API keeps accepting while the background process is dead, and nothing is sent twice."""
    require_anvil()
    live = LiveStack.start(
        tmp_path / "data",
        persist_delay=2.5,
        background_process=True,
        database_url=database.server_url,
    )
    try:
        load = Load(live)
        load.fire(150, after=50, fault=live.kill_background)
        assert live.background_proc is None
        assert not load.refused, load.refused  # the API process never stopped accepting
        load.fire(30)  # accepted into the outbox with nobody sending
        live.start_background()

        assert_exactly_once(live, load)
        assert len(load.accepted) == 180
    finally:
        live.stop()


# What fails here is the chain node; the store's part is the same as in the tests above,
# which run on PostgreSQL too (the suite's time budget keeps this one on SQLite).
@pytest.mark.databases("sqlite")
def test_restart_api_before_node_serves_and_accepts_then_drains(stack: LiveStack) -> None:
    load = Load(stack)
    load.fire(150, after=50, fault=stack.node.kill)  # the node dies under the load
    stack.kill_api()  # then the API, with writes still in its outbox

    # The API starts while the node is down: alive, not ready (saying why), reads from the
    # index, writes into the outbox; nothing is sent before the node is back and checked.
    stack.start_api(timeout=90)
    ready = httpx.get(f"{stack.base_url}/ready", timeout=10)
    assert ready.status_code == 503, ready.text
    problems = " ".join(ready.json()["problems"])
    assert "chain_unavailable: cannot check the deployment against the node" in problems
    assert "cannot reach the node" in problems
    assert ready.json()["problemCodes"] == ["chain_unavailable"]
    headers = {"X-API-Key": stack.api_keys[0]}
    project = httpx.get(
        f"{stack.base_url}/v1/projects/{stack.project_id}", headers=headers, timeout=10
    )
    assert project.status_code == 200, project.text
    accepted = len(load.accepted)
    load.fire(30)
    assert len(load.accepted) == accepted + 30, dict(load.refused)
    assert "Traceback" not in api_log(stack)

    stack.node.start()
    load.fire(50)
    assert_exactly_once(stack, load)
    assert len(load.accepted) >= 130
    deadline = time.monotonic() + 60
    while httpx.get(f"{stack.base_url}/ready", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the API did not become ready with the node back"
        time.sleep(0.5)


# What fails here is the chain node; the store's part is the same as in the tests above,
# which run on PostgreSQL too (the suite's time budget keeps this one on SQLite).
@pytest.mark.databases("sqlite")
def test_api_started_without_node_sends_nothing_to_another_chain(stack: LiveStack) -> None:
    load = Load(stack)
    load.fire(150, after=50, fault=stack.node.kill)
    stack.kill_api()
    stack.start_api(timeout=90)
    assert load.accepted

    # Another chain answers at the node's address (a fresh anvil: same chain id, another
    # genesis). The deployment check fails against it: nothing is sent there, and writes are
    # refused rather than promised.
    other = AnvilProcess(stack.data_dir.parent / "other-anvil", port=stack.node.port, persist=False)
    other.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            ready = httpx.get(f"{stack.base_url}/ready", timeout=10)
            problems = " ".join(ready.json()["problems"])
            if "the node is not the deployment's chain" in problems:
                break
            assert time.monotonic() < deadline, problems
            time.sleep(0.5)
        assert ready.status_code == 503
        assert "genesis" in problems, problems
        refused = Load(stack)
        refused.fire(5, clients=1)
        assert not refused.accepted
        assert set(refused.refused) == {"http 503 chain_unavailable"}, refused.refused
        assert "not the deployment's chain" in refused.messages["http 503 chain_unavailable"]
        time.sleep(2)  # what a worker would have sent by now
        assert (
            httpx.post(
                other.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"}
            ).json()["result"]
            == "0x0"
        ), "a transaction reached the other chain"
    finally:
        other.stop()

    stack.node.start()  # the right node is back: the check passes, the outbox drains
    assert_exactly_once(stack, load)
