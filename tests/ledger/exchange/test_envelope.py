"""Sealed documents and wrapped keys (ledger.exchange.envelope): round trips at every segment
boundary, and every tampering refused — a flipped byte anywhere, truncation, extension,
reordering, another key, a wrapped key moved to another recipient or disclosure."""

from __future__ import annotations

import base64
import hashlib
import io
import json

import pytest
from cryptography.hazmat.primitives import hpke
from eth_abi.abi import encode
from eth_utils.crypto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.hashing import commitment, disclosure_id
from ledger.errors import EnvelopeFormatError, EnvelopeIntegrityError
from ledger.exchange import envelope as env
from ledger.exchange import keys

LOG2 = 12  # 4 KiB segments: boundaries are cheap to cross
SEGMENT = 1 << LOG2
SHARER = "0x" + "aa" * 20
RECIPIENT = "0x" + "bb" * 20
OTHER = "0x" + "cc" * 20
PROJECT = 3
SALT = bytes(range(32))
FILE_KEY = bytes(range(100, 132))
# Non-ASCII on purpose: the envelope is UTF-8 JSON, not ASCII-escaped.
NAME = "Ontwerp \u2013 vlasvezel \u00e9.pdf"


def _document(size: int) -> bytes:
    return (b"%PDF-1.7 flax fibre know-how " * (size // 29 + 1))[:size]


def _envelope(size: int, name: str = NAME) -> env.KeyEnvelope:
    return env.KeyEnvelope(FILE_KEY, SALT, name, "application/pdf", size)


# ---------------------------------------------------------------------- sealed documents


@pytest.mark.parametrize(
    "size",
    [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT, 3 * SEGMENT + 17],
    ids=lambda n: f"{n}B",
)
def test_seal_then_open_returns_document_at_every_boundary(size: int) -> None:
    document = _document(size)
    sealed = env.seal_bytes(document, FILE_KEY, segment_log2=LOG2)
    assert len(sealed) == env.sealed_size(size, LOG2)
    assert document not in sealed or size == 0
    opened = io.BytesIO()
    digest = env.open_stream(io.BytesIO(sealed), opened, FILE_KEY)
    assert opened.getvalue() == document
    assert digest == env.StreamDigest(hashlib.sha256(document).digest(), size)


def test_seal_stream_reports_sha256_and_size() -> None:
    document = _document(5 * SEGMENT + 3)
    digest = env.seal_stream(io.BytesIO(document), io.BytesIO(), FILE_KEY, segment_log2=LOG2)
    assert digest == env.StreamDigest(hashlib.sha256(document).digest(), len(document))


def test_sealed_document_layout_is_header_then_segments_with_tags() -> None:
    sealed = env.seal_bytes(_document(SEGMENT + 5), FILE_KEY, segment_log2=LOG2)
    assert sealed[:8] == b"POCX" + bytes([1, LOG2, 0, 0])
    assert len(sealed) == 8 + (SEGMENT + 16) + (5 + 16)


def test_segment_nonce_is_index_then_last_flag() -> None:
    assert env.segment_nonce(0, False) == bytes(12)
    assert env.segment_nonce(1, True) == bytes(10) + b"\x01\x01"
    assert env.segment_nonce(258, False) == bytes(9) + b"\x01\x02\x00"


def _open(sealed: bytes, key: bytes = FILE_KEY) -> bytes:
    return env.open_bytes(sealed, key)


@pytest.mark.parametrize(
    "offset",
    [8, 9, 8 + SEGMENT - 1, 8 + SEGMENT, 8 + SEGMENT + 15, 8 + SEGMENT + 16, -1],
    ids=["first byte", "second", "end of text", "tag start", "tag end", "last segment", "last"],
)
def test_open_refuses_a_flipped_byte(offset: int) -> None:
    sealed = bytearray(env.seal_bytes(_document(SEGMENT + 40), FILE_KEY, segment_log2=LOG2))
    sealed[offset] ^= 0x01
    with pytest.raises(EnvelopeIntegrityError, match="does not open"):
        _open(bytes(sealed))


def test_open_refuses_a_changed_header() -> None:
    sealed = bytearray(env.seal_bytes(_document(100), FILE_KEY, segment_log2=LOG2))
    sealed[6] = 1  # a reserved byte
    with pytest.raises(EnvelopeFormatError, match="unknown format version"):
        _open(bytes(sealed))
    sealed[6] = 0
    sealed[5] = LOG2 + 1  # another segment size: the header is every segment's associated data
    with pytest.raises(EnvelopeIntegrityError):
        _open(bytes(sealed))


def test_open_refuses_truncation_at_a_segment_boundary() -> None:
    sealed = env.seal_bytes(_document(3 * SEGMENT + 10), FILE_KEY, segment_log2=LOG2)
    cut = 8 + 2 * (SEGMENT + 16)  # the first two segments only
    with pytest.raises(EnvelopeIntegrityError, match="segment 1"):
        _open(sealed[:cut])


def test_open_refuses_truncation_inside_a_tag_and_an_empty_body() -> None:
    sealed = env.seal_bytes(_document(10), FILE_KEY, segment_log2=LOG2)
    with pytest.raises(EnvelopeIntegrityError, match="truncated"):
        _open(sealed[: 8 + 5])
    with pytest.raises(EnvelopeIntegrityError, match="truncated"):
        _open(sealed[:8])


def test_open_refuses_extension_and_reordering() -> None:
    document = _document(3 * SEGMENT)
    sealed = env.seal_bytes(document, FILE_KEY, segment_log2=LOG2)
    seg = SEGMENT + 16
    parts = [sealed[8 + i * seg : 8 + (i + 1) * seg] for i in range(3)]
    with pytest.raises(EnvelopeIntegrityError):
        _open(sealed + parts[0])  # a segment appended
    with pytest.raises(EnvelopeIntegrityError):
        _open(sealed[:8] + parts[1] + parts[0] + parts[2])  # two swapped


def test_open_refuses_another_key() -> None:
    sealed = env.seal_bytes(_document(50), FILE_KEY, segment_log2=LOG2)
    with pytest.raises(EnvelopeIntegrityError, match="not its key"):
        _open(sealed, env.new_file_key())


def test_open_refuses_bytes_of_another_format() -> None:
    with pytest.raises(EnvelopeFormatError, match="no POCX header"):
        _open(b"%PDF-1.7 plain text, never sealed")
    with pytest.raises(EnvelopeFormatError, match="segment size"):
        _open(b"POCX" + bytes([1, 30, 0, 0]) + bytes(40))
    with pytest.raises(EnvelopeFormatError, match="file key"):
        env.seal_bytes(b"x", b"short")


def test_seal_refuses_segment_size_out_of_range() -> None:
    for log2 in (env.MIN_SEGMENT_LOG2 - 1, env.MAX_SEGMENT_LOG2 + 1):
        with pytest.raises(EnvelopeFormatError, match="segment size"):
            env.seal_bytes(b"x", FILE_KEY, segment_log2=log2)


# ------------------------------------------------------------------------- key envelopes


def test_key_envelope_bytes_are_sorted_compact_utf8_json() -> None:
    data = _envelope(1234).to_bytes()
    assert (
        data
        == (
            f'{{"key":"{base64.b64encode(FILE_KEY).decode()}","name":"{NAME}",'
            f'"salt":"0x{SALT.hex()}","size":1234,"type":"application/pdf","v":1}}'
        ).encode()
    )
    assert env.KeyEnvelope.from_bytes(data) == _envelope(1234)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "a" * 256,
        "../secret",
        "dir/file",
        "dir\\file",
        "tab\there",
        "nl\n",
        "bidi\u202e.pdf",
        ".",
        "..",
    ],
)
def test_key_envelope_refuses_unsafe_file_names(name: str) -> None:
    with pytest.raises(EnvelopeFormatError, match="file name"):
        _envelope(1, name)


