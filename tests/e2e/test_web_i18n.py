"""The translation table of the web pages: both languages complete, every key the templates and
scripts use exists, and every value the API can show has its translation.

No browser here (tests/e2e/test_web_ui.py renders the pages in Chromium); these checks read the
files, so a gap fails in a second, before any page is opened.
"""

from __future__ import annotations

import inspect
import itertools
import json
import re
import string
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import i18n
from api.auth import Role
from api.routes import web
from api.schemas.common import ORIGINS, STATUSES
from api.services.agreements import VersionState
from api.settings import ApiSettings
from ledger.agreement.answers import (
    ANSWER_CODES,
    AccessTerms,
    ConfidentialScope,
    Escalation,
    JointOwnership,
    Language,
    Law,
    PartnerKind,
)
from ledger.agreement.questions import STEPS
from ledger.chain import reverts
from ledger.domain.values import ProposalKind
from ledger.evidence import checks as verifier_checks
from ledger.evidence import independent as verifier_independent
from ledger.evidence import offline as verifier_offline
from ledger.evidence import online as verifier_online
from ledger.evidence import verifier as proof_verifier
from ledger.scoring.results import Adjustment, CountStatus
from ledger.sync.outbox import OpStatus
from poc.sandbox import demo
from poc.wiring import create_app
from scripts.sort_i18n import canonical_text

pytestmark = pytest.mark.e2e

# t("key") or t('key') in templates and scripts; a key is dotted words.
_LITERAL_KEY = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_./ \-]+)["']\s*[,)]""")
# t("prefix." ~ value) in templates, t(`prefix.${value}`) and tr("prefix", value) in scripts.
_DYNAMIC_KEY = re.compile(
    r"""\bt\(\s*["']([a-z_]+)\.["']\s*~|\bt\(`([a-z_.]+)\.\$\{|\btr\(\s*["']([a-z_]+)["']"""
)


def _secret_error_codes() -> set[str]:
    """The codes secret.js and openings.js throw (`new SecretError("code"`, `OpeningError`,
    and `formatError`, which is "opening_format"): each is a sentence `secret.<code>`."""
    codes = {"opening_format"}
    for name in ("secret.js", "openings.js"):
        source = (web.STATIC_DIR / "js" / name).read_text(encoding="utf-8")
        codes |= set(re.findall(r"new (?:Secret|Opening)Error\(\s*\"([a-z_]+)\"", source))
    return codes


# Every prefix used with a computed suffix, and the suffixes the pages can meet.
DYNAMIC_SUFFIXES: dict[str, set[str]] = {
    "rating": {"1", "2", "3", "4", "5"},
    "status": set(STATUSES),
    "origin": set(ORIGINS),
    "op": {s.value for s in OpStatus if s is not OpStatus.FAILED},
    "op.status": {s.value for s in OpStatus},
    "count": {s.value for s in CountStatus},
    "adjustment": {a.value for a in Adjustment},
    "role": {r.value for r in Role},
    "role_help": {r.value for r in Role},
    # Who a key that acts for no partner is (the demo's IP counsel, an administrator).
    "role_person": {r.value for r in Role},
    "dispute_outcome": {"open", "upheld", "rejected", "withdrawn"},
    # Knowledge exchange: a recipient's answer, a request's state, purpose and terms.
    "receipt": {"pending", "acknowledged", "declined"},
    "access.status": {"open", "granted", "refused", "withdrawn", "overdue"},
    "access.purpose": {"carrying_out_project", "exploiting_own_results"},
    "access.terms": {"royalty_free", "fair_and_reasonable"},
    # Currencies of "<code>-cent" units by name (amount.js falls back to the browser's).
    "currency": {"EUR"},
    "kind": {p.kind for p in demo.PARTNERS},
    "category": {c.name_text for c in demo.CATEGORIES},
    "unit": {c.unit_text for c in demo.CATEGORIES},
    # The verifier's checks, by the key lawyer.js makes of their names (below).
    "check": set(),
    "check_ok": set(),
    "error": set(),
    # What the recovery sheet, sealed files and opening files refuse (proofkeys.secretProblem).
    "secret": _secret_error_codes(),
    # The agreement builder and the agreement page.
    "agreement.step": {step for step, _ in STEPS} | {"review"},
    "agreement.field": {path for _, paths in STEPS for path in paths},
    "agreement.means": {path for _, paths in STEPS for path in paths},
    "agreement.language": {language.value for language in Language},
    "agreement.state": {state.value for state in VersionState},
    "agreement.proposal_kind": {kind.name.lower() for kind in ProposalKind},
    "answer_problem": set(ANSWER_CODES) | {"other", "parent_share_unsupported", "missing"},
}
# The builder's choices: each value of each choice, by the prefix builder.js gives it.
BUILDER_CHOICES: dict[str, set[str]] = {
    "agreement.kind": {v.value for v in PartnerKind},
    "agreement.terms": {v.value for v in AccessTerms},
    "agreement.joint": {v.value for v in JointOwnership},
    "agreement.scope": {v.value for v in ConfidentialScope},
    "agreement.escalation": {v.value for v in Escalation},
    "agreement.law": {v.value for v in Law},
    "agreement.language": {v.value for v in Language},
}


