"""`poc sandbox`: a local chain with the contracts deployed, the demo consortium seeded, and
the API and web pages served on 127.0.0.1, in one command.

The steps, each usable on its own (the tests drive them one by one):

- `claim_data_dir` / `prepare_data_dir` (`poc.sandbox.data_dir`) make (or, with reset, wipe)
  the data directory. It only ever wipes a directory the sandbox made: one holding its marker
  file, or an empty one.
- `start_chain`: anvil persisting its state in `<data>/chain/` (default), the in-process
  eth-tester chain (`memory`: nothing persists, everything lives in a temporary directory), or
  an external node (`--rpc-url`, signing with `POC_PRIVATE_KEY` or `POC_KEYSTORE`).
- `ensure_deployed` reuses `<data>/deployment.json` when its chain id, genesis hash and
  contract code all match the node; when the chain's state was lost it says so, moves the stale
  records aside and deploys again.
- `seed_demo` (`poc.sandbox.seed`) plays `poc.sandbox.demo` once per deployment: keys in
  encrypted keystores, funding, identities, the project (its policy and agreement made by the
  agreement builder from the demo's answers) and its acceptances. Every step first checks the
  chain, so a seed interrupted half-way resumes instead of duplicating; salts derive from the
  demo partners' proof secrets (themselves derived from a per-data-dir secret), so the
  contributions' ids are the same on every attempt. The service keeps those proof secrets, as
  for custodial partners who opted in.
- `start_evidence` (`poc.sandbox.evidence`) starts the local TSA and the second anvil standing
  in for the public chain (with the checkpoint contract), and makes the demo seal; the app's
  background process timestamps every registration, anchors the chain there every few seconds
  and seals the PDF certificates.
- `run_sandbox` does all of the above (the command line is `poc.cli.sandbox`), then serves the
  app (`poc.wiring.create_app`) with uvicorn on 127.0.0.1, registers the demo's contributions
  with their cards and its endorsements through that API (`seed_contributions`, like any
  partner's client; it says "Ready" after that),
  and stops anvil after it, whether it ends by Ctrl-C, SIGTERM or an error; anvil gets
  SIGTERM, so its state is written out. If the sandbox is killed outright, anvil gets SIGTERM
  from the kernel (parent-death signal) and does the same; if anvil dies under the sandbox,
  it is started again (`poc.sandbox.anvil.AnvilProcess` with `supervise`).

Data directory layout (all of it is the sandbox's; `--reset` removes it):

    .poc-sandbox          marker: this directory belongs to a sandbox
    .poc-sandbox.lock     held by the running sandbox (its pid inside)
    chain/                anvil's state files, lock and log (see `poc.sandbox.anvil`)
    deployment.json       where the contracts are (ledger.chain.deployment_record.DeploymentRecord)
    sandbox.json          what the seed created: partners, project, contributions and salts
    seed-secret           the secret the demo partners' proof secrets derive from (owner-only)
    keystores/            encrypted keys of the demo partners and the relayer
    proof-secrets/        the proof secrets the service keeps (sealed; `ledger.openings.custody`)
    proof-secrets.handed  marker: the demo partners' proof secrets were handed over, once
    documents/            the demo documents, for proving a contribution with its file
    tsa/, public-chain/, public-deployment.json, seal/   the evidence services
                          (`poc.sandbox.evidence`)
    index.sqlite3         the API's index of the chain (rebuilt from the chain if lost)
    outbox.sqlite3        the API's outbox (writes accepted, not yet on chain), API keys, and the
                          contribution cards and dispute reasons, sealed (AES-256-GCM)
    records.key           the key that seals those cards and reasons (owner-only; made by the API
                          on its first start, kept apart from the database)

API keys: keys are stored hashed, so the sandbox cannot show old ones again. It revokes the
previous sandbox keys and issues new ones on every start, and prints them.

The app it serves gets `app.state.sandbox`, the API's `SandboxState` (`sandbox_state` builds
it): the seed, this start's API keys, `request_reset()`, which makes the sandbox stop, wipe its
data directory and start clean on the same port (the web UI's reset button), and this start's
page token. Apps not run by the sandbox have no such state. The app answers only Host
127.0.0.1, localhost and [::1] with its port (`local_hosts`; DNS rebinding), and its helpers
want the page token (`api.routes.sandbox_ui`).
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Final

from api.schemas.sandbox import DemoContribution, DemoPerson, SandboxState
from ledger.chain.clients import EXCHANGE_CONTRACT
from ledger.chain.clients import LEDGER_CONTRACT as LEDGER
from ledger.chain.clients import VAULT_CONTRACT as VAULT
from ledger.chain.connection import Backend, Chain, ChainConfig, connect_anvil
from ledger.chain.deploy import deploy_exchange, deploy_ledger
from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.translate import translating
from ledger.domain.codec import to_hex
from ledger.errors import ChainIdMismatchError, ConfigurationError, LedgerError
from poc.cli.main import redact_url
from poc.sandbox.anvil import AnvilProcess, connect
from poc.sandbox.data_dir import SandboxPaths, claim_data_dir, move_aside
from poc.sandbox.evidence import PUBLIC_CHAIN_ID, SandboxEvidence, start_evidence
from poc.sandbox.seed import (
    RELAYER_LABEL,
    SANDBOX_KEYSTORE_PASSWORD,
    Log,
    SandboxKey,
    SeedRecord,
    funding_account,
    issue_sandbox_keys,
    register_demo_agreement,
    sandbox_keystore,
    seed_contributions,
    seed_demo,
)

if TYPE_CHECKING:
    import uvicorn


HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8000
# The sandbox stamps and anchors within seconds, so that a demo bundle soon carries both.
SANDBOX_TIMESTAMP_INTERVAL: Final = 1.0
SANDBOX_ANCHOR_INTERVAL: Final = 5.0
DEFAULT_DATA_DIR: Final = Path("data")


class ChainKind(StrEnum):
    """Which chain the sandbox runs on (`--rpc-url` makes it `external`)."""

    ANVIL = "anvil"
    MEMORY = "memory"
    EXTERNAL = "external"


class DeployOutcome(StrEnum):
    """What `ensure_deployed` did."""

    REUSED = "reused"
    DEPLOYED = "deployed"
    REDEPLOYED = "redeployed"  # the recorded chain state was lost


class SandboxStopped(Exception):
    """Raised in the main thread when SIGINT or SIGTERM asks the sandbox to stop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# -- the data directory ------------------------------------------------------------------------


