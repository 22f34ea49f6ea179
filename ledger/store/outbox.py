"""The outbox: accepted writes, stored durably before anything is sent (`Outbox`).

An operation row is written when the API accepts a write (202), then moved along by the
outbox worker (`ledger.sync.outbox`): sent, included, confirmed, or failed. Its unique keys
decide what a repeated request gets: the same idempotency key or partner signature returns the
first operation, one on-chain action has at most one live operation (`dedupe_key`), and one
signer's nonce is held by at most one live operation (`nonce_key`).
The durable database holds it, apart from the index: the chain cannot give it back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as _postgresql_insert
from sqlalchemy.dialects.sqlite import insert as _sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from ledger.errors import StoreError
from ledger.store.engine import Database, DurableBase, in_byte_order, rowcount


class OperationRow(DurableBase):
    """An accepted write: stored first, then sent and confirmed by the outbox worker."""

    __tablename__ = "operations"
    __table_args__ = (
        UniqueConstraint("actor", "idempotency_key", name="uq_operation_idempotency"),
        Index("ix_operations_status", "status", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(48))
    actor: Mapped[str] = mapped_column(String(42), index=True)
    project_id: Mapped[int | None] = mapped_column(BigInteger)
    api_key_id: Mapped[str | None] = mapped_column(String(32))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    # The on-chain action the operation performs (e.g. one partner's endorsement of one
    # contribution), held while it is pending or confirmed: unique, so that one action has one
    # live operation. A failed operation lets go of it (NULL), so it never blocks a new attempt.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    payload_json: Mapped[str] = mapped_column(Text)
    # What the API needs to answer about the operation later (e.g. a batch's Merkle tree).
    meta_json: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    tx_hash: Mapped[str | None] = mapped_column(String(66), index=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    block_hash: Mapped[str | None] = mapped_column(String(66))
    result_json: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    sent_at: Mapped[float | None] = mapped_column(Float)
    mined_at: Mapped[float | None] = mapped_column(Float)
    # The request itself when it carries a partner's signature (a hash of it): the same
    # signature posted again is the same operation, whatever became of it. Added after the
    # first release: `upgrade` adds it to older databases.
    attempt_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    # The signed call's nonce ("contract:signer:nonce"), held while the operation is pending or
    # confirmed, let go (NULL) when it fails, as `dedupe_key`. A contract accepts a nonce once:
    # of two different live operations signed with one nonce only one could land, and the
    # other's "nonce used" revert would read like an earlier landing of itself. Added after
    # `attempt_key`, by `upgrade` too.
    nonce_key: Mapped[str | None] = mapped_column(String(160), unique=True)


_OP_TABLE = cast(Table, OperationRow.__table__)

# The statements of the accept path, built once: building a Core statement per call costs
# more than running it on SQLite.
_BY_IDEMPOTENCY_KEY = select(_OP_TABLE).where(
    _OP_TABLE.c.actor == bindparam("actor"), _OP_TABLE.c.idempotency_key == bindparam("key")
)
_BY_DEDUPE_KEY = select(_OP_TABLE).where(_OP_TABLE.c.dedupe_key == bindparam("key"))
_BY_ATTEMPT_KEY = select(_OP_TABLE).where(_OP_TABLE.c.attempt_key == bindparam("key"))
_BY_NONCE_KEY = select(_OP_TABLE).where(_OP_TABLE.c.nonce_key == bindparam("key"))
_PENDING_OF_ACTOR = (
    select(_OP_TABLE.c.id)
    # `actor || ''` keeps SQLite off the actor index, which walks the actor's whole history;
    # the few pending operations are found by the status index instead.
    .where(
        _OP_TABLE.c.status.in_(("accepted", "sent", "included")),
        _OP_TABLE.c.actor.concat("") == bindparam("actor"),
    )
    .limit(1)
)
_PENDING_OF_ACTOR_IN_PROJECT = _PENDING_OF_ACTOR.where(
    _OP_TABLE.c.project_id == bindparam("project_id")
)
# Several rows in one statement; a row that clashes with a unique key is skipped, and
# RETURNING names the rows stored.
_INSERT_NEW_OPERATIONS = {
    "sqlite": _sqlite_insert(_OP_TABLE).on_conflict_do_nothing().returning(_OP_TABLE.c.id),
    "postgresql": _postgresql_insert(_OP_TABLE).on_conflict_do_nothing().returning(_OP_TABLE.c.id),
}


@dataclass(frozen=True)
class OperationRecord:
    id: str
    kind: str
    actor: str
    project_id: int | None
    api_key_id: str | None
    idempotency_key: str | None
    request_hash: str
    dedupe_key: str | None
    payload_json: str
    meta_json: str | None
    status: str
    tx_hash: str | None
    block_number: int | None
    block_hash: str | None
    result_json: str | None
    error_code: str | None
    error_message: str | None
    attempts: int
    created_at: float
    updated_at: float
    sent_at: float | None
    mined_at: float | None
    attempt_key: str | None = None
    nonce_key: str | None = None


def nonce_key_of(contract: str, signer: str | None, nonce: int | None) -> str | None:
    """The `nonce_key` of a call signed by `signer` with `nonce` (None for an unsigned call)."""
    if signer is None or nonce is None:
        return None
    return f"{contract}:{signer.lower()}:{nonce}"


@dataclass(frozen=True)
class OperationMatches:
    """The stored operations a new request may repeat, by what they share with it."""

    #: The caller's operation with the request's Idempotency-Key.
    by_idempotency_key: OperationRecord | None = None
    #: The operation of the request's partner signature.
    by_attempt_key: OperationRecord | None = None
    #: The live (pending or confirmed) operation of the request's on-chain action.
    by_dedupe_key: OperationRecord | None = None
    #: The live operation signed with the request's nonce: not a repeat, a clash (unless one
    #: of the matches above is the same operation).
    by_nonce_key: OperationRecord | None = None

    @property
    def any(self) -> OperationRecord | None:
        """The first match, in that order."""
        return self.by_idempotency_key or self.by_attempt_key or self.by_dedupe_key


@dataclass
class _PendingInsert:
    """An operation waiting in `Store.add_operation`'s group commit."""

    op: OperationRecord
    done: bool = False
    stored: bool = False
    error: str | None = None


