"""The proof keys page, in a real browser against `poc sandbox --chain memory`: a browser
that holds openings that exist nowhere else warns on every page until they are exported; the
sealed export reads back into an emptied browser (a wrong passphrase and a doctored opening
file are refused, naming the file); a single opening file made by the command line imports.

Contributions registered with random salts (before proof secrets, or by another tool) are
proven only by such files, so these are the paths that keep them provable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from ledger.domain.codec import from_hex
from ledger.openings.files import OpeningFile, make_opening
from ledger.openings.salts import SaltDerivation
from tests.e2e.web_pages import (
    CHROMIUM,
    SandboxProcess,
    act_as,
    demo_of,
    launched_chromium,
    no_missing_keys,
    open_page,
    running_sandbox,
    texts,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip("needs Debian's Chromium at /usr/bin/chromium", allow_module_level=True)

PASSPHRASE = "zwingel en repel 2019"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    yield from running_sandbox(tmp_path_factory.mktemp("openings-sandbox"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched_chromium()


@pytest.fixture(scope="module")
def demo(sandbox: SandboxProcess) -> dict[str, Any]:
    return demo_of(sandbox.url)


def _openings(demo: dict[str, Any], label: str) -> list[OpeningFile]:
    """The openings of `label`'s demo contributions, as files an older tool would have kept
    (random salts: the salt is what it is, nothing derives it)."""
    return [
        make_opening(
            chain_id=demo["chainId"],
            ledger=demo["ledger"],
            project_id=demo["projectId"],
            contributor=c["contributor"],
            content_hash=from_hex(c["contentHash"]),
            salt=from_hex(c["salt"]),
            derivation=SaltDerivation.RANDOM,
            file_name=Path(c["document"]).name,
        )
        for c in demo["contributions"]
        if c["partner"] == label
    ]


def _browser_page(browser: Browser, base: str) -> Page:
    context = browser.new_context(locale="nl-BE", accept_downloads=True)
    page = context.new_page()
    act_as(page, base, "vezelinstituut")
    return page


def _rows(page: Page) -> list[str]:
    return [
        str(row.get_attribute("data-contribution"))
        for row in page.locator("#openings-rows tr[data-contribution]").all()
    ]


def test_unbacked_openings_warn_until_exported_and_the_export_restores_them(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any], tmp_path: Path
) -> None:
    openings = _openings(demo, "vezelinstituut")
    assert len(openings) >= 2
    ids = sorted("0x" + o.contribution_id.hex() for o in openings)
    page = _browser_page(browser, sandbox.url)
    nl = texts("nl")
    # Kept by an earlier page or tool, in this browser only.
    kept = {"0x" + o.contribution_id.hex(): o.to_json() for o in openings}
    page.evaluate("(kept) => localStorage.setItem('poc.openings', JSON.stringify(kept))", kept)
    open_page(page, f"{sandbox.url}/register")
    banner = page.locator("#backup-warning")
    expect(banner).to_be_visible()
    expect(banner.locator("a")).to_have_attribute("href", "/openings")
    open_page(page, f"{sandbox.url}/openings")
    assert sorted(_rows(page)) == ids
    expect(page.locator("#openings-unbacked")).to_be_visible()
    # Export, with the passphrase typed twice.
    page.fill("#export-passphrase", PASSPHRASE)
    page.fill("#export-passphrase-again", PASSPHRASE + "x")
    page.click("#export-submit")
    expect(page.locator("#page-error")).to_be_visible()
    page.fill("#export-passphrase", PASSPHRASE)
    page.fill("#export-passphrase-again", PASSPHRASE)
    with page.expect_download() as download:
        page.click("#export-submit")
    backup = tmp_path / "proof-keys.json"
    download.value.save_as(backup)
    sealed = json.loads(backup.read_text())
    assert sealed["type"] == "poc-ledger/sealed" and sealed["content"] == "openings"
    for o in openings:
        assert o.salt.hex() not in backup.read_text()
    expect(page.locator("#openings-unbacked")).to_be_hidden()
    open_page(page, f"{sandbox.url}/register")
    expect(page.locator("#backup-warning")).to_be_hidden()

    # Another browser (storage cleared): the backup reads back with its passphrase only.
    page.evaluate("() => localStorage.clear()")
    open_page(page, f"{sandbox.url}/openings")
    assert _rows(page) == []
    page.set_input_files("#import-files", str(backup))
    page.fill("#import-passphrase", "not the passphrase")
    page.click("#import-submit")
    expect(page.locator("#import-results li.fail")).to_have_count(1, timeout=30_000)
    expect(page.locator("#import-results li.fail")).to_contain_text("proof-keys.json")
    assert _rows(page) == []
    page.set_input_files("#import-files", str(backup))
    page.fill("#import-passphrase", PASSPHRASE)
    page.click("#import-submit")
    expect(page.locator("#import-results li.pass")).to_have_count(1, timeout=30_000)
    assert sorted(_rows(page)) == ids
    expect(page.locator("#openings-unbacked")).to_be_hidden()
    assert nl["openings.random"] in page.locator("#openings-rows").inner_text()
    no_missing_keys(page)
    page.context.close()


def test_single_opening_files_import_and_a_doctored_one_is_refused(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any], tmp_path: Path
) -> None:
    opening = _openings(demo, "unikortrijk")[0]
    good = tmp_path / "opening.json"
    good.write_bytes(opening.to_bytes())
    doctored = tmp_path / "doctored.json"
    # Another salt under the same commitment: it no longer opens what it names.
    document = opening.to_json()
    document["salt"] = "0x" + bytes(32).hex()
    doctored.write_text(json.dumps(document))
    page = _browser_page(browser, sandbox.url)
    open_page(page, f"{sandbox.url}/openings")
    page.set_input_files("#import-files", [str(doctored), str(good)])
    page.click("#import-submit")
    expect(page.locator("#import-results li")).to_have_count(2, timeout=30_000)
    expect(page.locator("#import-results li.fail")).to_contain_text("doctored.json")
    expect(page.locator("#import-results li.pass")).to_contain_text("opening.json")
    assert _rows(page) == ["0x" + opening.contribution_id.hex()]
    no_missing_keys(page)
    page.context.close()