@pytest.mark.parametrize(
    "change",
    [
        {"extra": 1},
        {"v": 2},
        {"v": True},
        {"key": "not base64!"},
        {"key": base64.b64encode(b"short").decode()},
        {"salt": "0x" + "AB" * 32},
        {"salt": "0x12"},
        {"size": -1},
        {"size": 2**53},
        {"size": "12"},
        {"type": "pdf"},
    ],
    ids=lambda change: ",".join(f"{k}={v!r}"[:24] for k, v in change.items()),
)
def test_key_envelope_refuses_malformed_fields(change: dict[str, object]) -> None:
    document = json.loads(_envelope(10).to_bytes())
    document.update(change)
    with pytest.raises(EnvelopeFormatError):
        env.KeyEnvelope.from_bytes(json.dumps(document).encode())


def test_key_envelope_refuses_non_json() -> None:
    for data in (b"\xff\xfe", b"[1, 2]", b"{"):
        with pytest.raises(EnvelopeFormatError):
            env.KeyEnvelope.from_bytes(data)


# --------------------------------------------------------------------------- wrapped keys


def _disclosure() -> bytes:
    return disclosure_id(PROJECT, SHARER, commitment(SHARER, PROJECT, b"\x01" * 32, SALT))


def test_wrap_then_unwrap_returns_envelope() -> None:
    private = keys.generate_private_key()
    wrapped = env.wrap_key(
        _envelope(99),
        keys.public_key_bytes(private),
        disclosure_id=_disclosure(),
        recipient=RECIPIENT,
    )
    assert len(wrapped) == env.ENC_BYTES + len(_envelope(99).to_bytes()) + env.TAG_BYTES
    assert FILE_KEY not in wrapped
    unwrapped = env.unwrap_key(wrapped, private, disclosure_id=_disclosure(), recipient=RECIPIENT)
    assert unwrapped == _envelope(99)


