"""Fixtures of the fault suite: one live stack (anvil + API process) per test, always stopped.

The stack's store is the `database` fixture's: each test runs on SQLite and on PostgreSQL,
except those a `databases("sqlite")` marker keeps to the SQLite files they damage.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.errors import LedgerError
from scripts.bench_api import LiveStack
from tests.databases import DatabaseUnderTest
from tests.faults.support import require_anvil


@pytest.fixture
def stack(tmp_path: Path, database: DatabaseUnderTest) -> Iterator[LiveStack]:
    """A persisted anvil, the contracts, a three-partner project and the API as a process."""
    require_anvil()
    live = LiveStack.start(tmp_path / "data", persist_delay=2.5, database_url=database.server_url)
    try:
        yield live
    finally:
        if not live.node.running:
            with contextlib.suppress(LedgerError):
                live.node.start()  # `stop` closes the chain connection and stops the node
        live.stop()
