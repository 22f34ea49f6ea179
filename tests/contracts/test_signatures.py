"""Signed (relayed) variants of every partner action, EIP-712 built independently of the library.

In each test the relayer sends the transaction and the effect is attributed to the signer. The
attacks on signatures (replays, other chain, expired, cancelled) are in test_adversarial.py.
"""

from __future__ import annotations

from dataclasses import replace

from eth_utils.crypto import keccak

from tests.contracts.support import (
    ACTIVE,
    ADD_PARTNER,
    INVALIDATED,
    WITHDRAWN,
    ZERO_ADDRESS,
    BatchLeaf,
    Policy,
    contribution_id_of,
    covers,
    domain_separator,
    event,
    oz_merkle_tree,
    policy_hash,
    reverts,
    sorted_addresses,
)
from tests.contracts.world import AGREEMENT, World, address_data

REASON = keccak(text="prior art")


def _used(world: World, auth: tuple[str, int, int, bytes], vault: bool = False) -> bool:
    contract = world.vault if vault else world.ledger
    return bool(contract.functions.isNonceUsed(auth[0], auth[1]).call())


def test_domain_separators_match_eip712_from_first_principles(world: World) -> None:
    chain_id = world.chain.chain_id
    assert world.ledger.functions.domainSeparator().call() == domain_separator(
        "PocLedger", chain_id, world.ledger.address
    )
    assert world.vault.functions.domainSeparator().call() == domain_separator(
        "RoyaltyVault", chain_id, world.vault.address
    )


def test_create_project_by_sig_makes_signer_coordinator(world: World) -> None:
    partners = [world.bob.address, world.carol.address]
    policy = Policy()
    message = {"agreementHash": AGREEMENT, "partners": partners, "policyHash": policy_hash(policy)}
    auth = world.sign(world.bob, "CreateProject", message)
    receipt = world.chain.send(
        world.ledger.functions.createProjectBySig(AGREEMENT, partners, policy.as_tuple(), auth),
        world.relayer,
    )
    assert event(world.ledger, "ProjectCreated", receipt)["coordinator"] == world.bob.address
    assert _used(world, auth)


def test_accept_agreement_by_sig_accepts_for_signer(world: World) -> None:
    draft = world.create_project(world.bob, [world.bob, world.carol])
    message = {"projectId": draft, "version": 1, "agreementHash": AGREEMENT}
    auth = world.sign(world.carol, "AcceptAgreement", message)
    receipt = world.chain.send(
        world.ledger.functions.acceptAgreementBySig(draft, 1, AGREEMENT, auth), world.relayer
    )
    assert event(world.ledger, "AgreementAccepted", receipt)["partner"] == world.carol.address


def test_set_identity_by_sig_sets_signer_identity(world: World) -> None:
    message = {"name": "Flax Innovations BV", "companyNumber": "BE0999.888.777"}
    auth = world.sign(world.eve, "SetIdentity", message)
    receipt = world.chain.send(
        world.ledger.functions.setIdentityBySig("Flax Innovations BV", "BE0999.888.777", auth),
        world.relayer,
    )
    assert event(world.ledger, "IdentitySet", receipt)["account"] == world.eve.address


def test_propose_and_approve_by_sig_count_signers(world: World) -> None:
    data = address_data(world.eve.address)
    auth = world.sign(
        world.bob, "Propose", {"projectId": world.project, "kind": ADD_PARTNER, "data": data}
    )
    receipt = world.chain.send(
        world.ledger.functions.proposeBySig(world.project, ADD_PARTNER, data, auth), world.relayer
    )
    proposal_id = event(world.ledger, "ProposalCreated", receipt)["proposalId"]
    assert event(world.ledger, "ProposalCreated", receipt)["proposer"] == world.bob.address
    for who in (world.carol, world.dave):
        auth = world.sign(
            who, "ApproveProposal", {"projectId": world.project, "proposalId": proposal_id}
        )
        receipt = world.chain.send(
            world.ledger.functions.approveProposalBySig(world.project, proposal_id, auth),
            world.relayer,
        )
        assert event(world.ledger, "ProposalApproved", receipt)["approver"] == who.address
    assert event(world.ledger, "ProposalExecuted", receipt)["proposalId"] == proposal_id
    assert world.ledger.functions.member(world.project, world.eve.address).call()[0]


