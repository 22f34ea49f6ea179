"""The browser and Python agree on cards and reasons: the same canonical bytes (RFC 8785), the
same SHA-256, the same tidying of typed text, and the same error code for the same bad input.

Python runs `ledger.domain.canonical` / `ledger.domain.cards`; Chromium runs the app's own
`js/cards.js` (with the vendored `canonicalize`), loaded from a real app server. Inputs travel
as JSON text that each side parses itself, so numbers and escapes reach both unrounded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from api.i18n import translations
from api.settings import ApiSettings
from ledger.domain.canonical import canonical_hash, canonical_json
from ledger.domain.cards import ContributionCard, DisputeReason
from ledger.errors import RecordFormatError
from poc.sandbox.anvil import free_port
from poc.wiring import create_app
from tests.e2e.web_pages import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.e2e]

if not CHROMIUM.exists():
    pytest.skip("needs Debian's Chromium at /usr/bin/chromium", allow_module_level=True)

SALT = "0x" + "5a" * 32
PARENT_A = "0x" + "0a" * 32
PARENT_B = "0x" + "0b" * 32

# JSON texts (parsed by each side on its own) of values to canonicalise.
JSON_VALUES = [
    '{"b": 1, "a": [true, null, false, "x"], "": {}}',
    '{"\\u20ac": 1, "\\r": 2, "1": 3, "\\ud83d\\ude00": 4, "\\ufb33": 5, "a\\u0000": 6}',
    '"\\u0000\\u0001\\u001f\\u007f\\u0080\\u2028\\u2029 \\" \\\\ / \\b\\f\\n\\r\\t"',
    '"Ελληνικά 中文 עברית عربي 🧵 e\\u0301 \\ufeff"',
    "[1e21, 1e20, 1e-7, 1e-6, 0.1, 0.000001, 123456789.123, 5e-324, 1.7976931348623157e308]",
    "[-0, -0.0, 0, 1.0, 2.50, 9007199254740991, -9007199254740991, 100, 1E3]",
    # JSON text has one number type, Python two: a whole number beyond 2^53 parses to a Python
    # int, which JCS refuses, while a browser rounds it to a double. Such numbers are written
    # here as doubles; a card's only number (the file size) is bounded below 2^53 on both sides.
    "[333333333.33333329, 1.0000000000000002, 4.35, 0.3, 2.9514790517935283e20]",
    "[[[[[[[[[[[]]]]]]]]]]]",
    '{"nested": {"z": [1, {"y": 2, "x": 3}], "a": "A"}}',
]
# Values both sides must refuse (a lone surrogate; a number that is not a finite double).
JSON_REFUSED = ['"\\ud800"', '{"k": "\\udc00x"}', "1E400", "[-1e999]"]

# Typed input -> card (ContributionCard.create / makeCard).
TYPED_CARDS: list[dict[str, Any]] = [
    {"title": "Vlasroot v2", "description": "", "keywords": [], "parentNotes": {}},
    {
        "title": "  Cafe\u0301\u00a0\ufeff",
        "description": "Regel 1\r\nRegel 2\rRegel 3\u2028Regel 4\u2029\tTab\n\n",
        "file": {"name": " ontwerp \u2013 v2.step ", "mediaType": "Model/STEP", "size": 123456789},
        "keywords": [" vlas ", "\U0001d523\U0001d529\U0001d51e\U0001d535", "\ufb01ber"],
        "parentNotes": {
            PARENT_B.upper().replace("0X", "0x"): " second ",
            PARENT_A: "first",
            "0x" + "0c" * 32: "  ",
        },
    },
    {"title": "🧵" * 200, "description": "x", "file": {"name": "a", "mediaType": "", "size": 0}},
    {
        "title": "Ελληνικά 中文 עברית عربي",
        "description": "\u0645\u0631\u062d\u0628\u0627\n\u05e9\u05dc\u05d5\u05dd",
    },
    # Refused, with the same code and field on both sides.
    {"title": "🧵" * 201},
    {"title": "   "},
    {"title": "bell\u0007"},
    {"title": "two\nlines"},
    {"title": "invoice \u202egnp.exe"},
    {"title": "ok", "description": "nul\u0000"},
    {"title": "ok", "keywords": ["a", " a"]},
    {"title": "ok", "keywords": [str(i) for i in range(21)]},
    {"title": "ok", "file": {"name": "a", "mediaType": "text/plain; charset=utf-8", "size": 1}},
    {"title": "ok", "file": {"name": "a", "mediaType": "text/plain", "size": 9007199254740992}},
    {"title": "ok", "file": {"name": "a", "mediaType": "text/plain", "size": 1.5}},
    {"title": "ok", "file": {"name": "", "mediaType": "text/plain", "size": 1}},
    {"title": "ok", "parentNotes": {"0x12": "short id"}},
    {"title": "ok", "description": "d" * 10001},
]

# Cards as stored or bundled (ContributionCard.from_json / checkCard): refused the same way.
_GOOD_CARD: dict[str, Any] = {
    "description": "",
    "file": None,
    "keywords": [],
    "kind": "poc-ledger/contribution-card",
    "parents": [],
    "salt": SALT,
    "title": "t",
    "version": 1,
}
STRICT_CARDS: list[str] = [
    json.dumps(_GOOD_CARD),
    json.dumps({**_GOOD_CARD, "extra": 1}),
    json.dumps({k: v for k, v in _GOOD_CARD.items() if k != "salt"}),
    json.dumps({**_GOOD_CARD, "title": " t"}),
    json.dumps({**_GOOD_CARD, "title": "e\u0301"}),
    json.dumps({**_GOOD_CARD, "version": 2}),
    json.dumps({**_GOOD_CARD, "version": 1.0}),
    json.dumps({**_GOOD_CARD, "kind": "poc-ledger/dispute-reason"}),
    json.dumps({**_GOOD_CARD, "salt": SALT.upper().replace("0X", "0x")}),
    json.dumps({**_GOOD_CARD, "file": {"mediaType": "a/b", "name": "n", "size": 1, "x": 0}}),
    json.dumps({**_GOOD_CARD, "file": {"mediaType": "a/b", "name": "n", "size": 3.0}}),
    json.dumps({**_GOOD_CARD, "file": {"mediaType": "a/b", "name": "n", "size": "3"}}),
    json.dumps({**_GOOD_CARD, "file": {"mediaType": "a/b", "name": "n", "size": True}}),
    json.dumps({**_GOOD_CARD, "file": {"mediaType": "a/b", "name": "n", "size": 2**53 + 1}}),
    json.dumps(
        {
            **_GOOD_CARD,
            "parents": [
                {"contributionId": PARENT_B, "note": "b"},
                {"contributionId": PARENT_A, "note": "a"},
            ],
        }
    ),
    json.dumps({**_GOOD_CARD, "title": "\ud800"}),
    json.dumps({**_GOOD_CARD, "description": "\r"}),
    json.dumps({**_GOOD_CARD, "description": "\u2066"}),
    json.dumps({**_GOOD_CARD, "keywords": "flax"}),
    json.dumps([]),
]

TYPED_REASONS: list[dict[str, Any]] = [
    {
        "text": "Published in 2019:\r\nsee the paper.",
        "file": {"name": "paper.pdf", "sha256": "0x" + "AA" * 32},
    },
    {"text": "  Gepubliceerd in 2019 — zie bijlage.  "},
    {"text": ""},
    {"text": "x" * 20001},
    {"text": "ok", "file": {"name": "p", "sha256": "0x12"}},
]


class _AppServer:
    """The app (no chain) on a free port, served by uvicorn in a thread."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(ApiSettings(data_dir=data_dir, start_workers=False))
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> _AppServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code < 500:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("the app server did not start")

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    with _AppServer(tmp_path_factory.mktemp("cards-app")) as server, sync_playwright() as pw:
        browser: Browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            opened = browser.new_page()
            opened.goto(server.url + "/")
            yield opened
        finally:
            browser.close()


