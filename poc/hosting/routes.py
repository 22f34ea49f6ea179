"""The platform's own routes, as two FastAPI apps that `poc.hosting.platform.HostApp` calls:

- `build_platform_app`: the platform's host. `/health`; the operator console (`/operator`,
  server-rendered forms, no script) and its JSON twin (`/operator/api/...`, bearer operator
  token). The console signs in with the operator token and keeps an HMAC-signed cookie;
  each form carries an anti-forgery value derived from it.
- `build_workspace_routes`: on a workspace's origin, what is the platform's and not the
  workspace API's: `/join/{code}` (redeem an invitation: a session and the workspace's API
  keys, once) and `/hosted/...` (the owner's page; clock, keys, reset, graduation, sign-out),
  which `HostApp` lets through only with this workspace's session.

Texts come from the one translation table (`api/web/i18n.json`: `hosted.*`, `operator.*`,
`error.*`).
"""

from __future__ import annotations

import hmac
import time
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.errors import UnprocessableError, error_response, install_error_handlers
from api.routes.web import (
    CONTENT_SECURITY_POLICY,
    LANG_COOKIE,
    STATIC_DIR,
    pick_language,
    translator,
)
from ledger.errors import ConfigurationError
from poc.hosting import errors
from poc.hosting.platform import (
    CSRF_HEADER,
    SCOPE_SLUG,
    SESSION_COOKIE,
    Invitation,
    Platform,
    operator_cookie,
    operator_cookie_valid,
    operator_csrf,
    session_csrf,
    session_token,
)
from poc.hosting.registry import InvitationRefused, Workspace, WorkspaceTaken
from poc.hosting.schemas import (
    AuditPublic,
    ClockIn,
    ClockPublic,
    ExtendIn,
    GraduationIn,
    InvitationPublic,
    JoinedPublic,
    KeyPublic,
    QuotasIn,
    StatusPublic,
    WorkspaceCreate,
    WorkspacePublic,
)
from poc.sandbox.seed import SandboxKey

TEMPLATES: Final = Path(__file__).resolve().parent / "templates"
OPERATOR_COOKIE: Final = "poc_operator"
OPERATOR_SESSION_SECONDS: Final = 8 * 3600
MB: Final = 1024 * 1024


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _language(request: Request) -> Any:
    return pick_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def render(
    request: Request, template: str, title_key: str, status: int = 200, **values: Any
) -> HTMLResponse:
    language = _language(request)
    t = translator(language)
    html = (
        _environment()
        .get_template(template)
        .render(
            t=t, lang=language, title=t(title_key), page=template.removesuffix(".html"), **values
        )
    )
    return HTMLResponse(
        html,
        status_code=status,
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Cache-Control": "no-store",
            "Content-Language": language,
            "Referrer-Policy": "no-referrer",
        },
    )


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


