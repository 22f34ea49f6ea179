"""Endorsements (ratings 1..5) and disputes (window, one open at a time, uninvolved voters)."""

from __future__ import annotations

import pytest
from eth_utils.crypto import keccak

from tests.contracts.support import (
    ACTIVE,
    ADD_PARTNER,
    DISPUTE_WITHDRAWN,
    INVALIDATED,
    OPEN,
    REJECTED,
    SUPERSEDED,
    UPHELD,
    Policy,
    covers,
    event,
    events,
    reverts,
)
from tests.contracts.world import World, address_data

REASON = keccak(text="this design was published in 2019 by someone else")


# ----------------------------------------------------------------------------- endorsements


@pytest.mark.parametrize("rating", [1, 2, 3, 4, 5])
def test_endorse_with_valid_rating_succeeds(world: World, rating: int) -> None:
    contribution_id = world.register(world.bob)
    receipt = world.chain.send(
        world.ledger.functions.endorse(world.project, contribution_id, rating), world.carol
    )
    assert event(world.ledger, "Endorsed", receipt) == {
        "projectId": world.project,
        "contributionId": contribution_id,
        "endorser": world.carol.address,
        "rating": rating,
    }
    assert world.ledger.functions.hasEndorsed(contribution_id, world.carol.address).call()
    assert not world.ledger.functions.hasEndorsed(contribution_id, world.dave.address).call()


@covers("PocLedger.PocInvalidRating")
@pytest.mark.parametrize("rating", [0, 6, 255])
def test_endorse_with_out_of_range_rating_reverts(world: World, rating: int) -> None:
    contribution_id = world.register(world.bob)
    with reverts("PocLedger", "PocInvalidRating", rating):
        world.chain.send(
            world.ledger.functions.endorse(world.project, contribution_id, rating), world.carol
        )


@covers("PocLedger.PocSelfEndorsement")
def test_endorse_own_contribution_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    with reverts("PocLedger", "PocSelfEndorsement", contribution_id, world.bob.address):
        world.chain.send(
            world.ledger.functions.endorse(world.project, contribution_id, 5), world.bob
        )


@covers("PocLedger.PocAlreadyEndorsed")
def test_endorse_twice_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    world.chain.send(world.ledger.functions.endorse(world.project, contribution_id, 3), world.carol)
    with reverts("PocLedger", "PocAlreadyEndorsed", contribution_id, world.carol.address):
        world.chain.send(
            world.ledger.functions.endorse(world.project, contribution_id, 5), world.carol
        )


def test_endorse_by_non_partner_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    with reverts("PocLedger", "PocNotPartner", world.project, world.eve.address):
        world.chain.send(
            world.ledger.functions.endorse(world.project, contribution_id, 3), world.eve
        )


def test_endorse_unknown_contribution_reverts(world: World) -> None:
    unknown = keccak(text="unknown")
    with reverts("PocLedger", "PocContributionNotFound", world.project, unknown):
        world.chain.send(world.ledger.functions.endorse(world.project, unknown, 3), world.carol)


def test_endorse_superseded_contribution_reverts(world: World) -> None:
    old = world.register(world.bob)
    world.register(world.bob, supersedes=old)
    with reverts("PocLedger", "PocContributionNotActive", old, SUPERSEDED):
        world.chain.send(world.ledger.functions.endorse(world.project, old, 3), world.carol)


# --------------------------------------------------------------------------------- disputes


def _open(world: World, contribution_id: bytes, who=None):
    return world.chain.send(
        world.ledger.functions.openDispute(world.project, contribution_id, REASON),
        who or world.carol,
    )


def _vote(world: World, contribution_id: bytes, who, uphold: bool):
    return world.chain.send(
        world.ledger.functions.voteDispute(world.project, contribution_id, uphold), who
    )


def _dispute(world: World, contribution_id: bytes) -> tuple[object, ...]:
    return tuple(world.ledger.functions.dispute(contribution_id).call())


def test_open_dispute_records_it_with_eligible_voters(world: World) -> None:
    contribution_id = world.register(world.bob)
    receipt = _open(world, contribution_id)
    assert event(world.ledger, "DisputeOpened", receipt) == {
        "projectId": world.project,
        "contributionId": contribution_id,
        "disputer": world.carol.address,
        "disputeNumber": 1,
        "reasonHash": REASON,
        "eligibleVoters": 2,  # alice and dave: not bob (contributor), not carol (disputer)
    }
    assert _dispute(world, contribution_id) == (
        world.carol.address,
        world.chain.now(),
        1,
        OPEN,
        2,
        0,
        0,
    )


@covers("PocLedger.PocSelfDispute")
def test_open_dispute_on_own_contribution_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    with reverts("PocLedger", "PocSelfDispute", contribution_id, world.bob.address):
        _open(world, contribution_id, world.bob)


