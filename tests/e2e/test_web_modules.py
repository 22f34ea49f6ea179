"""The pages' front-end layout, read from the files: one template and one script module per
page, every module import resolves to a file the app serves, page modules share code only
through the core. No browser (tests/e2e/test_web_ui.py runs the modules in Chromium); a broken
import fails here in a second instead of as a blank page.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.routes import web
from api.settings import ApiSettings
from poc.wiring import create_app
from scripts.vendor_web import module_imports

pytestmark = pytest.mark.e2e

JS_DIR = web.STATIC_DIR / "js"
PAGES_DIR = JS_DIR / "pages"
VENDOR_DIR = web.STATIC_DIR / "vendor"
JAVASCRIPT = ("text/javascript", "application/javascript")


def _our_modules() -> list[Path]:
    return sorted(JS_DIR.rglob("*.js"))


def _static_path(module: Path, specifier: str) -> str:
    """The served path (relative to /static) that `specifier` imported by `module` names."""
    if specifier.startswith("/static/"):
        return specifier.removeprefix("/static/")
    base = module.parent.relative_to(web.STATIC_DIR).as_posix()
    return posixpath.normpath(posixpath.join(base, specifier))


def test_every_page_has_a_template_and_a_module() -> None:
    names = [page.name for page in web.PAGES]
    assert len(names) == len(set(names)), "two pages with one name"
    assert len({page.path for page in web.PAGES}) == len(names), "two pages at one path"
    for page in web.PAGES:
        template = web.TEMPLATES_DIR / page.template
        module = PAGES_DIR / f"{page.name}.js"
        assert template.is_file(), f"{page.name}: no templates/{page.template}"
        assert template.read_text().startswith('{% extends "base.html" %}'), page.template
        assert module.is_file(), f"{page.name}: no static/js/pages/{page.name}.js"
        assert re.search(r"^runPage\(\w+\);$", module.read_text(), re.M), (
            f"{module.name} does not start itself with runPage(...)"
        )
    # Nothing left over: a template or page module without a PAGES entry is never served.
    modules = {p.stem for p in PAGES_DIR.glob("*.js")}
    templates = {p.stem for p in web.TEMPLATES_DIR.glob("*.html") if p.name != "base.html"} - {
        p.stem for p in web.TEMPLATES_DIR.glob("_*.html")
    }
    assert modules == set(names), f"page modules without a PAGES entry: {modules - set(names)}"
    assert templates == set(names), f"templates without a PAGES entry: {templates - set(names)}"


def test_module_imports_resolve_to_served_files() -> None:
    checked = 0
    for module in _our_modules():
        for specifier in module_imports(module.read_text(encoding="utf-8")):
            # Only our own origin: the CSP allows nothing else, and a bare name needs a bundler.
            assert specifier.startswith(("./", "../", "/static/")), (
                f"{module.name} imports {specifier!r}"
            )
            target = _static_path(module, specifier)
            assert not target.startswith(".."), f"{module.name} imports {specifier} outside /static"
            assert (web.STATIC_DIR / target).is_file(), f"{module.name}: {specifier} not found"
            checked += 1
    assert checked > 30, "the import scan found too few imports: is the pattern still right?"


def test_page_modules_share_code_only_through_the_core() -> None:
    # One page per concept: what two pages need lives in js/*.js, not in another page.
    for module in PAGES_DIR.glob("*.js"):
        for specifier in module_imports(module.read_text(encoding="utf-8")):
            target = _static_path(module, specifier)
            assert not target.startswith("js/pages/"), f"{module.name} imports page {specifier}"


def test_core_modules_do_not_import_pages() -> None:
    for module in JS_DIR.glob("*.js"):
        for specifier in module_imports(module.read_text(encoding="utf-8")):
            assert not _static_path(module, specifier).startswith("js/pages/"), module.name


def test_each_page_loads_its_own_module_as_javascript(tmp_path: Path) -> None:
    app = create_app(ApiSettings(data_dir=tmp_path, start_workers=False))
    with TestClient(app) as client:
        for page in web.PAGES:
            html = client.get(page.path).text
            assert f'data-page="{page.name}"' in html
            scripts = re.findall(r'<script type="module" src="([^"]+)"></script>', html)
            assert scripts == [page.script], page.path
            served = client.get(page.script)
            assert served.status_code == 200
            # Browsers refuse a module script served with a MIME type that is not JavaScript.
            assert served.headers["content-type"].startswith(JAVASCRIPT), page.script
        for vendored in VENDOR_DIR.rglob("*.js"):
            path = "/static/" + vendored.relative_to(web.STATIC_DIR).as_posix()
            served = client.get(path)
            assert served.status_code == 200, path
            assert served.headers["content-type"].startswith(JAVASCRIPT), path
