"""Sealing records at rest: AES-256-GCM bound to the record id, the key file, wrong keys."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from ledger.errors import RecordIntegrityError, RecordKeyError
from ledger.sealing import KEY_BYTES, NONCE_BYTES, RecordKey, Sealed

RECORD = "card:0x" + "11" * 32 + ":0x" + "22" * 32


def test_seal_and_open_round_trip_with_fresh_nonces() -> None:
    key = RecordKey.generate()
    first, second = key.seal(RECORD, b"Vlasroot v2"), key.seal(RECORD, b"Vlasroot v2")
    assert len(first.nonce) == NONCE_BYTES and first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext
    assert b"Vlasroot" not in first.ciphertext
    # 16-byte GCM tag appended.
    assert len(first.ciphertext) == len(b"Vlasroot v2") + 16
    assert key.open(RECORD, first) == key.open(RECORD, second) == b"Vlasroot v2"


@pytest.mark.parametrize("part", ["ciphertext", "tag", "nonce"])
def test_open_refuses_a_changed_byte(part: str) -> None:
    key = RecordKey.generate()
    sealed = key.seal(RECORD, b"the card")
    if part == "nonce":
        changed = Sealed(
            sealed.key_id, bytes([sealed.nonce[0] ^ 1]) + sealed.nonce[1:], sealed.ciphertext
        )
    else:
        at = 0 if part == "ciphertext" else len(sealed.ciphertext) - 1
        body = bytearray(sealed.ciphertext)
        body[at] ^= 0x80
        changed = Sealed(sealed.key_id, sealed.nonce, bytes(body))
    with pytest.raises(RecordIntegrityError) as caught:
        key.open(RECORD, changed)
    assert caught.value.code == "record_altered"


def test_open_refuses_a_record_moved_to_another_id() -> None:
    key = RecordKey.generate()
    sealed = key.seal(RECORD, b"card of contribution 1")
    with pytest.raises(RecordIntegrityError):
        key.open("card:0x" + "33" * 32 + ":0x" + "22" * 32, sealed)


def test_open_with_another_key_names_both_key_ids() -> None:
    sealed = RecordKey.generate().seal(RECORD, b"x")
    other = RecordKey.generate()
    with pytest.raises(RecordKeyError) as caught:
        other.open(RECORD, sealed)
    assert sealed.key_id in str(caught.value) and other.key_id in str(caught.value)


def test_key_file_is_created_private_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "data" / "records.key"
    key, created = RecordKey.load_or_create(path)
    assert created
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("# poc-ledger records key")
    again, created_again = RecordKey.load_or_create(path)
    assert not created_again and again.key_id == key.key_id
    assert again.open(RECORD, key.seal(RECORD, b"kept")) == b"kept"


def test_key_text_in_hex_or_base64() -> None:
    raw = bytes(range(KEY_BYTES))
    ids = {
        RecordKey.from_text(text).key_id
        for text in (
            raw.hex(),
            "0x" + raw.hex(),
            base64.b64encode(raw).decode(),
            base64.urlsafe_b64encode(raw).decode().rstrip("="),
            "# comment\n" + raw.hex() + "\n",
        )
    }
    assert ids == {RecordKey(raw).key_id}


@pytest.mark.parametrize(
    "text", ["", "abc", "00" * 31, "zz" * 32, "a\nb", base64.b64encode(b"x" * 16).decode()]
)
def test_malformed_key_text_is_refused(text: str) -> None:
    with pytest.raises(RecordKeyError):
        RecordKey.from_text(text)


def test_key_repr_shows_only_its_id() -> None:
    raw = bytes(range(KEY_BYTES))
    assert raw.hex() not in repr(RecordKey(raw))


def test_derived_salts_are_stable_per_key_and_parts() -> None:
    key, other = RecordKey.generate(), RecordKey.generate()
    salt = key.derive_salt("card", "1", "0xabc")
    assert len(salt) == 32 and salt == key.derive_salt("card", "1", "0xabc")
    assert salt != key.derive_salt("card", "1", "0xabd")
    assert salt != key.derive_salt("card", "10xabc")  # parts are separated
    assert salt != other.derive_salt("card", "1", "0xabc")
