"""RoyaltyVault: split proposals and finalization, deposits allocated at arrival, releases.

Project 1's policy needs ceil(4 x 0.75) = 3 approvals for a split.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from eth_utils.crypto import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.contracts.support import (
    ADD_PARTNER,
    BPS,
    ZERO_ADDRESS,
    Actor,
    Policy,
    actor,
    covers,
    event,
    events,
    reverts,
    sorted_addresses,
)
from tests.contracts.world import World, address_data

ETH = ZERO_ADDRESS
INPUT_SET = keccak(text="scoring input set")


def reference_allocation(amount: int, bps: Sequence[int]) -> list[int]:
    """The rounding rule of IRoyaltyVault, written independently: floor shares, then one unit
    each to the largest remainders, ties to the lower index (partners are sorted ascending)."""
    shares = [amount * b // BPS for b in bps]
    remainders = [amount * b % BPS for b in bps]
    left = amount - sum(shares)
    for i in sorted(range(len(bps)), key=lambda i: (-remainders[i], i))[:left]:
        shares[i] += 1
    return shares


def _sorted_partners(world: World) -> list[str]:
    return sorted_addresses([p.address for p in world.partners])


def _propose(world: World, who: Actor, split: tuple[object, ...], project_id: int | None = None):
    return world.chain.send(
        world.vault.functions.proposeSplit(project_id or world.project, split), who
    )


def _balances(world: World, partners: Sequence[str], token: str = ETH) -> list[int]:
    return [world.vault.functions.balanceOf(world.project, token, p).call() for p in partners]


# ------------------------------------------------------------------------------- proposals


def test_propose_split_records_everything(world: World) -> None:
    partners = _sorted_partners(world)
    bps = [4_000, 3_000, 2_000, 1_000]
    block = world.chain.w3.eth.block_number
    receipt = _propose(world, world.bob, world.split_input(partners, bps, 1, block, INPUT_SET))
    assert event(world.vault, "SplitProposed", receipt) == {
        "projectId": world.project,
        "proposalId": 1,
        "proposer": world.bob.address,
        "partners": partners,
        "bps": bps,
        "policyVersion": 1,
        "computedAtBlock": block,
        "inputSetHash": INPUT_SET,
    }
    assert event(world.vault, "SplitApproved", receipt)["approver"] == world.bob.address
    assert events(world.vault, "SplitFinalized", receipt) == []
    assert world.vault.functions.splitProposal(world.project, 1).call() == (
        world.project,
        False,
        1,
        3,
        world.chain.now(),
        1,
        block,
        INPUT_SET,
        world.bob.address,
        partners,
        bps,
    )
    assert world.vault.functions.currentSplitVersion(world.project).call() == 0
    assert world.vault.functions.ledger().call() == world.ledger.address


def _invalid_splits(p: list[str]) -> dict[str, tuple[tuple[object, ...], str]]:
    many = sorted_addresses([actor(f"payee {i}").address for i in range(65)])
    return {
        "no partners": (([], [], 1), "partner count"),
        "65 partners": ((many, [BPS // 65] * 64 + [BPS - 64 * (BPS // 65)], 1), "partner count"),
        "length mismatch": ((p, [5_000, 5_000], 1), "length mismatch"),
        "descending": ((p[::-1], [2_500] * 4, 1), "partners not ascending"),
        "duplicate": (([p[0], p[0]], [5_000, 5_000], 1), "partners not ascending"),
        "zero address": (([ZERO_ADDRESS, p[0]], [5_000, 5_000], 1), "partners not ascending"),
        "sum below": ((p, [2_500, 2_500, 2_500, 2_499], 1), "bps sum"),
        "sum above": ((p, [2_500, 2_500, 2_500, 2_501], 1), "bps sum"),
        "policy version zero": ((p, [2_500] * 4, 0), "policy version"),
        "unknown policy version": ((p, [2_500] * 4, 2), "policy version"),
    }


INVALID_SPLIT_IDS = list(_invalid_splits(["0x" + "11" * 20] * 4))


@covers("RoyaltyVault.VaultInvalidSplit")
@pytest.mark.parametrize("case", INVALID_SPLIT_IDS)
def test_propose_invalid_split_reverts(world: World, case: str) -> None:
    (partners, bps, policy_version), reason = _invalid_splits(_sorted_partners(world))[case]
    split = world.split_input(partners, bps, policy_version)  # type: ignore[arg-type]
    with reverts("RoyaltyVault", "VaultInvalidSplit", reason):
        _propose(world, world.alice, split)


def test_propose_split_computed_at_future_block_reverts(world: World) -> None:
    block = world.chain.w3.eth.block_number
    split = world.split_input(_sorted_partners(world), [2_500] * 4, 1, block + 2)
    with reverts("RoyaltyVault", "VaultInvalidSplit", "future block"):
        _propose(world, world.alice, split)


def test_propose_split_with_64_payees_outside_the_project_succeeds(world: World) -> None:
    payees = sorted_addresses([actor(f"payee {i}").address for i in range(64)])
    bps = [156] * 63 + [BPS - 63 * 156]
    receipt = _propose(world, world.alice, world.split_input(payees, bps))
    assert event(world.vault, "SplitProposed", receipt)["partners"] == payees


@covers("RoyaltyVault.VaultNotParticipant")
def test_propose_split_by_non_participant_reverts(world: World) -> None:
    split = world.split_input(_sorted_partners(world), [2_500] * 4)
    with reverts("RoyaltyVault", "VaultNotParticipant", world.project, world.eve.address):
        _propose(world, world.eve, split)


# ------------------------------------------------------------------------------ approvals


def test_approve_split_finalizes_at_threshold_as_next_version(world: World) -> None:
    split = world.split_input(_sorted_partners(world), [2_500] * 4)
    proposal_id = event(world.vault, "SplitProposed", _propose(world, world.alice, split))[
        "proposalId"
    ]
    approve = world.vault.functions.approveSplit(world.project, proposal_id)
    assert events(world.vault, "SplitFinalized", world.chain.send(approve, world.bob)) == []
    receipt = world.chain.send(approve, world.carol)
    assert event(world.vault, "SplitFinalized", receipt) == {
        "projectId": world.project,
        "splitVersion": 1,
        "proposalId": proposal_id,
    }
    assert world.vault.functions.currentSplitVersion(world.project).call() == 1
    assert world.vault.functions.splitProposalOf(world.project, 1).call() == proposal_id
    assert world.vault.functions.hasApprovedSplit(proposal_id, world.carol.address).call()
    # A second finalized proposal becomes version 2; version 1 stays readable.
    second = world.finalize_split({p: 2_500 for p in _sorted_partners(world)})
    assert world.vault.functions.currentSplitVersion(world.project).call() == 2
    assert world.vault.functions.splitProposalOf(world.project, 2).call() == second
    assert world.vault.functions.splitProposalOf(world.project, 1).call() == proposal_id


@covers("RoyaltyVault.VaultAlreadyApproved")
def test_approve_split_twice_reverts(world: World) -> None:
    split = world.split_input(_sorted_partners(world), [2_500] * 4)
    _propose(world, world.alice, split)
    with reverts("RoyaltyVault", "VaultAlreadyApproved", 1, world.alice.address):
        world.chain.send(world.vault.functions.approveSplit(world.project, 1), world.alice)


@covers("RoyaltyVault.VaultSplitAlreadyFinalized")
def test_approve_finalized_split_reverts(world: World) -> None:
    proposal_id = world.finalize_split({p: 2_500 for p in _sorted_partners(world)})
    with reverts("RoyaltyVault", "VaultSplitAlreadyFinalized", proposal_id):
        world.chain.send(world.vault.functions.approveSplit(world.project, proposal_id), world.dave)


@covers("RoyaltyVault.VaultSplitNotFound")
def test_approve_unknown_split_reverts(world: World) -> None:
    with reverts("RoyaltyVault", "VaultSplitNotFound", world.project, 5):
        world.chain.send(world.vault.functions.approveSplit(world.project, 5), world.bob)
    with reverts("RoyaltyVault", "VaultSplitNotFound", world.project, 5):
        world.vault.functions.splitProposal(world.project, 5).call()


def test_approve_split_of_other_project_reverts(world: World) -> None:
    other = world.project_in_force([world.bob, world.carol])
    split = world.split_input(
        sorted_addresses([world.bob.address, world.carol.address]), [5_000] * 2
    )
    _propose(world, world.bob, split, other)
    with reverts("RoyaltyVault", "VaultSplitNotFound", world.project, 1):
        world.chain.send(world.vault.functions.approveSplit(world.project, 1), world.carol)


def test_approve_split_by_non_participant_reverts(world: World) -> None:
    _propose(world, world.alice, world.split_input(_sorted_partners(world), [2_500] * 4))
    with reverts("RoyaltyVault", "VaultNotParticipant", world.project, world.eve.address):
        world.chain.send(world.vault.functions.approveSplit(world.project, 1), world.eve)


@covers("RoyaltyVault.VaultNotEligibleApprover")
def test_approve_split_by_partner_who_joined_later_reverts(world: World) -> None:
    _propose(world, world.alice, world.split_input(_sorted_partners(world), [2_500] * 4))
    world.chain.travel(60)
    adding = world.propose(world.alice, ADD_PARTNER, address_data(world.eve.address))
    for who in (world.bob, world.carol):
        world.chain.send(world.ledger.functions.approveProposal(world.project, adding), who)
    world.accept(world.project, world.eve)
    with reverts("RoyaltyVault", "VaultNotEligibleApprover", 1, world.eve.address):
        world.chain.send(world.vault.functions.approveSplit(world.project, 1), world.eve)


# -------------------------------------------------------------------------------- deposits


@covers("RoyaltyVault.VaultNoSplitInForce")
def test_deposit_without_split_in_force_reverts(world: World) -> None:
    with reverts("RoyaltyVault", "VaultNoSplitInForce", world.project):
        world.chain.send(world.vault.functions.deposit(world.project), world.eve, value=10**18)
    world.mint_and_approve(world.eve, 1_000)
    with reverts("RoyaltyVault", "VaultNoSplitInForce", world.project):
        world.chain.send(
            world.vault.functions.depositToken(world.project, world.token.address, 1_000),
            world.eve,
        )
    assert world.token.functions.balanceOf(world.eve.address).call() == 1_000


@covers("RoyaltyVault.VaultZeroAmount")
def test_deposit_zero_reverts(world: World) -> None:
    world.finalize_split({p: 2_500 for p in _sorted_partners(world)})
    with reverts("RoyaltyVault", "VaultZeroAmount"):
        world.chain.send(world.vault.functions.deposit(world.project), world.eve)
    with reverts("RoyaltyVault", "VaultZeroAmount"):
        world.chain.send(
            world.vault.functions.depositToken(world.project, world.token.address, 0), world.eve
        )


@covers("RoyaltyVault.VaultAmountTooLarge")
def test_deposit_past_uint128_total_reverts(world: World) -> None:
    # Totals are packed in 128 bits; a token claiming a larger supply is refused, not wrapped.
    world.finalize_split({p: 2_500 for p in _sorted_partners(world)})
    huge = 2**128
    world.mint_and_approve(world.eve, huge)
    with reverts("RoyaltyVault", "VaultAmountTooLarge", huge):
        world.chain.send(
            world.vault.functions.depositToken(world.project, world.token.address, huge),
            world.eve,
        )
    assert world.vault.functions.totals(world.project, world.token.address).call() == [0, 0]


@covers("RoyaltyVault.VaultUnattributedTransfer")
def test_plain_eth_transfer_to_vault_reverts(world: World) -> None:
    with reverts("RoyaltyVault", "VaultUnattributedTransfer"):
        world.chain.w3.eth.call(
            {"from": world.eve.address, "to": world.vault.address, "value": 1}  # type: ignore[typeddict-item]
        )


def test_deposit_eth_allocates_by_largest_remainder(world: World) -> None:
    partners = _sorted_partners(world)
    bps = [3_333, 3_333, 3_333, 1]
    world.finalize_split(dict(zip(partners, bps, strict=True)))
    receipt = world.chain.send(world.vault.functions.deposit(world.project), world.eve, value=10)
    assert event(world.vault, "RevenueReceived", receipt) == {
        "projectId": world.project,
        "token": ETH,
        "from": world.eve.address,
        "amount": 10,
        "splitVersion": 1,
    }
    # floor: 3, 3, 3, 0; remainders 3330, 3330, 3330, 10: the last unit goes to the first.
    assert _balances(world, partners) == [4, 3, 3, 0] == reference_allocation(10, bps)
    assert world.vault.functions.totals(world.project, ETH).call() == [10, 0]
    assert world.chain.balance(world.vault.address) == 10


def test_deposit_ties_go_to_lower_addresses(world: World) -> None:
    partners = _sorted_partners(world)
    world.finalize_split({p: 2_500 for p in partners})
    world.chain.send(world.vault.functions.deposit(world.project), world.eve, value=3)
    assert _balances(world, partners) == [1, 1, 1, 0]


def test_deposit_with_64_payees_allocates_every_unit(world: World) -> None:
    payees = sorted_addresses([actor(f"payee {i}").address for i in range(64)])
    bps = [156] * 63 + [BPS - 63 * 156]
    world.finalize_split(dict(zip(payees, bps, strict=True)))
    world.chain.send(world.vault.functions.deposit(world.project), world.eve, value=10**18 + 63)
    balances = _balances(world, payees)
    assert balances == reference_allocation(10**18 + 63, bps)
    assert sum(balances) == 10**18 + 63


def test_deposit_token_allocates_and_totals(world: World) -> None:
    partners = _sorted_partners(world)
    bps = [7_000, 2_000, 999, 1]
    world.finalize_split(dict(zip(partners, bps, strict=True)))
    world.mint_and_approve(world.eve, 123_457)
    receipt = world.chain.send(
        world.vault.functions.depositToken(world.project, world.token.address, 123_457), world.eve
    )
    assert event(world.vault, "RevenueReceived", receipt)["token"] == world.token.address
    assert _balances(world, partners, world.token.address) == reference_allocation(123_457, bps)
    assert world.vault.functions.totals(world.project, world.token.address).call() == [123_457, 0]
    assert world.token.functions.balanceOf(world.vault.address).call() == 123_457


def test_later_split_does_not_change_earlier_allocations(world: World) -> None:
    partners = _sorted_partners(world)
    first, second = [4_000, 3_000, 2_000, 1_000], [1_000, 2_000, 3_000, 4_000]
    world.finalize_split(dict(zip(partners, first, strict=True)))
    world.chain.send(world.vault.functions.deposit(world.project), world.eve, value=1_001)
    world.finalize_split(dict(zip(partners, second, strict=True)))
    receipt = world.chain.send(world.vault.functions.deposit(world.project), world.eve, value=999)
    assert event(world.vault, "RevenueReceived", receipt)["splitVersion"] == 2
    expected = [
        a + b
        for a, b in zip(
            reference_allocation(1_001, first), reference_allocation(999, second), strict=True
        )
    ]
    assert _balances(world, partners) == expected
    assert sum(expected) == 2_000


@pytest.fixture
def quick_project(world: World) -> int:
    """A project whose splits finalize on the proposer's approval alone."""
    return world.project_in_force(world.partners, Policy(split_approval_bps=1))


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    weights=st.lists(st.integers(min_value=0, max_value=1_000), min_size=1, max_size=4).filter(
        lambda w: sum(w) > 0
    ),
    amount=st.one_of(st.integers(1, 100), st.integers(1, 10**20)),  # eve holds 1000 ETH
)
def test_deposit_allocation_loses_no_wei(
    world: World, quick_project: int, weights: list[int], amount: int
) -> None:
    # Fixtures are set up once for all examples: each example reverts its own changes.
    snapshot = world.chain.snapshot()
    try:
        partners = _sorted_partners(world)[: len(weights)]
        bps = [w * BPS // sum(weights) for w in weights]
        bps[0] += BPS - sum(bps)
        split = world.split_input(partners, bps)
        world.chain.send(world.vault.functions.proposeSplit(quick_project, split), world.alice)
        world.chain.send(world.vault.functions.deposit(quick_project), world.eve, value=amount)
        balances = [world.vault.functions.balanceOf(quick_project, ETH, p).call() for p in partners]
        assert balances == reference_allocation(amount, bps)
        assert sum(balances) == amount
    finally:
        world.chain.revert(snapshot)


# -------------------------------------------------------------------------------- releases


def test_release_pays_partner_whoever_calls(world: World) -> None:
    partners = _sorted_partners(world)
    world.finalize_split({p: 2_500 for p in partners})
    world.chain.send(world.vault.functions.deposit(world.project), world.eve, value=4 * 10**18)
    payee = partners[2]
    before = world.chain.balance(payee)
    receipt = world.chain.send(world.vault.functions.release(world.project, ETH, payee), world.eve)
    assert event(world.vault, "Released", receipt) == {
        "projectId": world.project,
        "partner": payee,
        "token": ETH,
        "recipient": payee,
        "amount": 10**18,
    }
    assert world.chain.balance(payee) == before + 10**18
    assert world.vault.functions.balanceOf(world.project, ETH, payee).call() == 0
    assert world.vault.functions.totals(world.project, ETH).call() == [4 * 10**18, 10**18]
    assert world.chain.balance(world.vault.address) == 3 * 10**18


@covers("RoyaltyVault.VaultNothingToRelease")
def test_release_twice_reverts(world: World) -> None:
    partners = _sorted_partners(world)
    world.finalize_split({p: 2_500 for p in partners})
    world.chain.send(world.vault.functions.deposit(world.project), world.eve, value=400)
    release = world.vault.functions.release(world.project, ETH, partners[0])
    world.chain.send(release, world.eve)
    with reverts("RoyaltyVault", "VaultNothingToRelease", world.project, partners[0], ETH):
        world.chain.send(release, world.eve)


def test_release_token_pays_partner(world: World) -> None:
    partners = _sorted_partners(world)
    world.finalize_split({p: 2_500 for p in partners})
    world.mint_and_approve(world.eve, 1_000)
    world.chain.send(
        world.vault.functions.depositToken(world.project, world.token.address, 1_000), world.eve
    )
    world.chain.send(
        world.vault.functions.release(world.project, world.token.address, partners[1]), world.bob
    )
    assert world.token.functions.balanceOf(partners[1]).call() == 250
    assert world.vault.functions.totals(world.project, world.token.address).call() == [1_000, 250]


def test_release_to_pays_the_recipient_the_partner_names(world: World) -> None:
    world.finalize_split({p: 2_500 for p in _sorted_partners(world)})
    world.chain.send(world.vault.functions.deposit(world.project), world.eve, value=4_000)
    recipient = actor("treasury").address
    receipt = world.chain.send(
        world.vault.functions.releaseTo(world.project, ETH, recipient), world.carol
    )
    assert event(world.vault, "Released", receipt)["partner"] == world.carol.address
    assert event(world.vault, "Released", receipt)["recipient"] == recipient
    assert world.chain.balance(recipient) == 1_000
    with reverts("RoyaltyVault", "VaultNothingToRelease", world.project, world.eve.address, ETH):
        world.chain.send(world.vault.functions.releaseTo(world.project, ETH, recipient), world.eve)


def test_release_to_by_sig_pays_the_signed_recipient(world: World) -> None:
    world.finalize_split({p: 2_500 for p in _sorted_partners(world)})
    world.chain.send(world.vault.functions.deposit(world.project), world.eve, value=4_000)
    recipient = actor("treasury").address
    auth = world.sign(
        world.dave,
        "ReleaseTo",
        {"projectId": world.project, "token": ETH, "recipient": recipient},
        contract=world.vault,
    )
    receipt = world.chain.send(
        world.vault.functions.releaseToBySig(world.project, ETH, recipient, auth), world.relayer
    )
    assert event(world.vault, "Released", receipt)["partner"] == world.dave.address
    assert world.chain.balance(recipient) == 1_000
    # The relayer cannot redirect the payout: another recipient breaks the signature.
    with reverts("RoyaltyVault", "SignatureInvalid", world.dave.address):
        world.chain.send(
            world.vault.functions.releaseToBySig(world.project, ETH, world.relayer.address, auth),
            world.relayer,
        )
