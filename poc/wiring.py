"""The composition root of the service: it opens the store, connects to the chain, and puts
the index follower, the outbox worker, the custodial keys and the API together.

- `build_services`: the `api.deps.Services` of one process, wired but not started;
- `create_app`: the API over them, with the background threads (`poc.background`) running
  while it does; the entry point of `uvicorn poc.wiring:create_app --factory`, and what the
  sandbox and the tests build their app with;
- `connect_from_settings`: the chain of a production process, from `POC_RPC_URL` and the
  deployment record in the data directory.

Nothing else puts these parts together: the library (`ledger`) and the HTTP adapter (`api`)
receive them.
"""

from __future__ import annotations

import logging
import sys

from fastapi import FastAPI

from api.app import build_app
from api.auth import KeyCache
from api.deps import LEDGER, VAULT, ChainAccess, Services
from api.limits import Admission, limits_of
from api.services.custody import Custody
from api.services.records import Records, load_records_key
from api.settings import ApiSettings, get_settings
from ledger.chain.clients import PocLedgerClient, RoyaltyVaultClient
from ledger.chain.connection import Backend, Chain, ChainConfig, connect_external
from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.transactions import TxSender
from ledger.errors import ChainError, ChainIdMismatchError, KeyLoadError, LedgerError
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
        settings.resolved_database_url, outbox_url=settings.resolved_outbox_database_url
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
    # A managed node that persists says which block is on its disk: the index shows and the
    # outbox confirms nothing above it (`poc.sandbox.anvil`).
    node = chain.node
    saved_block = node.saved_block if isinstance(node, AnvilProcess) and node.persist else None
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
        saved_block=saved_block,
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
        saved_block=saved_block,
    )
    return services


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
