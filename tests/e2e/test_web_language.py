"""Every word a person reads in the pages comes from the translation table, in the page's
language, and says what a thing is for a person (the technical term a tooltip away). The
pages are rendered in Chromium after their data loaded, errors and dialogs included, and the
visible text is checked: no English sentence of the table and no English word in a Dutch
page, no Dutch sentence in an English one. Screenshots of the register, contribution, split
and lawyer pages in both languages go to test-output/screenshots/ (git-ignored).

How the pages are driven: tests/e2e/web_pages.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect

from tests.e2e.web_pages import (
    CHROMIUM,
    CONFIRM_MS,
    SandboxProcess,
    act_as,
    demo_of,
    drop_file,
    launched_chromium,
    move_clock,
    no_missing_keys,
    open_page,
    page_token,
    running_sandbox,
    shoot,
    texts,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip("needs Debian's Chromium at /usr/bin/chromium", allow_module_level=True)

LOCALES = {"nl": "nl-BE", "en": "en-GB"}
OTHER = {"nl": "en", "en": "nl"}
# English words that are no Dutch words: one of them in a Dutch page is English text that did
# not come from the table (an API message, a verifier detail, a name given in English).
ENGLISH_WORDS = frozenset(
    {
        "the",
        "and",
        "with",
        "yet",
        "you",
        "your",
        "this",
        "that",
        "nothing",
        "cannot",
        "unable",
        "should",
        "would",
        "which",
        "not",
        "for",
        "from",
        "has",
        "have",
        "were",
        "are",
        "will",
        "must",
        "only",
        "into",
        "there",
        "their",
        "what",
        "when",
        "where",
        "why",
        "how",
        "input",
        "parse",
        "string",
        "read",
        "export",
        "counsel",
        "administrator",
        "please",
    }
)
# Technical words the pages keep out of sight (a tooltip says them for the lawyer).
DUTCH_JARGON = ("zout", "Kenmerk", "(commitment)", "Verzegeling (", "blok ")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    yield from running_sandbox(tmp_path_factory.mktemp("language-sandbox"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched_chromium()


@pytest.fixture(scope="module")
def demo(sandbox: SandboxProcess) -> dict[str, Any]:
    demo = demo_of(sandbox.url)
    # The demo's cards, as a partner reads them: their words are the partners' own.
    key = next(p["apiKey"] for p in demo["people"] if p["label"] == "leievlas")
    items = httpx.get(
        f"{sandbox.url}/v1/projects/{demo['projectId']}/contributions",
        headers={"X-API-Key": key},
        timeout=10,
    ).json()["items"]
    valid = [c for c in items if c["card"]["status"] == "valid"]
    demo["cards"] = [c["card"]["card"] for c in valid]
    demo["titles"] = {c["contributionId"].lower(): c["card"]["card"]["title"] for c in valid}
    return demo


def _user_texts(demo: dict[str, Any]) -> list[str]:
    """What partners wrote themselves, in any language (names, titles, file names): not the
    pages' words. The names of keys that act for no partner are not among them: the pages
    name those by their role, translated."""
    written = [demo["projectTitle"]]
    written += [p["name"] for p in demo["people"] if p["address"]]
    written += [p["companyNumber"] for p in demo["people"] if p.get("companyNumber")]
    for card in demo["cards"]:
        written += [card["title"], card["description"], *card["keywords"]]
        written += [parent["note"] for parent in card["parents"]]
    written += [c["document"] for c in demo["contributions"]]
    return sorted(written, key=len, reverse=True)


def _visible_text(page: Page, demo: dict[str, Any]) -> str:
    """The page's visible text (dialogs included), without what partners wrote, hashes and
    addresses."""
    text: str = page.evaluate("document.body.innerText")
    for written in _user_texts(demo):
        text = text.replace(written, " ")
    text = re.sub(r"[\w-]+\.(txt|bin|json|pdf|csv)\b", " ", text)  # file names
    text = re.sub(r"0x[0-9a-fA-F]+…?[0-9a-fA-F]*", " ", text)
    return re.sub(r"[\u00a0\u202f]", " ", text)


def _sentences_of(language: str) -> dict[str, list[str]]:
    """Per key, the literal runs of three words or more of its text in `language` that differ
    from the other language's text (the parts between {fields})."""
    table, other = texts(language), texts(OTHER[language])
    runs: dict[str, list[str]] = {}
    for key, text in table.items():
        if text == other.get(key):
            continue
        pieces = [p.strip(" .,:;()\u00b7\u2013-") for p in re.split(r"\{\w+\}", text)]
        pieces = [p for p in pieces if len(re.findall(r"[A-Za-zÀ-ÿ]+", p)) >= 3]
        if pieces:
            runs[key] = pieces
    return runs


