"""The managed anvil process: start-up, persistence across restarts, crash recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from ledger.chain.connection import Backend, Chain, ChainConfig, connect_anvil
from ledger.chain.deploy import deploy_contract
from ledger.chain.receipts import TxReceipt
from ledger.chain.transactions import TxRequest
from ledger.domain.codec import to_hex
from ledger.errors import AnvilError
from poc.sandbox.anvil import STATE_FILE, AnvilProcess, SavedBlock, connect, find_anvil, free_port
from poc.sandbox.anvil_state import running_nodes
from tests import evm_snippets

pytestmark = pytest.mark.anvil


@pytest.fixture
def node(tmp_path: Path) -> Iterator[AnvilProcess]:
    """A persisted anvil of the test's own (killed at the end if still running)."""
    process = AnvilProcess(tmp_path / "data")
    yield process
    process.kill()


def _connect(node: AnvilProcess) -> Chain:
    return connect_anvil(ChainConfig(backend=Backend.ANVIL), node=node)


def _block_hashes(chain: Chain) -> list[str]:
    return [to_hex(chain.w3.eth.get_block(n)["hash"]) for n in range(chain.block_number() + 1)]


def _wait_saved_head(node: AnvilProcess, chain: Chain, timeout: float = 30.0) -> SavedBlock:
    """Wait until the node's saved state holds its current head; return that block."""
    head = chain.block_number()
    deadline = time.monotonic() + timeout
    while (saved := node.saved_block()) is None or saved.number < head:
        assert time.monotonic() < deadline, f"block {head} not saved in {timeout:g} s"
        time.sleep(0.05)
    assert saved.hash == to_hex(chain.w3.eth.get_block(saved.number)["hash"])
    return saved


def _wait_gone(pids: list[int], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while any(Path(f"/proc/{pid}/cmdline").exists() and _alive(pid) for pid in pids):
        assert time.monotonic() < deadline, f"{pids} still running after {timeout:g} s"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        return bool(Path(f"/proc/{pid}/cmdline").read_bytes())  # empty for a zombie
    except OSError:
        return False


def _raw_anvil(data_dir: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """anvil on `data_dir`'s state file, started by hand (as an earlier version did, or an
    operator would): no parent-death signal, its own session."""
    data_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [str(find_anvil()), "--port", str(port), "--state", str(data_dir / STATE_FILE)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))
    deadline = time.monotonic() + 30
    while not w3.is_connected():
        assert time.monotonic() < deadline, "the hand-started anvil did not answer"
        time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port}"


def _activity(chain: Chain) -> TxReceipt:
    """A few blocks of transfers plus a contract emitting a log; returns the log's receipt."""
    sender = chain.sender(0)
    sender.send_many(
        [TxRequest(to=chain.accounts[1].address, value=n + 1, gas=21_000) for n in range(5)]
    )
    address, _ = deploy_contract(sender, [], evm_snippets.logger(), gas=200_000)
    return sender.transact(TxRequest(to=address, data=b"persist me", gas=100_000))


def test_find_anvil_runs_the_native_binary_not_the_node_wrapper() -> None:
    binary = find_anvil()

    assert binary.suffix != ".mjs"
    assert binary.resolve().suffix != ".mjs"


def test_find_anvil_with_missing_path_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(AnvilError, match="npm ci"):
        find_anvil(tmp_path / "anvil")
    monkeypatch.setenv("POC_ANVIL_BIN", str(tmp_path / "nowhere"))
    with pytest.raises(AnvilError, match="POC_ANVIL_BIN"):
        find_anvil()


def test_start_answers_json_rpc_and_logs_to_the_data_dir(node: AnvilProcess) -> None:
    with node:
        pid = node.pid
        assert pid is not None
        assert node.url.startswith("http://127.0.0.1:")
        chain = _connect(node)
        assert chain.chain_id == 31337

    assert node.pid is None  # stopped
    assert "--- starting:" in node.log_path.read_text()


def test_failed_start_reports_the_log_tail(tmp_path: Path) -> None:
    process = AnvilProcess(tmp_path, extra_args=("--no-such-flag",))

    with pytest.raises(AnvilError, match="no-such-flag"):
        process.start()
    assert not process.running


def test_block_time_mines_without_transactions(tmp_path: Path) -> None:
    with AnvilProcess(tmp_path, block_time=0.2, persist=False) as process:
        chain = _connect(process)
        time.sleep(0.7)

        assert chain.block_number() >= 2


