"""The web pages: server-rendered Jinja2 templates from `api/web/templates`, with their static
JS and CSS from `api/web/static`, in Dutch or English.

What lives here: the page routes, one `WebPage` entry per page naming its template and its
script module (no API key: a page holds no data, its script fetches the data from `/v1` with
the key the visitor chose; api/web/README.md says how to add a page), the language choice,
and the translation table (`api/web/i18n.json`, one table for the templates and the scripts).
`api.routes.include_routers` mounts this router and `STATIC_DIR`, as it mounts every other.

What does not live here: any data access. The pages read and write through the public API,
exactly as a partner's own software would, so the UI can do nothing the API does not allow.

Language: `?lang=` is not used; the switch goes through `/lang/{code}`, which sets a cookie.
Without the cookie, the browser's Accept-Language decides (its first language we have wins),
so Dutch is the default for a browser that prefers Dutch.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Final, NamedTuple

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.i18n import LANGUAGES, Language, page_translations, translations
from ledger.agreement import answers
from ledger.agreement.questions import STEPS

WEB_DIR: Final = Path(__file__).resolve().parent.parent / "web"
TEMPLATES_DIR: Final = WEB_DIR / "templates"
STATIC_DIR: Final = WEB_DIR / "static"
# English for a browser that names neither language: the widest audience outside Flanders.
FALLBACK_LANGUAGE: Final = "en"
#: Where a platform in front of the app (`poc.hosting`) puts a notice every page shows: a dict
#: with the translation `key`, its `values` and whether it is a `warning`.
PLATFORM_NOTICE: Final = "poc.platform_notice"
LANG_COOKIE: Final = "poc_lang"

# Pages load only what this app serves: the sandbox must work offline, and nothing a partner
# types (API key, file hashes) may reach a third party. Inline JSON data blocks are not
# executed, so they need no script-src exception.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def builder_data() -> dict[str, Any]:
    """The agreement builder's steps, every choice's values and the default answers."""
    return {
        "steps": [{"step": step, "paths": list(paths)} for step, paths in STEPS],
        "choices": {
            "prevailing_language": [v.value for v in answers.Language],
            "kind": [v.value for v in answers.PartnerKind],
            "terms": [v.value for v in answers.AccessTerms],
            "joint": [v.value for v in answers.JointOwnership],
            "scope": [v.value for v in answers.ConfidentialScope],
            "escalation": [v.value for v in answers.Escalation],
            "law": [v.value for v in answers.Law],
        },
        "defaults": {
            "results": answers.Results().model_dump(mode="json"),
            "access_rights": answers.AccessRights().model_dump(mode="json"),
            "confidentiality": answers.Confidentiality().model_dump(mode="json"),
            "royalties": {
                name: info.get_default(call_default_factory=True)
                for name, info in answers.Royalties.model_fields.items()
                if not info.is_required()
            }
            | {"categories": [c.model_dump(mode="json") for c in answers.DEFAULT_CATEGORIES]},
            "disputes": answers.Disputes().model_dump(mode="json"),
            "membership": answers.Membership().model_dump(mode="json"),
            "project": {"duration_months": 24},
            "prevailing_language": answers.Language.NL.value,
        },
    }


class WebPage(NamedTuple):
    """One page: `templates/<name>.html` rendered at `path`, which loads its script
    `static/js/pages/<name>.js` (api/web/README.md says how to add one)."""

    path: str
    name: str
    # Translation key of the page title (tab and heading).
    title_key: str
    # Shown in the navigation bar (the contribution page is reached from the timeline).
    in_nav: bool = True
    # What the page's script needs that is no API data (the builder's steps and defaults),
    # put in the page as a JSON data block (`#page-data`).
    data: Callable[[], Any] | None = None

    @property
    def template(self) -> str:
        return f"{self.name}.html"

    @property
    def script(self) -> str:
        return f"/static/js/pages/{self.name}.js"


# The pages, in navigation order: one entry, one template and one script module per concept.
PAGES: Final[tuple[WebPage, ...]] = (
    WebPage("/", "home", "nav.home"),
    WebPage("/partner", "partner", "nav.partner"),
    WebPage("/project", "project", "nav.project"),
    WebPage("/register", "register", "nav.register"),
    WebPage("/contribution", "contribution", "nav.contribution", in_nav=False),
    WebPage("/share", "share", "nav.share"),
    WebPage("/inbox", "inbox", "nav.inbox"),
    WebPage("/requests", "requests", "nav.requests"),
    WebPage("/split", "split", "nav.split"),
    WebPage("/agreement", "agreement", "nav.agreement"),
    WebPage("/agreement/builder", "builder", "nav.builder", in_nav=False, data=builder_data),
    WebPage("/lawyer", "lawyer", "nav.lawyer"),
    WebPage("/recovery", "recovery", "nav.recovery"),
    WebPage("/openings", "openings", "nav.openings"),
)


def _script_json(value: Any) -> str:
    """JSON for a `<script type="application/json">` block: `</` cannot close it."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