class Outbox:
    """The accepted writes in the durable database; thread-safe (one `Store` holds one)."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._accepting = threading.Condition()
        self._accept_queue: list[_PendingInsert] = []
        self._accept_busy = False

    def add_operation(self, op: OperationRecord) -> OperationRecord:
        """Store an accepted operation durably; on an idempotency or dedupe clash return the
        existing one. Returns once the operation is committed (on SQLite: synced to disk).

        Group commit: the thread that finds no commit in progress writes every operation
        queued so far in one transaction while the others wait, so many concurrent requests
        share one commit (and one fsync) instead of queueing for one each. The unique
        constraints decide clashes: of two identical requests one row is stored and the other
        request finds it.
        """
        pending = _PendingInsert(op)
        batch: list[_PendingInsert] = []
        with self._accepting:
            self._accept_queue.append(pending)
            while self._accept_busy and not pending.done:
                self._accepting.wait()
            if not pending.done:
                batch, self._accept_queue = self._accept_queue, []
                self._accept_busy = True
        if batch:
            stored: set[str] = set()
            error: str | None = None
            try:
                stored = self._insert_operations([p.op for p in batch])
            except StoreError as exc:
                error = str(exc)
            finally:
                with self._accepting:
                    for item in batch:
                        item.done, item.stored, item.error = True, item.op.id in stored, error
                    self._accept_busy = False
                    self._accepting.notify_all()
        if pending.error is not None:
            raise StoreError(pending.error)
        if pending.stored:
            return op
        matches = self.matching_operations(
            actor=op.actor,
            idempotency_key=op.idempotency_key,
            dedupe_key=op.dedupe_key,
            attempt_key=op.attempt_key,
            nonce_key=op.nonce_key,
        )
        existing = matches.any or matches.by_nonce_key
        if existing is None:
            raise StoreError(f"operation {op.id} clashed with one that cannot be found")
        return existing

    def _insert_operations(self, ops: Sequence[OperationRecord]) -> set[str]:
        """Insert `ops` in one transaction, skipping any that clash; return the ids stored."""
        statement = _INSERT_NEW_OPERATIONS.get(self._db.dialect)
        if statement is None:
            raise StoreError(f"storing operations on {self._db.dialect} is not supported")
        with self._db.guard(), self._db.accept_engine.begin() as conn:
            result = conn.execute(statement, [_op_columns(op) for op in ops])
            return {str(op_id) for op_id in result.scalars()}

    def find_operation(
        self,
        *,
        actor: str,
        idempotency_key: str | None = None,
        dedupe_key: str | None = None,
        attempt_key: str | None = None,
    ) -> OperationRecord | None:
        """The operation with this idempotency key (of `actor`), this attempt key or this
        dedupe key (in that order of preference)."""
        return self.matching_operations(
            actor=actor,
            idempotency_key=idempotency_key,
            dedupe_key=dedupe_key,
            attempt_key=attempt_key,
        ).any

    def matching_operations(
        self,
        *,
        actor: str,
        idempotency_key: str | None = None,
        dedupe_key: str | None = None,
        attempt_key: str | None = None,
        nonce_key: str | None = None,
    ) -> OperationMatches:
        """The operations a request with these keys may repeat or clash with, each key looked
        up alone."""
        lookups = (
            ("by_idempotency_key", _BY_IDEMPOTENCY_KEY, {"actor": actor, "key": idempotency_key}),
            ("by_attempt_key", _BY_ATTEMPT_KEY, {"key": attempt_key}),
            ("by_dedupe_key", _BY_DEDUPE_KEY, {"key": dedupe_key}),
            ("by_nonce_key", _BY_NONCE_KEY, {"key": nonce_key}),
        )
        found: dict[str, OperationRecord | None] = {}
        with self._db.read() as conn:
            for name, statement, params in lookups:
                if params["key"] is None:
                    continue
                row = conn.execute(statement, params).mappings().first()
                found[name] = None if row is None else OperationRecord(**dict(row))
        return OperationMatches(**found)

    def release_action(self, op_id: str) -> bool:
        """Let a failed operation go of its action (`dedupe_key`) and nonce (`nonce_key`), so
        that a new attempt can take them; False if the operation is not failed or holds no
        action."""
        with self._db.guard(), self._db.engine.begin() as conn:
            result = conn.execute(
                _OP_TABLE.update()
                .where(
                    _OP_TABLE.c.id == op_id,
                    _OP_TABLE.c.status == "failed",
                    _OP_TABLE.c.dedupe_key.is_not(None) | _OP_TABLE.c.nonce_key.is_not(None),
                )
                .values(dedupe_key=None, nonce_key=None, updated_at=time.time())
            )
            return bool(rowcount(result))

    def operation(self, op_id: str) -> OperationRecord | None:
        """An operation by id."""
        with self._db.session() as session:
            row = session.get(OperationRow, op_id)
            return None if row is None else _op_record(row)

    def operations_in(
        self, statuses: Sequence[str], *, limit: int = 500, updated_after: float | None = None
    ) -> tuple[OperationRecord, ...]:
        """Operations in any of `statuses` (changed after a time), oldest first."""
        with self._db.session() as session:
            query = select(OperationRow).where(OperationRow.status.in_(list(statuses)))
            if updated_after is not None:
                query = query.where(OperationRow.updated_at > updated_after)
            rows = session.scalars(
                query.order_by(OperationRow.created_at, in_byte_order(OperationRow.id)).limit(limit)
            ).all()
            return tuple(_op_record(r) for r in rows)

    def pending_operations(self, actor: str, project_id: int | None = None) -> int:
        """How many operations of `actor` (in a project) are not final yet."""
        table = OperationRow.__table__
        query = (
            select(func.count())
            .select_from(table)
            .where(table.c.actor == actor, table.c.status.in_(["accepted", "sent", "included"]))
        )
        if project_id is not None:
            query = query.where(table.c.project_id == project_id)
        with self._db.read() as conn:
            return int(conn.execute(query).scalar() or 0)

    def has_pending_operation(self, actor: str, project_id: int | None = None) -> bool:
        """Whether `actor` (in a project) has an operation that is not final yet (every
        write asks: a short query however long the actor's history)."""
        query = _PENDING_OF_ACTOR if project_id is None else _PENDING_OF_ACTOR_IN_PROJECT
        with self._db.read() as conn:
            params = {"actor": actor, "project_id": project_id}
            return conn.execute(query, params).first() is not None

    def list_operations(
        self, *, actor: str | None, status: str | None = None, after: str = "", limit: int = 50
    ) -> tuple[OperationRecord, ...]:
        """Operations (of one actor, or all), newest first."""
        with self._db.session() as session:
            query = select(OperationRow)
            if actor is not None:
                query = query.where(OperationRow.actor == actor)
            if status is not None:
                query = query.where(OperationRow.status == status)
            rows = session.scalars(
                query.order_by(
                    OperationRow.created_at.desc(), in_byte_order(OperationRow.id)
                ).limit(limit)
            ).all()
            return tuple(_op_record(r) for r in rows)

    def count_operations(self) -> Mapping[str, int]:
        """Number of operations per status."""
        with self._db.session() as session:
            rows = session.execute(
                select(OperationRow.status, func.count()).group_by(OperationRow.status)
            ).all()
            return {str(status): int(count) for status, count in rows}

    def update_operations(self, changes: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """Apply column changes to several operations in one transaction.

        Changes with the same columns share one executemany statement: the worker updates
        hundreds of operations per round while requests wait for the write lock.
        """
        if not changes:
            return
        now = time.time()
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for op_id, values in changes:
            columns = tuple(sorted(values))
            groups.setdefault(columns, []).append({**values, "op_id": op_id, "updated_at": now})
        with self._db.guard(), self._db.engine.begin() as conn:
            for columns, rows in groups.items():
                statement = (
                    _OP_TABLE.update()
                    .where(_OP_TABLE.c.id == bindparam("op_id"))
                    .values({name: bindparam(name) for name in (*columns, "updated_at")})
                )
                conn.execute(statement, rows)


def upgrade(database: Database) -> None:
    """Bring an `operations` table written by an older release up to this one (idempotent,
    run at every open): add the `attempt_key` and `nonce_key` columns with their unique
    indexes, and have failed operations let go of their action (`dedupe_key`), which older
    releases kept, so that one failed attempt blocked every new one. Operations stored before
    `nonce_key` existed hold none: a clash with one of them is left to the chain."""
    if _OP_TABLE.name not in database.table_names():
        return
    with database.guard(), database.engine.begin() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns(_OP_TABLE.name)}
        # Other processes opening the store at the same time: SQLite's writers queue on the
        # guard's file lock; PostgreSQL's skip what another one already did.
        maybe = " IF NOT EXISTS" if database.dialect == "postgresql" else ""
        for column, size in (("attempt_key", 80), ("nonce_key", 160)):
            if column in columns:
                continue
            conn.execute(text(f"ALTER TABLE operations ADD COLUMN{maybe} {column} VARCHAR({size})"))
            conn.execute(
                text(
                    f"CREATE UNIQUE INDEX IF NOT EXISTS uq_operations_{column} "
                    f"ON operations ({column})"
                )
            )
        conn.execute(
            _OP_TABLE.update()
            .where(_OP_TABLE.c.status == "failed", _OP_TABLE.c.dedupe_key.is_not(None))
            .values(dedupe_key=None)
        )


_OP_FIELDS = (
    "id",
    "kind",
    "actor",
    "project_id",
    "api_key_id",
    "idempotency_key",
    "request_hash",
    "dedupe_key",
    "payload_json",
    "meta_json",
    "status",
    "tx_hash",
    "block_number",
    "block_hash",
    "result_json",
    "error_code",
    "error_message",
    "attempts",
    "created_at",
    "updated_at",
    "sent_at",
    "mined_at",
    "attempt_key",
    "nonce_key",
)


def _op_columns(op: OperationRecord) -> dict[str, Any]:
    return {name: getattr(op, name) for name in _OP_FIELDS}


def _op_record(row: OperationRow) -> OperationRecord:
    return OperationRecord(**{name: getattr(row, name) for name in _OP_FIELDS})
