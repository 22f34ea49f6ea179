"""The API processes' view of the workspaces: their nodes run in the background process.

In the split (`poc.hosting.processes`) an API process builds a workspace's app with the same
composition root as one process does (`poc.hosting.workspace.workspace_services`), but as a
client of a node it does not own: the background process starts the node (and deploys and
seeds it the first time) when asked through the control API (`poc.hosting.control`), and
runs the workspace's index follower and outbox worker. Here the services are built with
`start_workers=False`: a write accepted by any API process waits in the workspace's outbox,
in its database, until the background process sends it (as `poc.background` splits one
consortium).

`RemotePool` keeps what this process built per workspace and asks the background process
again at most every `activity_seconds` per workspace, beside the requests while the answer
it has is recent (which also tells it the workspace is in use, so that its node is not
stopped idle under a request; `RemotePool.get`). A workspace's data changes
under every process at a wipe or reset: its `generation` in the registry counts them, and
`observe` drops what was built under an older one.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from api.app import build_app
from ledger.chain.connection import (
    DEFAULT_CHAIN_ID,
    DEFAULT_MNEMONIC,
    Backend,
    ChainConfig,
    connect_anvil,
)
from ledger.chain.deployment_record import DeploymentRecord
from poc.hosting.control import ControlClient, NodeInfo
from poc.hosting.databases import WorkspaceDatabases
from poc.hosting.errors import workspace_not_found
from poc.hosting.settings import HostSettings
from poc.hosting.workspace import (
    WorkspacePool,
    WorkspaceRuntime,
    workspace_dir,
    workspace_services,
)
from poc.sandbox.data_dir import SandboxPaths
from poc.sandbox.seed import load_seed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RemoteNode:
    """A workspace's anvil, run by the background process (`ledger.chain.connection.DevNode`):
    the sandbox's chain id, mnemonic and accounts, at the URL the control API gave."""

    url: str
    chain_id: int = DEFAULT_CHAIN_ID
    mnemonic: str = DEFAULT_MNEMONIC
    accounts: int = 10

    def stop(self) -> None:
        """Never called: the chain does not own this node (the background process does)."""


def connect_workspace(
    settings: HostSettings,
    databases: WorkspaceDatabases,
    slug: str,
    node: NodeInfo,
    *,
    api_overrides: dict[str, object] | None = None,
) -> WorkspaceRuntime:
    """Workspace `slug`'s app in this process, on the node the background process runs."""
    paths = SandboxPaths(workspace_dir(settings, slug))
    if not paths.deployment.exists():
        raise workspace_not_found()  # wiped between the answer and now
    record = DeploymentRecord.read(paths.deployment)
    seed = load_seed(paths, record)
    if seed is None:
        raise workspace_not_found()
    chain = connect_anvil(ChainConfig(backend=Backend.ANVIL), RemoteNode(node.rpc_url))
    try:
        services = workspace_services(
            settings,
            databases,
            slug,
            paths,
            chain,
            record,
            seed,
            start_workers=False,
            api_overrides=api_overrides,
        )
    except BaseException:
        chain.close()
        raise
    app = build_app(services, background=None)
    return WorkspaceRuntime(
        slug, paths, chain, record, seed, services, app, None, generation=node.generation
    )


