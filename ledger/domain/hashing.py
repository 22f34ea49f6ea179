"""Hashes and identifiers, computed off chain exactly as the contracts compute them.

- Content: SHA-256 of a file (streamed in chunks, so a large file never sits in memory) or of
  bytes. The file itself never leaves the partner's machine; only the hash does.
- Salt: 32 random bytes from `secrets`; without it a short document's commitment could be
  confirmed by anyone who guesses the document.
- `commitment`, `contribution_id`, `batch_id`, `disclosure_id`: the identifiers of
  docs/design.md and docs/exchange.md, ABI-encoded with eth_abi and hashed with keccak256, byte
  for byte what PocLedger and PocExchange do.
- `document_hash` (and its names `agreement_hash`, `reason_hash`): the on-chain hash of a
  document that only the partners hold: a consortium agreement or a dispute reason. It is salted
  for the same reason as a commitment.
- `policy_hash`: keccak256(abi.encode(policy)), the value `PolicySet` carries.

Merkle leaves and trees live in `ledger.domain.merkle`; EIP-712 digests in `ledger.chain.signing`.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from typing import BinaryIO

from eth_abi.abi import decode, encode
from eth_abi.exceptions import DecodingError
from eth_utils.crypto import keccak

from ledger.domain.values import (
    LEGACY_POLICY_ABI,
    POLICY_ABI,
    Policy,
    checksum,
    require_bytes32,
    require_uint,
)

SALT_BYTES = 32
# 1 MiB: large enough that per-read overhead vanishes, small enough for any machine.
DEFAULT_CHUNK_SIZE = 1 << 20


def sha256_bytes(data: bytes) -> bytes:
    """SHA-256 of `data` (32 bytes)."""
    return hashlib.sha256(data).digest()


def sha256_stream(stream: BinaryIO, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> bytes:
    """SHA-256 of everything left to read in a binary stream, read `chunk_size` at a time."""
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    digest = hashlib.sha256()
    while chunk := stream.read(chunk_size):
        digest.update(chunk)
    return digest.digest()


def sha256_file(path: str | os.PathLike[str], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> bytes:
    """SHA-256 of the file at `path`, streamed; equals `sha256sum`'s output."""
    with open(path, "rb") as stream:
        return sha256_stream(stream, chunk_size=chunk_size)


def new_salt() -> bytes:
    """32 bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(SALT_BYTES)


def commitment(contributor: str, project_id: int, content_hash: bytes, salt: bytes) -> bytes:
    """keccak256(abi.encode(address contributor, uint32 projectId, bytes32 contentHash,
    bytes32 salt)): what a partner registers instead of its document.

    Binding the contributor means a copied commitment opens only for the original author.
    """
    return keccak(
        encode(
            ["address", "uint32", "bytes32", "bytes32"],
            [
                checksum(contributor),
                require_uint(project_id, 32, "project_id"),
                require_bytes32(content_hash, "content_hash"),
                require_bytes32(salt, "salt"),
            ],
        )
    )


def contribution_id(project_id: int, contributor: str, commitment_: bytes) -> bytes:
    """keccak256(abi.encode(uint32 projectId, address contributor, bytes32 commitment)), the id
    PocLedger gives the contribution (`contributionIdOf`)."""
    return keccak(
        encode(
            ["uint32", "address", "bytes32"],
            [
                require_uint(project_id, 32, "project_id"),
                checksum(contributor),
                require_bytes32(commitment_, "commitment"),
            ],
        )
    )


def disclosure_id(project_id: int, sharer: str, content_commitment: bytes) -> bytes:
    """keccak256(abi.encode(uint32 projectId, address sharer, bytes32 contentCommitment)), the id
    PocExchange gives a disclosure (`disclosureIdOf`). The content commitment is `commitment`
    with the sharer in the contributor's place; the encoding is a contribution id's, so a
    partner disclosing a registered file with that registration's salt discloses it under the
    contribution's own commitment and id."""
    return contribution_id(project_id, sharer, content_commitment)


def batch_id(project_id: int, contributor: str, root: bytes) -> bytes:
    """keccak256(abi.encode(uint32 projectId, address contributor, bytes32 root)), the id of an
    anchored Merkle batch."""
    return keccak(
        encode(
            ["uint32", "address", "bytes32"],
            [
                require_uint(project_id, 32, "project_id"),
                checksum(contributor),
                require_bytes32(root, "root"),
            ],
        )
    )


def document_hash(content_hash: bytes, salt: bytes) -> bytes:
    """keccak256(abi.encode(bytes32 contentHash, bytes32 salt)) of a partners-only document.

    `content_hash` is the document's SHA-256 (`sha256_file`, `sha256_bytes`). Whoever holds
    the document and the salt can check the on-chain value; nobody else can test a guess.
    """
    return keccak(
        encode(
            ["bytes32", "bytes32"],
            [require_bytes32(content_hash, "content_hash"), require_bytes32(salt, "salt")],
        )
    )


def agreement_hash(content_hash: bytes, salt: bytes) -> bytes:
    """The `agreementHash` of a consortium agreement text (see `document_hash`)."""
    return document_hash(content_hash, salt)


def reason_hash(content_hash: bytes, salt: bytes) -> bytes:
    """The `reasonHash` of a dispute's written reason (see `document_hash`)."""
    return document_hash(content_hash, salt)


def text_hash(text: str) -> bytes:
    """SHA-256 of `text` in UTF-8, the content hash of a reason typed into a form."""
    return sha256_bytes(text.encode("utf-8"))


def policy_hash(policy: Policy) -> bytes:
    """keccak256(abi.encode(policy)): the hash PocLedger stores and emits in `PolicySet`."""
    return keccak(encode_policy(policy))


def decode_policy(data: bytes) -> Policy:
    """The policy `encode_policy` gave `data`, in the current shape or that of a release before
    2.0.0; ValueError if `data` is neither (only an exact round trip is accepted, so the two
    shapes are never confused)."""
    for abi_type in (POLICY_ABI, LEGACY_POLICY_ABI):
        try:
            policy = Policy.from_abi(decode([abi_type], data)[0])
        except (DecodingError, ValueError, TypeError, OverflowError):
            continue
        if encode_policy(policy) == data:
            return policy
    raise ValueError("not an ABI-encoded policy")


def encode_policy(policy: Policy) -> bytes:
    """abi.encode(policy), the `data` of a ChangePolicy proposal (a policy of a release before
    2.0.0 in that release's shape, `Policy.abi_type`)."""
    return encode([policy.abi_type], [policy.as_abi()])
