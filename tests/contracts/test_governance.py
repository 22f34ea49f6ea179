"""Governance once the agreement is in force: add/remove partners, change policy, amend agreement.

Project 1 has four partners and governanceBps 6000: ceil(4 x 0.6) = 3 approvals, or
ceil(3 x 0.6) = 2 for a removal (the partner concerned does not count).
"""

from __future__ import annotations

import pytest
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from tests.contracts.support import (
    ACTIVE,
    ADD_PARTNER,
    AMEND_AGREEMENT,
    CHANGE_POLICY,
    REMOVE_PARTNER,
    ZERO_ADDRESS,
    ZERO_BYTES32,
    Category,
    Policy,
    covers,
    event,
    events,
    policy_bytes,
    policy_hash,
    reverts,
)
from tests.contracts.world import AGREEMENT, World, address_data

AMENDED = keccak(text="consortium agreement v2")

# ProposalInfo field positions.
KIND, EXECUTED, CREATED_AT, APPROVALS, REQUIRED, PROPOSER, DATA = range(1, 8)


def _approve(world: World, proposal_id: int, who):
    return world.chain.send(world.ledger.functions.approveProposal(world.project, proposal_id), who)


def _proposal(world: World, proposal_id: int) -> tuple[object, ...]:
    return tuple(world.ledger.functions.proposal(world.project, proposal_id).call())


# ------------------------------------------------------------------------------ proposing


@covers("PocLedger.PocAgreementNotInForce")
def test_propose_before_agreement_in_force_reverts(world: World) -> None:
    draft = world.create_project(world.bob, [world.bob, world.carol])
    world.accept(draft, world.bob)
    with reverts("PocLedger", "PocAgreementNotInForce", draft):
        world.chain.send(
            world.ledger.functions.propose(draft, ADD_PARTNER, address_data(world.eve.address)),
            world.bob,
        )


def test_propose_by_non_partner_reverts(world: World) -> None:
    with reverts("PocLedger", "PocNotPartner", world.project, world.eve.address):
        world.propose(world.eve, ADD_PARTNER, address_data(world.eve.address))


def test_propose_records_proposal_and_counts_proposer(world: World) -> None:
    data = address_data(world.eve.address)
    receipt = world.chain.send(
        world.ledger.functions.propose(world.project, ADD_PARTNER, data), world.bob
    )
    created = event(world.ledger, "ProposalCreated", receipt)
    assert created == {
        "projectId": world.project,
        "proposalId": 1,
        "proposer": world.bob.address,
        "kind": ADD_PARTNER,
        "data": data,
    }
    assert event(world.ledger, "ProposalApproved", receipt)["approver"] == world.bob.address
    assert events(world.ledger, "ProposalExecuted", receipt) == []
    assert _proposal(world, 1) == (
        world.project,
        ADD_PARTNER,
        False,
        world.chain.now(),
        1,
        3,
        world.bob.address,
        data,
    )
    assert world.ledger.functions.hasApproved(1, world.bob.address).call() is True


@covers("PocLedger.PocInvalidProposal")
@pytest.mark.parametrize(
    "kind, data",
    [
        (ADD_PARTNER, address_data(ZERO_ADDRESS)),
        (ADD_PARTNER, b"\x01" * 31),
        (ADD_PARTNER, b"\xff" * 12 + bytes.fromhex("00" * 20)),  # high bits set
        (REMOVE_PARTNER, b""),
        (AMEND_AGREEMENT, ZERO_BYTES32),
        (AMEND_AGREEMENT, AMENDED + b"\x00"),
    ],
    ids=[
        "add zero",
        "add short",
        "add dirty",
        "remove empty",
        "amend zero",
        "amend long",
    ],
)
def test_propose_with_malformed_data_reverts(world: World, kind: int, data: bytes) -> None:
    with reverts("PocLedger", "PocInvalidProposal", kind):
        world.propose(world.alice, kind, data)


def test_propose_adding_existing_partner_reverts(world: World) -> None:
    with reverts("PocLedger", "PocInvalidProposal", ADD_PARTNER):
        world.propose(world.alice, ADD_PARTNER, address_data(world.bob.address))


def test_propose_removing_non_partner_reverts(world: World) -> None:
    with reverts("PocLedger", "PocInvalidProposal", REMOVE_PARTNER):
        world.propose(world.alice, REMOVE_PARTNER, address_data(world.eve.address))


def test_propose_removing_oneself_reverts(world: World) -> None:
    with reverts("PocLedger", "PocInvalidProposal", REMOVE_PARTNER):
        world.propose(world.alice, REMOVE_PARTNER, address_data(world.alice.address))