def test_wrapped_key_is_standard_hpke_with_documented_info() -> None:
    # Any RFC 9180 implementation with this suite and info opens it: here cryptography's own
    # HPKE API, called directly, without this module.
    private = keys.generate_private_key()
    wrapped = env.wrap_key(
        _envelope(5),
        keys.public_key_bytes(private),
        disclosure_id=_disclosure(),
        recipient=RECIPIENT,
    )
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    info = b"poc-ledger/exchange/v1\x00" + _disclosure() + bytes.fromhex(RECIPIENT[2:])
    assert suite.decrypt(wrapped, private, info=info) == _envelope(5).to_bytes()


@pytest.mark.parametrize("offset", [0, 31, 32, 40, -1], ids=["enc", "enc end", "ct", "mid", "tag"])
def test_unwrap_refuses_a_flipped_byte(offset: int) -> None:
    private = keys.generate_private_key()
    wrapped = bytearray(
        env.wrap_key(
            _envelope(5),
            keys.public_key_bytes(private),
            disclosure_id=_disclosure(),
            recipient=RECIPIENT,
        )
    )
    wrapped[offset] ^= 0x80
    with pytest.raises(EnvelopeIntegrityError, match="does not open"):
        env.unwrap_key(bytes(wrapped), private, disclosure_id=_disclosure(), recipient=RECIPIENT)


def test_unwrap_refuses_another_recipient_disclosure_or_key() -> None:
    private = keys.generate_private_key()
    wrapped = env.wrap_key(
        _envelope(5),
        keys.public_key_bytes(private),
        disclosure_id=_disclosure(),
        recipient=RECIPIENT,
    )
    with pytest.raises(EnvelopeIntegrityError):
        env.unwrap_key(wrapped, private, disclosure_id=_disclosure(), recipient=OTHER)
    with pytest.raises(EnvelopeIntegrityError):
        env.unwrap_key(wrapped, private, disclosure_id=bytes(32), recipient=RECIPIENT)
    with pytest.raises(EnvelopeIntegrityError):
        env.unwrap_key(
            wrapped, keys.generate_private_key(), disclosure_id=_disclosure(), recipient=RECIPIENT
        )
    with pytest.raises(EnvelopeFormatError, match="too short"):
        env.unwrap_key(wrapped[:40], private, disclosure_id=_disclosure(), recipient=RECIPIENT)


