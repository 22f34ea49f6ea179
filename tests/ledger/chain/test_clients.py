"""The typed clients against the real contracts, on eth-tester and anvil.

The first slice (project, acceptance, registration, read-back, event), the reverts a partner
meets first, the front-running copy of a commitment, and the lifecycle of contributions,
disputes, governance, batches and splits through the direct calls.
"""

from __future__ import annotations

import pytest

from ledger.chain.clients import (
    ETH,
    PocLedgerClient,
    TxResult,
    encode_add_partner,
)
from ledger.chain.reverts import (
    PocAgreementNotAccepted,
    PocAlreadyEndorsed,
    PocContributionExists,
    PocContributionNotActive,
    PocNotContributor,
    PocNotPartner,
    PocProjectNotFound,
    PocSelfEndorsement,
    PocUnknownCategory,
    VaultNothingToRelease,
)
from ledger.domain import hashing
from ledger.domain.events import (
    AgreementAccepted,
    AgreementInForce,
    ContributionRegistered,
    ContributionSuperseded,
    ContributionWithdrawn,
    DisputeOpened,
    DisputeResolved,
    Endorsed,
    PartnerAdded,
    PolicySet,
    ProjectCreated,
    ProposalExecuted,
    RevenueReceived,
    SplitFinalized,
)
from ledger.domain.merkle import MerkleTree
from ledger.domain.values import (
    ContributionStatus,
    DisputeOutcome,
    Origin,
    ProposalKind,
    Registration,
    SplitInput,
)
from ledger.errors import TransactionRevertedError
from tests.ledger.conftest import Env, default_policy

# ------------------------------------------------------------------------------ first slice


def test_first_slice_creates_project_registers_and_reads_back(env: Env) -> None:
    policy = default_policy()
    agreement = env.agreement()
    partners = [env.alice.address, env.bob.address, env.carol.address]

    created = env.ledger.create_project(env.alice, agreement, partners, policy)

    project_id = created.value
    event = created.events_of(ProjectCreated)[0]
    assert (event.project_id, event.coordinator, event.agreement_hash, event.partners) == (
        project_id,
        env.alice.address,
        agreement,
        tuple(partners),
    )
    policy_event = created.events_of(PolicySet)[0]
    assert policy_event.policy == policy
    assert policy_event.policy_hash == hashing.policy_hash(policy)
    assert event.block_number == created.receipt.block_number
    assert event.tx_hash == created.tx_hash

    in_force = [
        env.ledger.accept_agreement(s, project_id, 1, agreement).value
        for s in (env.alice, env.bob, env.carol)
    ]
    assert in_force == [False, False, True]

    info = env.ledger.project(project_id)
    assert info.coordinator == env.alice.address
    assert info.in_force and info.partner_count == 3 and info.accepted_count == 3
    assert info.policy_hash == hashing.policy_hash(policy)
    assert info.agreement_hash == agreement
    assert set(env.ledger.partners(project_id)) == set(partners)

    content = hashing.sha256_bytes(b"drawing of the flax decorticator, rev. B")
    salt = hashing.new_salt()
    commitment = hashing.commitment(env.bob.address, project_id, content, salt)
    registration = Registration(project_id, commitment, Origin.RESULT, 0, 12, uri="ipfs://x")

    registered = env.ledger.register(env.bob, registration)

    contribution_id = registered.value
    assert contribution_id == hashing.contribution_id(project_id, env.bob.address, commitment)
    stored = env.ledger.contribution(contribution_id)
    assert stored.contributor == env.bob.address
    assert stored.project_id == project_id
    assert stored.status is ContributionStatus.ACTIVE
    (event_reg,) = registered.events_of(ContributionRegistered)
    assert event_reg.contribution_id == contribution_id
    assert event_reg.commitment == commitment
    assert event_reg.origin is Origin.RESULT and event_reg.value == 12
    assert event_reg.uri == "ipfs://x" and event_reg.batch_id == bytes(32)
    assert event_reg.registered_at == stored.registered_at
    scanned = env.ledger.get_events(
        created.receipt.block_number, event_types=[ContributionRegistered], project_id=project_id
    )
    assert scanned == [event_reg]


