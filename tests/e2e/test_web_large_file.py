"""A 2 GiB file hashes in the browser with flat memory: crypto.js `sha256File` reads it from
disk as a stream, so the tab's JavaScript heap and ArrayBuffers do not grow with the file.

The file is sparse (no 2 GiB written to disk) with marker bytes spread through it, so that a
chunk read twice, skipped or out of order changes the digest. Chromium gets the file by path
from a file input (Playwright passes local paths as they are), as a partner's choice would.
The 300 MiB in-memory variant is `tests/e2e/test_web_ui.py::
test_sha256_file_hashes_a_large_file_in_bounded_memory`.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import CDPSession, sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MIB = 1024 * 1024
SIZE = 2048 * MIB + 12_345
# Generous for a machine shared by several test runs: hashing itself takes about a minute.
HASH_DEADLINE_S = 600


def _sparse_file(path: Path) -> str:
    """A SIZE-byte file of zeros with a marker every 128 MiB; its SHA-256 as 0x-hex."""
    with path.open("wb") as stream:
        stream.truncate(SIZE)
        for i in range(SIZE // (128 * MIB) + 1):
            offset = min(i * 128 * MIB + i, SIZE - 8)
            stream.seek(offset)
            stream.write((i + 1).to_bytes(8, "big"))
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(8 * MIB):
            digest.update(chunk)
    return "0x" + digest.hexdigest()


def _descendants(root: int) -> list[int]:
    """Process ids under `root` (this test's Playwright driver and its Chromium)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _chromium_rss_bytes() -> int:
    """Resident memory of every Chromium process this test started (browser, renderer, GPU,
    network, storage): the memory of the tab, whatever part of Chromium reads the file."""
    total = 0
    for pid in _descendants(os.getpid()):
        try:
            if "chrom" not in Path(f"/proc/{pid}/comm").read_text():
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                # Anonymous memory only: pages of the file Chromium may map are the page
                # cache's, given back under pressure, not memory the tab holds.
                if line.startswith("RssAnon:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def _heap_bytes(cdp: CDPSession) -> int:
    usage = cdp.send("Runtime.getHeapUsage")
    return int(usage["usedSize"]) + int(usage["backingStorageSize"])


@pytest.mark.timeout(HASH_DEADLINE_S + 120)
def test_sha256_file_hashes_a_2_gib_file_in_bounded_memory(static_url: str, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium")
    path = tmp_path / "frame-scan.bin"
    expected = _sparse_file(path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context()
            page = context.new_page()
            page.goto(static_url + "/index.html")
            page.set_input_files("#file", str(path))
            assert page.evaluate("document.getElementById('file').files[0].size") == SIZE
            page.evaluate("async () => { window.hashing = await import('/static/js/crypto.js'); }")
            cdp = context.new_cdp_session(page)
            cdp.send("HeapProfiler.collectGarbage")
            baseline = _heap_bytes(cdp)
            rss_baseline = _chromium_rss_bytes()
            started = time.monotonic()
            page.evaluate(
                """() => {
                    window.run = {last: 0, calls: 0, digest: null, error: null, settled: false};
                    const file = document.getElementById('file').files[0];
                    const onProgress = (done) => { window.run.last = done; window.run.calls++; };
                    window.hashing.sha256File(file, {onProgress})
                        .then((digest) => { window.run.digest = digest; })
                        .catch((error) => { window.run.error = String(error); })
                        .finally(() => { window.run.settled = true; });
                }"""
            )
            peak, samples = baseline, 0
            rss_peak = rss_baseline
            while not page.evaluate("window.run.settled"):
                peak = max(peak, _heap_bytes(cdp))
                rss_peak = max(rss_peak, _chromium_rss_bytes())
                samples += 1
                assert time.monotonic() - started < HASH_DEADLINE_S, "hashing 2 GiB took too long"
                time.sleep(0.25)
            seconds = time.monotonic() - started
            run = page.evaluate("({...window.run})")
        finally:
            browser.close()
    assert run["error"] is None
    assert run["digest"] == expected
    assert run["last"] == SIZE and run["calls"] > 2048
    assert samples >= 20, "too few heap samples to judge memory"
    # A whole-file read would add 2 GiB here; the stream keeps it to its 1 MiB buffer.
    assert peak - baseline < 32 * MIB, f"heap grew by {(peak - baseline) / MIB:.0f} MiB"
    # And Chromium as a whole (renderer, browser and storage processes): nowhere near the
    # file's 2 GiB; what it gains is buffers and code warming up, the same for any size.
    assert rss_baseline > 0, "no Chromium process found to measure"
    grown = rss_peak - rss_baseline
    assert grown < 256 * MIB, f"Chromium's memory grew by {grown / MIB:.0f} MiB"
    print(
        f"2 GiB hashed in {seconds:.0f} s ({SIZE / MIB / seconds:.0f} MiB/s), "
        f"heap {baseline / MIB:.1f} MiB -> peak {peak / MIB:.1f} MiB over {samples} samples, "
        f"Chromium's anonymous memory {rss_baseline / MIB:.0f} -> {rss_peak / MIB:.0f} MiB"
    )
