"""kill -9 of `poc sandbox` under load: of the sandbox alone (its node must follow it), of the
sandbox and its node at once, and of the node alone (the sandbox must start it again).

What must hold every time (issue 12, item 3): the chain never goes back past a block an
operation was confirmed in, and after a kill of the sandbox alone it does not go back at all
(its node writes its state as it stops) unless that dump caught the node between a block's
state and the block (then it is set aside for the saved state, and the sandbox says so); no
anvil outlives its sandbox; every accepted write lands exactly once. Confirmed operations are
read from the outbox file itself, right after the kill: what the service had promised when it
died.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from web3 import HTTPProvider, Web3

from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.events import get_events
from ledger.chain.receipts import block_hashes
from ledger.domain.events import ContributionRegistered
from ledger.domain.hashing import commitment, new_salt, sha256_bytes
from ledger.store import Store
from ledger.store.outbox import OperationRecord
from poc.sandbox.anvil_state import SAVED_STATE_FILE, running_nodes
from poc.sandbox.seed import SeedRecord
from tests.faults.support import Load, require_anvil
from tests.sandbox_process import Sandbox, start_sandbox, stopped_at_the_end

pytestmark = [pytest.mark.faults, pytest.mark.anvil, pytest.mark.slow, pytest.mark.timeout(600)]

DRAIN_TIMEOUT = 180.0
NODE_GONE_TIMEOUT = 30.0


@pytest.fixture
def sandboxes() -> Iterator[list[Sandbox]]:
    require_anvil()
    yield from stopped_at_the_end()


@dataclass
class SandboxTarget:
    """One running sandbox as a `Load` target: its URL, the demo partners and their keys."""

    sandbox: Sandbox
    seed: SeedRecord

    @property
    def base_url(self) -> str:
        return self.sandbox.url

    @property
    def project_id(self) -> int:
        return self.seed.project_id

    @property
    def partners(self) -> list[str]:
        return [p.address for p in self.seed.partners]

    @property
    def api_keys(self) -> list[str]:
        # The banner prints the partners' keys first, in the seed's order.
        return self.sandbox.keys[: len(self.seed.partners)]

    def registration(self, partner: int, label: str) -> dict[str, Any]:
        address = self.seed.partners[partner].address
        commit = commitment(address, self.project_id, sha256_bytes(label.encode()), new_salt())
        return {"commitment": "0x" + commit.hex(), "origin": "result", "category": 0, "value": 1}


def _start(sandboxes: list[Sandbox], data: Path) -> tuple[SandboxTarget, Web3]:
    sandbox = start_sandbox(sandboxes, "--data-dir", str(data))
    sandbox.wait_healthy()
    target = SandboxTarget(sandbox, SeedRecord.read(data / "sandbox.json"))
    return target, Web3(HTTPProvider(sandbox.anvil_url))


def _assert_not_rewound(target: SandboxTarget, w3: Web3, head_at_kill: int) -> None:
    """The node wrote its state as it stopped: the chain goes on from the head it had, unless
    that dump was written in the middle of a block and set aside (`poc.sandbox.anvil`); the
    saved state loaded instead holds every confirmed block (`_assert_blocks_kept`)."""
    if "was written in the middle of block" in target.sandbox.output:
        return
    assert int(w3.eth.block_number) >= head_at_kill, "the chain went back"


def _outbox(data: Path) -> Store:
    return Store(f"sqlite:///{data / 'index.sqlite3'}")


def _confirmed(data: Path) -> dict[str, tuple[int, str]]:
    """Every operation the outbox file holds as confirmed: id -> (block number, block hash)."""
    store = _outbox(data)
    try:
        ops = store.outbox.operations_in(["confirmed"], limit=1_000_000)
    finally:
        store.close()
    return {
        op.id: (op.block_number, op.block_hash)
        for op in ops
        if op.block_number is not None and op.block_hash is not None
    }


def _wait_confirmed(data: Path, at_least: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while len(_confirmed(data)) < at_least:
        assert time.monotonic() < deadline, f"fewer than {at_least} operations confirmed"
        time.sleep(0.2)


def _assert_blocks_kept(w3: Web3, confirmed: dict[str, tuple[int, str]]) -> None:
    """Every confirmed operation's block is still on the node, with the same hash."""
    hashes = block_hashes(w3, [number for number, _ in confirmed.values()])
    gone = {op: block for op, block in confirmed.items() if hashes[block[0]] != block[1]}
    assert not gone, f"{len(gone)} of {len(confirmed)} confirmed blocks are gone: {gone}"


