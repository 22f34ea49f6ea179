"""The web pages in a real browser (Debian's Chromium, headless, driven by Playwright) against a
real sandbox process (`poc sandbox --chain memory` on a free port).

What is checked: the tour as two partners (register a file by drag and drop, export and verify
its proof, endorse it as another partner, the split before and after), that the file's bytes
never reach the server, that both languages render with no missing key, and the one-click
reset. Screenshots of the main screens at laptop and phone widths go to
test-output/screenshots/ (git-ignored) for people to look at. How the pages are driven is
tests/e2e/web_pages.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, CDPSession, FilePayload, Page, Request, expect
from pypdf import PdfReader

from ledger.domain.hashing import commitment, contribution_id
from tests.e2e.web_pages import (
    CHROMIUM,
    MIB,
    VIEWPORTS,
    SandboxProcess,
    launched_chromium,
    running_sandbox,
)
from tests.e2e.web_pages import MAKE_BLOB_JS as _MAKE_BLOB_JS
from tests.e2e.web_pages import act_as as _act_as
from tests.e2e.web_pages import confirm as _confirm
from tests.e2e.web_pages import demo_of as _demo
from tests.e2e.web_pages import drop_file as _drop_file
from tests.e2e.web_pages import drop_in_page as _drop_in_page
from tests.e2e.web_pages import move_clock as _move_clock
from tests.e2e.web_pages import no_missing_keys as _no_missing_keys
from tests.e2e.web_pages import open_page as _open
from tests.e2e.web_pages import pattern_sha256 as _pattern_sha256
from tests.e2e.web_pages import shoot as _shoot
from tests.e2e.web_pages import texts as _texts
from tests.e2e.web_pages import wait_confirmed as _wait_confirmed

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip("needs Debian's Chromium at /usr/bin/chromium", allow_module_level=True)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    yield from running_sandbox(tmp_path_factory.mktemp("web-sandbox"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched_chromium()


@pytest.fixture(scope="module")
def demo(sandbox: SandboxProcess) -> dict[str, Any]:
    return _demo(sandbox.url)


def _split(page: Page) -> dict[str, str]:
    """The split chart as {partner name: share text}."""
    rows = page.locator("#split-chart .bar-row")
    shares = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        shares[row.locator(".bar-name").inner_text()] = row.locator(".bar-value").inner_text()
    return shares


def _score_shown(page: Page) -> tuple[str, str]:
    """Today's score as the split page says it: how many contributions count, and the sum of
    Leievlas's points."""
    heading = page.locator("h3", has_text="Leievlas BV")
    leievlas = page.locator("#split-why article", has=heading).locator(".partner-sum")
    return page.locator("#split-summary").inner_text(), leievlas.inner_text()


def _api_paths(base: str) -> set[str]:
    return set(httpx.get(f"{base}/openapi.json", timeout=10).json()["paths"])


def test_pages_render_in_both_languages_with_screenshots(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any]
) -> None:
    first = demo["contributions"][-1]["contributionId"]
    pages = {
        "home": "/",
        "partner": "/partner",
        "project": "/project",
        "register": "/register",
        "contribution": f"/contribution?id={first}",
        "split": "/split",
        "agreement": "/agreement",
        "builder": "/agreement/builder",
        "lawyer": "/lawyer",
    }
    for locale, language in (("nl-BE", "nl"), ("en-GB", "en")):
        for viewport_name, viewport in VIEWPORTS.items():
            context = browser.new_context(locale=locale, viewport=viewport)
            page = context.new_page()
            _act_as(page, sandbox.url, "leievlas")
            for name, path in pages.items():
                _open(page, sandbox.url + path)
                assert page.evaluate("document.documentElement.lang") == language
                _no_missing_keys(page)
                # Nothing wider than the screen: the layout works at phone width.
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 1, f"{name} overflows by {overflow}px at {viewport_name}"
                if language == "nl" or name == "home":
                    _shoot(page, f"{name}-{viewport_name}-{language}")
            context.close()


def test_language_switch_is_a_keyboard_reachable_button(
    sandbox: SandboxProcess, browser: Browser
) -> None:
    context = browser.new_context(locale="nl-BE")
    page = context.new_page()
    _open(page, sandbox.url + "/project")
    assert page.locator("h1").inner_text()
    switch = page.locator(".lang-switch button")
    expect(switch).to_have_text(_texts("nl")["lang.switch_to"])
    switch.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/project$"))
    page.wait_for_selector("body[data-ready=true]")
    assert page.evaluate("document.documentElement.lang") == "en"
    # Every form control on the register page has a label.
    _act_as(page, sandbox.url, "leievlas")
    _open(page, sandbox.url + "/register")
    unlabelled = page.evaluate(
        """() => Array.from(document.querySelectorAll('input, select, textarea'))
            .filter((e) => e.type !== 'hidden' && e.labels.length === 0 && !e.ariaLabel)
            .map((e) => e.id || e.name)"""
    )
    assert unlabelled == []
    context.close()


