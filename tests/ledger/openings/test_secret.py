"""The proof secret and its recovery sheet of BIP-39 words."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import RecoveryPhraseError
from ledger.openings.secret import ProofSecret, normalize_words

# BIP-39's published English vectors for 256-bit entropy (no passphrase involved: the words
# are the secret itself here).
BIP39_VECTORS = [
    ("00" * 32, " ".join(["abandon"] * 23 + ["art"])),
    (
        "7f" * 32,
        " ".join(["legal", "winner", "thank", "year", "wave", "sausage", "worth", "useful"] * 3)[
            : -len("useful")
        ]
        + "title",
    ),
    ("ff" * 32, " ".join(["zoo"] * 23 + ["vote"])),
]


@pytest.mark.parametrize(("entropy", "words"), BIP39_VECTORS)
def test_words_match_the_bip39_reference_vectors(entropy: str, words: str) -> None:
    secret = ProofSecret(bytes.fromhex(entropy))
    assert secret.words == words
    assert ProofSecret.from_words(words) == secret


@given(st.binary(min_size=32, max_size=32))
def test_words_round_trip_any_secret(value: bytes) -> None:
    secret = ProofSecret(value)
    words = secret.words.split()
    assert len(words) == 24
    assert ProofSecret.from_words(secret.words).value == value


def test_from_words_forgives_case_spacing_and_four_letter_prefixes() -> None:
    secret = ProofSecret.generate()
    words = secret.words.split()
    typed = "\n  ".join(w.upper() if i % 3 else w[:4] for i, w in enumerate(words)) + "\t"
    assert ProofSecret.from_words(typed) == secret


def test_from_words_names_the_first_unknown_word() -> None:
    words = ProofSecret.generate().words.split()
    words[6] = "vlas"
    with pytest.raises(RecoveryPhraseError, match=r"word 7 \('vlas'\)"):
        ProofSecret.from_words(" ".join(words))


def test_from_words_refuses_a_prefix_shorter_than_four_letters() -> None:
    secret = ProofSecret(bytes(32))
    words = secret.words.split()
    words[0] = "aban"  # abandon, and no other word, starts so
    assert ProofSecret.from_words(" ".join(words)) == secret
    words[0] = "aba"  # three letters name no word for sure
    with pytest.raises(RecoveryPhraseError, match=r"word 1 \('aba'\)"):
        ProofSecret.from_words(" ".join(words))


def test_from_words_refuses_swapped_words_by_the_checksum() -> None:
    words = ProofSecret(bytes(range(32))).words.split()
    words[3], words[4] = words[4], words[3]
    with pytest.raises(RecoveryPhraseError, match="checksum"):
        ProofSecret.from_words(" ".join(words))


@pytest.mark.parametrize("count", [0, 12, 23, 25])
def test_from_words_refuses_another_number_of_words(count: int) -> None:
    with pytest.raises(RecoveryPhraseError, match=f"has {count}"):
        normalize_words(" ".join(["abandon"] * count))


def test_secret_id_is_the_documented_hmac_prefix() -> None:
    secret = ProofSecret.generate()
    expected = hmac.new(secret.value, b"poc-ledger/secret-id/v1\x00", hashlib.sha256).digest()
    assert secret.secret_id == "0x" + expected[:8].hex()


def test_repr_does_not_reveal_the_secret() -> None:
    secret = ProofSecret(bytes(range(32)))
    assert secret.value.hex() not in repr(secret)
    assert "abandon" not in repr(secret) and secret.secret_id in repr(secret)


@pytest.mark.parametrize("value", [b"", bytes(31), bytes(33), "00" * 32])
def test_secret_must_be_32_bytes(value: object) -> None:
    with pytest.raises(RecoveryPhraseError):
        ProofSecret(value)  # type: ignore[arg-type]


def test_generate_gives_distinct_secrets() -> None:
    assert len({ProofSecret.generate().value for _ in range(64)}) == 64