class RemotePool(WorkspacePool):
    """Workspaces whose nodes the background process runs, asked for through `control`."""

    def __init__(
        self,
        settings: HostSettings,
        databases: WorkspaceDatabases,
        control: ControlClient,
        *,
        api_overrides: dict[str, object] | None = None,
    ) -> None:
        super().__init__(settings, databases, api_overrides=api_overrides)
        self.control = control
        # The newest generation seen per workspace: what this process builds must not be older.
        self._seen: dict[str, int] = {}
        self._confirming: set[str] = set()
        self._confirmations = ThreadPoolExecutor(2, thread_name_prefix="poc-host-confirm")

    def _age(self, runtime: WorkspaceRuntime | None) -> float | None:
        """Seconds since the background process last confirmed `runtime`'s node; None when
        there is none, or it was built on older data than the registry now says."""
        if runtime is None or runtime.generation < self._seen.get(runtime.slug, 0):
            return None
        return time.monotonic() - runtime.ensured_at

    def get(self, slug: str) -> WorkspaceRuntime:
        """This process's app of `slug`, on a node the background process confirmed.

        The background process keeps a node up at least twice `activity_seconds` (and a
        minute more) after it was last asked for (`poc.hosting.processes.idle_floor`): an app
        confirmed less than `activity_seconds` ago is used as it is; up to twice that, it is
        used while the confirmation is asked again beside the request; older, the request
        waits for it (and the node is started if it was stopped)."""
        activity = self.settings.activity_seconds
        runtime = self.peek(slug)
        age = self._age(runtime)
        if runtime is not None and age is not None and age < 2 * activity:
            if age >= activity:
                self._confirm_later(slug)
        else:
            with self._lock(slug):
                runtime = self.peek(slug)
                age = self._age(runtime)
                if runtime is None or age is None or age >= activity:
                    runtime = self._ensure(slug, self.control.ensure(slug))
        runtime.last_used = time.monotonic()
        return runtime

    def _confirm_later(self, slug: str) -> None:
        """Ask the background process for `slug`'s node in a worker thread (once at a time)."""
        with self._guard:
            if slug in self._confirming:
                return
            self._confirming.add(slug)
        self._confirmations.submit(self._confirm, slug)

    def _confirm(self, slug: str) -> None:
        try:
            node = self.control.ensure(slug)
            with self._lock(slug):
                self._seen[slug] = max(self._seen.get(slug, 0), node.generation)
                runtime = self.peek(slug)
                if runtime is not None and (runtime.rpc_url, runtime.generation) == (
                    node.rpc_url,
                    node.generation,
                ):
                    runtime.ensured_at = time.monotonic()
                # Anything else: the next request waits for a new one (`_ensure`).
        except Exception:  # the next request after twice activity_seconds asks and waits
            log.warning("workspace %s: its node could not be confirmed", slug, exc_info=True)
        finally:
            with self._guard:
                self._confirming.discard(slug)

    def _ensure(self, slug: str, node: NodeInfo) -> WorkspaceRuntime:
        """The runtime for `node` (the caller holds `slug`'s lock): the one built already if
        it is for the same URL and generation, else a new one."""
        self._seen[slug] = max(self._seen.get(slug, 0), node.generation)
        runtime = self.peek(slug)
        if runtime is not None and (runtime.rpc_url, runtime.generation) == (
            node.rpc_url,
            node.generation,
        ):
            runtime.ensured_at = time.monotonic()
            return runtime
        self._drop(slug)
        runtime = connect_workspace(
            self.settings, self.databases, slug, node, api_overrides=self.api_overrides
        )
        with self._guard:
            self._running[slug] = runtime
        return runtime

    def observe(self, slug: str, generation: int) -> None:
        """The registry says `slug` is at `generation`: drop what was built on older data."""
        if generation <= self._seen.get(slug, 0):
            return
        with self._lock(slug):
            self._seen[slug] = max(self._seen.get(slug, 0), generation)
            runtime = self.peek(slug)
            if runtime is not None and runtime.generation < generation:
                self._drop(slug)
            self._forget_keys(slug)

    def _drop(self, slug: str) -> None:
        """Forget this process's app of `slug` (the node keeps running)."""
        with self._guard:
            runtime = self._running.pop(slug, None)
        if runtime is not None:
            runtime.stop()
        self._forget_keys(slug)

    def stop(self, slug: str, *, final: bool = False) -> bool:
        """Ask the background process to stop `slug`'s node (`final`: this process stops,
        the nodes are not its to stop)."""
        with self._lock(slug):
            self._drop(slug)
        return False if final else self.control.stop(slug)

    def wipe(self, slug: str) -> None:
        generation = self.control.wipe(slug)
        with self._lock(slug):
            self._seen[slug] = max(self._seen.get(slug, 0), generation)
            self._drop(slug)

    def reset(self, slug: str) -> WorkspaceRuntime:
        with self._lock(slug):
            self._drop(slug)
            return self._ensure(slug, self.control.reset(slug))

    def stop_all(self) -> None:
        self._confirmations.shutdown(wait=True, cancel_futures=True)
        super().stop_all()

    def stop_idle(self, idle_seconds: float) -> list[str]:
        """Drop this process's apps of workspaces unused for `idle_seconds` (their database
        connections and memory; the nodes are the background process's to stop), and the key
        checks of workspaces it has no app of; the names whose app was dropped."""
        dropped = []
        for slug in self.running():
            with self._lock(slug), self._guard:
                runtime = self._running.get(slug)
                if runtime is None or time.monotonic() - runtime.last_used < idle_seconds:
                    continue
                del self._running[slug]
            runtime.stop()
            dropped.append(slug)
        for slug in list(self._key_caches):
            if self.peek(slug) is None:
                self._forget_keys(slug)
        return dropped
