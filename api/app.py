"""The application factory: `create_app(settings) -> FastAPI`.

The app holds one `Services` (store, chain access, index follower, outbox worker) in
`app.state.services`; its lifespan starts the follower and the worker threads and stops them on
shutdown. The sandbox and the tests pass a connected chain and its deployment; a production
process passes nothing and the factory connects to `POC_RPC_URL` with the deployment record in
the data directory. If the node cannot be reached at start the app starts anyway (reads from
the index, writes into the outbox) and the follower and the worker wait until the node answers
and passes the deployment check (`api.deps.DeploymentCheck`).

Routes: `/health`, `/ready`, `/docs` and `/openapi.json` at the root; every resource under /v1.
"""

from __future__ import annotations

import fcntl
import logging
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import KeyCache, RateLimiter
from api.deps import LEDGER, VAULT, ChainAccess, DeploymentCheck, Services
from api.errors import PayloadTooLargeError, error_response, install_error_handlers
from api.routes import include_routers
from api.services.custody import Custody
from api.services.records import Records, load_records_key
from api.settings import ApiSettings, get_settings
from ledger.chain.clients import PocLedgerClient, RoyaltyVaultClient
from ledger.chain.connection import Backend, Chain, ChainConfig, connect_external
from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.transactions import TxSender
from ledger.errors import ChainError, ChainIdMismatchError, KeyLoadError, LedgerError
from ledger.store import Store
from ledger.sync.follower import ContractSpec, Follower
from ledger.sync.outbox import OutboxConfig, OutboxWorker

log = logging.getLogger(__name__)

# uvicorn's STARTUP_FAILURE: with `--workers N` its supervisor then stops rather than start
# the worker again and again.
EXIT_STARTUP_FAILURE = 3
DESCRIPTION = """\
Record hashed contributions of a joint innovation project on chain, score them into a royalty
split, and pay royalties by it.

**Authentication.** Every `/v1` route needs an API key in the `X-API-Key` header (or as a bearer
token). Keys are issued per partner at onboarding and shown once.

**Confidentiality.** A key reads only the projects its partner is (or was) a partner of; an
auditor or admin key only the projects whose coordinator granted it
(`/v1/projects/{id}/auditors`). Anything else answers 404, exactly as if it did not exist.

**Writes** are accepted into a durable outbox and answered `202 Accepted` with an operation and
its status URL; send `Prefer: wait` (or `?wait=true`) to wait until the write is confirmed on
chain. An `Idempotency-Key` header makes retries safe.

**Errors** are `{"code": ..., "message": ...}` with a stable `code`.
"""


