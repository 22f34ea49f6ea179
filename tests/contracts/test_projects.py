"""Projects: creation, membership before the agreement is in force, acceptance, identity, views."""

from __future__ import annotations

import pytest
from eth_utils.crypto import keccak

from tests.contracts.support import (
    ZERO_ADDRESS,
    ZERO_BYTES32,
    Category,
    Policy,
    contribution_id_of,
    covers,
    event,
    events,
    policy_hash,
    reverts,
)
from tests.contracts.world import AGREEMENT, World

# ProjectInfo field positions.
COORDINATOR, AGREEMENT_VERSION, AGREEMENT_HASH, POLICY_VERSION, POLICY_HASH, IN_FORCE = range(6)
PARTNER_COUNT, ACCEPTED_COUNT, DISPUTE_WINDOW, SPLIT_BPS, GOVERNANCE_BPS, CATEGORY_COUNT = range(
    6, 12
)


# ------------------------------------------------------------------------------- creation


def test_create_project_records_everything_and_reads_back(world: World) -> None:
    policy = Policy(dispute_window=3 * 86_400, split_approval_bps=10_000, governance_bps=5_000)
    partners = [world.bob.address, world.eve.address, world.carol.address]
    receipt = world.chain.send(
        world.ledger.functions.createProject(AGREEMENT, partners, policy.as_tuple()), world.bob
    )
    created = event(world.ledger, "ProjectCreated", receipt)
    project_id = created["projectId"]
    assert project_id == 2
    assert created["coordinator"] == world.bob.address
    assert created["agreementHash"] == AGREEMENT
    assert list(created["partners"]) == partners
    assert event(world.ledger, "AgreementSet", receipt)["version"] == 1
    assert [e["partner"] for e in events(world.ledger, "PartnerAdded", receipt)] == partners

    info = world.info(project_id)
    assert info[COORDINATOR] == world.bob.address
    assert (info[AGREEMENT_VERSION], info[AGREEMENT_HASH]) == (1, AGREEMENT)
    assert (info[POLICY_VERSION], info[POLICY_HASH]) == (1, policy_hash(policy))
    assert info[IN_FORCE] is False
    assert (info[PARTNER_COUNT], info[ACCEPTED_COUNT]) == (3, 0)
    assert (info[DISPUTE_WINDOW], info[SPLIT_BPS], info[GOVERNANCE_BPS]) == (
        3 * 86_400,
        10_000,
        5_000,
    )
    assert info[CATEGORY_COUNT] == len(policy.categories)
    assert sorted(world.ledger.functions.partners(project_id).call()) == sorted(partners)
    assert world.ledger.functions.projectCount().call() == 2
    assert world.ledger.functions.agreementHashAt(project_id, 1).call() == AGREEMENT
    assert world.ledger.functions.policyHashAt(project_id, 1).call() == policy_hash(policy)
    assert world.ledger.functions.policyHashAt(project_id, 2).call() == ZERO_BYTES32
    active, accepted_version, joined_at = world.ledger.functions.member(
        project_id, world.eve.address
    ).call()
    assert (active, accepted_version) == (True, 0)
    assert joined_at == world.chain.now()
    assert world.ledger.functions.member(project_id, world.dave.address).call() == (False, 0, 0)


def test_create_project_emits_the_full_policy(world: World) -> None:
    policy = Policy(partner_cap_bps=6_000, partner_floor_bps=500)
    receipt = world.chain.send(
        world.ledger.functions.createProject(AGREEMENT, [world.alice.address], policy.as_tuple()),
        world.alice,
    )
    policy_set = event(world.ledger, "PolicySet", receipt)
    assert policy_set["version"] == 1
    assert policy_set["policyHash"] == policy_hash(policy)
    emitted = policy_set["policy"]
    assert emitted["backgroundWeightBps"] == policy.background_weight_bps
    assert emitted["partnerCapBps"] == 6_000
    assert emitted["partnerFloorBps"] == 500
    assert [tuple(c.values()) for c in emitted["categories"]] == [
        c.as_tuple() for c in policy.categories
    ]


