"""Fixtures of the end-to-end tests.

- `sandboxes`: `poc sandbox` processes a test starts, stopped at its end even if it fails;
- `static_url`: the app's static files (page scripts and vendored libraries) served by a plain
  file server, for browser tests that need no sandbox: `/static/...` exactly as the app serves
  it and a bare page at `/index.html` with one file input, to import the modules and hand the
  page files from disk;
- `module_page`: one Chromium tab on it with the proof-secret modules loaded.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from api.routes import web
from tests.sandbox_process import Sandbox, stopped_at_the_end

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


class _StaticHandler(http.server.SimpleHTTPRequestHandler):
    def guess_type(self, path: str | os.PathLike[str]) -> str:
        # Module scripts need a JavaScript type, whatever the machine's mimetypes say.
        return "text/javascript" if str(path).endswith(".js") else super().guess_type(path)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def static_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # /static/... as the app serves it, and a bare page to import the modules from.
    root = tmp_path_factory.mktemp("static-root")
    (root / "static").symlink_to(web.STATIC_DIR, target_is_directory=True)
    (root / "index.html").write_text(
        '<!doctype html><html lang="en"><title>modules</title>'
        '<input type="file" id="file" aria-label="file">'
        # What base.html gives every page module: an (empty) translation table.
        '<script type="application/json" id="i18n">{}</script></html>'
    )
    handler = functools.partial(_StaticHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def module_page(static_url: str) -> Iterator[Page]:
    """A tab on `static_url` with secret.js, openings.js and crypto.js loaded as
    `window.secret`, `window.openings` and `window.cryptoJs`."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium")
    with sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            tab = browser.new_page()
            tab.goto(static_url + "/index.html")
            tab.evaluate(
                """async () => {
                    window.secret = await import('/static/js/secret.js');
                    window.openings = await import('/static/js/openings.js');
                    window.cryptoJs = await import('/static/js/crypto.js');
                }"""
            )
            yield tab
        finally:
            browser.close()


@pytest.fixture
def sandboxes() -> Iterator[list[Sandbox]]:
    """`poc sandbox` processes a test starts; stopped at its end even if it fails."""
    yield from stopped_at_the_end()
