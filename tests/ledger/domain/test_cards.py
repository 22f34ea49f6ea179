"""Contribution cards and dispute reasons: canonical form, hash, and every refusal with its code.

The canonical bytes are compared with literal JSON text written out here (RFC 8785 by hand: keys
sorted, no white space), and the hash with hashlib over those bytes, so a change of format or
hash cannot pass unnoticed. tests/e2e/test_web_cards.py checks that the browser agrees.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.canonical import (
    MAX_SAFE_INTEGER,
    canonical_hash,
    canonical_json,
    normalise_text,
)
from ledger.domain.cards import (
    CARD_KIND,
    DESCRIPTION_MAX,
    KEYWORDS_MAX,
    REASON_KIND,
    TITLE_MAX,
    ContributionCard,
    DisputeReason,
)
from ledger.domain.values import MAX_PARENTS
from ledger.errors import RecordFormatError

SALT = bytes.fromhex("5a" * 32)
PARENT_A = "0x" + "0a" * 32
PARENT_B = "0x" + "0b" * 32


def _card_json(**changes: Any) -> dict[str, Any]:
    card: dict[str, Any] = {
        "description": "Retting trial, 40 hours.",
        "file": {"mediaType": "application/pdf", "name": "retting.pdf", "size": 12345},
        "keywords": ["flax"],
        "kind": CARD_KIND,
        "parents": [{"contributionId": PARENT_A, "note": "uses its decorticator"}],
        "salt": "0x" + SALT.hex(),
        "title": "Vlasroot v2",
        "version": 1,
    }
    card.update(changes)
    return card


def _code(raw: object) -> tuple[str, str | None]:
    with pytest.raises(RecordFormatError) as caught:
        ContributionCard.from_json(raw)
    return caught.value.code, caught.value.field


def test_card_canonical_form_is_rfc8785_text() -> None:
    card = ContributionCard.from_json(_card_json())
    expected = (
        '{"description":"Retting trial, 40 hours.","file":{"mediaType":"application/pdf",'
        '"name":"retting.pdf","size":12345},"keywords":["flax"],'
        '"kind":"poc-ledger/contribution-card","parents":[{"contributionId":"'
        + PARENT_A
        + '","note":"uses its decorticator"}],"salt":"0x'
        + "5a" * 32
        + '","title":"Vlasroot v2","version":1}'
    ).encode()
    assert card.canonical() == expected
    assert card.hash() == hashlib.sha256(expected).digest()
    assert card.hash_hex() == "0x" + hashlib.sha256(expected).hexdigest()


def test_card_example_in_docs_hashes_as_documented() -> None:
    # docs/proofs.md shows one card's canonical text and its hash: both must stay true.
    docs = (Path(__file__).resolve().parents[3] / "docs" / "proofs.md").read_text()
    card = ContributionCard.from_json(_card_json())
    assert card.canonical().decode() in docs
    assert card.hash_hex() in docs


def test_card_round_trips_through_its_canonical_bytes() -> None:
    card = ContributionCard.create(
        title="Ελληνικά 中文 عربي ✓ 🧵",
        description="Línea 1\r\nLínea 2\rLínea 3\u2028Línea 4\twith tab",
        file_name="ontwerp \u2013 v2.step",
        media_type="",
        size=0,
        keywords=["vlas", "\U0001d523\U0001d529\U0001d51e\U0001d535"],
        parent_notes={PARENT_B.upper().replace("0X", "0x"): " second ", PARENT_A: "first"},
    )
    assert card.description == "Línea 1\nLínea 2\nLínea 3\nLínea 4\twith tab"
    assert card.file is not None and card.file.media_type == "application/octet-stream"
    assert [p.contribution_id for p in card.parents] == [PARENT_A, PARENT_B]
    assert [p.note for p in card.parents] == ["first", "second"]
    again = ContributionCard.from_canonical(card.canonical())
    assert again == card
    assert again.hash() == card.hash()


def test_create_normalises_to_nfc_and_trims_white_space() -> None:
    decomposed = "Cafe\u0301 \u00a0"  # e + combining acute, trailing no-break space
    card = ContributionCard.create(title=f"\ufeff {decomposed}", salt=SALT)
    assert card.title == "Café"
    assert ContributionCard.create(title="Café", salt=SALT).hash() == card.hash()


def test_create_leaves_out_empty_parent_notes() -> None:
    card = ContributionCard.create(title="t", parent_notes={PARENT_A: "  ", PARENT_B: "x"})
    assert [p.contribution_id for p in card.parents] == [PARENT_B]


def test_hash_changes_with_salt_and_with_every_field() -> None:
    base = ContributionCard.from_json(_card_json())
    variants = [
        _card_json(salt="0x" + "5b" * 32),
        _card_json(title="Vlasroot v3"),
        _card_json(description=""),
        _card_json(file=None),
        _card_json(keywords=[]),
        _card_json(parents=[]),
        _card_json(file={"mediaType": "application/pdf", "name": "retting.pdf", "size": 12346}),
    ]
    hashes = {ContributionCard.from_json(v).hash() for v in variants}
    assert base.hash() not in hashes and len(hashes) == len(variants)


def test_card_and_reason_hashes_never_coincide_for_the_same_text() -> None:
    card = ContributionCard.create(title="same words", salt=SALT)
    reason = DisputeReason.create(text="same words", salt=SALT)
    assert card.hash() != reason.hash()
    assert reason.to_json()["kind"] == REASON_KIND


@pytest.mark.parametrize(
    ("raw", "code", "field"),
    [
        ({**_card_json(), "owner": "me"}, "card_unknown_field", "owner"),
        (
            {k: v for k, v in _card_json().items() if k != "keywords"},
            "card_missing_field",
            "keywords",
        ),
        (_card_json(title=""), "card_empty", "title"),
        (_card_json(title="x" * (TITLE_MAX + 1)), "card_too_long", "title"),
        (_card_json(description="y" * (DESCRIPTION_MAX + 1)), "card_too_long", "description"),
        (_card_json(title="bell\x07"), "card_control_character", "title"),
        (_card_json(title="two\nlines"), "card_control_character", "title"),
        (_card_json(description="carriage\rreturn"), "card_control_character", "description"),
        (_card_json(description="C1 \x85 control"), "card_control_character", "description"),
        (_card_json(title="invoice \u202egnp.exe"), "card_control_character", "title"),
        (_card_json(title="isolate \u2066x\u2069"), "card_control_character", "title"),
        (_card_json(title="Cafe\u0301"), "card_not_normalised", "title"),
        (_card_json(title=" padded"), "card_not_normalised", "title"),
        (_card_json(title="lone \ud800 surrogate"), "card_invalid_text", "title"),
        (_card_json(title=7), "card_wrong_type", "title"),
        (_card_json(keywords="flax"), "card_wrong_type", "keywords"),
        (_card_json(keywords=["a", "a"]), "card_duplicate", "keywords[1]"),
        (_card_json(keywords=[""]), "card_empty", "keywords[0]"),
        (
            _card_json(keywords=[str(i) for i in range(KEYWORDS_MAX + 1)]),
            "card_too_many",
            "keywords",
        ),
        (
            _card_json(file={"mediaType": "Application/PDF", "name": "a", "size": 1}),
            "card_invalid_value",
            "file.mediaType",
        ),
        (
            _card_json(file={"mediaType": "text/plain; charset=utf-8", "name": "a", "size": 1}),
            "card_invalid_value",
            "file.mediaType",
        ),
        (
            _card_json(file={"mediaType": "text/plain", "name": "a", "size": MAX_SAFE_INTEGER + 1}),
            "card_invalid_value",
            "file.size",
        ),
        (
            _card_json(file={"mediaType": "text/plain", "name": "a", "size": -1}),
            "card_invalid_value",
            "file.size",
        ),
        (
            _card_json(file={"mediaType": "text/plain", "name": "a", "size": True}),
            "card_wrong_type",
            "file.size",
        ),
        (
            _card_json(file={"mediaType": "text/plain", "name": "a", "size": 1.5}),
            "card_wrong_type",
            "file.size",
        ),
        (
            _card_json(file={"mediaType": "text/plain", "name": "a", "size": 1, "path": "/"}),
            "card_unknown_field",
            "file.path",
        ),
        (
            _card_json(
                parents=[
                    {"contributionId": PARENT_B, "note": "b"},
                    {"contributionId": PARENT_A, "note": "a"},
                ]
            ),
            "card_invalid_value",
            "parents[1].contributionId",
        ),
        (
            _card_json(parents=[{"contributionId": PARENT_A.upper(), "note": "a"}]),
            "card_invalid_value",
            "parents[0].contributionId",
        ),
        (
            _card_json(
                parents=[
                    {"contributionId": "0x" + f"{i:064x}", "note": "n"}
                    for i in range(1, MAX_PARENTS + 2)
                ]
            ),
            "card_too_many",
            "parents",
        ),
        (_card_json(salt="0x1234"), "card_invalid_value", "salt"),
        (_card_json(kind=REASON_KIND), "card_invalid_value", "kind"),
        (_card_json(version=2), "card_unsupported_version", "version"),
        (_card_json(version=True), "card_unsupported_version", "version"),
        ([], "card_wrong_type", ""),
    ],
)
def test_card_refuses_malformed_input_with_stable_code(
    raw: object, code: str, field: str | None
) -> None:
    assert _code(raw) == (code, field)


def test_card_length_counts_code_points_not_bytes_or_utf16_units() -> None:
    # 200 emoji: 800 bytes of UTF-8, 400 UTF-16 units, 200 characters.
    assert ContributionCard.from_json(_card_json(title="🧵" * TITLE_MAX)).title == "🧵" * TITLE_MAX
    assert _code(_card_json(title="🧵" * (TITLE_MAX + 1))) == ("card_too_long", "title")


def test_card_description_keeps_tabs_and_line_feeds() -> None:
    card = ContributionCard.from_json(_card_json(description="a\tb\nc"))
    assert b'"description":"a\\tb\\nc"' in card.canonical()


def test_from_canonical_refuses_duplicate_keys_and_non_json() -> None:
    text = json.dumps(_card_json())[:-1] + ', "title": "other"}'
    with pytest.raises(RecordFormatError) as caught:
        ContributionCard.from_canonical(text.encode())
    assert caught.value.code == "card_duplicate_key"
    with pytest.raises(RecordFormatError) as caught:
        ContributionCard.from_canonical(b'{"size": NaN}')
    assert caught.value.code == "card_not_json"
    with pytest.raises(RecordFormatError) as caught:
        ContributionCard.from_canonical(b"\xff")
    assert caught.value.code == "card_not_json"


def test_create_refuses_file_name_without_size() -> None:
    with pytest.raises(RecordFormatError) as caught:
        ContributionCard.create(title="t", file_name="a.pdf")
    assert (caught.value.code, caught.value.field) == ("card_missing_field", "file.size")


def test_card_salt_must_be_32_bytes() -> None:
    with pytest.raises(RecordFormatError) as caught:
        ContributionCard(title="t", salt=b"short")
    assert caught.value.code == "card_invalid_value"


def test_check_parents_refuses_note_on_a_contribution_that_is_not_a_parent() -> None:
    card = ContributionCard.create(title="t", parent_notes={PARENT_A: "builds on"})
    card.check_parents([PARENT_A.upper().replace("0X", "0x")])
    with pytest.raises(RecordFormatError) as caught:
        card.check_parents([PARENT_B])
    assert (caught.value.code, caught.value.field) == (
        "card_parent_unknown",
        "parents[0].contributionId",
    )


# ------------------------------------------------------------------------------ reasons


def test_reason_canonical_form_and_hash() -> None:
    reason = DisputeReason.create(
        text="Published in 2019:\r\nsee the attached paper.",
        file_name="paper.pdf",
        file_sha256="0x" + "AA" * 32,
        salt=SALT,
    )
    expected = (
        '{"file":{"name":"paper.pdf","sha256":"0x'
        + "aa" * 32
        + '"},"kind":"poc-ledger/dispute-reason","salt":"0x'
        + "5a" * 32
        + '","text":"Published in 2019:\\nsee the attached paper.","version":1}'
    ).encode()
    assert reason.canonical() == expected
    assert reason.hash() == hashlib.sha256(expected).digest()
    assert DisputeReason.from_canonical(expected) == reason


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"text": ""}, "reason_empty"),
        ({"text": "z" * 20_001}, "reason_too_long"),
        ({"text": "nul\x00"}, "reason_control_character"),
        ({"file": {"name": "a", "sha256": "0x12"}}, "reason_invalid_value"),
        ({"file": {"name": "a"}}, "reason_missing_field"),
        ({"reason": "extra"}, "reason_unknown_field"),
    ],
)
def test_reason_refuses_malformed_input(changes: dict[str, Any], code: str) -> None:
    raw = {**DisputeReason.create(text="ok", salt=SALT).to_json(), **changes}
    with pytest.raises(RecordFormatError) as caught:
        DisputeReason.from_json(raw)
    assert caught.value.code == code


# ------------------------------------------------------------------------------ JCS


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"b": 1, "a": [True, None, "x"]}, '{"a":[true,null,"x"],"b":1}'),
        ({"\u20ac": 1, "\r": 2, "1": 3, "\U0001f600": 4, "\ufb33": 5}, None),
        ('\u0000\u001f"\\/\u007f\u2028', '"\\u0000\\u001f\\"\\\\/\u007f\u2028"'),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (0.1, "0.1"),
        (-0.0, "0"),
        (9007199254740991, "9007199254740991"),
        (333333333.33333329, "333333333.3333333"),
    ],
)
def test_canonical_json_follows_rfc8785(value: Any, text: str | None) -> None:
    out = canonical_json(value)
    if text is not None:
        assert out == text.encode()
    else:
        # RFC 8785 section 3.2.3: keys sorted by UTF-16 code units ("\r", "1", "\u20ac",
        # "\U0001f600" (a surrogate pair, 0xD83D), "\ufb33").
        assert out == '{"\\r":2,"1":3,"\u20ac":1,"\U0001f600":4,"\ufb33":5}'.encode()
    assert canonical_hash(value) == hashlib.sha256(out).digest()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 2**53, "\udc00", {1: "x"}])
def test_canonical_json_refuses_what_jcs_cannot_represent(value: Any) -> None:
    with pytest.raises(RecordFormatError) as caught:
        canonical_json(value)
    assert caught.value.code == "json_not_canonicalizable"


@settings(max_examples=300, deadline=None)
@given(
    title=st.text(min_size=0, max_size=40),
    description=st.text(max_size=80),
    keywords=st.lists(st.text(max_size=10), max_size=3),
)
def test_create_gives_a_card_that_round_trips_or_a_coded_error(
    title: str, description: str, keywords: list[str]
) -> None:
    try:
        card = ContributionCard.create(
            title=title, description=description, keywords=keywords, salt=SALT
        )
    except RecordFormatError as exc:
        assert exc.code.startswith("card_")
        return
    assert normalise_text(card.title) == card.title
    assert ContributionCard.from_canonical(card.canonical()) == card
    assert (
        ContributionCard.create(
            title=card.title, description=card.description, keywords=card.keywords, salt=SALT
        ).hash()
        == card.hash()
    )
