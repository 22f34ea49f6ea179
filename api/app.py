"""The application factory: `build_app(services) -> FastAPI`.

The app holds one `Services` (store, chain access, index follower, outbox worker, custody) in
`app.state.services`, which the composition root puts together (`poc.wiring`, whose
`create_app` is the process's entry point); its lifespan starts and stops what runs beside it
(`Background`: the follower and the worker, `poc.background`). Here: the middleware (admission,
body limit), the error handlers, the OpenAPI document; `api.routes.include_routers` mounts the
routes: `/health`, `/ready`, `/docs` and `/openapi.json` at the root, every resource under /v1.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import Services
from api.errors import (
    PayloadTooLargeError,
    PermissionDeniedError,
    UnprocessableError,
    error_response,
    install_error_handlers,
)
from api.limits import AdmissionMiddleware
from api.routes import API_PREFIX, include_routers
from ledger.domain.untrusted_json import MAX_DEPTH, nesting_depth

#: The one route whose body may exceed `max_body_bytes`: a sealed document's upload.
DOCUMENT_UPLOAD_PATH = re.compile(API_PREFIX + r"/projects/[0-9]+/documents/0x[0-9a-fA-F]{64}")

log = logging.getLogger(__name__)

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

**Errors** are `{"code": ..., "message": ..., "details": [...]}` with a stable `code`; every
signing failure has its own (`signature_mismatch` carries the expected EIP-712 digest and the
recovered address).

**Conventions** (docs/api.md): JSON names are camelCase; an integer that may exceed 2^53
(uint64 values, uint256 nonces, deadlines and amounts, the EIP-712 domain's chainId) is a
decimal string, in bodies and in the prepared typed data; enums are lowercase names (the typed
data carries the signed uint8); an unset reference is `null` (the typed data carries zero);
a collection lives under its parent for both GET and POST, a single resource by its own id.
"""


class BodyLimitMiddleware:
    """Answers 413 for request bodies above `max_bytes`, declared or streamed. A `PUT` to a
    path matching one of `larger`'s patterns (a sealed document's upload) has that limit."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        larger: tuple[tuple[re.Pattern[str], int], ...] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger

    def _limit(self, scope: Scope) -> int:
        if scope.get("method") == "PUT":
            path = str(scope.get("path", ""))
            for pattern, limit in self.larger:
                if pattern.fullmatch(path):
                    return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit(scope)
        too_large = PayloadTooLargeError(f"request body exceeds {max_bytes} bytes")
        declared: int | None = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit():
                declared = int(value)
        if declared is not None:
            # The server holds the body to its declared length: checking the header is enough.
            if declared > max_bytes:
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
            if seen > max_bytes:
                await error_response(too_large)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replay = iter(messages)

        async def buffered() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, buffered, send)


class HostCheckMiddleware:
    """Answers 403 `host_not_allowed` to a request whose Host header is not one of `allowed`.

    The defence against DNS rebinding: a page of another site whose name the attacker points
    at 127.0.0.1 reaches a local server as "same origin", but its requests still carry the
    attacker's name in Host. Compared exactly (lowercase), port included.
    """

    def __init__(self, app: ASGIApp, allowed: tuple[str, ...]) -> None:
        self.app = app
        self.allowed = frozenset(host.lower() for host in allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = next((v for k, v in scope.get("headers", ()) if k == b"host"), b"")
        named = host.decode("latin-1").lower()
        if named in self.allowed:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        ours = " or ".join(f"http://{h}" for h in sorted(self.allowed))
        refused = PermissionDeniedError(
            f"This server answers only at {ours}, not at host {named!r} (protection against "
            f"DNS rebinding). / Deze server antwoordt alleen op {ours}, niet op host "
            f"{named!r} (bescherming tegen DNS-rebinding).",
            code="host_not_allowed",
        )
        await error_response(refused)(scope, receive, send)


# Bodies above this are measured in a worker thread, not in the event loop.
_MEASURE_IN_THREAD_BYTES = 100_000


def _json_body(scope: Scope) -> bool:
    """Whether FastAPI would parse the request's body as JSON (no content type, or a JSON one)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media = bytes(value).split(b";")[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return True


class JsonDepthMiddleware:
    """Answers 422 `json_too_deep` for a JSON body nested deeper than `max_depth`, before
    anything parses it: parsing one nested some 50,000 levels deep crashes the process
    (`ledger.domain.untrusted_json`). Runs inside `BodyLimitMiddleware`, so the body it reads is
    bounded."""

    def __init__(self, app: ASGIApp, max_depth: int = MAX_DEPTH) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _json_body(scope):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        chunks: list[bytes] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if len(body) > _MEASURE_IN_THREAD_BYTES:
            depth = await run_in_threadpool(nesting_depth, body)
        else:
            depth = nesting_depth(body)
        if depth > self.max_depth:
            refused = UnprocessableError(
                f"the JSON body nests {depth} levels deep; at most {self.max_depth} are accepted",
                code="json_too_deep",
            )
            await error_response(refused)(scope, receive, send)
            return
        replay = iter(messages)

        async def buffered() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, buffered, send)


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


class Background(Protocol):
    """What runs beside the API in its process (`poc.background.BackgroundLeader`: the index
    follower and the outbox worker): started with the app, stopped with it."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def build_app(services: Services, *, background: Background | None = None) -> FastAPI:
    """The API over `services` (store, chain access, follower, worker, custody: put together by
    the composition root, `poc.wiring`); `background`, if given, runs while the app does."""
    settings = services.settings

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if background is not None:
            background.start()
        try:
            yield
        finally:
            if background is not None:
                background.stop()

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
    # The last added runs first: the size of a body is bounded before its depth is measured.
    app.add_middleware(JsonDepthMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        larger=((DOCUMENT_UPLOAD_PATH, settings.max_document_bytes),),
    )
    # Added last, so it runs first: a refused request costs as little as it can.
    app.add_middleware(AdmissionMiddleware, admission=services.admission, prefix=API_PREFIX)
    if settings.allowed_hosts:
        # Added after the admission, so it runs before it: a request naming another host is
        # refused before anything, and spends no one's limits.
        app.add_middleware(HostCheckMiddleware, allowed=settings.allowed_hosts)
    include_routers(app, settings)
    _serve_examples_with_nulls(app)
    return app
