"""Posting the demo's writes through the sandbox's own API (`poc.sandbox.seed.seed_contributions`):
a group of writes is posted one after the other without waiting, then waited for together, so
that seeding waits once per level of "builds on" instead of once per write. A write done on an
earlier start is answered as such and counted as not new."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import httpx

from ledger.errors import ConfigurationError


class SeedError(ConfigurationError):
    """Raised when the API refuses a demo contribution or endorsement (other than as done)."""


# Refusals that mean the demo's write was done before (on an earlier start).
_DONE_CODES: Final = frozenset({"already_endorsed", "contribution_exists"})


@dataclass(frozen=True)
class DemoWrite:
    """One write of the demo: where it goes, its body, the key it is sent with, what it is."""

    path: str
    body: Mapping[str, Any]
    key: str
    what: str


def post_together(http: httpx.Client, writes: Sequence[DemoWrite]) -> int:
    """POST demo writes one after the other without waiting, then wait for them all; how many
    were new (a write done before, on an earlier start, is answered as such: 0)."""
    accepted: list[tuple[DemoWrite, dict[str, Any], float]] = []
    for write in writes:
        asked_at = time.time()
        response = http.post(
            write.path, json=dict(write.body), headers={"X-API-Key": write.key}, timeout=120
        )
        if response.status_code in (200, 201, 202):
            accepted.append((write, response.json(), asked_at))
            continue
        code = ""
        with contextlib.suppress(ValueError):
            code = str(response.json().get("code", ""))
        if code not in _DONE_CODES:
            raise SeedError(
                f"the API refused the demo's {write.what}: {response.status_code} {response.text}"
            )
    new = 0
    for write, op, asked_at in accepted:
        op = _settled(http, op, write)
        if op.get("status") == "failed":
            error = op.get("error") or {}
            if error.get("code") in _DONE_CODES:
                continue
            raise SeedError(f"the demo's {write.what} failed: {error}")
        repeat = float(op.get("createdAt", asked_at)) < asked_at
        new += 0 if repeat or (op.get("result") or {}).get("already_done") else 1
    return new


_SETTLED: Final = frozenset({"confirmed", "failed"})


def _settled(
    http: httpx.Client, op: dict[str, Any], write: DemoWrite, seconds: float = 120.0
) -> dict[str, Any]:
    """The operation once confirmed or failed (polled at its status URL)."""
    deadline = time.monotonic() + seconds
    while op.get("status") not in _SETTLED:
        if time.monotonic() > deadline:
            raise SeedError(f"the demo's {write.what} was not confirmed in {seconds:.0f} s")
        time.sleep(0.02)
        response = http.get(op["statusUrl"], headers={"X-API-Key": write.key}, timeout=30)
        if response.status_code != 200:
            raise SeedError(
                f"the demo's {write.what}: {response.status_code} {response.text} at "
                f"{op['statusUrl']}"
            )
        op = response.json()
    return op