def test_create_project_ids_are_sequential(world: World) -> None:
    ids = [world.create_project(world.alice, [world.alice]) for _ in range(3)]
    assert ids == [2, 3, 4]


@covers("PocLedger.PocZeroAgreementHash")
def test_create_project_with_zero_agreement_hash_reverts(world: World) -> None:
    with reverts("PocLedger", "PocZeroAgreementHash"):
        world.create_project(world.alice, [world.alice], agreement=ZERO_BYTES32)


@covers("PocLedger.PocCoordinatorNotPartner")
def test_create_project_without_the_caller_reverts(world: World) -> None:
    with reverts("PocLedger", "PocCoordinatorNotPartner", world.alice.address):
        world.create_project(world.alice, [world.bob, world.carol])


def test_create_project_with_no_partners_reverts(world: World) -> None:
    with reverts("PocLedger", "PocCoordinatorNotPartner", world.alice.address):
        world.create_project(world.alice, [])


@covers("PocLedger.PocInvalidPartnerList")
def test_create_project_with_duplicate_partner_reverts(world: World) -> None:
    with reverts("PocLedger", "PocInvalidPartnerList", 2, world.bob.address):
        world.create_project(world.alice, [world.alice, world.bob, world.bob])


def test_create_project_with_zero_address_partner_reverts(world: World) -> None:
    with reverts("PocLedger", "PocInvalidPartnerList", 1, ZERO_ADDRESS):
        world.create_project(world.alice, [world.alice.address, ZERO_ADDRESS])


INVALID_POLICIES = {
    "no categories": (Policy(categories=()), "categories"),
    "33 categories": (
        Policy(categories=tuple(Category(f"c{i}", "u") for i in range(33))),
        "categories",
    ),
    "split approval zero": (Policy(split_approval_bps=0), "splitApprovalBps"),
    "split approval above 100%": (Policy(split_approval_bps=10_001), "splitApprovalBps"),
    "governance zero": (Policy(governance_bps=0), "governanceBps"),
    "governance above 100%": (Policy(governance_bps=10_001), "governanceBps"),
    "cap above 100%": (Policy(partner_cap_bps=10_001), "partnerCapBps"),
    "floor above 100%": (Policy(partner_floor_bps=10_001), "partnerFloorBps"),
    "floor above cap": (Policy(partner_cap_bps=2_000, partner_floor_bps=2_001), "partnerFloorBps"),
    "both origin weights zero": (
        Policy(background_weight_bps=0, result_weight_bps=0),
        "originWeights",
    ),
    "unit scale zero": (Policy(categories=(Category("hours", "hour", 0),)), "unitScale"),
    "unnamed category": (Policy(categories=(Category("", "hour"),)), "categoryName"),
}


@covers("PocLedger.PocInvalidPolicy")
@pytest.mark.parametrize("policy, field", INVALID_POLICIES.values(), ids=INVALID_POLICIES.keys())
def test_create_project_with_invalid_policy_reverts(
    world: World, policy: Policy, field: str
) -> None:
    with reverts("PocLedger", "PocInvalidPolicy", field):
        world.create_project(world.alice, [world.alice], policy)


def test_create_project_accepts_boundary_policy(world: World) -> None:
    policy = Policy(
        categories=tuple(Category(f"c{i}", "u") for i in range(32)),
        split_approval_bps=10_000,
        governance_bps=1,
        background_weight_bps=0,
        partner_cap_bps=0,
        partner_floor_bps=10_000,
    )
    project_id = world.create_project(world.alice, [world.alice], policy)
    assert world.info(project_id)[CATEGORY_COUNT] == 32


# ------------------------------------------------------------- membership before in force


@pytest.fixture
def draft(world: World) -> int:
    """Project 2: coordinator bob, partners bob and carol, nobody accepted yet."""
    return world.create_project(world.bob, [world.bob, world.carol])


def test_add_partner_before_in_force_succeeds(world: World, draft: int) -> None:
    receipt = world.chain.send(
        world.ledger.functions.addPartner(draft, world.eve.address), world.bob
    )
    assert event(world.ledger, "PartnerAdded", receipt)["partner"] == world.eve.address
    assert world.info(draft)[PARTNER_COUNT] == 3
    assert world.ledger.functions.member(draft, world.eve.address).call()[0] is True


