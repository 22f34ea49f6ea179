"""Fixtures for the typed-client tests: deployed contracts on the shared chains, actors, projects.

The contracts are deployed once per session on each shared chain (before any per-test
snapshot is taken, so reverting between tests keeps them), then every test runs on a snapshot
that is reverted afterwards.

- `env`: PocLedger + RoyaltyVault on eth-tester and (marked `anvil`) on anvil, in turn.
- `memory_env`: the same on eth-tester only, for tests where a real node adds nothing.

Actors by account index: 0 deployer, 1 alice (coordinator), 2 bob, 3 carol, 4 dave (never a
partner), 5 relayer (only relays signed actions).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count

import pytest

from ledger.chain import signing
from ledger.chain.clients import PocLedgerClient, RoyaltyVaultClient
from ledger.chain.connection import Chain
from ledger.chain.deploy import clients_for, deploy_ledger
from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.signing import SignedAuth, TypedData
from ledger.chain.transactions import TxSender
from ledger.domain import hashing
from ledger.domain.values import Category, Origin, Policy, Registration

SIGNATURE_TTL = 3_600


def default_policy(**overrides: object) -> Policy:
    """Two categories; 2/3 of partners for governance and splits; a one-day dispute window."""
    values: dict[str, object] = {
        "background_weight_bps": 5_000,
        "result_weight_bps": 10_000,
        "endorsement_quorum": 1,
        "dispute_window": 86_400,
        "split_approval_bps": 6_667,
        "governance_bps": 6_667,
        "partner_cap_bps": 0,
        "partner_floor_bps": 0,
        "categories": (
            Category.of("person-hours", "hour", 1, 10_000),
            Category.of("funding", "EUR-cent", 100_00, 5_000),
        ),
    }
    values.update(overrides)
    return Policy(**values)  # type: ignore[arg-type]


@dataclass
class Env:
    """A chain with the contracts deployed, its actors and helpers to set up projects."""

    chain: Chain
    record: DeploymentRecord
    ledger: PocLedgerClient
    vault: RoyaltyVaultClient
    _salts: count[int] = field(default_factory=lambda: count(1))

    @property
    def deployer(self) -> TxSender:
        return self.chain.sender(0)

    @property
    def alice(self) -> TxSender:
        return self.chain.sender(1)

    @property
    def bob(self) -> TxSender:
        return self.chain.sender(2)

    @property
    def carol(self) -> TxSender:
        return self.chain.sender(3)

    @property
    def dave(self) -> TxSender:
        return self.chain.sender(4)

    @property
    def relayer(self) -> TxSender:
        return self.chain.sender(5)

    def now(self) -> int:
        return int(self.chain.w3.eth.get_block("latest")["timestamp"])

    def deadline(self) -> int:
        return self.now() + SIGNATURE_TTL

    def agreement(self, text: str = "consortium agreement v1") -> bytes:
        return hashing.agreement_hash(hashing.text_hash(text), bytes(32))

    def create_project(
        self,
        partners: list[TxSender] | None = None,
        *,
        policy: Policy | None = None,
        accept: bool = True,
    ) -> int:
        """A project coordinated by alice with `partners` (default alice, bob, carol)."""
        members = partners or [self.alice, self.bob, self.carol]
        agreement = self.agreement()
        project_id = self.ledger.create_project(
            members[0], agreement, [m.address for m in members], policy or default_policy()
        ).value
        if accept:
            for member in members:
                self.ledger.accept_agreement(member, project_id, 1, agreement)
        return project_id

    def registration(
        self, contributor: TxSender, project_id: int, *, value: int = 8, **extra: object
    ) -> Registration:
        """A fresh contribution of `contributor` (unique content each call)."""
        content = hashing.sha256_bytes(f"document {next(self._salts)}".encode())
        commitment = hashing.commitment(contributor.address, project_id, content, bytes(32))
        return Registration(
            project_id,
            commitment,
            Origin.RESULT,
            0,
            value,
            **extra,  # type: ignore[arg-type]
        )

    def register(self, contributor: TxSender, project_id: int) -> bytes:
        return self.ledger.register(contributor, self.registration(contributor, project_id)).value

    def sign(self, actor: TxSender, data: TypedData) -> SignedAuth:
        return signing.sign_auth(actor.account.key, data)


def _deploy(chain: Chain) -> DeploymentRecord:
    return deploy_ledger(chain)


@pytest.fixture(scope="session")
def _client_deployment_memory(_memory_chain_session: Chain) -> DeploymentRecord:
    return _deploy(_memory_chain_session)


@pytest.fixture(scope="session")
def _client_deployment_anvil(_anvil_chain_session: Chain) -> DeploymentRecord:
    return _deploy(_anvil_chain_session)


def _env(request: pytest.FixtureRequest, backend: str) -> Iterator[Env]:
    # Deployment first, snapshot second: the revert after the test keeps the contracts.
    record: DeploymentRecord = request.getfixturevalue(f"_client_deployment_{backend}")
    chain: Chain = request.getfixturevalue(f"_{backend}_chain_session")
    snapshot = chain.snapshot()
    try:
        ledger, vault = clients_for(chain, record)
        yield Env(chain=chain, record=record, ledger=ledger, vault=vault)
    finally:
        chain.revert(snapshot)


@pytest.fixture(params=["memory", pytest.param("anvil", marks=pytest.mark.anvil)])
def env(request: pytest.FixtureRequest) -> Iterator[Env]:
    """Deployed contracts on eth-tester, then on anvil."""
    yield from _env(request, request.param)


@pytest.fixture
def memory_env(request: pytest.FixtureRequest) -> Iterator[Env]:
    """Deployed contracts on eth-tester only."""
    yield from _env(request, "memory")
