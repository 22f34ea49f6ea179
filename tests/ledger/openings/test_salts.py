"""Derived salts: equal to an independent computation from docs/design.md's byte layout, and
different whenever anything they are registered under differs."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.hashing import commitment
from ledger.openings.salts import SALT_MESSAGE_BYTES, derive_salt, salt_message
from ledger.openings.secret import ProofSecret

DESIGN = Path(__file__).resolve().parents[3] / "docs" / "design.md"

secrets_ = st.binary(min_size=32, max_size=32).map(ProofSecret)
chain_ids = st.integers(min_value=1, max_value=2**256 - 1)
addresses = st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex())
project_ids = st.integers(min_value=1, max_value=2**32 - 1)
content_hashes = st.binary(min_size=32, max_size=32)


def _documented_salt(
    secret: bytes, chain_id: int, ledger: str, project_id: int, content_hash: bytes
) -> bytes:
    """The derivation as docs/design.md writes it, with the standard library alone."""
    message = (
        b"poc-ledger/salt/v1"
        + b"\x00"
        + chain_id.to_bytes(32, "big")
        + bytes.fromhex(ledger[2:])
        + project_id.to_bytes(4, "big")
        + content_hash
    )
    assert len(message) == 107
    return hmac.new(secret, message, hashlib.sha256).digest()


@settings(max_examples=300)
@given(secrets_, chain_ids, addresses, project_ids, content_hashes)
def test_derive_salt_equals_the_documented_layout(
    secret: ProofSecret, chain_id: int, ledger: str, project_id: int, content_hash: bytes
) -> None:
    salt = derive_salt(
        secret, chain_id=chain_id, ledger=ledger, project_id=project_id, content_hash=content_hash
    )
    assert salt == _documented_salt(secret.value, chain_id, ledger, project_id, content_hash)
    message = salt_message(
        chain_id=chain_id, ledger=ledger, project_id=project_id, content_hash=content_hash
    )
    assert len(message) == SALT_MESSAGE_BYTES == 107


@settings(max_examples=200)
@given(
    secrets_,
    st.tuples(chain_ids, chain_ids),
    st.tuples(addresses, addresses),
    st.tuples(project_ids, project_ids),
    st.tuples(content_hashes, content_hashes),
    st.sampled_from(["chain", "ledger", "project", "content"]),
)
def test_derive_salt_differs_when_one_input_differs(
    secret: ProofSecret,
    chains: tuple[int, int],
    ledgers: tuple[str, str],
    projects: tuple[int, int],
    contents: tuple[bytes, bytes],
    varied: str,
) -> None:
    base = {
        "chain_id": chains[0],
        "ledger": ledgers[0],
        "project_id": projects[0],
        "content_hash": contents[0],
    }
    other = dict(base)
    if varied == "chain":
        other["chain_id"] = chains[1]
    elif varied == "ledger":
        other["ledger"] = ledgers[1]
    elif varied == "project":
        other["project_id"] = projects[1]
    else:
        other["content_hash"] = contents[1]
    same_input = base == other
    first = derive_salt(secret, **base)  # type: ignore[arg-type]
    second = derive_salt(secret, **other)  # type: ignore[arg-type]
    assert (first == second) == same_input
    # Derivation is a function: the same input always gives the same salt.
    assert derive_salt(secret, **base) == first  # type: ignore[arg-type]


@settings(max_examples=100)
@given(secrets_, secrets_, chain_ids, addresses, project_ids, content_hashes)
def test_derive_salt_differs_between_secrets(
    one: ProofSecret,
    two: ProofSecret,
    chain_id: int,
    ledger: str,
    project_id: int,
    content_hash: bytes,
) -> None:
    where = {"chain_id": chain_id, "ledger": ledger, "project_id": project_id}
    first = derive_salt(one, content_hash=content_hash, **where)  # type: ignore[arg-type]
    second = derive_salt(two, content_hash=content_hash, **where)  # type: ignore[arg-type]
    assert (first == second) == (one.value == two.value)


def test_derive_salt_ignores_the_case_of_the_ledger_address() -> None:
    secret = ProofSecret(bytes(32))
    ledger = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    salts = {
        derive_salt(secret, chain_id=1, ledger=form, project_id=1, content_hash=bytes(32))
        for form in (ledger, ledger.lower(), "0x" + ledger[2:].upper())
    }
    assert len(salts) == 1


def _documented_table() -> list[tuple[int, int, str]]:
    """The rows (offset, size, field) of docs/design.md's table of the salt message."""
    text = DESIGN.read_text(encoding="utf-8")
    section = text.split('### Derived salts ("derived v1")')[1].split("###")[0]
    rows = re.findall(r"^\| (\d+) \| (\d+) \| (.+) \|$", section, flags=re.MULTILINE)
    return [(int(offset), int(size), field) for offset, size, field in rows]


