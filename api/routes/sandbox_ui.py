"""Sandbox-only helpers for the web pages: the demo consortium with this start's API keys,
the demo documents, moving the dev chain's clock, and the one-click reset.

These routes exist only in an app that `poc sandbox` serves: `api.routes.web.install` adds
this router only when `settings.sandbox` is set, and every route also checks that the app
carries `app.state.sandbox` (the sandbox's `SandboxInfo`) and that the caller is on this
machine; outside a sandbox nothing here answers.

Who may call them. The sandbox binds 127.0.0.1, but any web page the user opens runs on this
machine too. So: the whole sandbox app answers only requests naming it by its local names
(`ledger.sandbox.local_hosts`; a page on a DNS-rebinding domain gets 403
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
from pathlib import Path
from typing import Annotated, Final, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from api.deps import ServicesDep
from api.errors import NotFoundError, PermissionDeniedError, UnprocessableError
from ledger.sandbox import SandboxInfo

router = APIRouter(prefix="/sandbox", tags=["sandbox"], include_in_schema=False)

_LOCAL_HOSTS: Final = frozenset({"127.0.0.1", "::1", "localhost"})
# A reset must not cut off its own answer: uvicorn is asked to stop once the reply is out.
_RESET_DELAY_SECONDS: Final = 0.3


def _sandbox(request: Request) -> SandboxInfo:
    info = getattr(request.app.state, "sandbox", None)
    if not isinstance(info, SandboxInfo):
        # Same answer as any unknown path: outside a sandbox these routes do not exist.
        raise NotFoundError("not found", code="not_found")
    host = request.client.host if request.client else ""
    if host not in _LOCAL_HOSTS:
        raise PermissionDeniedError("sandbox helpers answer this machine only", code="not_local")
    return info


SandboxDep = Annotated[SandboxInfo, Depends(_sandbox)]


def _from_our_page(
    info: SandboxDep,
    token: Annotated[str | None, Header(alias="X-Sandbox-Token")] = None,
) -> SandboxInfo:
    if token is None or not hmac.compare_digest(token.encode(), info.page_token.encode()):
        raise PermissionDeniedError(
            "this sandbox helper answers only the sandbox's own pages (send the page's "
            "X-Sandbox-Token)",
            code="sandbox_token_required",
        )
    return info


PageDep = Annotated[SandboxInfo, Depends(_from_our_page)]


class DemoKey(BaseModel):
    """Someone the pages can act as, with the API key issued at this start."""

    label: str
    name: str
    role: Literal["coordinator", "partner", "auditor"]
    address: str | None
    kind: str | None
    company_number: str | None
    api_key: str


class DemoContributionPublic(BaseModel):
    """A seeded contribution with its opening (the demo partners' salts are no secret)."""

    key: str
    title: str
    partner: str
    contributor: str
    contribution_id: str
    content_hash: str
    salt: str
    document: str


class DemoPublic(BaseModel):
    """The demo consortium of this sandbox start."""

    project_id: int
    project_title: str
    chain_id: int
    ledger: str
    dev_chain: bool
    instance: str = Field(description="Changes with every start: the pages notice a reset.")
    people: list[DemoKey]
    contributions: list[DemoContributionPublic]


class ClockForward(BaseModel):
    """How far to move the dev chain's clock."""

    days: int = Field(ge=1, le=365)


class ClockPublic(BaseModel):
    """The chain's time after moving it."""

    timestamp: int


class ResetRequest(BaseModel):
    """The page's confirmation; a JSON body also keeps plain cross-site forms out."""

    confirm: Literal[True]


@router.get("/demo", response_model=DemoPublic)
def demo(info: PageDep, services: ServicesDep) -> DemoPublic:
    """The partners and the lawyer with this start's keys (never the admin's), and the seeded
    contributions with their openings."""
    seed = info.seed
    partners = {p.label: p for p in seed.partners}
    people = []
    for key in info.keys:
        if key.role == "admin":
            continue  # acts for nobody, manages every key: not for a browser
        partner = partners.get(key.label)
        people.append(
            DemoKey(
                label=key.label,
                name=key.name,
                role=key.role,  # type: ignore[arg-type]
                address=key.address,
                kind=partner.kind if partner else None,
                company_number=partner.company_number if partner else None,
                api_key=key.api_key,
            )
        )
    access = services.chain
    return DemoPublic(
        project_id=seed.project_id,
        project_title=seed.project_title,
        chain_id=seed.chain_id,
        ledger=seed.ledger,
        dev_chain=bool(access is not None and access.chain.is_dev),
        instance=hashlib.sha256("\n".join(k.api_key for k in info.keys).encode()).hexdigest()[:16],
        people=people,
        contributions=[
            DemoContributionPublic(
                key=c.key,
                title=c.title,
                partner=c.partner,
                contributor=c.contributor,
                contribution_id=c.contribution_id,
                content_hash=c.content_hash,
                salt=c.salt,
                document=Path(c.document).name,
            )
            for c in seed.contributions
        ],
    )


@router.get("/documents/{name}")
def document(
    info: SandboxDep,
    services: ServicesDep,
    name: Annotated[str, PathParam(pattern=r"^[a-z0-9-]{1,80}\.txt$")],
) -> FileResponse:
    """A demo document, to try verifying a bundle against "the original file"."""
    known = {Path(c.document).name for c in info.seed.contributions}
    known.add(Path(info.seed.agreement_document).name)
    path = services.settings.data_dir / "documents" / name
    if name not in known or not path.is_file():
        raise NotFoundError(f"no demo document {name}", code="document_not_found")
    return FileResponse(path, media_type="text/plain; charset=utf-8", filename=name)


@router.post("/clock", response_model=ClockPublic)
def clock_forward(_: PageDep, services: ServicesDep, body: ClockForward) -> ClockPublic:
    """Move the dev chain's clock forward, e.g. past the dispute window so contributions count."""
    access = services.require_chain()
    if not access.chain.is_dev:
        raise UnprocessableError("only a dev chain's clock can move", code="not_dev_chain")
    return ClockPublic(timestamp=access.chain.increase_time(body.days * 24 * 3600))


@router.post("/reset", status_code=202)
def reset(info: PageDep, _: ResetRequest, tasks: BackgroundTasks) -> dict[str, str]:
    """Stop, wipe the data directory and start clean on the same port (new keys)."""

    def later() -> None:
        time.sleep(_RESET_DELAY_SECONDS)
        info.request_reset()

    tasks.add_task(later)
    return {"status": "resetting"}