def test_register_by_non_member_raises_not_partner(env: Env) -> None:
    project_id = env.create_project()

    with pytest.raises(PocNotPartner) as caught:
        env.ledger.register(env.dave, env.registration(env.dave, project_id))

    assert caught.value.project_id == project_id
    assert caught.value.account == env.dave.address
    assert caught.value.code == "not_partner"
    assert isinstance(caught.value.__cause__, TransactionRevertedError)
    assert caught.value.tx_hash is not None


def test_register_before_accepting_raises_agreement_not_accepted(env: Env) -> None:
    project_id = env.create_project(accept=False)
    env.ledger.accept_agreement(env.alice, project_id, 1, env.agreement())

    with pytest.raises(PocAgreementNotAccepted) as caught:
        env.ledger.register(env.bob, env.registration(env.bob, project_id))

    assert (caught.value.project_id, caught.value.account, caught.value.current_version) == (
        project_id,
        env.bob.address,
        1,
    )


def test_copied_commitment_gets_another_id_and_never_opens_for_the_copier(env: Env) -> None:
    project_id = env.create_project()
    content = hashing.sha256_bytes(b"alice's lab notebook, week 12")
    salt = hashing.new_salt()
    commitment = hashing.commitment(env.alice.address, project_id, content, salt)
    registration = Registration(project_id, commitment, Origin.RESULT, 0, 40)

    # Bob saw alice's pending transaction and lands the same bytes first.
    copy_id = env.ledger.register(env.bob, registration).value
    original_id = env.ledger.register(env.alice, registration).value

    assert copy_id != original_id
    assert env.ledger.contribution(copy_id).contributor == env.bob.address
    assert env.ledger.contribution(original_id).contributor == env.alice.address
    # Opening means showing (content hash, salt) that recompute the commitment for the
    # contributor on record: it works for alice, and for bob no salt can make it work.
    assert hashing.commitment(env.alice.address, project_id, content, salt) == commitment
    assert hashing.commitment(env.bob.address, project_id, content, salt) != commitment
    with pytest.raises(PocContributionExists):
        env.ledger.register(env.alice, registration)


def test_view_of_unknown_project_raises_project_not_found(env: Env) -> None:
    with pytest.raises(PocProjectNotFound) as caught:
        env.ledger.project(4242)
    assert caught.value.project_id == 4242
    assert caught.value.tx_hash is None


# ------------------------------------------------------------------------------ lifecycle


def test_unknown_category_raises_with_category_count(memory_env: Env) -> None:
    env = memory_env
    project_id = env.create_project()
    bad = env.registration(env.alice, project_id)
    bad = Registration(bad.project_id, bad.commitment, bad.origin, 7, bad.value)

    with pytest.raises(PocUnknownCategory) as caught:
        env.ledger.register(env.alice, bad)

    assert (caught.value.category, caught.value.category_count) == (7, 2)


def test_supersede_and_withdraw_keep_records(memory_env: Env) -> None:
    env = memory_env
    project_id = env.create_project()
    first = env.register(env.alice, project_id)
    replacement = env.registration(env.alice, project_id, supersedes=first)

    result = env.ledger.register(env.alice, replacement)

    (superseded,) = result.events_of(ContributionSuperseded)
    assert (superseded.contribution_id, superseded.replacement_id) == (first, result.value)
    assert env.ledger.contribution(first).status is ContributionStatus.SUPERSEDED
    with pytest.raises(PocNotContributor):
        env.ledger.withdraw_contribution(env.bob, project_id, result.value)
    withdrawn = env.ledger.withdraw_contribution(env.alice, project_id, result.value)
    assert withdrawn.events_of(ContributionWithdrawn)[0].contributor == env.alice.address
    with pytest.raises(PocContributionNotActive) as caught:
        env.ledger.withdraw_contribution(env.alice, project_id, result.value)
    assert caught.value.status is ContributionStatus.WITHDRAWN


