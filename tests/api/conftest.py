"""Fixtures of the API suite: a deployed in-process chain, an app on it, keys per role.

One eth-tester chain per session (per xdist worker) with both contracts deployed; each test
starts from its snapshot and gets a fresh store, so tests are independent.

The store is the `database` fixture's (tests/conftest.py): SQLite for every module, and
PostgreSQL too for the modules in `ON_POSTGRESQL_TOO`, a representative part of the suite
(running all of it twice would add minutes for little; the store-level suites, the index's
and the outbox's, run fully on both).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.auth import Role, issue_api_key
from api.settings import ApiSettings
from ledger.chain.connection import Backend, Chain, ChainConfig, connect_memory
from ledger.chain.deployment_record import DeploymentRecord
from ledger.store import Store
from poc.wiring import create_app
from tests.api.support import Consortium, deploy
from tests.databases import SQLITE, DatabaseUnderTest

# The API modules whose tests run on PostgreSQL as well as SQLite: every kind of write
# (registration, batch, endorsement, dispute, governance, exchange, agreement) and the
# reads and scoping that go through the index; the index itself (test_index); the fault test.
ON_POSTGRESQL_TOO = frozenset(
    {
        "test_agreements",
        "test_batches",
        "test_confidentiality",
        "test_contributions",
        "test_exchange",
        "test_faults",
        "test_governance",
        "test_index",
        "test_lifecycle",
    }
)


@pytest.hookimpl(wrapper=True)
def pytest_pycollect_makemodule(
    module_path: Path, parent: pytest.Collector
) -> Generator[None, pytest.Module | None, pytest.Module | None]:
    module = yield
    if isinstance(module, pytest.Module) and module_path.stem not in ON_POSTGRESQL_TOO:
        module.add_marker(pytest.mark.databases(SQLITE))
    return module


@pytest.fixture(scope="session")
def _deployed() -> tuple[Chain, DeploymentRecord]:
    chain = connect_memory(ChainConfig(backend=Backend.MEMORY))
    return chain, deploy(chain)


@pytest.fixture
def deployed(_deployed: tuple[Chain, DeploymentRecord]) -> Iterator[tuple[Chain, DeploymentRecord]]:
    chain, record = _deployed
    snapshot = chain.snapshot()
    try:
        yield chain, record
    finally:
        chain.revert(snapshot)


@pytest.fixture
def settings(tmp_path: Path, database: DatabaseUnderTest) -> ApiSettings:
    return ApiSettings(
        data_dir=tmp_path,
        database_url=database.server_url,
        index_poll_interval=0.02,
        outbox_poll_interval=0.01,
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        max_in_flight_per_key=10_000,
        failed_auth_burst=10_000,
        keystore_scrypt_n=1 << 4,
        wait_timeout=20,
    )


@pytest.fixture
def store(settings: ApiSettings) -> Iterator[Store]:
    store = Store.open(settings.resolved_database_url, files_dir=settings.data_dir / "shared")
    yield store
    store.close()


@pytest.fixture
def client(
    settings: ApiSettings, store: Store, deployed: tuple[Chain, DeploymentRecord]
) -> Iterator[TestClient]:
    chain, record = deployed
    app = create_app(settings, store=store, chain=chain, deployment=record)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def consortium(
    client: TestClient, store: Store, deployed: tuple[Chain, DeploymentRecord]
) -> Consortium:
    """Three partners (coordinator first) with keys, one auditor and one admin key."""
    chain, record = deployed
    return Consortium.create(chain, record, store, client)


@pytest.fixture
def admin_key(store: Store) -> str:
    return issue_api_key(store, None, Role.ADMIN, "test admin")