def test_register_by_sig_registers_for_signer(world: World) -> None:
    parent = world.register(world.alice)
    reg = world.registration(world.bob, parents=(parent,), uri="https://example.org/doc", value=3)
    auth = world.sign(world.bob, "Register", reg.message())
    receipt = world.chain.send(
        world.ledger.functions.registerBySig(reg.as_tuple(), auth), world.relayer
    )
    registered = event(world.ledger, "ContributionRegistered", receipt)
    assert registered["contributor"] == world.bob.address
    assert registered["contributionId"] == contribution_id_of(
        world.project, world.bob.address, reg.commitment
    )
    assert (registered["parents"], registered["uri"]) == ([parent], "https://example.org/doc")
    assert _used(world, auth)


def test_register_by_sig_with_altered_field_reverts(world: World) -> None:
    reg = world.registration(world.bob, value=3)
    auth = world.sign(world.bob, "Register", reg.message())
    inflated = replace(reg, value=3_000).as_tuple()
    with reverts("PocLedger", "SignatureInvalid", world.bob.address):
        world.chain.send(world.ledger.functions.registerBySig(inflated, auth), world.relayer)


def test_anchor_batch_by_sig_anchors_for_signer(world: World) -> None:
    leaves = [BatchLeaf(world.commitment(world.carol)) for _ in range(3)]
    tree = oz_merkle_tree(leaves)
    message = {"projectId": world.project, "root": tree.root, "count": 3, "uri": "s3://b"}
    auth = world.sign(world.carol, "AnchorBatch", message)
    receipt = world.chain.send(
        world.ledger.functions.anchorBatchBySig(world.project, tree.root, 3, "s3://b", auth),
        world.relayer,
    )
    assert event(world.ledger, "BatchAnchored", receipt)["contributor"] == world.carol.address


def test_withdraw_contribution_by_sig_withdraws_signers(world: World) -> None:
    contribution_id = world.register(world.bob)
    message = {"projectId": world.project, "contributionId": contribution_id}
    auth = world.sign(world.bob, "WithdrawContribution", message)
    world.chain.send(
        world.ledger.functions.withdrawContributionBySig(world.project, contribution_id, auth),
        world.relayer,
    )
    assert world.status(contribution_id) == WITHDRAWN


def test_endorse_by_sig_endorses_as_signer(world: World) -> None:
    contribution_id = world.register(world.bob)
    message = {"projectId": world.project, "contributionId": contribution_id, "rating": 4}
    auth = world.sign(world.carol, "Endorse", message)
    receipt = world.chain.send(
        world.ledger.functions.endorseBySig(world.project, contribution_id, 4, auth),
        world.relayer,
    )
    assert event(world.ledger, "Endorsed", receipt)["endorser"] == world.carol.address


def test_dispute_lifecycle_by_sig_acts_as_signers(world: World) -> None:
    contribution_id = world.register(world.bob)
    fns = world.ledger.functions
    base = {"projectId": world.project, "contributionId": contribution_id}
    auth = world.sign(world.carol, "OpenDispute", {**base, "reasonHash": REASON})
    receipt = world.chain.send(
        fns.openDisputeBySig(world.project, contribution_id, REASON, auth), world.relayer
    )
    assert event(world.ledger, "DisputeOpened", receipt)["disputer"] == world.carol.address
    auth = world.sign(world.carol, "WithdrawDispute", base)
    world.chain.send(fns.withdrawDisputeBySig(world.project, contribution_id, auth), world.relayer)
    world.chain.send(fns.openDispute(world.project, contribution_id, REASON), world.carol)
    for who in (world.alice, world.dave):
        auth = world.sign(who, "VoteDispute", {**base, "uphold": True})
        receipt = world.chain.send(
            fns.voteDisputeBySig(world.project, contribution_id, True, auth), world.relayer
        )
        assert event(world.ledger, "DisputeVoted", receipt)["voter"] == who.address
    assert world.status(contribution_id) == INVALIDATED


