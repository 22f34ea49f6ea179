"""The composition root of the service: it opens the store, connects to the chain, and puts
the index follower, the outbox worker, the custodial keys and the API together.

- `build_services`: the `api.deps.Services` of one process, wired but not started;
- `create_app`: the API over them, with the background threads (`poc.background`) running
  while it does; the entry point of `uvicorn poc.wiring:create_app --factory`, and what the
  sandbox and the tests build their app with;
- `connect_from_settings`: the chain of a production process, from `POC_RPC_URL` and the
  deployment record in the data directory;
- `build_evidence`: the timestamp queue and job (`POC_TSA_URL`, `POC_TSA_ROOTS`), the public
  anchor and its job (`POC_PUBLIC_RPC_URL`, `POC_CHECKPOINTS_ADDRESS`, `POC_ANCHOR_KEY`) and
  the seal (`POC_SEAL_PKCS12`, or `POC_SEAL_KEY` with `POC_SEAL_CERTIFICATE`).

Nothing else puts these parts together: the library (`ledger`) and the HTTP adapter (`api`)
receive them.
"""

from __future__ import annotations

import logging
import sys

from fastapi import FastAPI

from api.app import build_app
from api.auth import KeyCache
from api.deps import EXCHANGE, LEDGER, VAULT, ChainAccess, Services
from api.limits import Admission, limits_of
from api.services.custody import Custody
from api.services.records import Records, load_records_key
from api.settings import ApiSettings, get_settings
from ledger.chain.checkpoints import ChainCheckpointsClient
from ledger.chain.clients import PocExchangeClient, PocLedgerClient, RoyaltyVaultClient
from ledger.chain.connection import Backend, Chain, ChainConfig, connect_external
from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.transactions import TxSender
from ledger.errors import (
    ChainError,
    ChainIdMismatchError,
    ConfigurationError,
    KeyLoadError,
    LedgerError,
)
from ledger.evidence.anchor_job import CheckpointAnchorer
from ledger.evidence.seal import SealIdentity
from ledger.evidence.sources import EvidenceSources, PublicAnchor
from ledger.evidence.timestamp_job import IndexFeed, TimestampJob, TimestampQueue
from ledger.evidence.timestamps import TsaClient, load_trust_anchors
from ledger.openings.custody import SecretCustody
from ledger.openings.sealed import ScryptParams
from ledger.store import Store
from ledger.sync.deployment_check import DeploymentCheck
from ledger.sync.follower import ContractSpec, Follower
from ledger.sync.outbox import OutboxConfig, OutboxWorker
from poc.sandbox.anvil import AnvilProcess

log = logging.getLogger(__name__)

# uvicorn's STARTUP_FAILURE: with `--workers N` its supervisor then stops rather than start
# the worker again and again.
EXIT_STARTUP_FAILURE = 3


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


def proof_secret_custody(settings: ApiSettings) -> SecretCustody:
    """The proof secrets kept for partners who opt in: sealed under the custodial keys'
    password in `<data_dir>/proof-secrets/`, at the keystores' scrypt cost."""
    return SecretCustody(
        settings.data_dir / "proof-secrets",
        settings.keystore_password.get_secret_value(),
        params=ScryptParams(n=settings.keystore_scrypt_n),
    )


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
        settings.resolved_database_url,
        outbox_url=settings.resolved_outbox_database_url,
        files_dir=settings.data_dir / "shared",
    )
    keys = KeyCache(store)
    services = Services(
        settings=settings,
        store=store,
        keys=keys,
        admission=Admission(keys, limits_of(settings)),
        records=Records(store, load_records_key(settings, store)),
        proof_secrets=proof_secret_custody(settings),
    )
    if chain is None:
        connected = connect_from_settings(settings)
        if connected is not None:
            chain, deployment = connected
    if chain is None or deployment is None:
        log.warning("no chain configured: the API serves the index read-only")
        services.evidence = build_evidence(settings, store, None, None, services)
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
        exchange=(
            PocExchangeClient(chain.w3, deployment.address(EXCHANGE), chain_id=chain.chain_id)
            if EXCHANGE in deployment.addresses
            else None
        ),
    )
    followed = [
        ContractSpec(LEDGER, access.ledger_address),
        ContractSpec(VAULT, access.vault_address),
    ]
    if access.exchange is not None:
        followed.append(ContractSpec(EXCHANGE, access.exchange.address))
    services.chain = access
    custody = Custody(
        settings.data_dir / "keystores",
        settings.keystore_password.get_secret_value(),
        scrypt_n=settings.keystore_scrypt_n,
    )
    services.custody = custody
    # A managed node that persists says which block is on its disk: the index shows and the
    # outbox confirms nothing above it (`poc.sandbox.anvil`).
    node = chain.node
    saved_block = node.saved_block if isinstance(node, AnvilProcess) and node.persist else None
    services.follower = Follower(
        chain.w3,
        store,
        followed,
        start_block=deployment.deploy_block,
        confirmations=settings.confirmations,
        block_range=settings.index_block_range,
        poll_interval=settings.index_poll_interval,
        saved_block=saved_block,
    )

    def partner_sender(address: str) -> TxSender:
        account = custody.account(address)
        if account is None:
            raise KeyLoadError(f"the service holds no key of {address}")
        return chain.sender(account)

    def is_nonce_used(contract: str, signer: str, nonce: int) -> bool:
        clients = {LEDGER: access.ledger, VAULT: access.vault, EXCHANGE: access.exchange}
        client = clients.get(contract)
        if client is None:
            raise KeyLoadError(f"no {contract} in this deployment")
        return client.is_nonce_used(signer, nonce)

    services.worker = OutboxWorker(
        store=store,
        w3=chain.w3,
        relayer=relayer,
        contracts={spec.name: spec.address for spec in followed},
        config=OutboxConfig(
            confirmations=settings.confirmations,
            persist_delay=settings.persist_delay,
            poll_interval=settings.outbox_poll_interval,
            batch_size=settings.outbox_batch_size,
            lost_after=settings.lost_after,
        ),
        partner_sender=partner_sender,
        is_nonce_used=is_nonce_used,
        saved_block=saved_block,
    )
    services.evidence = build_evidence(settings, store, chain, access, services)
    return services


