"""Contributions: registration, derivative links, withdrawal, supersession, Merkle batches."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_utils.crypto import keccak

from tests.contracts.support import (
    ACTIVE,
    BACKGROUND,
    CHANGE_POLICY,
    SUPERSEDED,
    WITHDRAWN,
    ZERO_ADDRESS,
    ZERO_BYTES32,
    BatchLeaf,
    Category,
    Policy,
    batch_id_of,
    contribution_id_of,
    covers,
    event,
    hexb,
    oz_merkle_tree,
    policy_bytes,
    reverts,
)
from tests.contracts.world import World

# ---------------------------------------------------------------------------- registration


def test_register_records_contribution_and_event(world: World) -> None:
    reg = world.registration(world.bob, origin=BACKGROUND, category=1, value=250_000)
    receipt = world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.bob)
    registered = event(world.ledger, "ContributionRegistered", receipt)
    contribution_id = contribution_id_of(world.project, world.bob.address, reg.commitment)
    assert registered == {
        "projectId": world.project,
        "contributionId": contribution_id,
        "contributor": world.bob.address,
        "commitment": reg.commitment,
        "cardHash": ZERO_BYTES32,
        "origin": BACKGROUND,
        "category": 1,
        "value": 250_000,
        "parents": [],
        "supersedes": ZERO_BYTES32,
        "batchId": ZERO_BYTES32,
        "registeredAt": world.chain.now(),
        "uri": "",
    }
    assert world.ledger.functions.contribution(contribution_id).call() == (
        world.bob.address,
        world.project,
        world.chain.now(),
        ACTIVE,
    )


def test_register_with_uri_emits_it(world: World) -> None:
    uri = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
    reg = world.registration(world.carol, uri=uri)
    receipt = world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.carol)
    assert event(world.ledger, "ContributionRegistered", receipt)["uri"] == uri


@covers("PocLedger.PocZeroCommitment")
def test_register_zero_commitment_reverts(world: World) -> None:
    reg = replace(world.registration(world.bob), commitment=ZERO_BYTES32)
    with reverts("PocLedger", "PocZeroCommitment"):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.bob)


@covers("PocLedger.PocUnknownCategory")
def test_register_unknown_category_reverts(world: World) -> None:
    reg = world.registration(world.bob, category=3)
    with reverts("PocLedger", "PocUnknownCategory", 3, 3):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.bob)


def test_register_by_non_partner_reverts(world: World) -> None:
    reg = world.registration(world.eve)
    with reverts("PocLedger", "PocNotPartner", world.project, world.eve.address):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.eve)


def test_register_in_unknown_project_reverts(world: World) -> None:
    reg = world.registration(world.bob, project_id=9)
    with reverts("PocLedger", "PocProjectNotFound", 9):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.bob)


@covers("PocLedger.PocContributionExists")
def test_register_same_commitment_twice_reverts(world: World) -> None:
    reg = world.registration(world.bob)
    world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.bob)
    contribution_id = contribution_id_of(world.project, world.bob.address, reg.commitment)
    with reverts("PocLedger", "PocContributionExists", contribution_id):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.bob)


# --------------------------------------------------------------------------- derivative links


def test_register_with_parents_links_them(world: World) -> None:
    background = world.register(world.alice, origin=BACKGROUND)
    design = world.register(world.bob)
    reg = world.registration(world.carol, parents=(background, design))
    receipt = world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.carol)
    assert event(world.ledger, "ContributionRegistered", receipt)["parents"] == [
        background,
        design,
    ]


@covers("PocLedger.PocContributionNotFound")
def test_register_with_unknown_parent_reverts(world: World) -> None:
    missing = keccak(text="never registered")
    reg = world.registration(world.bob, parents=(missing,))
    with reverts("PocLedger", "PocContributionNotFound", world.project, missing):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.bob)


def test_register_with_parent_from_other_project_reverts(world: World) -> None:
    other = world.project_in_force([world.bob, world.carol])
    foreign = world.register(world.bob, project_id=other)
    reg = world.registration(world.bob, parents=(foreign,))
    with reverts("PocLedger", "PocContributionNotFound", world.project, foreign):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.bob)


def test_register_with_withdrawn_parent_succeeds(world: World) -> None:
    parent = world.register(world.bob)
    world.chain.send(world.ledger.functions.withdrawContribution(world.project, parent), world.bob)
    child = world.register(world.carol, parents=(parent,))
    assert world.status(child) == ACTIVE


def test_register_with_sixteen_parents_succeeds(world: World) -> None:
    parents = tuple(world.register(world.alice) for _ in range(16))
    child = world.register(world.bob, parents=parents)
    assert world.status(child) == ACTIVE


@covers("PocLedger.PocTooManyParents")
def test_register_with_seventeen_parents_reverts(world: World) -> None:
    parents = tuple(keccak(text=f"parent {i}") for i in range(17))
    reg = world.registration(world.bob, parents=parents)
    with reverts("PocLedger", "PocTooManyParents", 17, 16):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.bob)


# ------------------------------------------------------------------------------ withdrawal


def test_withdraw_contribution_keeps_record_as_withdrawn(world: World) -> None:
    contribution_id = world.register(world.bob)
    registered_at = world.chain.now()
    receipt = world.chain.send(
        world.ledger.functions.withdrawContribution(world.project, contribution_id), world.bob
    )
    assert event(world.ledger, "ContributionWithdrawn", receipt) == {
        "projectId": world.project,
        "contributionId": contribution_id,
        "contributor": world.bob.address,
    }
    assert world.ledger.functions.contribution(contribution_id).call() == (
        world.bob.address,
        world.project,
        registered_at,
        WITHDRAWN,
    )


@covers("PocLedger.PocNotContributor")
def test_withdraw_other_partners_contribution_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    with reverts("PocLedger", "PocNotContributor", contribution_id, world.carol.address):
        world.chain.send(
            world.ledger.functions.withdrawContribution(world.project, contribution_id),
            world.carol,
        )


@covers("PocLedger.PocContributionNotActive")
def test_withdraw_twice_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    withdraw = world.ledger.functions.withdrawContribution(world.project, contribution_id)
    world.chain.send(withdraw, world.bob)
    with reverts("PocLedger", "PocContributionNotActive", contribution_id, WITHDRAWN):
        world.chain.send(withdraw, world.bob)


def test_withdraw_unknown_contribution_reverts(world: World) -> None:
    unknown = keccak(text="unknown")
    with reverts("PocLedger", "PocContributionNotFound", world.project, unknown):
        world.chain.send(
            world.ledger.functions.withdrawContribution(world.project, unknown), world.bob
        )


def test_withdraw_contribution_in_wrong_project_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    other = world.project_in_force([world.bob, world.carol])
    with reverts("PocLedger", "PocContributionNotFound", other, contribution_id):
        world.chain.send(
            world.ledger.functions.withdrawContribution(other, contribution_id), world.bob
        )


def test_endorse_withdrawn_contribution_reverts(world: World) -> None:
    contribution_id = world.register(world.bob)
    world.chain.send(
        world.ledger.functions.withdrawContribution(world.project, contribution_id), world.bob
    )
    with reverts("PocLedger", "PocContributionNotActive", contribution_id, WITHDRAWN):
        world.chain.send(
            world.ledger.functions.endorse(world.project, contribution_id, 4), world.carol
        )


# ---------------------------------------------------------------------------- supersession


def test_supersede_own_active_contribution_marks_it_superseded(world: World) -> None:
    old = world.register(world.bob)
    reg = world.registration(world.bob, supersedes=old)
    receipt = world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.bob)
    new = hexb(event(world.ledger, "ContributionRegistered", receipt)["contributionId"])
    assert event(world.ledger, "ContributionRegistered", receipt)["supersedes"] == old
    assert event(world.ledger, "ContributionSuperseded", receipt) == {
        "projectId": world.project,
        "contributionId": old,
        "replacementId": new,
    }
    assert (world.status(old), world.status(new)) == (SUPERSEDED, ACTIVE)


def test_supersede_other_partners_contribution_reverts(world: World) -> None:
    old = world.register(world.bob)
    reg = world.registration(world.carol, supersedes=old)
    with reverts("PocLedger", "PocNotContributor", old, world.carol.address):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.carol)
    assert world.status(old) == ACTIVE


@pytest.mark.parametrize("first", ["withdraw", "supersede"])
def test_supersede_inactive_contribution_reverts(world: World, first: str) -> None:
    old = world.register(world.bob)
    if first == "withdraw":
        world.chain.send(world.ledger.functions.withdrawContribution(world.project, old), world.bob)
        status = WITHDRAWN
    else:
        world.register(world.bob, supersedes=old)
        status = SUPERSEDED
    reg = world.registration(world.bob, supersedes=old)
    with reverts("PocLedger", "PocContributionNotActive", old, status):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.bob)


def test_supersede_unknown_contribution_reverts(world: World) -> None:
    unknown = keccak(text="unknown")
    reg = world.registration(world.bob, supersedes=unknown)
    with reverts("PocLedger", "PocContributionNotFound", world.project, unknown):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.bob)


def test_register_superseding_itself_reverts(world: World) -> None:
    # The new id is computable before registering; a registration naming it as the one it
    # supersedes would create a record that is born Superseded and replaced by itself.
    reg = world.registration(world.bob)
    own_id = contribution_id_of(world.project, world.bob.address, reg.commitment)
    reg = replace(reg, supersedes=own_id)
    with reverts("PocLedger", "PocContributionNotFound", world.project, own_id):
        world.chain.send(world.ledger.functions.register(reg.as_tuple()), world.bob)


# ------------------------------------------------------------------------- Merkle batches


def _leaves(world: World, who: str, n: int) -> list[BatchLeaf]:
    return [
        BatchLeaf(world.commitment(who, label=f"batched {i}"), value=i + 1, category=i % 3)
        for i in range(n)
    ]


def _anchor(world: World, who, root: bytes, count: int, uri: str = "") -> bytes:
    receipt = world.chain.send(
        world.ledger.functions.anchorBatch(world.project, root, count, uri), who
    )
    return hexb(event(world.ledger, "BatchAnchored", receipt)["batchId"])


def test_anchor_batch_records_root_and_count(world: World) -> None:
    tree = oz_merkle_tree(_leaves(world, world.bob.address, 5))
    receipt = world.chain.send(
        world.ledger.functions.anchorBatch(world.project, tree.root, 5, "file://batch.json"),
        world.bob,
    )
    batch_id = batch_id_of(world.project, world.bob.address, tree.root)
    assert event(world.ledger, "BatchAnchored", receipt) == {
        "projectId": world.project,
        "batchId": batch_id,
        "contributor": world.bob.address,
        "root": tree.root,
        "count": 5,
        "uri": "file://batch.json",
    }
    assert world.ledger.functions.batch(batch_id).call() == (
        world.bob.address,
        world.project,
        world.chain.now(),
        5,
        tree.root,
    )


def test_anchor_batch_zero_root_reverts(world: World) -> None:
    with reverts("PocLedger", "PocZeroCommitment"):
        world.chain.send(
            world.ledger.functions.anchorBatch(world.project, ZERO_BYTES32, 1, ""), world.bob
        )


@covers("PocLedger.PocEmptyBatch")
def test_anchor_batch_with_zero_count_reverts(world: World) -> None:
    with reverts("PocLedger", "PocEmptyBatch"):
        world.chain.send(
            world.ledger.functions.anchorBatch(world.project, keccak(b"root"), 0, ""), world.bob
        )


@covers("PocLedger.PocBatchExists")
def test_anchor_same_root_twice_reverts(world: World) -> None:
    root = keccak(b"root")
    batch_id = _anchor(world, world.bob, root, 2)
    with reverts("PocLedger", "PocBatchExists", batch_id):
        _anchor(world, world.bob, root, 2)


def test_anchor_batch_by_non_partner_reverts(world: World) -> None:
    with reverts("PocLedger", "PocNotPartner", world.project, world.eve.address):
        _anchor(world, world.eve, keccak(b"root"), 1)


def test_reveal_batched_by_proof_registers_at_anchoring_time(world: World) -> None:
    leaves = _leaves(world, world.bob.address, 7)
    tree = oz_merkle_tree(leaves)
    batch_id = _anchor(world, world.bob, tree.root, len(leaves))
    anchored_at = world.chain.now()
    world.chain.travel(3_600)
    for i in (0, 4, 6):
        # Anyone may reveal: the anchoring already proved who and when.
        receipt = world.chain.send(
            world.ledger.functions.revealBatched(
                world.project, batch_id, leaves[i].as_tuple(), list(tree.proofs[i])
            ),
            world.eve,
        )
        registered = event(world.ledger, "ContributionRegistered", receipt)
        expected_id = contribution_id_of(world.project, world.bob.address, leaves[i].commitment)
        assert registered["contributionId"] == expected_id
        assert registered["contributor"] == world.bob.address
        assert registered["batchId"] == batch_id
        assert registered["registeredAt"] == anchored_at
        assert (registered["value"], registered["category"]) == (leaves[i].value, i % 3)
        assert world.ledger.functions.contribution(expected_id).call() == (
            world.bob.address,
            world.project,
            anchored_at,
            ACTIVE,
        )


def test_reveal_single_leaf_batch_with_empty_proof_succeeds(world: World) -> None:
    leaf = _leaves(world, world.carol.address, 1)[0]
    tree = oz_merkle_tree([leaf])
    assert tree.proofs == ((),)
    batch_id = _anchor(world, world.carol, tree.root, 1)
    world.chain.send(
        world.ledger.functions.revealBatched(world.project, batch_id, leaf.as_tuple(), []),
        world.carol,
    )
    assert world.status(contribution_id_of(world.project, world.carol.address, leaf.commitment))


def test_reveal_batched_twice_reverts(world: World) -> None:
    leaves = _leaves(world, world.bob.address, 3)
    tree = oz_merkle_tree(leaves)
    batch_id = _anchor(world, world.bob, tree.root, 3)
    reveal = world.ledger.functions.revealBatched(
        world.project, batch_id, leaves[1].as_tuple(), list(tree.proofs[1])
    )
    world.chain.send(reveal, world.bob)
    contribution_id = contribution_id_of(world.project, world.bob.address, leaves[1].commitment)
    with reverts("PocLedger", "PocContributionExists", contribution_id):
        world.chain.send(reveal, world.bob)


@covers("PocLedger.PocInvalidMerkleProof")
def test_reveal_batched_with_wrong_proof_reverts(world: World) -> None:
    leaves = _leaves(world, world.bob.address, 4)
    tree = oz_merkle_tree(leaves)
    batch_id = _anchor(world, world.bob, tree.root, 4)
    with reverts("PocLedger", "PocInvalidMerkleProof", batch_id):
        world.chain.send(
            world.ledger.functions.revealBatched(
                world.project, batch_id, leaves[0].as_tuple(), list(tree.proofs[1])
            ),
            world.bob,
        )


def test_reveal_batched_with_altered_value_reverts(world: World) -> None:
    leaves = _leaves(world, world.bob.address, 4)
    tree = oz_merkle_tree(leaves)
    batch_id = _anchor(world, world.bob, tree.root, 4)
    inflated = replace(leaves[2], value=leaves[2].value * 1_000)
    with reverts("PocLedger", "PocInvalidMerkleProof", batch_id):
        world.chain.send(
            world.ledger.functions.revealBatched(
                world.project, batch_id, inflated.as_tuple(), list(tree.proofs[2])
            ),
            world.bob,
        )


def test_register_emits_the_card_hash_the_contributor_signed(world: World) -> None:
    card_hash = keccak(text="a contribution card")
    reg = world.registration(world.bob, card_hash=card_hash)
    auth = world.sign(world.bob, "Register", reg.message())
    receipt = world.chain.send(
        world.ledger.functions.registerBySig(reg.as_tuple(), auth), world.eve
    )
    assert event(world.ledger, "ContributionRegistered", receipt)["cardHash"] == card_hash
    # Another card under the same signature is refused: the operator cannot swap the card.
    other = world.registration(world.bob, card_hash=keccak(text="another card"))
    auth = world.sign(world.bob, "Register", replace(other, card_hash=card_hash).message())
    with reverts("PocLedger", "SignatureInvalid", world.bob.address):
        world.chain.send(world.ledger.functions.registerBySig(other.as_tuple(), auth), world.eve)


def test_reveal_batched_emits_the_leafs_card_hash_and_refuses_another(world: World) -> None:
    leaves = [
        replace(leaf, card_hash=keccak(text=f"card {i}"))
        for i, leaf in enumerate(_leaves(world, world.bob.address, 3))
    ]
    tree = oz_merkle_tree(leaves)
    batch_id = _anchor(world, world.bob, tree.root, 3)
    swapped = replace(leaves[1], card_hash=keccak(text="a card the operator prefers"))
    with reverts("PocLedger", "PocInvalidMerkleProof", batch_id):
        world.chain.send(
            world.ledger.functions.revealBatched(
                world.project, batch_id, swapped.as_tuple(), list(tree.proofs[1])
            ),
            world.eve,
        )
    receipt = world.chain.send(
        world.ledger.functions.revealBatched(
            world.project, batch_id, leaves[1].as_tuple(), list(tree.proofs[1])
        ),
        world.eve,
    )
    assert event(world.ledger, "ContributionRegistered", receipt)["cardHash"] == keccak(
        text="card 1"
    )
    assert world.ledger.functions.batchLeafHash(leaves[1].as_tuple()).call() == tree.leaf_hashes[1]


@covers("PocLedger.PocBatchNotFound")
def test_reveal_from_unknown_batch_reverts(world: World) -> None:
    leaf = _leaves(world, world.bob.address, 1)[0]
    unknown = keccak(text="no batch")
    with reverts("PocLedger", "PocBatchNotFound", world.project, unknown):
        world.chain.send(
            world.ledger.functions.revealBatched(world.project, unknown, leaf.as_tuple(), []),
            world.bob,
        )


def test_reveal_batch_under_other_project_reverts(world: World) -> None:
    leaf = _leaves(world, world.bob.address, 1)[0]
    tree = oz_merkle_tree([leaf])
    batch_id = _anchor(world, world.bob, tree.root, 1)
    other = world.project_in_force([world.bob, world.carol])
    with reverts("PocLedger", "PocBatchNotFound", other, batch_id):
        world.chain.send(
            world.ledger.functions.revealBatched(other, batch_id, leaf.as_tuple(), []), world.bob
        )


def test_reveal_batched_with_parents_checks_them(world: World) -> None:
    parent = world.register(world.alice)
    missing = keccak(text="missing parent")
    good = BatchLeaf(world.commitment(world.bob), parents=(parent,))
    bad = BatchLeaf(world.commitment(world.bob), parents=(missing,))
    tree = oz_merkle_tree([good, bad])
    batch_id = _anchor(world, world.bob, tree.root, 2)
    receipt = world.chain.send(
        world.ledger.functions.revealBatched(
            world.project, batch_id, good.as_tuple(), list(tree.proofs[0])
        ),
        world.bob,
    )
    assert event(world.ledger, "ContributionRegistered", receipt)["parents"] == [parent]
    with reverts("PocLedger", "PocContributionNotFound", world.project, missing):
        world.chain.send(
            world.ledger.functions.revealBatched(
                world.project, batch_id, bad.as_tuple(), list(tree.proofs[1])
            ),
            world.bob,
        )


def test_batch_leaf_hash_matches_openzeppelin_standard_tree(world: World) -> None:
    leaves = [
        BatchLeaf(keccak(b"a")),
        BatchLeaf(keccak(b"b"), BACKGROUND, 2, 2**64 - 1, (keccak(b"p1"), keccak(b"p2"))),
    ]
    tree = oz_merkle_tree(leaves)
    for leaf, expected in zip(leaves, tree.leaf_hashes, strict=True):
        assert world.ledger.functions.batchLeafHash(leaf.as_tuple()).call() == expected


def test_verify_batch_leaf_answers_without_registering(world: World) -> None:
    leaves = _leaves(world, world.bob.address, 3)
    tree = oz_merkle_tree(leaves)
    batch_id = _anchor(world, world.bob, tree.root, 3)
    verify = world.ledger.functions.verifyBatchLeaf
    assert verify(batch_id, leaves[2].as_tuple(), list(tree.proofs[2])).call() is True
    assert verify(batch_id, leaves[2].as_tuple(), list(tree.proofs[0])).call() is False
    assert verify(keccak(b"none"), leaves[2].as_tuple(), list(tree.proofs[2])).call() is False
    assert (
        world.ledger.functions.contribution(
            contribution_id_of(world.project, world.bob.address, leaves[2].commitment)
        ).call()[0]
        == ZERO_ADDRESS
    )


def test_reveal_after_policy_drops_category_succeeds(world: World) -> None:
    # A batch is a timestamped claim made under the policy in force when it was anchored. A
    # later policy with fewer categories (a majority vote the contributor may oppose) must not
    # make its leaves unrevealable, or anchored work could be kept out of the record.
    leaf = BatchLeaf(world.commitment(world.bob), category=2)
    tree = oz_merkle_tree([leaf])
    batch_id = _anchor(world, world.bob, tree.root, 1)
    fewer = Policy(categories=(Category("person-hours", "hour"), Category("funding", "EUR-cent")))
    proposal_id = world.propose(world.alice, CHANGE_POLICY, policy_bytes(fewer))
    for who in (world.carol, world.dave):
        world.chain.send(world.ledger.functions.approveProposal(world.project, proposal_id), who)
    assert world.info()[11] == 2
    world.chain.send(
        world.ledger.functions.revealBatched(world.project, batch_id, leaf.as_tuple(), []),
        world.bob,
    )
    assert world.status(contribution_id_of(world.project, world.bob.address, leaf.commitment))
