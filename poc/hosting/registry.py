"""The platform's own records: workspaces, invitations, sessions and the operator's audit log.

One SQLAlchemy Core schema on the platform's database (PostgreSQL in production, SQLite in
tests and on a laptop). Secrets (invitation codes, session tokens) are stored as their SHA-256
only: the plaintext exists in the answer that issued it. The audit log is append-only: the code
never updates or deletes a row, and a trigger refuses it on both databases.

Times are UNIX seconds (float), as the API's key store keeps them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from ledger.errors import ConfigurationError

SLUG_PATTERN: Final = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
#: Names that are the platform's, never a workspace's.
RESERVED_SLUGS: Final = frozenset({"www", "operator", "api", "static", "platform", "admin"})
DAY: Final = 24 * 3600.0

metadata = MetaData()

workspaces_table = Table(
    "host_workspaces",
    metadata,
    Column("slug", String(32), primary_key=True),
    Column("owner_name", String(200), nullable=False),
    Column("owner_email", String(320), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("status", String(16), nullable=False),
    Column("last_activity", Float, nullable=True),
    Column("storage_bytes", Integer, nullable=False, default=0),
    Column("requests", Integer, nullable=False, default=0),
    Column("warned_at", Float, nullable=True),
    # Quotas of this workspace; NULL: the platform's defaults.
    Column("max_contributions", Integer, nullable=True),
    Column("max_storage_bytes", Integer, nullable=True),
    Column("requests_per_minute", Integer, nullable=True),
    # Bumped by every wipe and reset: an API process drops what it built on the workspace's
    # earlier data when the number it built under is lower (docs/hosting.md, "Processes").
    Column("generation", Integer, nullable=False, default=0, server_default="0"),
    # The TCP port of the workspace's node, kept across idle stops so that its URL stays.
    Column("node_port", Integer, nullable=True),
)

#: The advisory lock key under which the schema is created (any fixed 64-bit number).
_SCHEMA_LOCK: Final = 0x706F63686F7374  # "pochost"
#: Columns added after the first schema, with their DDL type (added to an older table).
_ADDED_COLUMNS: Final = {
    "generation": "INTEGER NOT NULL DEFAULT 0",
    "node_port": "INTEGER",
}

invitations_table = Table(
    "host_invitations",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("slug", String(32), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float, nullable=True),
)

sessions_table = Table(
    "host_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("slug", String(32), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
)

audit_table = Table(
    "host_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("slug", String(32), nullable=True),
    Column("detail", Text, nullable=False, default="{}"),
)

_APPEND_ONLY_SQLITE: Final = (
    "CREATE TRIGGER IF NOT EXISTS host_audit_no_update BEFORE UPDATE ON host_audit "
    "BEGIN SELECT RAISE(ABORT, 'host_audit is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS host_audit_no_delete BEFORE DELETE ON host_audit "
    "BEGIN SELECT RAISE(ABORT, 'host_audit is append-only'); END",
)
_APPEND_ONLY_POSTGRES: Final = (
    "CREATE OR REPLACE FUNCTION host_audit_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'host_audit is append-only'; END $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS host_audit_append_only ON host_audit",
    "CREATE TRIGGER host_audit_append_only BEFORE UPDATE OR DELETE ON host_audit "
    "FOR EACH ROW EXECUTE FUNCTION host_audit_append_only()",
)


class WorkspaceStatus(StrEnum):
    """Where a workspace is in its life."""

    ACTIVE = "active"
    SUSPENDED = "suspended"  # by the operator: every request refused, data kept
    WIPED = "wiped"  # expired or wiped: nothing left but this row and the audit log


@dataclass(frozen=True)
class Workspace:
    """One workspace as the platform records it."""

    slug: str
    owner_name: str
    owner_email: str
    created_at: float
    expires_at: float
    status: WorkspaceStatus
    last_activity: float | None
    storage_bytes: int
    requests: int
    warned_at: float | None
    max_contributions: int | None
    max_storage_bytes: int | None
    requests_per_minute: int | None
    generation: int = 0
    node_port: int | None = None

    def days_left(self, now: float | None = None) -> float:
        return (self.expires_at - (time.time() if now is None else now)) / DAY


@dataclass(frozen=True)
class AuditEntry:
    """One operator (or platform) action, as the audit log keeps it."""

    id: int
    at: float
    actor: str
    action: str
    slug: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class Redeemed:
    """An invitation redeemed: the workspace and the session it opened."""

    slug: str
    session_token: str


def digest(secret: str) -> str:
    """The stored form of an invitation code or a session token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def csrf_of(session_token: str) -> str:
    """The anti-forgery value of a session: derived from the token, so nothing more is stored;
    a page of the workspace holds it, another site's page cannot read it."""
    return hmac.new(session_token.encode(), b"poc-host-csrf", hashlib.sha256).hexdigest()[:32]


