"""Every signed action of both contracts: typed data built by `ledger.chain.signing`, signed by the
partner's key, relayed by a third account, and accepted by the contract for the signer.

Each signature's digest is also checked against the contract's own domain separator: the
digest is keccak256(0x1901 ‖ domainSeparator() ‖ structHash), i.e. `_hashTypedDataV4`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from eth_utils.crypto import keccak

from ledger.chain import signing
from ledger.chain.clients import ETH, encode_add_partner
from ledger.chain.reverts import SignatureExpired, SignatureInvalid, SignatureNonceUsed
from ledger.chain.signing import Eip712Domain, NonceAllocator, SignedAuth, TypedData
from ledger.chain.transactions import TxSender
from ledger.domain import hashing
from ledger.domain.events import (
    AgreementInForce,
    BatchAnchored,
    ContributionRegistered,
    ContributionWithdrawn,
    DisputeOpened,
    DisputeResolved,
    DisputeVoted,
    Endorsed,
    IdentitySet,
    NonceCancelled,
    PartnerAdded,
    ProjectCreated,
    ProposalApproved,
    ProposalCreated,
    Released,
    SplitApproved,
    SplitFinalized,
    SplitProposed,
)
from ledger.domain.merkle import MerkleTree
from ledger.domain.values import ContributionStatus, DisputeOutcome, ProposalKind, SplitInput
from tests.ledger.conftest import Env, default_policy

Builder = Callable[..., TypedData]


class Signer:
    """Builds, checks and signs typed data for one contract, with nonces from the chain."""

    def __init__(self, env: Env, *, vault: bool = False) -> None:
        self.env = env
        self.client = env.vault if vault else env.ledger
        self.domain = self.client.domain
        self.nonces = NonceAllocator(self.client.is_nonce_used)

    def __call__(self, actor: TxSender, builder: Builder, **fields: Any) -> SignedAuth:
        data = builder(
            self.domain,
            signer=actor.address,
            nonce=self.nonces.allocate(actor.address),
            deadline=self.env.deadline(),
            **fields,
        )
        on_chain = self.client.domain_separator()
        assert on_chain == self.domain.separator()
        assert signing.typed_data_digest(data) == keccak(
            b"\x19\x01" + on_chain + signing.struct_hash(data)
        )
        return self.env.sign(actor, data)


def test_project_setup_by_sig_acts_for_the_signer(memory_env: Env) -> None:
    env = memory_env
    sign = Signer(env)
    agreement = env.agreement()
    policy = default_policy()
    partners = [env.alice.address, env.bob.address, env.carol.address]

    auth = sign(
        env.alice,
        signing.create_project_data,
        agreement_hash=agreement,
        partners=partners,
        policy=policy,
    )
    created = env.ledger.create_project_by_sig(env.relayer, agreement, partners, policy, auth)

    assert created.receipt.sender == env.relayer.address
    assert created.events_of(ProjectCreated)[0].coordinator == env.alice.address
    project_id = created.value
    for actor in (env.alice, env.bob, env.carol):
        auth = sign(
            actor,
            signing.accept_agreement_data,
            project_id=project_id,
            version=1,
            agreement_hash=agreement,
        )
        accepted = env.ledger.accept_agreement_by_sig(env.relayer, project_id, 1, agreement, auth)
    assert accepted.value is True and accepted.events_of(AgreementInForce)

    auth = sign(env.bob, signing.set_identity_data, name="Vlas NV", company_number="BE0123")
    identity = env.ledger.set_identity_by_sig(env.relayer, "Vlas NV", "BE0123", auth)
    event = identity.events_of(IdentitySet)[0]
    assert (event.account, event.name, event.company_number) == (
        env.bob.address,
        "Vlas NV",
        "BE0123",
    )


def test_contribution_actions_by_sig_act_for_the_signer(env: Env) -> None:
    project_id = env.create_project()
    sign = Signer(env)

    registration = env.registration(env.bob, project_id, parents=())
    auth = sign(env.bob, signing.register_data, registration=registration)
    registered = env.ledger.register_by_sig(env.relayer, registration, auth)
    contribution_id = registered.value
    assert registered.events_of(ContributionRegistered)[0].contributor == env.bob.address

    leaves = [env.registration(env.carol, project_id).as_batch_leaf() for _ in range(3)]
    tree = MerkleTree.of(leaves)
    auth = sign(
        env.carol,
        signing.anchor_batch_data,
        project_id=project_id,
        root=tree.root,
        count=3,
        uri="file:batch.json",
    )
    anchored = env.ledger.anchor_batch_by_sig(
        env.relayer, project_id, tree.root, 3, "file:batch.json", auth
    )
    assert anchored.events_of(BatchAnchored)[0].contributor == env.carol.address

    auth = sign(
        env.carol,
        signing.endorse_data,
        project_id=project_id,
        contribution_id=contribution_id,
        rating=5,
    )
    endorsed = env.ledger.endorse_by_sig(env.relayer, project_id, contribution_id, 5, auth)
    assert endorsed.events_of(Endorsed)[0].endorser == env.carol.address

    reason = hashing.reason_hash(hashing.text_hash("not new"), hashing.new_salt())
    for number, vote in ((1, True), (2, None)):
        auth = sign(
            env.alice,
            signing.open_dispute_data,
            project_id=project_id,
            contribution_id=contribution_id,
            reason_hash=reason,
        )
        opened = env.ledger.open_dispute_by_sig(
            env.relayer, project_id, contribution_id, reason, auth
        )
        assert opened.value == number
        assert opened.events_of(DisputeOpened)[0].disputer == env.alice.address
        if vote is not None:
            # Carol is the only eligible voter: rejecting decides it.
            auth = sign(
                env.carol,
                signing.vote_dispute_data,
                project_id=project_id,
                contribution_id=contribution_id,
                uphold=False,
            )
            voted = env.ledger.vote_dispute_by_sig(
                env.relayer, project_id, contribution_id, False, auth
            )
            assert voted.events_of(DisputeVoted)[0].voter == env.carol.address
            assert voted.value is DisputeOutcome.REJECTED
    auth = sign(
        env.alice,
        signing.withdraw_dispute_data,
        project_id=project_id,
        contribution_id=contribution_id,
    )
    withdrawn_dispute = env.ledger.withdraw_dispute_by_sig(
        env.relayer, project_id, contribution_id, auth
    )
    assert withdrawn_dispute.events_of(DisputeResolved)[0].outcome is DisputeOutcome.WITHDRAWN

    auth = sign(
        env.bob,
        signing.withdraw_contribution_data,
        project_id=project_id,
        contribution_id=contribution_id,
    )
    withdrawn = env.ledger.withdraw_contribution_by_sig(
        env.relayer, project_id, contribution_id, auth
    )
    assert withdrawn.events_of(ContributionWithdrawn)[0].contributor == env.bob.address
    assert env.ledger.contribution(contribution_id).status is ContributionStatus.WITHDRAWN


def test_governance_by_sig_acts_for_the_signer(memory_env: Env) -> None:
    env = memory_env
    project_id = env.create_project(policy=default_policy(governance_bps=6_666))
    sign = Signer(env)
    data = encode_add_partner(env.dave.address)

    auth = sign(
        env.alice,
        signing.propose_data,
        project_id=project_id,
        kind=ProposalKind.ADD_PARTNER,
        data=data,
    )
    proposed = env.ledger.propose_by_sig(
        env.relayer, project_id, ProposalKind.ADD_PARTNER, data, auth
    )
    assert proposed.events_of(ProposalCreated)[0].proposer == env.alice.address
    auth = sign(
        env.bob, signing.approve_proposal_data, project_id=project_id, proposal_id=proposed.value
    )
    approved = env.ledger.approve_proposal_by_sig(env.relayer, project_id, proposed.value, auth)

    assert approved.value is True
    assert approved.events_of(ProposalApproved)[0].approver == env.bob.address
    assert approved.events_of(PartnerAdded)[0].partner == env.dave.address


def test_vault_actions_by_sig_act_for_the_signer(env: Env) -> None:
    project_id = env.create_project(policy=default_policy(split_approval_bps=6_666))
    sign = Signer(env, vault=True)
    split = SplitInput.sorted_from(
        {env.alice.address: 6_000, env.bob.address: 4_000},
        policy_version=1,
        computed_at_block=env.chain.block_number(),
        input_set_hash=keccak(text="scoring inputs"),
    )

    auth = sign(env.alice, signing.propose_split_data, project_id=project_id, split=split)
    proposed = env.vault.propose_split_by_sig(env.relayer, project_id, split, auth)
    assert proposed.events_of(SplitProposed)[0].proposer == env.alice.address
    auth = sign(
        env.carol, signing.approve_split_data, project_id=project_id, proposal_id=proposed.value
    )
    approved = env.vault.approve_split_by_sig(env.relayer, project_id, proposed.value, auth)
    assert approved.events_of(SplitApproved)[0].approver == env.carol.address
    assert approved.events_of(SplitFinalized)[0].split_version == approved.value == 1

    env.vault.deposit(env.dave, project_id, 10_000, split_partners=2)
    before = env.chain.w3.eth.get_balance(env.dave.address)
    auth = sign(
        env.bob,
        signing.release_to_data,
        project_id=project_id,
        token=ETH,
        recipient=env.dave.address,
    )
    released = env.vault.release_to_by_sig(env.relayer, project_id, ETH, env.dave.address, auth)

    event = released.events_of(Released)[0]
    assert (event.partner, event.recipient, event.amount) == (
        env.bob.address,
        env.dave.address,
        4_000,
    )
    assert env.chain.w3.eth.get_balance(env.dave.address) == before + 4_000


def test_signature_relayed_twice_raises_nonce_used(memory_env: Env) -> None:
    env = memory_env
    project_id = env.create_project()
    registration = env.registration(env.bob, project_id)
    auth = Signer(env)(env.bob, signing.register_data, registration=registration)
    env.ledger.register_by_sig(env.relayer, registration, auth)

    with pytest.raises(SignatureNonceUsed) as caught:
        env.ledger.register_by_sig(env.relayer, registration, auth)

    assert (caught.value.signer, caught.value.nonce) == (env.bob.address, auth.nonce)
    assert caught.value.code == "nonce_used"


def test_expired_signature_raises_signature_expired(memory_env: Env) -> None:
    env = memory_env
    project_id = env.create_project()
    registration = env.registration(env.bob, project_id)
    deadline = env.now() - 1
    data = signing.register_data(
        env.ledger.domain, registration=registration, signer=env.bob.address, nonce=1,
        deadline=deadline,
    )  # fmt: skip

    with pytest.raises(SignatureExpired) as caught:
        env.ledger.register_by_sig(env.relayer, registration, env.sign(env.bob, data))

    assert caught.value.deadline == deadline
    assert caught.value.timestamp > deadline


@pytest.mark.parametrize("forgery", ["other key", "other chain", "other contract"])
def test_forged_signature_raises_signature_invalid(memory_env: Env, forgery: str) -> None:
    env = memory_env
    project_id = env.create_project()
    registration = env.registration(env.bob, project_id)
    domain = env.ledger.domain
    key = env.bob.account.key
    if forgery == "other key":
        key = env.carol.account.key
    elif forgery == "other chain":
        domain = Eip712Domain.ledger(domain.chain_id + 1, domain.verifying_contract)
    else:
        domain = Eip712Domain.ledger(domain.chain_id, env.vault.address)
    data = signing.register_data(
        domain, registration=registration, signer=env.bob.address, nonce=3,
        deadline=env.deadline(),
    )  # fmt: skip
    auth = SignedAuth.from_typed_data(data, signing.sign_typed_data(key, data))

    with pytest.raises(SignatureInvalid) as caught:
        env.ledger.register_by_sig(env.relayer, registration, auth)

    assert caught.value.signer == env.bob.address


def test_cancelled_nonce_cannot_be_relayed(memory_env: Env) -> None:
    env = memory_env
    project_id = env.create_project()
    registration = env.registration(env.bob, project_id)
    auth = Signer(env)(env.bob, signing.register_data, registration=registration)

    cancelled = env.ledger.cancel_nonce(env.bob, auth.nonce)

    assert cancelled.events_of(NonceCancelled)[0].nonce == auth.nonce
    assert env.ledger.is_nonce_used(env.bob.address, auth.nonce)
    with pytest.raises(SignatureNonceUsed):
        env.ledger.register_by_sig(env.relayer, registration, auth)


def test_typed_data_survives_json_for_non_custodial_signing(memory_env: Env) -> None:
    env = memory_env
    project_id = env.create_project()
    registration = env.registration(env.bob, project_id, uri="https://dms.example/42")
    data = signing.register_data(
        env.ledger.domain, registration=registration, signer=env.bob.address, nonce=9,
        deadline=env.deadline(),
    )  # fmt: skip

    # The API sends the JSON; the partner signs it elsewhere and returns only the signature.
    remote = json.loads(json.dumps(data))
    signature = "0x" + signing.sign_typed_data(env.bob.account.key, remote).hex()
    auth = SignedAuth.from_typed_data(data, signature)
    signing.verify_auth(data, auth)
    result = env.ledger.register_by_sig(env.relayer, registration, auth)

    assert result.events_of(ContributionRegistered)[0].contributor == env.bob.address


def test_nonce_allocator_skips_nonces_used_on_chain(memory_env: Env) -> None:
    env = memory_env
    project_id = env.create_project()
    sign = Signer(env)
    for _ in range(2):
        registration = env.registration(env.bob, project_id)
        auth = sign(env.bob, signing.register_data, registration=registration)
        env.ledger.register_by_sig(env.relayer, registration, auth)

    fresh = NonceAllocator(env.ledger.is_nonce_used)

    assert fresh.allocate(env.bob.address) == 2
    assert fresh.allocate(env.bob.address) == 3
    assert fresh.allocate(env.alice.address) == 0
    assert [signing.nonce_word(n) for n in (0, 255, 256)] == [0, 0, 1]
