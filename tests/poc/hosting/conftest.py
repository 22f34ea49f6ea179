"""Fixtures of the hosted platform's tests: one platform per module (`host`), with two
signed-in workspaces (`pair`) most tests share; tests that change a workspace's life make
their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.poc.hosting.support import Host, Joined, make_host, new_slug, postgres_platform_url

HOST_DATABASES: tuple[str, ...] = ("sqlite", "postgresql")
"""The platform databases a module's `host` runs on, unless the module names its own
`HOST_DATABASES` (a module that exercises the platform's life rather than its storage runs on
PostgreSQL, the database of a hosted platform, only)."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "host" in metafunc.fixturenames:
        databases = getattr(metafunc.module, "HOST_DATABASES", HOST_DATABASES)
        metafunc.parametrize("host", databases, indirect=True, scope="module")


@pytest.fixture(scope="module")
def host(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Host]:
    urls = postgres_platform_url()
    url = next(urls)
    if request.param == "postgresql" and url is None:
        pytest.skip("needs POC_TEST_DATABASE_URL")
    if request.param == "sqlite" and url is not None:
        # The SQLite case stays SQLite; its PostgreSQL database is not needed.
        next(urls, None)
        url = None
    built = make_host(tmp_path_factory.mktemp("host"), url)
    try:
        yield built
    finally:
        built.platform.close()
        next(urls, None)


@pytest.fixture(scope="module")
def pair(host: Host) -> tuple[Joined, Joined]:
    """Workspaces A and B, each signed in by its owner."""
    return host.join(new_slug("a")), host.join(new_slug("b"))