class MissingTranslationError(KeyError):
    """Raised when a template asks for a key the translation table lacks."""


def pick_language(cookie: str | None, accept_language: str | None) -> Language:
    """The page language: the cookie's if valid, else the browser's first language we have."""
    if cookie in LANGUAGES:
        return "nl" if cookie == "nl" else "en"
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            # Sort by quality, then by the browser's own order.
            ranked.append((-quality, position, primary))
    if not ranked:
        return FALLBACK_LANGUAGE
    return "nl" if min(ranked)[2] == "nl" else "en"


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def translator(language: Language) -> Any:
    """`t(key, **values)` for templates: the text of `key`, `{name}` placeholders filled."""
    table = translations()[language]

    def t(key: str, **values: object) -> str:
        try:
            text = table[key]
        except KeyError as exc:
            raise MissingTranslationError(f"no {language} translation for {key!r}") from exc
        return text.format(**values) if values else text

    return t


def render(request: Request, page: WebPage) -> HTMLResponse:
    """Render one page in the visitor's language."""
    language = pick_language(
        request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")
    )
    info = getattr(request.app.state, "sandbox", None)
    # The sandbox's page token (`api.routes.sandbox_ui`): the pages send it back to the
    # helpers; pages of other sites cannot read it.
    sandbox_token = str(getattr(info, "page_token", "")) if info is not None else ""
    t = translator(language)
    notice = request.scope.get(PLATFORM_NOTICE)
    html = (
        _environment()
        .get_template(page.template)
        .render(
            t=t,
            lang=language,
            other_languages=[code for code in LANGUAGES if code != language],
            title=t(page.title_key),
            page=page.name,
            page_script=page.script,
            path=request.url.path,
            nav=[(p.path, p.title_key) for p in PAGES if p.in_nav],
            sandbox=info is not None,
            sandbox_token=sandbox_token,
            platform_notice=notice if isinstance(notice, dict) else None,
            # The scripts translate with the same table (error messages, statuses).
            i18n_json=_script_json(page_translations(language)),
            page_data_json=_script_json(page.data()) if page.data else "",
        )
    )
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Content-Language": language,
            "Vary": "Accept-Language, Cookie",
            "Cache-Control": "no-store",
        },
    )


def _page(page: WebPage) -> Any:
    def show_page(request: Request) -> HTMLResponse:
        return render(request, page)

    show_page.__name__ = f"page_{page.name}"
    return show_page


router = APIRouter(include_in_schema=False)
for _page_entry in PAGES:
    router.add_api_route(
        _page_entry.path, _page(_page_entry), methods=["GET"], response_class=HTMLResponse
    )


@router.get("/lang/{code}")
def choose_language(code: Language, next: Annotated[str, Query(max_length=200)] = "/") -> Response:
    """Remember the chosen language and go back to the page the visitor was on."""
    # Only a local path: an open redirect would let another site borrow our address.
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax")
    return response
