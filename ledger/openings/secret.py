"""The proof secret: one per partner, from which every salt of its contributions is derived.

A partner keeps one thing safe, this 32-byte secret, and with it and an original file can
rebuild the opening of that file's contribution on any machine (`ledger.openings.salts`). It
is written down as a recovery sheet of 24 BIP-39 English words (the `mnemonic` package; the
web pages use `@scure/bip39`, and a test checks that both give the same words). The words
encode the secret itself (BIP-39 "entropy"), not a seed stretched from it: nothing else is
derived from them.

`secret_id` names a secret without revealing it (the first 8 bytes of an HMAC under it), so
that a page or a command can say "this is not the secret your contributions were made with"
before anything is derived from a wrong sheet. The byte layouts are in docs/design.md
("Proof secret").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from functools import cache

from mnemonic import Mnemonic

from ledger.errors import RecoveryPhraseError

SECRET_BYTES = 32
RECOVERY_WORDS = 24
# What the secret id is an HMAC of: a label of its own, so that no salt is ever a secret id.
SECRET_ID_LABEL = b"poc-ledger/secret-id/v1\x00"
SECRET_ID_BYTES = 8
# BIP-39 English words are told apart by their first four letters: a sheet may be typed so.
_PREFIX_LETTERS = 4


@cache
def _bip39() -> Mnemonic:
    return Mnemonic("english")


@dataclass(frozen=True, repr=False)
class ProofSecret:
    """A partner's proof secret (32 bytes). Its repr hides the bytes, so that a log line or
    a traceback never carries it."""

    value: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.value, bytes) or len(self.value) != SECRET_BYTES:
            raise RecoveryPhraseError(f"a proof secret is {SECRET_BYTES} bytes")

    def __repr__(self) -> str:
        return f"ProofSecret(id={self.secret_id})"

    @classmethod
    def generate(cls) -> ProofSecret:
        """A new secret from the operating system's CSPRNG."""
        return cls(secrets.token_bytes(SECRET_BYTES))

    @classmethod
    def from_words(cls, words: str) -> ProofSecret:
        """The secret a recovery sheet writes down. Case, extra spaces and line breaks do not
        matter, and a word may be given by its first four letters; raise RecoveryPhraseError
        naming the first word that is wrong, or saying that the checksum fails."""
        return cls(bytes(_bip39().to_entropy(normalize_words(words))))

    @property
    def words(self) -> str:
        """The recovery sheet: 24 English BIP-39 words, separated by single spaces."""
        return _bip39().to_mnemonic(self.value)

    @property
    def secret_id(self) -> str:
        """0x-hex of the first 8 bytes of HMAC-SHA256(secret, SECRET_ID_LABEL)."""
        digest = hmac.new(self.value, SECRET_ID_LABEL, hashlib.sha256).digest()
        return "0x" + digest[:SECRET_ID_BYTES].hex()


def normalize_words(text: str) -> list[str]:
    """The recovery sheet's words as BIP-39 list words, checked against the word list and its
    checksum; raise RecoveryPhraseError naming the first problem."""
    wordlist: list[str] = _bip39().wordlist
    known = set(wordlist)
    tokens = unicodedata.normalize("NFKD", text).lower().split()
    if len(tokens) != RECOVERY_WORDS:
        raise RecoveryPhraseError(
            f"a recovery sheet has {RECOVERY_WORDS} words, this text has {len(tokens)}"
        )
    words = []
    for position, token in enumerate(tokens, start=1):
        if token in known:
            words.append(token)
            continue
        prefixed = len(token) >= _PREFIX_LETTERS
        matches = [w for w in wordlist if w.startswith(token)] if prefixed else []
        if len(matches) != 1:
            raise RecoveryPhraseError(f"word {position} ({token!r}) is not on the BIP-39 list")
        words.append(matches[0])
    if not _bip39().check(" ".join(words)):
        raise RecoveryPhraseError(
            "the words do not add up (BIP-39 checksum): a word is wrong or two are swapped"
        )
    return words
