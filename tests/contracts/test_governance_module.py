"""PocLedger's two code halves on a chain: the PocGovernance module its constructor creates, runs
by DELEGATECALL and nobody else can run; versions; the partner list's order.

What an outsider checks: the module is the compiled PocGovernance at the address CREATE gives the
ledger's first creation, it refuses direct calls, everything it does is logged by the ledger and
uses the ledger's nonces and storage, and every deployed contract reports its release.
"""

from __future__ import annotations

import rlp
from eth_utils.address import to_canonical_address, to_checksum_address
from eth_utils.crypto import keccak
from web3.contract import Contract

from ledger.chain.artifacts import load_artifact
from ledger.evidence.online import code_matches
from tests.contracts.support import (
    ADD_PARTNER,
    AMEND_AGREEMENT,
    CHANGE_POLICY,
    REMOVE_PARTNER,
    Actor,
    event,
    policy_bytes,
    reverts,
)
from tests.contracts.world import AGREEMENT, World, address_data

# The ledger, its module and the vault are released together (the vault's thresholds changed
# with the split story's approvalsRequired).
RELEASE = "2.0.0"


def _module(world: World) -> Contract:
    address = to_checksum_address(world.ledger.functions.governance().call())
    module: Contract = world.chain.w3.eth.contract(
        address=address, abi=load_artifact("PocGovernance").abi
    )
    return module


def _runtime(name: str) -> bytes:
    return bytes.fromhex(load_artifact(name).deployed_bytecode.removeprefix("0x"))


# ------------------------------------------------------------------------------ the module


def test_ledger_creates_its_module_at_its_first_create_address(world: World) -> None:
    # A contract's first CREATE uses nonce 1 (EIP-161): the address follows from the ledger's.
    expected = keccak(rlp.encode([to_canonical_address(world.ledger.address), 1]))[12:]
    assert world.ledger.functions.governance().call() == to_checksum_address(expected)


def test_deployed_code_is_the_compiled_ledger_and_module(world: World) -> None:
    w3 = world.chain.w3
    ledger_code = bytes(w3.eth.get_code(world.ledger.address))
    module_code = bytes(w3.eth.get_code(_module(world).address))
    assert code_matches(ledger_code, _runtime("PocLedger"))[0]
    assert code_matches(module_code, _runtime("PocGovernance"))[0]
    # Not interchangeable: the ledger's code is not the module's and vice versa.
    assert not code_matches(ledger_code, _runtime("PocGovernance"))[0]


def test_every_deployed_contract_reports_its_release(world: World) -> None:
    for contract in (world.ledger, _module(world), world.vault):
        assert contract.functions.version().call() == RELEASE


def test_module_called_directly_reverts_with_the_ledger_to_call(world: World) -> None:
    module = _module(world).functions
    calls = [
        module.createProject(AGREEMENT, [world.alice.address], world.policy.as_tuple()),
        module.propose(world.project, ADD_PARTNER, address_data(world.eve.address)),
        module.executeProposal(world.project, 1),
    ]
    for call in calls:
        with reverts("PocGovernance", "PocGovernanceDirectCall", world.ledger.address):
            world.chain.send(call, world.alice)
    assert world.ledger.functions.projectCount().call() == 1


def test_governance_events_are_logged_by_the_ledger_only(world: World) -> None:
    module = _module(world).address
    created = world.chain.send(
        world.ledger.functions.createProject(
            AGREEMENT, [world.bob.address, world.carol.address], world.policy.as_tuple()
        ),
        world.bob,
    )
    proposed = world.chain.send(
        world.ledger.functions.propose(world.project, ADD_PARTNER, address_data(world.eve.address)),
        world.alice,
    )
    proposal_id = event(world.ledger, "ProposalCreated", proposed)["proposalId"]
    world.chain.send(world.ledger.functions.approveProposal(world.project, proposal_id), world.bob)
    executed = world.chain.send(
        world.ledger.functions.approveProposal(world.project, proposal_id), world.carol
    )
    for receipt in (created, proposed, executed):
        assert receipt["logs"]
        assert {log["address"] for log in receipt["logs"]} == {world.ledger.address}
        assert module not in {log["address"] for log in receipt["logs"]}
    assert event(world.ledger, "PartnerAdded", executed)["partner"] == world.eve.address
    assert event(world.ledger, "ProposalExecuted", executed)["proposalId"] == proposal_id