def _message_from_the_table(
    chain_id: int, ledger: str, project_id: int, content_hash: bytes
) -> bytes:
    """The message built by reading the documented table row by row: the field a row names
    and the size it gives, nothing from the code."""
    parts: list[bytes] = []
    for offset, size, field in _documented_table():
        assert offset == sum(len(p) for p in parts), f"row at {offset} does not follow"
        name = re.match(r"^(?:ASCII )?`([^`]+)`", field)
        assert name, field
        if field.startswith("ASCII"):
            label = name.group(1).encode("ascii")
            assert "then one `0x00` byte" in field
            part = label + b"\x00"
        elif name.group(1) == "chainId":
            part = chain_id.to_bytes(size, "big")
        elif name.group(1) == "ledger":
            part = bytes.fromhex(ledger[2:])
        elif name.group(1) == "projectId":
            part = project_id.to_bytes(size, "big")
        elif name.group(1) == "contentHash":
            part = content_hash
        else:
            raise AssertionError(f"undocumented field {field}")
        assert len(part) == size, field
        parts.append(part)
    return b"".join(parts)


@settings(max_examples=200)
@given(secrets_, chain_ids, addresses, project_ids, content_hashes)
def test_derive_salt_is_the_hmac_of_the_message_docs_table_lays_out(
    secret: ProofSecret, chain_id: int, ledger: str, project_id: int, content_hash: bytes
) -> None:
    message = _message_from_the_table(chain_id, ledger, project_id, content_hash)
    assert len(message) == 107  # the size the text states
    where = {"chain_id": chain_id, "ledger": ledger, "project_id": project_id}
    assert salt_message(content_hash=content_hash, **where) == message  # type: ignore[arg-type]
    salt = derive_salt(secret, content_hash=content_hash, **where)  # type: ignore[arg-type]
    assert salt == hmac.new(secret.value, message, hashlib.sha256).digest()


def _design_vector() -> dict[str, str]:
    text = DESIGN.read_text(encoding="utf-8")
    block = text.split("Test vector (")[1].split("```")[1]
    fields: dict[str, str] = {}
    name = ""
    for line in block.splitlines():
        match = re.match(r"^(\w+)\s+(.*)$", line)
        if match:
            name, value = match.groups()
            fields[name] = value.strip()
        elif line.strip():
            fields[name] += " " + line.strip()
    return fields


def test_design_test_vector_is_what_the_code_derives() -> None:
    vector = _design_vector()
    secret = ProofSecret(bytes.fromhex(vector["secret"][2:]))
    assert secret.words == vector["words"]
    assert secret.secret_id == vector["secretId"]
    content = b"Retting parameters, 2019-2023\n"
    assert "0x" + hashlib.sha256(content).hexdigest() == vector["contentHash"].split()[0]
    where = {
        "chain_id": int(vector["chainId"]),
        "ledger": vector["ledger"],
        "project_id": int(vector["projectId"]),
        "content_hash": bytes.fromhex(vector["contentHash"].split()[0][2:]),
    }
    message = vector["message"].replace(" ", "")
    assert salt_message(**where).hex() == message[2:]  # type: ignore[arg-type]
    salt = derive_salt(secret, **where)  # type: ignore[arg-type]
    assert "0x" + salt.hex() == vector["salt"]
    assert salt == _documented_salt(secret.value, **where)  # type: ignore[arg-type]


def test_same_file_same_partner_same_project_gives_the_same_commitment() -> None:
    # What makes the contract refuse a second registration of the same file.
    secret = ProofSecret.generate()
    contributor = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    content = hashlib.sha256(b"design v1").digest()
    where = {"chain_id": 31337, "ledger": "0x" + "11" * 20, "content_hash": content}
    first = commitment(contributor, 1, content, derive_salt(secret, project_id=1, **where))  # type: ignore[arg-type]
    again = commitment(contributor, 1, content, derive_salt(secret, project_id=1, **where))  # type: ignore[arg-type]
    elsewhere = commitment(contributor, 2, content, derive_salt(secret, project_id=2, **where))  # type: ignore[arg-type]
    assert first == again != elsewhere


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("chain_id", -1),
        ("chain_id", 2**256),
        ("project_id", 2**32),
        ("project_id", True),
        ("ledger", "0x1234"),
        ("content_hash", b"\x00" * 31),
    ],
)
def test_derive_salt_refuses_out_of_range_inputs(field: str, value: object) -> None:
    where: dict[str, object] = {
        "chain_id": 1,
        "ledger": "0x" + "11" * 20,
        "project_id": 1,
        "content_hash": bytes(32),
    }
    where[field] = value
    with pytest.raises(ValueError):
        derive_salt(ProofSecret(bytes(32)), **where)  # type: ignore[arg-type]
