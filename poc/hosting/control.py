"""The background process's control API, and the client the API processes call it with.

In the split (`poc.hosting.processes`) one background process owns the workspaces' nodes;
the API processes ask it, over this small HTTP API, for what only the owner of a node may do:

    POST /control/workspaces/{slug}/ensure   start the node if it is not running (deploy and
                                             seed the first time); marks the workspace in use
                                             -> {"rpcUrl", "generation"}
    POST /control/workspaces/{slug}/stop     stop its node (suspended)    -> {"stopped"}
    POST /control/workspaces/{slug}/wipe     node, database, files gone   -> {"generation"}
    POST /control/workspaces/{slug}/reset    wiped and seeded again       -> {"rpcUrl", ...}
    GET  /control/health

Who may call it: it listens on the loopback only (never the public port: the platform app has
no route to it), and every request must carry `X-Control-Secret`, an HMAC of a fixed label
under the operator token (every process of the platform holds that token already; nobody
else does), compared in constant time. A wrong or missing secret is 401 with nothing done.
It acts only on workspaces the registry lists as active: a wiped name is never started again.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError, AuthenticationError, UnavailableError, error_response
from api.schemas.base import ApiModel
from poc.hosting import errors
from poc.hosting.registry import WorkspaceStatus
from poc.hosting.settings import HostSettings

if TYPE_CHECKING:
    from poc.hosting.platform import Platform

CONTROL_HEADER: Final = "X-Control-Secret"
#: A first start deploys and seeds a workspace: tens of seconds on a busy machine.
ENSURE_TIMEOUT: Final = 300.0


def control_secret(settings: HostSettings) -> str:
    """The secret the platform's processes share for the control API."""
    token = settings.operator_token.get_secret_value().encode()
    return hmac.new(token, b"poc-host-control-api", hashlib.sha256).hexdigest()


class NodePublic(ApiModel):
    """Where a workspace's node answers, and the generation of its data."""

    rpc_url: str
    generation: int


class StoppedPublic(ApiModel):
    stopped: bool


class WipedPublic(ApiModel):
    generation: int


def build_control_app(platform: Platform) -> FastAPI:
    """The control API over `platform`, whose pool runs the nodes (the background process)."""
    secret = control_secret(platform.settings)
    app = FastAPI(
        title="poc-ledger hosting control API", docs_url=None, redoc_url=None, openapi_url=None
    )

    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        return error_response(exc)

    app.add_exception_handler(ApiError, on_api_error)

    def authorised(request: Request) -> None:
        given = request.headers.get(CONTROL_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise AuthenticationError(
                "the control API wants the platform's control secret", code="control_refused"
            )

    guarded = [Depends(authorised)]

    def active(slug: str) -> None:
        workspace = platform.registry.workspace(slug)
        if workspace is None or workspace.status is not WorkspaceStatus.ACTIVE:
            raise errors.workspace_not_found()

    def node_of(slug: str) -> NodePublic:
        runtime = platform.pool.get(slug)
        if runtime.rpc_url is None:
            raise UnavailableError("this workspace's chain has no URL", code="node_unavailable")
        return NodePublic(rpc_url=runtime.rpc_url, generation=runtime.generation)

    @app.get("/control/health", dependencies=guarded)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/control/workspaces/{slug}/ensure", dependencies=guarded)
    def ensure(slug: str) -> NodePublic:
        active(slug)
        return node_of(slug)

    @app.post("/control/workspaces/{slug}/stop", dependencies=guarded)
    def stop(slug: str) -> StoppedPublic:
        return StoppedPublic(stopped=platform.pool.stop(slug))

    @app.post("/control/workspaces/{slug}/wipe", dependencies=guarded)
    async def wipe(slug: str) -> WipedPublic:
        await run_in_threadpool(platform.pool.wipe, slug)
        found = platform.registry.workspace(slug)
        return WipedPublic(generation=found.generation if found is not None else 0)

    @app.post("/control/workspaces/{slug}/reset", dependencies=guarded)
    def reset(slug: str) -> NodePublic:
        active(slug)
        platform.pool.wipe(slug)
        return node_of(slug)

    return app


@dataclass(frozen=True)
class NodeInfo:
    """What the background process says of a workspace's node."""

    rpc_url: str
    generation: int


class ControlClient:
    """The API processes' side of the control API."""

    def __init__(self, settings: HostSettings, *, transport: Any = None) -> None:
        if settings.control_url is None:
            raise ValueError("no control_url")
        self._http = httpx.Client(
            base_url=settings.control_url,
            headers={CONTROL_HEADER: control_secret(settings)},
            timeout=httpx.Timeout(ENSURE_TIMEOUT, connect=5.0),
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def _post(self, path: str) -> dict[str, Any]:
        try:
            response = self._http.post(path)
        except httpx.HTTPError as exc:
            raise _unavailable() from exc
        if response.status_code == 404:
            raise errors.workspace_not_found()
        if response.status_code != 200:
            raise _unavailable()
        body: dict[str, Any] = response.json()
        return body

    def ensure(self, slug: str) -> NodeInfo:
        body = NodePublic.model_validate(self._post(f"/control/workspaces/{slug}/ensure"))
        return NodeInfo(body.rpc_url, body.generation)

    def reset(self, slug: str) -> NodeInfo:
        body = NodePublic.model_validate(self._post(f"/control/workspaces/{slug}/reset"))
        return NodeInfo(body.rpc_url, body.generation)

    def stop(self, slug: str) -> bool:
        return StoppedPublic.model_validate(self._post(f"/control/workspaces/{slug}/stop")).stopped

    def wipe(self, slug: str) -> int:
        return WipedPublic.model_validate(self._post(f"/control/workspaces/{slug}/wipe")).generation


def _unavailable() -> UnavailableError:
    return UnavailableError(
        errors.both_languages("workspace_unavailable"), code="workspace_unavailable"
    )