def test_nonce_cancelled_on_the_ledger_is_refused_by_a_governance_action(world: World) -> None:
    # Both halves keep one nonce bitmap: the ledger's storage.
    data = address_data(world.eve.address)
    message = {"projectId": world.project, "kind": ADD_PARTNER, "data": data}
    auth = world.sign(world.bob, "Propose", message, nonce=4_242)
    world.chain.send(world.ledger.functions.cancelNonce(4_242), world.bob)
    with reverts("PocLedger", "SignatureNonceUsed", world.bob.address, 4_242):
        world.chain.send(
            world.ledger.functions.proposeBySig(world.project, ADD_PARTNER, data, auth),
            world.relayer,
        )


def test_nonce_used_by_a_governance_action_is_used_on_the_ledger(world: World) -> None:
    data = address_data(world.eve.address)
    message = {"projectId": world.project, "kind": ADD_PARTNER, "data": data}
    auth = world.sign(world.bob, "Propose", message, nonce=4_243)
    world.chain.send(
        world.ledger.functions.proposeBySig(world.project, ADD_PARTNER, data, auth), world.relayer
    )
    assert world.ledger.functions.isNonceUsed(world.bob.address, 4_243).call()
    endorse = world.sign(world.bob, "Endorse", {"projectId": world.project,
                         "contributionId": bytes(32), "rating": 1}, nonce=4_243)  # fmt: skip
    with reverts("PocLedger", "SignatureNonceUsed", world.bob.address, 4_243):
        world.chain.send(
            world.ledger.functions.endorseBySig(world.project, bytes(32), 1, endorse),
            world.relayer,
        )


# ------------------------------------------------------------------------------ proposals


def test_proposal_reads_back_the_data_of_every_kind(world: World) -> None:
    amended = keccak(text="consortium agreement v2")
    changed = world.policy
    proposals = {
        ADD_PARTNER: address_data(world.eve.address),
        REMOVE_PARTNER: address_data(world.dave.address),
        CHANGE_POLICY: policy_bytes(changed),
        AMEND_AGREEMENT: amended,
    }
    for kind, data in proposals.items():
        proposal_id = world.propose(world.alice, kind, data)
        info = world.ledger.functions.proposal(world.project, proposal_id).call()
        assert (info[0], info[1], info[6], bytes(info[7])) == (
            world.project,
            kind,
            world.alice.address,
            data,
        )


def test_proposal_of_another_project_is_not_found(world: World) -> None:
    proposal_id = world.propose(world.alice, ADD_PARTNER, address_data(world.eve.address))
    other = world.project_in_force([world.bob, world.carol])
    with reverts("PocLedger", "PocProposalNotFound", other, proposal_id):
        world.ledger.functions.proposal(other, proposal_id).call()
    with reverts("PocLedger", "PocProposalNotFound", other, proposal_id):
        world.chain.send(world.ledger.functions.approveProposal(other, proposal_id), world.bob)


# ------------------------------------------------------------------------------ partner list


def test_partner_list_keeps_the_order_of_swap_and_pop(world: World) -> None:
    # Removing moves the last partner into the gap, as OpenZeppelin's EnumerableSet did.
    alice, bob, carol, dave, eve = world.alice, world.bob, world.carol, world.dave, world.eve
    draft = world.create_project(alice, [alice, bob, carol, dave])
    ledger = world.ledger.functions

    def remove(who: Actor) -> None:
        world.chain.send(ledger.removePartner(draft, who.address), alice)

    remove(bob)
    assert ledger.partners(draft).call() == [alice.address, dave.address, carol.address]
    remove(dave)  # moved before: its new place must have been recorded
    assert ledger.partners(draft).call() == [alice.address, carol.address]
    world.chain.send(ledger.addPartner(draft, bob.address), alice)
    world.chain.send(ledger.addPartner(draft, eve.address), alice)
    remove(carol)
    assert ledger.partners(draft).call() == [alice.address, eve.address, bob.address]
    remove(bob)  # the last one: nothing moves
    assert ledger.partners(draft).call() == [alice.address, eve.address]
    assert ledger.project(draft).call()[6] == 2
    for gone in (bob, carol, dave):
        assert ledger.member(draft, gone.address).call()[0] is False
