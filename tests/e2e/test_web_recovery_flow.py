"""A partner never loses the power to prove its contributions (issue 16), in a real browser
against a real sandbox process on anvil that is stopped and started again:

register a file with a salt derived from the proof secret → the same file again is refused
with a link to the first → stop and restart the sandbox → clear the browser's storage →
restore the secret from the recovery sheet → export the proof bundle of the earlier
contribution from the original file and verify it with that file.

The partner (the demo's coordinator) starts custodial, as the sandbox seeds it: the service
keeps its proof secret. On the recovery page it writes down its sheet and takes the secret
into its own hands (the service forgets it), so that after the restart nothing but the
sheet can bring it back.
"""

from __future__ import annotations

import itertools
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, expect, sync_playwright

from api.i18n import translations
from ledger.openings.secret import ProofSecret
from poc.sandbox.anvil import free_port
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_sandbox_process import _needs_anvil
from tests.e2e.web_pages import confirm, wait_confirmed
from tests.sandbox_process import Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.anvil]

PASSPHRASE = "lange vlasvezels 2024"
CARD_TITLE = "Roting van vlas, proef 7"
OPENINGS_STORAGE = "poc.openings"  # proofkeys.js: the openings this browser keeps
DOCUMENT = FilePayload(
    name="zwingelproef-2024.txt",
    mimeType="text/plain",
    buffer=b"Zwingelproef 2024: vezellengte 62 cm, rendement 23,4 %.\n",
)


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


