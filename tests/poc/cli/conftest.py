"""Fixtures of the command-line tests: those of the client's tests (the API app and a
consortium on anvil), for the partner commands that talk to the API."""

from __future__ import annotations

from tests.api.conftest import client, consortium, settings, store  # noqa: F401 (fixtures)
from tests.poc.client.conftest import _anvil_deployed, deployed  # noqa: F401 (fixtures)
