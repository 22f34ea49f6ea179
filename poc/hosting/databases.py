"""One database per workspace, on the platform's own server.

On PostgreSQL a workspace's index, outbox and API keys live in a database of its own,
`<platform database>_ws_<slug>` (hyphens as underscores; two platforms on one server never
share one), created when the workspace is and dropped when it is
wiped: nothing a query of one workspace's app can name belongs to another. On SQLite (tests, a
laptop) they are the API's usual files in the workspace's data directory.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from ledger.errors import ConfigurationError


def database_name(platform_database: str, slug: str) -> str:
    """The PostgreSQL database of workspace `slug` (slugs are checked: letters, digits, -)."""
    return f"{platform_database}_ws_{slug.replace('-', '_')}"


class WorkspaceDatabases:
    """Creates, names, measures and drops the workspaces' databases."""

    def __init__(self, platform_url: str) -> None:
        self.platform_url = platform_url
        self.on_postgres = platform_url.startswith("postgresql")
        self.platform_database = make_url(platform_url).database or "postgres"
        self._engine: Engine | None = None
        if self.on_postgres and len(self.platform_database) > 24:
            raise ConfigurationError(
                "the platform's PostgreSQL database name must have at most 24 characters "
                "(each workspace's database is named after it)"
            )

    def name(self, slug: str) -> str:
        return database_name(self.platform_database, slug)

    def url(self, slug: str, data_dir: Path) -> str | None:
        """The workspace's database URL; None on SQLite (the API's files in `data_dir`)."""
        if not self.on_postgres:
            return None
        return (
            make_url(self.platform_url)
            .set(database=self.name(slug))
            .render_as_string(hide_password=False)
        )

    def _admin(self) -> Engine:
        # One small pool for the platform's life: the sweeper measures every workspace.
        if self._engine is None:
            self._engine = create_engine(
                self.platform_url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=2
            )
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def create(self, slug: str) -> None:
        """Create the workspace's database if missing (PostgreSQL only)."""
        if not self.on_postgres:
            return
        name = self.name(slug)
        with self._admin().connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if exists is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop(self, slug: str) -> None:
        """Drop the workspace's database, closing what still connects to it: the API processes
        of the split hold connections of their own, and may open one between a terminate and
        the drop, so on PostgreSQL 13 and later the drop itself ends them (`WITH (FORCE)`)."""
        if not self.on_postgres:
            return
        name = self.name(slug)
        with self._admin().connect() as conn:
            version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
            if version >= 130000:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                return
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))

    def size(self, slug: str) -> int:
        """Bytes the workspace's database takes (0 on SQLite: its files count as files)."""
        if not self.on_postgres:
            return 0
        with self._admin().connect() as conn:
            value = conn.execute(
                text("SELECT pg_database_size(datname) FROM pg_database WHERE datname = :name"),
                {"name": self.name(slug)},
            ).scalar()
        return int(value or 0)
