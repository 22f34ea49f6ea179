"""Local persistence (SQLAlchemy): the chain index, the write outbox and the API's keys.

`Store` holds two databases: the index's, which the chain can give back, and the durable one
(accepted writes, API keys, auditor grants), which it cannot. On SQLite (the default) they are
two files in the data directory, `index.sqlite3` and `outbox.sqlite3` (WAL mode, so that the
follower, the outbox worker and request threads share them): a damaged or deleted index is
moved aside and rebuilt without losing an accepted write or a key. On PostgreSQL
(`postgresql+psycopg://`) both share one database unless a second URL names the durable one's.
Nothing writes to both, so nothing needs a transaction across them. A data directory from when
one file held everything is split on open (`Store.open`).

- `store.index` (`ledger.store.index`): every decoded event of both contracts and the
  projections rebuilt from it (`ledger.store.projections`, one per event type);
- `store.outbox` (`ledger.store.outbox`): accepted writes, stored before anything is sent;
- `store.keys` (`ledger.store.keys`): hashed API keys and auditor grants;
- `store.sealed` (`ledger.store.sealed`): contribution cards and dispute reasons, encrypted
  before they get here (`ledger.sealing`); the chain holds only their hashes;
- `store.agreements` (`ledger.store.agreements`): builder-made agreements, their canonical
  documents and salts;
- `store.shared` (`ledger.store.shared_documents`): sealed documents shared through the
  exchange (files in `files_dir`, by default `shared/` beside a SQLite index) and their
  wrapped keys;
- `ledger.store.engine`: one database, its locking and its errors; `ledger.store.records`:
  the frozen records reads return, never ORM rows.

The follower that fills the index is `ledger.sync.follower`; the worker that drains the outbox
`ledger.sync.outbox`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Engine, make_url

from ledger.errors import StoreError
from ledger.store.agreements import Agreements
from ledger.store.engine import (
    Database,
    DurableBase,
    IndexBase,
    default_outbox_path,
    insert_ignoring_clashes,
    is_sqlite_file,
    parses,
)
from ledger.store.index import Index, upgrade_index
from ledger.store.keys import ApiKeys
from ledger.store.outbox import Outbox, upgrade
from ledger.store.sealed import SealedRecords
from ledger.store.shared_documents import SharedDocuments

log = logging.getLogger(__name__)


class Store:
    """The index database and the durable database behind one handle; thread-safe.

    `url` names the index's database. `outbox_url` names the durable one (outbox, API keys,
    auditor grants); by default, beside a SQLite index file, `default_outbox_path` of it; on
    PostgreSQL and in memory, the index's own database.
    """

    def __init__(
        self,
        url: str,
        *,
        outbox_url: str | None = None,
        files_dir: Path | None = None,
        echo: bool = False,
    ) -> None:
        self.url = url
        index_url = make_url(url) if parses(url) else None
        if files_dir is None and index_url is not None and is_sqlite_file(index_url):
            files_dir = Path(str(index_url.database)).parent / "shared"
        if outbox_url is None and index_url is not None and is_sqlite_file(index_url):
            outbox_path = default_outbox_path(Path(str(index_url.database)))
            outbox_url = index_url.set(database=str(outbox_path)).render_as_string(
                hide_password=False
            )
        if outbox_url is None or outbox_url == url:
            self._index_db = Database(url, holds=("index", "outbox"), echo=echo)
            self._durable_db = self._index_db
        else:
            self._index_db = Database(url, holds=("index",), echo=echo)
            self._durable_db = Database(outbox_url, holds=("outbox",), echo=echo)
        self.outbox_url = self._durable_db.url
        self.dialect = self._index_db.dialect
        self.engine: Engine = self._index_db.engine
        self.index = Index(self._index_db)
        self.outbox = Outbox(self._durable_db)
        self.keys = ApiKeys(self._durable_db)
        self.sealed = SealedRecords(self._durable_db)
        self.agreements = Agreements(self._durable_db)
        self.shared = SharedDocuments(self._durable_db, files_dir)

    @classmethod
    def open(
        cls, url: str, *, outbox_url: str | None = None, files_dir: Path | None = None
    ) -> Store:
        """Connect, create missing tables and adopt an old single-file layout's outbox."""
        store = cls(url, outbox_url=outbox_url, files_dir=files_dir)
        try:
            store.create_all()
        except BaseException:
            store.close()
            raise
        return store

    def create_all(self) -> None:
        """Create every table that does not exist yet, each in its own database."""
        upgrade_index(self._index_db)
        with self._index_db.guard():
            IndexBase.metadata.create_all(self._index_db.engine)
        with self._durable_db.guard():
            DurableBase.metadata.create_all(self._durable_db.engine)
        upgrade(self._durable_db)
        if self._durable_db is not self._index_db:
            upgrade(self._index_db)  # an old single-file layout's, before adopting it
            self._adopt_single_file_outbox()

    def _adopt_single_file_outbox(self) -> None:
        """Move the outbox and API keys out of an index database written when both lived in
        one file: copy the rows (a row already there is kept), commit them durably, then drop
        the old tables. Interrupted anywhere, the next start does it again."""
        durable = DurableBase.metadata.sorted_tables
        names = {t.name for t in durable}
        if not names & self._index_db.table_names():
            return
        with self._durable_db.guard(), self._index_db.guard():
            legacy = [t for t in durable if t.name in self._index_db.table_names()]
            if not legacy:
                return
            moved: dict[str, int] = {}
            with (
                self._index_db.engine.connect() as source,
                self._durable_db.accept_engine.begin() as dest,
            ):
                for table in legacy:
                    rows = [dict(r) for r in source.execute(select(table)).mappings()]
                    moved[table.name] = len(rows)
                    # A key names the key that replaced it: link them once all are in.
                    links = [
                        {"k": r["key_id"], "by": r["replaced_by"]}
                        for r in rows
                        if r.get("replaced_by") is not None
                    ]
                    if links:
                        rows = [{**r, "replaced_by": None} for r in rows]
                    for start in range(0, len(rows), 1000):
                        dest.execute(
                            insert_ignoring_clashes(self._durable_db.dialect, table),
                            rows[start : start + 1000],
                        )
                    if links:
                        dest.execute(
                            update(table)
                            .where(table.c.key_id == bindparam("k"), table.c.replaced_by.is_(None))
                            .values(replaced_by=bindparam("by")),
                            links,
                        )
            for table in reversed(legacy):
                table.drop(self._index_db.engine)
        log.warning(
            "moved %s from the index database %s to the outbox database %s",
            ", ".join(f"{n} {name}" for name, n in moved.items()),
            self._index_db.path or self._index_db.url,
            self._durable_db.path or self._durable_db.url,
        )

    def drop_all(self) -> None:
        """Drop every table (tests and `rebuild --all`)."""
        with self._index_db.guard():
            IndexBase.metadata.drop_all(self._index_db.engine)
        with self._durable_db.guard():
            DurableBase.metadata.drop_all(self._durable_db.engine)

    def close(self) -> None:
        """Release the connection pools."""
        self._index_db.close()
        if self._durable_db is not self._index_db:
            self._durable_db.close()

    def ping(self) -> bool:
        """Whether the databases answer."""
        try:
            for database in {id(d): d for d in (self._index_db, self._durable_db)}.values():
                with database.session() as session:
                    session.execute(select(1))
            return True
        except StoreError:
            return False

    @property
    def index_path(self) -> Path | None:
        """The index's SQLite file (None on other databases)."""
        return self._index_db.path

    @property
    def durable_engine(self) -> Engine:
        """The engine of the durable database, for tables kept beside the outbox that this
        package does not define (the timestamp queue of `ledger.evidence.timestamp_job`)."""
        return self._durable_db.engine

    @property
    def outbox_path(self) -> Path | None:
        """The durable database's SQLite file (None on other databases)."""
        return self._durable_db.path
