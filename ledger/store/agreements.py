"""Consortium agreements made with the builder: their versions' canonical documents and salts
(`Agreements`).

The chain records only an agreement's hash; the document it is the hash of, and the salt that
hides it from outsiders, exist nowhere else. So they live in the durable database, beside the
outbox and the API keys, and a lost index never loses them.

- An agreement has a random id, the coordinator that made it, a salt (32 bytes, one per
  agreement: every version's on-chain hash uses it) and, once the project exists on chain, the
  project's id.
- A version holds the canonical bytes of one `AgreementDocument` (`ledger.agreement.document`)
  with its content hash and the on-chain agreement hash. Version 1 is a draft the coordinator
  may replace until it asks for the project to be created (`frozen`); later versions are
  amendments, never replaced.
- The readers of an agreement are the addresses its versions name as partners, and its
  coordinator: who may read it before a project exists (after, the project's own readers also
  do, `api.services.agreements`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.store.engine import Database, DurableBase, rowcount


class AgreementDraftRow(DurableBase):
    """A consortium agreement made with the builder."""

    __tablename__ = "consortium_agreements"
    agreement_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    coordinator: Mapped[str] = mapped_column(String(42), index=True)
    salt: Mapped[str] = mapped_column(String(66))
    created_at: Mapped[float] = mapped_column(Float)
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    project_id: Mapped[int | None] = mapped_column(BigInteger, index=True)


class AgreementVersionRow(DurableBase):
    """One version's canonical document and hashes."""

    __tablename__ = "consortium_agreement_versions"
    agreement_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("consortium_agreements.agreement_id"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[bytes] = mapped_column(LargeBinary)
    content_hash: Mapped[str] = mapped_column(String(66))
    agreement_hash: Mapped[str] = mapped_column(String(66), index=True)
    created_by: Mapped[str] = mapped_column(String(42))
    created_at: Mapped[float] = mapped_column(Float)


class AgreementReaderRow(DurableBase):
    """An address some version of the agreement names (a partner) or its coordinator."""

    __tablename__ = "consortium_agreement_readers"
    agreement_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("consortium_agreements.agreement_id"), primary_key=True
    )
    address: Mapped[str] = mapped_column(String(42), primary_key=True, index=True)


@dataclass(frozen=True)
class AgreementRecord:
    agreement_id: str
    coordinator: str
    salt: str
    created_at: float
    frozen: bool
    project_id: int | None


@dataclass(frozen=True)
class AgreementVersionRecord:
    agreement_id: str
    version: int
    document: bytes
    content_hash: str
    agreement_hash: str
    created_by: str
    created_at: float