def test_endorse_and_upheld_dispute_invalidate(memory_env: Env) -> None:
    env = memory_env
    project_id = env.create_project()
    contribution_id = env.register(env.alice, project_id)

    endorsed = env.ledger.endorse(env.bob, project_id, contribution_id, 4)
    assert endorsed.events_of(Endorsed)[0].rating == 4
    assert env.ledger.has_endorsed(contribution_id, env.bob.address)
    with pytest.raises(PocAlreadyEndorsed):
        env.ledger.endorse(env.bob, project_id, contribution_id, 5)
    with pytest.raises(PocSelfEndorsement):
        env.ledger.endorse(env.alice, project_id, contribution_id, 5)

    reason = hashing.reason_hash(hashing.text_hash("copied from a 2019 paper"), bytes(32))
    opened = env.ledger.open_dispute(env.bob, project_id, contribution_id, reason)
    assert opened.value == 1
    assert opened.events_of(DisputeOpened)[0].eligible_voters == 1
    vote = env.ledger.vote_dispute(env.carol, project_id, contribution_id, True)

    assert vote.value is DisputeOutcome.UPHELD
    assert vote.events_of(DisputeResolved)[0].outcome is DisputeOutcome.UPHELD
    dispute = env.ledger.dispute(contribution_id)
    assert (dispute.disputer, dispute.number, dispute.uphold_votes) == (env.bob.address, 1, 1)
    assert env.ledger.contribution(contribution_id).status is ContributionStatus.INVALIDATED


def test_governance_adds_partner_who_then_accepts(memory_env: Env) -> None:
    env = memory_env
    project_id = env.create_project(policy=default_policy(governance_bps=6_666))

    proposed = env.ledger.propose(
        env.alice, project_id, ProposalKind.ADD_PARTNER, encode_add_partner(env.dave.address)
    )
    info = env.ledger.proposal(project_id, proposed.value)
    assert (info.kind, info.approvals, info.required, info.executed) == (
        ProposalKind.ADD_PARTNER,
        1,
        2,
        False,
    )
    approved = env.ledger.approve_proposal(env.bob, project_id, proposed.value)

    assert approved.value is True
    assert approved.events_of(ProposalExecuted)[0].proposal_id == proposed.value
    assert approved.events_of(PartnerAdded)[0].partner == env.dave.address
    assert env.ledger.has_approved(proposed.value, env.bob.address)
    assert not env.ledger.is_participant(project_id, env.dave.address)
    accepted = env.ledger.accept_agreement(env.dave, project_id, 1, env.agreement())
    assert accepted.events_of(AgreementAccepted)[0].partner == env.dave.address
    assert not accepted.events_of(AgreementInForce)  # in force already, for good
    assert env.ledger.is_participant(project_id, env.dave.address)


def test_batch_anchor_verify_and_reveal(env: Env) -> None:
    project_id = env.create_project()
    leaves = [
        env.registration(env.carol, project_id, value=v).as_batch_leaf() for v in (1, 2, 3, 4, 5)
    ]
    tree = MerkleTree.of(leaves)

    anchored = env.ledger.anchor_batch(env.carol, project_id, tree.root, len(leaves), "s3://b")

    batch_id = anchored.value
    assert batch_id == hashing.batch_id(project_id, env.carol.address, tree.root)
    info = env.ledger.batch(batch_id)
    assert (info.contributor, info.count, info.root) == (env.carol.address, 5, tree.root)
    for index, leaf in enumerate(leaves):
        assert env.ledger.verify_batch_leaf(batch_id, leaf, tree.proof(index))
    # Anyone may reveal: the anchoring already proved who and when.
    revealed = env.ledger.reveal_batched(
        env.relayer, project_id, batch_id, leaves[3], tree.proof(3)
    )
    (event,) = revealed.events_of(ContributionRegistered)
    assert event.contributor == env.carol.address and event.batch_id == batch_id
    assert event.registered_at == info.anchored_at
    assert revealed.value == hashing.contribution_id(
        project_id, env.carol.address, leaves[3].commitment
    )