def _seal_identity(settings: ApiSettings) -> SealIdentity | None:
    secret = settings.seal_password
    password = secret.get_secret_value().encode() if secret is not None else None
    if settings.seal_pkcs12 is not None:
        return SealIdentity.from_pkcs12(settings.seal_pkcs12, password)
    if settings.seal_key is not None and settings.seal_certificate is not None:
        return SealIdentity.from_pem(
            settings.seal_key, settings.seal_certificate, password=password
        )
    if settings.seal_key is not None or settings.seal_certificate is not None:
        raise ConfigurationError("a seal needs both POC_SEAL_KEY and POC_SEAL_CERTIFICATE")
    return None


def _public_chain(settings: ApiSettings) -> Chain | None:
    """The public chain's node, signing with the anchor key if any; None when it cannot be
    reached now (bundles then go without checkpoints until the process restarts)."""
    if not settings.public_rpc_url:
        return None
    config = ChainConfig(
        backend=Backend.EXTERNAL,
        rpc_url=settings.public_rpc_url,
        private_key=settings.anchor_key.get_secret_value() if settings.anchor_key else None,
    )
    try:
        return connect_external(config)
    except ChainError as exc:
        log.warning("the public chain cannot be reached, no checkpoints for now: %s", exc)
        return None


def build_evidence(
    settings: ApiSettings,
    store: Store,
    chain: Chain | None,
    access: ChainAccess | None,
    services: Services,
) -> EvidenceSources:
    """The evidence sources the settings configure; the timestamp and anchoring jobs go into
    `services` (run by the background leader). Misconfiguration raises ConfigurationError (or
    the loader's error) at start, not at the first export."""
    roots = load_trust_anchors(settings.tsa_roots) if settings.tsa_roots else ()
    queue: TimestampQueue | None = None
    if settings.tsa_url:
        queue = TimestampQueue(store.durable_engine)
        queue.create()
        if chain is not None and access is not None:
            feed = IndexFeed(store, queue, chain_id=chain.chain_id, contract=access.ledger_address)
            services.timestamp_job = TimestampJob(
                queue, TsaClient(settings.tsa_url, trust_anchors=roots), feed=feed
            )
    public: PublicAnchor | None = None
    if settings.public_rpc_url or settings.checkpoints_address:
        if not (settings.public_rpc_url and settings.checkpoints_address):
            raise ConfigurationError(
                "a public anchor needs both POC_PUBLIC_RPC_URL and POC_CHECKPOINTS_ADDRESS"
            )
        public_chain = _public_chain(settings)
        anchorer = settings.anchorer
        if anchorer is None and public_chain is not None and public_chain.accounts:
            anchorer = public_chain.accounts[0].address
        if anchorer is None and public_chain is not None:
            raise ConfigurationError("a public anchor needs POC_ANCHOR_KEY or POC_ANCHORER")
        if public_chain is not None and anchorer is not None:
            public = PublicAnchor(
                public_chain.w3,
                settings.checkpoints_address,
                anchorer,
                settings.checkpoints_from_block,
            )
            if chain is not None and public_chain.accounts:
                services.anchor_job = CheckpointAnchorer(
                    chain.w3,
                    ChainCheckpointsClient(public_chain.w3, settings.checkpoints_address),
                    public_chain.sender(0),
                    confirmations=settings.confirmations,
                    start_block=access.deployment.deploy_block if access is not None else 0,
                    source_chain_id=chain.chain_id,
                )
    return EvidenceSources(
        timestamps=queue,
        tsa_url=settings.tsa_url,
        tsa_roots=roots,
        public=public,
        seal_identity=_seal_identity(settings),
    )


def create_app(
    settings: ApiSettings | None = None,
    *,
    store: Store | None = None,
    chain: Chain | None = None,
    deployment: DeploymentRecord | None = None,
    relayer: TxSender | None = None,
) -> FastAPI:
    """Build the API with everything it uses. With no arguments, settings come from the
    environment (`POC_*`).

    Called with no arguments it is the process's entry point (`uvicorn poc.wiring:create_app
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

    from poc.background import BackgroundLeader

    leader = BackgroundLeader(settings.data_dir / "background.lock", services)
    return build_app(services, background=leader if settings.start_workers else None)
