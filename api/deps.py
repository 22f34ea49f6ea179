"""Dependencies of the routes: the app's services, the authenticated caller, role checks.

Routes declare what they need with the `Annotated` aliases at the bottom (`ServicesDep`,
`ReaderDep`, `WriterDep`, `AdminDep`; the coordinator's routes check that role themselves,
after `WritesDep`); nothing else reads `app.state`.

These dependencies are `async def` although they do not await: FastAPI runs a plain `def`
dependency in the thread pool, one hop (and GIL hand-over) each, which cost more than the
work itself on every request. They must not block. The API key was checked, and the limits
charged, before routing by `api.limits.AdmissionMiddleware`: `get_principal` reads its verdict.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Annotated

from eth_typing import ChecksumAddress
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.auth import KeyCache, Principal, Role
from api.errors import (
    AuthenticationError,
    PermissionDeniedError,
    UnavailableError,
    WrongActorError,
)
from api.limits import VERDICT, Admission, Admitted, Unauthenticated
from api.services.custody import Custody
from api.services.records import Records
from api.settings import ApiSettings
from ledger.chain.clients import PocExchangeClient, PocLedgerClient, RoyaltyVaultClient
from ledger.chain.connection import Chain
from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.transactions import TxSender
from ledger.domain.values import checksum
from ledger.evidence.anchor_job import CheckpointAnchorer
from ledger.evidence.sources import EvidenceSources
from ledger.evidence.timestamp_job import TimestampJob
from ledger.openings.custody import SecretCustody
from ledger.store import Store
from ledger.sync.deployment_check import DeploymentCheck
from ledger.sync.follower import Follower
from ledger.sync.outbox import OutboxWorker

log = logging.getLogger(__name__)

LEDGER = "PocLedger"
VAULT = "RoyaltyVault"
EXCHANGE = "PocExchange"


@dataclass(frozen=True)
class ChainAccess:
    """The chain the API writes to: node, deployment, and the relayer that pays for calls."""

    chain: Chain
    deployment: DeploymentRecord
    relayer: TxSender
    ledger: PocLedgerClient
    vault: RoyaltyVaultClient
    #: None for a deployment made before the exchange existed (`poc deploy --exchange` adds it).
    exchange: PocExchangeClient | None = None

    @property
    def ledger_address(self) -> ChecksumAddress:
        return self.deployment.address(LEDGER)

    @property
    def vault_address(self) -> ChecksumAddress:
        return self.deployment.address(VAULT)

    def require_exchange(self) -> PocExchangeClient:
        """The exchange's client, or 503 when the deployment has no PocExchange."""
        if self.exchange is None:
            raise UnavailableError(
                "this deployment has no PocExchange: knowledge exchange is not available",
                code="exchange_unavailable",
            )
        return self.exchange


@dataclass
class Services:
    """Everything a request may use; put together by `poc.wiring.build_services`, started and
    stopped with the app (`api.app.build_app`)."""

    settings: ApiSettings
    store: Store
    keys: KeyCache
    admission: Admission
    records: Records
    proof_secrets: SecretCustody
    chain: ChainAccess | None = None
    follower: Follower | None = None
    worker: OutboxWorker | None = None
    custody: Custody | None = None
    check: DeploymentCheck | None = None
    # Timestamps, public checkpoints and the seal (`poc.wiring.build_evidence`); the jobs are
    # run by the background leader beside the follower and the worker.
    evidence: EvidenceSources = field(default_factory=EvidenceSources)
    timestamp_job: TimestampJob | None = None
    anchor_job: CheckpointAnchorer | None = None

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
    request: Request,
    header_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, as `api.limits.AdmissionMiddleware` authenticated it (and charged its
    limits) before routing; 401 without a good key. The two header dependencies only declare
    the security schemes in the OpenAPI document."""
    verdict = request.scope.get(VERDICT)
    if isinstance(verdict, Admitted):
        return verdict.principal
    if isinstance(verdict, Unauthenticated):
        raise AuthenticationError(verdict.message, code=verdict.code)
    if header_key or bearer is not None:
        # A key nobody checked: the middleware is missing. Never serve such a request.
        raise RuntimeError("api.limits.AdmissionMiddleware is not installed")
    raise AuthenticationError("send your API key in the X-API-Key header", code="missing_api_key")


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