def _foreign_text(page: Page, demo: dict[str, Any], language: str) -> list[str]:
    """Sentences of the other language, and (in Dutch) English words, that the page shows."""
    text = _visible_text(page, demo)
    found = [
        f"{key}: {piece!r}"
        for key, pieces in _sentences_of(OTHER[language]).items()
        for piece in pieces
        if piece in text and piece not in texts(language).get(key, "")
    ]
    if language == "nl":
        words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
        found += [f"English word {w!r}" for w in sorted(words & ENGLISH_WORDS)]
        found += [f"jargon {j!r}" for j in DUTCH_JARGON if j in text]
    return found


def test_word_lists_do_not_flag_the_dutch_table() -> None:
    # The checks below trust these lists: no Dutch text of the table may trip them.
    for key, text in texts("nl").items():
        words = {w.lower() for w in re.findall(r"[A-Za-z]+", re.sub(r"\{\w+\}", "", text))}
        assert not words & ENGLISH_WORDS, f"nl {key} holds {words & ENGLISH_WORDS}"
        assert not [j for j in DUTCH_JARGON if j in text], f"nl {key}: {text}"


def _check(page: Page, demo: dict[str, Any], language: str, where: str, seen: list[str]) -> None:
    no_missing_keys_but_errors(page)
    seen += [f"{where}: {problem}" for problem in _foreign_text(page, demo, language)]