def _verifier_check_keys() -> set[str]:
    """The translation keys of every check the verifier (`ledger.evidence`: the verifier and
    its offline, online, shared and independent-evidence checks) can report, made as
    lawyer.js makes them: "online: chain id" -> "online_chain_id"; the per-event history
    checks ("history[2] Endorsed") are one key, "history"."""
    source = "\n".join(
        inspect.getsource(module)
        for module in (
            proof_verifier,
            verifier_offline,
            verifier_online,
            verifier_checks,
            verifier_independent,
        )
    )
    names = set(re.findall(r'run\.run\(\s*"([^"]+)"', source))
    names |= set(re.findall(r'\bCheck\(\s*"([^"]+)"', source))
    names |= set(re.findall(r'^[A-Z_]+_CHECK: Final = "([^"]+)"', source, re.MULTILINE))
    assert 'f"history[{index}] {entry.event}"' in source, "history check names changed"
    assert len(names) >= 10, f"the check scan found too few names: {sorted(names)}"
    return {re.sub(r"[^a-z0-9]+", "_", name.lower()) for name in names} | {"history"}


DYNAMIC_SUFFIXES["check"] = DYNAMIC_SUFFIXES["check_ok"] = _verifier_check_keys()

# Every way the API's Python names an error code it puts in a response body: `code="..."`
# keyword arguments, `default_code = "..."` and `code = "..."` assignments, `api_code`,
# the outbox's `_failure("...")`, and the HTTP fallbacks of `api.errors`.
_CODE_PATTERNS = (
    re.compile(r'\bcode\s*=\s*"([a-z][a-z0-9_]*)"'),
    re.compile(r'\bdefault_code\b[^=\n]*=\s*"([a-z][a-z0-9_]*)"'),
    re.compile(r'\bapi_code\b[^=\n]*=\s*"([a-z][a-z0-9_]*)"'),
    re.compile(r'\b_failure\(\s*"([a-z][a-z0-9_]*)"'),
    re.compile(r'\b\d{3}: "([a-z][a-z0-9_]*)"'),
)
ROOT = Path(__file__).resolve().parents[2]


