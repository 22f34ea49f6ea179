"""Shared fixtures: the chains tests run against.

- `memory_chain`: the in-process eth-tester chain, reverted to a snapshot after each test.
- `anvil_node`: one anvil process per test session (per xdist worker), not persisted.
- `anvil_chain`: a `Chain` on `anvil_node`, reverted to a snapshot after each test.
- `chain`: both of the above in turn; the anvil case carries the `anvil` marker.
- `local_tsa`: OpenSSL's timestamp responder (`poc.sandbox.tsa`), one per session.
- `database`: the store's database, SQLite and then PostgreSQL (`tests.databases`); a test or
  a module marked `databases("sqlite")` runs on the dialects the marker names only.

Session chains are shared: a test must not stop or rewind them other than through these
fixtures. Tests that need a node of their own (restarts, crashes) start an `AnvilProcess`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain.connection import Backend, Chain, ChainConfig, connect_anvil, connect_memory
from ledger.errors import AnvilError
from poc.sandbox.anvil import AnvilProcess, find_anvil
from poc.sandbox.tsa import LocalTsa
from tests.databases import (
    DIALECTS,
    POSTGRESQL,
    SQLITE,
    DatabaseUnderTest,
    database_of,
    drop_store_templates,
)


def _rewound(chain: Chain) -> Iterator[Chain]:
    snapshot = chain.snapshot()
    try:
        yield chain
    finally:
        chain.revert(snapshot)


@pytest.fixture(scope="session")
def _memory_chain_session() -> Chain:
    return connect_memory(ChainConfig(backend=Backend.MEMORY))


@pytest.fixture
def memory_chain(_memory_chain_session: Chain) -> Iterator[Chain]:
    """The in-process chain; whatever a test does is undone afterwards."""
    yield from _rewound(_memory_chain_session)


@pytest.fixture(scope="session")
def anvil_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilProcess]:
    """One anvil for the session. Missing anvil skips locally and fails in CI."""
    try:
        find_anvil()
    except AnvilError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))
    # Not persisted: dumping the whole state every second would only slow the suite down.
    node = AnvilProcess(tmp_path_factory.mktemp("anvil"), persist=False)
    with node:
        yield node


@pytest.fixture(scope="session")
def _anvil_chain_session(anvil_node: AnvilProcess) -> Chain:
    return connect_anvil(ChainConfig(backend=Backend.ANVIL), node=anvil_node)


@pytest.fixture
def anvil_chain(_anvil_chain_session: Chain) -> Iterator[Chain]:
    """The session anvil; whatever a test does is undone afterwards."""
    yield from _rewound(_anvil_chain_session)


@pytest.fixture(params=["memory", pytest.param("anvil", marks=pytest.mark.anvil)])
def chain(request: pytest.FixtureRequest) -> Chain:
    """Each test using it runs on eth-tester and on anvil."""
    fixture: Chain = request.getfixturevalue(f"{request.param}_chain")
    return fixture


@pytest.fixture(scope="session")
def local_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTsa]:
    """OpenSSL's RFC 3161 responder with its own test PKI, for the session (per xdist
    worker). Tests that stop or restart a TSA start one of their own."""
    with LocalTsa(tmp_path_factory.mktemp("tsa")) as tsa:
        yield tsa


_FILE_SECONDS = Path(__file__).with_name("file_seconds.json")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest test files first, each file's tests in their own order.

    `make test` gives each worker whole files (`--dist loadfile`), one after another in this
    order: a long file that came last would run alone at the end while the other workers sit
    idle. The measured seconds are in tests/file_seconds.json (`scripts/test_weights.py`); a
    file not in it counts as short."""
    try:
        seconds: dict[str, float] = json.loads(_FILE_SECONDS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    items.sort(key=lambda item: -seconds.get(item.nodeid.split("::", 1)[0], 0.0))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Each test process (xdist worker) drops the PostgreSQL template it made, if any."""
    drop_store_templates()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses `database` once per dialect its `databases` marker names
    (default: all). A test on SQLite alone is not parametrized, so its id stays as it was. A
    test that parametrizes `database` itself (indirectly) keeps its own combinations."""
    if "database" not in metafunc.fixturenames:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
        if "database" in (names.replace(" ", "").split(",") if isinstance(names, str) else names):
            return  # the test lists its own (dialect, …) combinations
    marker = metafunc.definition.get_closest_marker("databases")
    dialects = tuple(marker.args) if marker is not None else DIALECTS
    unknown = set(dialects) - set(DIALECTS)
    if unknown or not dialects:
        raise pytest.UsageError(f"databases(...) takes some of {DIALECTS}, not {dialects}")
    if dialects == (SQLITE,):
        return
    metafunc.parametrize(
        "database",
        [
            pytest.param(d, id=d, marks=[pytest.mark.postgresql] if d == POSTGRESQL else [])
            for d in dialects
        ],
        indirect=True,
    )


@pytest.fixture
def database(request: pytest.FixtureRequest) -> Iterator[DatabaseUnderTest]:
    """The store's database for this variant of the test: SQLite files in the test's data
    directory, or a PostgreSQL database created for the test and dropped after it."""
    with database_of(getattr(request, "param", SQLITE)) as chosen:
        yield chosen
