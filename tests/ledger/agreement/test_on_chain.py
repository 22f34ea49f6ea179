"""The agreement on a real chain (eth-tester): the contracts accept the generated policy, store
the hash of the canonical document (salted), and count approvals exactly as the text says."""

from __future__ import annotations

from typing import Any

from ledger.agreement.answers import parse_answers
from ledger.agreement.document import build_document, verify_agreement_hash
from ledger.chain.clients import encode_amend_agreement
from ledger.domain import hashing
from ledger.domain.values import ProposalKind, SplitInput
from tests.ledger.agreement.conftest import base_answers
from tests.ledger.conftest import Env


def _answers_for(env: Env, **royalties: Any) -> Any:
    raw = base_answers(royalties=royalties)
    for partner, sender in zip(raw["partners"], (env.alice, env.bob, env.carol), strict=True):
        partner["address"] = sender.address
    raw["coordinator"] = env.alice.address
    return parse_answers(raw)


def test_contracts_store_the_agreements_policy_and_count_its_thresholds(memory_env: Env) -> None:
    env = memory_env
    answers = _answers_for(env, split_approvals=3, partner_cap_bps=6000, partner_floor_bps=500)
    document = build_document(answers)
    salt = hashing.new_salt()
    agreement_hash = document.agreement_hash(salt)
    members = [env.alice, env.bob, env.carol]
    project_id = env.ledger.create_project(
        env.alice, agreement_hash, [m.address for m in members], document.policy
    ).value

    info = env.ledger.project(project_id)
    assert info.policy_hash == document.policy_hash
    assert info.agreement_hash == agreement_hash
    assert (info.dispute_window, info.split_approval_bps, info.governance_bps) == (
        document.policy.dispute_window,
        document.policy.split_approval_bps,
        document.policy.governance_bps,
    )
    # A partner holding the canonical bytes and the salt checks the on-chain value.
    on_chain = env.ledger.agreement_hash_at(project_id, 1)
    assert verify_agreement_hash(document.canonical_bytes(), salt, on_chain).version == 1

    for member in members:
        env.ledger.accept_agreement(member, project_id, 1, agreement_hash)

    # Governance: "2 of 3 partners" in the text, 2 required on chain.
    amended = build_document(
        _answers_for(env, split_approvals=3, partner_cap_bps=6000, dispute_window_days=14),
        previous=document,
    )
    proposal_id = env.ledger.propose(
        env.bob,
        project_id,
        ProposalKind.AMEND_AGREEMENT,
        encode_amend_agreement(amended.agreement_hash(salt)),
    ).value
    proposal = env.ledger.proposal(project_id, proposal_id)
    assert proposal.required == answers.decisions.governance_approvals == 2

    # Splits: "3 of 3 partners" in the text, 3 required on chain.
    split = SplitInput.sorted_from(
        {env.alice.address: 5000, env.bob.address: 3000, env.carol.address: 2000},
        policy_version=1,
        computed_at_block=env.chain.w3.eth.block_number,
        input_set_hash=bytes(32),
    )
    split_id = env.vault.propose_split(env.alice, project_id, split).value
    assert env.vault.split_proposal(project_id, split_id).required == 3
