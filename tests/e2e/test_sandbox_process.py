"""`poc sandbox` as a user runs it: a real process, its printed keys, its HTTP API, signals.

Each start is bounded: ready within `READY_TIMEOUT`, stopped within `STOP_TIMEOUT` (see
tests/sandbox_process.py, which runs the process). The chain half of the sandbox is tested in
process in tests/poc/sandbox/test_sandbox.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from web3 import HTTPProvider, Web3

from ledger.errors import AnvilError
from poc.sandbox import demo
from poc.sandbox.anvil import AnvilProcess, find_anvil, free_port
from poc.sandbox.anvil_state import running_nodes
from tests import sandbox_process
from tests.sandbox_process import ANVIL_RE, Sandbox
from tests.sandbox_process import start_sandbox as _start

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# anvil's first dev key (public knowledge: the default test mnemonic).
ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
INDEX_TIMEOUT = 30.0


def _needs_anvil() -> None:
    try:
        find_anvil()
    except AnvilError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


def _contributions(sandbox: Sandbox) -> list[dict[str, Any]]:
    """The project's contributions once the index has all of the seed's."""
    deadline = time.monotonic() + INDEX_TIMEOUT
    while True:
        response = sandbox.get("/v1/projects/1/contributions?limit=100")
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        if len(items) >= len(demo.CONTRIBUTIONS) or time.monotonic() > deadline:
            assert len(items) == len(demo.CONTRIBUTIONS), items
            return items
        time.sleep(0.2)


def _port_closed(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, int(port))) != 0


@pytest.mark.anvil
@pytest.mark.timeout(300)
def test_sandbox_lifecycle_restart_keeps_chain_and_reset_starts_clean(
    tmp_path: Path, sandboxes: list[Sandbox]
) -> None:
    _needs_anvil()
    data = tmp_path / "data"

    # First start: deploy, seed, serve.
    first = _start(sandboxes, "--data-dir", str(data))
    first.wait_healthy()
    assert "Contracts deployed" in first.output
    assert len(first.keys) == len(demo.PARTNERS) + 2
    for partner in demo.PARTNERS:
        assert partner.name in first.output
    chain_info = first.get("/v1/chain").json()
    project = first.get("/v1/projects/1").json()
    assert project["inForce"] is True
    assert len(project["partners"]) == len(demo.PARTNERS)
    before = {c["contributionId"]: c for c in _contributions(first)}
    anvil_url = first.anvil_url
    w3 = Web3(HTTPProvider(anvil_url))
    head = int(w3.eth.block_number)
    hashes = [w3.eth.get_block(n)["hash"].to_0x_hex() for n in range(head + 1)]
    old_key = first.keys[0]

    # SIGTERM stops uvicorn and anvil (which saves its state), with exit status 0.
    assert first.stop(signal.SIGTERM) == 0
    assert "Chain stopped; its state is saved." in first.output
    assert _port_closed(anvil_url)
    assert _port_closed(first.url)

    # Restart: same contracts, same blocks, same contributions; fresh API keys.
    second = _start(sandboxes, "--data-dir", str(data))
    second.wait_healthy()
    assert "Contracts found" in second.output
    assert "Seeded" not in second.output
    assert second.get("/v1/chain").json()["contracts"] == chain_info["contracts"]
    assert second.get("/v1/chain").json()["genesisHash"] == chain_info["genesisHash"]
    after = {c["contributionId"]: c for c in _contributions(second)}
    assert after == before
    w3 = Web3(HTTPProvider(second.anvil_url))
    assert [w3.eth.get_block(n)["hash"].to_0x_hex() for n in range(head + 1)] == hashes
    for item in before.values():
        block = w3.eth.get_block(item["blockNumber"])
        assert block["hash"].to_0x_hex() == item["blockHash"]
    # Each start issues new keys and revokes the previous start's.
    assert second.keys[0] != old_key
    assert second.get("/v1/projects/1").status_code == 200
    assert second.get("/v1/projects/1", key=old_key).status_code == 401
    assert second.stop(signal.SIGINT) == 0

    # --reset wipes the data directory: a new chain, deployed and seeded afresh.
    third = _start(sandboxes, "--data-dir", str(data), "--reset")
    third.wait_healthy()
    assert f"Reset: wiped {data.resolve()}" in third.output
    assert "Contracts deployed" in third.output
    assert third.get("/v1/chain").json()["genesisHash"] != chain_info["genesisHash"]
    assert len(_contributions(third)) == len(demo.CONTRIBUTIONS)
    assert third.stop() == 0


def test_sandbox_memory_chain_needs_no_node_and_keeps_nothing(
    tmp_path: Path, sandboxes: list[Sandbox]
) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POC_")}
    # No node, npm or anvil reachable: PATH holds nothing and the anvil override points nowhere.
    env.update(PATH=str(empty_bin), POC_ANVIL_BIN=str(tmp_path / "no-anvil"))
    assert shutil.which("node", path=env["PATH"]) is None
    data = tmp_path / "never"
    sandbox = _start(sandboxes, "--chain", "memory", "--data-dir", str(data), env=env)
    sandbox.wait_healthy()
    assert "Nothing persists" in sandbox.lines[0]
    assert "anvil" not in sandbox.output.lower()
    assert len(_contributions(sandbox)) == len(demo.CONTRIBUTIONS)
    assert sandbox.stop(signal.SIGTERM) == 0
    assert not data.exists()


def test_sandbox_busy_port_fails_fast_and_starts_nothing(
    tmp_path: Path, sandboxes: list[Sandbox]
) -> None:
    data = tmp_path / "d"
    # A user's other server already listens on the port.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        sandbox = _start(sandboxes, "--data-dir", str(data), port=port)
        code = sandbox.stop_when_exited()
    assert code == 1, sandbox.output
    assert f"cannot listen on 127.0.0.1:{port}" in sandbox.output
    assert "--port" in sandbox.output
    assert "Chain:" not in sandbox.output
    assert not data.exists()


@pytest.mark.anvil
@pytest.mark.timeout(300)
def test_sandbox_on_external_node_deploys_once_and_leaves_node_running(
    tmp_path: Path, sandboxes: list[Sandbox]
) -> None:
    _needs_anvil()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POC_")}
    env["POC_PRIVATE_KEY"] = ANVIL_KEY_0
    data = tmp_path / "data-external"
    # Someone else's node: the sandbox neither starts nor stops it.
    with AnvilProcess(tmp_path / "node", persist=False) as node:
        first = _start(sandboxes, "--rpc-url", node.url, "--data-dir", str(data), env=env)
        first.wait_healthy()
        assert f"Chain: external node {node.url}" in first.output
        assert "Contracts deployed" in first.output
        before = _contributions(first)
        assert first.stop() == 0
        assert "Chain stopped" not in first.output
        assert node.running

        second = _start(sandboxes, "--rpc-url", node.url, "--data-dir", str(data), env=env)
        second.wait_healthy()
        assert "Contracts found" in second.output
        assert _contributions(second) == before
        assert second.stop() == 0

    # The same data directory on another chain is refused, not silently redeployed.
    with AnvilProcess(tmp_path / "other", persist=False) as other:
        third = _start(sandboxes, "--rpc-url", other.url, "--data-dir", str(data), env=env)
        assert third.stop_when_exited() == 1
        assert "does not match this node" in third.output


@pytest.mark.anvil
@pytest.mark.timeout(300)
def test_sandbox_stopped_during_start_stops_anvil_and_resumes(
    tmp_path: Path, sandboxes: list[Sandbox]
) -> None:
    _needs_anvil()
    data = tmp_path / "data"
    first = _start(sandboxes, "--data-dir", str(data))
    deadline = time.monotonic() + sandbox_process.READY_TIMEOUT
    while not ANVIL_RE.search(first.output):
        assert time.monotonic() < deadline, first.output
        assert first.proc.poll() is None, first.output
        time.sleep(0.01)
    # Deploying or seeding now: a stop must still end anvil cleanly.
    assert first.stop(signal.SIGTERM) == 0
    assert _port_closed(first.anvil_url)
    assert "Chain stopped; its state is saved." in first.output

    second = _start(sandboxes, "--data-dir", str(data))
    second.wait_healthy()
    assert len(_contributions(second)) == len(demo.CONTRIBUTIONS)
    assert second.stop() == 0


def _wait_no_node(chain_dir: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while running_nodes(chain_dir):
        assert time.monotonic() < deadline, f"anvil {running_nodes(chain_dir)} is still running"
        time.sleep(0.1)


@pytest.mark.anvil
@pytest.mark.timeout(300)
def test_kill_9_of_sandbox_leaves_no_anvil_running(
    tmp_path: Path, sandboxes: list[Sandbox]
) -> None:
    _needs_anvil()
    data = tmp_path / "data"
    sandbox = _start(sandboxes, "--data-dir", str(data))
    sandbox.wait_healthy()
    (node,) = running_nodes(data / "chain")
    anvil_url = sandbox.anvil_url

    sandbox.proc.kill()  # SIGKILL: no handler, no `finally`, no atexit runs in the sandbox
    assert sandbox.proc.wait(10) == -signal.SIGKILL

    _wait_no_node(data / "chain")
    cmdline = Path(f"/proc/{node}/cmdline")
    assert not cmdline.exists() or not cmdline.read_bytes()  # gone (or a zombie of init's)
    assert _port_closed(anvil_url)


@pytest.mark.anvil
@pytest.mark.timeout(300)
def test_sandbox_start_stops_a_node_an_earlier_run_left_on_its_data_dir(
    tmp_path: Path, sandboxes: list[Sandbox]
) -> None:
    _needs_anvil()
    data = tmp_path / "data"
    first = _start(sandboxes, "--data-dir", str(data))
    first.wait_healthy()
    before = {c["contributionId"]: c for c in _contributions(first)}
    assert first.stop() == 0
    # What an earlier version left behind after a kill -9: anvil still running on the state
    # file, owned by nobody (started here by hand, in a session of its own).
    state = data / "chain" / "anvil-state.json"
    leftover = subprocess.Popen(
        [str(find_anvil()), "--port", str(free_port()), "--state", str(state)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while running_nodes(data / "chain") != [leftover.pid]:
            assert time.monotonic() < deadline, "the hand-started anvil did not come up"
            time.sleep(0.1)

        second = _start(sandboxes, "--data-dir", str(data))
        second.wait_healthy()

        assert leftover.wait(30) is not None
        assert (
            f"Chain: anvil (pid {leftover.pid}) of an earlier run is still running on {state}; "
            "stopping it (it writes its state first)"
        ) in second.output
        assert "Contracts found" in second.output
        assert {c["contributionId"]: c for c in _contributions(second)} == before
        (node,) = running_nodes(data / "chain")
        assert node != leftover.pid
        assert second.stop() == 0
    finally:
        if leftover.poll() is None:
            leftover.kill()
