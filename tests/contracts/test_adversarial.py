"""Adversarial suite: each test names an attack and shows the contracts refuse it.

Attackers: partners acting against the others, outsiders, a relayer that replays or front-runs,
hostile contracts (re-entrant receivers and tokens, fee-on-transfer and false-returning tokens,
a partner that cannot receive ETH). Test-only contracts live in contracts/test/.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from web3.contract import Contract

from tests.contracts.support import (
    ACTIVE,
    CHANGE_POLICY,
    REMOVE_PARTNER,
    ZERO_ADDRESS,
    Actor,
    Policy,
    Registration,
    TxReverted,
    above,
    actor,
    contribution_id_of,
    covers,
    decode_error,
    event,
    events,
    policy_bytes,
    reverts,
    sorted_addresses,
)
from tests.contracts.world import AGREEMENT, World, address_data

ETH = ZERO_ADDRESS
# MaliciousToken.Attack / ReentrantReceiver.Attack
NO_ATTACK, TOKEN_DEPOSIT, TOKEN_RELEASE, TOKEN_RELEASE_TO = range(4)
RECEIVER_RELEASE, RECEIVER_RELEASE_TO = 1, 2


def _register_by_sig(world: World, reg: Registration, auth: tuple[str, int, int, bytes]) -> Any:
    return world.chain.send(
        world.ledger.functions.registerBySig(reg.as_tuple(), auth), world.relayer
    )


def _forward(world: World, wallet: Contract, owner: Actor, target: Contract, fn: str, *args: Any):
    """Have a test contract (wallet, receiver) call `target.fn(*args)` on its owner's order."""
    data = target.encode_abi(fn, args=list(args))
    return world.chain.send(wallet.functions.execute(target.address, 0, data), owner)


