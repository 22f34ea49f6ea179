"""Driving the web pages in a real browser, shared by the browser tests of tests/e2e: a
`poc sandbox --chain memory` process, Debian's Chromium through Playwright, and the steps a
person takes on the pages (choose a partner, open a page, drop a file, confirm, wait for the
ledger).

Playwright's own browser download is not used: the tests launch /usr/bin/chromium (`.ci/run`
installs it) and skip when it is missing.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from api import i18n
from poc.sandbox.anvil import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
SCREENSHOTS = OUTPUT / "screenshots"
VIEWPORTS: dict[str, ViewportSize] = {
    "laptop": {"width": 1366, "height": 900},
    "phone": {"width": 390, "height": 844},
}
READY_TIMEOUT = 90.0
# Writes are confirmed within a second on the memory chain; generous for a loaded CI machine.
CONFIRM_MS = 60_000
MIB = 1024 * 1024


def _poc() -> list[str]:
    script = Path(sys.executable).with_name("poc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "poc"]


class SandboxProcess:
    """`poc sandbox --chain memory` on a free port; ready once it prints `Ready in`."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.proc = subprocess.Popen(
            [*_poc(), "sandbox", "--chain", "memory", "--port", str(self.port)],
            cwd=data_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("Ready in"):
                self._ready.set()
        self._ready.set()

    def wait_ready(self) -> None:
        if not self._ready.wait(READY_TIMEOUT) or self.proc.poll() is not None:
            raise AssertionError("sandbox did not start:\n" + "\n".join(self.lines))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def running_sandbox(data_dir: Path) -> Iterator[SandboxProcess]:
    """For a module fixture: a started sandbox, stopped at the end."""
    process = SandboxProcess(data_dir)
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def launched_chromium() -> Iterator[Browser]:
    """For a module fixture: Debian's Chromium, headless."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


def page_token(url: str) -> str:
    """The token a page the sandbox served carries (the sandbox helpers want it back)."""
    page = httpx.get(f"{url}/", timeout=10)
    page.raise_for_status()
    token = re.search(r'data-sandbox-token="([^"]+)"', page.text)
    assert token, "the sandbox's page carries no token"
    return token.group(1)


def demo_of(url: str) -> dict[str, Any]:
    """The sandbox's demo as its pages get it: with the page token of a page it served."""
    response = httpx.get(
        f"{url}/sandbox/demo", headers={"X-Sandbox-Token": page_token(url)}, timeout=10
    )
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def texts(language: str) -> dict[str, str]:
    """The translation table of one language, as the pages get it (the certificate's text,
    whose annex is technical on purpose, is tested with the certificate)."""
    return i18n.page_translations("nl" if language == "nl" else "en")


def open_page(page: Page, url: str) -> None:
    """Go to a page and wait until its script has loaded its data."""
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)


def no_missing_keys(page: Page) -> None:
    missing = page.evaluate("window.missingTranslations || []")
    assert missing == [], f"{page.url}: missing translations {missing}"
    expect(page.locator("#page-error")).to_be_hidden()


def act_as(page: Page, base: str, label: str) -> None:
    open_page(page, f"{base}/partner")
    page.locator(f"button[data-label={label}]").click()
    expect(page.locator(f"button[data-label={label}]")).to_have_attribute("aria-pressed", "true")


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def wait_confirmed(page: Page) -> None:
    """Wait until the page's write is confirmed; fail with the page's own words if it fails."""
    page.wait_for_selector(
        "#progress li[data-step=confirmed].done, #progress-status.status-error, "
        "#page-error:not([hidden])",
        timeout=CONFIRM_MS,
    )
    problem = page.locator("#progress-status.status-error, #page-error:not([hidden])")
    assert problem.count() == 0, problem.first.inner_text()


def confirm(page: Page) -> str:
    """Accept the summary the page asks about before signing; return the summary's text."""
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    summary = dialog.inner_text()
    page.click("#confirm-accept")
    expect(dialog).to_have_count(0)
    return summary


def move_clock(page: Page) -> None:
    """Press the split page's "move the clock" and wait until the page shows the new time
    (it says so only once the score it shows is of that time)."""
    moved = texts(page.evaluate("document.documentElement.lang"))["clock.moved"]
    pattern = re.compile("^" + re.escape(moved).replace(re.escape("{date}"), ".+") + "$")
    page.click("#clock-forward")
    expect(page.locator("#clock-status")).to_have_text(pattern, timeout=CONFIRM_MS)


# A file made in the page from one repeated 1 MiB pattern (and a tail, so the size is no
# multiple of any chunk size): large files without sending their bytes through Playwright.
MAKE_BLOB_JS = """([name, mebibytes, tail]) => {
    const chunk = new Uint8Array(1 << 20);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7 + (i >> 10)) & 255;
    const parts = Array.from({length: mebibytes}, () => chunk);
    parts.push(chunk.subarray(0, tail));
    window[name] = new File(parts, name + '.bin', {type: 'application/octet-stream'});
    return window[name].size;
}"""


def pattern_sha256(mebibytes: int, tail: int) -> str:
    """Python's SHA-256 of what MAKE_BLOB_JS builds."""
    chunk = bytes(((i * 7 + (i >> 10)) & 255) for i in range(MIB))
    digest = hashlib.sha256()
    for _ in range(mebibytes):
        digest.update(chunk)
    digest.update(chunk[:tail])
    return "0x" + digest.hexdigest()


def drop_in_page(page: Page, name: str) -> None:
    """Drop the File the page holds as window[name] onto the drop zone."""
    page.evaluate(
        """(name) => {
            const transfer = new DataTransfer();
            transfer.items.add(window[name]);
            const zone = document.getElementById('drop-zone');
            zone.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true}));
        }""",
        name,
    )


def drop_file(page: Page, name: str, data: bytes) -> None:
    """Drag and drop a file onto the drop zone, as a person would."""
    page.evaluate(
        """([name, bytes]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], name, {type: 'text/plain'}));
            const zone = document.getElementById('drop-zone');
            zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: transfer, bubbles: true}));
            zone.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true}));
        }""",
        [name, list(data)],
    )