class BodyLimitMiddleware:
    """Answers 413 for request bodies above `max_bytes`, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = PayloadTooLargeError(f"request body exceeds {self.max_bytes} bytes")
        declared: int | None = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit():
                declared = int(value)
        if declared is not None:
            # The server holds the body to its declared length: checking the header is enough.
            if declared > self.max_bytes:
                await error_response(too_large)(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # A streamed (chunked) body: read it here, up to the limit, before the app sees it. An
        # error raised from inside the app's `receive` would reach FastAPI's body parser, which
        # turns every exception into 400.
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                await error_response(too_large)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replay = iter(messages)

        async def buffered() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, buffered, send)


class BackgroundLeader:
    """Runs the index follower and the outbox worker in exactly one process per data directory.

    Several API processes (uvicorn `--workers N`) may share one database: each accepts writes,
    but only the holder of an exclusive lock on `lock_path` sends transactions (one relayer,
    one nonce sequence) and follows the chain. The others retry the lock every second, so a
    killed leader is replaced within a second.
    """

    def __init__(self, lock_path: Path, services: Services) -> None:
        self.lock_path = lock_path
        self.services = services
        self._file: IO[bytes] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Taking the lead and stopping exclude each other: no thread starts after `stop`.
        self._lock = threading.Lock()

    def start(self) -> None:
        """Take the lead now if free and the node passed the deployment check, else keep
        trying in a daemon thread (the check first: nothing follows or sends before it)."""
        check = self.services.check
        if (check is None or check.passed) and self._try_lead():
            return
        self._thread = threading.Thread(target=self._wait_lead, daemon=True)
        self._thread.start()

    def _try_lead(self) -> bool:
        with self._lock:
            if self._stop.is_set():
                return True  # stopped: nothing more to wait for
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.lock_path.open("ab")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
            self._file = handle
            if self.services.follower is not None:
                self.services.follower.start()
            if self.services.worker is not None:
                self.services.worker.start()
            return True

    def _wait_lead(self) -> None:
        check = self.services.check
        if check is not None and not check.wait(self._stop):
            return
        while not self._try_lead():
            if self._stop.wait(1.0):
                return

    def stop(self) -> None:
        """Stop the background threads and release the lock."""
        with self._lock:
            self._stop.set()
            if self._file is None:
                return
            if self.services.worker is not None:
                self.services.worker.stop()
            if self.services.follower is not None:
                self.services.follower.stop()
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def connect_from_settings(settings: ApiSettings) -> tuple[Chain, DeploymentRecord] | None:
    """Connect to `settings.rpc_url` with the deployment record, or None if not configured.

    A node that cannot be reached is no error: the chain is the record's, to be checked by
    `DeploymentCheck` once the node answers. A node that answers with another chain id is."""
    path = settings.resolved_deployment_file
    if not settings.rpc_url or not path.is_file():
        return None
    config = ChainConfig(
        backend=Backend.EXTERNAL,
        rpc_url=settings.rpc_url,
        private_key=settings.relayer_key.get_secret_value() if settings.relayer_key else None,
    )
    deployment = DeploymentRecord.read(path)
    chain = connect_external(config, unreachable_chain_id=deployment.chain_id)
    return chain, deployment


def build_services(
    settings: ApiSettings,
    *,
    store: Store | None = None,
    chain: Chain | None = None,
    deployment: DeploymentRecord | None = None,
    relayer: TxSender | None = None,
) -> Services:
    """Open the store and wire chain, follower and worker (not started)."""
    store = store or Store.open(
        settings.resolved_database_url, outbox_url=settings.resolved_outbox_database_url
    )
    services = Services(
        settings=settings,
        store=store,
        limiter=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
        keys=KeyCache(store),
        records=Records(store, load_records_key(settings, store)),
    )
    if chain is None:
        connected = connect_from_settings(settings)
        if connected is not None:
            chain, deployment = connected
    if chain is None or deployment is None:
        log.warning("no chain configured: the API serves the index read-only")
        return services
    check = DeploymentCheck(chain, deployment)
    try:
        check.check()  # a node of another chain is refused at start, as a bad setting is
    except ChainIdMismatchError:
        raise
    except ChainError as exc:
        log.warning(
            "starting without the node (%s): writes wait in the outbox, and the deployment "
            "record is checked against the node when it answers, before anything is sent",
            exc,
        )
    services.check = check
    relayer = relayer or chain.sender(0)
    access = ChainAccess(
        chain=chain,
        deployment=deployment,
        relayer=relayer,
        ledger=PocLedgerClient(chain.w3, deployment.address(LEDGER), chain_id=chain.chain_id),
        vault=RoyaltyVaultClient(chain.w3, deployment.address(VAULT), chain_id=chain.chain_id),
    )
    services.chain = access
    custody = Custody(
        settings.data_dir / "keystores",
        settings.keystore_password.get_secret_value(),
        scrypt_n=settings.keystore_scrypt_n,
    )
    services.custody = custody
    services.follower = Follower(
        chain.w3,
        store,
        [
            ContractSpec(LEDGER, access.ledger_address),
            ContractSpec(VAULT, access.vault_address),
        ],
        start_block=deployment.deploy_block,
        confirmations=settings.confirmations,
        block_range=settings.index_block_range,
        poll_interval=settings.index_poll_interval,
    )

    def partner_sender(address: str) -> TxSender:
        account = custody.account(address)
        if account is None:
            raise KeyLoadError(f"the service holds no key of {address}")
        return chain.sender(account)

    def is_nonce_used(contract: str, signer: str, nonce: int) -> bool:
        client = access.vault if contract == VAULT else access.ledger
        return client.is_nonce_used(signer, nonce)

    services.worker = OutboxWorker(
        store=store,
        w3=chain.w3,
        relayer=relayer,
        contracts={LEDGER: access.ledger_address, VAULT: access.vault_address},
        config=OutboxConfig(
            confirmations=settings.confirmations,
            persist_delay=settings.persist_delay,
            poll_interval=settings.outbox_poll_interval,
            batch_size=settings.outbox_batch_size,
            lost_after=settings.lost_after,
        ),
        partner_sender=partner_sender,
        is_nonce_used=is_nonce_used,
    )
    return services


def _api_models() -> dict[str, type[BaseModel]]:
    """The API's pydantic models by OpenAPI component name: the class name when it is unique,
    and always the module-qualified name FastAPI gives to models sharing a name."""
    found: list[type[BaseModel]] = []
    pending: list[type[BaseModel]] = [BaseModel]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("api."):
                found.append(sub)
    by_name: dict[str, list[type[BaseModel]]] = {}
    for model in found:
        by_name.setdefault(model.__name__, []).append(model)
    names: dict[str, type[BaseModel]] = {}
    for model in found:
        names[f"{model.__module__.replace('.', '__')}__{model.__name__}"] = model
        if len(by_name[model.__name__]) == 1:
            names[model.__name__] = model
    return names


def _serve_examples_with_nulls(app: FastAPI) -> None:
    """Serve each model's examples as declared. FastAPI encodes the document without `None`
    values (fastapi/fastapi#5559), so an example of a model with a required nullable field
    would lose that field and no longer validate against its own schema."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        models = _api_models()
        for name, component in document.get("components", {}).get("schemas", {}).items():
            model = models.get(name)
            if model is not None and "examples" in component:
                declared = model.model_json_schema().get("examples")
                if declared is not None:
                    component["examples"] = declared
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    settings: ApiSettings | None = None,
    *,
    store: Store | None = None,
    chain: Chain | None = None,
    deployment: DeploymentRecord | None = None,
    relayer: TxSender | None = None,
) -> FastAPI:
    """Build the API. With no arguments, settings come from the environment (`POC_*`).

    Called with no arguments it is the process's entry point (`uvicorn api.app:create_app
    --factory`): a `LedgerError` while starting (a damaged database file, a node of another
    chain than the deployment record's, a bad key) then ends the process with its message,
    without a traceback, and `EXIT_STARTUP_FAILURE`. Callers that pass settings get the
    exception.
    """
    from_environment = settings is None
    settings = settings or get_settings()
    try:
        services = build_services(
            settings, store=store, chain=chain, deployment=deployment, relayer=relayer
        )
    except LedgerError as exc:
        if not from_environment:
            raise
        print(f"poc-ledger API cannot start: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_STARTUP_FAILURE) from None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        leader = BackgroundLeader(settings.data_dir / "background.lock", services)
        if settings.start_workers:
            leader.start()
        try:
            yield
        finally:
            leader.stop()

    app = FastAPI(
        title="poc-ledger API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "health", "description": "Liveness and readiness."},
            {"name": "chain", "description": "The chain and deployment."},
            {"name": "projects", "description": "Projects, policy, agreement, membership."},
            {"name": "contributions", "description": "Hashed contributions and batches."},
            {"name": "proposals", "description": "Governance: membership, policy, agreement."},
            {"name": "endorsements", "description": "Partners vouching for contributions."},
            {"name": "disputes", "description": "Disputes of contributions and their votes."},
            {"name": "splits", "description": "Score, split proposals, statements."},
            {"name": "payouts", "description": "Vault balances and releases."},
            {"name": "partners", "description": "Partners, identities and API keys."},
            {"name": "operations", "description": "Status of accepted writes."},
            {"name": "exports", "description": "Proof bundles for lawyers."},
        ],
    )
    app.state.services = services
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    include_routers(app, settings)
    _serve_examples_with_nulls(app)
    return app