def _date(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M")


def _install_handlers(app: FastAPI) -> None:
    """The API's error bodies (`api.errors`), and the registry's refusals as their codes."""
    install_error_handlers(app)

    async def on_configuration(_: Request, exc: Exception) -> Response:
        # A bad workspace name or a taken one (the registry's checks).
        if isinstance(exc, WorkspaceTaken):
            return error_response(errors.workspace_taken())
        return error_response(errors.workspace_name_invalid())

    async def on_invalid(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, ValidationError)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return error_response(UnprocessableError(problems, code="invalid_request"))

    app.add_exception_handler(ConfigurationError, on_configuration)
    app.add_exception_handler(ValidationError, on_invalid)


def _public(platform: Platform, workspace: Workspace) -> WorkspacePublic:
    return WorkspacePublic.of(
        workspace, platform.quota(workspace), platform.settings.workspace_url(workspace.slug)
    )


def _keys(keys: tuple[SandboxKey, ...]) -> list[KeyPublic]:
    # The admin key manages keys and reads nothing: the owner plays partners and lawyer.
    return [
        KeyPublic(label=k.label, name=k.name, role=k.role, address=k.address, api_key=k.api_key)
        for k in keys
        if k.role != "admin"
    ]


# ------------------------------------------------------------------------------ platform host


def build_platform_app(platform: Platform) -> FastAPI:
    """The routes of the platform's own host name."""
    settings = platform.settings
    token = settings.operator_token.get_secret_value()
    app = FastAPI(
        title="poc-ledger hosting platform", docs_url=None, redoc_url=None, openapi_url=None
    )
    _install_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    def operator_by_bearer(request: Request) -> None:
        auth = request.headers.get("authorization", "")
        given = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not given or not hmac.compare_digest(given.encode(), token.encode()):
            raise errors.operator_sign_in_required()

    def console_cookie(request: Request) -> str | None:
        cookie = request.cookies.get(OPERATOR_COOKIE)
        return cookie if operator_cookie_valid(token, cookie) else None

    def console_form(request: Request, csrf: str) -> str:
        cookie = console_cookie(request)
        if cookie is None:
            raise errors.operator_sign_in_required()
        if not hmac.compare_digest(csrf.encode(), operator_csrf(token, cookie).encode()):
            raise errors.csrf_required()
        return cookie

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        return RedirectResponse("/operator", status_code=303)

    # -- the operator's JSON API ---------------------------------------------------------------

    @app.get("/operator/api/workspaces", response_model=list[WorkspacePublic])
    def list_workspaces(request: Request) -> list[WorkspacePublic]:
        operator_by_bearer(request)
        return [_public(platform, w) for w in platform.registry.workspaces()]

    @app.post("/operator/api/workspaces", response_model=InvitationPublic, status_code=201)
    def create_workspace(request: Request, body: WorkspaceCreate) -> InvitationPublic:
        operator_by_bearer(request)
        invitation = platform.invite_new(
            body.slug, body.owner_name, body.owner_email, days=body.days
        )
        return _invitation(invitation)

    def _invitation(invitation: Invitation) -> InvitationPublic:
        return InvitationPublic(
            workspace=_public(platform, invitation.workspace),
            code=invitation.code,
            url=invitation.url,
        )

    @app.post(
        "/operator/api/workspaces/{slug}/invitations",
        response_model=InvitationPublic,
        status_code=201,
    )
    def new_invitation(request: Request, slug: str) -> InvitationPublic:
        operator_by_bearer(request)
        return _invitation(platform.invite_again(slug))

    @app.post("/operator/api/workspaces/{slug}/extend", response_model=WorkspacePublic)
    def extend(request: Request, slug: str, body: ExtendIn) -> WorkspacePublic:
        operator_by_bearer(request)
        return _public(platform, platform.extend(slug, body.days))

    @app.post("/operator/api/workspaces/{slug}/suspend", response_model=WorkspacePublic)
    def suspend(request: Request, slug: str) -> WorkspacePublic:
        operator_by_bearer(request)
        return _public(platform, platform.suspend(slug))

    @app.post("/operator/api/workspaces/{slug}/resume", response_model=WorkspacePublic)
    def resume(request: Request, slug: str) -> WorkspacePublic:
        operator_by_bearer(request)
        return _public(platform, platform.resume(slug))

    @app.post("/operator/api/workspaces/{slug}/wipe", response_model=WorkspacePublic)
    def wipe(request: Request, slug: str) -> WorkspacePublic:
        operator_by_bearer(request)
        return _public(platform, platform.wipe(slug))

    @app.put("/operator/api/workspaces/{slug}/quotas", response_model=WorkspacePublic)
    def quotas(request: Request, slug: str, body: QuotasIn) -> WorkspacePublic:
        operator_by_bearer(request)
        return _public(
            platform,
            platform.set_quotas(
                slug,
                max_contributions=body.max_contributions,
                max_storage_bytes=body.max_storage_bytes,
                requests_per_minute=body.requests_per_minute,
            ),
        )

    @app.get("/operator/api/audit", response_model=list[AuditPublic])
    def audit(request: Request) -> list[AuditPublic]:
        operator_by_bearer(request)
        return [AuditPublic.of(e) for e in platform.registry.audit_log()]

    @app.get("/operator/api/workspaces/{slug}/graduation")
    def kept_graduation(request: Request, slug: str) -> Response:
        """The graduation download kept at expiry, for the operator to hand to the owner with
        the passphrase that seals its openings (header `X-Openings-Passphrase`)."""
        operator_by_bearer(request)
        path = platform.graduation_path(slug)
        if not path.is_file():
            raise errors.workspace_not_found()
        platform.registry.audit("operator", "graduation_fetched", slug)
        passphrase = path.with_suffix(".passphrase.txt").read_text().strip()
        return Response(
            path.read_bytes(),
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="{slug}-graduation.zip"',
                "X-Openings-Passphrase": passphrase,
            },
        )

    # -- the console ---------------------------------------------------------------------------

    @app.get("/operator", response_class=HTMLResponse)
    def console(request: Request, done: str | None = None) -> Response:
        cookie = console_cookie(request)
        if cookie is None:
            return render(
                request,
                "operator_signin.html",
                "operator.signin_title",
                home="/operator",
                flash=None,
                error=None,
            )
        return _console(request, cookie, invitation=None, flash=None)

    def _console(
        request: Request, cookie: str, *, invitation: Invitation | None, flash: str | None
    ) -> Response:
        rows = []
        for w in platform.registry.workspaces():
            quota = platform.quota(w)
            rows.append(
                {
                    "slug": w.slug,
                    "owner_name": w.owner_name,
                    "owner_email": w.owner_email,
                    "status": w.status.value,
                    "created": _date(w.created_at),
                    "expires": _date(w.expires_at),
                    "size": f"{w.storage_bytes / MB:.1f} MB",
                    "activity": f"{_date(w.last_activity)} ({w.requests})",
                    "max_contributions": quota[0],
                    "max_storage_mb": max(1, quota[1] // MB),
                    "requests_per_minute": quota[2],
                }
            )
        audit = [
            {
                "at": _date(e.at),
                "actor": e.actor,
                "action": e.action,
                "slug": e.slug,
                "detail": e.detail,
            }
            for e in platform.registry.audit_log()
        ]
        return render(
            request,
            "operator.html",
            "operator.title",
            home="/operator",
            flash=flash,
            error=None,
            invitation=invitation,
            workspaces=rows,
            audit=audit,
            csrf=operator_csrf(token, cookie),
            default_days=settings.workspace_days,
        )

    @app.post("/operator/signin")
    def signin(request: Request, token_given: Annotated[str, Form(alias="token")]) -> Response:
        client = request.client.host if request.client else "unknown"
        if not platform.take_failed_auth(f"operator:{client}"):
            raise errors.rate_limited(settings.failed_auth_burst, 1)
        if not hmac.compare_digest(token_given.encode(), token.encode()):
            t = translator(_language(request))
            return render(
                request,
                "operator_signin.html",
                "operator.signin_title",
                status=401,
                home="/operator",
                flash=None,
                error=t("error.operator_sign_in_required"),
            )
        expires = int(time.time()) + OPERATOR_SESSION_SECONDS
        platform.registry.audit("operator", "console_signed_in", None, {"client": client})
        response = RedirectResponse("/operator", status_code=303)
        response.set_cookie(
            OPERATOR_COOKIE,
            operator_cookie(token, expires),
            max_age=OPERATOR_SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=settings.https,
            path="/",
        )
        return response

    @app.post("/operator/signout")
    def signout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
        console_form(request, csrf)
        response = RedirectResponse("/operator", status_code=303)
        response.delete_cookie(OPERATOR_COOKIE, path="/")
        return response

    @app.post("/operator/console/{action}")
    def console_action(
        request: Request,
        action: str,
        csrf: Annotated[str, Form()] = "",
        slug: Annotated[str, Form()] = "",
        owner_name: Annotated[str, Form(max_length=200)] = "",
        owner_email: Annotated[str, Form(max_length=320)] = "",
        days: Annotated[int | None, Form(ge=1, le=3650)] = None,
        max_contributions: Annotated[int | None, Form(ge=1)] = None,
        max_storage_mb: Annotated[int | None, Form(ge=1)] = None,
        requests_per_minute: Annotated[int | None, Form(ge=1)] = None,
        confirm: Annotated[str, Form()] = "",
    ) -> Response:
        cookie = console_form(request, csrf)
        t = translator(_language(request))
        invitation: Invitation | None = None
        if action == "invite":
            body = WorkspaceCreate(
                slug=slug, owner_name=owner_name, owner_email=owner_email, days=days
            )
            invitation = platform.invite_new(
                body.slug, body.owner_name, body.owner_email, days=body.days
            )
        elif action == "invitation":
            invitation = platform.invite_again(slug)
        elif action == "extend" and days is not None:
            platform.extend(slug, days)
        elif action == "suspend":
            platform.suspend(slug)
        elif action == "resume":
            platform.resume(slug)
        elif action == "wipe" and confirm == "yes":
            platform.wipe(slug)
        elif action == "quotas":
            platform.set_quotas(
                slug,
                max_contributions=max_contributions,
                max_storage_bytes=None if max_storage_mb is None else max_storage_mb * MB,
                requests_per_minute=requests_per_minute,
            )
        else:
            raise errors.workspace_not_found()
        return _console(
            request,
            cookie,
            invitation=invitation,
            flash=t(f"operator.done_{action}", slug=slug or ""),
        )

    return app


# ------------------------------------------------------------------------------ workspace origin


def build_workspace_routes(platform: Platform) -> FastAPI:
    """`/join/{code}` and `/hosted/...` on a workspace's origin (`HostApp` gates them)."""
    settings = platform.settings
    app = FastAPI(title="poc-ledger workspace", docs_url=None, redoc_url=None, openapi_url=None)
    _install_handlers(app)

    def slug_of(request: Request) -> str:
        return str(request.scope[SCOPE_SLUG])

    def check_csrf(request: Request, form_value: str | None) -> str:
        token = session_token(request.scope)
        if token is None:
            raise errors.sign_in_required()
        given = request.headers.get(CSRF_HEADER) or form_value or ""
        if not hmac.compare_digest(given.encode(), session_csrf(token).encode()):
            raise errors.csrf_required()
        return token

    def same_origin(request: Request) -> None:
        """Refuse a form posted from another site (login forgery: signing a victim in to
        the attacker's workspace)."""
        origin = request.headers.get("origin")
        site = request.headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            raise errors.csrf_required()
        if origin is not None and origin != "null":
            host = request.headers.get("host", "")
            if origin.split("://", 1)[-1] != host:
                raise errors.csrf_required()

    @app.get("/join/{code}", response_class=HTMLResponse)
    def join_page(request: Request, code: str) -> Response:
        # A link preview fetching this must not use the code up: redeeming is a POST.
        if platform.registry.invitation_slug(code) != slug_of(request):
            raise errors.invitation_refused("invitation_unknown")
        return render(
            request,
            "join.html",
            "hosted.join_title",
            home="/",
            flash=None,
            error=None,
            slug=slug_of(request),
            code=code,
        )

    @app.post("/join/{code}")
    async def join(request: Request, code: str) -> Response:
        same_origin(request)
        slug = slug_of(request)
        client = request.client.host if request.client else "unknown"
        if not platform.take_failed_auth(f"join:{client}"):
            raise errors.rate_limited(settings.failed_auth_burst, 1)
        if await run_in_threadpool(platform.registry.invitation_slug, code) != slug:
            raise errors.invitation_refused("invitation_unknown")
        try:
            redeemed = await run_in_threadpool(
                platform.registry.redeem, code, session_hours=settings.session_hours
            )
        except InvitationRefused as exc:
            raise errors.invitation_refused(exc.code) from None
        platform.refund_failed_auth(f"join:{client}")
        runtime = await run_in_threadpool(platform.pool.get, slug)
        keys = await run_in_threadpool(runtime.issue_keys)
        platform.registry.audit(f"owner:{slug}", "invitation_redeemed", slug)
        joined = JoinedPublic(
            workspace=slug,
            session=redeemed.session_token,
            csrf=session_csrf(redeemed.session_token),
            keys=_keys(keys),
        )
        if _wants_html(request):
            response: Response = render(
                request,
                "keys.html",
                "hosted.keys_page_title",
                home="/hosted/",
                flash=None,
                error=None,
                keys=joined.keys,
            )
        else:
            response = JSONResponse(joined.model_dump())
        _set_session(response, redeemed.session_token)
        return response

    def _set_session(response: Response, token: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=settings.session_hours * 3600,
            httponly=True,
            samesite="strict",
            secure=settings.https,
            path="/",
        )

    def _status(slug: str) -> StatusPublic:
        workspace = platform.workspace(slug, fresh=True)
        assert workspace is not None
        runtime = platform.pool.get(slug)
        quota = platform.quota(workspace)
        return StatusPublic(
            workspace=slug,
            expires_at=datetime.fromtimestamp(workspace.expires_at, UTC).isoformat(
                timespec="seconds"
            ),
            days_left=max(0, int(workspace.days_left())),
            chain_time=runtime.chain_time(),
            chain_id=runtime.chain.chain_id,
            project_id=runtime.seed.project_id,
            contributions=runtime.contributions(),
            max_contributions=quota[0],
            storage_bytes=workspace.storage_bytes,
            max_storage_bytes=quota[1],
            generation=runtime.generation,
        )

    @app.get("/hosted/api/status", response_model=StatusPublic)
    def status(request: Request) -> StatusPublic:
        return _status(slug_of(request))

    @app.get("/hosted", response_class=HTMLResponse)
    @app.get("/hosted/", response_class=HTMLResponse)
    def workspace_page(request: Request, flash: str | None = None) -> Response:
        return _page(request, flash=None)

    def _page(request: Request, *, flash: str | None) -> Response:
        slug = slug_of(request)
        token = session_token(request.scope) or ""
        state = _status(slug)
        workspace = platform.workspace(slug)
        assert workspace is not None
        t = translator(_language(request))
        warning = workspace.days_left() <= settings.warn_days
        expiry_text = (
            t("hosted.banner_expiring", days=state.days_left, date=state.expires_at[:10])
            if warning
            else t("hosted.banner", slug=slug, date=state.expires_at[:10])
        )
        return render(
            request,
            "workspace.html",
            "hosted.workspace_title",
            home="/hosted/",
            flash=flash,
            error=None,
            workspace=workspace,
            warning=warning,
            expiry_text=expiry_text,
            expires=state.expires_at,
            chain_time=datetime.fromtimestamp(state.chain_time, UTC).strftime("%Y-%m-%d %H:%M"),
            contributions=state.contributions,
            quota_contributions=state.max_contributions,
            csrf=session_csrf(token),
        )

    async def _body(request: Request) -> tuple[dict[str, Any], bool]:
        """The request's fields and whether it came from a form (answered with the page)."""
        if request.headers.get("content-type", "").startswith("application/json"):
            data = await request.json()
            return (data if isinstance(data, dict) else {}), False
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}, True

    @app.post("/hosted/clock")
    async def clock(request: Request) -> Response:
        fields, from_form = await _body(request)
        check_csrf(request, fields.get("csrf"))
        body = ClockIn.model_validate({"days": fields.get("days")})
        slug = slug_of(request)
        runtime = await run_in_threadpool(platform.pool.get, slug)
        chain_time = await run_in_threadpool(runtime.move_clock, body.days)
        platform.registry.audit(f"owner:{slug}", "clock_moved", slug, {"days": body.days})
        if from_form:
            t = translator(_language(request))
            return await run_in_threadpool(
                lambda: _page(request, flash=t("hosted.clock_done", days=body.days))
            )
        return JSONResponse(ClockPublic(chain_time=chain_time).model_dump())

    @app.post("/hosted/keys")
    async def new_keys(request: Request) -> Response:
        fields, from_form = await _body(request)
        check_csrf(request, fields.get("csrf"))
        slug = slug_of(request)
        runtime = await run_in_threadpool(platform.pool.get, slug)
        keys = _keys(await run_in_threadpool(runtime.issue_keys))
        platform.registry.audit(f"owner:{slug}", "keys_issued", slug)
        if from_form:
            return render(
                request,
                "keys.html",
                "hosted.keys_page_title",
                home="/hosted/",
                flash=None,
                error=None,
                keys=keys,
            )
        return JSONResponse([k.model_dump() for k in keys])

    @app.post("/hosted/reset")
    async def reset(request: Request) -> Response:
        fields, from_form = await _body(request)
        check_csrf(request, fields.get("csrf"))
        slug = slug_of(request)
        runtime = await run_in_threadpool(platform.reset, slug)
        keys = _keys(await run_in_threadpool(runtime.issue_keys))
        if from_form:
            t = translator(_language(request))
            return render(
                request,
                "keys.html",
                "hosted.keys_page_title",
                home="/hosted/",
                flash=t("hosted.reset_done"),
                error=None,
                keys=keys,
            )
        return JSONResponse([k.model_dump() for k in keys])

    @app.post("/hosted/graduation")
    async def graduation(request: Request) -> Response:
        from poc.hosting.graduation import build_graduation

        fields, _ = await _body(request)
        check_csrf(request, fields.get("csrf"))
        body = GraduationIn.model_validate({"passphrase": fields.get("passphrase")})
        slug = slug_of(request)
        runtime = await run_in_threadpool(platform.pool.get, slug)
        data = await run_in_threadpool(
            build_graduation, runtime, body.passphrase, language=_language(request)
        )
        platform.registry.audit(f"owner:{slug}", "graduation_downloaded", slug)
        return Response(
            data,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{slug}-graduation.zip"'},
        )

    @app.post("/hosted/signout")
    async def signout(request: Request) -> Response:
        fields, _ = await _body(request)
        token = check_csrf(request, fields.get("csrf"))
        await run_in_threadpool(platform.registry.end_session, token)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return app
