"""ChainCheckpoints: an anchorer's unbroken sequence of checkpoints per source chain, its
errors, its event and what it costs."""

from __future__ import annotations

from typing import Any

import pytest
from web3.contract import Contract

from ledger.chain.checkpoints import CHECKPOINT_GAS
from tests.contracts.support import covers, event, reverts
from tests.contracts.world import World

ROOT = b"\x11" * 32
LAST = b"\x22" * 32
SOURCE = 31337


@pytest.fixture
def checkpoints(world: World) -> Contract:
    return world.chain.deploy("ChainCheckpoints", sender=world.deployer)


def _post(world: World, contract: Contract, who: Any, *args: Any) -> Any:
    return world.chain.send(contract.functions.checkpoint(*args), who)


def test_first_checkpoint_may_start_anywhere_and_emits_checkpointed(
    world: World, checkpoints: Contract
) -> None:
    receipt = _post(world, checkpoints, world.alice, SOURCE, 100, 120, LAST, ROOT)

    logged = event(checkpoints, "Checkpointed", receipt)
    assert logged == {
        "anchorer": world.alice.address,
        "sourceChainId": SOURCE,
        "sequence": 1,
        "fromBlock": 100,
        "toBlock": 120,
        "lastBlockHash": LAST,
        "root": ROOT,
    }
    assert checkpoints.functions.latest(world.alice.address, SOURCE).call() == [1, 120]


def test_next_checkpoint_continues_the_sequence(world: World, checkpoints: Contract) -> None:
    _post(world, checkpoints, world.alice, SOURCE, 0, 9, LAST, ROOT)
    receipt = _post(world, checkpoints, world.alice, SOURCE, 10, 10, LAST, ROOT)

    assert event(checkpoints, "Checkpointed", receipt)["sequence"] == 2
    assert checkpoints.functions.latest(world.alice.address, SOURCE).call() == [2, 10]


def test_sequences_are_per_anchorer_and_per_source_chain(
    world: World, checkpoints: Contract
) -> None:
    _post(world, checkpoints, world.alice, SOURCE, 0, 9, LAST, ROOT)
    _post(world, checkpoints, world.bob, SOURCE, 5, 6, LAST, ROOT)
    _post(world, checkpoints, world.alice, 1, 50, 60, LAST, ROOT)

    assert checkpoints.functions.latest(world.alice.address, SOURCE).call() == [1, 9]
    assert checkpoints.functions.latest(world.bob.address, SOURCE).call() == [1, 6]
    assert checkpoints.functions.latest(world.alice.address, 1).call() == [1, 60]
    assert checkpoints.functions.latest(world.eve.address, SOURCE).call() == [0, 0]


@covers("ChainCheckpoints.CheckpointNotContiguous")
@pytest.mark.parametrize("from_block", [9, 11, 0])
def test_checkpoint_with_gap_or_overlap_reverts(
    world: World, checkpoints: Contract, from_block: int
) -> None:
    _post(world, checkpoints, world.alice, SOURCE, 0, 9, LAST, ROOT)

    with reverts("ChainCheckpoints", "CheckpointNotContiguous", SOURCE, 10, from_block):
        _post(world, checkpoints, world.alice, SOURCE, from_block, from_block + 5, LAST, ROOT)


@covers("ChainCheckpoints.CheckpointEmptyRange")
def test_checkpoint_ending_before_it_starts_reverts(world: World, checkpoints: Contract) -> None:
    with reverts("ChainCheckpoints", "CheckpointEmptyRange", 10, 9):
        _post(world, checkpoints, world.alice, SOURCE, 10, 9, LAST, ROOT)


@covers("ChainCheckpoints.CheckpointZeroHash")
@pytest.mark.parametrize(("last", "root"), [(bytes(32), ROOT), (LAST, bytes(32))])
def test_checkpoint_with_zero_hash_reverts(
    world: World, checkpoints: Contract, last: bytes, root: bytes
) -> None:
    with reverts("ChainCheckpoints", "CheckpointZeroHash"):
        _post(world, checkpoints, world.alice, SOURCE, 0, 1, last, root)


def test_version_is_reported(checkpoints: Contract) -> None:
    assert checkpoints.functions.version().call() == "1.0.0"


def test_checkpoint_gas_stays_under_the_client_limit(world: World, checkpoints: Contract) -> None:
    first = _post(world, checkpoints, world.alice, SOURCE, 0, 999, LAST, ROOT)
    later = _post(world, checkpoints, world.alice, SOURCE, 1000, 1999, LAST, ROOT)

    assert first["gasUsed"] < CHECKPOINT_GAS
    assert later["gasUsed"] < first["gasUsed"]
