"""The databases the store's tests run on: SQLite files, and PostgreSQL when a server is named.

`POC_TEST_DATABASE_URL` names a PostgreSQL server the tests may create databases on (any
database of it; `.ci/run` starts one and sets it). Each test that runs on PostgreSQL gets a
database of its own, created for it and dropped after it (`fresh_postgres_databases`), so tests
never see each other's rows and may run in parallel; it is a copy of a database in which the
store created its tables once per test process (a copy is much cheaper than the DDL).

Without the variable the PostgreSQL variants are skipped with the reason, except when `CI` is
set: there a missing server is a failure, so that CI cannot go green having skipped them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledger.store.engine import INDEX_FILE

ENV_VAR = "POC_TEST_DATABASE_URL"
SQLITE = "sqlite"
POSTGRESQL = "postgresql"
#: Every database the store supports, in the order the variants of a test run.
DIALECTS = (SQLITE, POSTGRESQL)


def postgres_server_url() -> str:
    """The test server's URL; skips the test when none is set (fails it in CI)."""
    url = os.environ.get(ENV_VAR)
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"{ENV_VAR} is not set: .ci/run should start PostgreSQL and export it")
    pytest.skip(
        f"no PostgreSQL: set {ENV_VAR}=postgresql+psycopg://USER@HOST:PORT/postgres to run "
        "the PostgreSQL variants (CI starts a server in .ci/run)"
    )


# Test databases sort text as people do (ICU's English rules: case-insensitive at first), as
# most servers do (en_US.UTF-8), not byte by byte as SQLite and a C-locale cluster do: what
# the store sorts must come out in the same order everywhere (`ledger.store.engine.in_byte_order`).
_LANGUAGE_COLLATION = "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"


@contextmanager
def fresh_postgres_databases(count: int = 1, *, with_tables: bool = False) -> Iterator[list[str]]:
    """`count` new databases on the test server (their URLs), empty or, `with_tables`, with the
    store's tables already created; dropped afterwards, with whatever connections are still
    open to them."""
    server = postgres_server_url()
    names = [f"poc_test_{uuid.uuid4().hex[:16]}" for _ in range(count)]
    admin = _admin(server)
    created: list[str] = []
    source = f'TEMPLATE "{_store_template(server)}"' if with_tables else _LANGUAGE_COLLATION
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f'CREATE DATABASE "{name}" {source}'))
                created.append(name)
        yield [_database_url(server, name) for name in names]
    finally:
        admin.dispose()
        if created:
            # Dropped while the next test runs: a drop waits on the server's disk.
            _dropper.submit(_drop, server, created)


_dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-test-databases")


def _drop(server: str, names: list[str]) -> None:
    admin = _admin(server)
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _admin(server: str) -> sa.Engine:
    return sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _database_url(server: str, name: str) -> str:
    return sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)


_templates: dict[str, str] = {}


def _store_template(server: str) -> str:
    """A database with the store's tables, made once per test process and copied for each
    test (`CREATE DATABASE … TEMPLATE`): creating the tables costs a test far more than the
    copy does. Dropped by `drop_store_templates` at the end of the session."""
    if server in _templates:
        return _templates[server]
    from ledger.store import Store  # the store under test, not needed to merely skip

    name = f"poc_test_template_{uuid.uuid4().hex[:16]}"
    admin = _admin(server)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" {_LANGUAGE_COLLATION}'))
        Store.open(_database_url(server, name)).close()
    finally:
        admin.dispose()
    _templates[server] = name
    return name


def drop_store_templates() -> None:
    """Wait for the test databases being dropped, then drop the template databases this
    process made (at the end of its test session)."""
    _dropper.shutdown(wait=True)
    while _templates:
        server, name = _templates.popitem()
        admin = _admin(server)
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except sa.exc.SQLAlchemyError:
            pass  # the server is gone already: nothing left to drop
        finally:
            admin.dispose()


@dataclass(frozen=True)
class DatabaseUnderTest:
    """The database one variant of a test runs on."""

    dialect: str
    #: The PostgreSQL database made for this test; None on SQLite (files in a data directory).
    server_url: str | None = None

    def url(self, data_dir: Path) -> str:
        """The store URL of a service whose data directory is `data_dir`: on SQLite its
        index file there (the outbox file goes beside it), on PostgreSQL this test's database."""
        return self.server_url or f"sqlite:///{data_dir / INDEX_FILE}"

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == POSTGRESQL

    @contextmanager
    def another(self, data_dir: Path) -> Iterator[str]:
        """The URL of a second, empty store of the same dialect (a second service's, or a
        follower's beside the API's): files in `data_dir`, or one more PostgreSQL database."""
        if not self.is_postgresql:
            yield f"sqlite:///{data_dir / INDEX_FILE}"
            return
        with fresh_postgres_databases(with_tables=True) as (url,):
            yield url


@contextmanager
def database_of(dialect: str) -> Iterator[DatabaseUnderTest]:
    """A `DatabaseUnderTest` of `dialect`; a PostgreSQL one is dropped on exit."""
    if dialect == SQLITE:
        yield DatabaseUnderTest(SQLITE)
        return
    with fresh_postgres_databases(with_tables=True) as (url,):
        yield DatabaseUnderTest(POSTGRESQL, url)
