"""Registering in the browser as a first-time SME would, and as someone trying to trip it up:
the file registered is the one the page shows or nothing is sent (raced on purpose), values
are typed in the unit people think in and recorded exactly or refused, a summary is confirmed
before anything is signed, and one's own contribution can be replaced by a new version or
withdrawn from the pages. Dutch and English where the pages say something.

How the pages are driven: tests/e2e/web_pages.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect

from ledger.domain.hashing import commitment
from tests.e2e.web_pages import (
    CHROMIUM,
    CONFIRM_MS,
    MAKE_BLOB_JS,
    SandboxProcess,
    act_as,
    confirm,
    demo_of,
    drop_file,
    drop_in_page,
    launched_chromium,
    no_missing_keys,
    open_page,
    pattern_sha256,
    running_sandbox,
    texts,
    wait_confirmed,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip("needs Debian's Chromium at /usr/bin/chromium", allow_module_level=True)

LOCALES = {"nl": "nl-BE", "en": "en-GB"}
PERSON_HOURS, FUNDING = 0, 1
UINT64_MAX = 2**64 - 1


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    yield from running_sandbox(tmp_path_factory.mktemp("register-sandbox"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched_chromium()


@pytest.fixture(scope="module")
def demo(sandbox: SandboxProcess) -> dict[str, Any]:
    return demo_of(sandbox.url)


def _key(demo: dict[str, Any], label: str) -> dict[str, str]:
    person = next(p for p in demo["people"] if p["label"] == label)
    return {"X-API-Key": person["apiKey"]}


def _api(sandbox: SandboxProcess, demo: dict[str, Any], path: str) -> Any:
    response = httpx.get(f"{sandbox.url}{path}", headers=_key(demo, "leievlas"), timeout=10)
    response.raise_for_status()
    return response.json()


def _context(browser: Browser, language: str) -> BrowserContext:
    return browser.new_context(locale=LOCALES[language], viewport={"width": 1366, "height": 900})


def _registrations(page: Page) -> list[Request]:
    """Every registration the page will send (a POST to a project's contributions)."""
    sent: list[Request] = []

    def record(request: Request) -> None:
        if request.method == "POST" and re.search(r"/contributions(/prepare)?$", request.url):
            sent.append(request)

    page.on("request", record)
    return sent


def _openings(page: Page) -> dict[str, Any]:
    stored: dict[str, Any] = json.loads(
        page.evaluate("localStorage.getItem('poc.openings') || '{}'")
    )
    return stored


def _sentence(template: str, **values: str) -> re.Pattern[str]:
    """A translated sentence with its {fields} as given, or as anything where not given."""
    pattern = re.escape(template)
    for name in re.findall(r"\{(\w+)\}", template):
        value = values.get(name)
        pattern = pattern.replace(re.escape("{" + name + "}"), re.escape(value) if value else ".+")
    return re.compile("^" + pattern + "$")


def _flat(text: str) -> str:
    """Text with the non-breaking and narrow spaces Intl writes as plain spaces."""
    return re.sub(r"[\u00a0\u202f]", " ", text)


# -- 1: the file shown is the file signed, or nothing is sent -----------------------------


def test_register_race_never_sends_another_file_than_shown(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any]
) -> None:
    nl = texts("nl")
    context = _context(browser, "nl")
    page = context.new_page()
    act_as(page, sandbox.url, "leievlas")
    open_page(page, sandbox.url + "/register")
    sent = _registrations(page)
    page.evaluate(MAKE_BLOB_JS, ["first", 0, 3000])
    page.evaluate(MAKE_BLOB_JS, ["second", 0, 4000])
    page.evaluate(MAKE_BLOB_JS, ["third", 0, 5000])
    page.evaluate(MAKE_BLOB_JS, ["big", 256, 0])
    page.select_option("#category", str(PERSON_HOURS))
    page.fill("#value", "5")
    page.fill("#card-title", "Treksterkte van de lont")
    submit = page.locator("#register-submit")

    # A file, then a big one; Register pressed every way while the big one is hashing.
    drop_in_page(page, "first")
    expect(page.locator("#content-hash")).to_have_text(pattern_sha256(0, 3000))
    drop_in_page(page, "big")
    page.wait_for_function("() => document.getElementById('hash-progress-bar').value > 0")
    expect(submit).to_be_disabled()
    page.evaluate("document.getElementById('register-form').requestSubmit()")
    expect(page.locator("#page-error")).to_have_text(nl["error.still_hashing"])
    page.locator("#value").press("Enter")
    submit.click(force=True)
    expect(page.locator("#confirm-dialog")).to_have_count(0)
    assert page.locator("#file-name").inner_text() == "big.bin"
    assert page.locator("#commitment").inner_text() == ""
    page.locator("#hash-progress").get_by_role("button", name=nl["hash.stop"]).click()
    expect(page.locator("#content-hash")).to_have_text(nl["hash.stopped"])
    page.evaluate("document.getElementById('register-form').requestSubmit()")
    expect(page.locator("#page-error")).to_have_text(nl["error.no_file"])
    assert sent == [], "a registration was sent for a file the page was not showing"

    # The summary names a file; another file chosen while it is open: nothing is sent.
    drop_in_page(page, "second")
    expect(page.locator("#content-hash")).to_have_text(pattern_sha256(0, 4000))
    submit.click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("second.bin")
    expect(dialog).to_contain_text(pattern_sha256(0, 4000))
    drop_in_page(page, "third")  # a script, or a drop the modal did not stop
    expect(page.locator("#content-hash")).to_have_text(pattern_sha256(0, 5000))
    page.click("#confirm-accept")
    expect(page.locator("#page-error")).to_have_text(nl["error.file_changed"])
    assert sent == [] and _openings(page) == {}, "a file was signed that the summary did not show"

    # Confirmed and under way: the file cannot change, and the result names the one sent.
    submit.click()
    expect(dialog).to_contain_text("third.bin")
    page.click("#confirm-accept")
    expect(page.locator("#progress-card")).to_be_visible()
    drop_in_page(page, "first")
    expect(page.locator("#page-error")).to_have_text(nl["error.file_locked"])
    expect(page.locator("#register-result")).to_be_visible(timeout=CONFIRM_MS)
    expect(page.locator("#file-name")).to_have_text("third.bin")
    result = page.locator("#register-result")
    expect(result).to_contain_text("third.bin")
    expect(result).to_contain_text(pattern_sha256(0, 5000))
    assert len(sent) == 1
    body = json.loads(sent[0].post_data or "{}")
    cid = (result.locator("a").get_attribute("href") or "").split("id=")[1]
    # What was kept opens what was registered, and it is the file the page showed.
    opening = _openings(page)[cid.lower()]
    assert opening["contentHash"] == pattern_sha256(0, 5000)
    assert opening["fileName"] == "third.bin"
    leievlas = next(p for p in demo["people"] if p["label"] == "leievlas")["address"]
    expected = commitment(
        leievlas,
        demo["projectId"],
        bytes.fromhex(opening["contentHash"][2:]),
        bytes.fromhex(opening["salt"][2:]),
    )
    assert body["commitment"] == "0x" + expected.hex()
    # The card names the file that was shown and signed, not one chosen before or after.
    assert body["card"]["file"] == {
        "name": "third.bin",
        "mediaType": "application/octet-stream",
        "size": 5000,
    }
    registered = _api(sandbox, demo, f"/v1/contributions/{cid}")
    assert registered["commitment"] == "0x" + expected.hex()
    assert registered["card"]["status"] == "valid"
    assert registered["card"]["card"]["file"]["name"] == "third.bin"
    assert registered["cardHash"] == body["cardHash"]
    context.close()


