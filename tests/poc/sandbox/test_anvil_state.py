"""Dumps that hold a block's state without the block: never saved, never loaded when a whole
state is there (`poc.sandbox.anvil_state.senders_ahead`).

The reference is the state root: a dump is whole when the root of its accounts (computed here
with the `trie` library, as any Ethereum client would) is the `stateRoot` its head block
names. anvil commits a block's state before it stores the block, so a dump taken while it
mines can hold the next block's state; loaded, that chain carries effects whose transactions,
receipts and events are gone (a registration in storage, its event nowhere).
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rlp
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from trie.hexary import HexaryTrie
from web3 import Web3
from web3.types import Wei

from ledger.chain.connection import Backend, Chain, ChainConfig, connect_anvil
from ledger.chain.transactions import TxSender
from poc.sandbox.anvil import STATE_FILE, AnvilProcess
from poc.sandbox.anvil_state import SAVED_STATE_FILE, dump_number, senders_ahead

pytestmark = pytest.mark.anvil


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _state_root(accounts: dict[str, Any]) -> bytes:
    """The Merkle-Patricia root of a dump's accounts (storage slots of value 0 are absent)."""
    world = HexaryTrie({})
    for address, account in accounts.items():
        storage = HexaryTrie({})
        for slot, value in account["storage"].items():
            if _int(value):
                storage[keccak(bytes.fromhex(slot[2:]))] = rlp.encode(_int(value))
        code = bytes.fromhex(str(account["code"])[2:])
        world[keccak(bytes.fromhex(address[2:]))] = rlp.encode(
            [_int(account["nonce"]), _int(account["balance"]), storage.root_hash, keccak(code)]
        )
    return world.root_hash


def _whole(state: dict[str, Any]) -> bool:
    """Whether the dump's state is the state its head block names."""
    head = dump_number(state)
    (block,) = [b for b in state["blocks"] if _int(b["header"]["number"]) == head]
    return _state_root(state["accounts"]) == bytes.fromhex(block["header"]["stateRoot"][2:])


def _dump(w3: Web3) -> dict[str, Any]:
    packed = w3.provider.make_request("anvil_dumpState", [])["result"]  # type: ignore[arg-type]
    state: dict[str, Any] = json.loads(gzip.decompress(bytes.fromhex(str(packed)[2:])))
    return state


def _keep_mining(w3: Web3, stop: threading.Event) -> list[threading.Thread]:
    """Transfers from three accounts at once until `stop`: anvil is always mining."""
    accounts = list(w3.eth.accounts)

    def send(sender: ChecksumAddress) -> None:
        while not stop.is_set():
            w3.eth.send_transaction({"from": sender, "to": accounts[9], "value": Wei(1)})

    threads = [threading.Thread(target=send, args=(accounts[i],), daemon=True) for i in (1, 2, 3)]
    for thread in threads:
        thread.start()
    return threads


@pytest.mark.slow
def test_no_saved_state_holds_a_block_it_lacks_while_the_node_mines(tmp_path: Path) -> None:
    # The keeper saves once at the start; the saves under test are made here, one after
    # another, as the keeper makes them (`_save_state`), while three accounts keep it mining.
    # Without historical states the dumps stay small enough to take hundreds of.
    node = AnvilProcess(tmp_path / "data", state_interval=3600.0, preserve_history=False)
    node.start()
    w3 = Web3(Web3.HTTPProvider(node.url))
    stop = threading.Event()
    threads = _keep_mining(w3, stop)
    ahead_taken = whole_taken = saves = 0
    try:
        # Dumps taken as anyone could: the detector says what the state root says. Each dump
        # holds every transaction so far, so the rounds are bounded in time as well (a loaded
        # machine does fewer).
        ends = time.monotonic() + 8.0
        for _ in range(100):
            if time.monotonic() > ends:
                break
            raw = _dump(w3)
            if dump_number(raw) == 0:
                continue
            whole = _whole(raw)
            assert whole == (not senders_ahead(raw)), senders_ahead(raw)
            ahead_taken += not whole
            whole_taken += whole
        # Saves: every one is whole.
        ends = time.monotonic() + 10.0
        for _ in range(100):
            if time.monotonic() > ends:
                break
            node._save_state()
            state = json.loads(gzip.decompress(node.saved_state_path.read_bytes()))
            assert _whole(state), f"saved state at block {dump_number(state)} is not whole"
            saves += 1
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        node.kill()
    assert whole_taken >= 10 and saves >= 10, (whole_taken, saves)
    print(
        f"{ahead_taken} of {ahead_taken + whole_taken} dumps held a block's state without the "
        f"block; {saves} saves, all whole, {node.dumps_mid_block} dumps taken again"
    )


