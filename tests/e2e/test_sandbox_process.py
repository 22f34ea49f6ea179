"""`poc sandbox` as a user runs it: a real process, its printed keys, its HTTP API, signals.

Each start is bounded: ready within `READY_TIMEOUT`, stopped within `STOP_TIMEOUT`. The chain
half of the sandbox is tested in process in tests/ledger/test_sandbox.py.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from web3 import HTTPProvider, Web3

from ledger.errors import AnvilError
from poc.sandbox import demo
from poc.sandbox.anvil import AnvilProcess, find_anvil, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# anvil's first dev key (public knowledge: the default test mnemonic).
ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
# A start takes 3-4 s on an idle laptop-class machine (README); these bounds are generous
# because the suite runs many chains in parallel and a loaded machine is several times slower.
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 20.0
INDEX_TIMEOUT = 30.0

_KEY_RE = re.compile(r"api key (poc_\S+)")
_ANVIL_RE = re.compile(r"Chain: anvil at (http://127\.0\.0\.1:\d+)")


def _poc() -> list[str]:
    script = Path(sys.executable).with_name("poc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "poc"]


class Sandbox:
    """One `poc sandbox` process; its output is collected line by line as it comes."""

    def __init__(
        self, *args: str, env: dict[str, str] | None = None, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            [*_poc(), "sandbox", "--port", str(self.port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("Ready in"):
                self._ready.set()
        self._ready.set()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_healthy(self) -> float:
        """Seconds from the command to the first 200 from /health."""
        deadline = self.started_at + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"sandbox exited with {self.proc.returncode}:\n{self.output}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    elapsed = time.monotonic() - self.started_at
                    # The banner follows uvicorn's start within moments.
                    assert self._ready.wait(5.0), self.output
                    print(f"/health answered {elapsed:.1f} s after the command")
                    return elapsed
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"/health did not answer within {READY_TIMEOUT} s:\n{self.output}")

    @property
    def keys(self) -> list[str]:
        """The API keys printed, in banner order (coordinator first, admin last)."""
        return _KEY_RE.findall(self.output)

    @property
    def anvil_url(self) -> str:
        match = _ANVIL_RE.search(self.output)
        assert match, self.output
        return match.group(1)

    def get(self, path: str, key: str | None = None) -> httpx.Response:
        headers = {"X-API-Key": key or self.keys[0]}
        return httpx.get(f"{self.url}{path}", headers=headers, timeout=10.0)

    def stop_when_exited(self) -> int:
        """Wait for the process to end by itself; its exit status."""
        try:
            code = self.proc.wait(READY_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"sandbox still running after {READY_TIMEOUT} s:\n{self.output}")
        self._reader.join(5.0)
        return code

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail(f"sandbox ignored {sig.name} for {STOP_TIMEOUT} s:\n{self.output}")
        self._reader.join(5.0)
        return code


@pytest.fixture
def sandboxes() -> Iterator[list[Sandbox]]:
    """Started sandboxes are stopped (SIGTERM, so anvil saves and exits) even if a test fails."""
    started: list[Sandbox] = []
    yield started
    for sandbox in started:
        if sandbox.proc.poll() is None:
            sandbox.proc.send_signal(signal.SIGTERM)
            try:
                sandbox.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                sandbox.proc.kill()


def _start(
    sandboxes: list[Sandbox],
    *args: str,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> Sandbox:
    sandbox = Sandbox(*args, env=env, port=port)
    sandboxes.append(sandbox)
    return sandbox


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
        response = sandbox.get("/v1/contributions?project_id=1&limit=100")
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
    assert project["in_force"] is True
    assert len(project["partners"]) == len(demo.PARTNERS)
    before = {c["contribution_id"]: c for c in _contributions(first)}
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
    assert second.get("/v1/chain").json()["genesis_hash"] == chain_info["genesis_hash"]
    after = {c["contribution_id"]: c for c in _contributions(second)}
    assert after == before
    w3 = Web3(HTTPProvider(second.anvil_url))
    assert [w3.eth.get_block(n)["hash"].to_0x_hex() for n in range(head + 1)] == hashes
    for item in before.values():
        block = w3.eth.get_block(item["block_number"])
        assert block["hash"].to_0x_hex() == item["block_hash"]
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
    assert third.get("/v1/chain").json()["genesis_hash"] != chain_info["genesis_hash"]
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
    deadline = time.monotonic() + READY_TIMEOUT
    while not _ANVIL_RE.search(first.output):
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