def _wait_node_gone(data: Path) -> None:
    deadline = time.monotonic() + NODE_GONE_TIMEOUT
    while running_nodes(data / "chain"):
        assert time.monotonic() < deadline, (
            f"anvil {running_nodes(data / 'chain')} outlived its sandbox by {NODE_GONE_TIMEOUT} s"
        )
        time.sleep(0.1)


def _saved_block_number(data: Path) -> int:
    """The head block of the node's saved state, read from the file as anyone could."""
    state = json.loads(gzip.decompress((data / "chain" / SAVED_STATE_FILE).read_bytes()))
    return int(state["block"]["number"], 16)


def _assert_exactly_once(target: SandboxTarget, w3: Web3, data: Path, loads: list[Load]) -> None:
    """The outbox drains; every accepted registration is confirmed and on chain exactly once."""
    accepted = {c: op for load in loads for c, op in load.accepted.items()}
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while True:
        store = _outbox(data)
        try:
            statuses = {op_id: store.outbox.operation(op_id) for op_id in accepted.values()}
        finally:
            store.close()
        pending = [op for op in statuses.values() if op is None or op.status != "confirmed"]
        if not pending:
            break
        assert time.monotonic() < deadline, (
            f"{len(pending)} accepted writes not confirmed: "
            f"{Counter(op.status if op else 'missing' for op in pending)}; first: {pending[0]}"
            f"\n{target.sandbox.output[-3000:]}"
        )
        time.sleep(0.5)
    record = DeploymentRecord.read(data / "deployment.json")
    events = get_events(
        w3,
        record.address("PocLedger"),
        record.deploy_block,
        event_types=[ContributionRegistered],
        project_id=target.project_id,
    )
    landed = ["0x" + e.commitment.hex() for e in events if isinstance(e, ContributionRegistered)]
    missing = set(accepted) - set(landed)
    assert not missing, (
        f"{len(missing)} of {len(accepted)} accepted writes are not on chain; "
        f"{_where_they_went(w3, [statuses[accepted[c]] for c in sorted(missing)])}"
        f"\n{target.sandbox.output[-3000:]}"
    )
    twice = {c for c in landed if landed.count(c) > 1}
    assert not twice, f"{len(twice)} registrations landed more than once"


def _where_they_went(w3: Web3, ops: list[OperationRecord | None]) -> str:
    """What the node says of confirmed operations whose event is missing: is the receipt the
    outbox saw still there, and is the block it named still the block at that height?"""
    lines = []
    for op in ops[:5]:
        if op is None or op.tx_hash is None or op.block_number is None:
            lines.append(f"{op}")
            continue
        try:
            receipt: Any = w3.eth.get_transaction_receipt(op.tx_hash)  # type: ignore[arg-type]
            found = (
                f"receipt in block {receipt['blockNumber']}, status {receipt['status']}, "
                f"{len(receipt['logs'])} logs, to {receipt['to']}"
            )
        except Exception as exc:  # the node's own words are the evidence
            found = f"no receipt ({type(exc).__name__})"
        now = block_hashes(w3, [op.block_number]).get(op.block_number)
        same = "same" if now == op.block_hash else f"now {now}"
        lines.append(
            f"op {op.id}: tx {op.tx_hash} confirmed in block {op.block_number} "
            f"({op.block_hash}; {same}) after {op.attempts} attempts, result {op.result_json}; "
            f"node: {found}"
        )
    return "\n".join(lines)