# -- 2: values in the unit people think in, exactly ---------------------------------------


def _register(
    page: Page, base: str, name: str, data: bytes, category: int, value: str
) -> tuple[str, str]:
    """Register a file through the page; the contribution id and the confirmed summary."""
    open_page(page, base + "/register")
    drop_file(page, name, data)
    expect(page.locator("#commitment")).to_have_text(re.compile(r"^0x[0-9a-f]{64}$"))
    page.fill("#card-title", name)
    page.select_option("#category", str(category))
    page.fill("#value", value)
    page.click("#register-submit")
    summary = confirm(page)
    wait_confirmed(page)
    link = page.locator("#register-result a")
    expect(link).to_be_visible(timeout=CONFIRM_MS)
    return (link.get_attribute("href") or "").split("id=")[1], summary


# (language, typed for funding, recorded cents, summary fields)
MONEY = {
    "nl": ("15.000,50", 1_500_050, "€ 15.000,50", "150,005", "€ 100,00"),
    "en": ("15,000.50", 1_500_050, "€15,000.50", "150.005", "€100.00"),
}
# (language, typed, error key) for values the ledger cannot hold exactly
REFUSED = {
    "nl": [
        (FUNDING, "15000,505", "error.value_too_precise"),
        (FUNDING, "15.00", "error.value_format"),
        (PERSON_HOURS, "7,5", "error.value_whole_only"),
        (PERSON_HOURS, str(UINT64_MAX + 1), "error.value_too_large"),
        (PERSON_HOURS, "0", "error.value_zero"),
        (PERSON_HOURS, "-3", "error.value_negative"),
        (PERSON_HOURS, "twaalf", "error.value_format"),
    ],
    "en": [
        (FUNDING, "15000.505", "error.value_too_precise"),
        (FUNDING, "15.000", "error.value_too_precise"),
        (PERSON_HOURS, "7.5", "error.value_whole_only"),
        (PERSON_HOURS, str(UINT64_MAX + 1), "error.value_too_large"),
        (PERSON_HOURS, "", "error.value_empty"),
        (PERSON_HOURS, "twelve", "error.value_format"),
    ],
}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_value_typed_in_its_unit_is_recorded_exactly_or_refused(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any], language: str
) -> None:
    words = texts(language)
    context = _context(browser, language)
    page = context.new_page()
    act_as(page, sandbox.url, "leievlas")
    open_page(page, sandbox.url + "/register")
    sent = _registrations(page)
    drop_file(page, "refused.txt", f"never registered {language}".encode())
    expect(page.locator("#commitment")).to_have_text(re.compile(r"^0x[0-9a-f]{64}$"))
    page.fill("#card-title", "refused.txt")

    # Refused as typed, said in the page's language, and nothing goes out when pressed.
    for category, typed, key in REFUSED[language]:
        page.select_option("#category", str(category))
        page.fill("#value", typed)
        if typed:  # said as it is typed (an empty field just shows how to fill it)
            expect(page.locator("#value-summary")).to_have_text(_sentence(words[key]))
            expect(page.locator("#value")).to_have_attribute("aria-invalid", "true")
        page.click("#register-submit")
        expect(page.locator("#page-error")).to_have_text(_sentence(words[key]))
        expect(page.locator("#confirm-dialog")).to_have_count(0)
    assert sent == []

    # Euros with cents: what will be recorded is said before anything is signed.
    typed, cents, recorded, units, per = MONEY[language]
    page.select_option("#category", str(FUNDING))
    page.fill("#value", typed)
    said = words["amount.summary_scaled"].format(recorded=recorded, units=units, per=per)
    assert _flat(page.locator("#value-summary").inner_text()) == said
    cid, summary = _register(
        page, sandbox.url, f"funding-{language}.txt", f"pilot {language}".encode(), FUNDING, typed
    )
    assert said in _flat(summary)
    assert words["confirm.irreversible"] in summary
    assert _api(sandbox, demo, f"/v1/contributions/{cid}")["value"] == str(cents)

    # Above 2^53: recorded to the last digit, shown to the last digit.
    big = "9007199254740993"
    cid, summary = _register(
        page, sandbox.url, f"big-{language}.txt", f"hours {language}".encode(), 0, big
    )
    assert _api(sandbox, demo, f"/v1/contributions/{cid}")["value"] == big
    grouped = "9.007.199.254.740.993" if language == "nl" else "9,007,199,254,740,993"
    assert grouped in _flat(summary)
    open_page(page, f"{sandbox.url}/contribution?id={cid}")
    expect(page.locator("#contribution-facts")).to_contain_text(grouped)
    no_missing_keys(page)
    context.close()