def test_browser_commitment_matches_the_ledger(sandbox: SandboxProcess, browser: Browser) -> None:
    page = browser.new_page()
    _open(page, sandbox.url + "/")
    contributor = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    content, salt = "0x" + "ab" * 32, "0x" + "cd" * 32
    ours = page.evaluate(
        """async ([who, content, salt]) => {
            const c = await import('/static/js/crypto.js');
            const commit = c.commitment(who, 7, content, salt);
            return [commit, c.contributionId(7, who, commit),
                    c.toHex(c.keccak256(new Uint8Array(0))),
                    c.toHex(c.keccak256(new Uint8Array(300).fill(97)))];
        }""",
        [contributor, content, salt],
    )
    expected = commitment(contributor, 7, bytes.fromhex("ab" * 32), bytes.fromhex("cd" * 32))
    assert ours[0] == "0x" + expected.hex()
    assert ours[1] == "0x" + contribution_id(7, contributor, expected).hex()
    assert ours[2] == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    from eth_utils.crypto import keccak

    assert ours[3] == "0x" + keccak(b"a" * 300).hex()
    page.close()


def test_browser_proof_secrets_are_32_random_bytes(
    sandbox: SandboxProcess, browser: Browser
) -> None:
    # Every salt the register page uses is an HMAC keyed with the partner's proof secret, made
    # by newProofSecret() on the recovery page: a short or repeated secret would let anyone
    # confirm a guess about a document from its commitment on chain.
    page = browser.new_page()
    _open(page, sandbox.url + "/")
    made = page.evaluate(
        """async () => {
            const s = await import('/static/js/secret.js');
            const c = await import('/static/js/crypto.js');
            return Array.from({length: 64}, () => c.toHex(s.newProofSecret()));
        }"""
    )
    assert all(s.startswith("0x") and len(bytes.fromhex(s[2:])) == 32 for s in made)
    assert len(set(made)) == len(made)
    assert len({s[2:4] for s in made}) > 16  # first bytes spread as random bytes do
    page.close()


# -- hashing files as a stream -------------------------------------------------------------


def _heap_bytes(cdp: CDPSession) -> int:
    """The page's JS heap in use plus the memory behind its ArrayBuffers (where a whole-file
    read would land)."""
    usage = cdp.send("Runtime.getHeapUsage")
    return int(usage["usedSize"]) + int(usage["backingStorageSize"])


def test_sha256_file_hashes_a_large_file_in_bounded_memory(
    sandbox: SandboxProcess, browser: Browser
) -> None:
    context = browser.new_context()
    page = context.new_page()
    _open(page, sandbox.url + "/")
    page.evaluate("async () => { window.hashing = await import('/static/js/crypto.js'); }")
    mebibytes, tail = 300, 12_345
    size = page.evaluate(_MAKE_BLOB_JS, ["big", mebibytes, tail])
    assert size == mebibytes * MIB + tail
    cdp = context.new_cdp_session(page)
    cdp.send("HeapProfiler.collectGarbage")
    baseline = _heap_bytes(cdp)
    # Started, not awaited: Python samples the heap while the page hashes.
    page.evaluate(
        """() => {
            window.run = {progress: [], digest: null, error: null, settled: false};
            const onProgress = (done, total) => window.run.progress.push([done, total]);
            window.run.promise = window.hashing.sha256File(window.big, {onProgress})
                .then((digest) => { window.run.digest = digest; })
                .catch((error) => { window.run.error = String(error); })
                .finally(() => { window.run.settled = true; });
        }"""
    )
    peak, samples = baseline, 0
    deadline = time.monotonic() + 100
    while not page.evaluate("window.run.settled"):
        peak = max(peak, _heap_bytes(cdp))
        samples += 1
        assert time.monotonic() < deadline, "hashing 300 MiB took more than 100 s"
        time.sleep(0.02)
    run = page.evaluate(
        "() => ({...window.run, promise: null, progress: window.run.progress.map((p) => p[0])})"
    )
    assert run["error"] is None
    assert run["digest"] == _pattern_sha256(mebibytes, tail)
    # Memory stays flat: a whole-file read would add the file's 300 MiB here.
    assert samples >= 5, "too few heap samples to judge memory"
    assert peak - baseline < 32 * MIB, f"heap grew by {(peak - baseline) / MIB:.0f} MiB"
    progress = run["progress"]
    assert progress[0] == 0 and progress[-1] == size
    assert progress == sorted(progress) and len(progress) > mebibytes // 2
    context.close()