def test_propose_policy_with_undecodable_data_reverts(world: World) -> None:
    # IPocLedger: PocInvalidProposal is "the proposal's data does not decode for its kind".
    with reverts("PocLedger", "PocInvalidProposal", CHANGE_POLICY):
        world.propose(world.alice, CHANGE_POLICY, b"\x00" * 40)


def test_propose_invalid_policy_reverts(world: World) -> None:
    with reverts("PocLedger", "PocInvalidPolicy", "governanceBps"):
        world.propose(world.alice, CHANGE_POLICY, policy_bytes(Policy(governance_bps=0)))


# ------------------------------------------------------------------------------ approving


def test_add_partner_executes_at_threshold_and_needs_acceptance(world: World) -> None:
    proposal_id = world.propose(world.alice, ADD_PARTNER, address_data(world.eve.address))
    second = _approve(world, proposal_id, world.bob)
    assert events(world.ledger, "ProposalExecuted", second) == []
    assert world.ledger.functions.member(world.project, world.eve.address).call()[0] is False
    third = _approve(world, proposal_id, world.carol)
    assert event(world.ledger, "PartnerAdded", third)["partner"] == world.eve.address
    assert event(world.ledger, "ProposalExecuted", third)["proposalId"] == proposal_id
    assert _proposal(world, proposal_id)[EXECUTED] is True
    # The newcomer has no rights until it accepts the agreement in force.
    assert world.ledger.functions.isParticipant(world.project, world.eve.address).call() is False
    reg = world.registration(world.eve)
    with reverts("PocLedger", "PocAgreementNotAccepted", world.project, world.eve.address, 1):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.eve)
    world.accept(world.project, world.eve)
    assert world.status(world.register(world.eve)) == ACTIVE


@covers("PocLedger.PocAlreadyApproved")
def test_approve_proposal_twice_reverts(world: World) -> None:
    proposal_id = world.propose(world.alice, ADD_PARTNER, address_data(world.eve.address))
    with reverts("PocLedger", "PocAlreadyApproved", proposal_id, world.alice.address):
        _approve(world, proposal_id, world.alice)
    _approve(world, proposal_id, world.bob)
    with reverts("PocLedger", "PocAlreadyApproved", proposal_id, world.bob.address):
        _approve(world, proposal_id, world.bob)


@covers("PocLedger.PocProposalAlreadyExecuted")
def test_approve_executed_proposal_reverts(world: World) -> None:
    proposal_id = world.propose(world.alice, ADD_PARTNER, address_data(world.eve.address))
    _approve(world, proposal_id, world.bob)
    _approve(world, proposal_id, world.carol)
    with reverts("PocLedger", "PocProposalAlreadyExecuted", proposal_id):
        _approve(world, proposal_id, world.dave)


@covers("PocLedger.PocProposalNotFound")
def test_approve_unknown_proposal_reverts(world: World) -> None:
    with reverts("PocLedger", "PocProposalNotFound", world.project, 77):
        _approve(world, 77, world.bob)


def test_approve_proposal_of_other_project_reverts(world: World) -> None:
    other = world.project_in_force([world.bob, world.carol, world.dave])
    proposal_id = world.propose(world.bob, ADD_PARTNER, address_data(world.eve.address), other)
    with reverts("PocLedger", "PocProposalNotFound", world.project, proposal_id):
        _approve(world, proposal_id, world.carol)
    with reverts("PocLedger", "PocProposalNotFound", world.project, proposal_id):
        world.ledger.functions.proposal(world.project, proposal_id).call()


def test_approve_by_non_partner_reverts(world: World) -> None:
    proposal_id = world.propose(world.alice, AMEND_AGREEMENT, AMENDED)
    with reverts("PocLedger", "PocNotPartner", world.project, world.eve.address):
        _approve(world, proposal_id, world.eve)


@covers("PocLedger.PocNotEligibleApprover")
def test_approve_by_partner_who_joined_later_reverts(world: World) -> None:
    older = world.propose(world.alice, AMEND_AGREEMENT, AMENDED)
    world.chain.travel(60)
    adding = world.propose(world.alice, ADD_PARTNER, address_data(world.eve.address))
    _approve(world, adding, world.bob)
    _approve(world, adding, world.carol)
    world.accept(world.project, world.eve)
    with reverts("PocLedger", "PocNotEligibleApprover", older, world.eve.address):
        _approve(world, older, world.eve)


def test_remove_partner_needs_threshold_of_the_others(world: World) -> None:
    contribution_id = world.register(world.dave)
    proposal_id = world.propose(world.alice, REMOVE_PARTNER, address_data(world.dave.address))
    assert _proposal(world, proposal_id)[REQUIRED] == 2  # ceil(3 x 0.6): dave does not count
    with reverts("PocLedger", "PocNotEligibleApprover", proposal_id, world.dave.address):
        _approve(world, proposal_id, world.dave)
    receipt = _approve(world, proposal_id, world.bob)
    assert event(world.ledger, "PartnerRemoved", receipt)["partner"] == world.dave.address
    assert world.ledger.functions.member(world.project, world.dave.address).call()[0] is False
    # Its contributions stay on record and active; it can no longer act.
    assert world.status(contribution_id) == ACTIVE
    reg = world.registration(world.dave)
    with reverts("PocLedger", "PocNotPartner", world.project, world.dave.address):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.dave)


