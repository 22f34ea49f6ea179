"""Timestamps fetched later: the durable queue of registrations awaiting an RFC 3161 token,
and the job that asks the TSA for them.

A registration never waits for the TSA. It is accepted and lands on chain whatever the TSA
does; once its block is known, the registration is put in this queue, and `TimestampJob` asks
the TSA for a token over it (`ledger.evidence.timestamps`), retrying with a growing pause while
the TSA is down, until it has one. A bundle built before that simply has no token yet; one
built after carries it.

Where the queue lives: the **outbox database** (`outbox.sqlite3`, or the outbox's PostgreSQL
database), the durable one beside the API keys and accepted writes, never the index that is
rebuilt from the chain. A token *can* be asked for again, but a new one carries a later time,
and the time is the whole point of a timestamp: the first token of a registration proves more
than any later one, so it is kept as carefully as an accepted write. The pending rows would be
cheap to rebuild (every registration without a token), but they sit in the same table so that
"asked since" and the failures stay visible while a TSA is down. A token stored here is never
replaced: a later, weaker one is not kept.

Rows are keyed by (contribution id, block hash): after a reorg moves a registration to another
block, that block gets its own token (the message names the block hash).

`TimestampQueue` works on any SQLAlchemy engine (SQLite or PostgreSQL); its one table lives in
`TIMESTAMP_METADATA`. `TimestampJob.run_once()` does one round; `run(stop)` loops until `stop`;
the background process (`poc.background`) runs it. It lives with the evidence, not in
`ledger.sync`, because it obtains evidence: it needs the TSA client and the message format of
`ledger.evidence.timestamps`, and nothing of the chain.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from eth_utils.address import to_checksum_address
from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    and_,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from ledger.errors import LedgerError, TimestampError, TsaUnavailableError
from ledger.evidence.timestamps import RegistrationSubject, TimestampToken, TsaClient
from ledger.store import Store
from ledger.store.records import ContributionFilter

log = logging.getLogger(__name__)

PENDING: Final = "pending"
STAMPED: Final = "stamped"
# Pauses after failures: 5 s, 10 s, 20 s, ... at most an hour.
DEFAULT_BACKOFF: Final = 5.0
DEFAULT_BACKOFF_MAX: Final = 3600.0
DEFAULT_BATCH: Final = 50

TIMESTAMP_METADATA: Final = MetaData()
TIMESTAMPS_TABLE: Final = Table(
    "registration_timestamps",
    TIMESTAMP_METADATA,
    Column("contribution_id", String(66), primary_key=True),
    Column("block_hash", String(66), primary_key=True),
    Column("block_number", BigInteger, nullable=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("contract", String(42), nullable=False),
    Column("commitment", String(66), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False),
    Column("last_error", Text),
    # The TSA's DER TimeStampResp, as it sent it.
    Column("response", LargeBinary),
    Column("gen_time", Float),
    Column("tsa_url", Text),
    Column("created_at", Float, nullable=False),
    Column("stamped_at", Float),
    Index("ix_registration_timestamps_due", "status", "next_attempt_at"),
)


class TimestampQueueError(LedgerError):
    """Raised when the timestamp queue's database cannot be read or written."""


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


@dataclass(frozen=True)
class PendingTimestamp:
    """A registration still without a token."""

    subject: RegistrationSubject
    block_number: int
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class StoredTimestamp:
    """A registration's token as kept in the queue."""

    contribution_id: bytes
    block_hash: bytes
    block_number: int
    token: TimestampToken
    tsa_url: str
    stamped_at: float


@dataclass(frozen=True)
class QueueCounts:
    """How many registrations wait for a token, and since when the oldest does."""

    pending: int
    stamped: int
    oldest_pending_since: float | None


