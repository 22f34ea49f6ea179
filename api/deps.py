"""Dependencies of the routes: the app's services, the authenticated caller, role checks.

Routes declare what they need with the `Annotated` aliases at the bottom (`ServicesDep`,
`ReaderDep`, `WriterDep`, `AdminDep`; the coordinator's routes check that role themselves,
after `WritesDep`); nothing else reads `app.state`.

These dependencies are `async def` although they do not await: FastAPI runs a plain `def`
dependency in the thread pool, one hop (and GIL hand-over) each, which cost more than the
work itself on every request. They must not block: key verification reads the database only
on a cache miss (`KeyCache`), a short indexed read.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Annotated

from eth_typing import ChecksumAddress
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.auth import KeyCache, Principal, RateLimiter, Role
from api.errors import (
    AuthenticationError,
    PermissionDeniedError,
    RateLimitedError,
    UnavailableError,
    WrongActorError,
)
from api.services.custody import Custody
from api.services.records import Records
from api.settings import ApiSettings
from ledger.chain.clients import PocLedgerClient, RoyaltyVaultClient
from ledger.chain.connection import Backend, Chain, check_external
from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.transactions import TxSender
from ledger.chain.translate import translating
from ledger.domain.values import checksum
from ledger.errors import ChainError, ChainIdMismatchError
from ledger.store import Store
from ledger.sync.follower import Follower
from ledger.sync.outbox import OutboxWorker

log = logging.getLogger(__name__)

LEDGER = "PocLedger"
VAULT = "RoyaltyVault"


@dataclass(frozen=True)
class ChainAccess:
    """The chain the API writes to: node, deployment, and the relayer that pays for calls."""

    chain: Chain
    deployment: DeploymentRecord
    relayer: TxSender
    ledger: PocLedgerClient
    vault: RoyaltyVaultClient

    @property
    def ledger_address(self) -> ChecksumAddress:
        return self.deployment.address(LEDGER)

    @property
    def vault_address(self) -> ChecksumAddress:
        return self.deployment.address(VAULT)


class DeploymentCheck:
    """Whether the node serves the deployment's chain: its chain id and genesis hash, and code
    at every contract address of the record.

    The API may start while the node is down; it then accepts writes into the outbox and
    serves the index, but nothing follows the chain or sends a transaction until this check
    has passed against the node (`BackgroundLeader` waits for it). `problem` says why it has
    not (for `/ready`); `mismatch` is set while the last answer came from a node of another
    chain, and then writes are refused too: they could never land there.
    """

    def __init__(self, chain: Chain, deployment: DeploymentRecord) -> None:
        self.chain = chain
        self.deployment = deployment
        self.problem: str | None = "the node has not been checked against the deployment yet"
        self.mismatch = False
        self._passed = threading.Event()
        self._lock = threading.Lock()

    @property
    def passed(self) -> bool:
        return self._passed.is_set()

    def check(self) -> None:
        """Check against the node now; raise `ChainIdMismatchError` if it is another chain,
        another `ChainError` if it cannot be asked. Once passed, never asks again."""
        with self._lock:
            if self._passed.is_set():
                return
            try:
                self._check()
            except ChainIdMismatchError as exc:
                self.problem = f"the node is not the deployment's chain: {exc}"
                self.mismatch = True
                raise
            except ChainError as exc:
                self.problem = f"cannot check the deployment against the node: {exc}"
                self.mismatch = False
                raise
            self.problem = None
            self.mismatch = False
            self._passed.set()

    def _check(self) -> None:
        if self.chain.backend is Backend.EXTERNAL:
            check_external(self.chain)
        self.deployment.check_chain(self.chain)
        for contract in self.deployment.contracts:
            with translating():
                code = self.chain.w3.eth.get_code(contract.address)
            if not code:
                raise ChainIdMismatchError(
                    f"no code at {contract.name} {contract.address} (deployed in block "
                    f"{contract.block_number}): was the chain reset?"
                )

    def wait(self, stop: threading.Event, interval: float = 1.0) -> bool:
        """Check every `interval` seconds until it passes (True) or `stop` is set (False).
        Logs each change of the reason it has not passed."""
        last: str | None = None
        while not stop.is_set():
            try:
                self.check()
            except ChainError:
                if self.problem != last:
                    log.warning("%s; checking again every %g s", self.problem, interval)
                    last = self.problem
            else:
                if last is not None:
                    log.warning("the node is back and serves the deployment's chain")
                return True
            stop.wait(interval)
        return False


@dataclass
class Services:
    """Everything a request may use; built by `create_app`, started by its lifespan."""

    settings: ApiSettings
    store: Store
    limiter: RateLimiter
    keys: KeyCache
    records: Records
    chain: ChainAccess | None = None
    follower: Follower | None = None
    worker: OutboxWorker | None = None
    custody: Custody | None = None
    check: DeploymentCheck | None = None

    def require_chain(self) -> ChainAccess:
        """The chain, or 503 when the API runs without one."""
        if self.chain is None:
            raise UnavailableError(
                "this API instance is not connected to a chain", code="chain_unavailable"
            )
        return self.chain

    def require_custody(self) -> Custody:
        """The custodial key store, or 503 when custodial signing is not set up."""
        if self.custody is None:
            raise UnavailableError("custodial signing is not set up", code="not_custodial")
        return self.custody

    def require_worker(self) -> OutboxWorker:
        """The outbox worker, or 503 when the API runs without a chain, or when its node is
        another chain than the deployment's (a write accepted then could never land)."""
        if self.worker is None:
            raise UnavailableError(
                "this API instance has no outbox worker (no chain)", code="chain_unavailable"
            )
        if self.check is not None and self.check.mismatch:
            raise UnavailableError(str(self.check.problem), code="chain_unavailable")
        return self.worker