# -- the chain ---------------------------------------------------------------------------------


def start_chain(
    kind: ChainKind,
    paths: SandboxPaths,
    rpc_url: str | None = None,
    *,
    log: Log = print,
    port: int = 0,
) -> Chain:
    """Start or reach the sandbox's chain; the caller closes it (which stops a managed anvil).
    A managed anvil listens on `port` (0: a free one).

    The managed anvil never outlives the sandbox (parent-death signal), is started again if
    it dies under it (`log` says so), and stops any node an earlier run left on `chain/`
    first; see `poc.sandbox.anvil`.
    """
    if kind is ChainKind.MEMORY:
        return connect(ChainConfig(backend=Backend.MEMORY))
    if kind is ChainKind.ANVIL:
        # Proofs rest on receipts and headers, which survive a restart without anvil's historical
        # states; keeping those made anvil rewrite its whole history into the state file every
        # second (hundreds of MB after a few thousand blocks) and slowed every write.
        config = ChainConfig(
            backend=Backend.ANVIL, data_dir=paths.chain_dir, anvil_preserve_history=False
        )
        node = AnvilProcess(
            paths.chain_dir,
            binary=config.anvil_bin,
            port=port or config.anvil_port,
            state_interval=config.anvil_state_interval,
            preserve_history=False,
            supervise=True,
            on_event=lambda message: log(f"Chain: {message}"),
        )
        node.start()
        return connect_anvil(config, node=node, owns_node=True)
    config = ChainConfig.from_env(backend=Backend.EXTERNAL, rpc_url=rpc_url)
    if not (config.private_key or config.keystore_path):
        raise ConfigurationError(
            "the sandbox on an external node needs a funded key to deploy and fund the demo "
            "accounts: set POC_PRIVATE_KEY, or POC_KEYSTORE with POC_KEYSTORE_PASSWORD_FILE"
        )
    return connect(config)