def test_sha256_file_stops_reading_when_aborted(sandbox: SandboxProcess, browser: Browser) -> None:
    page = browser.new_page()
    _open(page, sandbox.url + "/")
    page.evaluate(_MAKE_BLOB_JS, ["big", 64, 0])
    result = page.evaluate(
        """async () => {
            const c = await import('/static/js/crypto.js');
            const controller = new AbortController();
            let last = 0;
            let afterAbort = 0;
            const onProgress = (done) => {
                if (controller.signal.aborted) afterAbort += 1;
                last = done;
                if (done >= 8 << 20) controller.abort();
            };
            let error = null;
            try {
                await c.sha256File(window.big, {onProgress, signal: controller.signal});
            } catch (e) {
                error = e.name;
            }
            // Already aborted: refused before reading anything.
            let early = null;
            let calls = 0;
            try {
                const signal = AbortSignal.abort();
                await c.sha256File(window.big, {onProgress: () => calls++, signal});
            } catch (e) {
                early = e.name;
            }
            return {error, last, afterAbort, early, calls};
        }"""
    )
    assert result["error"] == "AbortError"
    assert 8 * MIB <= result["last"] < 64 * MIB
    assert result["afterAbort"] == 0
    assert result["early"] == "AbortError" and result["calls"] == 0
    page.close()


def test_sha256_file_matches_hashlib_on_small_and_plain_stream_inputs(
    sandbox: SandboxProcess, browser: Browser
) -> None:
    page = browser.new_page()
    _open(page, sandbox.url + "/")
    samples = [b"", b"a", bytes(range(256)) * 4099, "vlasvezel één".encode()]
    digests = page.evaluate(
        """async (samples) => {
            const c = await import('/static/js/crypto.js');
            const out = [];
            for (const bytes of samples) {
                const data = new Uint8Array(bytes);
                // A Blob (byte stream), and a plain stream in odd pieces, as older browsers give.
                const plain = {
                    size: data.length,
                    stream: () => new ReadableStream({
                        start(controller) {
                            for (let i = 0; i < data.length; i += 1000) {
                                controller.enqueue(data.slice(i, i + 1000));
                            }
                            controller.close();
                        },
                    }),
                };
                out.push([
                    await c.sha256File(new Blob([data]), {chunkBytes: 4096}),
                    await c.sha256File(plain),
                ]);
            }
            out.push(await c.sha256Text('vlasvezel één'));
            return out;
        }""",
        [list(sample) for sample in samples],
    )
    for sample, (from_blob, from_stream) in zip(samples, digests[:-1], strict=True):
        assert from_blob == from_stream == "0x" + hashlib.sha256(sample).hexdigest()
    assert digests[-1] == "0x" + hashlib.sha256("vlasvezel één".encode()).hexdigest()
    page.close()


def test_register_page_shows_hash_progress_and_stops_on_request(
    sandbox: SandboxProcess, browser: Browser
) -> None:
    texts = _texts("en")
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    _act_as(page, sandbox.url, "leievlas")
    _open(page, sandbox.url + "/register")
    page.evaluate(_MAKE_BLOB_JS, ["big", 256, 0])
    page.evaluate(_MAKE_BLOB_JS, ["small", 0, 5000])
    box = page.locator("#hash-progress")
    submit = page.locator("#register-submit")

    # While it hashes: a labelled progress bar that moves, and nothing to register yet.
    _drop_in_page(page, "big")
    expect(box).to_be_visible()
    expect(box.locator("label")).to_have_text(texts["hash.label"])
    expect(submit).to_be_disabled()
    page.wait_for_function("() => document.getElementById('hash-progress-bar').value > 0")
    expect(box.locator(".hash-progress-text")).to_have_text(re.compile(r"^\d+\s?%: "))
    box.get_by_role("button", name=texts["hash.stop"]).click()
    expect(page.locator("#content-hash")).to_have_text(texts["hash.stopped"])
    expect(box).to_be_hidden()
    expect(submit).to_be_enabled()
    expect(page.locator("#commitment")).to_have_text("")

    # Another file chosen while one is hashing: the first stops, the page shows the second.
    _drop_in_page(page, "big")
    page.wait_for_function("() => document.getElementById('hash-progress-bar').value > 0")
    _drop_in_page(page, "small")
    expect(page.locator("#content-hash")).to_have_text(_pattern_sha256(0, 5000))
    expect(page.locator("#file-name")).to_have_text("small.bin")
    expect(page.locator("#commitment")).to_have_text(re.compile(r"^0x[0-9a-f]{64}$"))
    expect(box).to_be_hidden()
    expect(submit).to_be_enabled()
    _no_missing_keys(page)
    context.close()


