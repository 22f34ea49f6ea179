"""One workspace's runtime, and the pool that starts workspaces on demand and stops them idle.

A workspace is the sandbox (`poc.sandbox`) with a data directory, a chain node, a database and
an API app of its own:

- `WorkspaceRuntime.start` claims nothing the sandbox's command claims (no port, no process
  lock of its own beyond anvil's): it prepares `<data>/workspaces/<slug>/` as a sandbox data
  directory, starts its node (anvil persisting in `chain/`, or the in-process eth-tester
  chain), deploys once, seeds the demo consortium once (`poc.sandbox.seed.seed_demo`), and
  builds the API with the composition root (`poc.wiring.build_services`, `api.app.build_app`)
  with `sandbox=False`: the sandbox helpers that hand out keys do not exist in it. Its
  background work (index follower, outbox worker) is a `poc.background.BackgroundLeader` on
  its data directory, started with it.
- `stop` ends the background work, closes the store and the node (anvil gets SIGTERM and
  writes its state out: the next start loads it, clock included).
- `wipe` stops it and removes its data directory and database.

`WorkspacePool` keeps the running ones, starts one at its first request (one start at a
time per workspace; other requests for it wait), and `stop_idle` stops those unused for a
while (anvil only: an in-process chain keeps nothing when stopped). With the platform's
registry it gives each workspace's node a port of its own, kept across stops (its URL stays
what the API processes know), and counts every wipe and reset in the workspace's
`generation`. In the split (`poc.hosting.processes`) this pool lives in the background process;
the API processes reach its nodes through `poc.hosting.remote.RemotePool`.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from pydantic import SecretStr

from api.app import build_app
from api.auth import KeyCache
from api.deps import Services
from api.services.writes import clock_moved
from api.settings import ApiSettings
from ledger.chain.connection import Chain
from ledger.chain.deployment_record import DeploymentRecord
from ledger.domain.codec import to_hex
from ledger.errors import ConfigurationError
from ledger.store import Store
from poc.background import BackgroundLeader
from poc.hosting.databases import WorkspaceDatabases
from poc.hosting.registry import Registry
from poc.hosting.settings import HostSettings
from poc.sandbox.anvil import free_port
from poc.sandbox.data_dir import SandboxPaths, prepare_data_dir
from poc.sandbox.run import ChainKind, ensure_deployed, start_chain
from poc.sandbox.seed import (
    RELAYER_LABEL,
    SANDBOX_KEYSTORE_PASSWORD,
    SandboxKey,
    SeedRecord,
    issue_sandbox_keys,
    register_demo_agreement,
    sandbox_keystore,
    seed_contributions,
    seed_demo,
)

log = logging.getLogger(__name__)

WORKSPACES_DIR: Final = "workspaces"


def workspace_dir(settings: HostSettings, slug: str) -> Path:
    return (settings.data_dir / WORKSPACES_DIR / slug).resolve()


def directory_size(root: Path) -> int:
    """Bytes of the regular files under `root` (0 if it does not exist)."""
    total = 0
    if not root.exists():
        return 0
    for path in root.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
    return total


@dataclass
class WorkspaceRuntime:
    """A running workspace: its node, its store, its API app and its background work."""

    slug: str
    paths: SandboxPaths
    chain: Chain
    deployment: DeploymentRecord
    seed: SeedRecord
    services: Services
    app: FastAPI
    #: The index follower and outbox worker; None in an API process of the split (the
    #: background process runs them).
    background: BackgroundLeader | None
    last_used: float = field(default_factory=time.monotonic)
    #: The workspace's generation (wipes and resets) this runtime was built under.
    generation: int = 0
    #: When the background process last confirmed the node runs (API processes only).
    ensured_at: float = field(default_factory=time.monotonic)

    @property
    def store(self) -> Store:
        return self.services.store

    def issue_keys(self) -> tuple[SandboxKey, ...]:
        """Fresh API keys of the demo partners, the lawyer and the admin (the previous ones
        are revoked): what the signed-in owner of the workspace plays the consortium with."""
        keys = issue_sandbox_keys(self.store, self.seed)
        # Revoked keys must stop working at once in this process.
        for record in self.store.keys.api_keys():
            if record.revoked_at is not None:
                self.services.keys.forget(record.key_id)
        return keys

    def chain_time(self) -> int:
        return int(self.chain.w3.eth.get_block("latest")["timestamp"])

    def move_clock(self, days: int) -> int:
        """Move this workspace's chain clock `days` forward; the new chain time."""
        moved = self.chain.increase_time(days * 24 * 3600)
        clock_moved(self.chain)
        return moved

    def contributions(self) -> int:
        return self.store.index.count_contributions()

    @property
    def rpc_url(self) -> str | None:
        return self.chain.node.url if self.chain.node is not None else None

    def stop(self) -> None:
        """End the background work (if this process runs it), close the store and the chain
        (which stops the node only where this process started it)."""
        if self.background is not None:
            self.background.stop()
        self.store.close()
        self.chain.close()