def api_error_codes() -> set[str]:
    """Every error code the API can answer with: from the Python of `api/`, `ledger/` and
    `poc/hosting/` (the hosted platform's refusals), the decoded contract reverts, and the
    OpenAPI document's examples."""
    codes: set[str] = set()
    # poc/hosting: the hosted platform answers with the API's error bodies too.
    for folder in ("api", "ledger", "poc/hosting"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for pattern in _CODE_PATTERNS:
                codes.update(pattern.findall(text))
    pending: list[type] = [reverts.DecodedRevertError]
    while pending:
        cls = pending.pop()
        codes.add(cls.code)  # type: ignore[attr-defined]
        pending.extend(cls.__subclasses__())
    return codes


def _openapi_error_codes(document: dict[str, object]) -> set[str]:
    """The `code` of every error example in the OpenAPI document."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            code = value.get("code")
            if isinstance(code, str) and "message" in value:
                found.add(code)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)
    return found


# Error codes the pages must always say in plain words (the common ones of a partner's day).
REQUIRED_ERRORS = {
    "network",
    "missing_api_key",
    "invalid_api_key",
    "forbidden_role",
    "wrong_actor",
    "not_found",
    "contribution_not_found",
    "rate_limited",
    "chain_unavailable",
    "invalid_request",
    "already_endorsed",
    "self_endorsement",
    "dispute_window_closed",
    "contribution_exists",
}


def _sources() -> list[Path]:
    """Every template and every script of ours: core modules and page modules, at any depth;
    the vendored libraries (static/vendor) hold no user-facing text and are left out."""
    vendor = web.STATIC_DIR / "vendor"
    scripts = [p for p in web.STATIC_DIR.rglob("*.js") if not p.is_relative_to(vendor)]
    return sorted([*web.TEMPLATES_DIR.rglob("*.html"), *scripts])


def test_key_scan_reads_every_page_module_and_no_vendored_file() -> None:
    scanned = {p.relative_to(web.STATIC_DIR).as_posix() for p in _sources() if p.suffix == ".js"}
    pages = {f"js/pages/{page.name}.js" for page in web.PAGES}
    assert pages <= scanned, f"page modules not scanned: {sorted(pages - scanned)}"
    assert {"js/api.js", "js/dom.js", "js/progress.js"} <= scanned
    assert not [name for name in scanned if name.startswith("vendor/")]


def _table() -> dict[str, dict[str, str]]:
    i18n.translations.cache_clear()
    return i18n.translations()


def test_translation_table_has_the_same_keys_in_both_languages() -> None:
    table = _table()
    assert set(table) == set(i18n.LANGUAGES)
    nl, en = set(table["nl"]), set(table["en"])
    assert nl - en == set(), f"missing in English: {sorted(nl - en)}"
    assert en - nl == set(), f"missing in Dutch: {sorted(en - nl)}"
    for language, texts in table.items():
        empty = [key for key, text in texts.items() if not text.strip()]
        assert not empty, f"empty {language} texts: {empty}"


def test_translation_table_is_sorted_by_key() -> None:
    # One key a line, sorted within each language: branches that add keys at the same time
    # touch different lines and merge cleanly. `make sort-i18n` writes this form.
    text = i18n.I18N_FILE.read_text(encoding="utf-8")
    table = json.loads(text)
    for language, texts in table.items():
        keys = list(texts)
        out_of_order = [b for a, b in itertools.pairwise(keys) if b < a]
        assert not out_of_order, f"{language}: keys out of order: {out_of_order[:5]}"
    assert list(table) == sorted(table)
    assert text == canonical_text(table), "api/web/i18n.json is not in its canonical form"


def test_translation_placeholders_match_between_languages() -> None:
    table = _table()

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    wrong = [key for key in table["en"] if fields(table["en"][key]) != fields(table["nl"][key])]
    assert not wrong, f"placeholders differ: {wrong}"


def test_templates_and_scripts_use_only_known_keys() -> None:
    table = _table()
    unknown = []
    used = 0
    for path in _sources():
        for match in _LITERAL_KEY.finditer(path.read_text(encoding="utf-8")):
            used += 1
            if match.group(1) not in table["en"]:
                unknown.append(f"{path.name}: {match.group(1)}")
    assert used > 100, "the key scan found too few keys: is the pattern still right?"
    assert not unknown, f"keys not in api/web/i18n.json: {unknown}"


def test_computed_keys_have_every_value_translated() -> None:
    table = _table()
    prefixes: set[str] = set()
    for path in _sources():
        for match in _DYNAMIC_KEY.finditer(path.read_text(encoding="utf-8")):
            prefixes.add(next(group for group in match.groups() if group))
    unexplained = prefixes - set(DYNAMIC_SUFFIXES)
    assert not unexplained, f"computed keys with unknown prefixes: {unexplained}"
    missing = [
        f"{prefix}.{suffix}"
        for prefix in prefixes
        for suffix in DYNAMIC_SUFFIXES[prefix]
        if f"{prefix}.{suffix}" not in table["en"]
    ]
    assert not missing, f"computed keys missing: {missing}"
    missing_errors = sorted(c for c in REQUIRED_ERRORS if f"error.{c}" not in table["en"])
    assert not missing_errors, f"error codes without a plain-words message: {missing_errors}"


def test_builder_choices_have_every_value_translated() -> None:
    table = _table()
    builder = (ROOT / "api/web/static/js/pages/builder.js").read_text(encoding="utf-8")
    for prefix, values in BUILDER_CHOICES.items():
        assert f'"{prefix}"' in builder, prefix
        for value in values:
            for language in ("nl", "en"):
                assert f"{prefix}.{value}" in table[language], (language, prefix, value)


def test_unknown_key_in_a_template_fails_to_render() -> None:
    t = web.translator("nl")
    assert t("nav.home") == _table()["nl"]["nav.home"]
    with pytest.raises(web.MissingTranslationError):
        t("no.such.key")


@pytest.mark.parametrize(
    ("cookie", "accept", "expected"),
    [
        (None, "nl-BE,nl;q=0.9,en;q=0.8", "nl"),
        (None, "en-GB,en;q=0.9,nl;q=0.8", "en"),
        (None, "fr-BE,nl;q=0.5", "nl"),
        (None, "en;q=0.3,nl;q=0.7", "nl"),
        (None, "de-DE", "en"),
        (None, None, "en"),
        ("en", "nl-BE", "en"),
        ("xx", "nl-BE", "nl"),
    ],
)
def test_pick_language_prefers_cookie_then_browser(
    cookie: str | None, accept: str | None, expected: str
) -> None:
    assert web.pick_language(cookie, accept) == expected


def test_pages_render_in_both_languages_without_a_chain(tmp_path: Path) -> None:
    app = create_app(ApiSettings(data_dir=tmp_path, start_workers=False))
    with TestClient(app) as client:
        for page in web.PAGES:
            for language in i18n.LANGUAGES:
                client.cookies.set(web.LANG_COOKIE, language)
                response = client.get(page.path)
                assert response.status_code == 200, page.path
                assert f'<html lang="{language}">' in response.text
                assert i18n.translations()[language][page.title_key] in response.text
                assert "default-src 'self'" in response.headers["content-security-policy"]
        # Outside a sandbox the sandbox helpers do not exist.
        assert client.get("/sandbox/demo").status_code == 404
        assert client.post("/sandbox/reset", json={"confirm": True}).status_code == 404


def test_language_switch_sets_cookie_and_returns_only_to_local_paths(tmp_path: Path) -> None:
    app = create_app(ApiSettings(data_dir=tmp_path, start_workers=False))
    with TestClient(app, follow_redirects=False) as client:
        response = client.get("/lang/nl", params={"next": "/split"})
        assert response.status_code == 303
        assert response.headers["location"] == "/split"
        assert "poc_lang=nl" in response.headers["set-cookie"]
        assert client.get("/lang/en", params={"next": "//evil.example"}).headers["location"] == "/"


def test_every_api_error_code_has_a_sentence_in_both_languages(tmp_path: Path) -> None:
    # The pages show the translation of an error's `code`, never the API's English message:
    # a code without one would show as a bare "the server refused the request".
    codes = api_error_codes()
    app = create_app(ApiSettings(data_dir=tmp_path, start_workers=False))
    with TestClient(app) as client:
        codes |= _openapi_error_codes(client.get("/openapi.json").json())
    assert len(codes) > 80, f"the code scan found too few codes: is it still right? {codes}"
    assert {"not_partner", "invalid_api_key", "wrong_actor", "send_failed"} <= codes
    table = _table()
    for language in i18n.LANGUAGES:
        missing = sorted(c for c in codes if f"error.{c}" not in table[language])
        assert not missing, f"API error codes without a {language} sentence: {missing}"
        # api.js shows these sentences as they are: a {placeholder} would show as itself.
        with_fields = sorted(c for c in codes if "{" in table[language][f"error.{c}"])
        assert not with_fields, f"{language}: API codes' sentences with fields: {with_fields}"


def test_error_code_scan_finds_a_new_code(tmp_path: Path) -> None:
    # The scan is what the test above trusts: a code written in any of the known ways is found.
    samples = {
        'raise NotFoundError("x", code="widget_missing")': "widget_missing",
        '    default_code = "widget_refused"': "widget_refused",
        'return self._failure("widget_lost", str(exc))': "widget_lost",
        'codes = {404: "widget_gone"}': "widget_gone",
    }
    for text, code in samples.items():
        assert any(code in pattern.findall(text) for pattern in _CODE_PATTERNS), text
