"""Fixtures of the command-line tests: those of the client's tests (the API app and a
consortium on anvil), for the partner commands that talk to the API."""

from __future__ import annotations

from tests.poc.client.conftest import (  # noqa: F401 (fixtures)
    _anvil_deployed,
    client,
    consortium,
    deployed,
    settings,
    store,
)
