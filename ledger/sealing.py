"""Sealing confidential records at rest: AES-256-GCM under a key kept apart from the database.

Contribution cards and dispute reasons (`ledger.domain.cards`) are the partners' words; only
their hashes go on chain, so the records themselves live in the durable database (the outbox's,
`ledger.store.SealedRecordRow`) and cannot be rebuilt from the chain. They are stored sealed:

- **cipher**: AES-256-GCM (`cryptography`'s AESGCM), a fresh random 96-bit nonce per record,
  the 128-bit tag appended to the ciphertext;
- **associated data**: `ASSOCIATED_DATA_PREFIX` + the record id (`card:<contribution id>:<card
  hash>`), so a sealed record moved to another row, or another contribution, no longer opens;
- **key**: 32 random bytes, never in the database: the setting `POC_RECORDS_KEY` or the key
  file `<data dir>/records.key` (`RecordKey.load_or_create`). Rows name the key by its id
  (`RecordKey.key_id`, a hash of the key), so a wrong key is reported as such, not as tampering.

A copy of the database alone therefore reveals no card and no reason. Whoever holds the key and
the database (the operator of the service) can read them: that is what the service needs to
show them to the project's partners. What the key does not allow is changing a card unseen: its
hash was signed by the partner and is on chain (docs/security.md).

This module only seals and opens bytes; what a record is, and the check of its hash against the
chain, belong to `ledger.domain.cards` and the API's records service.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.errors import RecordIntegrityError, RecordKeyError

KEY_BYTES = 32
NONCE_BYTES = 12
KEY_FILE_NAME = "records.key"
ASSOCIATED_DATA_PREFIX = b"poc-ledger/sealed-record/v1\x00"
_KEY_ID_PREFIX = b"poc-ledger/records-key-id/v1\x00"
_SALT_LABEL = b"poc-ledger/record-salt/v1"
_KEY_FILE_HEADER = (
    "# poc-ledger records key: AES-256-GCM key of the contribution cards and dispute reasons\n"
    "# stored in the database. Keep a backup apart from the database backups: without this\n"
    "# key the cards and reasons cannot be read; with it and a database copy, they can.\n"
)


@dataclass(frozen=True)
class Sealed:
    """A sealed record: the id of the key that sealed it, the nonce, ciphertext and tag."""

    key_id: str
    nonce: bytes
    ciphertext: bytes


class RecordKey:
    """The AES-256-GCM key of sealed records."""

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) != KEY_BYTES:
            raise RecordKeyError(f"the records key must be {KEY_BYTES} bytes")
        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(_KEY_ID_PREFIX + key).hexdigest()[:16]
        # A key of its own for salts, so that no salt ever reveals anything of the cipher key.
        self._salt_key = hmac.new(key, _SALT_LABEL, hashlib.sha256).digest()

    def __repr__(self) -> str:
        return f"RecordKey(key_id={self.key_id!r})"

    @classmethod
    def generate(cls) -> RecordKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def from_text(cls, text: str) -> RecordKey:
        """The key from its text form: 64 hex digits (0x optional) or base64 (standard or
        URL-safe alphabet) of 32 bytes. Lines starting with # are comments."""
        lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
        if len(lines) != 1:
            raise RecordKeyError("the records key must be one line of hex or base64")
        value = lines[0]
        raw: bytes | None = None
        hex_digits = value.removeprefix("0x")
        if len(hex_digits) == 2 * KEY_BYTES:
            try:
                raw = bytes.fromhex(hex_digits)
            except ValueError:
                raw = None
        if raw is None:
            try:
                raw = base64.b64decode(
                    value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4),
                    validate=True,
                )
            except (binascii.Error, ValueError) as exc:
                raise RecordKeyError("the records key is neither hex nor base64") from exc
        if len(raw) != KEY_BYTES:
            raise RecordKeyError(
                f"the records key must be {KEY_BYTES} bytes, this one is {len(raw)}"
            )
        return cls(raw)

    @classmethod
    def load_file(cls, path: Path) -> RecordKey:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RecordKeyError(f"cannot read the records key file {path}: {exc}") from exc
        try:
            return cls.from_text(text)
        except RecordKeyError as exc:
            raise RecordKeyError(f"{path}: {exc}") from exc

    @classmethod
    def create_file(cls, path: Path) -> RecordKey:
        """A new random key written to `path` (mode 0600; refused if the file exists)."""
        key = secrets.token_bytes(KEY_BYTES)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return cls.load_file(path)  # another process made it first: use that one
        except OSError as exc:
            raise RecordKeyError(f"cannot create the records key file {path}: {exc}") from exc
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(_KEY_FILE_HEADER + base64.b64encode(key).decode("ascii") + "\n")
            out.flush()
            os.fsync(out.fileno())
        return cls(key)

    @classmethod
    def load_or_create(cls, path: Path) -> tuple[RecordKey, bool]:
        """The key in `path`, made there first if the file does not exist; and whether it
        was made now."""
        if path.exists():
            return cls.load_file(path), False
        return cls.create_file(path), True

    def derive_salt(self, *parts: str) -> bytes:
        """32 bytes derived from this key and `parts` (HMAC-SHA256): the salt of a card or
        reason whose author gave none. The same request gets the same salt, so a request sent
        again (or prepared, then signed) names the same hash; nobody without the key can
        compute it, so the hash on chain still lets nobody confirm a guess."""
        message = "\x00".join(parts).encode("utf-8")
        return hmac.new(self._salt_key, message, hashlib.sha256).digest()

    # ------------------------------------------------------------------------- sealing

    def seal(self, record_id: str, plaintext: bytes) -> Sealed:
        """Encrypt `plaintext` bound to `record_id` (a fresh nonce each time)."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = self._aead.encrypt(nonce, plaintext, _associated_data(record_id))
        return Sealed(key_id=self.key_id, nonce=nonce, ciphertext=ciphertext)

    def open(self, record_id: str, sealed: Sealed) -> bytes:
        """The plaintext of `sealed`, if it was sealed by this key for `record_id`.

        `RecordKeyError` when another key sealed it; `RecordIntegrityError`
        (`record_altered`) when nonce, ciphertext, tag or record id were changed."""
        if sealed.key_id != self.key_id:
            raise RecordKeyError(
                f"record {record_id} was sealed with the records key {sealed.key_id}; the key "
                f"configured now is {self.key_id}"
            )
        try:
            return self._aead.decrypt(sealed.nonce, sealed.ciphertext, _associated_data(record_id))
        except (InvalidTag, ValueError) as exc:
            raise RecordIntegrityError(
                f"record {record_id} does not decrypt: it was altered in the database",
                code="record_altered",
            ) from exc


def _associated_data(record_id: str) -> bytes:
    return ASSOCIATED_DATA_PREFIX + record_id.encode("utf-8")
