"""Fixtures of the contract suite: one eth-tester chain per worker, reverted between tests.

The base state (see `tests.contracts.world`) is built once per session; every test starts from a
snapshot of it, so tests are independent and fast. Tests that declare errors with `@covers` are
checked to have asserted each of them.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

from tests.contracts.exchange_world import ExchangeWorld, build_exchange_world
from tests.contracts.support import asserted, reset_asserted
from tests.contracts.world import World, build_world


@pytest.fixture(scope="session")
def _base_world() -> tuple[World, int]:
    world = build_world()
    return world, world.chain.snapshot()


@pytest.fixture
def world(_base_world: tuple[World, int]) -> Iterator[World]:
    world, snapshot = _base_world
    world.chain.revert(snapshot)
    yield world
    world.chain.revert(snapshot)


@pytest.fixture(scope="session")
def _base_exchange_world() -> tuple[ExchangeWorld, int]:
    # A chain of its own: the ledger tests' base snapshot stays as it was.
    xworld = build_exchange_world()
    return xworld, xworld.chain.snapshot()


@pytest.fixture
def xworld(_base_exchange_world: tuple[ExchangeWorld, int]) -> Iterator[ExchangeWorld]:
    xworld, snapshot = _base_exchange_world
    xworld.chain.revert(snapshot)
    yield xworld
    xworld.chain.revert(snapshot)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_PASSED] = report.passed
    return report


_PASSED = pytest.StashKey[bool]()


@pytest.fixture(autouse=True)
def _declared_errors_asserted(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a passing test that declared (@covers) an error it never asserted (`reverts`)."""
    reset_asserted()
    yield
    declared = set(getattr(request.function, "__covers__", ()))
    missing = declared - asserted()
    if missing and request.node.stash.get(_PASSED, False):
        pytest.fail(f"declared with @covers but never asserted: {sorted(missing)}")
