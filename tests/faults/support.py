"""What every fault test shares: a load of registrations and the "exactly once" check.

The stack under test is `scripts.bench_api.LiveStack` (a persisted anvil, the contracts, a
three-partner project and the API as a uvicorn process), the same one the API's own fault test
(`tests/api/test_faults.py`) and `scripts/bench_api.py` drive. A `Load` fires registrations from
concurrent clients and keeps, for each answer, whether the API accepted the write (200/202: it
promised to land it) or refused it (and how: status code or connection error). The outcome of
every fault test is then checked the same way by `assert_exactly_once`: the outbox drains, every
accepted registration is on chain exactly once, and nothing landed twice.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from ledger.chain.events import get_events
from ledger.domain.events import ContributionRegistered
from ledger.errors import AnvilError
from ledger.store import Store
from poc.sandbox.anvil import find_anvil
from scripts.bench_api import LiveStack

CLIENTS = 10
DRAIN_TIMEOUT = 180.0


def require_anvil() -> None:
    """Skip without the anvil binary, except in CI where its absence is a failure."""
    try:
        find_anvil()
    except AnvilError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


class LoadTarget(Protocol):
    """What a `Load` fires at: a `LiveStack`, or a sandbox (tests/faults/test_sandbox.py)."""

    @property
    def base_url(self) -> str: ...
    @property
    def project_id(self) -> int: ...
    @property
    def partners(self) -> Sequence[Any]: ...
    @property
    def api_keys(self) -> Sequence[str]: ...
    def registration(self, partner: int, label: str) -> dict[str, Any]: ...


@dataclass
class Load:
    """Registrations fired at one stack; what was accepted and how the rest was refused."""

    stack: LoadTarget
    #: commitment (0x-hex) -> operation id, for every write answered 200/202
    accepted: dict[str, str] = field(default_factory=dict)
    #: "http <status> <code>" or the connection error's class name -> how many
    refused: Counter[str] = field(default_factory=Counter)
    #: the first message of each kind of refusal (to show in assertions)
    messages: dict[str, str] = field(default_factory=dict)
    _next_label: int = 0

    def fire(
        self,
        count: int,
        *,
        clients: int = CLIENTS,
        after: int | None = None,
        fault: Callable[[], None] | None = None,
    ) -> int:
        """Send `count` registrations from `clients` concurrent clients; return how many were
        accepted. With `fault`, call it (once, in the event loop, so in-flight requests see it)
        as soon as `after` of them have been accepted: the fault hits a running load."""
        return asyncio.run(self._fire(count, clients, after, fault))

    async def _fire(
        self, count: int, clients: int, after: int | None, fault: Callable[[], None] | None
    ) -> int:
        labels = range(self._next_label, self._next_label + count)
        self._next_label += count
        queue: asyncio.Queue[int] = asyncio.Queue()
        for label in labels:
            queue.put_nowait(label)
        accepted_here = 0
        fault_done = fault is None
        url = f"{self.stack.base_url}/v1/projects/{self.stack.project_id}/contributions"

        async def client(number: int, http: httpx.AsyncClient) -> None:
            nonlocal accepted_here, fault_done
            partner = number % len(self.stack.partners)
            headers = {"X-API-Key": self.stack.api_keys[partner]}
            while not queue.empty():
                body = self.stack.registration(partner, f"fault-{queue.get_nowait()}")
                try:
                    response = await http.post(url, json=body, headers=headers)
                except httpx.HTTPError as exc:
                    self.refused[type(exc).__name__] += 1  # no answer: nothing promised
                    await asyncio.sleep(0.05)
                    continue
                if response.status_code in (200, 202):
                    self.accepted[body["commitment"]] = response.json()["id"]
                    accepted_here += 1
                else:
                    error = response.json()
                    kind = f"http {response.status_code} {error.get('code', '?')}"
                    self.refused[kind] += 1
                    self.messages.setdefault(kind, str(error.get("message", "")))
                if not fault_done and after is not None and accepted_here >= after:
                    fault_done = True
                    assert fault is not None
                    fault()

        async with httpx.AsyncClient(timeout=30) as http:
            await asyncio.gather(*(client(n, http) for n in range(clients)))
        return accepted_here


def index_store(stack: LiveStack) -> Store:
    """The API's own store (SQLite files, or its PostgreSQL database), opened beside the
    running API."""
    return Store(stack.store_url)


def wait_drained(stack: LiveStack, timeout: float = DRAIN_TIMEOUT) -> None:
    """Wait until the outbox holds nothing accepted, sent or included."""
    store = index_store(stack)
    try:
        deadline = time.monotonic() + timeout
        while store.outbox.operations_in(["accepted", "sent", "included"], limit=1):
            assert time.monotonic() < deadline, f"the outbox did not drain in {timeout:g} s"
            time.sleep(0.5)
    finally:
        store.close()


def on_chain(stack: LiveStack) -> Counter[str]:
    """How many times each commitment was registered in the stack's project."""
    events = get_events(
        stack.chain.w3,
        stack.record.address("PocLedger"),
        stack.record.deploy_block,
        event_types=[ContributionRegistered],
        project_id=stack.project_id,
    )
    return Counter(
        "0x" + e.commitment.hex() for e in events if isinstance(e, ContributionRegistered)
    )


def assert_exactly_once(stack: LiveStack, load: Load) -> None:
    """The outbox drains; every accepted registration is confirmed and on chain exactly once;
    nothing (accepted or not) landed twice."""
    wait_drained(stack)
    store = index_store(stack)
    try:
        ops = {c: store.outbox.operation(op_id) for c, op_id in load.accepted.items()}
    finally:
        store.close()
    statuses = Counter(op.status if op else "missing" for op in ops.values())
    assert statuses == Counter({"confirmed": len(ops)}), statuses
    assert_on_chain_once(stack, load.accepted)


def assert_on_chain_once(stack: LiveStack, commitments: Iterable[str]) -> None:
    """Each of `commitments` is registered on chain, and no registration landed twice."""
    counts = on_chain(stack)
    wanted = list(commitments)
    missing = [c for c in wanted if counts[c] == 0]
    assert not missing, f"{len(missing)} of {len(wanted)} accepted writes are not on chain"
    twice = {c: n for c, n in counts.items() if n > 1}
    assert not twice, f"{len(twice)} registrations landed more than once"


def api_log(stack: LiveStack) -> str:
    """The API process's output so far (uvicorn's log and any traceback)."""
    path: Path = stack.data_dir / "api.log"
    return path.read_text(errors="replace") if path.exists() else ""
