"""The platform: its lifecycle operations (`Platform`) and the ASGI app in front of the
workspaces (`HostApp`).

Routing (docs/hosting.md): a request whose Host is `<slug>.<domain>` goes to workspace
`slug`, at the root of its own origin; on the platform's own host, `/w/<slug>/...` goes to the
same workspace (for API clients), anything else to the platform's routes (the operator
console, health). Any other Host is refused (DNS rebinding).

In front of a workspace, in this order (`HostApp._workspace`):

1. `/join/<code>` answers without a session: it is how a session starts.
2. A credential of *this* workspace: its session (cookie `poc_workspace`, or the
   `X-Workspace-Session` header) or one of its API keys. Anything else, and any unknown or
   wiped workspace name, is the same 401 `workspace_sign_in_required`: without a credential
   nobody learns which workspaces exist.
3. Suspended (403 `workspace_suspended`), expired (403 `workspace_expired`).
4. The workspace's request quota (429 `workspace_rate_limited`), then, for writes, its
   storage and contribution quotas (403 `quota_*_reached`).
5. `/hosted/...`: the workspace's own page and actions (clock, keys, reset, graduation),
   session only, with `X-Workspace-Csrf` (or the form's `csrf`) on every change.
6. Everything else: the workspace's API app, with `X-Workspace-Expires-At` and
   `X-Workspace-Days-Left` on every answer and the expiry banner on its pages.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import RedirectResponse
from starlette.types import Message, Receive, Scope, Send

from api.errors import ApiError, PermissionDeniedError, error_response
from api.limits import TokenBuckets, retry_after
from api.routes.web import PLATFORM_NOTICE
from api.services.writes import clock_moved
from poc.hosting import errors
from poc.hosting.databases import WorkspaceDatabases
from poc.hosting.registry import (
    DAY,
    Registry,
    Workspace,
    WorkspaceStatus,
    check_slug,
    csrf_of,
)
from poc.hosting.settings import HostSettings
from poc.hosting.workspace import WorkspacePool, WorkspaceRuntime

log = logging.getLogger(__name__)

SESSION_COOKIE: Final = "poc_workspace"
SESSION_HEADER: Final = b"x-workspace-session"
CSRF_HEADER: Final = "X-Workspace-Csrf"
#: Where the expiry banner travels to the pages (`api.routes.web` reads it).
NOTICE_SCOPE_KEY: Final = PLATFORM_NOTICE
SCOPE_SLUG: Final = "poc.workspace"
_API_KEY_RE: Final = re.compile(r"^poc_[0-9a-f]{12}_[A-Za-z0-9_-]{20,100}$")
# Registration routes the contribution quota counts (single, batch, supersede).
_REGISTERS: Final = re.compile(
    r"^/v1/(projects/[0-9]+/(contributions|batches)(/prepare)?|contributions/0x[0-9a-fA-F]{64}/supersede)$"
)
_WORKSPACE_CACHE_SECONDS: Final = 1.0


@dataclass(frozen=True)
class Invitation:
    """A workspace invited: its record, the single-use code and the link to give its owner."""

    workspace: Workspace
    code: str
    url: str


class Platform:
    """The platform's state and operations: registry, databases, running workspaces, limits,
    the sweeper. Every operator action is written to the audit log."""

    def __init__(
        self,
        settings: HostSettings,
        *,
        api_overrides: dict[str, object] | None = None,
        idle_floor: float = 0.0,
    ) -> None:
        self.settings = settings
        #: Seconds a workspace stays up at least after its last use, whatever `idle_minutes`
        #: says (the split's processes: `poc.hosting.processes.idle_floor`).
        self.idle_floor = idle_floor
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.registry = Registry(settings.resolved_database_url)
        self.databases = WorkspaceDatabases(settings.resolved_database_url)
        self.pool: WorkspacePool
        if settings.split:
            from poc.hosting.control import ControlClient
            from poc.hosting.remote import RemotePool

            self.control: ControlClient | None = ControlClient(settings)
            self.pool = RemotePool(
                settings, self.databases, self.control, api_overrides=api_overrides
            )
        else:
            self.control = None
            self.pool = WorkspacePool(
                settings, self.databases, api_overrides=api_overrides, registry=self.registry
            )
        self._buckets: dict[tuple[str, int], TokenBuckets] = {}
        self._failed = TokenBuckets(settings.failed_auth_per_second, settings.failed_auth_burst)
        self._activity: Counter[str] = Counter()
        self._activity_lock = threading.Lock()
        self._cache: dict[str, tuple[Workspace | None, float]] = {}
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    # -- lookups -----------------------------------------------------------------------------

    def workspace(self, slug: str, *, fresh: bool = False) -> Workspace | None:
        """The workspace's record, read at most once a second per workspace."""
        now = time.monotonic()
        cached = self._cache.get(slug)
        if not fresh and cached is not None and now - cached[1] < _WORKSPACE_CACHE_SECONDS:
            return cached[0]
        found = self.registry.workspace(slug)
        self._cache[slug] = (found, now)
        return found

    def forget(self, slug: str) -> None:
        self._cache.pop(slug, None)

    def quota(self, workspace: Workspace) -> tuple[int, int, int]:
        """(contributions, storage bytes, requests a minute) the workspace may use."""
        settings = self.settings
        return (
            workspace.max_contributions or settings.max_contributions,
            workspace.max_storage_bytes or settings.max_storage_bytes,
            workspace.requests_per_minute or settings.requests_per_minute,
        )

    def take_request(self, workspace: Workspace) -> int | None:
        """Count one request against the workspace's per-minute quota: None if served, else
        the seconds to wait (`Retry-After`)."""
        # Each API process of the split counts its share (the kernel spreads connections).
        per_minute = max(1, -(-self.quota(workspace)[2] // self.settings.api_processes))
        key = (workspace.slug, per_minute)
        buckets = self._buckets.get(key)
        if buckets is None:
            # A burst of a tenth of the minute's requests: a page loads a dozen at once.
            buckets = TokenBuckets(per_minute / 60.0, max(10, per_minute // 10), max_entries=1)
            self._buckets[key] = buckets
        if buckets.reserve(workspace.slug) is None:
            return retry_after(buckets.wait(workspace.slug))
        with self._activity_lock:
            self._activity[workspace.slug] += 1
        return None

    def take_failed_auth(self, client: str) -> bool:
        """Whether a client may try one more credential now (given back if it was good)."""
        return self._failed.reserve(client) is not None

    def refund_failed_auth(self, client: str) -> None:
        self._failed.refund(client)

    # -- operator actions --------------------------------------------------------------------

    def invite_new(
        self, slug: str, owner_name: str, owner_email: str, *, days: int | None = None
    ) -> Invitation:
        """Create a workspace for an SME and an invitation to it."""
        slug = check_slug(slug)
        lifetime = days or self.settings.workspace_days
        workspace = self.registry.create_workspace(slug, owner_name, owner_email, days=lifetime)
        self.databases.create(slug)
        code = self.registry.invite(slug, days=self.settings.invitation_days)
        self.registry.audit(
            "operator",
            "workspace_created",
            slug,
            {"owner": owner_name, "email": owner_email, "days": lifetime},
        )
        return Invitation(workspace, code, self.invitation_url(slug, code))

    def invite_again(self, slug: str) -> Invitation:
        """A new invitation to an existing active workspace (a lost link, a second person)."""
        workspace = self._active(slug)
        code = self.registry.invite(slug, days=self.settings.invitation_days)
        self.registry.audit("operator", "invitation_issued", slug)
        return Invitation(workspace, code, self.invitation_url(slug, code))

    def invitation_url(self, slug: str, code: str) -> str:
        return f"{self.settings.workspace_url(slug)}/join/{code}"

    def extend(self, slug: str, days: int) -> Workspace:
        workspace = self._existing(slug)
        if workspace.status is WorkspaceStatus.WIPED:
            raise errors.workspace_not_found()
        base = max(workspace.expires_at, time.time())
        self.registry.update_workspace(slug, expires_at=base + days * DAY, warned_at=None)
        self.registry.audit("operator", "workspace_extended", slug, {"days": days})
        return self._fresh(slug)

    def suspend(self, slug: str) -> Workspace:
        self._active(slug)
        self.registry.update_workspace(slug, status=WorkspaceStatus.SUSPENDED)
        # Its sessions stay, so that its owner reads why (403 workspace_suspended); its node
        # stops, so its API keys cannot be checked and get the sign-in answer.
        self.pool.stop(slug)
        self.registry.audit("operator", "workspace_suspended", slug)
        return self._fresh(slug)

    def resume(self, slug: str) -> Workspace:
        workspace = self._existing(slug)
        if workspace.status is not WorkspaceStatus.SUSPENDED:
            raise errors.workspace_not_found()
        self.registry.update_workspace(slug, status=WorkspaceStatus.ACTIVE)
        self.registry.audit("operator", "workspace_resumed", slug)
        return self._fresh(slug)

    def set_quotas(
        self,
        slug: str,
        *,
        max_contributions: int | None,
        max_storage_bytes: int | None,
        requests_per_minute: int | None,
    ) -> Workspace:
        self._existing(slug)
        self.registry.update_workspace(
            slug,
            max_contributions=max_contributions,
            max_storage_bytes=max_storage_bytes,
            requests_per_minute=requests_per_minute,
        )
        self.registry.audit(
            "operator",
            "quotas_set",
            slug,
            {
                "max_contributions": max_contributions,
                "max_storage_bytes": max_storage_bytes,
                "requests_per_minute": requests_per_minute,
            },
        )
        return self._fresh(slug)

    def wipe(self, slug: str, *, actor: str = "operator", reason: str = "wiped") -> Workspace:
        """Stop the workspace and remove its node state, database and files; its sessions end
        and its unused invitations are dropped. The record and the audit log stay."""
        workspace = self._existing(slug)
        if workspace.status is WorkspaceStatus.WIPED:
            return workspace
        self.registry.update_workspace(slug, status=WorkspaceStatus.WIPED, storage_bytes=0)
        self.forget(slug)
        self.registry.end_sessions(slug)
        self.registry.forget_invitations(slug)
        self.pool.wipe(slug)
        self.registry.audit(actor, "workspace_wiped", slug, {"reason": reason})
        return self._fresh(slug)

    def reset(self, slug: str) -> WorkspaceRuntime:
        """Wipe the workspace's data and start it again with the demo seeded; the workspace,
        its sessions and its expiry stay (the owner's one-click reset)."""
        self._active(slug)
        runtime = self.pool.reset(slug)
        self.forget(slug)
        self.registry.audit(f"owner:{slug}", "workspace_reset", slug)
        return runtime

    def graduation_path(self, slug: str) -> Path:
        return self.settings.data_dir / "graduations" / f"{slug}.zip"

    def expire(self, slug: str) -> None:
        """Keep the graduation download for the owner, then wipe (the sweeper, at expiry)."""
        from poc.hosting.graduation import build_graduation

        kept = self.graduation_path(slug)
        kept.parent.mkdir(parents=True, exist_ok=True)
        passphrase = secrets.token_urlsafe(18)
        try:
            runtime = self.pool.get(slug)
            kept.write_bytes(build_graduation(runtime, passphrase))
            # The owner gets the passphrase with the file, from the operator.
            secret_path = kept.with_suffix(".passphrase.txt")
            secret_path.write_text(passphrase + "\n")
            secret_path.chmod(0o600)
            detail: dict[str, object] = {"kept": True}
        except Exception as exc:  # the wipe must happen even if the export cannot be made
            log.exception("workspace %s: the graduation download could not be kept", slug)
            detail = {"kept": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        self.wipe(slug, actor="platform", reason="expired")
        self.registry.audit("platform", "graduation_kept", slug, detail)

    # -- the sweeper -------------------------------------------------------------------------

    def flush_activity(self, now: float | None = None) -> None:
        """Write the requests counted since the last flush to the registry."""
        now = time.time() if now is None else now
        with self._activity_lock:
            activity, self._activity = self._activity, Counter()
        for slug, count in activity.items():
            self.registry.touch(slug, count, now)

    def sweep(self, now: float | None = None) -> None:
        """One round: activity counters, warnings, expiry, sizes, idle nodes. An API process
        of the split only writes its activity counters: the background process sweeps."""
        now = time.time() if now is None else now
        self.flush_activity(now)
        idle = max(self.settings.idle_minutes * 60, self.idle_floor)
        if self.settings.split:
            self.pool.stop_idle(idle)  # this process's apps only: the nodes are not its own
            return
        for workspace in self.registry.workspaces():
            if workspace.status is WorkspaceStatus.WIPED:
                continue
            if workspace.expires_at <= now:
                self.expire(workspace.slug)
                continue
            if workspace.warned_at is None and workspace.days_left(now) <= self.settings.warn_days:
                self.registry.update_workspace(workspace.slug, warned_at=now)
                self.registry.audit(
                    "platform",
                    "expiry_warning",
                    workspace.slug,
                    {"expires_at": workspace.expires_at},
                )
            self.registry.update_workspace(
                workspace.slug, storage_bytes=self.pool.size(workspace.slug)
            )
            self.forget(workspace.slug)
        for slug in self.pool.stop_idle(idle):
            log.info(
                "workspace %s: node stopped after %s idle minutes", slug, self.settings.idle_minutes
            )

    def start_sweeper(self) -> None:
        def loop() -> None:
            while not self._stop.wait(self.settings.sweep_seconds):
                try:
                    self.sweep()
                except Exception:
                    log.exception("sweep failed")

        self._sweeper = threading.Thread(target=loop, name="poc-host-sweeper", daemon=True)
        self._sweeper.start()

    def close(self) -> None:
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join(10)
        self.flush_activity()
        self.pool.stop_all()
        if self.control is not None:
            self.control.close()
        self.databases.close()
        self.registry.close()

    # -- helpers -----------------------------------------------------------------------------

    def _existing(self, slug: str) -> Workspace:
        workspace = self.registry.workspace(slug)
        if workspace is None:
            raise errors.workspace_not_found()
        return workspace

    def _active(self, slug: str) -> Workspace:
        workspace = self._existing(slug)
        if workspace.status is not WorkspaceStatus.ACTIVE:
            raise errors.workspace_not_found()
        return workspace

    def _fresh(self, slug: str) -> Workspace:
        self.forget(slug)
        return self._existing(slug)


# ------------------------------------------------------------------------------ ASGI


def expiry_headers(workspace: Workspace, warn_days: int) -> list[tuple[bytes, bytes]]:
    """`X-Workspace-Expires-At` always; `X-Workspace-Days-Left` within the warning period."""
    expires = datetime.fromtimestamp(workspace.expires_at, UTC).isoformat(timespec="seconds")
    headers = [(b"x-workspace-expires-at", expires.encode())]
    days_left = workspace.days_left()
    if days_left <= warn_days:
        headers.append((b"x-workspace-days-left", str(max(0, int(days_left))).encode()))
    return headers


def notice_of(workspace: Workspace, warn_days: int) -> dict[str, Any]:
    """The banner every page of the workspace shows (`api.routes.web`)."""
    days_left = workspace.days_left()
    date = datetime.fromtimestamp(workspace.expires_at, UTC).strftime("%Y-%m-%d")
    if days_left <= warn_days:
        return {
            "key": "hosted.banner_expiring",
            "values": {"days": max(0, int(days_left)), "date": date},
            "warning": True,
        }
    return {
        "key": "hosted.banner",
        "values": {"slug": workspace.slug, "date": date},
        "warning": False,
    }


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def session_token(scope: Scope) -> str | None:
    """The workspace session a request presents: its header, else its cookie."""
    header = _header(scope, SESSION_HEADER)
    if header:
        return header.strip()
    cookies = Headers(scope=scope).get("cookie")
    if not cookies:
        return None
    for part in cookies.split(";"):
        name, _, value = part.strip().partition("=")
        if name == SESSION_COOKIE and value:
            return value
    return None


def presented_api_key(scope: Scope) -> str | None:
    key = _header(scope, b"x-api-key")
    if key:
        return key.strip()
    auth = _header(scope, b"authorization")
    if auth and auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


class HostApp:
    """The ASGI app `poc host` serves: the platform's routes and every workspace behind the
    gate. `platform_app` and `workspace_routes` are FastAPI apps (`poc.hosting.routes`)."""

    def __init__(self, platform: Platform, *, start_sweeper: bool = True) -> None:
        from poc.hosting.routes import build_platform_app, build_workspace_routes

        self.platform = platform
        self.settings = platform.settings
        self.start_sweeper = start_sweeper
        self.platform_app = build_platform_app(platform)
        self.workspace_routes = build_workspace_routes(platform)
        domain = self.settings.domain
        self._suffix = "." + domain
        self._domain = domain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] not in ("http", "websocket"):
            return
        host = (_header(scope, b"host") or "").lower()
        if host == self._domain:
            path = str(scope.get("path", ""))
            match = re.match(r"^/w/([a-z0-9-]{1,40})(/.*)?$", path)
            if match is None:
                await self.platform_app(scope, receive, send)
                return
            slug, rest = match.group(1), match.group(2) or "/"
            if not rest.startswith(("/v1/", "/hosted/api/")) and _wants_page(scope):
                # The pages are written for the root of an origin: a browser goes to the
                # workspace's own (which also keeps its storage apart from other workspaces').
                target = f"{self.settings.workspace_url(slug)}{rest}"
                await RedirectResponse(target, status_code=307)(scope, receive, send)
                return
            prefix = f"/w/{slug}"
            scope = dict(scope)
            scope["path"] = rest
            scope["raw_path"] = rest.encode()
            scope["root_path"] = str(scope.get("root_path", "")) + prefix
            await self._workspace(slug, scope, receive, send)
            return
        if host.endswith(self._suffix):
            await self._workspace(host[: -len(self._suffix)], scope, receive, send)
            return
        refused = PermissionDeniedError(
            f"This platform answers only at {self._domain} and its workspaces' names. / Dit "
            f"platform antwoordt alleen op {self._domain} en de namen van zijn werkruimtes.",
            code="host_not_allowed",
        )
        await error_response(refused)(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.start_sweeper:
                    self.platform.start_sweeper()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await run_in_threadpool(self.platform.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _workspace(self, slug: str, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._gate(slug, scope, receive, send)
        except ApiError as exc:
            await error_response(exc)(scope, receive, send)

    async def _gate(self, slug: str, scope: Scope, receive: Receive, send: Send) -> None:
        platform = self.platform
        path = str(scope.get("path", ""))
        workspace = await run_in_threadpool(platform.workspace, slug)
        if workspace is not None and self.settings.split:
            # Another process may have wiped or reset it: drop what was built on old data.
            await run_in_threadpool(platform.pool.observe, slug, workspace.generation)
        scope[SCOPE_SLUG] = slug
        if path.startswith("/join/"):
            if workspace is None or workspace.status is WorkspaceStatus.WIPED:
                raise errors.invitation_refused("invitation_unknown")
            await self.workspace_routes(scope, receive, send)
            return
        client = scope.get("client")
        client_host = client[0] if client else "unknown"
        token = session_token(scope)
        key = presented_api_key(scope)
        signed_in = False
        if token is not None:
            owner = await run_in_threadpool(platform.registry.session_slug, token)
            signed_in = owner == slug
        by_key = False
        if (
            not signed_in
            and key is not None
            and _API_KEY_RE.fullmatch(key)
            and workspace is not None
            and workspace.status is WorkspaceStatus.ACTIVE
            and workspace.expires_at > time.time()
        ):
            if not platform.take_failed_auth(client_host):
                raise errors.rate_limited(self.settings.failed_auth_burst, 1)
            by_key = await run_in_threadpool(platform.pool.verify_key, slug, key)
            if by_key:
                platform.refund_failed_auth(client_host)
        if not (signed_in or by_key) or workspace is None:
            raise errors.sign_in_required()
        if workspace.status is WorkspaceStatus.SUSPENDED:
            raise errors.workspace_suspended()
        if workspace.status is WorkspaceStatus.WIPED:
            raise errors.sign_in_required()
        if workspace.expires_at <= time.time():
            raise errors.workspace_expired()
        wait = platform.take_request(workspace)
        if wait is not None:
            raise errors.rate_limited(platform.quota(workspace)[2], wait)
        method = str(scope.get("method", "GET"))
        if method not in ("GET", "HEAD", "OPTIONS") and not path.startswith("/hosted/"):
            await run_in_threadpool(self._check_write_quotas, workspace, path)
        extra = expiry_headers(workspace, self.settings.warn_days)
        send = _with_headers(send, extra)
        if path == "/hosted" or path.startswith("/hosted/"):
            if not signed_in:
                # The workspace's own actions are the signed-in owner's, never a key's.
                raise errors.sign_in_required()
            await self.workspace_routes(scope, receive, send)
            return
        scope[NOTICE_SCOPE_KEY] = notice_of(workspace, self.settings.warn_days)
        runtime = await run_in_threadpool(platform.pool.get, slug)
        if self.settings.split and method not in ("GET", "HEAD", "OPTIONS"):
            # Another API process may have moved the workspace's clock: this process's cached
            # lead of chain time over wall time (`api.services.writes`) must not date a
            # custodial write's deadline; one block read on the workspace's node instead.
            clock_moved(runtime.chain)
        await runtime.app(scope, receive, send)

    def _check_write_quotas(self, workspace: Workspace, path: str) -> None:
        contributions, storage, _ = self.platform.quota(workspace)
        if workspace.storage_bytes >= storage:
            raise errors.storage_quota(storage)
        if _REGISTERS.fullmatch(path):
            runtime = self.platform.pool.get(workspace.slug)
            if runtime.contributions() >= contributions:
                raise errors.contributions_quota(contributions)


def _wants_page(scope: Scope) -> bool:
    """A browser's navigation: a GET that accepts HTML."""
    accept = _header(scope, b"accept") or ""
    return scope.get("method") == "GET" and "text/html" in accept


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = dict(message)
            message["headers"] = list(message.get("headers", [])) + extra
        await send(message)

    return sending


def operator_cookie(token: str, expires: int) -> str:
    """A console session: its expiry and an HMAC of it under the operator token."""
    mac = hmac.new(token.encode(), f"console:{expires}".encode(), hashlib.sha256).hexdigest()
    return f"{expires}.{mac}"


def operator_cookie_valid(token: str, cookie: str | None, now: float | None = None) -> bool:
    if not cookie or "." not in cookie:
        return False
    expires_text = cookie.partition(".")[0]
    if not expires_text.isdigit() or int(expires_text) < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(operator_cookie(token, int(expires_text)), cookie)


def operator_csrf(token: str, cookie: str) -> str:
    return hmac.new(token.encode(), f"csrf:{cookie}".encode(), hashlib.sha256).hexdigest()[:32]


def session_csrf(token: str) -> str:
    return csrf_of(token)
