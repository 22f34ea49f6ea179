"""The SQLite index file is corrupted while the API is down.

The API must refuse to start, saying the database is unreadable, rather than serve or accept
anything on top of it. The operator's way out is to move the file aside: the API then rebuilds
the index from the chain alone (its follower starts from the deployment block). API keys live
in the same file and are issued again, as the sandbox does on every start. Every write accepted
before the corruption is on chain exactly once, the rebuilt index has all of them, and writes
accepted afterwards land exactly once too.

The outbox shares that file: the test lets it drain before corrupting, because writes accepted
but not yet sent when the file is destroyed are lost with it (docs/security.md says so).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from api.auth import Role, issue_api_key
from ledger.store import Store
from scripts.bench_api import LiveStack
from tests.faults.support import (
    Load,
    api_log,
    assert_exactly_once,
    assert_on_chain_once,
    index_store,
    on_chain,
    wait_drained,
)

pytestmark = [pytest.mark.faults, pytest.mark.anvil, pytest.mark.slow, pytest.mark.timeout(420)]

INDEX_FILES = ("index.sqlite3", "index.sqlite3-wal", "index.sqlite3-shm")


def _fold_wal(path: Path) -> None:
    """Checkpoint SQLite's WAL into the file and drop it (the API does not on exit): otherwise
    the WAL still holds the newest copy of the pages we damage, and masks the damage."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()


def _corrupt(path: Path) -> None:
    """Overwrite the SQLite header and the first pages with garbage, as a bad disk would."""
    with path.open("r+b") as fh:
        fh.write(b"\xde\xad\xbe\xef" * 2048)


def test_corrupt_index_refuses_to_start_then_rebuilds_from_chain(stack: LiveStack) -> None:
    load = Load(stack)
    load.fire(60)
    wait_drained(stack)
    before = list(load.accepted)
    stack.kill_api()
    _fold_wal(stack.data_dir / "index.sqlite3")
    assert not (stack.data_dir / "index.sqlite3-wal").exists()
    _corrupt(stack.data_dir / "index.sqlite3")

    with pytest.raises(RuntimeError, match="exited"):
        stack.start_api(timeout=90)
    assert "file is not a database" in api_log(stack)

    for name in INDEX_FILES:  # the operator moves the damaged database aside
        source = stack.data_dir / name
        if source.exists():
            source.rename(source.with_name(name + ".corrupt"))
    store = Store.open(f"sqlite:///{stack.data_dir / 'index.sqlite3'}")
    try:
        stack.api_keys = [
            issue_api_key(store, account.address, Role.PARTNER, f"after-rebuild-{i}")
            for i, account in enumerate(stack.partners)
        ]
    finally:
        store.close()
    stack.start_api()

    expected = sum(on_chain(stack).values())
    rebuilt = index_store(stack)
    try:
        deadline = time.monotonic() + 120
        while rebuilt.count_contributions(stack.project_id) < expected:
            assert time.monotonic() < deadline, "the index was not rebuilt from the chain"
            time.sleep(0.5)
    finally:
        rebuilt.close()
    assert_on_chain_once(stack, before)

    after = Load(stack)
    after.fire(20)
    assert_exactly_once(stack, after)