def test_full_tour_as_two_partners(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any], tmp_path: Path
) -> None:
    base = sandbox.url
    texts = _texts("en")
    context = browser.new_context(locale="en-GB", accept_downloads=True)
    page = context.new_page()
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request))

    # -- Leievlas registers a test report; the file is hashed in the browser.
    marker = f"FILE-CONTENT-MARKER-{uuid.uuid4().hex}"
    document = f"Frame tube fatigue report, batch 7\n{marker}\n".encode()
    _act_as(page, base, "leievlas")
    _open(page, base + "/register")
    _drop_file(page, "frame-fatigue-report.txt", document)
    expect(page.locator("#commitment")).to_have_text(re.compile(r"^0x[0-9a-f]{64}$"))
    page.select_option("#category", "3")
    page.fill("#value", "12")
    page.fill("#card-title", "Frame tube fatigue report, batch 7")
    page.locator("#parents input").first.check()
    page.click("#register-submit")
    _confirm(page)
    _wait_confirmed(page)
    expect(page.locator("#progress-status")).to_have_text(texts["op.status.confirmed"])
    _shoot(page, "register-confirmed-laptop-en")
    link = page.locator("#register-result a")
    cid = (link.get_attribute("href") or "").split("id=")[1]
    assert re.fullmatch(r"0x[0-9a-f]{64}", cid)

    # The contribution is on the project's timeline, active.
    _open(page, base + "/project")
    item = page.locator(f"li[data-contribution='{cid}']")
    expect(item).to_contain_text("Frame tube fatigue report, batch 7")
    expect(item.locator(".badge")).to_have_text(texts["status.active"])

    # -- The lawyer's view: bundle and certificate of the new contribution, then verify.
    _open(page, base + "/lawyer")
    page.select_option("#export-contribution", cid)
    with page.expect_download() as bundle_download:
        page.click("#download-bundle")
    bundle_path = tmp_path / "bundle.json"
    bundle_download.value.save_as(bundle_path)
    bundle = json.loads(bundle_path.read_text())
    assert json.dumps(bundle).lower().count(cid[2:].lower()) >= 1
    with page.expect_download() as pdf_download:
        page.click("#download-pdf")
    pdf_path = tmp_path / "certificate.pdf"
    pdf_download.value.save_as(pdf_path)
    pdf_text = " ".join(p.extract_text() for p in PdfReader(pdf_path).pages)
    pdf_flat = re.sub(r"\s+", "", pdf_text)
    assert "Leievlas BV" in pdf_text
    assert "poc verify" in pdf_text
    assert cid[2:18] in pdf_flat.lower()
    page.set_input_files("#verify-bundle", str(bundle_path))
    page.set_input_files(
        "#verify-file",
        files=[
            FilePayload(name="frame-fatigue-report.txt", mimeType="text/plain", buffer=document)
        ],
    )
    page.click("#verify-submit")
    expect(page.locator("#verify-checks li").first).to_be_visible(timeout=30_000)
    failed = page.locator("#verify-checks li.fail").all_inner_texts()
    assert failed == [], failed
    expect(page.locator("#verify-status")).to_have_text(texts["verify.ok"])
    assert page.locator("#verify-checks li.pass").count() >= 5
    _shoot(page, "lawyer-verified-laptop-en")

    # A different file does not verify.
    page.set_input_files(
        "#verify-file",
        files=[FilePayload(name="other.txt", mimeType="text/plain", buffer=b"another file")],
    )
    page.click("#verify-submit")
    expect(page.locator("#verify-status")).to_have_text(texts["verify.failed"], timeout=30_000)

    # -- The file never left the browser: no request carried its bytes, nothing was uploaded.
    assert sent, "no requests were recorded"
    for request in sent:
        body = request.post_data_buffer or b""
        assert marker.encode() not in body, f"file content sent in {request.method} {request.url}"
        assert document not in body
        content_type = request.headers.get("content-type", "")
        assert "multipart" not in content_type, f"upload in {request.url}"

    # -- The university lab endorses it, and the score changes: the report counts and
    # Leievlas's points grow (its share may not: the demo caps a partner at 60 %).
    paths = _api_paths(base)
    if "/v1/contributions/{contribution_id}/endorsements" not in paths:
        pytest.skip("the API has no endorsement route yet (issue 5): tour stops here")
    if "/v1/projects/{project_id}/score" not in paths:
        pytest.skip("the API has no scoring route yet (issue 4): tour stops here")
    _open(page, base + "/split")
    _move_clock(page)
    before = _score_shown(page)
    _act_as(page, base, "unikortrijk")
    _open(page, f"{base}/contribution?id={cid}")
    page.select_option("#rating", "5")
    page.click("#endorse-submit")
    _confirm(page)
    _wait_confirmed(page)
    _open(page, base + "/split")
    _move_clock(page)
    after = _split(page)
    assert _score_shown(page) != before, f"the score did not change: {before}"
    counted = page.locator("#split-why .counted li", has_text="Frame tube fatigue report, batch 7")
    expect(counted).to_have_count(1)
    _shoot(page, "split-after-endorsement-laptop-en")

    # -- Propose the split, approve it as the others until it is in force, simulate revenue.
    page.click("#propose-split")
    _confirm(page)
    _wait_confirmed(page)
    expect(page.locator("#proposals .proposal")).to_have_count(1)
    for label in ("vezelinstituut", "leievlas"):
        if page.locator("#proposals .badge").count():
            break
        _act_as(page, base, label)
        _open(page, base + "/split")
        approve = page.locator("#proposals .proposal button")
        if approve.count():
            approve.click()
            _confirm(page)
            _wait_confirmed(page)
            _open(page, base + "/split")
    expect(page.locator("#proposals .badge")).to_have_text(texts["split.finalized"])
    page.fill("#revenue-amount", "10000")
    page.click("#revenue-form button[type=submit]")
    rows = page.locator("#statement-table tbody tr")
    expect(rows).to_have_count(len(after))
    cents = [
        int(re.sub(r"[^0-9]", "", rows.nth(i).locator("td").nth(2).inner_text()))
        for i in range(rows.count())
    ]
    assert sum(cents) == 10000_00, cents
    page.set_viewport_size(VIEWPORTS["phone"])
    _shoot(page, "split-statement-phone-en")
    context.close()