@covers("PocLedger.PocNotCoordinator")
def test_add_partner_by_non_coordinator_reverts(world: World, draft: int) -> None:
    with reverts("PocLedger", "PocNotCoordinator", draft, world.carol.address):
        world.chain.send(world.ledger.functions.addPartner(draft, world.eve.address), world.carol)


@covers("PocLedger.PocProjectNotFound")
def test_add_partner_to_unknown_project_reverts(world: World) -> None:
    with reverts("PocLedger", "PocProjectNotFound", 99):
        world.chain.send(world.ledger.functions.addPartner(99, world.eve.address), world.bob)


def test_add_zero_address_partner_reverts(world: World, draft: int) -> None:
    with reverts("PocLedger", "PocInvalidPartnerList", 0, ZERO_ADDRESS):
        world.chain.send(world.ledger.functions.addPartner(draft, ZERO_ADDRESS), world.bob)


@covers("PocLedger.PocAlreadyPartner")
def test_add_existing_partner_reverts(world: World, draft: int) -> None:
    with reverts("PocLedger", "PocAlreadyPartner", draft, world.carol.address):
        world.chain.send(world.ledger.functions.addPartner(draft, world.carol.address), world.bob)


@covers("PocLedger.PocAgreementInForce")
def test_add_partner_after_in_force_reverts(world: World) -> None:
    with reverts("PocLedger", "PocAgreementInForce", world.project):
        world.chain.send(
            world.ledger.functions.addPartner(world.project, world.eve.address), world.alice
        )


def test_remove_partner_before_in_force_succeeds(world: World, draft: int) -> None:
    receipt = world.chain.send(
        world.ledger.functions.removePartner(draft, world.carol.address), world.bob
    )
    assert event(world.ledger, "PartnerRemoved", receipt)["partner"] == world.carol.address
    assert world.ledger.functions.partners(draft).call() == [world.bob.address]
    assert world.ledger.functions.member(draft, world.carol.address).call()[0] is False


@covers("PocLedger.PocCannotRemoveCoordinator")
def test_remove_coordinator_reverts(world: World, draft: int) -> None:
    with reverts("PocLedger", "PocCannotRemoveCoordinator", draft, world.bob.address):
        world.chain.send(world.ledger.functions.removePartner(draft, world.bob.address), world.bob)


@covers("PocLedger.PocNotPartner")
def test_remove_non_partner_reverts(world: World, draft: int) -> None:
    with reverts("PocLedger", "PocNotPartner", draft, world.eve.address):
        world.chain.send(world.ledger.functions.removePartner(draft, world.eve.address), world.bob)


def test_remove_partner_by_non_coordinator_reverts(world: World, draft: int) -> None:
    with reverts("PocLedger", "PocNotCoordinator", draft, world.carol.address):
        world.chain.send(
            world.ledger.functions.removePartner(draft, world.carol.address), world.carol
        )


def test_remove_partner_after_in_force_reverts(world: World) -> None:
    with reverts("PocLedger", "PocAgreementInForce", world.project):
        world.chain.send(
            world.ledger.functions.removePartner(world.project, world.dave.address), world.alice
        )


def test_remove_last_unaccepted_partner_puts_agreement_in_force(world: World, draft: int) -> None:
    world.accept(draft, world.bob)
    receipt = world.chain.send(
        world.ledger.functions.removePartner(draft, world.carol.address), world.bob
    )
    assert event(world.ledger, "AgreementInForce", receipt)["version"] == 1
    assert world.info(draft)[IN_FORCE] is True


def test_remove_accepted_partner_lowers_accepted_count(world: World, draft: int) -> None:
    world.accept(draft, world.carol)
    assert world.info(draft)[ACCEPTED_COUNT] == 1
    world.chain.send(world.ledger.functions.removePartner(draft, world.carol.address), world.bob)
    assert world.info(draft)[ACCEPTED_COUNT] == 0
    # Re-added, carol must accept again: her earlier acceptance does not carry over.
    world.chain.send(world.ledger.functions.addPartner(draft, world.carol.address), world.bob)
    assert world.ledger.functions.member(draft, world.carol.address).call()[1] == 0
    world.accept(draft, world.bob)
    assert world.info(draft)[IN_FORCE] is False


