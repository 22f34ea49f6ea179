"""The consortium agreement in the browser, as its users make it: the coordinator writes one
for three partners in Dutch with the builder and creates the project; the partners read it and
accept it, one in Dutch and one in English; the rules on chain are the document's terms, field
by field; a partner writes an amendment, proposes it, another approves it, and the agreement
page shows what changed. The PDFs of both languages are read back with pdftotext.

How the pages are driven: tests/e2e/web_pages.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.web_pages import (
    CHROMIUM,
    CONFIRM_MS,
    SandboxProcess,
    act_as,
    confirm,
    demo_of,
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

LOCALES = {"nl": "nl-BE", "en": "en-GB"}
DAY = 86_400


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    yield from running_sandbox(tmp_path_factory.mktemp("agreement-sandbox"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched_chromium()


def _person(demo: dict[str, Any], label: str) -> dict[str, Any]:
    person: dict[str, Any] = next(p for p in demo["people"] if p["label"] == label)
    return person


def _api(sandbox: SandboxProcess, demo: dict[str, Any], label: str, path: str) -> Any:
    key = {"X-API-Key": _person(demo, label)["apiKey"]}
    response = httpx.get(f"{sandbox.url}{path}", headers=key, timeout=30)
    response.raise_for_status()
    return response.json() if "json" in response.headers["content-type"] else response.content


def _page(browser: Browser, sandbox: SandboxProcess, label: str, language: str) -> Page:
    page = browser.new_context(locale=LOCALES[language]).new_page()
    act_as(page, sandbox.url, label)
    return page


def _next(page: Page) -> None:
    page.click("#step-next")


def _build_in_dutch(page: Page, base: str, demo: dict[str, Any]) -> str:
    """The coordinator answers every step (defaults where it has no reason to change them);
    returns the agreement's id."""
    words = texts("nl")
    open_page(page, f"{base}/agreement/builder")
    no_missing_keys(page)
    expect(page.locator("#legal-notice")).to_contain_text("geen juridisch advies")
    page.fill("#f-project-title", "Vlasvezel voor e-bikeframes, fase 2")
    page.fill("#f-project-aim", "Een framebuis uit Vlaams vlas, getest volgens de fietsnorm.")
    page.fill("#f-project-start_date", "2026-03-01")
    page.fill("#f-project-duration_months", "18")
    _next(page)
    for index, label in enumerate(("unikortrijk", "vezelinstituut"), start=1):
        page.click("#add-partner")
        person = _person(demo, label)
        page.fill(f"#f-partners-{index}-name", person["name"])
        page.fill(f"#f-partners-{index}-address", person["address"])
    page.select_option("#f-partners-1-kind", "university")
    page.select_option("#f-partners-2-kind", "research_centre")
    _next(page)
    page.fill("#f-partners-0-background", "Rootparameters 2019-2023\nVezelbereiding op proeflijn")
    page.fill("#f-partners-0-excluded", "Planningssoftware voor dauwroten")
    _next(page)  # results
    _next(page)  # access rights
    page.fill("#f-access_rights-answer_period_days", "21")
    _next(page)  # confidentiality
    _next(page)  # royalties
    page.fill("#f-royalties-partner_cap_bps", "60")
    page.fill("#f-royalties-partner_floor_bps", "5")
    page.fill("#f-royalties-dispute_window_days", "20")
    page.fill("#f-royalties-split_approvals", "2")
    _next(page)  # disputes
    expect(page.locator("#f-disputes-institution")).to_have_value("CEPANI")
    _next(page)  # membership
    _next(page)  # review
    expect(page.locator("#preview-text")).to_contain_text("Sjabloon, geen juridisch advies")
    expect(page.locator("#preview-policy")).to_contain_text("60")
    # An impossible answer is refused next to its field, in Dutch, and nothing is saved.
    page.click("nav .step-list li:nth-child(7) button")
    page.fill("#f-royalties-partner_floor_bps", "70")
    page.click("nav .step-list li:nth-child(10) button")
    expect(page.locator("#problems")).to_contain_text(words["answer_problem.floor_above_cap"])
    page.locator("#problems button").first.click()
    expect(page.locator("#f-royalties-partner_floor_bps-problem")).to_contain_text(
        words["answer_problem.floor_above_cap"]
    )
    page.fill("#f-royalties-partner_floor_bps", "5")
    page.click("nav .step-list li:nth-child(10) button")
    expect(page.locator("#problems")).to_be_hidden()
    expect(page.locator("#preview-text")).to_contain_text("20 dagen")
    # The live example: these rules on the demo project's contributions, every partner named.
    example = page.locator("#preview-example li")
    expect(example).to_have_count(3)
    for label in ("leievlas", "unikortrijk", "vezelinstituut"):
        expect(page.locator("#preview-example")).to_contain_text(_person(demo, label)["name"])
    shoot(page, "agreement-builder-review-nl")
    page.click("#save-draft")
    expect(page.locator("#builder-result a")).to_be_visible(timeout=CONFIRM_MS)
    page.click("#create-project")
    summary = confirm(page)
    assert "Vlasvezel voor e-bikeframes, fase 2" in summary
    wait_confirmed(page)
    expect(page.locator("#builder-result")).to_contain_text(
        words["builder.created"], timeout=CONFIRM_MS
    )
    href = page.locator("#builder-result a").get_attribute("href") or ""
    return href.split("id=")[1]


