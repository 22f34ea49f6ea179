"""Fixtures of the hosted platform's tests: one platform per module (`host`), with two
signed-in workspaces (`pair`) most tests share; tests that change a workspace's life make
their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.poc.hosting.support import Host, Joined, make_host, new_slug, postgres_platform_url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
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
