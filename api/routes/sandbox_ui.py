"""Sandbox-only helpers for the web pages: the demo consortium with this start's API keys,
the demo documents, moving the dev chain's clock, and the one-click reset.

These routes exist only in an app that `poc sandbox` serves: `api.routes.include_routers` adds
this router only when `settings.sandbox` is set, and every route also checks that the app
carries `app.state.sandbox` (the sandbox's `SandboxState`) and that the caller is on this
machine; outside a sandbox nothing here answers.

Who may call them. The sandbox binds 127.0.0.1, but any web page the user opens runs on this
machine too. So: the whole sandbox app answers only requests naming it by its local names
(`poc.sandbox.run.local_hosts`; a page on a DNS-rebinding domain gets 403
`host_not_allowed`), and the helpers that hand out keys or change state (`/demo`, `/clock`,
`/reset`) answer only requests carrying this start's page token (`X-Sandbox-Token`, which the
served pages hold and other sites' pages cannot read; 403 `sandbox_token_required`).
The admin key is never handed to a browser: the demo lists the partners and the lawyer only
(the terminal that started the sandbox shows the admin key).

Nothing here writes to the ledger on a partner's behalf: the pages act as a partner through
the public `/v1` API with that partner's key.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Annotated, Final

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from api.deps import ServicesDep
from api.errors import NotFoundError, PermissionDeniedError, UnprocessableError
from api.schemas.sandbox import (
    ClockForward,
    ClockPublic,
    DemoContributionPublic,
    DemoKey,
    DemoPublic,
    ResetRequest,
    SandboxState,
)
from api.services.writes import clock_moved

# Only the clock is in the (sandbox's) OpenAPI document: a client moves time to see a dispute
# window pass (docs/api.md, "Sandbox only"); the rest serves the pages.
router = APIRouter(prefix="/sandbox", tags=["sandbox"])

_LOCAL_HOSTS: Final = frozenset({"127.0.0.1", "::1", "localhost"})
# A reset must not cut off its own answer: uvicorn is asked to stop once the reply is out.
_RESET_DELAY_SECONDS: Final = 0.3


def _sandbox(request: Request) -> SandboxState:
    info = getattr(request.app.state, "sandbox", None)
    if not isinstance(info, SandboxState):
        # Same answer as any unknown path: outside a sandbox these routes do not exist.
        raise NotFoundError("not found", code="not_found")
    host = request.client.host if request.client else ""
    if host not in _LOCAL_HOSTS:
        raise PermissionDeniedError("sandbox helpers answer this machine only", code="not_local")
    return info


SandboxDep = Annotated[SandboxState, Depends(_sandbox)]


def _from_our_page(
    info: SandboxDep,
    token: Annotated[str | None, Header(alias="X-Sandbox-Token")] = None,
) -> SandboxState:
    if token is None or not hmac.compare_digest(token.encode(), info.page_token.encode()):
        raise PermissionDeniedError(
            "this sandbox helper answers only the sandbox's own pages (send the page's "
            "X-Sandbox-Token)",
            code="sandbox_token_required",
        )
    return info


PageDep = Annotated[SandboxState, Depends(_from_our_page)]


@router.get("/demo", response_model=DemoPublic, include_in_schema=False)
def demo(info: PageDep, services: ServicesDep) -> DemoPublic:
    """The partners and the lawyer with this start's keys (never the admin's), and the seeded
    contributions with their openings."""
    # The admin key acts for nobody and manages every key: never for a browser.
    people = [p for p in info.people if p.role != "admin"]
    access = services.chain
    return DemoPublic(
        project_id=info.project_id,
        project_title=info.project_title,
        chain_id=info.chain_id,
        ledger=info.ledger,
        dev_chain=bool(access is not None and access.chain.is_dev),
        instance=hashlib.sha256("\n".join(p.api_key for p in info.people).encode()).hexdigest()[
            :16
        ],
        people=[
            DemoKey(
                label=p.label,
                name=p.name,
                role=p.role,  # type: ignore[arg-type]
                address=p.address,
                kind=p.kind,
                company_number=p.company_number,
                api_key=p.api_key,
            )
            for p in people
        ],
        contributions=[
            DemoContributionPublic(
                key=c.key,
                partner=c.partner,
                contributor=c.contributor,
                contribution_id=c.contribution_id,
                content_hash=c.content_hash,
                salt=c.salt,
                document=c.document,
            )
            for c in info.contributions
        ],
    )


@router.get("/documents/{name}", include_in_schema=False)
def document(
    info: SandboxDep,
    services: ServicesDep,
    name: Annotated[str, PathParam(pattern=r"^[a-z0-9-]{1,80}\.txt$")],
) -> FileResponse:
    """A demo document, to try verifying a bundle against "the original file"."""
    path = services.settings.data_dir / "documents" / name
    if name not in info.documents or not path.is_file():
        raise NotFoundError(f"no demo document {name}", code="document_not_found")
    return FileResponse(path, media_type="text/plain; charset=utf-8", filename=name)


@router.post("/clock", response_model=ClockPublic, summary="Move the dev chain's clock (sandbox)")
def clock_forward(_: PageDep, services: ServicesDep, body: ClockForward) -> ClockPublic:
    """Sandbox only: move the dev chain's clock forward by `days`, e.g. past a project's
    dispute window (`disputeWindow` of its policy) so that its contributions count. Needs this
    start's page token in `X-Sandbox-Token` (403 `sandbox_token_required`), which the
    sandbox's pages carry in `<body data-sandbox-token>`; 422 `not_dev_chain` on a real
    chain."""
    access = services.require_chain()
    if not access.chain.is_dev:
        raise UnprocessableError("only a dev chain's clock can move", code="not_dev_chain")
    timestamp = access.chain.increase_time(body.days * 24 * 3600)
    clock_moved(access.chain)
    return ClockPublic(timestamp=timestamp)


@router.post("/reset", status_code=202, include_in_schema=False)
def reset(info: PageDep, _: ResetRequest, tasks: BackgroundTasks) -> dict[str, str]:
    """Stop, wipe the data directory and start clean on the same port (new keys)."""

    def later() -> None:
        time.sleep(_RESET_DELAY_SECONDS)
        info.request_reset()

    tasks.add_task(later)
    return {"status": "resetting"}
