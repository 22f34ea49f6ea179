"""Approval thresholds as counts of partners, on chain: the RoyaltyVault's split approvals and
the governance module's proposals and PocExchange's settings proposals count as
docs/governance.md ("Thresholds") says and as `ledger.domain.values.approvals_required`
computes, for projects of 2, 3, 4 and 7 partners;
and the policy's parent share, which goes on chain with the rest of the policy."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from ledger.domain.values import approvals_required
from tests.contracts.exchange_world import ExchangeWorld
from tests.contracts.support import (
    ADD_PARTNER,
    Actor,
    Policy,
    actor,
    covers,
    event,
    policy_hash,
    reverts,
)
from tests.contracts.world import World, address_data

BPS = 10_000
PARTNERS = (2, 3, 4, 7)
# threshold bps -> approvals needed with 2, 3, 4 and 7 partners
SPLIT_TABLE = {
    6_667: (2, 2, 3, 5),  # two thirds
    5_000: (1, 2, 2, 4),  # half
    5_001: (2, 2, 3, 4),  # strict majority
    10_000: (2, 3, 4, 7),  # everyone
}
# Governance never lets one partner decide for two or more: 5000 of 2 is 2, not 1.
GOVERNANCE_TABLE = {6_667: (2, 2, 3, 5), 5_000: (2, 2, 2, 4), 10_000: (2, 3, 4, 7)}

# SplitInfo and ProposalInfo field positions
SPLIT_FINALIZED, SPLIT_APPROVALS, SPLIT_REQUIRED = 1, 2, 3
PROPOSAL_EXECUTED, PROPOSAL_APPROVALS, PROPOSAL_REQUIRED = 2, 4, 5


_fresh = itertools.count()


def _members(world: World, count: int) -> list[Actor]:
    """`count` partners: the world's four, then fresh funded actors (fresh each time: the
    chain's snapshots revert balances, not the test node's list of accounts)."""
    extra = [actor(f"threshold partner {next(_fresh)}") for _ in range(count - 4)]
    for who in extra:
        world.chain.add(who)
    return [*world.partners, *extra][:count]


def _project(world: World, count: int, policy: Policy) -> tuple[int, list[Actor]]:
    members = _members(world, count)
    return world.project_in_force(members, policy), members


@pytest.mark.parametrize("threshold", sorted(SPLIT_TABLE))
@pytest.mark.parametrize("index", range(len(PARTNERS)))
def test_split_finalizes_at_counted_approvals(world: World, threshold: int, index: int) -> None:
    count, expected = PARTNERS[index], SPLIT_TABLE[threshold][index]
    policy = dataclasses.replace(world.policy, split_approval_bps=threshold)
    project_id, members = _project(world, count, policy)
    shares = {m.address: BPS // count for m in members}
    shares[members[0].address] += BPS - sum(shares.values())
    partners = sorted(shares, key=str.lower)
    split = world.split_input(partners, [shares[p] for p in partners])
    receipt = world.chain.send(world.vault.functions.proposeSplit(project_id, split), members[0])
    proposal_id = int(event(world.vault, "SplitProposed", receipt)["proposalId"])
    info = world.vault.functions.splitProposal(project_id, proposal_id).call()
    assert info[SPLIT_REQUIRED] == expected == approvals_required(count, threshold)
    for approver in members[1:expected]:
        assert not world.vault.functions.splitProposal(project_id, proposal_id).call()[
            SPLIT_FINALIZED
        ]
        world.chain.send(world.vault.functions.approveSplit(project_id, proposal_id), approver)
    info = world.vault.functions.splitProposal(project_id, proposal_id).call()
    assert (info[SPLIT_FINALIZED], info[SPLIT_APPROVALS]) == (True, expected)


@pytest.mark.parametrize("threshold", sorted(GOVERNANCE_TABLE))
@pytest.mark.parametrize("index", range(len(PARTNERS)))
def test_proposal_executes_at_counted_approvals(world: World, threshold: int, index: int) -> None:
    count, expected = PARTNERS[index], GOVERNANCE_TABLE[threshold][index]
    policy = dataclasses.replace(world.policy, governance_bps=threshold)
    project_id, members = _project(world, count, policy)
    newcomer = actor(f"threshold newcomer {next(_fresh)}")
    proposal_id = world.propose(
        members[0], ADD_PARTNER, address_data(newcomer.address), project_id=project_id
    )
    proposal = world.ledger.functions.proposal(project_id, proposal_id).call()
    assert proposal[PROPOSAL_REQUIRED] == expected
    assert expected == max(approvals_required(count, threshold), 2)
    for approver in members[1:expected]:
        assert not world.ledger.functions.proposal(project_id, proposal_id).call()[
            PROPOSAL_EXECUTED
        ]
        world.chain.send(world.ledger.functions.approveProposal(project_id, proposal_id), approver)
    proposal = world.ledger.functions.proposal(project_id, proposal_id).call()
    assert (proposal[PROPOSAL_EXECUTED], proposal[PROPOSAL_APPROVALS]) == (True, expected)


@pytest.mark.parametrize("threshold", sorted(GOVERNANCE_TABLE))
@pytest.mark.parametrize("index", range(len(PARTNERS)))
def test_exchange_settings_apply_at_governance_counted_approvals(
    xworld: ExchangeWorld, threshold: int, index: int
) -> None:
    # The agreement's text states one "n of m" for every change of the rules; PocExchange's
    # access-rights settings must count it as the ledger's governance does.
    world = xworld.world
    count, expected = PARTNERS[index], GOVERNANCE_TABLE[threshold][index]
    policy = dataclasses.replace(world.policy, governance_bps=threshold)
    project_id, members = _project(world, count, policy)
    end = xworld.chain.now() + 400 * 86_400
    receipt = xworld.chain.send(
        xworld.exchange.functions.proposeExchangeSettings(project_id, (86_400, 86_400, end)),
        members[0],
    )
    proposed = event(xworld.exchange, "ExchangeSettingsProposed", receipt)
    assert proposed["required"] == expected == max(approvals_required(count, threshold), 2)
    for approver in members[1:expected]:
        assert xworld.settings(project_id)[1] == 0
        xworld.chain.send(
            xworld.exchange.functions.approveExchangeSettings(project_id, proposed["proposalId"]),
            approver,
        )
    assert xworld.settings(project_id) == ((86_400, 86_400, end), 1)


def test_policy_set_carries_parent_share_and_its_hash(world: World) -> None:
    policy = dataclasses.replace(world.policy, parent_share_bps=2_000)
    receipt = world.chain.send(
        world.ledger.functions.createProject(
            b"\x11" * 32, [world.alice.address, world.bob.address], policy.as_tuple()
        ),
        world.alice,
    )
    logged = event(world.ledger, "PolicySet", receipt)
    assert logged["policy"]["parentShareBps"] == 2_000
    assert logged["policyHash"] == policy_hash(policy)
    assert policy_hash(policy) != policy_hash(world.policy)


@pytest.mark.parametrize("share", [0, 1, 5_000, 9_999])
def test_policy_accepts_parent_share_below_whole(world: World, share: int) -> None:
    policy = dataclasses.replace(world.policy, parent_share_bps=share)
    receipt = world.chain.send(
        world.ledger.functions.createProject(
            b"\x22" * 32, [world.alice.address, world.bob.address], policy.as_tuple()
        ),
        world.alice,
    )
    assert event(world.ledger, "PolicySet", receipt)["policy"]["parentShareBps"] == share


@covers("PocLedger.PocInvalidPolicy")
@pytest.mark.parametrize("share", [10_000, 65_535])
def test_policy_with_parent_share_of_whole_reverts(world: World, share: int) -> None:
    policy: Policy = dataclasses.replace(world.policy, parent_share_bps=share)
    with reverts("PocLedger", "PocInvalidPolicy", "parentShareBps"):
        world.create_project(world.alice, [world.alice, world.bob], policy)
