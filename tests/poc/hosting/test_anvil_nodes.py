"""Nodes on demand: an anvil workspace's node stops when idle (its state written out, as the
sandbox's does) and starts again at the next request with its chain, clock and keys as
they were."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from poc.sandbox.anvil import AnvilProcess
from tests.poc.hosting.support import Host, make_host, new_slug

pytestmark = pytest.mark.anvil


def _running(node: AnvilProcess) -> bool:
    return node.running


@pytest.fixture
def anvil_host(tmp_path: Path) -> Iterator[Host]:
    built = make_host(tmp_path, None, chain="anvil")
    try:
        yield built
    finally:
        built.platform.close()


@pytest.mark.timeout(600)
def test_idle_node_stops_and_starts_again_with_its_clock_and_keys(anvil_host: Host) -> None:
    joined = anvil_host.join(new_slug("idle"))
    moved = joined.client.post("/hosted/clock", json={"days": 45}, headers=joined.session_headers)
    assert moved.status_code == 200, moved.text
    chain_time = moved.json()["chainTime"]
    runtime = anvil_host.platform.pool.get(joined.slug)
    node = runtime.chain.node
    assert isinstance(node, AnvilProcess) and _running(node)
    assert anvil_host.platform.pool.stop_idle(0.0) == [joined.slug]
    assert not _running(node) and anvil_host.platform.pool.peek(joined.slug) is None

    # A made-up key does not wake it; its owner's key does.
    made_up = "poc_0123456789ab_" + "x" * 43
    assert (
        anvil_host.client(joined.slug).get("/v1/me", headers={"X-API-Key": made_up}).status_code
        == 401
    )
    assert anvil_host.platform.pool.peek(joined.slug) is None

    # The next request starts it again: same chain, same clock, same keys.
    me = joined.client.get("/v1/me", headers=joined.key_headers())
    assert me.status_code == 200, me.text
    status = joined.client.get("/hosted/api/status").json()
    assert status["chainTime"] >= chain_time
    assert status["chainTime"] < chain_time + 3600
    restarted = anvil_host.platform.pool.peek(joined.slug)
    assert restarted is not None and restarted.deployment == runtime.deployment
