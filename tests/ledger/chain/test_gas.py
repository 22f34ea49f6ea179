"""The clients' default gas limits against fresh measurements, worst cases included.

Every call here uses the default limit, so a limit that is too low fails the transaction (out of
gas, no revert data). Each measurement must also stay within the limit's headroom band, so a
limit cannot drift far above what the contracts need. Run with `-s` to print the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account

from ledger.chain import signing
from ledger.chain.clients import (
    ETH,
    TxResult,
    encode_add_partner,
    encode_change_policy,
)
from ledger.chain.transactions import TRANSFER_GAS, TxRequest, TxSender
from ledger.domain import hashing
from ledger.domain.events import PolicySet, ProjectCreated
from ledger.domain.merkle import MerkleTree
from ledger.domain.values import (
    Category,
    Origin,
    Policy,
    ProposalKind,
    Registration,
    SplitInput,
    checksum,
)
from tests.ledger.conftest import Env, default_policy

MEASURED: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _print_table() -> Iterator[None]:
    yield
    width = max((len(name) for name in MEASURED), default=0)
    for name, gas in MEASURED.items():
        print(f"{name:<{width}}  {gas:>10,}")


def measured(name: str, result: TxResult[Any], limit: int, *, band: float = 1.6) -> None:
    """Record the gas of `result`; its default `limit` must cover it without exceeding
    `band` times it (plus a little for the smallest calls)."""
    MEASURED[name] = result.gas_used
    assert result.gas_used <= limit, name
    assert limit <= result.gas_used * band + 25_000, f"{name}: {limit} for {result.gas_used}"


def _partners(env: Env, count: int) -> list[TxSender]:
    """alice and `count - 1` fresh funded accounts."""
    extra = [Account.create() for _ in range(count - 1)]
    env.deployer.send_many(
        [TxRequest(to=checksum(a.address), value=10**17, gas=TRANSFER_GAS) for a in extra]
    )
    return [env.alice, *(env.chain.sender(a) for a in extra)]


def _wide_policy(categories: int, **overrides: object) -> Policy:
    cats = tuple(Category.of(f"category {i}", "unit", 1, 10_000) for i in range(categories))
    return default_policy(categories=cats, **overrides)


def test_gas_of_project_setup(memory_env: Env) -> None:
    env = memory_env
    ledger = env.ledger
    agreement = env.agreement()
    policy = default_policy()
    members = [env.alice, env.bob, env.carol]

    created = ledger.create_project(env.alice, agreement, [m.address for m in members], policy)
    project_id = created.value
    measured("createProject (3 partners, 2 categories)", created, _limit_of(env, created))
    added = ledger.add_partner(env.alice, project_id, env.dave.address)
    measured("addPartner", added, ledger.gas_limit("addPartner"))
    accepted = ledger.accept_agreement(env.alice, project_id, 1, agreement)
    measured("acceptAgreement", accepted, ledger.gas_limit("acceptAgreement"))
    for member in members[1:]:
        ledger.accept_agreement(member, project_id, 1, agreement)
    removed = ledger.remove_partner(env.alice, project_id, env.dave.address)
    assert removed.value  # the rest had all accepted: in force now
    measured("removePartner (brings it in force)", removed, ledger.gas_limit("removePartner"))
    identity = ledger.set_identity(env.bob, "Vlas & Linnen NV", "BE0123456789")
    measured("setIdentity", identity, ledger.gas_limit("setIdentity", size=28))
    cancelled = ledger.cancel_nonce(env.bob, 77)
    measured("cancelNonce (new word)", cancelled, ledger.gas_limit("cancelNonce"))


def _limit_of(env: Env, created: TxResult[int]) -> int:
    # Recompute the default the client used for this createProject.
    partners = created.events_of(ProjectCreated)[0].partners
    policy = created.events_of(PolicySet)[0].policy
    return env.ledger.gas_limit(
        "createProject", items=len(partners), size=len(hashing.encode_policy(policy))
    )


@pytest.mark.slow
def test_gas_of_largest_project_and_split(memory_env: Env) -> None:
    env = memory_env
    members = _partners(env, 64)
    policy = _wide_policy(32, split_approval_bps=1)
    agreement = env.agreement()

    created = env.ledger.create_project(env.alice, agreement, [m.address for m in members], policy)
    measured("createProject (64 partners, 32 categories)", created, _limit_of(env, created))
    project_id = created.value
    for member in members:
        env.ledger.accept_agreement(member, project_id, 1, agreement)

    shares = {m.address: 10_000 // 64 for m in members}
    shares[env.alice.address] += 10_000 - sum(shares.values())
    split = SplitInput.sorted_from(
        shares, policy_version=1, computed_at_block=env.chain.block_number(),
        input_set_hash=bytes(32),
    )  # fmt: skip
    proposed = env.vault.propose_split(env.alice, project_id, split)
    assert proposed.events  # one approval of 64 suffices with splitApprovalBps = 1
    measured(
        "proposeSplit (64 partners, finalizes)",
        proposed,
        env.vault.gas_limit("proposeSplit", items=64),
    )
    deposit = env.vault.deposit(env.dave, project_id, 10**18 + 63)
    measured("deposit (64-partner split, cold)", deposit, env.vault.gas_limit("deposit", items=64))


def test_gas_of_contributions(memory_env: Env) -> None:
    env = memory_env
    ledger = env.ledger
    project_id = env.create_project()

    plain = ledger.register(env.alice, env.registration(env.alice, project_id))
    measured("register", plain, ledger.gas_limit("register"))
    parents = tuple(env.register(env.bob, project_id) for _ in range(16))
    uri = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/" + "x" * 134
    heavy = ledger.register(
        env.alice, env.registration(env.alice, project_id, parents=parents, uri=uri)
    )
    measured(
        "register (16 parents, 200-byte uri)",
        heavy,
        ledger.gas_limit("register", items=16, size=len(uri)),
    )
    replacing = ledger.register(
        env.alice, env.registration(env.alice, project_id, supersedes=plain.value)
    )
    measured("register (supersedes)", replacing, ledger.gas_limit("register", items=3))

    leaves = [env.registration(env.carol, project_id).as_batch_leaf() for _ in range(99)]
    leaves.append(env.registration(env.carol, project_id, parents=parents).as_batch_leaf())
    tree = MerkleTree.of(leaves)
    anchored = ledger.anchor_batch(env.carol, project_id, tree.root, len(leaves))
    measured("anchorBatch", anchored, ledger.gas_limit("anchorBatch"))
    proof = tree.proof(99)
    revealed = ledger.reveal_batched(env.relayer, project_id, anchored.value, leaves[99], proof)
    measured(
        f"revealBatched ({len(proof)} proof nodes, 16 parents)",
        revealed,
        ledger.gas_limit("revealBatched", items=len(proof) + 16),
    )

    endorsed = ledger.endorse(env.bob, project_id, heavy.value, 3)
    measured("endorse", endorsed, ledger.gas_limit("endorse"))
    opened = ledger.open_dispute(env.bob, project_id, replacing.value, bytes(32))
    measured("openDispute", opened, ledger.gas_limit("openDispute"))
    voted = ledger.vote_dispute(env.carol, project_id, replacing.value, True)
    measured("voteDispute (upholds)", voted, ledger.gas_limit("voteDispute"))
    ledger.open_dispute(env.bob, project_id, heavy.value, bytes(32))
    retracted = ledger.withdraw_dispute(env.bob, project_id, heavy.value)
    measured("withdrawDispute", retracted, ledger.gas_limit("withdrawDispute"))
    withdrawn = ledger.withdraw_contribution(env.alice, project_id, heavy.value)
    measured("withdrawContribution", withdrawn, ledger.gas_limit("withdrawContribution"))


def test_gas_of_governance(memory_env: Env) -> None:
    env = memory_env
    ledger = env.ledger
    project_id = env.create_project(policy=default_policy(governance_bps=6_666))

    add = ledger.propose(
        env.alice, project_id, ProposalKind.ADD_PARTNER, encode_add_partner(env.dave.address)
    )
    measured("propose (add partner)", add, ledger.gas_limit("propose", size=32))
    executed = ledger.approve_proposal(env.bob, project_id, add.value)
    assert executed.value
    measured(
        "approveProposal (executes add)", executed, ledger.gas_limit("approveProposal", size=32)
    )

    data = encode_change_policy(_wide_policy(32, governance_bps=6_666))
    change = ledger.propose(env.alice, project_id, ProposalKind.CHANGE_POLICY, data)
    measured("propose (policy, 32 categories)", change, ledger.gas_limit("propose", size=len(data)))
    ledger.approve_proposal(env.bob, project_id, change.value)
    applied = ledger.approve_proposal(env.carol, project_id, change.value)
    assert applied.value
    measured(
        "approveProposal (executes policy, 32 categories)",
        applied,
        ledger.gas_limit("approveProposal", size=len(data)),
    )


def test_gas_of_signed_actions(memory_env: Env) -> None:
    env = memory_env
    ledger = env.ledger
    project_id = env.create_project()
    registration = env.registration(env.bob, project_id)
    data = signing.register_data(
        ledger.domain, registration=registration, signer=env.bob.address, nonce=4096,
        deadline=env.deadline(),
    )  # fmt: skip

    relayed = ledger.register_by_sig(env.relayer, registration, env.sign(env.bob, data))

    measured(
        "registerBySig (new nonce word)",
        relayed,
        ledger.gas_limit("register", by_sig=True),
        band=2.0,
    )


def test_gas_of_payouts(memory_env: Env) -> None:
    env = memory_env
    project_id = env.create_project(policy=default_policy(split_approval_bps=6_666))
    split = SplitInput.sorted_from(
        {env.alice.address: 5_000, env.bob.address: 3_000, env.carol.address: 2_000},
        policy_version=1, computed_at_block=env.chain.block_number(), input_set_hash=bytes(32),
    )  # fmt: skip
    vault = env.vault

    proposed = vault.propose_split(env.alice, project_id, split)
    measured("proposeSplit (3 partners)", proposed, vault.gas_limit("proposeSplit", items=3))
    finalized = vault.approve_split(env.bob, project_id, proposed.value)
    assert finalized.value == 1
    measured("approveSplit (finalizes)", finalized, vault.gas_limit("approveSplit"))
    deposit = vault.deposit(env.dave, project_id, 10**18 + 2, split_partners=3)
    measured("deposit (3-partner split)", deposit, vault.gas_limit("deposit", items=3))
    released = vault.release(env.relayer, project_id, ETH, env.alice.address)
    measured("release (ETH)", released, vault.gas_limit("release"), band=2.2)
    paid = vault.release_to(env.bob, project_id, ETH, env.dave.address)
    measured("releaseTo (ETH)", paid, vault.gas_limit("releaseTo"), band=3.0)


def test_registration_value_fits_default(memory_env: Env) -> None:
    # Largest scalar values cost no more gas than small ones (fixed-width ABI words).
    env = memory_env
    project_id = env.create_project()
    big = Registration(project_id, hashing.sha256_bytes(b"max"), Origin.BACKGROUND, 1, 2**64 - 1)
    result = env.ledger.register(env.alice, big)
    assert result.gas_used <= env.ledger.gas_limit("register")