def test_add_partner_added_meanwhile_reverts_at_execution(world: World) -> None:
    first = world.propose(world.alice, ADD_PARTNER, address_data(world.eve.address))
    second = world.propose(world.bob, ADD_PARTNER, address_data(world.eve.address))
    _approve(world, first, world.bob)
    _approve(world, first, world.carol)
    _approve(world, second, world.alice)
    with reverts("PocLedger", "PocAlreadyPartner", world.project, world.eve.address):
        _approve(world, second, world.carol)
    assert _proposal(world, second)[EXECUTED] is False


def test_remove_partner_removed_meanwhile_reverts_at_execution(world: World) -> None:
    first = world.propose(world.alice, REMOVE_PARTNER, address_data(world.dave.address))
    second = world.propose(world.bob, REMOVE_PARTNER, address_data(world.dave.address))
    _approve(world, first, world.bob)
    with reverts("PocLedger", "PocNotPartner", world.project, world.dave.address):
        _approve(world, second, world.carol)


def test_change_policy_increments_version_and_stores_hash(world: World) -> None:
    new_policy = Policy(
        dispute_window=86_400,
        governance_bps=10_000,
        split_approval_bps=5_000,
        categories=(Category("person-hours", "hour"), Category("equipment", "machine-hour")),
    )
    proposal_id = world.propose(world.alice, CHANGE_POLICY, policy_bytes(new_policy))
    _approve(world, proposal_id, world.bob)
    receipt = _approve(world, proposal_id, world.carol)
    policy_set = event(world.ledger, "PolicySet", receipt)
    assert (policy_set["version"], policy_set["policyHash"]) == (2, policy_hash(new_policy))
    emitted = policy_set["policy"]
    assert (emitted["disputeWindow"], emitted["governanceBps"]) == (86_400, 10_000)
    assert [tuple(c.values()) for c in emitted["categories"]] == [
        c.as_tuple() for c in new_policy.categories
    ]
    info = world.info()
    assert (info[3], info[4]) == (2, policy_hash(new_policy))
    assert (info[8], info[9], info[10], info[11]) == (86_400, 5_000, 10_000, 2)
    assert world.ledger.functions.policyHashAt(world.project, 1).call() == policy_hash(world.policy)
    # Category 2 existed under policy 1 but not under policy 2.
    reg = world.registration(world.bob, category=2)
    with reverts("PocLedger", "PocUnknownCategory", 2, 2):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.bob)


def test_amend_agreement_requires_reacceptance_to_act(world: World) -> None:
    proposal_id = world.propose(world.alice, AMEND_AGREEMENT, abi_encode(["bytes32"], [AMENDED]))
    _approve(world, proposal_id, world.bob)
    receipt = _approve(world, proposal_id, world.carol)
    assert event(world.ledger, "AgreementSet", receipt) == {
        "projectId": world.project,
        "version": 2,
        "agreementHash": AMENDED,
    }
    info = world.info()
    assert (info[1], info[2], info[5], info[7]) == (2, AMENDED, True, 0)
    assert world.ledger.functions.agreementHashAt(world.project, 1).call() == AGREEMENT
    reg = world.registration(world.bob)
    with reverts("PocLedger", "PocAgreementNotAccepted", world.project, world.bob.address, 2):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.bob)
    with reverts("PocLedger", "PocAgreementMismatch", world.project, 1, AGREEMENT):
        world.accept(world.project, world.bob)
    accepted = world.accept(world.project, world.bob, version=2, agreement=AMENDED)
    assert event(world.ledger, "AgreementAccepted", accepted)["version"] == 2
    # Once in force, a project stays in force while partners re-accept.
    assert events(world.ledger, "AgreementInForce", accepted) == []
    assert world.status(world.register(world.bob)) == ACTIVE
    # The vault reads participation from the ledger: carol has not re-accepted.
    assert world.ledger.functions.isParticipant(world.project, world.carol.address).call() is False


def test_propose_policy_with_corrupt_inner_offset_reverts(world: World) -> None:
    data = bytearray(policy_bytes(world.policy))
    data[0x20 * 11 - 2 : 0x20 * 11] = b"\xff\xff"  # the categories offset, past the end
    with reverts("PocLedger", "PocInvalidProposal", CHANGE_POLICY):
        world.propose(world.alice, CHANGE_POLICY, bytes(data))
