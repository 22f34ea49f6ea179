"""Every script module of the pages links in a real browser: each named import exists in the
module it names (a renamed or moved export fails here, not as a blank page). test_web_modules
checks the paths without a browser; this checks the names, which only a module loader does."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from api.routes import web

pytestmark = [pytest.mark.e2e]


def test_every_module_of_the_pages_links(module_page: Page) -> None:
    js = web.STATIC_DIR / "js"
    modules = sorted(p.relative_to(web.STATIC_DIR).as_posix() for p in js.rglob("*.js"))
    assert "js/pages/register.js" in modules and "js/proofkeys.js" in modules
    failures = module_page.evaluate(
        """async (modules) => {
            const failures = [];
            for (const name of modules) {
                try {
                    await import('/static/' + name);
                } catch (error) {
                    // A page module may fail later, talking to an API that is not here; a
                    // missing export fails at link time, as a SyntaxError.
                    if (error instanceof SyntaxError) failures.push(`${name}: ${error.message}`);
                }
            }
            return failures;
        }""",
        modules,
    )
    assert failures == []