# What each browser-side operation does with one input (the page's CSP forbids eval, so the
# operations are named here and dispatched in the page).
_BROWSER_OPERATIONS = """async ([operation, salt, cases]) => {
    const m = await import('/static/js/cards.js');
    const operations = {
        canonical: (text) => {
            const v = JSON.parse(text);
            return [m.canonicalJson(v), m.canonicalHash(v)];
        },
        canonicalOnly: (text) => m.canonicalJson(JSON.parse(text)),
        typedCard: (text) => {
            const card = m.makeCard({ ...JSON.parse(text), salt });
            return [m.canonicalJson(card), m.cardHash(card)];
        },
        storedCard: (text) => m.cardHash(JSON.parse(text)),
        typedReason: (text) => {
            const reason = m.makeReason({ ...JSON.parse(text), salt });
            return [m.canonicalJson(reason), m.reasonHash(reason)];
        },
    };
    return cases.map((input) => {
        try {
            return { ok: operations[operation](input) };
        } catch (error) {
            return { code: error.code || String(error), field: error.field ?? null };
        }
    });
}"""


def _in_browser(page: Page, operation: str, cases: list[str]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.evaluate(_BROWSER_OPERATIONS, [operation, SALT, cases])
    return result


def _in_python(fn: Any, cases: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for case in cases:
        try:
            out.append({"ok": fn(case)})
        except RecordFormatError as exc:
            out.append({"code": exc.code, "field": exc.field})
    return out


def _both_ok(results: list[dict[str, Any]], count: int) -> None:
    assert sum("ok" in r for r in results) == count, results


def test_canonical_json_and_hash_agree_on_tricky_values(page: Page) -> None:
    browser = _in_browser(page, "canonical", JSON_VALUES)
    python = _in_python(
        lambda text: [
            canonical_json(json.loads(text)).decode(),
            "0x" + canonical_hash(json.loads(text)).hex(),
        ],
        JSON_VALUES,
    )
    assert browser == python
    _both_ok(python, len(JSON_VALUES))
    # Spot checks against RFC 8785's own examples of number serialisation.
    numbers = json.loads(python[4]["ok"][0])
    assert python[4]["ok"][0].startswith("[1e+21,100000000000000000000,1e-7,0.000001,0.1")
    assert numbers[0] == 1e21


def test_canonical_json_is_refused_alike(page: Page) -> None:
    browser = _in_browser(page, "canonicalOnly", JSON_REFUSED)
    python = _in_python(lambda text: canonical_json(json.loads(text)).decode(), JSON_REFUSED)
    assert [r.get("code") for r in browser] == [r.get("code") for r in python]
    assert all(r.get("code") == "json_not_canonicalizable" for r in python)


def _python_typed_card(raw: dict[str, Any]) -> list[str]:
    file = raw.get("file")
    card = ContributionCard.create(
        title=raw["title"],
        description=raw.get("description", ""),
        file_name=None if file is None else file["name"],
        media_type=None if file is None else file["mediaType"],
        size=None if file is None else file["size"],
        keywords=raw.get("keywords", []),
        parent_notes=raw.get("parentNotes", {}),
        salt=bytes.fromhex(SALT[2:]),
    )
    return [card.canonical().decode(), card.hash_hex()]


def test_typed_cards_are_tidied_and_hashed_alike(page: Page) -> None:
    payload = [json.dumps(c) for c in TYPED_CARDS]
    browser = _in_browser(page, "typedCard", payload)
    python = _in_python(lambda text: _python_typed_card(json.loads(text)), payload)
    assert browser == python
    _both_ok(python, 4)
    assert '"title":"Café"' in python[1]["ok"][0]


def test_stored_cards_are_checked_alike(page: Page) -> None:
    browser = _in_browser(page, "storedCard", STRICT_CARDS)
    python = _in_python(
        lambda text: ContributionCard.from_canonical(text.encode()).hash_hex(), STRICT_CARDS
    )
    assert browser == python
    # The good card, and version 1.0 and size 3.0 (one JSON number type: 1.0 is 1).
    _both_ok(python, 3)


def _python_typed_reason(raw: dict[str, Any]) -> list[str]:
    file = raw.get("file")
    reason = DisputeReason.create(
        text=raw["text"],
        file_name=None if file is None else file["name"],
        file_sha256=None if file is None else file["sha256"],
        salt=bytes.fromhex(SALT[2:]),
    )
    return [reason.canonical().decode(), reason.hash_hex()]


def test_reasons_are_tidied_and_hashed_alike(page: Page) -> None:
    payload = [json.dumps(r) for r in TYPED_REASONS]
    browser = _in_browser(page, "typedReason", payload)
    python = _in_python(lambda text: _python_typed_reason(json.loads(text)), payload)
    assert browser == python
    _both_ok(python, 2)


_API_REFUSALS = """async (bodies) => {
    const { ApiError } = await import('/static/js/api.js');
    return [document.documentElement.lang, bodies.map((body) => ApiError.from(422, body).message)];
}"""


def test_api_refusal_of_a_card_field_reads_as_the_browser_check_says_it(page: Page) -> None:
    # A client that skipped the browser's own check (or an older page) gets the API's refusal
    # in the same words, naming the field, whatever path the body's location takes.
    bodies = [
        {"code": "card_too_long", "details": [{"location": "card.title", "message": "x"}]},
        {
            "code": "card_control_character",
            "details": [{"location": "items[1].card.parents[0].note", "message": "x"}],
        },
        {"code": "reason_empty", "details": [{"location": "reason.text", "message": "x"}]},
        {"code": "card_duplicate"},
        {"code": "card_widget_broken", "details": [{"location": "card.title", "message": "x"}]},
    ]
    language, messages = page.evaluate(_API_REFUSALS, bodies)
    words = translations()[language]
    too_long = words["record.problem.too_long"].replace("{max}", "200")
    assert messages == [
        f"{words['record.field.title']}: {too_long}",
        f"{words['record.field.parent_note']}: {words['record.problem.control_character']}",
        f"{words['record.field.reason']}: {words['record.problem.empty']}",
        words["record.problem.duplicate"],
        words["error.unknown"].replace("{status}", "422"),
    ]
