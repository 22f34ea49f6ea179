"""Fixtures for the public-anchor tests: a second anvil as the public chain, with the checkpoint
contract deployed once per session (before any per-test snapshot, like the ledger's contracts),
and the consortium (PocLedger on the session anvil) beside it.

- `public`: the public chain, reverted after each test, with `ChainCheckpoints` at
  `public.checkpoints`;
- `consortium`: the ledger's `Env` on anvil, reverted after each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.chain.checkpoints import ChainCheckpointsClient, deploy_checkpoints
from ledger.chain.connection import Backend, Chain, ChainConfig, connect_anvil
from ledger.chain.transactions import TxSender
from poc.sandbox.anvil import AnvilProcess
from tests.ledger.conftest import Env, _env

PUBLIC_CHAIN_ID = 31338


@dataclass
class PublicChain:
    chain: Chain
    checkpoints: ChainCheckpointsClient
    deploy_block: int

    @property
    def anchorer(self) -> TxSender:
        return self.chain.sender(1)


def start_public_node(directory: Path, chain_id: int = PUBLIC_CHAIN_ID) -> AnvilProcess:
    """Another anvil, not persisted: a public chain (or a forger's copy of one)."""
    return AnvilProcess(directory, persist=False, chain_id=chain_id).start()


@pytest.fixture(scope="session")
def _public_session(
    tmp_path_factory: pytest.TempPathFactory, anvil_node: AnvilProcess
) -> Iterator[PublicChain]:
    # `anvil_node` first: it skips the session's anvil tests where anvil is missing.
    node = start_public_node(tmp_path_factory.mktemp("public-anvil"))
    try:
        chain = connect_anvil(
            ChainConfig(backend=Backend.ANVIL, anvil_chain_id=PUBLIC_CHAIN_ID), node=node
        )
        address, receipt = deploy_checkpoints(chain.sender(0))
        yield PublicChain(chain, ChainCheckpointsClient(chain.w3, address), receipt.block_number)
    finally:
        node.stop()


@pytest.fixture
def public(_public_session: PublicChain) -> Iterator[PublicChain]:
    snapshot = _public_session.chain.snapshot()
    try:
        yield _public_session
    finally:
        _public_session.chain.revert(snapshot)


@pytest.fixture
def consortium(request: pytest.FixtureRequest) -> Iterator[Env]:
    yield from _env(request, "anvil")