def test_open_dispute_at_window_end_succeeds(world: World) -> None:
    contribution_id = world.register(world.bob)
    closes_at = world.chain.now() + world.policy.dispute_window
    world.chain.set_next_timestamp(closes_at)
    _open(world, contribution_id)


@covers("PocLedger.PocDisputeWindowClosed")
def test_open_dispute_after_window_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    closes_at = world.chain.now() + world.policy.dispute_window
    world.chain.set_next_timestamp(closes_at + 1)
    with reverts("PocLedger", "PocDisputeWindowClosed", contribution_id, closes_at):
        _open(world, contribution_id)


@covers("PocLedger.PocDisputeAlreadyOpen")
def test_open_second_dispute_while_one_is_open_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    _open(world, contribution_id)
    with reverts("PocLedger", "PocDisputeAlreadyOpen", contribution_id):
        _open(world, contribution_id, world.dave)


@covers("PocLedger.PocNoEligibleVoters")
def test_open_dispute_in_two_partner_project_reverts(world: World) -> None:
    project_id = world.project_in_force([world.bob, world.carol])
    contribution_id = world.register(world.bob, project_id=project_id)
    with reverts("PocLedger", "PocNoEligibleVoters", contribution_id):
        world.chain.send(
            world.ledger.functions.openDispute(project_id, contribution_id, REASON), world.carol
        )


def test_open_dispute_on_withdrawn_contribution_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    world.chain.send(
        world.ledger.functions.withdrawContribution(world.project, contribution_id), world.bob
    )
    with reverts("PocLedger", "PocContributionNotActive", contribution_id, 2):
        _open(world, contribution_id)


def test_vote_dispute_strict_majority_upholds_and_invalidates(world: World) -> None:
    contribution_id = world.register(world.bob)
    _open(world, contribution_id)
    first = _vote(world, contribution_id, world.alice, True)
    assert event(world.ledger, "DisputeVoted", first)["uphold"] is True
    # One of two eligible voters is not a strict majority.
    assert events(world.ledger, "DisputeResolved", first) == []
    assert world.status(contribution_id) == ACTIVE
    second = _vote(world, contribution_id, world.dave, True)
    assert event(world.ledger, "DisputeResolved", second) == {
        "projectId": world.project,
        "contributionId": contribution_id,
        "disputeNumber": 1,
        "outcome": UPHELD,
    }
    assert world.status(contribution_id) == INVALIDATED
    assert _dispute(world, contribution_id)[3:] == (UPHELD, 2, 2, 0)
    # An invalidated contribution stays on record and can no longer be endorsed.
    assert world.ledger.functions.contribution(contribution_id).call()[0] == world.bob.address
    with reverts("PocLedger", "PocContributionNotActive", contribution_id, INVALIDATED):
        world.chain.send(
            world.ledger.functions.endorse(world.project, contribution_id, 1), world.alice
        )


def test_vote_dispute_majority_rejects_and_allows_a_new_dispute(world: World) -> None:
    contribution_id = world.register(world.bob)
    _open(world, contribution_id)
    _vote(world, contribution_id, world.alice, False)
    receipt = _vote(world, contribution_id, world.dave, False)
    assert event(world.ledger, "DisputeResolved", receipt)["outcome"] == REJECTED
    assert world.status(contribution_id) == ACTIVE
    # A second dispute gets its own number and its own votes.
    opened = _open(world, contribution_id, world.dave)
    assert event(world.ledger, "DisputeOpened", opened)["disputeNumber"] == 2
    _vote(world, contribution_id, world.alice, True)
    _vote(world, contribution_id, world.carol, True)
    assert world.status(contribution_id) == INVALIDATED


def test_vote_dispute_with_three_voters_resolves_at_two(world: World) -> None:
    project_id = world.project_in_force(
        [world.alice, world.bob, world.carol, world.dave, world.eve]
    )
    contribution_id = world.register(world.bob, project_id=project_id)
    opened = world.chain.send(
        world.ledger.functions.openDispute(project_id, contribution_id, REASON), world.carol
    )
    assert event(world.ledger, "DisputeOpened", opened)["eligibleVoters"] == 3
    vote = world.ledger.functions.voteDispute
    world.chain.send(vote(project_id, contribution_id, True), world.alice)
    world.chain.send(vote(project_id, contribution_id, False), world.dave)
    assert world.status(contribution_id) == ACTIVE
    receipt = world.chain.send(vote(project_id, contribution_id, True), world.eve)
    assert event(world.ledger, "DisputeResolved", receipt)["outcome"] == UPHELD