@pytest.mark.faults
def test_sigterm_restart_keeps_block_hashes_receipts_and_history(node: AnvilProcess) -> None:
    node.start()
    chain = _connect(node)
    receipt = _activity(chain)
    hashes = _block_hashes(chain)
    early_block = 2
    balance_then = chain.w3.eth.get_balance(chain.accounts[1].address, early_block)
    port = node.port

    node.stop()
    assert (node.data_dir / STATE_FILE).exists()
    node.start()

    assert node.port == port  # same URL: the existing Web3 keeps working
    assert _block_hashes(chain)[: len(hashes)] == hashes
    receipt_after = chain.sender(0).wait(receipt.tx_hash, timeout=5)
    assert receipt_after == receipt
    assert receipt_after.logs[0].data == b"persist me"
    # --preserve-historical-states: state at old blocks still answers.
    assert chain.w3.eth.get_balance(chain.accounts[1].address, early_block) == balance_then
    # The sender's local nonce is still right: the chain did not move under it.
    assert chain.sender(0).transfer(chain.accounts[2].address, 1).succeeded


@pytest.mark.faults
def test_kill_9_then_restart_keeps_every_saved_block(node: AnvilProcess) -> None:
    node.start()
    chain = _connect(node)
    node.restart()  # anvil's own file now holds an older state than what follows
    _activity(chain)
    saved = _wait_saved_head(node, chain)
    chain.sender(0).send_many(
        [TxRequest(to=chain.accounts[3].address, value=1, gas=21_000) for _ in range(10)]
    )
    hashes = _block_hashes(chain)

    node.kill()
    node.start()

    # Blocks after the last save may be lost; the saved ones never are, and it goes on.
    survived = _block_hashes(chain)
    assert len(survived) > saved.number
    assert survived == hashes[: len(survived)]
    assert survived[saved.number] == saved.hash
    chain.resync()  # the senders' local nonces may be ahead of the recovered chain
    assert chain.sender(0).transfer(chain.accounts[3].address, 1).succeeded