def test_split_deposit_and_release(env: Env) -> None:
    project_id = env.create_project(policy=default_policy(split_approval_bps=6_666))
    split = SplitInput.sorted_from(
        {env.alice.address: 5_000, env.bob.address: 3_000, env.carol.address: 2_000},
        policy_version=1,
        computed_at_block=env.chain.block_number(),
        input_set_hash=bytes(range(32)),
    )
    proposed = env.vault.propose_split(env.alice, project_id, split)
    finalized = env.vault.approve_split(env.bob, project_id, proposed.value)
    assert finalized.value == 1
    assert finalized.events_of(SplitFinalized)[0].proposal_id == proposed.value
    info = env.vault.split_proposal(project_id, proposed.value)
    assert info.finalized and info.partners == split.partners and info.bps == split.bps

    deposit = env.vault.deposit(env.dave, project_id, 1_000_001, split_partners=3)

    received = deposit.events_of(RevenueReceived)[0]
    assert (received.from_, received.amount, received.split_version) == (
        env.dave.address,
        1_000_001,
        1,
    )
    balances = {
        s.address: env.vault.balance_of(project_id, ETH, s.address)
        for s in (env.alice, env.bob, env.carol)
    }
    assert sum(balances.values()) == 1_000_001
    released = env.vault.release(env.relayer, project_id, ETH, env.bob.address)
    assert released.value == balances[env.bob.address]
    paid = env.vault.release_to(env.carol, project_id, ETH, env.dave.address)
    assert paid.value == balances[env.carol.address]
    totals = env.vault.totals(project_id, ETH)
    assert (totals.received, totals.released) == (1_000_001, released.value + paid.value)
    with pytest.raises(VaultNothingToRelease) as caught:
        env.vault.release(env.relayer, project_id, ETH, env.bob.address)
    assert caught.value.token == ETH


def test_views_read_past_blocks(memory_env: Env) -> None:
    env = memory_env
    project_id = env.create_project()
    before = env.chain.block_number()
    contribution_id = env.register(env.alice, project_id)

    assert env.ledger.contribution(contribution_id, block=before).status is (
        ContributionStatus.NONE
    )
    assert env.ledger.contribution(contribution_id).status is ContributionStatus.ACTIVE


def test_clients_read_the_release_and_the_governance_module(memory_env: Env) -> None:
    env = memory_env
    module = env.ledger.governance()

    assert env.ledger.version() == env.vault.version() == "2.0.0"
    assert env.chain.w3.eth.get_code(module)
    assert module != env.ledger.address
    # The module is part of the ledger, not a contract of its own: the record names two.
    assert module not in env.record.addresses.values()


def test_results_carry_receipt_and_gas(memory_env: Env) -> None:
    env = memory_env
    project_id = env.create_project()

    result = env.ledger.register(env.alice, env.registration(env.alice, project_id))

    assert isinstance(result, TxResult)
    assert result.receipt.succeeded and result.gas_used == result.receipt.gas_used
    assert result.gas_used < env.ledger.gas_limit("register")


def test_preflight_reports_revert_before_sending(env: Env) -> None:
    project_id = env.create_project()
    careful = PocLedgerClient(env.chain.w3, env.ledger.address, preflight=True)
    nonce = env.chain.w3.eth.get_transaction_count(env.dave.address)

    with pytest.raises(PocNotPartner) as caught:
        careful.register(env.dave, env.registration(env.dave, project_id))

    assert caught.value.tx_hash is None
    assert env.chain.w3.eth.get_transaction_count(env.dave.address) == nonce


def test_estimated_gas_instead_of_defaults(memory_env: Env) -> None:
    env = memory_env
    project_id = env.create_project()
    estimating = PocLedgerClient(env.chain.w3, env.ledger.address, use_estimates=True)

    result = estimating.register(env.alice, env.registration(env.alice, project_id))

    tx = env.chain.w3.eth.get_transaction(result.tx_hash)  # type: ignore[arg-type]
    # The sender's estimate plus its margin, not the fixed default.
    assert tx["gas"] != env.ledger.gas_limit("register")
    assert result.gas_used <= tx["gas"] and result.receipt.succeeded
