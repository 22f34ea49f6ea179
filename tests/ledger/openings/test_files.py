"""Opening files: the documented JSON, checked completely on read; hostile files refused with
an OpeningError naming the field, never another exception."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.domain.cards import ContributionCard
from ledger.domain.hashing import commitment, contribution_id, new_salt
from ledger.errors import OpeningError, OpeningFormatError, OpeningMismatchError
from ledger.openings.files import (
    OpeningFile,
    derived_opening,
    make_opening,
    parse_opening,
)
from ledger.openings.salts import SaltDerivation
from ledger.openings.secret import ProofSecret

LEDGER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
CONTENT = hashlib.sha256(b"tensile tests, batch 4").digest()


def _derived(secret: ProofSecret | None = None, **overrides: Any) -> OpeningFile:
    where: dict[str, Any] = {
        "chain_id": 31337,
        "ledger": LEDGER,
        "project_id": 3,
        "contributor": ALICE,
        "content_hash": CONTENT,
        "file_name": "tests-batch-4.csv",
    }
    where.update(overrides)
    return derived_opening(secret or ProofSecret.generate(), **where)


def test_opening_file_round_trips_and_opens_its_commitment() -> None:
    secret = ProofSecret.generate()
    opening = _derived(secret)
    again = parse_opening(opening.to_bytes())
    assert again == opening
    assert again.commitment == commitment(ALICE, 3, CONTENT, opening.salt)
    assert again.contribution_id == contribution_id(3, ALICE, again.commitment)
    again.check_derived_from(secret)
    document = json.loads(opening.to_bytes())
    assert list(document) == [
        "type",
        "version",
        "chainId",
        "ledger",
        "projectId",
        "contributor",
        "contributionId",
        "commitment",
        "contentHash",
        "salt",
        "derivation",
        "secretId",
        "fileName",
    ]
    assert document["derivation"] == "derived v1" and document["secretId"] == secret.secret_id


def test_random_salt_opening_round_trips_without_a_secret_id() -> None:
    opening = make_opening(
        chain_id=1,
        ledger=LEDGER.lower(),
        project_id=1,
        contributor=ALICE.lower(),
        content_hash=CONTENT,
        salt=new_salt(),
        derivation=SaltDerivation.RANDOM,
    )
    document = json.loads(opening.to_bytes())
    assert "secretId" not in document and "fileName" not in document
    assert document["ledger"] == LEDGER and document["contributor"] == ALICE
    assert parse_opening(document) == opening
    with pytest.raises(OpeningMismatchError, match="random"):
        opening.check_derived_from(ProofSecret.generate())


def test_check_derived_from_refuses_another_secret() -> None:
    opening = _derived()
    with pytest.raises(OpeningMismatchError, match="salt"):
        opening.check_derived_from(ProofSecret.generate())


@pytest.mark.parametrize(
    ("field", "value", "error", "match"),
    [
        ("salt", "0x" + "00" * 32, OpeningMismatchError, "^commitment: "),
        ("contentHash", "0x" + "11" * 32, OpeningMismatchError, "^commitment: "),
        ("contributor", "0x" + "22" * 20, OpeningMismatchError, "^commitment: "),
        ("projectId", 4, OpeningMismatchError, "^commitment: "),
        ("commitment", "0x" + "33" * 32, OpeningMismatchError, "^commitment: "),
        ("contributionId", "0x" + "44" * 32, OpeningMismatchError, "^contributionId: "),
        ("salt", "0x1234", OpeningFormatError, "^salt: "),
        ("salt", 5, OpeningFormatError, "^salt: "),
        ("ledger", "ledger", OpeningFormatError, "^ledger: "),
        ("ledger", "0x5FBdb2315678afecb367f032d93F642f64180aa3", OpeningFormatError, "EIP-55"),
        ("projectId", 0, OpeningFormatError, "^projectId: "),
        ("projectId", 2**32, OpeningFormatError, "^projectId: "),
        ("projectId", "3", OpeningFormatError, "^projectId: "),
        ("projectId", 3.0, OpeningFormatError, "^projectId: "),
        ("chainId", 0, OpeningFormatError, "^chainId: "),
        ("chainId", 2**53, OpeningFormatError, "decimal string"),
        ("chainId", "-1", OpeningFormatError, "^chainId: "),
        ("chainId", 1e308, OpeningFormatError, "^chainId: "),
        ("type", "poc-ledger/bundle", OpeningFormatError, "^type: "),
        ("version", 2, OpeningFormatError, "^version: "),
        ("version", True, OpeningFormatError, "^version: "),
        ("derivation", "derived v2", OpeningFormatError, "^derivation: "),
        ("derivation", "random", OpeningFormatError, "^secretId: "),
        ("secretId", "0x12", OpeningFormatError, "^secretId: "),
        ("fileName", "a\u0000b", OpeningFormatError, "^fileName: "),
        ("fileName", "x" * 256, OpeningFormatError, "^fileName: "),
        ("extra", 1, OpeningFormatError, "unknown fields: extra"),
    ],
)
def test_parse_opening_refuses_a_wrong_field_naming_it(
    field: str, value: object, error: type[OpeningError], match: str
) -> None:
    document = _derived().to_json()
    document[field] = value
    with pytest.raises(error, match=match):
        parse_opening(json.dumps(document))


@pytest.mark.parametrize("field", ["salt", "contentHash", "commitment", "chainId", "type"])
def test_parse_opening_refuses_a_missing_field(field: str) -> None:
    document = _derived().to_json()
    del document[field]
    with pytest.raises(OpeningFormatError, match=f"missing fields: {field}"):
        parse_opening(document)


def test_chain_id_above_two_to_the_53_travels_as_a_decimal_string() -> None:
    big = 2**64 + 1
    opening = _derived(chain_id=big)
    document = json.loads(opening.to_bytes())
    assert document["chainId"] == str(big)
    assert parse_opening(document).chain_id == big


@pytest.mark.parametrize(
    "data", [b"", b"[]", b"null", b"\xff\xfe", b"{" * 100_000, b'"opening"', b"1e999"]
)
def test_parse_opening_refuses_what_is_no_json_object(data: bytes) -> None:
    with pytest.raises(OpeningFormatError):
        parse_opening(data)


_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=80)
json_values = (
    _scalars
    | st.lists(_scalars, max_size=3)
    | st.dictionaries(st.text(max_size=8), _scalars, max_size=3)
)
BASE_DOCUMENT = _derived().to_json()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from([*sorted(BASE_DOCUMENT), "other"]), json_values, max_size=4))
def test_parse_opening_never_raises_anything_but_opening_errors(
    changes: dict[str, Any],
) -> None:
    document = {**BASE_DOCUMENT, **changes}
    with contextlib.suppress(OpeningError):
        parse_opening(json.dumps(document))


def test_opening_with_a_card_round_trips_carrying_it() -> None:
    card = ContributionCard.create(
        title="Tensile tests, batch 4",
        description="Forty samples.\nRetted 40 hours.",
        file_name="tests-batch-4.csv",
        media_type="text/csv",
        size=1234,
        keywords=("flax", "tensile"),
    )
    opening = _derived(card=card)
    document = json.loads(opening.to_bytes())
    assert list(document)[-1] == "card" and document["card"] == card.to_json()
    again = parse_opening(opening.to_bytes())
    assert again == opening and again.card is not None
    assert again.card.hash() == card.hash()  # the same bytes the partner signed the hash of
    without = parse_opening({k: v for k, v in document.items() if k != "card"})
    assert without.card is None and without.contribution_id == opening.contribution_id


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: c.update(title=""), "card.title"),
        (lambda c: c.update(title="a\u202eb"), "card.title"),
        (lambda c: c.update(extra=1), "card"),
        (lambda c: c.update(salt="0x12"), "card.salt"),
    ],
)
def test_parse_opening_refuses_a_malformed_card_naming_its_field(change: Any, field: str) -> None:
    document = json.loads(_derived(card=ContributionCard.create(title="Batch 4")).to_bytes())
    change(document["card"])
    with pytest.raises(OpeningFormatError, match=rf"^{re.escape(field)}"):
        parse_opening(document)