class TimestampQueue:
    """The registrations to timestamp and their tokens, in one table (module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self) -> None:
        """Create the table if it does not exist."""
        with _translating():
            TIMESTAMP_METADATA.create_all(self.engine)

    # -- writing ------------------------------------------------------------------------------

    def enqueue(
        self, items: Iterable[tuple[RegistrationSubject, int]], *, now: float | None = None
    ) -> int:
        """Queue each (registration, block number) not queued yet; return how many were new.
        A registration already queued or stamped is left as it is."""
        moment = time.time() if now is None else now
        rows = [
            {
                "contribution_id": _hex(subject.contribution_id),
                "block_hash": _hex(subject.block_hash),
                "block_number": block_number,
                "chain_id": subject.chain_id,
                "contract": subject.contract,
                "commitment": _hex(subject.commitment),
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": moment,
                "created_at": moment,
            }
            for subject, block_number in items
        ]
        added = 0
        with _translating(), self.engine.begin() as conn:
            statement = _insert_new(self.engine.dialect.name)
            for row in rows:
                # RETURNING names the row if it was stored (rowcount is -1 on psycopg here).
                added += len(conn.execute(statement, row).all())
        return added

    def record_token(
        self, subject: RegistrationSubject, token: TimestampToken, *, tsa_url: str, now: float
    ) -> bool:
        """Keep `token` for the registration unless it already has one; whether it was kept."""
        with _translating(), self.engine.begin() as conn:
            result = conn.execute(
                update(TIMESTAMPS_TABLE)
                .where(_is(subject), TIMESTAMPS_TABLE.c.status == PENDING)
                .values(
                    status=STAMPED,
                    response=token.response,
                    gen_time=token.gen_time.timestamp(),
                    tsa_url=tsa_url,
                    stamped_at=now,
                    last_error=None,
                    attempts=TIMESTAMPS_TABLE.c.attempts + 1,
                )
            )
            return bool(result.rowcount)

    def record_failure(self, subject: RegistrationSubject, error: str, *, retry_at: float) -> None:
        """Note a failed attempt and when to try again."""
        with _translating(), self.engine.begin() as conn:
            conn.execute(
                update(TIMESTAMPS_TABLE)
                .where(_is(subject), TIMESTAMPS_TABLE.c.status == PENDING)
                .values(
                    attempts=TIMESTAMPS_TABLE.c.attempts + 1,
                    last_error=error[:2000],
                    next_attempt_at=retry_at,
                )
            )

    # -- reading ------------------------------------------------------------------------------

    def due(self, now: float, limit: int = DEFAULT_BATCH) -> list[PendingTimestamp]:
        """Pending registrations whose next attempt is due, oldest block first."""
        table = TIMESTAMPS_TABLE
        with _translating(), self.engine.connect() as conn:
            rows = conn.execute(
                select(table)
                .where(table.c.status == PENDING, table.c.next_attempt_at <= now)
                .order_by(table.c.block_number, table.c.contribution_id)
                .limit(limit)
            ).mappings()
            return [
                PendingTimestamp(
                    subject=RegistrationSubject(
                        chain_id=int(row["chain_id"]),
                        contract=str(row["contract"]),
                        contribution_id=bytes.fromhex(row["contribution_id"][2:]),
                        commitment=bytes.fromhex(row["commitment"][2:]),
                        block_hash=bytes.fromhex(row["block_hash"][2:]),
                    ),
                    block_number=int(row["block_number"]),
                    attempts=int(row["attempts"]),
                    last_error=row["last_error"],
                )
                for row in rows
            ]

    def pending(self, contribution_id: bytes, block_hash: bytes) -> PendingTimestamp | None:
        """The registration's row while it waits for a token (None once stamped or unknown)."""
        table = TIMESTAMPS_TABLE
        with _translating(), self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(table).where(
                        table.c.contribution_id == _hex(contribution_id),
                        table.c.block_hash == _hex(block_hash),
                        table.c.status == PENDING,
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return PendingTimestamp(
            subject=RegistrationSubject(
                chain_id=int(row["chain_id"]),
                contract=str(row["contract"]),
                contribution_id=contribution_id,
                commitment=bytes.fromhex(row["commitment"][2:]),
                block_hash=block_hash,
            ),
            block_number=int(row["block_number"]),
            attempts=int(row["attempts"]),
            last_error=row["last_error"],
        )

    def token(self, contribution_id: bytes, block_hash: bytes) -> StoredTimestamp | None:
        """The registration's token, if it has one."""
        table = TIMESTAMPS_TABLE
        with _translating(), self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(table).where(
                        table.c.contribution_id == _hex(contribution_id),
                        table.c.block_hash == _hex(block_hash),
                        table.c.status == STAMPED,
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return StoredTimestamp(
            contribution_id=contribution_id,
            block_hash=block_hash,
            block_number=int(row["block_number"]),
            token=TimestampToken.parse(bytes(row["response"])),
            tsa_url=str(row["tsa_url"]),
            stamped_at=float(row["stamped_at"]),
        )

    def counts(self) -> QueueCounts:
        table = TIMESTAMPS_TABLE
        with _translating(), self.engine.connect() as conn:
            rows = conn.execute(
                select(table.c.status, func.count(), func.min(table.c.created_at)).group_by(
                    table.c.status
                )
            ).all()
        by_status = {str(status): (int(n), since) for status, n, since in rows}
        pending, since = by_status.get(PENDING, (0, None))
        return QueueCounts(
            pending=pending,
            stamped=by_status.get(STAMPED, (0, None))[0],
            oldest_pending_since=float(since) if since is not None else None,
        )


def _is(subject: RegistrationSubject) -> ColumnElement[bool]:
    return and_(
        TIMESTAMPS_TABLE.c.contribution_id == _hex(subject.contribution_id),
        TIMESTAMPS_TABLE.c.block_hash == _hex(subject.block_hash),
    )


@contextmanager
def _translating() -> Iterator[None]:
    """Driver errors become TimestampQueueError (the one place they are translated)."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise TimestampQueueError(f"timestamp queue database error: {exc}") from exc


def _insert_new(dialect: str) -> Any:
    """An INSERT that skips a row whose key is taken (queued meanwhile by another process)."""
    key = TIMESTAMPS_TABLE.c.contribution_id
    if dialect == "postgresql":
        return postgresql_insert(TIMESTAMPS_TABLE).on_conflict_do_nothing().returning(key)
    return sqlite_insert(TIMESTAMPS_TABLE).on_conflict_do_nothing().returning(key)


# ------------------------------------------------------------------------------ the feed


class IndexFeed:
    """Queues the registrations the index has seen (`ledger.store`), in chain order.

    It remembers how far it read (the index's `seq`) and the id found there; when the index was
    rebuilt meanwhile (the id is not at that position any more) it reads from the start again,
    which queues nothing twice. A registration reaches the queue a moment after the follower
    indexed it, and never before its block is known.
    """

    def __init__(
        self, store: Store, queue: TimestampQueue, *, chain_id: int, contract: str, page: int = 500
    ) -> None:
        self.store = store
        self.queue = queue
        self.chain_id = chain_id
        self.contract = to_checksum_address(contract)
        self.page = page
        self._after = 0
        self._last_id: str | None = None

    def _still_there(self) -> bool:
        if self._after == 0:
            return True
        found = self.store.index.list_contributions(
            ContributionFilter(), after=self._after - 1, limit=1
        )
        return bool(found.items) and found.items[0].contribution_id == self._last_id

    def run_once(self, *, now: float | None = None) -> int:
        """Queue what the index added since the last call; how many were new to the queue."""
        if not self._still_there():
            self._after, self._last_id = 0, None
        added = 0
        while True:
            page = self.store.index.list_contributions(
                ContributionFilter(), after=self._after, limit=self.page
            )
            if not page.items:
                return added
            added += self.queue.enqueue(
                (
                    (
                        RegistrationSubject(
                            chain_id=self.chain_id,
                            contract=self.contract,
                            contribution_id=bytes.fromhex(item.contribution_id[2:]),
                            commitment=bytes.fromhex(item.commitment[2:]),
                            block_hash=bytes.fromhex(item.block_hash[2:]),
                        ),
                        item.block_number,
                    )
                    for item in page.items
                ),
                now=now,
            )
            self._after, self._last_id = page.items[-1].seq, page.items[-1].contribution_id
            if page.next_cursor is None:
                return added


# ------------------------------------------------------------------------------ the job


@dataclass(frozen=True)
class RoundResult:
    """What one round of the job did."""

    stamped: int
    failed: int
    deferred: int
    tsa_unavailable: bool
    last_error: str | None


class TimestampJob:
    """Asks the TSA for the tokens the queue waits for (see the module docstring).

    One round (`run_once`) takes the due registrations in block order. A token that comes back
    and verifies (the client checks it against its trust anchors) is kept. A TSA that cannot be
    reached or answers an HTTP error ends the round: the registration tried waits
    `backoff * 2**(attempts-1)` seconds (at most `backoff_max`), the rest stay due for the next
    round, so an outage costs one request a round. An answer that is no valid token (the TSA
    misbehaving or misconfigured) sets that registration back the same way and the round goes
    on. Either way it is logged and left in the row's `last_error`.
    """

    def __init__(
        self,
        queue: TimestampQueue,
        client: TsaClient,
        *,
        batch: int = DEFAULT_BATCH,
        backoff: float = DEFAULT_BACKOFF,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        clock: Callable[[], float] = time.time,
        feed: IndexFeed | None = None,
    ) -> None:
        self.queue = queue
        self.client = client
        self.feed = feed
        self.batch = batch
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.clock = clock

    def _retry_at(self, now: float, attempts: int) -> float:
        pause: float = self.backoff * 2.0 ** max(0, attempts)
        return now + min(self.backoff_max, pause)

    def run_once(self) -> RoundResult:
        """One round (the feed first, if any); never raises for a TSA problem (the databases
        may)."""
        now = self.clock()
        if self.feed is not None:
            self.feed.run_once(now=now)
        due = self.queue.due(now, self.batch)
        stamped = failed = 0
        last_error: str | None = None
        for position, item in enumerate(due):
            try:
                token = self.client.timestamp(item.subject.message())
            except TsaUnavailableError as exc:
                last_error = str(exc)
                self.queue.record_failure(
                    item.subject, last_error, retry_at=self._retry_at(now, item.attempts)
                )
                log.warning("timestamp authority unavailable, %d waiting: %s", len(due), exc)
                return RoundResult(stamped, failed + 1, len(due) - position - 1, True, last_error)
            except TimestampError as exc:
                last_error = str(exc)
                failed += 1
                self.queue.record_failure(
                    item.subject, last_error, retry_at=self._retry_at(now, item.attempts)
                )
                log.error(
                    "no valid timestamp for contribution %s: %s",
                    _hex(item.subject.contribution_id),
                    exc,
                )
                continue
            if self.queue.record_token(item.subject, token, tsa_url=self.client.url, now=now):
                stamped += 1
        return RoundResult(stamped, failed, 0, False, last_error)

    def run(self, stop: threading.Event, *, interval: float = 5.0) -> None:
        """Rounds every `interval` seconds (at once again after a full batch) until `stop`."""
        while not stop.is_set():
            try:
                result = self.run_once()
                busy = result.stamped >= self.batch
            except LedgerError as exc:
                log.error("timestamp round failed: %s", exc)
                busy = False
            if not busy:
                stop.wait(interval)