def workspace_services(
    settings: HostSettings,
    databases: WorkspaceDatabases,
    slug: str,
    paths: SandboxPaths,
    chain: Chain,
    record: DeploymentRecord,
    seed: SeedRecord,
    *,
    start_workers: bool,
    api_overrides: dict[str, object] | None = None,
) -> Services:
    """The workspace's services, built by the composition root on its own data directory,
    database and node (`start_workers`: whether this process may run its background work)."""
    from poc.wiring import build_services

    relayer = sandbox_keystore(paths).load(RELAYER_LABEL)
    api_settings = ApiSettings(
        data_dir=paths.root,
        database_url=databases.url(slug, paths.root),
        deployment_file=paths.deployment,
        rpc_url=chain.node.url if chain.node is not None else None,
        relayer_key=SecretStr(to_hex(relayer.key)),
        keystore_password=SecretStr(SANDBOX_KEYSTORE_PASSWORD),
        keystore_scrypt_n=settings.keystore_scrypt_n,
        signing_mode="both",
        persist_delay=0.0,
        sandbox=False,
        start_workers=start_workers,
    ).model_copy(update=api_overrides or {})
    store = Store.open(
        api_settings.resolved_database_url,
        outbox_url=api_settings.resolved_outbox_database_url,
        files_dir=api_settings.data_dir / "shared",
    )
    try:
        register_demo_agreement(store, seed, paths)
        return build_services(
            api_settings,
            store=store,
            chain=chain,
            deployment=record,
            relayer=chain.sender(relayer),
        )
    except BaseException:
        store.close()
        raise


def start_workspace(
    settings: HostSettings,
    databases: WorkspaceDatabases,
    slug: str,
    *,
    api_overrides: dict[str, object] | None = None,
    port: int = 0,
    generation: int = 0,
) -> WorkspaceRuntime:
    """Start workspace `slug` (deploying and seeding it the first time); an anvil node
    listens on `port` (0: a free one)."""
    root = workspace_dir(settings, slug)
    paths = prepare_data_dir(root)
    say: Callable[[str], None] = lambda message: log.info("workspace %s: %s", slug, message)  # noqa: E731
    kind = ChainKind.ANVIL if settings.chain == "anvil" else ChainKind.MEMORY
    chain = start_chain(kind, paths, log=say, port=port)
    try:
        record, _ = ensure_deployed(chain, paths, log=say)
        seed = seed_demo(chain, record, paths, log=say)
        databases.create(slug)
        services = workspace_services(
            settings,
            databases,
            slug,
            paths,
            chain,
            record,
            seed,
            start_workers=True,
            api_overrides=api_overrides,
        )
    except BaseException:
        chain.close()
        raise
    # The app's own lifespan never runs when mounted: the pool runs the background work.
    app = build_app(services, background=None)
    background = BackgroundLeader(paths.root / "background.lock", services)
    background.start()
    runtime = WorkspaceRuntime(
        slug, paths, chain, record, seed, services, app, background, generation=generation
    )
    try:
        seed_through_api(runtime, log=say)
    except BaseException:
        runtime.stop()
        raise
    return runtime