def test_wrap_refuses_public_key_of_wrong_length() -> None:
    with pytest.raises(EnvelopeFormatError, match="32 bytes"):
        env.wrap_key(_envelope(1), b"\x01" * 31, disclosure_id=_disclosure(), recipient=RECIPIENT)


def test_keys_round_trip_raw_bytes() -> None:
    private = keys.generate_private_key()
    again = keys.load_private_key(keys.private_key_bytes(private))
    assert keys.public_key_bytes(again) == keys.public_key_bytes(private)
    assert keys.public_key_bytes(keys.load_public_key(keys.public_key_bytes(private))) == (
        keys.public_key_bytes(private)
    )
    with pytest.raises(EnvelopeFormatError):
        keys.load_private_key(b"\x00" * 31)


# ------------------------------------------------------------------ the recipient's check


def test_check_opened_accepts_the_disclosed_document() -> None:
    document = _document(700)
    digest = env.StreamDigest(hashlib.sha256(document).digest(), len(document))
    disclosed = commitment(SHARER, PROJECT, digest.sha256, SALT)
    env.check_opened(
        _envelope(700), digest, sharer=SHARER, project_id=PROJECT, content_commitment=disclosed
    )


def test_check_opened_refuses_another_document_or_size() -> None:
    document = _document(700)
    digest = env.StreamDigest(hashlib.sha256(document).digest(), len(document))
    disclosed = commitment(SHARER, PROJECT, hashlib.sha256(b"the real one").digest(), SALT)
    with pytest.raises(EnvelopeIntegrityError, match="commitment disclosed on chain"):
        env.check_opened(
            _envelope(700), digest, sharer=SHARER, project_id=PROJECT, content_commitment=disclosed
        )
    with pytest.raises(EnvelopeIntegrityError, match="701"):
        env.check_opened(
            _envelope(701), digest, sharer=SHARER, project_id=PROJECT, content_commitment=disclosed
        )


def test_disclosure_id_matches_contract_formula() -> None:
    content = commitment(SHARER, PROJECT, b"\x05" * 32, SALT)
    assert disclosure_id(PROJECT, SHARER, content) == keccak(
        encode(["uint32", "address", "bytes32"], [PROJECT, SHARER, content])
    )


# ------------------------------------------------------------------------------ properties


@settings(max_examples=60, deadline=None)
@given(
    document=st.binary(max_size=3 * SEGMENT + 50),
    flip=st.integers(min_value=0),
    bit=st.integers(min_value=0, max_value=7),
)
def test_any_single_bit_flip_of_a_sealed_document_is_refused(
    document: bytes, flip: int, bit: int
) -> None:
    sealed = bytearray(env.seal_bytes(document, FILE_KEY, segment_log2=LOG2))
    assert _open(bytes(sealed)) == document
    sealed[flip % len(sealed)] ^= 1 << bit
    with pytest.raises((EnvelopeIntegrityError, EnvelopeFormatError)):
        _open(bytes(sealed))


@settings(max_examples=40, deadline=None)
@given(document=st.binary(max_size=4 * SEGMENT), cut=st.integers(min_value=1))
def test_any_truncation_of_a_sealed_document_is_refused(document: bytes, cut: int) -> None:
    sealed = env.seal_bytes(document, FILE_KEY, segment_log2=LOG2)
    with pytest.raises((EnvelopeIntegrityError, EnvelopeFormatError)):
        _open(sealed[: len(sealed) - 1 - cut % len(sealed)])