def test_kill_9_of_sandbox_under_load_keeps_its_chain_and_every_write(
    tmp_path: Path, sandboxes: list[Sandbox]
) -> None:
    data = tmp_path / "data"
    confirmed: dict[str, tuple[int, str]] = {}
    head_at_kill = -1
    loads: list[Load] = []
    for _ in range(2):
        target, w3 = _start(sandboxes, data)
        _assert_not_rewound(target, w3, head_at_kill)
        _assert_blocks_kept(w3, confirmed)
        load = Load(target)
        loads.append(load)
        load.fire(60)
        _wait_confirmed(data, len(confirmed) + 20)
        heads: list[int] = []

        def kill_sandbox(
            sandbox: Sandbox = target.sandbox, w3: Web3 = w3, heads: list[int] = heads
        ) -> None:
            heads.append(int(w3.eth.block_number))
            os.kill(sandbox.proc.pid, signal.SIGKILL)

        load.fire(150, after=30, fault=kill_sandbox)
        assert target.sandbox.proc.wait(10) == -signal.SIGKILL
        assert sum(load.refused.values()) > 0, "the kill came after the load"
        _wait_node_gone(data)
        after = _confirmed(data)
        assert set(confirmed) <= set(after)
        confirmed, head_at_kill = after, heads[0]

    target, w3 = _start(sandboxes, data)
    _assert_not_rewound(target, w3, head_at_kill)
    _assert_blocks_kept(w3, confirmed)
    _assert_exactly_once(target, w3, data, loads)


def test_kill_9_of_sandbox_and_node_at_once_keeps_every_confirmed_block(
    tmp_path: Path, sandboxes: list[Sandbox]
) -> None:
    data = tmp_path / "data"
    target, w3 = _start(sandboxes, data)
    load = Load(target)
    load.fire(60)
    _wait_confirmed(data, 20)
    (node,) = running_nodes(data / "chain")

    def kill_everything() -> None:
        # The node gets no chance to write its state: only the saved state survives.
        os.kill(target.sandbox.proc.pid, signal.SIGKILL)
        os.kill(node, signal.SIGKILL)

    load.fire(150, after=30, fault=kill_everything)
    target.sandbox.proc.wait(10)
    _wait_node_gone(data)
    confirmed = _confirmed(data)
    saved = _saved_block_number(data)
    # The rule itself: nothing was confirmed above what the node had on disk.
    assert max(number for number, _ in confirmed.values()) <= saved

    target, w3 = _start(sandboxes, data)
    assert int(w3.eth.block_number) >= saved
    _assert_blocks_kept(w3, confirmed)
    _assert_exactly_once(target, w3, data, [load])


def test_node_killed_under_sandbox_is_started_again_and_loses_nothing(
    tmp_path: Path, sandboxes: list[Sandbox]
) -> None:
    data = tmp_path / "data"
    target, w3 = _start(sandboxes, data)
    load = Load(target)
    load.fire(40)
    _wait_confirmed(data, 10)
    (node,) = running_nodes(data / "chain")

    load.fire(150, after=30, fault=lambda: os.kill(node, signal.SIGKILL))
    deadline = time.monotonic() + 60
    while "anvil is running again" not in target.sandbox.output:
        assert time.monotonic() < deadline, target.sandbox.output
        assert target.sandbox.proc.poll() is None, target.sandbox.output
        time.sleep(0.1)
    assert f"anvil (pid {node}) was killed by SIGKILL; starting it again" in target.sandbox.output
    (again,) = running_nodes(data / "chain")
    assert again != node
    _assert_blocks_kept(w3, _confirmed(data))  # same URL: the node is back on its port
    load.fire(30)
    _assert_exactly_once(target, w3, data, [load])
    _assert_blocks_kept(w3, _confirmed(data))