async def get_services(request: Request) -> Services:
    """The `Services` of the app serving this request."""
    services = request.app.state.services
    assert isinstance(services, Services)
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

# Both headers are accepted; auto_error=False so that we answer 401 with our own body.
_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="API key issued at onboarding."
)
_bearer = HTTPBearer(auto_error=False, description="The same API key as a bearer token.")


async def get_principal(
    services: ServicesDep,
    header_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Authenticate the request by its API key and charge the key's rate limit."""
    plaintext = header_key or (bearer.credentials if bearer is not None else None)
    if not plaintext:
        raise AuthenticationError(
            "send your API key in the X-API-Key header", code="missing_api_key"
        )
    record = services.keys.verify(plaintext)
    if record is None:
        raise AuthenticationError("unknown or revoked API key", code="invalid_api_key")
    if not services.limiter.allow(record.key_id):
        raise RateLimitedError(
            f"rate limit of {services.settings.rate_limit_per_second:g} requests/s exceeded"
        )
    return Principal(
        key_id=record.key_id, role=Role(record.role), partner=record.partner, label=record.label
    )


async def require_writer(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """A partner or coordinator key (one that acts for a partner address)."""
    if not principal.role.acts_for_partner or principal.partner is None:
        raise PermissionDeniedError(
            f"a {principal.role.value} key cannot act for a partner; use a partner key"
        )
    return principal


async def require_admin(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """A sandbox admin key."""
    if principal.role is not Role.ADMIN:
        raise PermissionDeniedError("this action needs an admin key")
    return principal


async def require_exporter(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """Any key that may export proofs: everyone but admin keys."""
    if principal.role is Role.ADMIN:
        raise PermissionDeniedError("admin keys do not export proofs")
    return principal


def actor_of(principal: Principal, claimed: str | None = None) -> ChecksumAddress:
    """The partner a write acts for; 403 `wrong_actor` if the request names another one."""
    if principal.partner is None:
        raise PermissionDeniedError("this key acts for no partner")
    own = checksum(principal.partner)
    if claimed is not None and checksum(claimed) != own:
        raise WrongActorError(f"this API key acts for {own}, not for {checksum(claimed)}")
    return own


ReaderDep = Annotated[Principal, Depends(get_principal)]
WriterDep = Annotated[Principal, Depends(require_writer)]
AdminDep = Annotated[Principal, Depends(require_admin)]
ExporterDep = Annotated[Principal, Depends(require_exporter)]