def _accept(page: Page, base: str, agreement_id: str, language: str) -> None:
    words = texts(language)
    notice = "geen juridisch advies" if language == "nl" else "not legal advice"
    open_page(page, f"{base}/agreement?id={agreement_id}")
    no_missing_keys(page)
    text = page.locator("#agreement-text")
    expect(text).to_have_attribute("lang", language)
    expect(text).to_contain_text(notice, ignore_case=True)
    expect(text).to_contain_text("Vlasvezel voor e-bikeframes, fase 2")
    page.click("#accept-button")
    summary = confirm(page)
    assert words[f"agreement.language.{language}"] in summary
    wait_confirmed(page)
    expect(page.locator("#accepted-note")).to_have_text(
        words["agreement.you_accepted"].format(version=1), timeout=CONFIRM_MS
    )


def _pdf_text(data: bytes, tmp: Path, name: str) -> str:
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "poppler-utils' pdftotext is needed"
    path = tmp / f"{name}.pdf"
    path.write_bytes(data)
    result = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return " ".join(result.stdout.decode("utf-8").split())


def test_agreement_built_in_dutch_accepted_in_both_languages_and_amended(
    sandbox: SandboxProcess, browser: Browser, tmp_path: Path
) -> None:
    base = sandbox.url
    demo = demo_of(base)
    coordinator = _page(browser, sandbox, "leievlas", "nl")
    agreement_id = _build_in_dutch(coordinator, base, demo)

    dutch = _page(browser, sandbox, "unikortrijk", "nl")
    english = _page(browser, sandbox, "vezelinstituut", "en")
    _accept(dutch, base, agreement_id, "nl")
    _accept(english, base, agreement_id, "en")
    _accept(coordinator, base, agreement_id, "nl")
    shoot(english, "agreement-accepted-en")

    agreement = _api(sandbox, demo, "unikortrijk", f"/v1/agreements/{agreement_id}")
    assert agreement["inForce"]
    project_id = agreement["projectId"]
    (version,) = agreement["versions"]
    assert {a["partner"] for a in version["acceptances"]} == {
        _person(demo, label)["address"] for label in ("leievlas", "unikortrijk", "vezelinstituut")
    }
    # The rules on chain (PolicySet, as the index decoded it) are the document's terms.
    (on_chain,) = _api(sandbox, demo, "unikortrijk", f"/v1/projects/{project_id}/policies")
    assert set(on_chain["policy"]) == set(version["policy"])
    for name, value in version["policy"].items():
        assert on_chain["policy"][name] == value, name
    answers = version["answers"]
    assert answers["project"]["duration_months"] == 18
    assert on_chain["policy"]["partnerCapBps"] == answers["royalties"]["partner_cap_bps"] == 6000
    assert on_chain["policy"]["partnerFloorBps"] == answers["royalties"]["partner_floor_bps"]
    assert on_chain["policy"]["disputeWindow"] == 20 * DAY
    assert version["exchangeSettings"]["answerPeriod"] == 21 * DAY
    # The builder put the access-rights terms on PocExchange before the partners accepted.
    settings = _api(sandbox, demo, "unikortrijk", f"/v1/projects/{project_id}/exchange-settings")
    assert settings["version"] == 1
    for name, value in version["exchangeSettings"].items():
        assert settings[name] == value, name

    # The PDF in both languages, read back as text.
    for language, notice, days in (
        ("nl", "geen juridisch advies", "20 dagen"),
        ("en", "not legal advice", "20 days"),
    ):
        pdf = _api(
            sandbox,
            demo,
            "vezelinstituut",
            f"/v1/agreements/{agreement_id}/versions/1/document?format=pdf&language={language}",
        )
        text = _pdf_text(pdf, tmp_path, f"v1-{language}")
        assert notice in text.lower() and days in text and "60%" in text, language
        assert "Vlasvezel voor e-bikeframes, fase 2" in text

    # An amendment, written by the English-speaking partner: a smaller cap, and longer to
    # answer an access-rights request.
    open_page(english, f"{base}/agreement/builder?amend={agreement_id}")
    no_missing_keys(english)
    english.click("nav .step-list li:nth-child(5) button")
    english.fill("#f-access_rights-answer_period_days", "45")
    english.click("nav .step-list li:nth-child(7) button")
    english.fill("#f-royalties-partner_cap_bps", "50")
    english.click("nav .step-list li:nth-child(10) button")
    expect(english.locator("#preview-text")).to_contain_text("50%")
    english.click("#save-amendment")
    expect(english.locator("#builder-result a")).to_be_visible(timeout=CONFIRM_MS)
    open_page(english, f"{base}/agreement?id={agreement_id}")
    changes = english.locator("#versions li[data-version='2'] .changes li")
    expect(changes).to_have_count(2)
    expect(changes.filter(has_text=re.compile(r"60%.*50%"))).to_have_count(1)
    expect(changes.filter(has_text=re.compile(r"21.*45"))).to_have_count(1)
    for kind in ("change_policy", "change_exchange_settings", "amend_agreement"):
        english.click(f"#propose-buttons button[data-kind={kind}]")
        confirm(english)
        wait_confirmed(english)
        expect(english.locator(f"#proposals li[data-kind={kind}]")).to_be_visible(
            timeout=CONFIRM_MS
        )

    # The Dutch-speaking partner approves, the rules first; the amendment is then in force.
    open_page(dutch, f"{base}/agreement?id={agreement_id}")
    dutch_changes = dutch.locator("#versions li[data-version='2'] .changes li")
    expect(dutch_changes.filter(has_text=re.compile(r"60%.*50%"))).to_have_count(1)

    def approve(page: Page, kind: str) -> None:
        page.click(f"#proposals li[data-kind={kind}] button[data-approve]")
        confirm(page)
        wait_confirmed(page)
        expect(page.locator(f"#proposals li[data-kind={kind}] button[data-approve]")).to_have_count(
            0, timeout=CONFIRM_MS
        )

    approve(dutch, "change_policy")
    # The proposer's approval and this one are 2 of 3: the settings apply.
    approve(dutch, "change_exchange_settings")
    settings = _api(sandbox, demo, "leievlas", f"/v1/projects/{project_id}/exchange-settings")
    assert (settings["version"], settings["answerPeriod"]) == (2, 45 * DAY)
    open_page(dutch, f"{base}/agreement?id={agreement_id}")
    approve(dutch, "amend_agreement")
    words = texts("nl")
    expect(dutch.locator("#versions li[data-version='2'] .badge")).to_have_text(
        words["agreement.state.recorded"], timeout=CONFIRM_MS
    )
    expect(dutch.locator("#accept-button")).to_have_text(
        words["agreement.accept"].format(version=2)
    )
    shoot(dutch, "agreement-amended-nl")
    amended = _api(sandbox, demo, "leievlas", f"/v1/agreements/{agreement_id}")
    assert amended["currentVersion"] == 2
    second = amended["versions"][1]
    policies = _api(sandbox, demo, "leievlas", f"/v1/projects/{project_id}/policies")
    for name, value in second["policy"].items():
        assert policies[-1]["policy"][name] == value, name
    assert policies[-1]["policy"]["partnerCapBps"] == 5000
