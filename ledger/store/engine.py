"""One database of the store: its SQLAlchemy engines, its writers' locks, its errors.

The store keeps two databases (`ledger.store.Store`): the index, which the chain can give back,
and the durable one (accepted writes, API keys, auditor grants), which it cannot. `IndexBase`
and `DurableBase` are their declarative bases: a table's base says which database holds it.

`Database` is one of them. On SQLite a file in WAL mode, so that the follower, the outbox
worker and request threads share it, with one writer at a time queued on a lock (a mutex in
this process, an flock across the processes sharing the file), and a driver error that says
the file is no database turned into `CorruptDatabaseError` with what to do about it. On
PostgreSQL a pooled engine; both databases may then be one.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Table, create_engine, event, inspect
from sqlalchemy.dialects.postgresql import insert as _postgresql_insert
from sqlalchemy.dialects.sqlite import insert as _sqlite_insert
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from ledger.errors import ConfigurationError, CorruptDatabaseError, StoreError


class IndexBase(DeclarativeBase):
    """Declarative base of the index's tables: everything the chain can give back."""


class DurableBase(DeclarativeBase):
    """Declarative base of the durable tables: accepted writes, API keys, auditor grants,
    sealed cards and reasons."""


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run while the follower or the worker writes. NORMAL sync (no fsync
    # per commit) survives a crash of the process but may lose the newest commits on a power
    # cut: fine for the index (rebuilt from the chain) and the worker's progress (an operation
    # that falls back to "accepted" is sent again, and the contract refuses the repeat).
    # Accepting an operation is the promise to the client: `_accept_pragmas`.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _accept_pragmas(dbapi_connection: Any, record: Any) -> None:
    _sqlite_pragmas(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    # The connection that stores accepted operations syncs the WAL to disk on every commit:
    # a 202 survives a power cut too. Group commit (`Outbox.add`) pays one fsync
    # for every request that arrived during the previous one.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def parses(url: str) -> bool:
    try:
        make_url(url)
    except SQLAlchemyError:
        return False
    return True


def is_sqlite_file(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")


def insert_ignoring_clashes(dialect: str, table: Table) -> Any:
    """An INSERT of `table` that skips rows clashing with a unique key."""
    if dialect == "sqlite":
        return _sqlite_insert(table).on_conflict_do_nothing()
    if dialect == "postgresql":
        return _postgresql_insert(table).on_conflict_do_nothing()
    raise StoreError(f"copying rows on {dialect} is not supported")


class in_byte_order(FunctionElement[str]):
    """A text column to sort by, compared byte by byte on every database.

    SQLite compares text by bytes; PostgreSQL by its database's collation, which on most
    servers is a language's (en_US.UTF-8: `0xab…` between `0xAa…` and `0xAc…`). Checksummed
    addresses mix cases, so a list sorted by address would come out in another order on such
    a server than on SQLite, and so would everything built from it (pages, exports, evidence).
    On PostgreSQL this adds `COLLATE "C"` (bytes); elsewhere it is the column itself."""

    inherit_cache = True
    name = "in_byte_order"

    def __init__(self, column: ColumnElement[str] | Any) -> None:
        super().__init__(column)


@compiles(in_byte_order)
def _in_byte_order(element: in_byte_order, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(in_byte_order, "postgresql")
def _in_byte_order_postgresql(element: in_byte_order, compiler: SQLCompiler, **kw: Any) -> str:
    return f'({compiler.process(element.clauses, **kw)}) COLLATE "C"'


INDEX_FILE = "index.sqlite3"
OUTBOX_FILE = "outbox.sqlite3"

# SQLite's words for a file it cannot read as a database (SQLITE_NOTADB, SQLITE_CORRUPT).
_CORRUPT_MARKERS = ("file is not a database", "database disk image is malformed")


def default_outbox_path(index_path: Path) -> Path:
    """Where the outbox lives beside a SQLite index file: `outbox.sqlite3` next to
    `index.sqlite3`, `<name>.outbox.sqlite3` next to any other `<name>.sqlite3`."""
    if index_path.name == INDEX_FILE:
        return index_path.with_name(OUTBOX_FILE)
    return index_path.with_name(f"{index_path.stem}.outbox{index_path.suffix or '.sqlite3'}")


class Database:
    """One database of the store: its engines and, on SQLite, its writers' locks.

    `holds` names the groups of tables it keeps ("index", "outbox"), for error messages.
    """

    def __init__(self, url: str, *, holds: tuple[str, ...], echo: bool) -> None:
        self.url = url
        self.holds = holds
        try:
            parsed = make_url(url)
        except SQLAlchemyError as exc:
            raise ConfigurationError(f"invalid database URL: {exc}") from exc
        self.dialect = parsed.get_backend_name()
        self.path: Path | None = None
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.dialect == "sqlite":
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if parsed.database in (None, "", ":memory:"):
                # One shared connection, or every thread would see its own empty database.
                kwargs["poolclass"] = StaticPool
            else:
                self.path = Path(parsed.database)
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # Enough pooled connections for the request threads: opening one runs pragmas.
                kwargs["pool_size"] = 40
                kwargs["max_overflow"] = 20
        else:
            kwargs["pool_pre_ping"] = True
            kwargs["pool_size"] = 20
            kwargs["max_overflow"] = 40
        self.existed = self.path is None or self.path.exists()
        self.engine: Engine = create_engine(url, **kwargs)
        # Accepted operations are stored through their own connection (`Outbox.add_operation`).
        self.accept_engine = self.engine
        # SQLite allows one writer. Our writers queue on a lock rather than on SQLite's busy
        # handler, which polls with sleeps of up to 100 ms: in this process a mutex, across
        # the processes sharing the file (uvicorn workers) an flock next to it, whose waiters
        # the kernel wakes the moment it is released.
        self.write_lock = threading.RLock() if self.dialect == "sqlite" else None
        self._write_depth = 0
        self._lock_file: IO[bytes] | None = None
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            if self.path is not None:
                if "outbox" in holds:
                    self.accept_engine = create_engine(
                        url, echo=echo, connect_args=kwargs["connect_args"], pool_size=1
                    )
                    event.listen(self.accept_engine, "connect", _accept_pragmas)
                # Open for the life of the store (closed by `close`).
                self._lock_file = Path(f"{self.path}-writer.lock").open("ab")  # noqa: SIM115
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()
        if self.accept_engine is not self.engine:
            self.accept_engine.dispose()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def error(self, exc: SQLAlchemyError) -> StoreError:
        """Our exception for a driver error on this database."""
        text = str(getattr(exc, "orig", None) or exc)
        if self.path is not None and any(marker in text for marker in _CORRUPT_MARKERS):
            return CorruptDatabaseError(
                _corrupt_advice(self, text), path=self.path, holds=self.holds
            )
        return StoreError(f"database error: {exc}")

    @contextmanager
    def translating(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            raise self.error(exc) from exc

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Hold the writers' locks (SQLite) and translate driver errors."""
        with self.translating():
            if self.write_lock is None:
                yield
            else:
                with self.write_lock, self._file_lock():
                    yield

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """The cross-process writer lock; taken with `write_lock` held (and re-entrant with
        it: an flock belongs to the open file, so only the outermost level may unlock)."""
        if self._lock_file is None:
            yield
            return
        self._write_depth += 1
        try:
            if self._write_depth == 1:
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX)
            yield
        finally:
            self._write_depth -= 1
            if self._write_depth == 0:
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A Core connection for hot-path reads (no ORM session overhead)."""
        with self.translating(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session (no commit)."""
        with self.translating(), self.sessions() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session committed on success, rolled back on error."""
        with self.guard(), self.sessions() as session, session.begin():
            yield session

    def table_names(self) -> set[str]:
        with self.translating(), self.engine.connect() as conn:
            return set(inspect(conn).get_table_names())


def _corrupt_advice(database: Database, detail: str) -> str:
    path = database.path
    head = f"the database file {path} cannot be read ({detail})."
    if database.holds == ("index",):
        outbox = default_outbox_path(path) if path is not None else None
        lines = [
            head,
            "It holds only the index, which is rebuilt from the chain: with the service "
            f"stopped, move the file aside (and its -wal and -shm files, if any), e.g. `mv {path} "
            f"{path}.corrupt`, or delete it, then start again.",
        ]
        if database.existed and outbox is not None and not outbox.exists():
            lines.append(
                f"Careful: there is no {outbox.name} beside it. A data directory from before "
                "the outbox had its own file keeps in this one the writes accepted but not yet "
                "on chain and the API keys: moving it aside loses those (keys can be issued "
                "again; the lost writes cannot)."
            )
        else:
            lines.append(
                "Nothing else is lost: writes accepted but not yet on chain and the API keys "
                "are in the outbox database" + (f" {outbox}." if outbox is not None else ".")
            )
        return "\n".join(lines)
    return "\n".join(
        [
            head,
            "It holds the outbox (writes accepted but not yet on chain) and the API keys, which "
            "the chain cannot give back: do not delete it. Stop the service and restore it "
            "from a backup, or salvage it with `sqlite3 "
            f"{path} .recover`. Only as a last resort move it aside: the writes it holds are "
            "then lost (their clients were answered 202) and API keys must be issued again.",
        ]
    )


def rowcount(result: Any) -> int:
    """Rows a DML statement touched (its CursorResult's; the typed `Result` does not show it)."""
    return int(getattr(result, "rowcount", 0) or 0)
