"""API keys and auditor grants: who may call the API, and which auditor key may read which
project (`ApiKeys`).

Only a key's SHA-256 is kept; the plaintext was shown once when it was issued. A grant is kept
after it is revoked, so that who could read what, granted by whom and when, stays on record.
The durable database holds both, apart from the index: the chain cannot give them back.
Custodial partner keys (signing keys) are another thing: `ledger.chain.keystore`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import cast

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    bindparam,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.store.engine import Database, DurableBase, rowcount


class ApiKeyRow(DurableBase):
    """An API key: only its SHA-256 is kept; the plaintext was shown once at issue."""

    __tablename__ = "api_keys"
    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    partner: Mapped[str | None] = mapped_column(String(42), index=True)
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[float] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float)
    replaced_by: Mapped[str | None] = mapped_column(String(32), ForeignKey("api_keys.key_id"))


class AuditorGrantRow(DurableBase):
    """A project's coordinator let an auditor (or admin) key read the project; kept after it
    is revoked, so that who could read what, granted by whom and when, stays on record."""

    __tablename__ = "auditor_grants"
    __table_args__ = (
        # At most one grant in force per project and key.
        Index(
            "uq_auditor_grant_active",
            "project_id",
            "key_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        Index("ix_auditor_grants_key", "key_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(BigInteger)
    key_id: Mapped[str] = mapped_column(String(32), ForeignKey("api_keys.key_id"))
    granted_by: Mapped[str] = mapped_column(String(42))
    granted_by_key: Mapped[str | None] = mapped_column(String(32))
    granted_at: Mapped[float] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float)
    revoked_by: Mapped[str | None] = mapped_column(String(42))


_GRANT_TABLE = cast(Table, AuditorGrantRow.__table__)
_GRANTED_PROJECTS = select(_GRANT_TABLE.c.project_id).where(
    _GRANT_TABLE.c.key_id == bindparam("key_id"), _GRANT_TABLE.c.revoked_at.is_(None)
)
_HAS_GRANT = _GRANTED_PROJECTS.where(_GRANT_TABLE.c.project_id == bindparam("project_id")).limit(1)


@dataclass(frozen=True)
class ApiKeyRecord:
    key_id: str
    key_hash: str
    partner: str | None
    role: str
    label: str
    created_at: float
    revoked_at: float | None
    replaced_by: str | None


@dataclass(frozen=True)
class AuditorGrantRecord:
    """A grant of read access to one project for one auditor (or admin) key."""

    id: int
    project_id: int
    key_id: str
    granted_by: str
    granted_by_key: str | None
    granted_at: float
    revoked_at: float | None
    revoked_by: str | None


class ApiKeys:
    """API keys and auditor grants in the durable database; thread-safe."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def add_api_key(self, record: ApiKeyRecord) -> None:
        """Store a new API key (hash only)."""
        with self._db.transaction() as session:
            session.add(
                ApiKeyRow(
                    key_id=record.key_id,
                    key_hash=record.key_hash,
                    partner=record.partner,
                    role=record.role,
                    label=record.label,
                    created_at=record.created_at,
                    revoked_at=record.revoked_at,
                    replaced_by=record.replaced_by,
                )
            )

    def api_key(self, key_id: str) -> ApiKeyRecord | None:
        """An API key by id (Core query: this runs on every request)."""
        table = ApiKeyRow.__table__
        with self._db.read() as conn:
            row = conn.execute(select(table).where(table.c.key_id == key_id)).mappings().first()
        return None if row is None else ApiKeyRecord(**dict(row))

    def api_keys(self, partner: str | None = None) -> tuple[ApiKeyRecord, ...]:
        """API keys, of one partner or all, oldest first."""
        with self._db.session() as session:
            query = select(ApiKeyRow)
            if partner is not None:
                query = query.where(ApiKeyRow.partner == partner)
            rows = session.scalars(query.order_by(ApiKeyRow.created_at)).all()
            return tuple(_key_record(r) for r in rows)

    def revoke_api_key(self, key_id: str, *, replaced_by: str | None = None) -> bool:
        """Revoke a key now; return False if it was unknown or already revoked."""
        with self._db.transaction() as session:
            result = session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.key_id == key_id, ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=time.time(), replaced_by=replaced_by)
            )
            return bool(rowcount(result))

    # ------------------------------------------------------------------------- auditor grants

    def add_auditor_grant(
        self,
        project_id: int,
        key_id: str,
        *,
        granted_by: str,
        granted_by_key: str | None,
        at: float | None = None,
    ) -> tuple[AuditorGrantRecord, bool]:
        """Grant key `key_id` read access to the project; return the grant in force and
        whether it is new (granting again keeps the first grant)."""
        with self._db.transaction() as session:
            existing = session.scalar(
                select(AuditorGrantRow).where(
                    AuditorGrantRow.project_id == project_id,
                    AuditorGrantRow.key_id == key_id,
                    AuditorGrantRow.revoked_at.is_(None),
                )
            )
            if existing is not None:
                return _grant_record(existing), False
            row = AuditorGrantRow(
                project_id=project_id,
                key_id=key_id,
                granted_by=granted_by,
                granted_by_key=granted_by_key,
                granted_at=time.time() if at is None else at,
                revoked_at=None,
                revoked_by=None,
            )
            session.add(row)
            session.flush()
            return _grant_record(row), True

    def revoke_auditor_grant(
        self, project_id: int, key_id: str, *, revoked_by: str
    ) -> AuditorGrantRecord | None:
        """End the grant in force of `key_id` on the project; None if there is none."""
        with self._db.transaction() as session:
            row = session.scalar(
                select(AuditorGrantRow).where(
                    AuditorGrantRow.project_id == project_id,
                    AuditorGrantRow.key_id == key_id,
                    AuditorGrantRow.revoked_at.is_(None),
                )
            )
            if row is None:
                return None
            row.revoked_at = time.time()
            row.revoked_by = revoked_by
            session.flush()
            return _grant_record(row)

    def auditor_grants(self, project_id: int) -> tuple[AuditorGrantRecord, ...]:
        """Every grant of the project, the revoked ones included, oldest first."""
        with self._db.session() as session:
            rows = session.scalars(
                select(AuditorGrantRow)
                .where(AuditorGrantRow.project_id == project_id)
                .order_by(AuditorGrantRow.id)
            ).all()
            return tuple(_grant_record(r) for r in rows)

    def granted_projects(self, key_id: str) -> frozenset[int]:
        """The projects key `key_id` holds a grant in force on."""
        with self._db.read() as conn:
            rows = conn.execute(_GRANTED_PROJECTS, {"key_id": key_id}).scalars()
            return frozenset(int(r) for r in rows)

    def has_auditor_grant(self, project_id: int, key_id: str) -> bool:
        """Whether key `key_id` holds a grant in force on the project."""
        with self._db.read() as conn:
            params = {"key_id": key_id, "project_id": project_id}
            return conn.execute(_HAS_GRANT, params).first() is not None

    def carry_auditor_grants(self, from_key: str, to_key: str) -> int:
        """Give `to_key` (a rotation's replacement) the grants in force of `from_key`, with
        their granter and time; return how many."""
        with self._db.transaction() as session:
            rows = session.scalars(
                select(AuditorGrantRow).where(
                    AuditorGrantRow.key_id == from_key, AuditorGrantRow.revoked_at.is_(None)
                )
            ).all()
            for row in rows:
                session.add(
                    AuditorGrantRow(
                        project_id=row.project_id,
                        key_id=to_key,
                        granted_by=row.granted_by,
                        granted_by_key=row.granted_by_key,
                        granted_at=row.granted_at,
                        revoked_at=None,
                        revoked_by=None,
                    )
                )
            return len(rows)


def _key_record(row: ApiKeyRow) -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id=row.key_id,
        key_hash=row.key_hash,
        partner=row.partner,
        role=row.role,
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        replaced_by=row.replaced_by,
    )


def _grant_record(row: AuditorGrantRow) -> AuditorGrantRecord:
    return AuditorGrantRecord(
        id=row.id,
        project_id=row.project_id,
        key_id=row.key_id,
        granted_by=row.granted_by,
        granted_by_key=row.granted_by_key,
        granted_at=row.granted_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
    )
