"""Merkle batches of contributions, compatible with OpenZeppelin's StandardMerkleTree.

A partner with many contributions anchors one root (`PocLedger.anchorBatch`) and later reveals
each leaf with its proof (`revealBatched`). The tree is built the way @openzeppelin/merkle-tree
1.0.8 builds it, so a root or proof made here verifies there and vice versa:

- leaf hash: keccak256(keccak256(abi.encode(bytes32 commitment, bytes32 cardHash, uint8 origin,
  uint8 category, uint64 value, bytes32[] parents))) — hashing twice keeps a leaf from passing
  for an inner node (`leaf_hash_v1`: the leaf of releases 1.x, without the card hash);
- inner node: keccak256 of its two children, the smaller first (sorted pairs, so a proof is a
  plain list of siblings with no left/right flags, as `MerkleProof.verify` expects);
- layout: leaf hashes sorted ascending fill a flat array from its end backwards, every inner
  node `i` has children `2i+1` and `2i+2`, the root sits at index 0;
- `dump()` gives the library's "standard-v1" JSON, which `StandardMerkleTree.load` accepts.

No PyPI package reproduces this layout exactly, hence this small implementation; the tests
cross-check it against the npm package and against the contract. Multiproofs are not offered.
`standard_layout` and `standard_proof` build any StandardMerkleTree from its leaf hashes: the
public checkpoints' trees of block hashes (`ledger.evidence.checkpoints`) use them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from ledger.domain.codec import to_hex
from ledger.domain.values import (
    BATCH_LEAF_TYPES,
    BATCH_LEAF_TYPES_V1,
    BatchLeaf,
    Origin,
    require_bytes32,
)

STANDARD_FORMAT = "standard-v1"


def leaf_hash(leaf: BatchLeaf) -> bytes:
    """The double-keccak leaf hash, as `PocLedger.batchLeafHash` computes it."""
    return keccak(keccak(encode(list(BATCH_LEAF_TYPES), list(leaf.as_abi()))))


def leaf_hash_v1(leaf: BatchLeaf) -> bytes:
    """The leaf hash of releases 1.x (before cards), to verify their bundles."""
    return keccak(keccak(encode(list(BATCH_LEAF_TYPES_V1), list(leaf.as_abi_v1()))))


def node_hash(a: bytes, b: bytes) -> bytes:
    """Hash of an inner node: its children concatenated in ascending order."""
    return keccak(a + b if a <= b else b + a)


def process_proof(leaf_digest: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that `proof` leads to from a leaf hash (OpenZeppelin `MerkleProof.processProof`)."""
    computed = require_bytes32(leaf_digest, "leaf hash")
    for sibling in proof:
        computed = node_hash(computed, require_bytes32(sibling, "proof node"))
    return computed


def verify(root: bytes, leaf: BatchLeaf, proof: Sequence[bytes]) -> bool:
    """Whether `proof` shows `leaf` to be in the tree with `root`."""
    return process_proof(leaf_hash(leaf), proof) == root


def standard_layout(leaf_hashes: Sequence[bytes]) -> tuple[tuple[bytes, ...], tuple[int, ...]]:
    """The flat node array (root first) of StandardMerkleTree over already hashed leaves, and
    each leaf's index in it (input order). Any leaf encoding can use it: batch leaves here,
    the block-hash leaves of public checkpoints (`ledger.evidence.checkpoints`)."""
    if not leaf_hashes:
        raise ValueError("a Merkle tree needs at least one leaf")
    hashed = sorted(
        (
            (require_bytes32(digest, "leaf hash"), position)
            for position, digest in enumerate(leaf_hashes)
        ),
        key=lambda item: item[0],
    )
    size = 2 * len(leaf_hashes) - 1
    nodes: list[bytes] = [b""] * size
    tree_indices = [0] * len(leaf_hashes)
    # The k-th smallest leaf hash goes to the k-th slot from the end.
    for rank, (digest, position) in enumerate(hashed):
        nodes[size - 1 - rank] = digest
        tree_indices[position] = size - 1 - rank
    for i in range(size - 1 - len(leaf_hashes), -1, -1):
        nodes[i] = node_hash(nodes[2 * i + 1], nodes[2 * i + 2])
    return tuple(nodes), tuple(tree_indices)


