"""A few contract cases on a real anvil node: what eth-tester could get wrong or not show.

A real node checks the EIP-712 domain against its own chain id (31337), returns revert data
through JSON-RPC, charges real gas (the budgets of the issue are asserted here from receipts)
and runs the mocks' re-entrancy on its own EVM. The module starts its own anvil so that its
snapshots never interfere with the session node of tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.errors import AnvilError
from poc.sandbox.anvil import AnvilProcess, find_anvil
from tests.contracts.support import (
    ZERO_ADDRESS,
    AnvilChain,
    actor,
    decode_error,
    event,
    reverts,
    sorted_addresses,
)
from tests.contracts.world import AGREEMENT, World, build_world

pytestmark = pytest.mark.anvil

ETH = ZERO_ADDRESS
REGISTER_BY_SIG_BUDGET = 90_000
ENDORSE_BUDGET = 60_000
RELEASE_BUDGET = 80_000


@pytest.fixture(scope="module")
def _anvil_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, int]]:
    try:
        find_anvil()
    except AnvilError as exc:
        pytest.skip(str(exc))
    node = AnvilProcess(Path(tmp_path_factory.mktemp("contracts-anvil")), persist=False)
    with node:
        chain = AnvilChain.connect(node.url)
        world = build_world(chain)
        yield world, chain.snapshot()


@pytest.fixture
def world(_anvil_base: tuple[World, int]) -> Iterator[World]:
    world, snapshot = _anvil_base
    world.chain.revert(snapshot)
    yield world


def test_register_by_sig_on_anvil_credits_signer_within_budget(world: World) -> None:
    assert world.chain.chain_id == 31337
    gas = []
    for nonce in (512, 513):
        reg = world.registration(world.bob)
        auth = world.sign(world.bob, "Register", reg.message(), nonce=nonce)
        receipt = world.chain.send(
            world.ledger.functions.registerBySig(reg.as_tuple(), auth), world.relayer
        )
        assert event(world.ledger, "ContributionRegistered", receipt)["contributor"] == (
            world.bob.address
        )
        gas.append(receipt["gasUsed"])
    # The first nonce of a bitmap word writes a fresh slot (+17,100 gas once per 256 nonces);
    # the budget is for the steady state, where the word is already in use.
    assert abs(gas[0] - gas[1] - 17_100) < 200  # calldata bytes differ a little
    assert gas[1] <= REGISTER_BY_SIG_BUDGET, gas


def test_endorse_on_anvil_within_budget(world: World) -> None:
    contribution_id = world.register(world.bob)
    receipt = world.chain.send(
        world.ledger.functions.endorse(world.project, contribution_id, 4), world.carol
    )
    assert receipt["gasUsed"] <= ENDORSE_BUDGET, receipt["gasUsed"]


def test_custom_error_arrives_through_json_rpc(world: World) -> None:
    reg = world.registration(world.eve)
    with reverts("PocLedger", "PocNotPartner", world.project, world.eve.address):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.eve)


def test_replay_on_anvil_is_refused(world: World) -> None:
    reg = world.registration(world.bob)
    auth = world.sign(world.bob, "Register", reg.message())
    world.chain.send(world.ledger.functions.registerBySig(reg.as_tuple(), auth), world.relayer)
    with reverts("PocLedger", "SignatureNonceUsed", world.bob.address, auth[1]):
        world.chain.send(world.ledger.functions.registerBySig(reg.as_tuple(), auth), world.relayer)
    # eth-tester's chain id in the domain is not anvil's.
    other = world.sign(world.bob, "Register", reg.message(), chain_id=131277322940537)
    with reverts("PocLedger", "SignatureInvalid", world.bob.address):
        world.chain.send(world.ledger.functions.registerBySig(reg.as_tuple(), other), world.relayer)


def test_erc1271_wallet_signs_on_anvil(world: World) -> None:
    owner = actor("wallet owner")
    world.chain.add(owner)
    wallet = world.chain.deploy("ERC1271Wallet", owner.address, sender=owner)
    project_id = world.create_project(world.alice, [world.alice, wallet.address])
    world.accept(project_id, world.alice)
    data = world.ledger.encode_abi("acceptAgreement", args=[project_id, 1, AGREEMENT])
    world.chain.send(wallet.functions.execute(world.ledger.address, 0, data), owner)
    reg = world.registration(wallet.address, project_id=project_id)
    auth = world.sign(owner, "Register", reg.message(), signer=wallet.address)
    receipt = world.chain.send(
        world.ledger.functions.registerBySig(reg.as_tuple(), auth), world.relayer
    )
    assert event(world.ledger, "ContributionRegistered", receipt)["contributor"] == (wallet.address)


def test_reentrant_receiver_on_anvil_is_paid_once_within_budget(world: World) -> None:
    receiver = world.chain.deploy("ReentrantReceiver", world.eve.address, sender=world.eve)
    payees = sorted_addresses([world.alice.address, receiver.address])
    world.finalize_split({payees[0]: 5_000, payees[1]: 5_000})
    world.chain.send(world.vault.functions.deposit(world.project), world.bob, value=2 * 10**18)
    world.chain.send(receiver.functions.arm(world.vault.address, world.project, 1), world.eve)
    world.chain.send(world.vault.functions.release(world.project, ETH, receiver.address), world.eve)
    assert world.chain.balance(receiver.address) == 10**18
    assert decode_error("RoyaltyVault", receiver.functions.lastError().call())[0] == (
        "ReentrancyGuardReentrantCall"
    )
    receipt = world.chain.send(
        world.vault.functions.release(world.project, ETH, world.alice.address), world.eve
    )
    assert receipt["gasUsed"] <= RELEASE_BUDGET, receipt["gasUsed"]
