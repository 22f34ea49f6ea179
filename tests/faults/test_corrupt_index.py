"""The SQLite index file is corrupted while the API is down, with writes still in the outbox.

The API must refuse to start, with one message that names the file and the way out (move it
aside: the index is rebuilt from the chain) and no traceback, rather than serve or accept
anything on top of it. The outbox and the API keys live in their own file (`outbox.sqlite3`),
so the operator moves the index aside and starts again: the follower rebuilds the index from
the deployment block, the writes accepted before the damage, sent or not, land exactly once,
and the keys issued before still work.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from scripts.bench_api import LiveStack
from tests.faults.support import (
    Load,
    api_log,
    assert_exactly_once,
    index_store,
    on_chain,
)

# The damage is to SQLite's index file; PostgreSQL keeps its own files (and checksums).
pytestmark = [
    pytest.mark.faults,
    pytest.mark.anvil,
    pytest.mark.slow,
    pytest.mark.timeout(420),
    pytest.mark.databases("sqlite"),
]

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


def _pending(stack: LiveStack) -> int:
    store = index_store(stack)
    try:
        return len(store.outbox.operations_in(["accepted", "sent", "included"]))
    finally:
        store.close()


def test_corrupt_index_refuses_to_start_then_rebuilds_from_chain(stack: LiveStack) -> None:
    index = stack.data_dir / "index.sqlite3"
    load = Load(stack)
    load.fire(150, after=60, fault=stack.kill_api)  # the API dies under the load
    assert _pending(stack) > 0, "the outbox drained before the damage: nothing is at stake"
    _fold_wal(index)
    assert not (stack.data_dir / "index.sqlite3-wal").exists()
    _corrupt(index)

    logged = len(api_log(stack))
    with pytest.raises(RuntimeError, match="exited"):
        stack.start_api(timeout=90)
    refusal = api_log(stack)[logged:]
    assert "Traceback" not in refusal, refusal
    assert f"the database file {index} cannot be read (file is not a database)" in refusal
    assert "rebuilt from the chain" in refusal
    assert f"mv {index} {index}.corrupt" in refusal
    assert str(stack.data_dir / "outbox.sqlite3") in refusal  # what is kept, and where

    for name in INDEX_FILES:  # the operator moves the damaged index aside
        source = stack.data_dir / name
        if source.exists():
            source.rename(source.with_name(name + ".corrupt"))
    stack.start_api()  # the API keys issued before the damage still work: the load uses them

    assert_exactly_once(stack, load)
    expected = sum(on_chain(stack).values())
    rebuilt = index_store(stack)
    try:
        deadline = time.monotonic() + 120
        while rebuilt.index.count_contributions(stack.project_id) < expected:
            assert time.monotonic() < deadline, "the index was not rebuilt from the chain"
            time.sleep(0.5)
    finally:
        rebuilt.close()

    after = Load(stack)
    after.fire(20)
    assert not after.refused, after.refused
    assert_exactly_once(stack, after)
