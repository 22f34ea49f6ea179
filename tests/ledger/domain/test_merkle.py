"""`ledger.domain.merkle` against the reference: @openzeppelin/merkle-tree 1.0.8 run through Node
(tests/ledger/oz_merkle.mjs), and against PocLedger's own leaf hash and proof check."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ledger.domain import merkle
from ledger.domain.merkle import MerkleTree
from ledger.domain.values import BATCH_LEAF_TYPES, BatchLeaf, Origin
from tests.ledger.conftest import Env

REPO = Path(__file__).resolve().parents[3]
ORACLE = Path(__file__).with_name("oz_merkle.mjs")


def _random_leaves(count: int, seed: int) -> list[BatchLeaf]:
    rng = random.Random(seed)
    return [
        BatchLeaf(
            commitment=rng.randbytes(32),
            origin=Origin(rng.randrange(2)),
            category=rng.randrange(256),
            value=rng.choice([0, 1, rng.randrange(2**64), 2**64 - 1]),
            parents=tuple(rng.randbytes(32) for _ in range(rng.randrange(4))),
        )
        for _ in range(count)
    ]


def _oz(leaves: list[BatchLeaf], dump: dict[str, Any] | None = None) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "@openzeppelin" / "merkle-tree").is_dir():
        # Like anvil (tests/conftest.py): skip on a bare checkout, never in CI.
        if os.environ.get("CI"):
            pytest.fail("node and node_modules/@openzeppelin/merkle-tree are missing in CI")
        pytest.skip("node and node_modules/@openzeppelin/merkle-tree are needed")
    request: dict[str, Any] = {
        "types": list(BATCH_LEAF_TYPES),
        "leaves": [merkle.leaf_to_json(leaf) for leaf in leaves],
    }
    if dump is not None:
        request["dump"] = dump
    completed = subprocess.run(
        [node, str(ORACLE)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        timeout=60,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


@pytest.mark.parametrize("size", [1, 2, 3, 7, 100])
def test_tree_matches_openzeppelin(size: int) -> None:
    leaves = _random_leaves(size, seed=size)
    tree = MerkleTree.of(leaves)

    reference = _oz(leaves, dump=tree.dump())

    assert reference["root"] == _hex(tree.root)
    assert reference["proofs"] == [[_hex(n) for n in tree.proof(i)] for i in range(size)]
    assert reference["dump"]["tree"] == tree.dump()["tree"]
    assert [v["treeIndex"] for v in reference["dump"]["values"]] == list(tree.tree_indices)
    assert reference["loadedRoot"] == _hex(tree.root)


def test_duplicate_leaves_match_openzeppelin() -> None:
    leaves = _random_leaves(3, seed=99)
    leaves = [leaves[0], leaves[1], leaves[0], leaves[2]]
    tree = MerkleTree.of(leaves)

    reference = _oz(leaves)

    assert reference["root"] == _hex(tree.root)
    assert reference["proofs"] == [[_hex(n) for n in tree.proof(i)] for i in range(4)]


def test_proofs_verify_and_tampering_fails() -> None:
    leaves = _random_leaves(9, seed=3)
    tree = MerkleTree.of(leaves)

    for index, leaf in enumerate(leaves):
        assert merkle.verify(tree.root, leaf, tree.proof(index))
        assert tree.proof_of(leaf) == tree.proof(index)
    other = BatchLeaf(leaves[0].commitment, leaves[0].origin, 0, leaves[0].value + 1)
    assert not merkle.verify(tree.root, other, tree.proof(0))
    with pytest.raises(ValueError, match="not in the tree"):
        tree.proof_of(other)
    with pytest.raises(IndexError):
        tree.proof(9)
    with pytest.raises(ValueError, match="at least one"):
        MerkleTree.of([])


def test_leaf_hash_and_proofs_match_the_contract(memory_env: Env) -> None:
    env = memory_env
    project_id = env.create_project()
    leaves = _random_leaves(7, seed=11)
    tree = MerkleTree.of(leaves)
    batch_id = env.ledger.anchor_batch(env.alice, project_id, tree.root, len(leaves)).value

    for index, leaf in enumerate(leaves):
        assert env.ledger.batch_leaf_hash(leaf) == merkle.leaf_hash(leaf)
        assert env.ledger.verify_batch_leaf(batch_id, leaf, tree.proof(index))
    assert not env.ledger.verify_batch_leaf(batch_id, leaves[0], tree.proof(1))