def standard_proof(nodes: Sequence[bytes], tree_index: int) -> tuple[bytes, ...]:
    """The proof of the node at `tree_index` of a `standard_layout` array: its siblings from
    the bottom up."""
    node = tree_index
    path: list[bytes] = []
    while node > 0:
        # Odd indices are left children, whose sibling is on the right, and vice versa.
        sibling = node + 1 if node % 2 == 1 else node - 1
        path.append(nodes[sibling])
        node = (node - 1) // 2
    return tuple(path)


@dataclass(frozen=True)
class MerkleTree:
    """A built tree: the flat node array (root first) and, per leaf in input order, its index
    in that array. Build with `MerkleTree.of(leaves)`."""

    nodes: tuple[bytes, ...]
    leaves: tuple[BatchLeaf, ...]
    tree_indices: tuple[int, ...]

    @classmethod
    def of(cls, leaves: Sequence[BatchLeaf]) -> MerkleTree:
        """Build the tree of `leaves` (at least one; duplicates are allowed, as in OZ)."""
        nodes, tree_indices = standard_layout([leaf_hash(leaf) for leaf in leaves])
        return cls(nodes=nodes, leaves=tuple(leaves), tree_indices=tree_indices)

    @property
    def root(self) -> bytes:
        return self.nodes[0]

    def __len__(self) -> int:
        return len(self.leaves)

    def proof(self, index: int) -> tuple[bytes, ...]:
        """The proof of the leaf at `index` in input order: its siblings from the bottom up."""
        if not 0 <= index < len(self.leaves):
            raise IndexError(f"leaf index {index} out of range 0..{len(self.leaves) - 1}")
        return standard_proof(self.nodes, self.tree_indices[index])

    def proof_of(self, leaf: BatchLeaf) -> tuple[bytes, ...]:
        """The proof of `leaf` (its first occurrence); raise ValueError if it is not in the tree."""
        try:
            return self.proof(self.leaves.index(leaf))
        except ValueError:
            raise ValueError(f"leaf is not in the tree: {leaf!r}") from None

    def dump(self) -> dict[str, Any]:
        """The tree as @openzeppelin/merkle-tree's "standard-v1" JSON (`StandardMerkleTree.load`).

        Integers are decimal strings so that JavaScript reads uint64 values without rounding.
        """
        return {
            "format": STANDARD_FORMAT,
            "leafEncoding": list(BATCH_LEAF_TYPES),
            "tree": [to_hex(node) for node in self.nodes],
            "values": [
                {"value": leaf_to_json(leaf), "treeIndex": tree_index}
                for leaf, tree_index in zip(self.leaves, self.tree_indices, strict=True)
            ],
        }


def leaf_to_json(leaf: BatchLeaf) -> list[Any]:
    """A leaf as the JSON value list of a standard-v1 dump."""
    return [
        to_hex(leaf.commitment),
        to_hex(leaf.card_hash),
        str(int(leaf.origin)),
        str(leaf.category),
        str(leaf.value),
        [to_hex(parent) for parent in leaf.parents],
    ]


def leaf_from_json(value: Sequence[Any]) -> BatchLeaf:
    """The leaf of a standard-v1 dump's value list (`leaf_to_json`'s inverse)."""
    commitment, card_hash, origin, category, amount, parents = value
    return BatchLeaf(
        commitment=bytes.fromhex(str(commitment)[2:]),
        origin=Origin(int(origin)),
        category=int(category),
        value=int(amount),
        parents=tuple(bytes.fromhex(str(p)[2:]) for p in parents),
        card_hash=bytes.fromhex(str(card_hash)[2:]),
    )
