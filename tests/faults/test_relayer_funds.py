"""The relayer account runs dry mid-load: the outbox holds the writes, says why, and resumes
once the account is funded again."""

from __future__ import annotations

import time

import httpx
import pytest

from scripts.bench_api import LiveStack
from tests.faults.support import Load, assert_exactly_once, index_store

# The relayer's funds are the chain's business: on SQLite only (the store's part of holding
# writes in the outbox runs on PostgreSQL in test_crashes and test_postgres_restart).
pytestmark = [
    pytest.mark.faults,
    pytest.mark.anvil,
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.databases("sqlite"),
]

FUNDED = 10**21  # 1,000 ether


def _set_relayer_balance(stack: LiveStack, wei: int) -> None:
    relayer = stack.chain.accounts[0].address
    stack.chain.w3.provider.make_request("anvil_setBalance", [relayer, hex(wei)])  # type: ignore[arg-type]


def test_relayer_out_of_funds_holds_writes_until_funded(stack: LiveStack) -> None:
    load = Load(stack)
    load.fire(120, after=30, fault=lambda: _set_relayer_balance(stack, 0))
    time.sleep(3)  # let the worker try, and fail, to send what is left

    store = index_store(stack)
    try:
        waiting = store.outbox.operations_in(["accepted"], limit=1_000)
    finally:
        store.close()
    ready = httpx.get(f"{stack.base_url}/ready", timeout=10)
    print("refused:", dict(load.refused), "waiting:", len(waiting), "ready:", ready.json())
    assert waiting, "nothing waited for funds: the drain came too late"
    assert ready.status_code == 503
    assert any("insufficient funds" in p.lower() for p in ready.json()["problems"]), ready.json()
    assert "outbox_blocked" in ready.json()["problemCodes"], ready.json()

    _set_relayer_balance(stack, FUNDED)
    load.fire(30)
    assert_exactly_once(stack, load)