def _cut_head_block(path: Path) -> int:
    """Make anvil's dump at `path` what a stop in the middle of its head block writes: the
    block's state without the block. Returns the head block number left."""
    state = json.loads(path.read_bytes())
    head = dump_number(state)
    state["blocks"] = [b for b in state["blocks"] if _int(b["header"]["number"]) != head]
    state["transactions"] = [t for t in state["transactions"] if _int(t["block_number"]) != head]
    state["best_block_number"] = head - 1
    state["block"]["number"] = hex(head - 1)
    path.write_bytes(json.dumps(state).encode())
    return head - 1


def _chain(node: AnvilProcess) -> Chain:
    return connect_anvil(ChainConfig(backend=Backend.ANVIL), node=node)


@pytest.fixture
def quiet_node(tmp_path: Path) -> Iterator[AnvilProcess]:
    """A node whose keeper saves once at each start only: newer blocks are in anvil's own dump
    alone, as they are between saves."""
    process = AnvilProcess(tmp_path / "data", state_interval=3600.0)
    yield process
    process.kill()


def _started_with_transfers(node: AnvilProcess, count: int) -> tuple[Chain, TxSender]:
    """Start `node` and mine `count` transfers from one account; the chain and that sender."""
    node.start()
    chain = _chain(node)
    sender = chain.sender(4)
    for _ in range(count):
        assert sender.transfer(chain.accounts[5].address, 1).succeeded
    return chain, sender


def test_detector_finds_the_sender_of_a_block_the_dump_lacks(quiet_node: AnvilProcess) -> None:
    _, sender = _started_with_transfers(quiet_node, 3)
    quiet_node.stop()
    state_path = quiet_node.data_dir / STATE_FILE
    assert senders_ahead(json.loads(state_path.read_bytes())) == {}

    _cut_head_block(state_path)

    ahead = senders_ahead(json.loads(state_path.read_bytes()))
    assert ahead == {sender.address.lower(): (3, 2)}


@pytest.mark.faults
def test_stop_dump_written_mid_block_is_set_aside_for_the_saved_state(
    quiet_node: AnvilProcess,
) -> None:
    node = quiet_node
    chain, sender = _started_with_transfers(node, 3)
    head = chain.block_number()
    node.stop()
    node.start()  # the saved state is raised to the head it loads
    saved = node.saved_block()
    assert saved is not None and saved.number == head
    assert sender.transfer(chain.accounts[5].address, 1).succeeded
    node.stop()
    state_path = node.data_dir / STATE_FILE
    assert _cut_head_block(state_path) == head

    node.start()

    log = node.log_path.read_text()
    assert f"{STATE_FILE} was written in the middle of block {head + 1}" in log
    assert list(node.data_dir.glob(f"{STATE_FILE}.mid-block-*"))
    assert chain.block_number() == head
    assert node.saved_block() == saved
    # The state is that of the head: the sender's nonce counts its transactions on chain.
    assert chain.w3.eth.get_transaction_count(sender.address) == 3
    node.stop()
    assert _whole(json.loads(state_path.read_bytes()))


def test_mid_block_dump_with_nothing_else_is_loaded_and_said(quiet_node: AnvilProcess) -> None:
    chain, _ = _started_with_transfers(quiet_node, 2)
    quiet_node.stop()
    (quiet_node.data_dir / SAVED_STATE_FILE).unlink(missing_ok=True)
    left = _cut_head_block(quiet_node.data_dir / STATE_FILE)

    quiet_node.start()

    said = "it is the only state there is, so it is loaded as it is"
    assert said in quiet_node.log_path.read_text()
    assert chain.block_number() == left


def test_detector_does_not_judge_a_dump_without_the_transactions_it_counts() -> None:
    """Another anvil's format (no transactions, or entries without a sender) is taken as whole:
    refusing every save of such a node would leave nothing ever confirmed."""
    sender = "0x" + "11" * 20
    account = {"nonce": 3, "balance": "0x0", "code": "0x", "storage": {}}
    dump: dict[str, Any] = {"block": {"number": "0x3"}, "accounts": {sender: account}}

    assert senders_ahead(dump) == {}
    assert senders_ahead({**dump, "transactions": [{"block_number": 1}]}) == {}
    assert senders_ahead({**dump, "transactions": []}) == {sender: (3, 0)}
