"""kill -9 of the API during a load, and of both processes restarted API first.

The API's own fault test (`tests/api/test_faults.py`) kills the node, then the API, and
restarts the node first; these cover the other cases: the API alone dying mid-load, and both
dying with the API restarted while the node is still down.
"""

from __future__ import annotations

import pytest

from scripts.bench_api import LiveStack
from tests.faults.support import Load, api_log, assert_exactly_once

pytestmark = [pytest.mark.faults, pytest.mark.anvil, pytest.mark.slow, pytest.mark.timeout(420)]


def test_kill_api_during_load_loses_nothing(stack: LiveStack) -> None:
    load = Load(stack)
    load.fire(150, after=50, fault=stack.kill_api)
    assert sum(load.refused.values()) > 0, "the kill came after the load"
    stack.start_api()
    load.fire(50)

    assert_exactly_once(stack, load)
    assert len(load.accepted) >= 100


def test_restart_api_before_node_waits_for_node_and_loses_nothing(stack: LiveStack) -> None:
    load = Load(stack)
    load.fire(150, after=50, fault=stack.node.kill)  # the node dies under the load
    stack.kill_api()  # then the API, with writes still in its outbox

    # The API started while the node is down refuses to start, saying why; a supervisor
    # (systemd, the sandbox) starts it again once the node is back.
    with pytest.raises(RuntimeError, match="exited"):
        stack.start_api(timeout=90)
    assert "cannot reach the node" in api_log(stack)
    stack.node.start()
    stack.start_api()
    load.fire(50)

    assert_exactly_once(stack, load)
    assert len(load.accepted) >= 100