def test_split_by_sig_proposes_and_approves_as_signers(world: World) -> None:
    partners = sorted_addresses([p.address for p in world.partners])
    split = world.split_input(partners, [2_500] * 4)
    message = {
        "projectId": world.project,
        "partners": partners,
        "bps": [2_500] * 4,
        "policyVersion": 1,
        "computedAtBlock": split[3],
        "inputSetHash": split[4],
    }
    auth = world.sign(world.dave, "ProposeSplit", message, contract=world.vault)
    receipt = world.chain.send(
        world.vault.functions.proposeSplitBySig(world.project, split, auth), world.relayer
    )
    proposal_id = event(world.vault, "SplitProposed", receipt)["proposalId"]
    assert event(world.vault, "SplitProposed", receipt)["proposer"] == world.dave.address
    for who in (world.alice, world.bob):
        auth = world.sign(
            who,
            "ApproveSplit",
            {"projectId": world.project, "proposalId": proposal_id},
            contract=world.vault,
        )
        receipt = world.chain.send(
            world.vault.functions.approveSplitBySig(world.project, proposal_id, auth),
            world.relayer,
        )
    assert event(world.vault, "SplitFinalized", receipt)["splitVersion"] == 1
    assert _used(world, auth, vault=True)


def test_unordered_nonces_land_in_any_order(world: World) -> None:
    regs = [world.registration(world.bob) for _ in range(3)]
    auths = [
        world.sign(world.bob, "Register", reg.message(), nonce=nonce)
        for reg, nonce in zip(regs, (2**255, 7, 256), strict=True)
    ]
    for reg, auth in reversed(list(zip(regs, auths, strict=True))):
        world.chain.send(world.ledger.functions.registerBySig(reg.as_tuple(), auth), world.relayer)
    for reg in regs:
        assert (
            world.status(contribution_id_of(world.project, world.bob.address, reg.commitment))
            == ACTIVE
        )
    assert not world.ledger.functions.isNonceUsed(world.bob.address, 8).call()


@covers("PocLedger.SignatureNonceUsed")
def test_cancel_nonce_twice_reverts(world: World) -> None:
    receipt = world.chain.send(world.ledger.functions.cancelNonce(42), world.bob)
    assert event(world.ledger, "NonceCancelled", receipt) == {
        "signer": world.bob.address,
        "nonce": 42,
    }
    with reverts("PocLedger", "SignatureNonceUsed", world.bob.address, 42):
        world.chain.send(world.ledger.functions.cancelNonce(42), world.bob)


def test_signed_action_by_zero_signer_reverts(world: World) -> None:
    reg = world.registration(ZERO_ADDRESS)
    auth = world.sign(world.bob, "Register", reg.message(), signer=ZERO_ADDRESS)
    with reverts("PocLedger", "SignatureInvalid", ZERO_ADDRESS):
        world.chain.send(world.ledger.functions.registerBySig(reg.as_tuple(), auth), world.relayer)


def test_register_by_sig_with_any_altered_field_reverts(world: World) -> None:
    """Every field of a Registration is in the signed struct: each alteration, otherwise a valid
    registration for the signer, is refused as SignatureInvalid (docs/security.md, operator)."""
    from tests.contracts.support import BACKGROUND

    other_project = world.project_in_force([world.alice, world.bob, world.carol])
    parent = world.register(world.alice)
    older = world.register(world.bob)
    reg = world.registration(world.bob, value=3)
    alterations = {
        "projectId": replace(reg, project_id=other_project),
        "commitment": replace(reg, commitment=world.commitment(world.bob)),
        "cardHash": replace(reg, card_hash=b"\x01" * 32),
        "origin": replace(reg, origin=BACKGROUND),
        "category": replace(reg, category=2),
        "value": replace(reg, value=3_000),
        "parents": replace(reg, parents=(parent,)),
        "supersedes": replace(reg, supersedes=older),
        "uri": replace(reg, uri="https://example.org/forged"),
    }
    for field, altered in alterations.items():
        auth = world.sign(world.bob, "Register", reg.message())
        try:
            with reverts("PocLedger", "SignatureInvalid", world.bob.address):
                world.chain.send(
                    world.ledger.functions.registerBySig(altered.as_tuple(), auth), world.relayer
                )
        except AssertionError as exc:
            raise AssertionError(f"registerBySig with an altered {field}: {exc}") from exc
    # The signature itself is good: the registration it signs goes through.
    auth = world.sign(world.bob, "Register", reg.message())
    world.chain.send(world.ledger.functions.registerBySig(reg.as_tuple(), auth), world.relayer)