# ----------------------------------------------------------------------------- acceptance


def test_accept_agreement_by_every_partner_puts_it_in_force(world: World, draft: int) -> None:
    first = world.accept(draft, world.bob)
    assert event(world.ledger, "AgreementAccepted", first)["partner"] == world.bob.address
    assert events(world.ledger, "AgreementInForce", first) == []
    assert world.ledger.functions.isParticipant(draft, world.bob.address).call() is True
    last = world.accept(draft, world.carol)
    assert event(world.ledger, "AgreementInForce", last) == {"projectId": draft, "version": 1}
    info = world.info(draft)
    assert (info[IN_FORCE], info[ACCEPTED_COUNT]) == (True, 2)


def test_accept_agreement_by_non_partner_reverts(world: World, draft: int) -> None:
    with reverts("PocLedger", "PocNotPartner", draft, world.eve.address):
        world.accept(draft, world.eve)


def test_accept_agreement_of_unknown_project_reverts(world: World) -> None:
    with reverts("PocLedger", "PocProjectNotFound", 7):
        world.accept(7, world.alice)


@covers("PocLedger.PocAgreementMismatch")
def test_accept_agreement_with_wrong_version_reverts(world: World, draft: int) -> None:
    with reverts("PocLedger", "PocAgreementMismatch", draft, 2, AGREEMENT):
        world.accept(draft, world.bob, version=2)


def test_accept_agreement_with_wrong_hash_reverts(world: World, draft: int) -> None:
    other = keccak(text="a different text")
    with reverts("PocLedger", "PocAgreementMismatch", draft, 1, other):
        world.accept(draft, world.bob, agreement=other)


@covers("PocLedger.PocAgreementAlreadyAccepted")
def test_accept_agreement_twice_reverts(world: World, draft: int) -> None:
    world.accept(draft, world.bob)
    with reverts("PocLedger", "PocAgreementAlreadyAccepted", draft, world.bob.address, 1):
        world.accept(draft, world.bob)


@covers("PocLedger.PocAgreementNotAccepted")
def test_register_before_accepting_reverts(world: World, draft: int) -> None:
    reg = world.registration(world.carol, project_id=draft)
    with reverts("PocLedger", "PocAgreementNotAccepted", draft, world.carol.address, 1):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.carol)


def test_register_after_accepting_before_in_force_succeeds(world: World, draft: int) -> None:
    world.accept(draft, world.bob)
    contribution_id = world.register(world.bob, project_id=draft)
    assert world.status(contribution_id) == 1


# ------------------------------------------------------------------------------- identity


def test_set_identity_emits_name_and_company_number(world: World) -> None:
    receipt = world.chain.send(
        world.ledger.functions.setIdentity("Vlas NV", "BE0123.456.789"), world.eve
    )
    assert event(world.ledger, "IdentitySet", receipt) == {
        "account": world.eve.address,
        "name": "Vlas NV",
        "companyNumber": "BE0123.456.789",
    }


# ---------------------------------------------------------------------------------- views


def test_read_unknown_project_reverts(world: World) -> None:
    with reverts("PocLedger", "PocProjectNotFound", 42):
        world.ledger.functions.project(42).call()


def test_read_unknown_records_returns_zero(world: World) -> None:
    unknown = keccak(text="unknown")
    assert world.ledger.functions.contribution(unknown).call() == (ZERO_ADDRESS, 0, 0, 0)
    assert world.ledger.functions.batch(unknown).call() == (ZERO_ADDRESS, 0, 0, 0, ZERO_BYTES32)
    assert world.ledger.functions.dispute(unknown).call()[2] == 0
    assert world.ledger.functions.partners(42).call() == []
    assert world.ledger.functions.isParticipant(42, world.alice.address).call() is False


def test_contribution_id_of_matches_design_card(world: World) -> None:
    commitment = world.commitment(world.bob)
    assert world.ledger.functions.contributionIdOf(
        world.project, world.bob.address, commitment
    ).call() == contribution_id_of(world.project, world.bob.address, commitment)
