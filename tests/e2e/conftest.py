"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sandbox_process import Sandbox, stopped_at_the_end


@pytest.fixture
def sandboxes() -> Iterator[list[Sandbox]]:
    """`poc sandbox` processes a test starts; stopped at its end even if it fails."""
    yield from stopped_at_the_end()
