"""The knowledge exchange's done-when, in two browsers as two partners of the sandbox: the
SME shares a PDF with the university; the university's browser decrypts it (bytes equal to the
original) and acknowledges; the SME sees the receipt; the university requests access rights to
the SME's Background; the SME grants with terms; both are in the bundle of the SME's
contribution, the verifier passes, and the registers are in the evidence pack. Then the same
flow through `poc exchange` / `poc access` against the same sandbox.

How the pages are driven: tests/e2e/web_pages.py.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from ledger.evidence.verifier import verify_document
from tests.e2e.web_pages import (
    CHROMIUM,
    CONFIRM_MS,
    SandboxProcess,
    act_as,
    launched_chromium,
    no_missing_keys,
    open_page,
    running_sandbox,
    shoot,
    texts,
    wait_confirmed,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip("needs Debian's Chromium at /usr/bin/chromium", allow_module_level=True)

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"% Retting know-how of Leievlas: dew retting 21 days, scutching at 180 rpm\n" * 30 + b"%%EOF\n"
)
SME, UNIVERSITY = "leievlas", "unikortrijk"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    yield from running_sandbox(tmp_path_factory.mktemp("exchange-sandbox"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched_chromium()


def _demo(url: str) -> dict[str, Any]:
    from tests.e2e.web_pages import demo_of

    return demo_of(url)


def _person(demo: dict[str, Any], label: str) -> dict[str, Any]:
    return next(p for p in demo["people"] if p["label"] == label)


def _partner_page(browser: Browser, base: str, label: str, language: str) -> Page:
    context = browser.new_context(
        locale="nl-BE" if language == "nl" else "en-GB", accept_downloads=True
    )
    page = context.new_page()
    open_page(page, f"{base}/lang/{language}?next=/")
    act_as(page, base, label)
    return page


@pytest.mark.timeout(600)
def test_share_decrypt_acknowledge_and_access_rights_in_two_browsers(
    sandbox: SandboxProcess, browser: Browser, tmp_path: Path
) -> None:
    base = sandbox.url
    demo = _demo(base)
    sme, university = _person(demo, SME), _person(demo, UNIVERSITY)
    background = next(
        c for c in demo["contributions"] if c["partner"] == SME and c["key"] == "sme-retting-data"
    )
    a = _partner_page(browser, base, SME, "nl")
    b = _partner_page(browser, base, UNIVERSITY, "en")
    en, nl = texts("en"), texts("nl")

    # B makes its key pair in its browser and publishes the public key.
    open_page(b, f"{base}/inbox")
    expect(b.locator("#key-status")).to_have_text(en["inbox.key_missing"])
    b.click("#key-create")
    wait_confirmed(b)
    expect(b.locator("#key-status")).to_have_text(en["inbox.key_ready"], timeout=CONFIRM_MS)
    expect(b.locator("#key-backup-value")).to_have_text(re.compile("^0x[0-9a-f]{64}$"))
    no_missing_keys(b)

    # A shares the PDF with B, about its Background.
    open_page(a, f"{base}/share")
    original = tmp_path / "retting-know-how.pdf"
    original.write_bytes(PDF)
    a.set_input_files("#share-file", str(original))
    a.check(f"input[name=recipient][value='{university['address']}']")
    a.select_option("#share-reference", background["contributionId"])
    a.click("#share-submit")
    wait_confirmed(a)
    expect(a.locator("#share-status")).to_contain_text("retting-know-how.pdf", timeout=CONFIRM_MS)
    item = a.locator(".disclosure-item").first
    expect(item.locator(f"[data-recipient='{university['address']}']")).to_have_attribute(
        "data-status", "pending"
    )
    no_missing_keys(a)
    shoot(a, "exchange-share-nl")

    # B opens it in its browser: the bytes are the original's; B acknowledges.
    open_page(b, f"{base}/inbox")
    received = b.locator("#received-list .disclosure-item").first
    received.get_by_role("button", name=en["inbox.open"]).click()
    save = received.get_by_role(
        "button", name=en["inbox.save"].replace("{name}", "retting-know-how.pdf")
    )
    expect(save).to_be_visible(timeout=CONFIRM_MS)
    with b.expect_download() as download:
        save.click()
    assert Path(download.value.path()).read_bytes() == PDF
    received.get_by_role("button", name=en["inbox.acknowledge"]).click()
    wait_confirmed(b)
    expect(b.locator("#received-list .disclosure-item").first).to_have_attribute(
        "data-status", "acknowledged", timeout=CONFIRM_MS
    )
    shoot(b, "exchange-inbox-en")

    # A sees the receipt.
    open_page(a, f"{base}/share")
    expect(
        a.locator(f".disclosure-item [data-recipient='{university['address']}']").first
    ).to_have_attribute("data-status", "acknowledged")
    expect(a.locator(".disclosure-item").first).to_contain_text(nl["receipt.acknowledged"])

    # B requests access rights to A's Background; A grants with terms.
    open_page(b, f"{base}/requests")
    b.select_option("#ask-contribution", background["contributionId"])
    b.select_option("#ask-purpose", "carrying_out_project")
    b.select_option("#ask-terms", "royalty_free")
    b.fill("#ask-terms-text", "Royalty-free access for carrying out the project, DESCA 9.3.")
    b.click("#ask-submit")
    wait_confirmed(b)
    expect(b.locator("#request-list .request-item").first).to_have_attribute(
        "data-status", "open", timeout=CONFIRM_MS
    )
    open_page(a, f"{base}/inbox")
    answer = a.locator("#answer-list .request-item").first
    answer.locator("textarea").fill("Granted royalty-free for the duration of the project.")
    answer.get_by_role("button", name=nl["inbox.grant"]).click()
    wait_confirmed(a)
    expect(a.locator("#answer-list .request-item").first).to_have_attribute(
        "data-status", "granted", timeout=CONFIRM_MS
    )
    no_missing_keys(a)
    shoot(a, "exchange-answer-nl")

    # Both are in the bundle of A's contribution, which verifies; the pack has the registers.
    headers = {"X-API-Key": sme["apiKey"]}
    bundle = httpx.post(
        f"{base}/v1/exports/contributions/{background['contributionId']}/bundle",
        json={"contentHash": background["contentHash"], "salt": background["salt"]},
        headers=headers,
        timeout=60,
    ).json()
    events = [e["event"] for e in bundle["history"]]
    assert events[-4:] == [
        "Disclosed",
        "DisclosureAcknowledged",
        "AccessRequested",
        "AccessGranted",
    ]
    report = verify_document(bundle)
    assert report.ok, report.lines()
    verified = httpx.post(
        f"{base}/v1/proofs/verify", json={"bundle": bundle}, headers=headers, timeout=60
    ).json()
    assert verified["ok"], verified
    pack = httpx.post(
        f"{base}/v1/exports/projects/{demo['projectId']}/evidence-pack",
        json={"openings": {}},
        headers=headers,
        timeout=120,
    )
    assert pack.status_code == 200, pack.text
    archive = zipfile.ZipFile(io.BytesIO(pack.content))
    disclosures = json.loads(archive.read("disclosure-register.json"))["disclosures"]
    assert disclosures[-1]["recipients"][0]["answer"] == "acknowledged"
    requests = json.loads(archive.read("access-rights-register.json"))["requests"]
    assert requests[-1]["answer"] == "granted"


def _poc(base: str, key: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "poc", *argv, "--api-url", base, "--api-key", key],
        capture_output=True,
        text=True,
        timeout=180,
    )


# Each `poc` command is a fresh process that imports web3 and the rest: seconds each on a
# shared machine, a dozen of them.
@pytest.mark.timeout(600)
def test_the_same_flow_through_the_cli_against_the_sandbox(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    base = sandbox.url
    demo = _demo(base)
    sme, centre = _person(demo, SME), _person(demo, "vezelinstituut")
    background = next(
        c for c in demo["contributions"] if c["partner"] == SME and c["key"] == "sme-retting-data"
    )
    key_file = tmp_path / "centre.key"
    keygen = subprocess.run(
        [sys.executable, "-m", "poc", "exchange", "keygen", "--key-file", str(key_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert keygen.returncode == 0, keygen.stderr
    published = _poc(base, centre["apiKey"], "exchange", "publish-key", "--key-file", str(key_file))
    assert published.returncode == 0, published.stderr
    original = tmp_path / "scutching.pdf"
    original.write_bytes(PDF)
    shared = None
    for _ in range(60):  # the index follows the chain within a moment
        shared = _poc(
            base,
            sme["apiKey"],
            "exchange",
            "share",
            str(original),
            "--project",
            str(demo["projectId"]),
            "--to",
            centre["address"],
            "--contribution",
            background["contributionId"],
            "--media-type",
            "application/pdf",
        )
        if shared.returncode == 0 or "no_encryption_key" not in shared.stderr + shared.stdout:
            break
        time.sleep(0.5)
    assert shared is not None and shared.returncode == 0, shared.stderr if shared else ""
    disclosure_id = json.loads(shared.stdout)["disclosureId"]
    out = tmp_path / "received"
    opened = None
    for _ in range(60):
        opened = _poc(
            base,
            centre["apiKey"],
            "exchange",
            "open",
            disclosure_id,
            "--key-file",
            str(key_file),
            "--out",
            str(out),
            "--acknowledge",
        )
        if opened.returncode == 0 or "disclosure_not_found" not in opened.stderr:
            break
        time.sleep(0.5)
    assert opened is not None and opened.returncode == 0, opened.stderr if opened else ""
    assert (out / "scutching.pdf").read_bytes() == PDF
    terms = tmp_path / "terms.txt"
    terms.write_text("Fair and reasonable terms, to be agreed within 30 days.\n")
    requested = _poc(
        base,
        centre["apiKey"],
        "access",
        "request",
        background["contributionId"],
        "--purpose",
        "exploiting-own-results",
        "--terms",
        "fair-and-reasonable",
        "--terms-file",
        str(terms),
    )
    assert requested.returncode == 0, requested.stderr
    request_id = requested.stdout.split("#")[1].split()[0]
    granted = None
    for _ in range(60):
        granted = _poc(
            base,
            sme["apiKey"],
            "access",
            "grant",
            request_id,
            "--terms",
            "fair-and-reasonable",
            "--terms-file",
            str(terms),
        )
        if granted.returncode == 0 or "access_request_not_found" not in granted.stderr:
            break
        time.sleep(0.5)
    assert granted is not None and granted.returncode == 0, granted.stderr if granted else ""
    listed = None
    for _ in range(60):
        listed = _poc(
            base,
            centre["apiKey"],
            "access",
            "list",
            "--project",
            str(demo["projectId"]),
            "--json",
        )
        rows = json.loads(listed.stdout)
        if any(r["requestId"] == int(request_id) and r["status"] == "granted" for r in rows):
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"the grant never showed: {listed.stdout if listed else ''}")