def no_missing_keys_but_errors(page: Page) -> None:
    missing = page.evaluate("window.missingTranslations || []")
    assert missing == [], f"{page.url}: missing translations {missing}"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_pages_speak_only_the_page_language_with_screenshots(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any], language: str, tmp_path: Path
) -> None:
    words = texts(language)
    base = sandbox.url
    context = browser.new_context(
        locale=LOCALES[language], viewport={"width": 1366, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    seen: list[str] = []
    act_as(page, base, "leievlas")
    for path in ("/", "/partner", "/project", "/share", "/inbox", "/requests"):
        open_page(page, base + path)
        _check(page, demo, language, path, seen)

    # The split page before anything counts: simulating revenue is refused in words.
    open_page(page, base + "/split")
    page.fill("#revenue-amount", "1000")
    page.click("#revenue-form button[type=submit]")
    page.wait_for_selector("#statement-table:not([hidden]), #page-error:not([hidden])")
    if page.locator("#statement-table").is_hidden():  # first run: the clock has not moved
        expect(page.locator("#page-error")).to_have_text(words["error.nothing_to_split"])
    _check(page, demo, language, "/split (nothing counts)", seen)
    page.fill("#revenue-amount", "12,5,0")
    page.click("#revenue-form button[type=submit]")
    expect(page.locator("#page-error")).to_have_text(re.compile(r"\w"))
    _check(page, demo, language, "/split (bad amount)", seen)
    move_clock(page)
    page.fill("#revenue-amount", "1000")
    page.click("#revenue-form button[type=submit]")
    expect(page.locator("#statement-table")).to_be_visible()
    page.click("#propose-split")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    _check(page, demo, language, "/split (proposal summary)", seen)
    page.click("#confirm-cancel")
    _check(page, demo, language, "/split", seen)
    shoot(page, f"split-{language}")

    # Register: a value the ledger cannot hold, then the summary asked before signing.
    open_page(page, base + "/register")
    drop_file(page, f"trial-{language}.txt", b"a trial report")
    expect(page.locator("#commitment")).to_have_text(re.compile(r"^0x[0-9a-f]{64}$"))
    page.fill("#card-title", demo["cards"][0]["title"])
    page.select_option("#category", "1")
    page.fill("#value", "1000,005")
    _check(page, demo, language, "/register (refused value)", seen)
    page.fill("#value", "15000")
    page.click("#register-submit")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    _check(page, demo, language, "/register (summary)", seen)
    shoot(page, f"register-confirm-{language}")
    page.click("#confirm-cancel")
    shoot(page, f"register-{language}")

    # A demo contribution another partner endorsed, as the university sees it.
    act_as(page, base, "unikortrijk")
    endorsed = demo["contributions"][0]["contributionId"]
    open_page(page, f"{base}/contribution?id={endorsed}")
    _check(page, demo, language, "/contribution", seen)
    shoot(page, f"contribution-{language}")

    # The lawyer: export a demo bundle, verify it with the original file; the checks in words.
    act_as(page, base, "lawyer")
    expect(page.locator("#acting-as")).to_contain_text(words["role_person.auditor"])
    open_page(page, base + "/lawyer")
    seeded = demo["contributions"][1]
    page.select_option("#export-contribution", seeded["contributionId"])
    with page.expect_download() as bundle_download:
        page.click("#download-bundle")
    bundle = tmp_path / "bundle.json"
    bundle_download.value.save_as(bundle)
    original = httpx.get(
        f"{base}/sandbox/documents/{seeded['document']}",
        headers={"X-Sandbox-Token": page_token(base)},
        timeout=10,
    )
    original.raise_for_status()
    page.set_input_files("#verify-bundle", str(bundle))
    page.set_input_files(
        "#verify-file",
        files=[
            FilePayload(name=seeded["document"], mimeType="text/plain", buffer=original.content)
        ],
    )
    page.click("#verify-submit")
    expect(page.locator("#verify-status")).to_have_text(words["verify.ok"], timeout=CONFIRM_MS)
    checks = page.locator("#verify-checks li")
    assert checks.count() >= 8
    assert page.evaluate("document.activeElement.id") == "verify-status"
    expect(checks.filter(has_text=words["check.commitment"])).to_have_count(1)
    expect(checks.filter(has_text=words["check_ok.file"])).to_have_count(1)
    # The verifier's own English detail is there for who wants it: a tooltip.
    assert all(checks.nth(i).get_attribute("title") for i in range(checks.count()))
    _check(page, demo, language, "/lawyer (verified)", seen)
    shoot(page, f"lawyer-{language}")
    # A different file: a failed check, still in the page's language.
    page.set_input_files(
        "#verify-file",
        files=[FilePayload(name="other.txt", mimeType="text/plain", buffer=b"another file")],
    )
    page.click("#verify-submit")
    expect(page.locator("#verify-status")).to_have_text(words["verify.failed"], timeout=CONFIRM_MS)
    expect(page.locator("#verify-checks li.fail")).to_contain_text(words["verify.check_failed"])
    _check(page, demo, language, "/lawyer (failed check)", seen)
    open_page(page, base + "/partner")
    _check(page, demo, language, "/partner (as the lawyer)", seen)
    assert seen == [], "\n".join(seen)
    no_missing_keys(page)
    context.close()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_pages_say_what_a_thing_is_with_the_term_in_a_tooltip(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any], language: str
) -> None:
    words = texts(language)
    context = browser.new_context(locale=LOCALES[language])
    page = context.new_page()
    act_as(page, sandbox.url, "leievlas")
    open_page(page, sandbox.url + "/register")
    facts = page.locator("#file-facts")
    for word, term in (
        ("register.salt", "salt"),
        ("register.content_hash", "SHA-256"),
        ("register.commitment", "commitment"),
    ):
        abbr = facts.locator("abbr", has_text=words[word])
        expect(abbr).to_have_count(1)
        assert term in (abbr.get_attribute("title") or "")
    if language == "nl":
        assert words["register.salt"] == "Geheime sleutel bij uw bestand"
        assert words["register.content_hash"].startswith("Vingerafdruk")

    # A contribution: its date in words; the block, the id and the commitment as tooltips.
    built_on = next(c for c in demo["contributions"] if c["key"] == "lab-test-dataset")
    open_page(page, f"{sandbox.url}/contribution?id={built_on['contributionId']}")
    details = page.locator("#contribution-facts")
    dated = details.locator("span[title]").first
    assert re.search(r"\d+", dated.get_attribute("title") or "")
    expect(details.locator("abbr")).to_have_count(2)
    # "Builds on" names the parents by title, never by a bare count or number.
    for parent_key in ("sme-fibre-preparation", "lab-impregnation-model"):
        parent = next(c for c in demo["contributions"] if c["key"] == parent_key)
        title = demo["titles"][parent["contributionId"].lower()]
        expect(details.get_by_role("link", name=title)).to_have_count(1)
    open_page(page, sandbox.url + "/project")
    item = page.locator(f"li[data-contribution='{built_on['contributionId']}']")
    for parent_key in ("sme-fibre-preparation", "lab-impregnation-model"):
        parent = next(c for c in demo["contributions"] if c["key"] == parent_key)
        title = demo["titles"][parent["contributionId"].lower()]
        expect(item.get_by_role("link", name=title)).to_have_count(1)
    assert not re.search(re.escape(words["project.builds_on"]) + r"\s+\d", item.inner_text())
    text = page.evaluate("document.body.innerText")
    if language == "nl":
        assert not [j for j in DUTCH_JARGON if j in text], text
    no_missing_keys(page)
    context.close()