def ensure_deployed(
    chain: Chain, paths: SandboxPaths, *, log: Log = print
) -> tuple[DeploymentRecord, DeployOutcome]:
    """The deployment recorded in the data directory, deploying first if there is none.

    A record whose chain is gone (a new genesis, or no code at its addresses) means the chain
    state was lost: on a sandbox chain the stale records are moved aside (`*.lost-<time>`) and
    everything is deployed and seeded again. On an external node that is refused instead: the
    data directory belongs to another network.
    """
    outcome = DeployOutcome.DEPLOYED
    if paths.deployment.exists():
        record = DeploymentRecord.read(paths.deployment)
        problem = deployment_problem(chain, record)
        if problem is None:
            if EXCHANGE_CONTRACT not in record.addresses:
                # A sandbox from before the exchange existed: add it beside the same ledger.
                record = deploy_exchange(
                    chain,
                    record,
                    chain.sender(funding_account(chain)),
                    estimate=not chain.is_dev,
                    path=paths.deployment,
                )
                log(f"PocExchange deployed at {record.address(EXCHANGE_CONTRACT)}")
            return record, DeployOutcome.REUSED
        if chain.backend is Backend.EXTERNAL:
            raise ConfigurationError(
                f"{paths.deployment} does not match this node: {problem}. Use another "
                "--data-dir for this network, or --reset to start this one afresh"
            )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        # The outbox goes too: what it still holds was meant for the lost deployment.
        for stale in (paths.deployment, paths.seed, paths.index_db, paths.outbox_db):
            move_aside(stale, stamp)
        for database in (paths.index_db, paths.outbox_db):
            for suffix in ("-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
        log(
            f"The chain state was lost ({problem}).\n"
            f"Deploying the contracts again and re-creating the demo data; the old records "
            f"are kept as *.lost-{stamp}.*"
        )
        outcome = DeployOutcome.REDEPLOYED
    # Dev chains take the fixed gas limits; an external one may account gas differently.
    funder = chain.sender(funding_account(chain))
    record = deploy_ledger(chain, funder, estimate=not chain.is_dev)
    record = deploy_exchange(chain, record, funder, estimate=not chain.is_dev)
    record.write(paths.deployment)
    return record, outcome


def deployment_problem(chain: Chain, record: DeploymentRecord) -> str | None:
    """Why `record` does not describe live contracts on `chain`, or None if it does."""
    try:
        record.check_chain(chain)
    except ChainIdMismatchError as exc:
        return str(exc)
    for contract in record.contracts:
        with translating():
            code = chain.w3.eth.get_code(contract.address)
        if not code:
            return f"no code at {contract.name} {contract.address}"
    return None


# -- the seed ----------------------------------------------------------------------------------


# -- API keys ----------------------------------------------------------------------------------


# -- serving -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SandboxOptions:
    """What `poc sandbox` was asked to do."""

    data_dir: Path = DEFAULT_DATA_DIR
    port: int = DEFAULT_PORT
    reset: bool = False
    chain: ChainKind = ChainKind.ANVIL
    rpc_url: str | None = None

    def __post_init__(self) -> None:
        if self.rpc_url is not None and self.chain is not ChainKind.EXTERNAL:
            object.__setattr__(self, "chain", ChainKind.EXTERNAL)
        if self.chain is ChainKind.EXTERNAL and not self.rpc_url:
            raise ConfigurationError("an external chain needs --rpc-url")
        if not 0 <= self.port <= 65_535:
            raise ConfigurationError(f"--port must be 0-65535, got {self.port}")


def bind_port(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:`port` (0: any free port), for uvicorn to serve on.

    Bound before anything else starts, so that a busy port is reported at once and nobody can
    take the port while the chain starts and the seed runs.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # As uvicorn does: a previous sandbox's connections in TIME_WAIT must not block a restart.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise ConfigurationError(
            f"cannot listen on {HOST}:{port} ({exc.strerror}); is another sandbox running? "
            "Pass --port to use another port"
        ) from exc
    return sock


def local_hosts(port: int) -> tuple[str, ...]:
    """The Host header values a browser on this machine sends to the sandbox on `port`: the
    app answers nothing else (DNS rebinding, see `api.app.HostCheckMiddleware`)."""
    names = (HOST, "localhost", "[::1]")
    hosts = tuple(f"{name}:{port}" for name in names)
    # A browser leaves the port out of Host when it is the scheme's default.
    return hosts + names if port == 80 else hosts


class ResetSwitch:
    """Lets the running app ask the sandbox to start over clean (the web UI's reset button).

    `request()` only flags the reset and tells uvicorn to stop; `run_sandbox` then stops the
    chain, wipes the data directory and starts again on the same port.
    """

    def __init__(self) -> None:
        self._requested = threading.Event()
        self._server: uvicorn.Server | None = None

    @property
    def requested(self) -> bool:
        return self._requested.is_set()

    def attach(self, server: uvicorn.Server) -> None:
        self._server = server

    def request(self) -> None:
        """Ask for a clean restart; safe from any thread, idempotent."""
        self._requested.set()
        if self._server is not None:
            self._server.should_exit = True


def sandbox_state(
    seed: SeedRecord, keys: tuple[SandboxKey, ...], request_reset: Callable[[], None]
) -> SandboxState:
    """What the sandbox tells the app it serves, as `app.state.sandbox` (the API's
    `SandboxState`): the seeded demo, the API keys printed at this start (to let the web pages
    act as a demo partner), the demo documents, and the reset hook."""
    partners = {p.label: p for p in seed.partners}
    people = []
    for key in keys:
        partner = partners.get(key.label)
        people.append(
            DemoPerson(
                label=key.label,
                name=key.name,
                role=key.role,
                address=key.address,
                kind=partner.kind if partner else None,
                company_number=partner.company_number if partner else None,
                api_key=key.api_key,
            )
        )
    return SandboxState(
        project_id=seed.project_id,
        project_title=seed.project_title,
        chain_id=seed.chain_id,
        ledger=seed.ledger,
        people=tuple(people),
        contributions=tuple(
            DemoContribution(
                key=c.key,
                partner=c.partner,
                contributor=c.contributor,
                contribution_id=c.contribution_id,
                content_hash=c.content_hash,
                salt=c.salt,
                document=Path(c.document).name,
            )
            for c in seed.contributions
        ),
        documents=frozenset(
            {Path(c.document).name for c in seed.contributions}
            | {Path(seed.agreement_document).name}
        ),
        request_reset=request_reset,
    )


def run_sandbox(options: SandboxOptions, *, out: Log = print, started: float | None = None) -> int:
    """Run the sandbox until SIGINT or SIGTERM; return the exit status (0 on a requested stop).

    `started` is the `time.monotonic()` the reported start-up time counts from (default: now).
    A reset requested by the app (`app.state.sandbox.request_reset`) runs it again from a
    wiped data directory.
    """
    started = time.monotonic() if started is None else started
    with contextlib.ExitStack() as stack:
        stack.callback(_install_stop_handlers())
        try:
            # Bound before anything starts: a busy port is reported at once. uvicorn closes
            # the socket when it stops; a reset binds the same port again.
            sock = bind_port(options.port)
            port = int(sock.getsockname()[1])
            reset = options.reset
            while True:
                switch = ResetSwitch()
                code = _run_once(options, reset, sock, switch, started=started, out=out)
                if not switch.requested:
                    return code
                out("Reset requested: stopping, wiping the data directory, starting clean ...")
                started, reset = time.monotonic(), True
                sock = bind_port(port)
        except SandboxStopped as stop:
            out(f"Stopping ({signal.Signals(stop.signum).name}) ...")
            return 0
    raise AssertionError("unreachable: the block returns or raises")


def _run_once(
    options: SandboxOptions,
    reset: bool,
    sock: socket.socket,
    switch: ResetSwitch,
    *,
    started: float,
    out: Log,
) -> int:
    """One life of the sandbox, from claiming the data directory to uvicorn's stop."""
    port = int(sock.getsockname()[1])
    # Unwound in reverse: the server's socket, then the chain (anvil saves its state), then
    # the data directory's lock, so no other sandbox can start on it before anvil is down.
    with contextlib.ExitStack() as stack:
        stack.enter_context(sock)
        if options.chain is ChainKind.MEMORY:
            temp_root = Path(tempfile.mkdtemp(prefix="poc-sandbox-memory-"))
            stack.callback(shutil.rmtree, temp_root, ignore_errors=True)
            paths = stack.enter_context(claim_data_dir(temp_root / "data"))
            out(
                "Chain: in-process eth-tester (--chain memory). Nothing persists: the "
                "chain, the keys and the index are gone when the sandbox stops."
            )
        else:
            paths = stack.enter_context(claim_data_dir(options.data_dir, reset=reset))
            if reset:
                out(f"Reset: wiped {paths.root}")
        chain = start_chain(options.chain, paths, options.rpc_url, log=out)
        stack.callback(_close_chain, chain, out)
        if chain.node is not None:
            out(
                f"Chain: anvil at {chain.node.url} (chain id {chain.chain_id}), "
                f"state kept in {paths.chain_dir}"
            )
        elif options.chain is ChainKind.EXTERNAL:
            shown = redact_url(options.rpc_url or "")
            out(f"Chain: external node {shown} (chain id {chain.chain_id})")
        record, outcome = ensure_deployed(chain, paths, log=out)
        verb = {"reused": "found", "deployed": "deployed", "redeployed": "redeployed"}
        out(
            f"Contracts {verb[outcome]}: PocLedger {record.address(LEDGER)}, "
            f"RoyaltyVault {record.address(VAULT)}, "
            f"PocExchange {record.address(EXCHANGE_CONTRACT)}"
        )
        seed = seed_demo(chain, record, paths, log=out)
        evidence: SandboxEvidence | None = None
        if options.chain is ChainKind.MEMORY:
            # The in-process chain needs no node and keeps nothing; the evidence services are
            # node and OpenSSL processes with state of their own, so they stay off here.
            out(
                "Evidence: off with --chain memory (timestamps, public checkpoints and sealed "
                "certificates need the local timestamp authority and a second chain node)"
            )
        else:
            evidence = start_evidence(paths.root, log=out)
            stack.callback(evidence.close)
            out(
                f"Evidence: timestamp authority {evidence.tsa_url} (OpenSSL ts, test CA "
                f"{evidence.tsa_roots}), public chain {evidence.public_rpc_url} (chain id "
                f"{PUBLIC_CHAIN_ID}) with ChainCheckpoints {evidence.checkpoints_address}"
            )
        server, keys = _build_server(
            chain, record, seed, paths, options, port, switch, evidence=evidence
        )
        announce = threading.Thread(
            target=_announce_when_ready,
            args=(server, _banner(seed, keys, paths, options, port), started, out),
            kwargs={"seed_api": (seed, keys, paths, port)},
            name="sandbox-announce",
            daemon=True,
        )
        announce.start()
        server.run(sockets=[sock])
        return 0 if server.started else 1
    raise AssertionError("unreachable: the block returns or raises")


def _close_chain(chain: Chain, out: Log) -> None:
    chain.close()
    if chain.node is not None:
        out("Chain stopped; its state is saved.")


def _build_server(
    chain: Chain,
    record: DeploymentRecord,
    seed: SeedRecord,
    paths: SandboxPaths,
    options: SandboxOptions,
    port: int,
    switch: ResetSwitch,
    *,
    evidence: SandboxEvidence | None = None,
) -> tuple[uvicorn.Server, tuple[SandboxKey, ...]]:
    import uvicorn
    from pydantic import SecretStr

    from api.settings import ApiSettings
    from ledger.store import Store
    from poc.wiring import create_app

    relayer = sandbox_keystore(paths).load(RELAYER_LABEL)
    evidence_settings: dict[str, object] = {}
    if evidence is not None:
        evidence_settings = {
            "tsa_url": evidence.tsa_url,
            "tsa_roots": evidence.tsa_roots,
            "timestamp_interval": SANDBOX_TIMESTAMP_INTERVAL,
            "public_rpc_url": evidence.public_rpc_url,
            "checkpoints_address": evidence.checkpoints_address,
            "checkpoints_from_block": evidence.checkpoints.deploy_block,
            "anchor_key": SecretStr(to_hex(evidence.anchorer.key)),
            "anchor_interval": SANDBOX_ANCHOR_INTERVAL,
            "seal_key": evidence.seal_key,
            "seal_certificate": evidence.seal_certificate,
        }
    settings = ApiSettings(
        data_dir=paths.root,
        database_url=None,
        deployment_file=paths.deployment,
        rpc_url=chain.node.url if chain.node is not None else options.rpc_url,
        relayer_key=SecretStr(to_hex(relayer.key)),
        keystore_password=SecretStr(SANDBOX_KEYSTORE_PASSWORD),
        signing_mode="both",
        # No timing guess: the managed anvil says which block its saved state holds, and the
        # outbox confirms nothing above it (`poc.wiring.build_services`).
        persist_delay=0.0,
        sandbox=True,
        allowed_hosts=local_hosts(port),
    ).model_copy(update=evidence_settings)
    store = Store.open(
        settings.resolved_database_url,
        outbox_url=settings.resolved_outbox_database_url,
        files_dir=settings.data_dir / "shared",
    )
    keys = issue_sandbox_keys(store, seed)
    register_demo_agreement(store, seed, paths)
    app = create_app(
        settings, store=store, chain=chain, deployment=record, relayer=chain.sender(relayer)
    )
    config = uvicorn.Config(
        app,
        host=HOST,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        # A browser's open connections must not hold up Ctrl-C for long.
        timeout_graceful_shutdown=5,
        # No proxy in front: the peer is the client (X-Forwarded-For is the API's to read,
        # from POC_TRUSTED_PROXIES only; uvicorn would take it from any local peer).
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    switch.attach(server)
    app.state.sandbox = sandbox_state(seed, keys, switch.request)
    return server, keys


def _announce_when_ready(
    server: uvicorn.Server,
    banner: str,
    started: float,
    out: Log,
    *,
    seed_api: tuple[SeedRecord, tuple[SandboxKey, ...], SandboxPaths, int] | None = None,
) -> None:
    """Once the API serves: register the demo's contributions (with their cards) and
    endorsements through it, as any partner's client does, then say the sandbox is ready."""
    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.01)
    if seed_api is not None:
        import httpx

        seed, keys, paths, port = seed_api
        try:
            with httpx.Client(base_url=f"http://{HOST}:{port}") as http:
                seed_contributions(http, seed, keys, paths, log=out)
        except (LedgerError, httpx.HTTPError) as exc:
            out(f"The demo's contributions could not be registered: {exc}")
    out(banner)
    out(f"Ready in {time.monotonic() - started:.1f} s. Stop with Ctrl-C.")


def _banner(
    seed: SeedRecord,
    keys: tuple[SandboxKey, ...],
    paths: SandboxPaths,
    options: SandboxOptions,
    port: int,
) -> str:
    url = f"http://{HOST}:{port}"
    lines = [
        "",
        f"poc-ledger sandbox: {url}",
        f"  web pages {url}/   API docs {url}/docs   health {url}/health",
        f"  project {seed.project_id}: {seed.project_title}",
        "",
        "Demo partners (keys held by the sandbox, custodial mode) and their API keys",
        "(send as the X-API-Key header; new keys are issued on every start):",
    ]
    for key in keys:
        who = key.address or "-"
        lines.append(f"  {key.name}")
        lines.append(f"    role {key.role:<11} address {who}")
        lines.append(f"    api key {key.api_key}")
    if options.chain is ChainKind.MEMORY:
        lines.append("\nNothing persists (--chain memory).")
    else:
        lines.append(f"\nData: {paths.root} (poc sandbox --reset starts clean)")
    return "\n".join(lines)


def _install_stop_handlers() -> Callable[[], None]:
    """Turn SIGINT and SIGTERM into `SandboxStopped` in the main thread; return the undo.

    uvicorn installs its own handlers while it serves and, once shut down, re-raises the
    signal it caught: these handlers then end `run_sandbox`, whose `finally` stops anvil
    with SIGTERM, so the chain state is saved. Python's default SIGTERM would instead kill the
    process at once and leave anvil running without a final dump.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    stopping = False

    def handle(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping:
            # A second signal while we clean up must not abort stopping anvil.
            return
        stopping = True
        raise SandboxStopped(signum)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


# -- the command -------------------------------------------------------------------------------
