"""Fixtures of the fault suite: one live stack (anvil + API process) per test, always stopped."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.errors import LedgerError
from scripts.bench_api import LiveStack
from tests.faults.support import require_anvil


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LiveStack]:
    """A persisted anvil, the contracts, a three-partner project and the API as a process."""
    require_anvil()
    live = LiveStack.start(tmp_path / "data", persist_delay=2.5)
    try:
        yield live
    finally:
        if not live.node.running:
            with contextlib.suppress(LedgerError):
                live.node.start()  # `stop` closes the chain connection and stops the node
        live.stop()
