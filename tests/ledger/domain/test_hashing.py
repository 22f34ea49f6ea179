"""Hashes and identifiers: streamed SHA-256, salts, and ids equal to the contract's own."""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path

import pytest

from ledger.domain import hashing
from ledger.domain.values import Origin, Registration
from tests.ledger.conftest import Env, default_policy


def test_sha256_file_streams_in_chunks(tmp_path: Path) -> None:
    data = random.Random(7).randbytes(3 * 1024 * 1024 + 17)
    path = tmp_path / "design.step"
    path.write_bytes(data)

    expected = hashlib.sha256(data).digest()

    assert hashing.sha256_file(path) == expected
    assert hashing.sha256_file(path, chunk_size=4096) == expected
    assert hashing.sha256_stream(io.BytesIO(data), chunk_size=1) == expected
    assert hashing.sha256_bytes(data) == expected


def test_sha256_of_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert hashing.sha256_file(path).hex() == hashlib.sha256(b"").hexdigest()


def test_chunk_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        hashing.sha256_stream(io.BytesIO(b"x"), chunk_size=0)


def test_salts_are_32_random_bytes() -> None:
    salts = {hashing.new_salt() for _ in range(64)}
    assert len(salts) == 64 and all(len(s) == 32 for s in salts)


def test_commitment_binds_every_input() -> None:
    alice, bob = "0x" + "11" * 20, "0x" + "22" * 20
    content, salt = hashing.sha256_bytes(b"doc"), bytes(range(32))
    base = hashing.commitment(alice, 1, content, salt)

    variants = {
        hashing.commitment(bob, 1, content, salt),
        hashing.commitment(alice, 2, content, salt),
        hashing.commitment(alice, 1, hashing.sha256_bytes(b"doc2"), salt),
        hashing.commitment(alice, 1, content, bytes(32)),
    }

    assert base not in variants and len(variants) == 4


def test_inputs_are_validated() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        hashing.commitment("0x" + "11" * 20, 1, b"short", bytes(32))
    with pytest.raises(ValueError, match="uint32"):
        hashing.contribution_id(2**32, "0x" + "11" * 20, bytes(32))
    with pytest.raises(ValueError, match="address"):
        hashing.batch_id(1, "not an address", bytes(32))


def test_ids_equal_the_contracts(memory_env: Env) -> None:
    env = memory_env
    policy = default_policy()
    project_id = env.create_project(policy=policy)
    content, salt = hashing.sha256_bytes(b"prototype firmware v0.3"), hashing.new_salt()
    commitment = hashing.commitment(env.bob.address, project_id, content, salt)

    expected = hashing.contribution_id(project_id, env.bob.address, commitment)

    assert env.ledger.contribution_id_of(project_id, env.bob.address, commitment) == expected
    registration = Registration(project_id, commitment, Origin.BACKGROUND, 1, 250_00)
    assert env.ledger.register(env.bob, registration).value == expected
    root = hashing.sha256_bytes(b"any root")
    anchored = env.ledger.anchor_batch(env.bob, project_id, root, 1)
    assert anchored.value == hashing.batch_id(project_id, env.bob.address, root)
    assert env.ledger.project(project_id).policy_hash == hashing.policy_hash(policy)
    assert env.ledger.policy_hash_at(project_id, 1) == hashing.policy_hash(policy)


def test_document_hashes_are_salted() -> None:
    content = hashing.text_hash("The decorticator design infringes our patent.")
    salt_a, salt_b = hashing.new_salt(), hashing.new_salt()

    assert hashing.reason_hash(content, salt_a) != hashing.reason_hash(content, salt_b)
    assert hashing.agreement_hash(content, salt_a) == hashing.document_hash(content, salt_a)
