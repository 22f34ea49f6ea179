"""The lawyer's page proves a contribution from the original file and either the partner's
recovery sheet (typed in by the partner) or an opening file, in a real browser against a
`poc sandbox --chain memory`: the bundle it then exports verifies with the original file, and
what the page sends never holds the secret, the words or the file.

The demo partners' proof secrets are kept by the sandbox's service (custodial, opted in), so
the test reads one with that partner's key, as the partner's own recovery page would show it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect

from ledger.domain.codec import from_hex
from ledger.openings.files import OpeningFile, derived_opening
from ledger.openings.secret import ProofSecret
from tests.e2e.web_pages import (
    CHROMIUM,
    SandboxProcess,
    act_as,
    demo_of,
    launched_chromium,
    no_missing_keys,
    open_page,
    page_token,
    running_sandbox,
    texts,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip("needs Debian's Chromium at /usr/bin/chromium", allow_module_level=True)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    yield from running_sandbox(tmp_path_factory.mktemp("lawyer-sandbox"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched_chromium()


@pytest.fixture(scope="module")
def demo(sandbox: SandboxProcess) -> dict[str, Any]:
    return demo_of(sandbox.url)


def _person(demo: dict[str, Any], label: str) -> dict[str, Any]:
    person: dict[str, Any] = next(p for p in demo["people"] if p["label"] == label)
    return person


def _contribution(demo: dict[str, Any]) -> dict[str, Any]:
    """A demo contribution of a partner that is not the coordinator."""
    item: dict[str, Any] = next(
        c for c in demo["contributions"] if c["partner"] != demo["people"][0]["label"]
    )
    return item


def _secret_of(sandbox: SandboxProcess, person: dict[str, Any]) -> ProofSecret:
    """The proof secret the service keeps for a demo partner, read with its own key."""
    response = httpx.get(
        f"{sandbox.url}/v1/partners/{person['address']}/proof-secret",
        headers={"X-API-Key": person["apiKey"]},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return ProofSecret(from_hex(response.json()["secret"]))


def _document(sandbox: SandboxProcess, contribution: dict[str, Any]) -> FilePayload:
    name = Path(contribution["document"]).name
    response = httpx.get(
        f"{sandbox.url}/sandbox/documents/{name}",
        headers={"X-Sandbox-Token": page_token(sandbox.url)},
        timeout=10,
    )
    response.raise_for_status()
    return FilePayload(name=name, mimeType="text/plain", buffer=response.content)


def _lawyer_page(browser: Browser, base: str) -> tuple[Page, list[str]]:
    context = browser.new_context(locale="en-GB", accept_downloads=True)
    page = context.new_page()
    sent: list[str] = []
    page.on("request", lambda r: sent.append(f"{r.method} {r.url} {r.post_data or ''}"))
    act_as(page, base, "lawyer")
    open_page(page, f"{base}/lawyer")
    return page, sent


def _export_and_verify(page: Page, document: FilePayload, contribution_id: str) -> None:
    assert page.locator("#export-contribution").input_value() == contribution_id
    with page.expect_download() as download:
        page.click("#download-bundle")
    bundle = download.value.path()
    page.set_input_files("#verify-bundle", str(bundle))
    page.set_input_files("#verify-file", document)
    page.click("#verify-submit")
    expect(page.locator("#verify-status")).to_have_text(texts("en")["verify.ok"], timeout=60_000)
    assert page.locator("#verify-checks li.fail").count() == 0


def test_lawyer_proves_from_the_original_file_and_the_partners_recovery_sheet(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any]
) -> None:
    contribution = _contribution(demo)
    secret = _secret_of(sandbox, _person(demo, contribution["partner"]))
    document = _document(sandbox, contribution)
    page, sent = _lawyer_page(browser, sandbox.url)
    page.set_input_files("#prove-file", document)
    page.check("#prove-with-words")
    # As a partner types it: upper case, one word a line, words by their first four letters.
    typed = "\n".join(word[:4].upper() for word in secret.words.split())
    page.fill("#prove-words", typed)
    page.click("#prove-submit")
    cid = contribution["contributionId"].lower()
    expect(page.locator("#prove-status")).to_contain_text(cid[:8], timeout=30_000)
    # The words are cleared from the page once used.
    assert page.locator("#prove-words").input_value() == ""
    _export_and_verify(page, document, cid)
    no_missing_keys(page)
    seen = "\n".join(sent).lower()
    assert secret.value.hex() not in seen
    assert secret.words.split()[0] + " " + secret.words.split()[1] not in seen
    assert document["buffer"].decode().lower()[:60] not in seen
    exports = [line for line in sent if "/v1/exports/" in line]
    assert exports and all(cid in line.lower() for line in exports)
    page.context.close()


def test_lawyer_proves_from_the_original_file_and_an_opening_file(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any], tmp_path: Path
) -> None:
    contribution = _contribution(demo)
    secret = _secret_of(sandbox, _person(demo, contribution["partner"]))
    document = _document(sandbox, contribution)
    opening: OpeningFile = derived_opening(
        secret,
        chain_id=demo["chainId"],
        ledger=demo["ledger"],
        project_id=demo["projectId"],
        contributor=contribution["contributor"],
        content_hash=from_hex(contribution["contentHash"]),
        file_name=document["name"],
    )
    assert "0x" + opening.contribution_id.hex() == contribution["contributionId"].lower()
    opening_path = tmp_path / "opening.json"
    opening_path.write_bytes(opening.to_bytes())
    page, _ = _lawyer_page(browser, sandbox.url)
    # Another file with this opening: not the file it opens.
    page.set_input_files(
        "#prove-file", FilePayload(name="other.txt", mimeType="text/plain", buffer=b"other\n")
    )
    page.set_input_files("#prove-opening", str(opening_path))
    page.click("#prove-submit")
    expect(page.locator("#prove-status")).to_have_text(
        texts("en")["prove.not_this_file"], timeout=30_000
    )
    page.set_input_files("#prove-file", document)
    page.click("#prove-submit")
    cid = contribution["contributionId"].lower()
    expect(page.locator("#prove-status")).to_contain_text(cid[:8], timeout=30_000)
    _export_and_verify(page, document, cid)
    no_missing_keys(page)
    page.context.close()


def test_lawyer_page_finds_nothing_with_another_partners_recovery_sheet(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any]
) -> None:
    contribution = _contribution(demo)
    someone_else = next(
        p
        for p in demo["people"]
        if p["role"] != "auditor" and p["label"] != contribution["partner"]
    )
    words = _secret_of(sandbox, someone_else).words
    page, _ = _lawyer_page(browser, sandbox.url)
    page.set_input_files("#prove-file", _document(sandbox, contribution))
    page.check("#prove-with-words")
    page.fill("#prove-words", words)
    page.click("#prove-submit")
    expect(page.locator("#prove-status")).to_have_text(
        texts("en")["prove.not_found"], timeout=30_000
    )
    # Words that are no recovery sheet are refused, naming the first wrong word.
    page.fill("#prove-words", "abandon " * 23 + "zebraa")
    page.click("#prove-submit")
    expect(page.locator("#page-error")).to_be_visible(timeout=30_000)
    page.context.close()
