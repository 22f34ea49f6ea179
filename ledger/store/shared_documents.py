"""What the service keeps of a shared document: the sealed bytes and one wrapped key per
recipient (`SharedDocuments`, as `store.shared`). Never a plaintext, a file key or a file name:
those stay on the partners' machines and inside the wrapped keys (docs/exchange.md).

The sealed document is a file, `<files_dir>/<disclosure id>.pocx`, written to a temporary name,
synced and renamed, so a crash leaves either nothing or the whole file. Its row in the durable
database (beside the outbox: the chain cannot give these back) records who uploaded it for which
project and the SHA-256 of the sealed bytes, which the download is checked against. Wrapped keys
are rows, one per recipient.

The upload comes before the disclosure's transaction: the disclosure id is known in advance
(`ledger.domain.hashing.disclosure_id`), so a recipient finds both as soon as the chain shows
the disclosure. A document whose disclosure never reaches the chain stays unreachable: its
readers are those the chain names.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import BigInteger, Float, Integer, LargeBinary, String, select
from sqlalchemy.orm import Mapped, mapped_column

from ledger.domain.values import checksum
from ledger.errors import ConfigurationError, StoreError
from ledger.store.engine import Database, DurableBase

_ID_HEX = frozenset("0123456789abcdef")


class SharedDocumentRow(DurableBase):
    """A sealed document uploaded for a disclosure."""

    __tablename__ = "shared_documents"
    disclosure_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    project_id: Mapped[int] = mapped_column(BigInteger)
    sharer: Mapped[str] = mapped_column(String(42))
    size: Mapped[int] = mapped_column(BigInteger)
    sealed_sha256: Mapped[str] = mapped_column(String(64))
    stored_at: Mapped[float] = mapped_column(Float)


class WrappedKeyRow(DurableBase):
    """The key envelope of one disclosure sealed to one recipient (HPKE `enc` + ciphertext)."""

    __tablename__ = "shared_wrapped_keys"
    disclosure_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(42), primary_key=True)
    key_version: Mapped[int] = mapped_column(Integer)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)


@dataclass(frozen=True)
class SharedDocumentRecord:
    disclosure_id: str
    project_id: int
    sharer: str
    size: int
    sealed_sha256: str
    stored_at: float


@dataclass(frozen=True)
class WrappedKeyRecord:
    disclosure_id: str
    recipient: str
    key_version: int
    wrapped: bytes


def _require_id(disclosure_id: str) -> str:
    lowered = disclosure_id.lower()
    if len(lowered) != 66 or not lowered.startswith("0x") or not set(lowered[2:]) <= _ID_HEX:
        raise ValueError(f"not a disclosure id: {disclosure_id[:70]!r}")
    return lowered


class SharedDocuments:
    """Sealed documents (files) and wrapped keys (rows); thread-safe."""

    def __init__(self, database: Database, files_dir: Path | None) -> None:
        self._db = database
        self._files_dir = files_dir

    @property
    def files_dir(self) -> Path:
        if self._files_dir is None:
            raise ConfigurationError("this store has no directory for shared documents")
        return self._files_dir

    def _path(self, disclosure_id: str) -> Path:
        return self.files_dir / f"{_require_id(disclosure_id)}.pocx"

    # -- documents -----------------------------------------------------------------------------

    def document(self, disclosure_id: str) -> SharedDocumentRecord | None:
        with self._db.session() as session:
            row = session.get(SharedDocumentRow, _require_id(disclosure_id))
            if row is None:
                return None
            return SharedDocumentRecord(
                row.disclosure_id,
                row.project_id,
                row.sharer,
                row.size,
                row.sealed_sha256,
                row.stored_at,
            )

    def put_document(
        self, disclosure_id: str, *, project_id: int, sharer: str, sealed: bytes
    ) -> SharedDocumentRecord:
        """Store the sealed bytes of a disclosure (the file first, then its row). Storing the
        same bytes again is a no-op; other bytes under a stored id raise `StoreError`."""
        key = _require_id(disclosure_id)
        digest = hashlib.sha256(sealed).hexdigest()
        existing = self.document(key)
        if existing is not None:
            if existing.sealed_sha256 != digest:
                raise StoreError(f"another sealed document is stored for {key}")
            return existing
        directory = self.files_dir
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as sink:
                sink.write(sealed)
                sink.flush()
                os.fsync(sink.fileno())
            os.replace(temporary, self._path(key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        record = SharedDocumentRecord(
            key, project_id, checksum(sharer), len(sealed), digest, time.time()
        )
        with self._db.transaction() as session:
            if session.get(SharedDocumentRow, key) is None:
                session.add(
                    SharedDocumentRow(
                        disclosure_id=key,
                        project_id=project_id,
                        sharer=record.sharer,
                        size=record.size,
                        sealed_sha256=digest,
                        stored_at=record.stored_at,
                    )
                )
        return record

    def read_document(self, disclosure_id: str) -> bytes | None:
        """The sealed bytes, or None if none were stored. A file that no longer has the bytes
        its row recorded raises `StoreError` (never served altered)."""
        record = self.document(disclosure_id)
        if record is None:
            return None
        try:
            sealed = self._path(disclosure_id).read_bytes()
        except OSError as exc:
            raise StoreError(
                f"the sealed document of {record.disclosure_id} is gone: {exc}"
            ) from exc
        if hashlib.sha256(sealed).hexdigest() != record.sealed_sha256:
            raise StoreError(f"the sealed document of {record.disclosure_id} was altered on disk")
        return sealed

    # -- wrapped keys --------------------------------------------------------------------------

    def put_wrapped_keys(self, disclosure_id: str, keys: Mapping[str, tuple[int, bytes]]) -> None:
        """Store `{recipient: (its encryption key's version, wrapped key)}`; a recipient's
        stored key is replaced (a new upload before the disclosure reached the chain)."""
        key = _require_id(disclosure_id)
        with self._db.transaction() as session:
            for recipient, (version, wrapped) in keys.items():
                address = checksum(recipient)
                row = session.get(WrappedKeyRow, (key, address))
                if row is None:
                    session.add(
                        WrappedKeyRow(
                            disclosure_id=key,
                            recipient=address,
                            key_version=version,
                            wrapped=wrapped,
                        )
                    )
                else:
                    row.key_version, row.wrapped = version, wrapped

    def wrapped_key(self, disclosure_id: str, recipient: str) -> WrappedKeyRecord | None:
        with self._db.session() as session:
            row = session.get(WrappedKeyRow, (_require_id(disclosure_id), checksum(recipient)))
            if row is None:
                return None
            return WrappedKeyRecord(row.disclosure_id, row.recipient, row.key_version, row.wrapped)

    def wrapped_recipients(self, disclosure_id: str) -> frozenset[str]:
        with self._db.session() as session:
            return frozenset(
                session.scalars(
                    select(WrappedKeyRow.recipient).where(
                        WrappedKeyRow.disclosure_id == _require_id(disclosure_id)
                    )
                )
            )