def check_slug(slug: str) -> str:
    """`slug` if it may name a workspace; ConfigurationError (-> 422) otherwise."""
    if not SLUG_PATTERN.fullmatch(slug) or slug in RESERVED_SLUGS or "--" in slug:
        raise ConfigurationError(
            "a workspace name is 3-32 lowercase letters, digits and single hyphens, starting "
            "with a letter"
        )
    return slug


class Registry:
    """The platform's tables on one engine; thread-safe (SQLAlchemy's pool)."""

    def __init__(self, url: str) -> None:
        kwargs: dict[str, Any] = {"future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_wal)
        self._create_schema()

    def _create_schema(self) -> None:
        """The tables, added columns and triggers, once: the split's processes start together,
        so on PostgreSQL one transaction-scoped advisory lock lets one of them create them; on
        SQLite a process that lost the race tries again (the tables are there then)."""
        for attempt in range(5):
            try:
                with self.engine.begin() as conn:
                    statements: tuple[str, ...]
                    if self.engine.dialect.name == "sqlite":
                        statements = _APPEND_ONLY_SQLITE
                    else:
                        conn.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK}
                        )
                        statements = _APPEND_ONLY_POSTGRES
                    metadata.create_all(conn)
                    present = {c["name"] for c in inspect(conn).get_columns("host_workspaces")}
                    for name, ddl in _ADDED_COLUMNS.items():
                        if name not in present:
                            conn.execute(
                                text(f"ALTER TABLE host_workspaces ADD COLUMN {name} {ddl}")
                            )
                    for statement in statements:
                        conn.execute(text(statement))
                return
            except OperationalError:
                if attempt == 4 or self.engine.dialect.name != "sqlite":
                    raise
                time.sleep(0.1 * (attempt + 1))

    def close(self) -> None:
        self.engine.dispose()

    # -- workspaces ----------------------------------------------------------------------------

    def create_workspace(
        self, slug: str, owner_name: str, owner_email: str, *, days: int, now: float | None = None
    ) -> Workspace:
        """A new active workspace; ConflictingWorkspace if the name is taken (even by a wiped
        one: an old link must never open a stranger's workspace)."""
        now = time.time() if now is None else now
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(workspaces_table).values(
                        slug=check_slug(slug),
                        owner_name=owner_name,
                        owner_email=owner_email,
                        created_at=now,
                        expires_at=now + days * DAY,
                        status=WorkspaceStatus.ACTIVE.value,
                        storage_bytes=0,
                        requests=0,
                    )
                )
        except IntegrityError as exc:
            raise WorkspaceTaken(slug) from exc
        workspace = self.workspace(slug)
        assert workspace is not None
        return workspace

    def workspace(self, slug: str) -> Workspace | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(workspaces_table).where(workspaces_table.c.slug == slug)
            ).first()
        return None if row is None else _workspace(row._mapping)

    def workspaces(self) -> list[Workspace]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(workspaces_table).order_by(workspaces_table.c.created_at)
            ).all()
        return [_workspace(row._mapping) for row in rows]

    def update_workspace(self, slug: str, **values: Any) -> None:
        if "status" in values and isinstance(values["status"], WorkspaceStatus):
            values["status"] = values["status"].value
        with self.engine.begin() as conn:
            conn.execute(
                update(workspaces_table).where(workspaces_table.c.slug == slug).values(**values)
            )

    def touch(self, slug: str, requests: int, now: float | None = None) -> None:
        """Record `requests` more requests and the last activity."""
        with self.engine.begin() as conn:
            conn.execute(
                update(workspaces_table)
                .where(workspaces_table.c.slug == slug)
                .values(
                    last_activity=time.time() if now is None else now,
                    requests=workspaces_table.c.requests + requests,
                )
            )

    def bump_generation(self, slug: str) -> int:
        """Count one more wipe or reset of `slug`; the new generation."""
        column = workspaces_table.c.generation
        with self.engine.begin() as conn:
            conn.execute(
                update(workspaces_table)
                .where(workspaces_table.c.slug == slug)
                .values(generation=column + 1)
            )
            value = conn.execute(
                select(column).where(workspaces_table.c.slug == slug)
            ).scalar_one_or_none()
        return int(value or 0)

    def node_ports(self) -> set[int]:
        """The ports recorded for the workspaces' nodes (wiped ones' included: a port once
        given stays that workspace's)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(workspaces_table.c.node_port).where(
                    workspaces_table.c.node_port.is_not(None)
                )
            ).all()
        return {int(row.node_port) for row in rows}

    # -- invitations ---------------------------------------------------------------------------

    def invite(self, slug: str, *, days: int, now: float | None = None) -> str:
        """A new single-use invitation code for `slug` (returned once, stored hashed)."""
        now = time.time() if now is None else now
        code = secrets.token_urlsafe(24)
        with self.engine.begin() as conn:
            conn.execute(
                insert(invitations_table).values(
                    code_hash=digest(code), slug=slug, created_at=now, expires_at=now + days * DAY
                )
            )
        return code

    def redeem(self, code: str, *, session_hours: int, now: float | None = None) -> Redeemed:
        """Use invitation `code` (once) and open a session of its workspace; InvitationRefused
        if the code is unknown, used, expired, or its workspace is not active."""
        now = time.time() if now is None else now
        with self.engine.begin() as conn:
            row = conn.execute(
                select(invitations_table).where(invitations_table.c.code_hash == digest(code))
            ).first()
            if row is None:
                raise InvitationRefused("invitation_unknown")
            if row.used_at is not None:
                raise InvitationRefused("invitation_used")
            if row.expires_at <= now:
                raise InvitationRefused("invitation_expired")
            # Only one redemption wins: the update counts the rows it changed.
            used = conn.execute(
                update(invitations_table)
                .where(invitations_table.c.code_hash == row.code_hash)
                .where(invitations_table.c.used_at.is_(None))
                .values(used_at=now)
            )
            if used.rowcount != 1:
                raise InvitationRefused("invitation_used")
            workspace = conn.execute(
                select(workspaces_table.c.status).where(workspaces_table.c.slug == row.slug)
            ).first()
            if workspace is None or workspace.status != WorkspaceStatus.ACTIVE.value:
                raise InvitationRefused("workspace_unavailable")
            token = secrets.token_urlsafe(32)
            conn.execute(
                insert(sessions_table).values(
                    token_hash=digest(token),
                    slug=row.slug,
                    created_at=now,
                    expires_at=now + session_hours * 3600.0,
                )
            )
        return Redeemed(row.slug, token)

    def invitation_slug(self, code: str) -> str | None:
        """The workspace an invitation code names (used or not), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(invitations_table.c.slug).where(
                    invitations_table.c.code_hash == digest(code)
                )
            ).first()
        return None if row is None else str(row.slug)

    # -- sessions ------------------------------------------------------------------------------

    def session_slug(self, token: str, now: float | None = None) -> str | None:
        """The workspace a live session token belongs to, or None."""
        now = time.time() if now is None else now
        with self.engine.connect() as conn:
            row = conn.execute(
                select(sessions_table.c.slug)
                .where(sessions_table.c.token_hash == digest(token))
                .where(sessions_table.c.revoked_at.is_(None))
                .where(sessions_table.c.expires_at > now)
            ).first()
        return None if row is None else str(row.slug)

    def end_sessions(self, slug: str, now: float | None = None) -> None:
        """Revoke every session of `slug` (suspended, wiped)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(sessions_table)
                .where(sessions_table.c.slug == slug)
                .where(sessions_table.c.revoked_at.is_(None))
                .values(revoked_at=time.time() if now is None else now)
            )

    def end_session(self, token: str, now: float | None = None) -> None:
        """Revoke one session (its owner signed out)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(sessions_table)
                .where(sessions_table.c.token_hash == digest(token))
                .values(revoked_at=time.time() if now is None else now)
            )

    def forget_invitations(self, slug: str) -> None:
        """Drop `slug`'s unused invitations (a wiped workspace is invited to no more)."""
        with self.engine.begin() as conn:
            conn.execute(
                delete(invitations_table)
                .where(invitations_table.c.slug == slug)
                .where(invitations_table.c.used_at.is_(None))
            )

    # -- the audit log -------------------------------------------------------------------------

    def audit(
        self, actor: str, action: str, slug: str | None, detail: dict[str, Any] | None = None
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(audit_table).values(
                    at=time.time(),
                    actor=actor,
                    action=action,
                    slug=slug,
                    detail=json.dumps(detail or {}, sort_keys=True),
                )
            )

    def audit_log(self, limit: int = 200) -> list[AuditEntry]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(audit_table).order_by(audit_table.c.id.desc()).limit(limit)
            ).all()
        return [
            AuditEntry(r.id, r.at, r.actor, r.action, r.slug, json.loads(r.detail)) for r in rows
        ]

    def audit_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(audit_table)).scalar_one())


class WorkspaceTaken(ConfigurationError):
    """Raised when a workspace name is already used (now or before)."""


class InvitationRefused(ConfigurationError):
    """Raised when an invitation cannot be redeemed; `code` says why (a stable error code)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _workspace(row: Any) -> Workspace:
    return Workspace(
        slug=row["slug"],
        owner_name=row["owner_name"],
        owner_email=row["owner_email"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        status=WorkspaceStatus(row["status"]),
        last_activity=row["last_activity"],
        storage_bytes=row["storage_bytes"] or 0,
        requests=row["requests"] or 0,
        warned_at=row["warned_at"],
        max_contributions=row["max_contributions"],
        max_storage_bytes=row["max_storage_bytes"],
        requests_per_minute=row["requests_per_minute"],
        generation=row["generation"] or 0,
        node_port=row["node_port"],
    )


def _sqlite_wal(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