SEEDED_MARKER: Final = "contributions.seeded"
SEED_KEY_PREFIX: Final = "seed:"


def seed_through_api(runtime: WorkspaceRuntime, *, log: Callable[[str], None]) -> None:
    """Register the demo's contributions (with their cards) and endorsements through the
    workspace's own API, as `poc sandbox` does once its API serves (`seed_contributions`),
    once per workspace. The keys it uses are its own, revoked after: the owner's keys stay
    valid across a node's restarts."""
    marker = runtime.paths.root / SEEDED_MARKER
    if marker.exists():
        return
    from starlette.testclient import TestClient

    from api.auth import Role, new_api_key
    from poc.sandbox import demo

    store = runtime.store
    keys: list[SandboxKey] = []
    for partner in runtime.seed.partners:
        role = Role.COORDINATOR if partner.label == demo.COORDINATOR else Role.PARTNER
        issued = new_api_key(store, partner.address, role, f"{SEED_KEY_PREFIX}{partner.label}")
        keys.append(
            SandboxKey(partner.label, partner.name, role.value, partner.address, issued.plaintext)
        )
    try:
        # In process, through the app's whole stack (admission, validation, outbox).
        with TestClient(runtime.app, base_url="http://workspace") as http:
            seed_contributions(http, runtime.seed, keys, runtime.paths, log=log)
    finally:
        for record in store.keys.api_keys():
            if record.label.startswith(SEED_KEY_PREFIX) and record.revoked_at is None:
                store.keys.revoke_api_key(record.key_id)
                runtime.services.keys.forget(record.key_id)
    marker.write_text("the demo's contributions were registered through the API\n")


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a listener could bind `port` now (as anvil does: address reuse on)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class WorkspacePool:
    """The running workspaces of this process, started on demand."""

    def __init__(
        self,
        settings: HostSettings,
        databases: WorkspaceDatabases,
        *,
        api_overrides: dict[str, object] | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.settings = settings
        self.databases = databases
        self.api_overrides = api_overrides or {}
        self.registry = registry
        self._running: dict[str, WorkspaceRuntime] = {}
        # Key checks of workspaces whose node is not running: their store alone.
        self._key_caches: dict[str, KeyCache] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, slug: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(slug, threading.Lock())

    def running(self) -> dict[str, WorkspaceRuntime]:
        with self._guard:
            return dict(self._running)

    def peek(self, slug: str) -> WorkspaceRuntime | None:
        """The runtime if it runs now (never starts one)."""
        with self._guard:
            return self._running.get(slug)

    def get(self, slug: str) -> WorkspaceRuntime:
        """The running workspace, started if it is not (blocks while it starts)."""
        with self._guard:
            # Found and marked used in one step: `stop_idle` decides under the same guard, so
            # a runtime handed out here is never one it is stopping.
            runtime = self._running.get(slug)
            if runtime is not None:
                runtime.last_used = time.monotonic()
                return runtime
        with self._lock(slug):
            runtime = self.peek(slug)
            if runtime is None:
                runtime = self._start(slug)
            with self._guard:
                runtime.last_used = time.monotonic()
                self._running[slug] = runtime
        return runtime

    def _start(self, slug: str) -> WorkspaceRuntime:
        generation = 0
        if self.registry is not None:
            found = self.registry.workspace(slug)
            generation = found.generation if found is not None else 0
        return start_workspace(
            self.settings,
            self.databases,
            slug,
            api_overrides=self.api_overrides,
            port=self._node_port(slug),
            generation=generation,
        )

    def _node_port(self, slug: str) -> int:
        """The port `slug`'s node listens on: the one recorded for it while it is free, else a
        new one (recorded); 0 (any) without a registry or off anvil."""
        if self.registry is None or self.settings.chain != "anvil":
            return 0
        found = self.registry.workspace(slug)
        if found is None:
            return 0
        if found.node_port and port_is_free(found.node_port):
            return found.node_port
        taken = self.registry.node_ports()
        port = free_port()
        while port in taken:
            port = free_port()
        if found.node_port:
            log.warning(
                "workspace %s: port %s is taken; its node moves to %s", slug, found.node_port, port
            )
        self.registry.update_workspace(slug, node_port=port)
        return port

    def observe(self, slug: str, generation: int) -> None:
        """The registry says `slug` is at `generation`. This pool did every wipe and reset
        itself (and dropped what it had built then): nothing to do. An API process of the
        split (`poc.hosting.remote.RemotePool`) drops what it built on older data."""

    def verify_key(self, slug: str, key: str) -> bool:
        """Whether `key` is a good API key of `slug`, without starting its node: a made-up
        key must not wake a stopped workspace (the gate asks before it starts one)."""
        runtime = self.peek(slug)
        if runtime is not None:
            return runtime.services.keys.verify(key) is not None
        root = workspace_dir(self.settings, slug)
        if not (root / ".poc-sandbox").exists():
            return False  # never started: it has no keys yet
        with self._guard:
            cache = self._key_caches.get(slug)
            if cache is None:
                url = (
                    self.databases.url(slug, root)
                    or f"sqlite:///{(root / 'index.sqlite3').as_posix()}"
                )
                cache = KeyCache(Store.open(url, files_dir=root / "shared"))
                self._key_caches[slug] = cache
        return cache.verify(key) is not None

    def _forget_keys(self, slug: str) -> None:
        with self._guard:
            cache = self._key_caches.pop(slug, None)
        if cache is not None:
            cache.store.close()

    def stop(self, slug: str, *, final: bool = False) -> bool:
        """Stop `slug` if it runs; whether it did. An in-process chain keeps nothing once
        stopped: it stops only when the platform does (`final`)."""
        if self.settings.chain != "anvil" and not final:
            return False
        with self._lock(slug):
            with self._guard:
                runtime = self._running.pop(slug, None)
            if runtime is None:
                return False
            runtime.stop()
            return True

    def wipe(self, slug: str) -> None:
        """Stop `slug` and remove its data directory and database; its generation counts
        one more (every API process then drops what it built on the old data)."""
        with self._lock(slug):
            with self._guard:
                runtime = self._running.pop(slug, None)
            if runtime is not None:
                runtime.stop()
            self._forget_keys(slug)
            root = workspace_dir(self.settings, slug)
            if root.exists():
                if not (root / ".poc-sandbox").exists():
                    raise ConfigurationError(f"{root} is no workspace directory; not wiping it")
                shutil.rmtree(root)
            self.databases.drop(slug)
            if self.registry is not None:
                self.registry.bump_generation(slug)

    def reset(self, slug: str) -> WorkspaceRuntime:
        """Wipe `slug` and start it again (the demo seeded afresh)."""
        self.wipe(slug)
        return self.get(slug)

    def stop_idle(self, idle_seconds: float) -> list[str]:
        """Stop the anvil workspaces unused for `idle_seconds`; their names."""
        if self.settings.chain != "anvil":
            return []
        return [slug for slug in self.running() if self._stop_if_idle(slug, idle_seconds)]

    def _stop_if_idle(self, slug: str, idle_seconds: float) -> bool:
        with self._lock(slug):
            with self._guard:
                runtime = self._running.get(slug)
                if runtime is None or time.monotonic() - runtime.last_used < idle_seconds:
                    return False
                del self._running[slug]
            runtime.stop()
            return True

    def stop_all(self) -> None:
        for slug in list(self.running()):
            self.stop(slug, final=True)
        for slug in list(self._key_caches):
            self._forget_keys(slug)

    def size(self, slug: str) -> int:
        """Bytes the workspace takes: its files and its database."""
        return directory_size(workspace_dir(self.settings, slug)) + self.databases.size(slug)
