"""Sealed records: contribution cards and dispute reasons, encrypted (`SealedRecords`).

Only their hashes are on chain, so the records live in the durable database, beside the outbox
and the keys, and never in clear: `ledger.sealing` encrypts them (AES-256-GCM, the key kept
apart from the database) before they reach this module, which only stores and finds the
sealed bytes. Which record is asked for, and whether it still hashes to the signed value, is
the reader's business (`api.services.records`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import cast

from sqlalchemy import BigInteger, Float, LargeBinary, String, Table, select
from sqlalchemy.orm import Mapped, mapped_column

from ledger.store.engine import Database, DurableBase, insert_ignoring_clashes, rowcount


class SealedRecordRow(DurableBase):
    """A contribution card or a dispute reason, sealed with AES-256-GCM (`ledger.sealing`).

    `record_id` names the contribution and the record's hash (`card:<contribution id>:<card
    hash>`, `reason:<contribution id>:<reason hash>`) and is the cipher's associated data: a
    record is found by the hash the chain holds, and a row is never replaced, so an altered
    row either fails to decrypt or hashes to something the partner did not sign.
    """

    __tablename__ = "sealed_records"
    record_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    project_id: Mapped[int] = mapped_column(BigInteger)
    # The contribution the record is about.
    subject: Mapped[str] = mapped_column(String(66), index=True)
    record_hash: Mapped[str] = mapped_column(String(66))
    key_id: Mapped[str] = mapped_column(String(32))
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(42))
    created_at: Mapped[float] = mapped_column(Float)


_SEALED = cast(Table, SealedRecordRow.__table__)


@dataclass(frozen=True)
class SealedRecord:
    """A sealed card or reason as stored (see `SealedRecordRow`)."""

    record_id: str
    kind: str
    project_id: int
    subject: str
    record_hash: str
    key_id: str
    nonce: bytes
    ciphertext: bytes
    created_by: str
    created_at: float


class SealedRecords:
    """The sealed cards and reasons of the durable database; thread-safe."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def add(self, record: SealedRecord) -> tuple[SealedRecord, bool]:
        """Store `record` unless a record with its id exists; return the stored one and
        whether it is new. A record is never replaced: its id names its hash. Synced to disk
        like an accepted operation (on SQLite): the write that names its hash may follow."""
        with self._db.guard(), self._db.accept_engine.begin() as conn:
            inserted = conn.execute(
                insert_ignoring_clashes(self._db.dialect, _SEALED), [dataclasses.asdict(record)]
            )
            created = rowcount(inserted) == 1
            row = (
                conn.execute(select(_SEALED).where(_SEALED.c.record_id == record.record_id))
                .mappings()
                .one()
            )
        return SealedRecord(**row), created

    def get(self, record_id: str) -> SealedRecord | None:
        """The sealed record with this id, if any."""
        with self._db.read() as conn:
            row = (
                conn.execute(select(_SEALED).where(_SEALED.c.record_id == record_id))
                .mappings()
                .one_or_none()
            )
        return None if row is None else SealedRecord(**row)

    def about(self, subject: str) -> tuple[SealedRecord, ...]:
        """Every sealed record about contribution `subject`, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                select(_SEALED)
                .where(_SEALED.c.subject == subject)
                .order_by(_SEALED.c.created_at, _SEALED.c.record_id)
            ).mappings()
            return tuple(SealedRecord(**row) for row in rows)

    def key_ids(self) -> frozenset[str]:
        """The ids of the keys the stored records were sealed with (empty: no records)."""
        with self._db.read() as conn:
            return frozenset(conn.execute(select(_SEALED.c.key_id).distinct()).scalars())
