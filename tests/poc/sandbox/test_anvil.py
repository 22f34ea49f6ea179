"""The managed anvil process: start-up, persistence across restarts, crash recovery."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from ledger.chain.connection import Backend, Chain, ChainConfig, connect_anvil
from ledger.chain.deployment_record import deploy_contract
from ledger.chain.transactions import TxReceipt, TxRequest
from ledger.domain.codec import to_hex
from ledger.errors import AnvilError
from poc.sandbox.anvil import STATE_FILE, AnvilProcess, connect, find_anvil
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
def test_kill_9_then_restart_recovers(node: AnvilProcess) -> None:
    node.start()
    chain = _connect(node)
    _activity(chain)
    time.sleep(1.5)  # let a periodic dump (every second) capture the blocks so far
    chain.sender(0).send_many(
        [TxRequest(to=chain.accounts[3].address, value=1, gas=21_000) for _ in range(10)]
    )
    hashes = _block_hashes(chain)

    node.kill()
    node.start()

    # The last blocks may be lost; whatever survived is the same history, and it goes on.
    survived = _block_hashes(chain)
    assert survived == hashes[: len(survived)]
    chain.resync()  # the senders' local nonces may be ahead of the recovered chain
    assert chain.sender(0).transfer(chain.accounts[3].address, 1).succeeded


@pytest.mark.faults
def test_torn_state_file_falls_back_to_the_last_good_copy(node: AnvilProcess) -> None:
    node.start()
    chain = _connect(node)
    _activity(chain)
    node.stop()
    node.start()  # this start loaded a good state and kept a copy of it
    good_hashes = _block_hashes(chain)
    chain.sender(0).transfer(chain.accounts[1].address, 1)
    node.stop()
    state = node.data_dir / STATE_FILE
    state.write_bytes(state.read_bytes()[: state.stat().st_size // 2])  # a dump cut short

    node.start()

    assert _block_hashes(chain) == good_hashes
    assert list(node.data_dir.glob(f"{STATE_FILE}.torn-*"))
    assert "was unreadable" in node.log_path.read_text()


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


def test_checkpoint_thread_outlives_a_dump_caught_mid_write(tmp_path: Path) -> None:
    """A copy that does not parse is skipped; the next complete dump still becomes the fallback."""
    process = AnvilProcess(tmp_path / "data")  # never started: the thread only reads files
    process.data_dir.mkdir(parents=True)
    process.state_path.write_text('{"block": 1, "accounts": }')  # ends in "}", torn inside
    stop = threading.Event()
    thread = threading.Thread(target=process._checkpoint_loop, args=(stop,), daemon=True)
    thread.start()
    try:
        time.sleep(1.5)
        assert thread.is_alive()
        assert not (process.data_dir / (STATE_FILE + ".bak")).exists()
        process.state_path.write_text('{"block": 2}')
        deadline = time.monotonic() + 5
        backup = process.data_dir / (STATE_FILE + ".bak")
        while time.monotonic() < deadline and not backup.exists():
            time.sleep(0.1)
        assert backup.read_text() == '{"block": 2}'
    finally:
        stop.set()
        thread.join(5)


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