class Agreements:
    """Builder-made agreements in the durable database; thread-safe."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def create(
        self,
        agreement_id: str,
        *,
        coordinator: str,
        salt: str,
        first: AgreementVersionRecord,
        readers: frozenset[str],
        project_id: int | None = None,
        frozen: bool = False,
    ) -> AgreementRecord:
        """Store a new agreement with its first version."""
        now = time.time()
        with self._db.transaction() as session:
            session.add(
                AgreementDraftRow(
                    agreement_id=agreement_id,
                    coordinator=coordinator,
                    salt=salt,
                    created_at=now,
                    frozen=frozen,
                    project_id=project_id,
                )
            )
            session.flush()
            session.add(_version_row(first))
            for address in sorted(readers | {coordinator}):
                session.add(AgreementReaderRow(agreement_id=agreement_id, address=address))
        return AgreementRecord(agreement_id, coordinator, salt, now, frozen, project_id)

    def agreement(self, agreement_id: str) -> AgreementRecord | None:
        with self._db.session() as session:
            row = session.get(AgreementDraftRow, agreement_id)
            return None if row is None else _record(row)

    def by_project(self, project_id: int) -> AgreementRecord | None:
        """The agreement linked to a project (the first made, should there be several)."""
        with self._db.session() as session:
            row = session.scalars(
                select(AgreementDraftRow)
                .where(AgreementDraftRow.project_id == project_id)
                .order_by(AgreementDraftRow.created_at)
                .limit(1)
            ).first()
            return None if row is None else _record(row)

    def with_first_hash(self, agreement_hash: str) -> tuple[AgreementRecord, ...]:
        """The agreements whose version 1 has this on-chain hash."""
        with self._db.session() as session:
            ids = select(AgreementVersionRow.agreement_id).where(
                AgreementVersionRow.version == 1,
                AgreementVersionRow.agreement_hash == agreement_hash.lower(),
            )
            rows = session.scalars(
                select(AgreementDraftRow)
                .where(AgreementDraftRow.agreement_id.in_(ids))
                .order_by(AgreementDraftRow.created_at)
            ).all()
            return tuple(_record(r) for r in rows)

    def readable_by(self, address: str) -> tuple[AgreementRecord, ...]:
        """The agreements naming `address` as a partner or coordinator, oldest first."""
        with self._db.session() as session:
            named = select(AgreementReaderRow.agreement_id).where(
                AgreementReaderRow.address == address
            )
            rows = session.scalars(
                select(AgreementDraftRow)
                .where(AgreementDraftRow.agreement_id.in_(named))
                .order_by(AgreementDraftRow.created_at)
            ).all()
            return tuple(_record(r) for r in rows)

    def linked(self, project_ids: frozenset[int]) -> tuple[AgreementRecord, ...]:
        """The agreements of these projects."""
        if not project_ids:
            return ()
        with self._db.session() as session:
            rows = session.scalars(
                select(AgreementDraftRow)
                .where(AgreementDraftRow.project_id.in_(sorted(project_ids)))
                .order_by(AgreementDraftRow.created_at)
            ).all()
            return tuple(_record(r) for r in rows)

    def is_reader(self, agreement_id: str, address: str) -> bool:
        with self._db.read() as conn:
            row = conn.execute(
                select(AgreementReaderRow.address).where(
                    AgreementReaderRow.agreement_id == agreement_id,
                    AgreementReaderRow.address == address,
                )
            ).first()
            return row is not None

    def readers(self, agreement_id: str) -> frozenset[str]:
        with self._db.read() as conn:
            rows = conn.execute(
                select(AgreementReaderRow.address).where(
                    AgreementReaderRow.agreement_id == agreement_id
                )
            ).scalars()
            return frozenset(str(r) for r in rows)

    def versions(self, agreement_id: str) -> tuple[AgreementVersionRecord, ...]:
        """Every version, oldest first."""
        with self._db.session() as session:
            rows = session.scalars(
                select(AgreementVersionRow)
                .where(AgreementVersionRow.agreement_id == agreement_id)
                .order_by(AgreementVersionRow.version)
            ).all()
            return tuple(_version_record(r) for r in rows)

    def replace_draft(
        self, agreement_id: str, draft: AgreementVersionRecord, readers: frozenset[str]
    ) -> bool:
        """Replace version 1 of an agreement that is not frozen; False if it is (or is gone)."""
        with self._db.transaction() as session:
            row = session.get(AgreementDraftRow, agreement_id, with_for_update=True)
            if row is None or row.frozen:
                return False
            session.execute(
                delete(AgreementVersionRow).where(AgreementVersionRow.agreement_id == agreement_id)
            )
            session.add(_version_row(draft))
            session.execute(
                delete(AgreementReaderRow).where(AgreementReaderRow.agreement_id == agreement_id)
            )
            for address in sorted(readers | {row.coordinator}):
                session.add(AgreementReaderRow(agreement_id=agreement_id, address=address))
            return True

    def freeze(self, agreement_id: str) -> None:
        """No more replacing the draft: the project is being created with its hash."""
        with self._db.transaction() as session:
            session.execute(
                update(AgreementDraftRow)
                .where(AgreementDraftRow.agreement_id == agreement_id)
                .values(frozen=True)
            )

    def unfreeze(self, agreement_id: str) -> None:
        """The project's creation was refused before it was stored: the draft may change."""
        with self._db.transaction() as session:
            session.execute(
                update(AgreementDraftRow)
                .where(
                    AgreementDraftRow.agreement_id == agreement_id,
                    AgreementDraftRow.project_id.is_(None),
                )
                .values(frozen=False)
            )

    def link_project(self, agreement_id: str, project_id: int) -> bool:
        """Record the project created with version 1; False if it was linked already."""
        with self._db.transaction() as session:
            result = session.execute(
                update(AgreementDraftRow)
                .where(
                    AgreementDraftRow.agreement_id == agreement_id,
                    AgreementDraftRow.project_id.is_(None),
                )
                .values(project_id=project_id, frozen=True)
            )
            return bool(rowcount(result))

    def add_version(
        self,
        version: AgreementVersionRecord,
        readers: frozenset[str],
        *,
        replacing: str | None = None,
    ) -> bool:
        """Add an amendment; False if that version number exists already (a concurrent one).
        With `replacing` (an agreement hash), the stored version of that number is replaced
        if it still has that hash."""
        with self._db.transaction() as session:
            existing = session.get(AgreementVersionRow, (version.agreement_id, version.version))
            if existing is not None:
                if replacing is None or existing.agreement_hash != replacing:
                    return False
                session.delete(existing)
                session.flush()
            session.add(_version_row(version))
            known = set(
                session.scalars(
                    select(AgreementReaderRow.address).where(
                        AgreementReaderRow.agreement_id == version.agreement_id
                    )
                )
            )
            for address in sorted(readers - known):
                session.add(AgreementReaderRow(agreement_id=version.agreement_id, address=address))
            return True


def _record(row: AgreementDraftRow) -> AgreementRecord:
    return AgreementRecord(
        agreement_id=row.agreement_id,
        coordinator=row.coordinator,
        salt=row.salt,
        created_at=row.created_at,
        frozen=bool(row.frozen),
        project_id=row.project_id,
    )


def _version_row(record: AgreementVersionRecord) -> AgreementVersionRow:
    return AgreementVersionRow(
        agreement_id=record.agreement_id,
        version=record.version,
        document=record.document,
        content_hash=record.content_hash,
        agreement_hash=record.agreement_hash,
        created_by=record.created_by,
        created_at=record.created_at,
    )


def _version_record(row: AgreementVersionRow) -> AgreementVersionRecord:
    return AgreementVersionRecord(
        agreement_id=row.agreement_id,
        version=row.version,
        document=bytes(row.document),
        content_hash=row.content_hash,
        agreement_hash=row.agreement_hash,
        created_by=row.created_by,
        created_at=row.created_at,
    )