def _even_split(world: World, payees: list[str]) -> list[str]:
    payees = sorted_addresses(payees)
    bps = [10_000 // len(payees)] * len(payees)
    bps[0] += 10_000 - sum(bps)
    world.finalize_split(dict(zip(payees, bps, strict=True)))
    return payees


# -------------------------------------------------------------- endorsing one's own work


def test_self_endorse_attack_is_refused(world: World) -> None:
    contribution_id = world.register(world.bob)
    message = {"projectId": world.project, "contributionId": contribution_id, "rating": 5}
    auth = world.sign(world.bob, "Endorse", message)
    with reverts("PocLedger", "PocSelfEndorsement", contribution_id, world.bob.address):
        world.chain.send(
            world.ledger.functions.endorseBySig(world.project, contribution_id, 5, auth),
            world.relayer,
        )


def test_double_endorse_attack_is_refused(world: World) -> None:
    contribution_id = world.register(world.bob)
    world.chain.send(world.ledger.functions.endorse(world.project, contribution_id, 5), world.carol)
    # A fresh signature (new nonce) does not make a second endorsement count either.
    message = {"projectId": world.project, "contributionId": contribution_id, "rating": 5}
    auth = world.sign(world.carol, "Endorse", message)
    with reverts("PocLedger", "PocAlreadyEndorsed", contribution_id, world.carol.address):
        world.chain.send(
            world.ledger.functions.endorseBySig(world.project, contribution_id, 5, auth),
            world.relayer,
        )


# ------------------------------------------------------------------------ forged signers


def test_non_member_signature_attack_is_refused(world: World) -> None:
    reg = world.registration(world.eve)
    with reverts("PocLedger", "PocNotPartner", world.project, world.eve.address):
        _register_by_sig(world, reg, world.sign(world.eve, "Register", reg.message()))


@covers("PocLedger.SignatureInvalid")
def test_signature_claiming_another_signer_is_refused(world: World) -> None:
    # The operator (or anyone) signs with its own key but names a partner as signer.
    reg = world.registration(world.bob)
    auth = world.sign(world.eve, "Register", reg.message(), signer=world.bob.address)
    with reverts("PocLedger", "SignatureInvalid", world.bob.address):
        _register_by_sig(world, reg, auth)


# -------------------------------------------------------------------------------- replays


def test_replay_on_same_chain_is_refused(world: World) -> None:
    reg = world.registration(world.bob)
    auth = world.sign(world.bob, "Register", reg.message())
    _register_by_sig(world, reg, auth)
    with reverts("PocLedger", "SignatureNonceUsed", world.bob.address, auth[1]):
        _register_by_sig(world, reg, auth)


def test_replay_of_other_chain_signature_is_refused(world: World) -> None:
    reg = world.registration(world.bob)
    auth = world.sign(world.bob, "Register", reg.message(), chain_id=1)
    with reverts("PocLedger", "SignatureInvalid", world.bob.address):
        _register_by_sig(world, reg, auth)


def test_replay_on_other_deployment_is_refused(world: World) -> None:
    twin = world.chain.deploy("PocLedger", sender=world.deployer)
    receipt = world.chain.send(
        twin.functions.createProject(
            AGREEMENT, [p.address for p in world.partners], world.policy.as_tuple()
        ),
        world.alice,
    )
    twin_project = event(twin, "ProjectCreated", receipt)["projectId"]
    assert twin_project == world.project  # same id, same partners: only the domain differs
    for partner in world.partners:
        world.chain.send(twin.functions.acceptAgreement(twin_project, 1, AGREEMENT), partner)
    reg = world.registration(world.bob)
    auth = world.sign(world.bob, "Register", reg.message())
    with reverts("PocLedger", "SignatureInvalid", world.bob.address):
        world.chain.send(twin.functions.registerBySig(reg.as_tuple(), auth), world.relayer)
    _register_by_sig(world, reg, auth)


def test_replay_of_ledger_signature_on_vault_is_refused(world: World) -> None:
    world.finalize_split({p.address: 2_500 for p in world.partners})
    world.chain.send(world.vault.functions.deposit(world.project), world.eve, value=4_000)
    message = {"projectId": world.project, "token": ETH, "recipient": world.eve.address}
    auth = world.sign(world.bob, "ReleaseTo", message, contract=world.ledger)
    with reverts("RoyaltyVault", "SignatureInvalid", world.bob.address):
        world.chain.send(
            world.vault.functions.releaseToBySig(world.project, ETH, world.eve.address, auth),
            world.relayer,
        )


def test_replay_in_other_project_is_refused(world: World) -> None:
    other = world.project_in_force([world.bob, world.carol, world.dave])
    contribution_id = world.register(world.bob, project_id=other)
    # Endorsements name the project: carol's signature for project 1 is useless in `other`.
    message = {"projectId": world.project, "contributionId": contribution_id, "rating": 5}
    auth = world.sign(world.carol, "Endorse", message)
    with reverts("PocLedger", "SignatureInvalid", world.carol.address):
        world.chain.send(
            world.ledger.functions.endorseBySig(other, contribution_id, 5, auth), world.relayer
        )


@covers("PocLedger.SignatureExpired")
def test_replay_after_deadline_is_refused(world: World) -> None:
    reg = world.registration(world.bob)
    deadline = world.chain.next_timestamp() + 60
    auth = world.sign(world.bob, "Register", reg.message(), deadline=deadline)
    world.chain.set_next_timestamp(deadline + 1)
    with reverts("PocLedger", "SignatureExpired", deadline, above(deadline)):
        _register_by_sig(world, reg, auth)


def test_signature_at_deadline_is_accepted(world: World) -> None:
    reg = world.registration(world.bob)
    deadline = world.chain.next_timestamp() + 60
    auth = world.sign(world.bob, "Register", reg.message(), deadline=deadline)
    world.chain.set_next_timestamp(deadline)
    _register_by_sig(world, reg, auth)


@covers(
    "RoyaltyVault.SignatureExpired",
    "RoyaltyVault.SignatureInvalid",
    "RoyaltyVault.SignatureNonceUsed",
)
def test_vault_signature_replays_are_refused(world: World) -> None:
    world.finalize_split({p.address: 2_500 for p in world.partners})
    world.chain.send(world.vault.functions.deposit(world.project), world.eve, value=4_000)
    recipient = actor("bob's bank").address
    message = {"projectId": world.project, "token": ETH, "recipient": recipient}
    auth = world.sign(world.bob, "ReleaseTo", message, contract=world.vault)
    world.chain.send(
        world.vault.functions.releaseToBySig(world.project, ETH, recipient, auth), world.relayer
    )
    release = world.vault.functions.releaseToBySig
    world.chain.send(world.vault.functions.deposit(world.project), world.eve, value=4_000)
    with reverts("RoyaltyVault", "SignatureNonceUsed", world.bob.address, auth[1]):
        world.chain.send(release(world.project, ETH, recipient, auth), world.relayer)
    other_chain = world.sign(world.bob, "ReleaseTo", message, contract=world.vault, chain_id=5)
    with reverts("RoyaltyVault", "SignatureInvalid", world.bob.address):
        world.chain.send(release(world.project, ETH, recipient, other_chain), world.relayer)
    deadline = world.chain.next_timestamp()
    late = world.sign(world.bob, "ReleaseTo", message, contract=world.vault, deadline=deadline)
    world.chain.travel(10)
    with reverts("RoyaltyVault", "SignatureExpired", deadline, above(deadline)):
        world.chain.send(release(world.project, ETH, recipient, late), world.relayer)
    assert world.chain.balance(recipient) == 1_000


def test_cancelled_nonce_blocks_signed_action(world: World) -> None:
    reg = world.registration(world.bob)
    auth = world.sign(world.bob, "Register", reg.message())
    world.chain.send(world.ledger.functions.cancelNonce(auth[1]), world.bob)
    assert world.ledger.functions.isNonceUsed(world.bob.address, auth[1]).call()
    with reverts("PocLedger", "SignatureNonceUsed", world.bob.address, auth[1]):
        _register_by_sig(world, reg, auth)
    assert world.status(contribution_id_of(world.project, world.bob.address, reg.commitment)) == 0


def test_cancelled_vault_nonce_blocks_signed_release(world: World) -> None:
    world.finalize_split({p.address: 2_500 for p in world.partners})
    world.chain.send(world.vault.functions.deposit(world.project), world.eve, value=4_000)
    message = {"projectId": world.project, "token": ETH, "recipient": world.eve.address}
    auth = world.sign(world.bob, "ReleaseTo", message, contract=world.vault)
    world.chain.send(world.vault.functions.cancelNonce(auth[1]), world.bob)
    with reverts("RoyaltyVault", "SignatureNonceUsed", world.bob.address, auth[1]):
        world.chain.send(
            world.vault.functions.releaseToBySig(world.project, ETH, world.eve.address, auth),
            world.relayer,
        )


# --------------------------------------------------------------------------- front-running


def test_commitment_front_running_cannot_block_victim(world: World) -> None:
    victim_reg = world.registration(world.bob)
    victim_auth = world.sign(world.bob, "Register", victim_reg.message())
    # carol sees the pending registration and registers the same commitment first.
    copy = world.registration(world.carol, commitment=victim_reg.commitment)
    copied = world.chain.send(world.ledger.functions.register(copy.as_tuple()), world.carol)
    copy_id = event(world.ledger, "ContributionRegistered", copied)["contributionId"]
    receipt = _register_by_sig(world, victim_reg, victim_auth)
    victim_id = event(world.ledger, "ContributionRegistered", receipt)["contributionId"]
    assert victim_id != copy_id
    assert victim_id == contribution_id_of(world.project, world.bob.address, victim_reg.commitment)
    assert world.ledger.functions.contribution(victim_id).call()[0] == world.bob.address
    assert world.ledger.functions.contribution(copy_id).call()[0] == world.carol.address
    # The commitment binds bob as contributor: carol cannot open hers with bob's preimage.
    assert world.commitment(world.carol, label="x") != world.commitment(world.bob, label="x")


def test_relayer_front_running_signed_registration_still_credits_signer(world: World) -> None:
    reg = world.registration(world.bob)
    auth = world.sign(world.bob, "Register", reg.message())
    receipt = world.chain.send(
        world.ledger.functions.registerBySig(reg.as_tuple(), auth), world.eve
    )
    assert event(world.ledger, "ContributionRegistered", receipt)["contributor"] == (
        world.bob.address
    )


# ------------------------------------------------------------ changing the rules alone


def test_coordinator_adding_partner_alone_after_in_force_is_refused(world: World) -> None:
    with reverts("PocLedger", "PocAgreementInForce", world.project):
        world.chain.send(
            world.ledger.functions.addPartner(world.project, world.eve.address), world.alice
        )


def test_policy_change_by_proposer_alone_does_not_execute(world: World) -> None:
    lax = Policy(governance_bps=1, split_approval_bps=1, dispute_window=0)
    proposal_id = world.propose(world.bob, CHANGE_POLICY, policy_bytes(lax))
    proposal = world.ledger.functions.proposal(world.project, proposal_id).call()
    assert (proposal[2], proposal[4], proposal[5]) == (False, 1, 3)
    assert world.info()[3] == 1  # still policy version 1
    with reverts("PocLedger", "PocAlreadyApproved", proposal_id, world.bob.address):
        world.chain.send(
            world.ledger.functions.approveProposal(world.project, proposal_id), world.bob
        )


def test_split_by_proposer_alone_is_not_finalized(world: World) -> None:
    split = world.split_input([world.bob.address], [10_000])
    world.chain.send(world.vault.functions.proposeSplit(world.project, split), world.bob)
    assert world.vault.functions.currentSplitVersion(world.project).call() == 0
    with reverts("RoyaltyVault", "VaultNoSplitInForce", world.project):
        world.chain.send(world.vault.functions.deposit(world.project), world.eve, value=1)


def test_partner_being_removed_cannot_block_unanimous_removal(world: World) -> None:
    unanimous = world.project_in_force(world.partners, Policy(governance_bps=10_000))
    proposal_id = world.propose(
        world.alice, REMOVE_PARTNER, address_data(world.dave.address), unanimous
    )
    approve = world.ledger.functions.approveProposal(unanimous, proposal_id)
    assert world.ledger.functions.proposal(unanimous, proposal_id).call()[5] == 3
    with reverts("PocLedger", "PocNotEligibleApprover", proposal_id, world.dave.address):
        world.chain.send(approve, world.dave)
    world.chain.send(approve, world.bob)
    receipt = world.chain.send(approve, world.carol)
    assert event(world.ledger, "PartnerRemoved", receipt)["partner"] == world.dave.address


# ------------------------------------------------------------------------- re-entrancy


@pytest.mark.parametrize("attack", [RECEIVER_RELEASE, RECEIVER_RELEASE_TO], ids=["release", "to"])
def test_reentrant_eth_receiver_is_paid_once(world: World, attack: int) -> None:
    receiver = world.chain.deploy("ReentrantReceiver", world.eve.address, sender=world.eve)
    payees = _even_split(world, [world.alice.address, receiver.address])
    world.chain.send(world.vault.functions.deposit(world.project), world.bob, value=2_000)
    world.chain.send(receiver.functions.arm(world.vault.address, world.project, attack), world.eve)
    if attack == RECEIVER_RELEASE:
        world.chain.send(
            world.vault.functions.release(world.project, ETH, receiver.address), world.eve
        )
    else:
        _forward(
            world,
            receiver,
            world.eve,
            world.vault,
            "releaseTo",
            world.project,
            ETH,
            receiver.address,
        )
    assert receiver.functions.attempts().call() == 1
    assert receiver.functions.reentered().call() is False
    assert decode_error("RoyaltyVault", receiver.functions.lastError().call()) == (
        "ReentrancyGuardReentrantCall",
        (),
    )
    assert world.chain.balance(receiver.address) == 1_000
    assert world.vault.functions.totals(world.project, ETH).call() == [2_000, 1_000]
    assert world.chain.balance(world.vault.address) == 1_000
    other = next(p for p in payees if p != receiver.address)
    assert world.vault.functions.balanceOf(world.project, ETH, other).call() == 1_000


@covers("RoyaltyVault.ReentrancyGuardReentrantCall")
def test_reentrant_token_deposit_is_refused(world: World) -> None:
    token = world.chain.deploy("MaliciousToken", sender=world.eve)
    _even_split(world, [world.alice.address, world.bob.address])
    world.mint_and_approve(world.eve, 1_000, token)
    world.chain.send(
        token.functions.arm(world.vault.address, world.project, TOKEN_DEPOSIT, ZERO_ADDRESS, True),
        world.eve,
    )
    with reverts("RoyaltyVault", "ReentrancyGuardReentrantCall"):
        world.chain.send(
            world.vault.functions.depositToken(world.project, token.address, 1_000), world.eve
        )
    assert world.vault.functions.totals(world.project, token.address).call() == [0, 0]


def test_reentrant_token_release_is_refused(world: World) -> None:
    token = world.chain.deploy("MaliciousToken", sender=world.eve)
    payees = _even_split(world, [world.alice.address, world.bob.address])
    world.mint_and_approve(world.eve, 1_000, token)
    world.chain.send(
        world.vault.functions.depositToken(world.project, token.address, 1_000), world.eve
    )
    # While paying payees[1], the token tries to release payees[0]'s balance a second time.
    world.chain.send(
        token.functions.arm(world.vault.address, world.project, TOKEN_RELEASE, payees[0], False),
        world.eve,
    )
    world.chain.send(
        world.vault.functions.release(world.project, token.address, payees[1]), world.eve
    )
    assert token.functions.reentered().call() is False
    assert decode_error("RoyaltyVault", token.functions.lastError().call())[0] == (
        "ReentrancyGuardReentrantCall"
    )
    assert world.vault.functions.balanceOf(world.project, token.address, payees[0]).call() == 500
    assert token.functions.balanceOf(payees[1]).call() == 500
    assert token.functions.balanceOf(world.vault.address).call() == 500


def test_reentrant_token_release_to_is_refused(world: World) -> None:
    token = world.chain.deploy("MaliciousToken", sender=world.eve)
    _even_split(world, [world.alice.address, token.address])
    world.mint_and_approve(world.eve, 1_000, token)
    world.chain.send(
        world.vault.functions.depositToken(world.project, token.address, 1_000), world.eve
    )
    world.chain.send(
        token.functions.arm(
            world.vault.address, world.project, TOKEN_RELEASE_TO, ZERO_ADDRESS, True
        ),
        world.eve,
    )
    with reverts("RoyaltyVault", "ReentrancyGuardReentrantCall"):
        world.chain.send(
            world.vault.functions.release(world.project, token.address, world.alice.address),
            world.eve,
        )


# --------------------------------------------------------------------- hostile tokens


def test_fee_on_transfer_token_allocates_what_arrived(world: World) -> None:
    token = world.chain.deploy("FeeOnTransferToken", 100, sender=world.eve)  # 1% burnt
    payees = _even_split(world, [world.alice.address, world.bob.address, world.carol.address])
    world.mint_and_approve(world.eve, 10_000, token)
    receipt = world.chain.send(
        world.vault.functions.depositToken(world.project, token.address, 10_000), world.eve
    )
    assert event(world.vault, "RevenueReceived", receipt)["amount"] == 9_900
    balances = [
        world.vault.functions.balanceOf(world.project, token.address, p).call() for p in payees
    ]
    assert sum(balances) == 9_900 == token.functions.balanceOf(world.vault.address).call()
    for payee in payees:
        world.chain.send(
            world.vault.functions.release(world.project, token.address, payee), world.eve
        )
    assert token.functions.balanceOf(world.vault.address).call() == 0
    assert world.vault.functions.totals(world.project, token.address).call() == [9_900, 9_900]


@covers("RoyaltyVault.SafeERC20FailedOperation")
def test_false_returning_token_deposit_reverts_cleanly(world: World) -> None:
    token = world.chain.deploy("FalseReturnToken", sender=world.eve)
    _even_split(world, [world.alice.address, world.bob.address])
    world.mint_and_approve(world.eve, 1_000, token)
    world.chain.send(token.functions.setFailures(False, True), world.eve)
    with reverts("RoyaltyVault", "SafeERC20FailedOperation", token.address):
        world.chain.send(
            world.vault.functions.depositToken(world.project, token.address, 1_000), world.eve
        )
    assert world.vault.functions.totals(world.project, token.address).call() == [0, 0]


def test_false_returning_token_release_reverts_and_keeps_balance(world: World) -> None:
    token = world.chain.deploy("FalseReturnToken", sender=world.eve)
    payees = _even_split(world, [world.alice.address, world.bob.address])
    world.mint_and_approve(world.eve, 1_000, token)
    world.chain.send(
        world.vault.functions.depositToken(world.project, token.address, 1_000), world.eve
    )
    world.chain.send(token.functions.setFailures(True, False), world.eve)
    with reverts("RoyaltyVault", "SafeERC20FailedOperation", token.address):
        world.chain.send(
            world.vault.functions.release(world.project, token.address, payees[0]), world.eve
        )
    assert world.vault.functions.balanceOf(world.project, token.address, payees[0]).call() == 500


# ------------------------------------------------------------- partners that misbehave


@covers("RoyaltyVault.VaultTransferFailed")
def test_partner_rejecting_eth_does_not_block_others(world: World) -> None:
    rejecting = world.chain.deploy("RejectingReceiver", world.dave.address, sender=world.dave)
    payees = _even_split(world, [world.alice.address, world.bob.address, rejecting.address])
    world.chain.send(world.vault.functions.deposit(world.project), world.eve, value=3_000)
    with reverts("RoyaltyVault", "VaultTransferFailed", rejecting.address, 1_000):
        world.chain.send(
            world.vault.functions.release(world.project, ETH, rejecting.address), world.eve
        )
    for payee in payees:
        if payee != rejecting.address:
            world.chain.send(world.vault.functions.release(world.project, ETH, payee), world.eve)
            assert world.vault.functions.balanceOf(world.project, ETH, payee).call() == 0
    # Its royalties wait for it; it collects them elsewhere with releaseTo.
    assert world.vault.functions.balanceOf(world.project, ETH, rejecting.address).call() == 1_000
    treasury = actor("dave's treasury").address
    _forward(world, rejecting, world.dave, world.vault, "releaseTo", world.project, ETH, treasury)
    assert world.chain.balance(treasury) == 1_000
    assert world.chain.balance(world.vault.address) == 0


def test_erc1271_wallet_partner_signs_via_is_valid_signature(world: World) -> None:
    owner = actor("wallet owner")
    world.chain.add(owner)
    wallet = world.chain.deploy("ERC1271Wallet", owner.address, sender=owner)
    project_id = world.create_project(world.alice, [world.alice, world.bob, wallet.address])
    for who in (world.alice, world.bob):
        world.accept(project_id, who)
    # The wallet accepts by a relayed signature of its owner, checked through ERC-1271.
    message = {"projectId": project_id, "version": 1, "agreementHash": AGREEMENT}
    auth = world.sign(owner, "AcceptAgreement", message, signer=wallet.address)
    world.chain.send(
        world.ledger.functions.acceptAgreementBySig(project_id, 1, AGREEMENT, auth),
        world.relayer,
    )
    assert world.info(project_id)[5] is True
    reg = world.registration(wallet.address, project_id=project_id)
    auth = world.sign(owner, "Register", reg.message(), signer=wallet.address)
    receipt = _register_by_sig(world, reg, auth)
    contribution_id = event(world.ledger, "ContributionRegistered", receipt)["contributionId"]
    assert world.ledger.functions.contribution(contribution_id).call()[0] == wallet.address
    assert world.status(contribution_id) == ACTIVE
    # A signature by anyone but the owner is not the wallet's.
    forged = world.sign(world.eve, "Register", reg.message(), signer=wallet.address)
    with reverts("PocLedger", "SignatureInvalid", wallet.address):
        _register_by_sig(world, world.registration(wallet.address, project_id=project_id), forged)
    # The wallet also acts directly, through its owner.
    bob_work = world.register(world.bob, project_id=project_id)
    receipt = _forward(world, wallet, owner, world.ledger, "endorse", project_id, bob_work, 5)
    assert events(world.ledger, "Endorsed", receipt)[0]["endorser"] == wallet.address


def test_non_owner_cannot_drive_a_partner_wallet(world: World) -> None:
    wallet = world.chain.deploy("ERC1271Wallet", world.bob.address, sender=world.bob)
    data = world.ledger.encode_abi("setIdentity", args=["Mallory", "0"])
    with reverts("ERC1271Wallet", "ForwarderNotOwner", world.eve.address):
        world.chain.send(wallet.functions.execute(world.ledger.address, 0, data), world.eve)


def test_partner_removing_the_only_other_partner_alone_is_refused(world: World) -> None:
    # docs/governance.md: "With governanceBps = 10000 every (eligible) partner must agree; a
    # single partner can therefore change others' rights alone only in a one-partner project."
    # In a two-partner project the partner being removed is not counted, so a removal would need
    # the proposer's approval only: alice could expel bob alone, then propose and finalize a
    # split paying her 100% of all future revenue.
    pair = world.project_in_force([world.alice, world.bob], Policy(governance_bps=10_000))
    with contextlib.suppress(TxReverted):  # refusing the proposal outright is fine too
        world.propose(world.alice, REMOVE_PARTNER, address_data(world.bob.address), pair)
    assert world.ledger.functions.member(pair, world.bob.address).call()[0] is True