@pytest.mark.faults
def test_torn_state_file_falls_back_to_the_saved_state(node: AnvilProcess) -> None:
    node.start()
    chain = _connect(node)
    _activity(chain)
    saved = _wait_saved_head(node, chain)
    hashes = _block_hashes(chain)[: saved.number + 1]
    node.stop()
    state = node.state_path
    state.write_bytes(state.read_bytes()[: state.stat().st_size // 2])  # a dump cut short

    node.start()

    assert _block_hashes(chain)[: saved.number + 1] == hashes
    assert list(node.data_dir.glob(f"{STATE_FILE}.torn-*"))
    assert "was unreadable" in node.log_path.read_text()
    assert node.saved_block() == saved


@pytest.mark.faults
def test_restart_after_stop_without_state_loses_nothing_it_was_not_asked_to_keep(
    tmp_path: Path,
) -> None:
    # persist=False is the session node's mode: a restart is a fresh chain.
    process = AnvilProcess(tmp_path, persist=False)
    with process:
        chain = _connect(process)
        chain.sender(0).transfer(chain.accounts[1].address, 1)
        assert chain.block_number() == 1
    with process:
        assert _connect(process).block_number() == 0


def test_deployed_code_survives_a_restart(node: AnvilProcess) -> None:
    node.start()
    chain = _connect(node)
    address, _ = deploy_contract(chain.sender(0), [], evm_snippets.logger(), gas=200_000)
    code = chain.w3.eth.get_code(Web3.to_checksum_address(address))

    node.restart()

    assert chain.w3.eth.get_code(Web3.to_checksum_address(address)) == code


def test_fresh_chains_started_back_to_back_have_different_genesis_hashes(tmp_path: Path) -> None:
    # The genesis hash is how a reset or re-created chain is told from the one it replaced.
    hashes = []
    for name in ("first", "second"):
        process = AnvilProcess(tmp_path / name, persist=False).start()
        try:
            hashes.append(_connect(process).genesis_hash())
        finally:
            process.stop()
    assert hashes[0] != hashes[1]


@pytest.mark.anvil
def test_connect_anvil_backend_starts_and_stops_its_own_node(tmp_path: Path) -> None:
    config = ChainConfig(backend=Backend.ANVIL, data_dir=tmp_path, anvil_chain_id=4242)

    with connect(config) as chain:
        node = chain.node
        assert isinstance(node, AnvilProcess) and node.running
        assert chain.chain_id == 4242
        chain.sender(0).transfer(chain.accounts[1].address, 1)

    assert node.pid is None  # stopped
    assert (tmp_path / "anvil-state.json").exists()


@pytest.mark.faults
def test_restarts_keep_the_genesis_block(node: AnvilProcess) -> None:
    """anvil leaves the genesis block of each start in its dump; loaded again, any of them
    could become block 0 (the sandbox then took its chain for lost)."""
    node.start()
    chain = _connect(node)
    chain.mine(3)
    genesis = chain.genesis_hash()
    for _ in range(4):
        time.sleep(1.05)  # a start in another second makes a genesis block with another hash
        node.restart()
        chain.mine(1)
        assert chain.genesis_hash() == genesis
        assert to_hex(chain.w3.eth.get_block(1)["parentHash"]) == genesis


def test_node_started_by_a_thread_that_ends_runs_on(tmp_path: Path) -> None:
    """A request's worker thread starts a hosted workspace's node and ends soon after: the
    node must not go with it (the parent-death signal follows the forking thread)."""
    node = AnvilProcess(tmp_path / "data", supervise=True)
    starter = threading.Thread(target=node.start)
    starter.start()
    starter.join()
    try:
        first = node.pid
        time.sleep(1.0)  # ten rounds of the keeper, which would have started it again
        assert node.running and node.pid == first and node.restarts == 0
    finally:
        node.kill()


@pytest.mark.faults
def test_node_dies_with_the_process_that_started_it_and_keeps_its_state(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, threading, time\n"
            "from poc.sandbox.anvil import AnvilProcess\n"
            "node = AnvilProcess(sys.argv[1])\n"
            # Started by a thread that ends at once: the node is tied to the process.
            "starter = threading.Thread(target=node.start)\n"
            "starter.start()\n"
            "starter.join()\n"
            "print(node.port, node.pid, flush=True)\n"
            "time.sleep(600)\n",
            str(data),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    port, pid = (int(word) for word in owner.stdout.readline().split())
    w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))
    w3.provider.make_request("anvil_mine", ["0x7"])  # type: ignore[arg-type]
    head = int(w3.eth.block_number)

    owner.kill()  # SIGKILL: no Python code runs, no atexit, no signal handler
    owner.wait(10)

    _wait_gone([pid])
    assert running_nodes(data) == []
    # The parent-death signal is SIGTERM: the node wrote its state on the way out.
    with AnvilProcess(data) as again:
        assert _connect(again).block_number() == head


@pytest.mark.faults
def test_start_stops_a_node_left_running_on_its_state_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    leftover, url = _raw_anvil(data, free_port())
    try:
        Web3(Web3.HTTPProvider(url)).provider.make_request("anvil_mine", ["0x5"])  # type: ignore[arg-type]
        events: list[str] = []

        with AnvilProcess(data, on_event=events.append) as node:
            assert leftover.wait(30) is not None  # it was stopped, not left writing
            assert f"anvil (pid {leftover.pid}) of an earlier run is still running" in events[0]
            # It got SIGTERM and wrote its blocks first: nothing it held is lost.
            assert _connect(node).block_number() == 5
            assert running_nodes(data) == [node.pid]
    finally:
        if leftover.poll() is None:
            leftover.kill()


def test_start_leaves_alone_a_node_on_another_state_file(tmp_path: Path) -> None:
    other, _ = _raw_anvil(tmp_path / "other", free_port())
    try:
        with AnvilProcess(tmp_path / "data"):
            assert other.poll() is None
    finally:
        other.terminate()
        other.wait(30)


def test_second_owner_of_a_running_node_directory_is_refused(node: AnvilProcess) -> None:
    node.start()
    second = AnvilProcess(node.data_dir)

    with pytest.raises(
        AnvilError, match=rf"another process \(pid {os.getpid()}\) is running anvil"
    ):
        second.start()
    assert node.running
    assert running_nodes(node.data_dir) == [node.pid]


@pytest.mark.faults
def test_supervised_node_that_dies_is_started_again_and_says_so(tmp_path: Path) -> None:
    events: list[str] = []
    node = AnvilProcess(tmp_path / "data", supervise=True, on_event=events.append)
    with node:
        chain = _connect(node)
        _activity(chain)
        saved = _wait_saved_head(node, chain)
        first = node.pid
        assert first is not None

        os.kill(first, signal.SIGKILL)  # not through `kill()`: the node dies under us

        deadline = time.monotonic() + 60
        while node.restarts < 1:
            assert time.monotonic() < deadline, events
            time.sleep(0.05)
        assert events[0] == (
            f"anvil (pid {first}) was killed by SIGKILL; starting it again from its saved "
            f"state on port {node.port}"
        )
        assert events[-1].startswith(f"anvil is running again (pid {node.pid})")
        assert node.pid != first
        assert to_hex(chain.w3.eth.get_block(saved.number)["hash"]) == saved.hash  # same URL
        assert "starting it again" in node.log_path.read_text()


def test_wrapper_that_keeps_anvil_in_a_process_of_its_own_is_refused(tmp_path: Path) -> None:
    wrapper = tmp_path / "anvil-wrapper"
    # Runs anvil as its child instead of exec'ing it, as the npm Node wrapper does.
    wrapper.write_text(f'#!/bin/sh\n"{find_anvil()}" "$@"\n')
    wrapper.chmod(0o755)
    node = AnvilProcess(tmp_path / "data", binary=wrapper)

    with pytest.raises(AnvilError, match="POC_ANVIL_BIN"):
        node.start()
    _wait_gone(running_nodes(node.data_dir))
    assert not node.running