# -- 3: correcting one's own contribution ----------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "en"])
def test_partner_supersedes_then_withdraws_own_contribution(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any], language: str
) -> None:
    words = texts(language)
    context = _context(browser, language)
    page = context.new_page()
    act_as(page, sandbox.url, "leievlas")
    old, _ = _register(
        page, sandbox.url, f"draft-{language}.txt", f"first draft {language}".encode(), 0, "12"
    )

    # The contribution page offers the contributor both corrections.
    open_page(page, f"{sandbox.url}/contribution?id={old}")
    expect(page.locator("#own-card")).to_be_visible()
    page.click("#supersede-link")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("h1")).to_have_text(words["supersede.heading"])
    expect(page.locator("#supersede-note")).to_contain_text(f"draft-{language}.txt")
    expect(page.locator("#value")).to_have_value("12")  # the old facts, to correct
    expect(page.locator("#card-title")).to_have_value(f"draft-{language}.txt")  # its card's words
    drop_file(page, f"final-{language}.txt", f"final version {language}".encode())
    expect(page.locator("#commitment")).to_have_text(re.compile(r"^0x[0-9a-f]{64}$"))
    page.fill("#value", "14")
    page.fill("#card-title", f"final-{language}.txt")
    page.click("#register-submit")
    summary = confirm(page)
    assert words["supersede.replaces"] in summary and f"draft-{language}.txt" in summary
    wait_confirmed(page)
    result = page.locator("#register-result")
    expect(result).to_contain_text(
        words["supersede.done"].format(name=f"final-{language}.txt"), timeout=CONFIRM_MS
    )
    new = (result.locator("a").get_attribute("href") or "").split("id=")[1]
    assert _api(sandbox, demo, f"/v1/contributions/{old}")["status"] == "superseded"
    replacement = _api(sandbox, demo, f"/v1/contributions/{new}")
    assert replacement["supersedes"].lower() == old.lower() and replacement["value"] == "14"
    # A correction is a new card; the old one stays as it was signed.
    assert replacement["card"]["card"]["title"] == f"final-{language}.txt"
    assert _api(sandbox, demo, f"/v1/contributions/{old}")["card"]["card"]["title"] == (
        f"draft-{language}.txt"
    )

    # The old one says what replaced it and offers no more corrections.
    open_page(page, f"{sandbox.url}/contribution?id={old}")
    expect(page.locator("#own-card")).to_be_hidden()
    expect(page.locator("#contribution-facts")).to_contain_text(words["contribution.replaced_by"])

    # Withdraw the new one: asked first, then shown in place, focus on what changed.
    open_page(page, f"{sandbox.url}/contribution?id={new}")
    page.evaluate("window.stillTheSamePage = true")
    page.click("#withdraw-submit")
    expect(page.locator("#confirm-dialog")).to_contain_text(words["own.withdraw_confirm_intro"])
    page.click("#confirm-cancel")  # Cancel signs nothing
    expect(page.locator("#confirm-dialog")).to_have_count(0)
    assert _api(sandbox, demo, f"/v1/contributions/{new}")["status"] == "active"
    page.click("#withdraw-submit")
    confirm(page)
    badge = page.locator("#contribution-facts .badge")
    expect(badge).to_have_text(words["status.withdrawn"], timeout=CONFIRM_MS)
    expect(page.locator("#contribution-explain")).to_have_text(words["count.WITHDRAWN"])
    expect(page.locator("#own-card")).to_be_hidden()
    assert page.evaluate("window.stillTheSamePage === true"), "the page reloaded"
    assert page.evaluate("document.activeElement.id") == "contribution-explain"
    assert _api(sandbox, demo, f"/v1/contributions/{new}")["status"] == "withdrawn"
    no_missing_keys(page)
    context.close()