def _open(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    expect(page.locator("#page-error")).to_be_hidden()


def _act_as(page: Page, base: str, label: str) -> None:
    _open(page, f"{base}/partner")
    page.locator(f"button[data-label={label}]").click()
    expect(page.locator(f"button[data-label={label}]")).to_have_attribute("aria-pressed", "true")


def _no_missing_keys(page: Page) -> None:
    assert page.evaluate("window.missingTranslations || []") == []


def _take_secret_home(page: Page, base: str) -> str:
    """On the recovery page: write down the sheet the service keeps, keep the secret in this
    browser only; return the 24 words."""
    _open(page, f"{base}/recovery")
    expect(page.locator("#recovery-held")).to_be_visible()
    expect(page.locator("#held-where")).to_contain_text(re.compile("service|dienst"))
    page.click("#show-sheet")
    expect(page.locator("#sheet-words li")).to_have_count(24)
    words = page.locator("#sheet-words li").all_inner_texts()
    assert len(words) == 24
    for field in page.locator("#confirm-words input").all():
        field.fill(words[int(field.get_attribute("data-position") or 0) - 1])
    page.fill("#new-passphrase", PASSPHRASE)
    page.fill("#new-passphrase-again", PASSPHRASE)
    # Kept by the service so far: the box starts ticked; the partner takes it back.
    expect(page.locator("#custody-opt-in")).to_be_checked()
    page.uncheck("#custody-opt-in")
    page.click("#confirm-submit")
    expect(page.locator("#recovery-held")).to_be_visible(timeout=30_000)
    expect(page.locator("#held-where")).not_to_contain_text(re.compile("service|dienst"))
    _no_missing_keys(page)
    return " ".join(words)


def _register(page: Page, base: str) -> str:
    _open(page, f"{base}/register")
    page.set_input_files("#file-input", DOCUMENT)
    expect(page.locator("#commitment")).to_have_text(re.compile("^0x[0-9a-f]{64}$"), timeout=30_000)
    expect(page.locator("#salt-source")).to_contain_text("0x")
    page.fill("#value", "12")
    page.fill("#card-title", CARD_TITLE)
    page.click("#register-submit")
    # Asked first: the summary names the file that will be registered.
    assert DOCUMENT["name"] in confirm(page)
    wait_confirmed(page)
    link = page.locator("#register-result a").first.get_attribute("href") or ""
    match = re.search(r"id=(0x[0-9a-f]{64})", link)
    assert match, link
    # The opening kept before sending carries the card signed with it.
    kept = page.evaluate(f"JSON.parse(localStorage.getItem({OPENINGS_STORAGE!r}))")
    assert kept[match.group(1)]["card"]["title"] == CARD_TITLE
    return match.group(1)


def _already_registered(page: Page, base: str, contribution_id: str) -> None:
    _open(page, f"{base}/register")
    page.set_input_files("#file-input", DOCUMENT)
    notice = page.locator("#already-registered")
    expect(notice).to_be_visible(timeout=30_000)
    expect(notice.locator("a")).to_have_attribute("href", f"/contribution?id={contribution_id}")
    expect(page.locator("#register-submit")).to_be_disabled()


def _export_openings(page: Page, base: str, folder: Path) -> Path:
    _open(page, f"{base}/openings")
    expect(page.locator("#openings-rows tr")).to_have_count(1)
    page.fill("#export-passphrase", PASSPHRASE)
    page.fill("#export-passphrase-again", PASSPHRASE)
    with page.expect_download() as download:
        page.click("#export-submit")
    target = folder / "proof-keys.json"
    download.value.save_as(target)
    assert '"poc-ledger/sealed"' in target.read_text()
    expect(page.locator("#backup-warning")).to_be_hidden()
    return target


def _import_openings(page: Page, base: str, backup: Path, contribution_id: str) -> None:
    _open(page, f"{base}/openings")
    expect(page.locator("#openings-rows tr td.muted")).to_have_count(1)  # nothing kept
    page.set_input_files("#import-files", str(backup))
    page.fill("#import-passphrase", PASSPHRASE)
    page.click("#import-submit")
    expect(page.locator("#import-results li.pass")).to_have_count(1, timeout=30_000)
    row = page.locator(f"#openings-rows tr[data-contribution='{contribution_id}']")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(DOCUMENT["name"])


def _clear_storage(context: BrowserContext, page: Page) -> None:
    page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
    context.clear_cookies()


@pytest.mark.timeout(600)
def test_register_restart_clear_restore_and_prove_from_the_recovery_sheet(
    tmp_path: Path, browser: Browser
) -> None:
    _needs_anvil()
    data = tmp_path / "sandbox"
    port = free_port()  # the same origin after the restart: the browser's storage is per origin
    first = Sandbox("--data-dir", str(data), port=port)
    try:
        first.wait_healthy()
        base = first.url
        context = browser.new_context(locale="nl-BE", accept_downloads=True)
        page = context.new_page()
        # Everything the pages send, to check that no secret ever leaves the browser.
        sent: list[str] = []
        page.on("request", lambda r: sent.append(f"{r.method} {r.url} {r.post_data or ''}"))
        _act_as(page, base, "leievlas")
        words = _take_secret_home(page, base)
        secret = ProofSecret.from_words(words)
        contribution_id = _register(page, base)
        _already_registered(page, base, contribution_id)
        backup = _export_openings(page, base, tmp_path)
        # The service keeps no copy any more: only the sheet brings the secret back.
        key = page.evaluate("JSON.parse(sessionStorage.getItem('poc.actor')).apiKey")
        address = page.evaluate("JSON.parse(sessionStorage.getItem('poc.actor')).address")
        held = httpx.get(
            f"{base}/v1/partners/{address}/proof-secret", headers={"X-API-Key": key}, timeout=10
        )
        assert held.status_code == 404, held.text
    finally:
        assert first.stop(signal.SIGTERM) == 0

    second = Sandbox("--data-dir", str(data), port=port)
    try:
        second.wait_healthy()
        assert "Contracts found" in second.output
        _clear_storage(context, page)
        _act_as(page, base, "leievlas")
        # Nothing in this browser, nothing at the service: the register page sends the
        # partner to its recovery sheet first.
        _open(page, f"{base}/register")
        expect(page.locator("#secret-needed")).to_be_visible()
        page.locator("#secret-needed a").click()
        page.wait_for_selector("body[data-ready=true]")
        expect(page.locator("#recovery-none")).to_be_visible()
        page.click("#start-restore")
        page.fill("#restore-words", words.upper().replace(" ", "\n"))
        page.fill("#restore-passphrase", PASSPHRASE)
        page.click("#restore-submit")
        expect(page.locator("#recovery-status")).to_contain_text(secret.secret_id, timeout=30_000)
        _already_registered(page, base, contribution_id)
        # Locked again (a new tab): the register page asks the passphrase first.
        page.evaluate(
            "() => sessionStorage.removeItem(Object.keys(sessionStorage)"
            ".find((k) => k.startsWith('poc.unlocked.')))"
        )
        _open(page, f"{base}/register")
        expect(page.locator("#secret-unlock")).to_be_visible()
        page.fill("#unlock-passphrase", "not the passphrase")
        page.click("#unlock-submit")
        expect(page.locator("#page-error")).to_be_visible(timeout=30_000)
        page.fill("#unlock-passphrase", PASSPHRASE)
        page.click("#unlock-submit")
        expect(page.locator("#secret-unlock")).to_be_hidden(timeout=30_000)
        page.set_input_files("#file-input", DOCUMENT)
        expect(page.locator("#already-registered")).to_be_visible(timeout=30_000)
        # The sealed backup of the proof keys reads back into the emptied browser.
        _import_openings(page, base, backup, contribution_id)

        # The lawyer's page: the original file and this browser's secret find the
        # contribution; its bundle verifies with the original file.
        _open(page, f"{base}/lawyer")
        page.set_input_files("#prove-file", DOCUMENT)
        page.check("#prove-with-mine")
        page.click("#prove-submit")
        expect(page.locator("#prove-status")).to_contain_text(contribution_id[:8], timeout=30_000)
        assert page.locator("#export-contribution").input_value() == contribution_id
        with page.expect_download() as download:
            page.click("#download-bundle")
        bundle_path = download.value.path()
        bundle_text = Path(bundle_path).read_text()
        assert contribution_id[2:] in bundle_text.lower()
        # The opening sent for the bundle is in it; the secret is not.
        assert secret.value.hex() not in bundle_text
        page.set_input_files("#verify-bundle", bundle_path)
        page.set_input_files("#verify-file", DOCUMENT)
        page.click("#verify-submit")
        verdict = translations()["nl"]["verify.ok"]
        expect(page.locator("#verify-status")).to_have_text(verdict, timeout=60_000)
        assert page.locator("#verify-checks li.fail").count() == 0
        assert page.locator("#verify-checks li.pass").count() > 5
        _no_missing_keys(page)
        # What the server saw: never the secret (taking it home is a DELETE), the words, the
        # passphrase or the file; an opening only in the bundle export.
        seen = "\n".join(sent).lower()
        # A single sheet word may be an ordinary English word of any request ("unit" is one,
        # and the bundle verified holds the policy's units): two of them in a row, in any
        # way a page could join them, may not.
        listed = words.split()
        for one, two in itertools.pairwise(listed):
            for joint in (" ", "\n", "+", "%20", '","', '", "'):
                assert f"{one}{joint}{two}" not in seen
        assert secret.value.hex() not in seen
        assert PASSPHRASE.lower() not in seen
        assert DOCUMENT["buffer"].decode().lower() not in seen
        exports = [line for line in sent if "/v1/exports/" in line]
        assert exports and all(contribution_id in line.lower() for line in exports)
        context.close()
    finally:
        assert second.stop(signal.SIGTERM) == 0