def test_vote_dispute_tie_stays_open_until_withdrawn(world: World) -> None:
    contribution_id = world.register(world.bob)
    _open(world, contribution_id)
    _vote(world, contribution_id, world.alice, True)
    _vote(world, contribution_id, world.dave, False)
    assert _dispute(world, contribution_id)[3] == OPEN
    receipt = world.chain.send(
        world.ledger.functions.withdrawDispute(world.project, contribution_id), world.carol
    )
    assert event(world.ledger, "DisputeResolved", receipt)["outcome"] == DISPUTE_WITHDRAWN
    assert world.status(contribution_id) == ACTIVE


@covers("PocLedger.PocNotEligibleVoter")
@pytest.mark.parametrize("who", ["bob", "carol"])
def test_vote_dispute_by_party_reverts(world: World, who: str) -> None:
    contribution_id = world.register(world.bob)
    _open(world, contribution_id)
    party = getattr(world, who)
    with reverts("PocLedger", "PocNotEligibleVoter", contribution_id, party.address):
        _vote(world, contribution_id, party, True)


def test_vote_dispute_by_partner_who_joined_later_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    _open(world, contribution_id)
    world.chain.travel(60)
    proposal_id = world.propose(world.alice, ADD_PARTNER, address_data(world.eve.address))
    world.chain.send(
        world.ledger.functions.approveProposal(world.project, proposal_id), world.carol
    )
    world.chain.send(world.ledger.functions.approveProposal(world.project, proposal_id), world.dave)
    world.accept(world.project, world.eve)
    with reverts("PocLedger", "PocNotEligibleVoter", contribution_id, world.eve.address):
        _vote(world, contribution_id, world.eve, True)


def test_vote_dispute_by_non_partner_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    _open(world, contribution_id)
    with reverts("PocLedger", "PocNotPartner", world.project, world.eve.address):
        _vote(world, contribution_id, world.eve, True)


@covers("PocLedger.PocAlreadyVoted")
def test_vote_dispute_twice_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    _open(world, contribution_id)
    _vote(world, contribution_id, world.alice, True)
    with reverts("PocLedger", "PocAlreadyVoted", contribution_id, world.alice.address):
        _vote(world, contribution_id, world.alice, False)


@covers("PocLedger.PocNoOpenDispute")
def test_vote_without_open_dispute_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    with reverts("PocLedger", "PocNoOpenDispute", contribution_id):
        _vote(world, contribution_id, world.alice, True)


def test_vote_after_resolution_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    _open(world, contribution_id)
    _vote(world, contribution_id, world.alice, False)
    _vote(world, contribution_id, world.dave, False)
    with reverts("PocLedger", "PocNoOpenDispute", contribution_id):
        _vote(world, contribution_id, world.alice, True)


def test_withdraw_dispute_by_disputer_succeeds(world: World) -> None:
    contribution_id = world.register(world.bob)
    _open(world, contribution_id)
    world.chain.send(
        world.ledger.functions.withdrawDispute(world.project, contribution_id), world.carol
    )
    assert _dispute(world, contribution_id)[2:4] == (1, DISPUTE_WITHDRAWN)
    with reverts("PocLedger", "PocNoOpenDispute", contribution_id):
        _vote(world, contribution_id, world.alice, True)


@covers("PocLedger.PocNotDisputer")
def test_withdraw_dispute_by_other_partner_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    _open(world, contribution_id)
    with reverts("PocLedger", "PocNotDisputer", contribution_id, world.bob.address):
        world.chain.send(
            world.ledger.functions.withdrawDispute(world.project, contribution_id), world.bob
        )


def test_withdraw_dispute_when_none_is_open_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    with reverts("PocLedger", "PocNoOpenDispute", contribution_id):
        world.chain.send(
            world.ledger.functions.withdrawDispute(world.project, contribution_id), world.carol
        )


def test_dispute_window_follows_the_policy(world: World) -> None:
    project_id = world.project_in_force(
        [world.alice, world.bob, world.carol], Policy(dispute_window=0)
    )
    contribution_id = world.register(world.bob, project_id=project_id)
    registered_at = world.chain.now()
    with reverts("PocLedger", "PocDisputeWindowClosed", contribution_id, registered_at):
        world.chain.send(
            world.ledger.functions.openDispute(project_id, contribution_id, REASON), world.carol
        )


def test_upheld_dispute_on_contribution_withdrawn_meanwhile_invalidates_it(world: World) -> None:
    # Withdrawing under an open dispute does not escape its outcome: the vote goes on and an
    # upheld dispute is recorded as Invalidated (the withdrawal stays in the event log).
    contribution_id = world.register(world.bob)
    _open(world, contribution_id)
    world.chain.send(
        world.ledger.functions.withdrawContribution(world.project, contribution_id), world.bob
    )
    _vote(world, contribution_id, world.alice, True)
    receipt = _vote(world, contribution_id, world.dave, True)
    assert event(world.ledger, "DisputeResolved", receipt)["outcome"] == UPHELD
    assert world.status(contribution_id) == INVALIDATED