def test_lawyer_reads_and_exports_the_demo_project_it_was_granted(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any], tmp_path: Path
) -> None:
    # The IP counsel's key reads only what the demo coordinator granted it: the sandbox grants
    # the demo project at every start, so the lawyer's pages work with project scoping on.
    base = sandbox.url
    seeded = demo["contributions"][0]["contributionId"]
    context = browser.new_context(locale="en-GB", accept_downloads=True)
    page = context.new_page()
    _act_as(page, base, "lawyer")
    _open(page, base + "/project")
    expect(page.locator(f"li[data-contribution='{seeded}']")).to_have_count(1)
    _open(page, base + "/lawyer")
    page.select_option("#export-contribution", seeded)
    with page.expect_download() as bundle_download:
        page.click("#download-bundle")
    bundle_path = tmp_path / "lawyer-bundle.json"
    bundle_download.value.save_as(bundle_path)
    assert seeded[2:].lower() in bundle_path.read_text().lower()
    with page.expect_download() as rol_download:
        page.click("#download-rol")
    rol_path = tmp_path / "rol.csv"
    rol_download.value.save_as(rol_path)
    assert len(rol_path.read_text().strip().splitlines()) >= 2
    expect(page.locator("#page-error")).to_be_hidden()
    context.close()


def test_reset_restores_the_demo_with_new_keys(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any]
) -> None:
    context = browser.new_context(locale="nl-BE")
    page = context.new_page()
    _act_as(page, sandbox.url, "leievlas")
    _open(page, sandbox.url + "/")
    page.click("#reset-open")
    expect(page.locator("#reset-dialog")).to_be_visible()
    _shoot(page, "reset-dialog-laptop-nl")
    started = time.monotonic()
    page.click("#reset-confirm")
    expect(page.locator("#reset-status")).to_have_text(_texts("nl")["reset.done"], timeout=90_000)
    fresh = _demo(sandbox.url)
    assert fresh["instance"] != demo["instance"]
    assert fresh["projectId"] == demo["projectId"]
    # The old key was forgotten with the reset: the page asks to choose a partner again.
    page.wait_for_url(sandbox.url + "/")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#acting-as")).to_contain_text(_texts("nl")["partner.none_chosen"])
    assert time.monotonic() - started < 90
    context.close()
