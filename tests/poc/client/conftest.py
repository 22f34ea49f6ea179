"""Fixtures of the client's tests: the API suite's app and consortium, on anvil.

The client speaks to the real API app (the API suite's `client` fixture, in process through
its ASGI transport, or served by uvicorn for the command line) on a real node: anvil, deployed
once per session and rewound after each test. Partners' keys are also written as JSON
keystores, for the non-custodial path.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from eth_account import Account
from fastapi import FastAPI

from ledger.chain.connection import Chain
from ledger.chain.deployment_record import DeploymentRecord
from poc.sandbox.anvil import free_port
from tests.api.conftest import client, consortium, settings, store  # noqa: F401 (fixtures)
from tests.api.support import Member, deploy

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def _anvil_deployed(_anvil_chain_session: Chain) -> tuple[Chain, DeploymentRecord]:
    return _anvil_chain_session, deploy(_anvil_chain_session)


@pytest.fixture
def deployed(
    _anvil_deployed: tuple[Chain, DeploymentRecord],
) -> Iterator[tuple[Chain, DeploymentRecord]]:
    chain, record = _anvil_deployed
    snapshot = chain.snapshot()
    try:
        yield chain, record
    finally:
        chain.revert(snapshot)


def keystore_of(member: Member, folder: Path, password: str = PASSWORD) -> Path:
    """`member`'s key as a JSON keystore file (a cheap scrypt cost: tests decrypt it often)."""
    path = folder / f"{member.address}.json"
    path.write_text(json.dumps(Account.encrypt(member.account.key, password, iterations=2)))
    return path


class AppServer:
    """An app served by uvicorn in a thread on a free port, as a partner's machine reaches it.
    Its lifespan is off: the API suite's `client` fixture already runs the app's workers."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> AppServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code < 500:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError("the API server did not start")

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
