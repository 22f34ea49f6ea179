"""Partners see what they endorse and vote on: the contribution card and the dispute reason in a
real browser, each partner in its own browser context against one sandbox process.

Leievlas (A) registers a file with a title, description, keywords and a note on the parent it
builds on; the university lab (B), in its own browser, sees them on the contribution (checked
against the ledger in its browser) and in the split explanation, endorses, then disputes with a
reason; the research centre (C) sees the reason, who disputed and when voting closes, and votes
with a button that says what it means; the outcome stays in the contribution's history, for A
too. B works in Dutch, A and C in English. Screenshots go to test-output/screenshots/.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
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
    drop_file,
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

TITLE = "Flax tow tension trials, batch 12"
DESCRIPTION = "Tension measured on 40 tows;\nsee the attached sheet for each run."
REASON = "These trials repeat batch 9 of 2022: the same tows and the same settings."
PARENT_NOTE = "uses its retting parameters"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    yield from running_sandbox(tmp_path_factory.mktemp("cards-sandbox"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched_chromium()


def _page(browser: Browser, locale: str) -> Page:
    return browser.new_context(locale=locale).new_page()


def _register_with_card(page: Page, base: str) -> str:
    act_as(page, base, "leievlas")
    open_page(page, base + "/register")
    drop_file(page, "tow-tension-batch12.txt", f"tow tension {uuid.uuid4().hex}\n".encode())
    expect(page.locator("#commitment")).to_have_text(re.compile(r"^0x[0-9a-f]{64}$"))
    page.fill("#card-title", f"  {TITLE}  ")
    page.fill("#card-description", DESCRIPTION)
    page.fill("#card-keywords", "flax, tow, tension")
    page.select_option("#category", "0")
    page.fill("#value", "12")
    page.locator("#parents input").first.check()
    page.locator("#parent-notes input").first.fill(PARENT_NOTE)
    page.click("#register-submit")
    # The summary asked before signing shows the card as it will be signed.
    summary = confirm(page)
    assert TITLE in summary and DESCRIPTION.split(";")[0] in summary
    assert PARENT_NOTE in summary and "flax, tow, tension" in summary
    wait_confirmed(page)
    expect(page.locator("#register-result a")).to_be_visible(timeout=CONFIRM_MS)
    href = page.locator("#register-result a").first.get_attribute("href") or ""
    cid = href.split("id=")[1]
    assert re.fullmatch(r"0x[0-9a-f]{64}", cid)
    return cid


def test_register_form_refuses_a_card_without_title_in_words(
    sandbox: SandboxProcess, browser: Browser
) -> None:
    page = _page(browser, "nl-BE")
    base = sandbox.url
    act_as(page, base, "leievlas")
    open_page(page, base + "/register")
    drop_file(page, "no-title.txt", b"a file without a title")
    expect(page.locator("#commitment")).to_have_text(re.compile(r"^0x[0-9a-f]{64}$"))
    page.fill("#value", "3")
    page.click("#register-submit")
    expect(page.locator("#page-error")).to_have_text(texts("nl")["error.no_title"])
    # A control character the eye cannot see is refused with the field named, in Dutch.
    page.fill("#card-title", "Titel \u202egnp.exe")
    page.click("#register-submit")
    nl = texts("nl")
    expect(page.locator("#page-error")).to_contain_text(nl["record.field.title"])
    expect(page.locator("#page-error")).to_contain_text(nl["record.problem.control_character"])
    expect(page.locator("#confirm-dialog")).to_have_count(0)
    expect(page.locator("#progress-card")).to_be_hidden()
    page.context.close()


def test_partners_see_the_card_and_judge_a_dispute_by_its_reason(
    sandbox: SandboxProcess, browser: Browser
) -> None:
    base = sandbox.url
    en, nl = texts("en"), texts("nl")

    # -- A registers with a title, a description and a note on its parent.
    a = _page(browser, "en-GB")
    cid = _register_with_card(a, base)

    # -- B, in its own browser (Dutch), sees the card, checked against the ledger there.
    b = _page(browser, "nl-BE")
    act_as(b, base, "unikortrijk")
    open_page(b, f"{base}/contribution?id={cid}")
    card = b.locator("#contribution-card")
    expect(card.locator(".card-title")).to_have_text(TITLE)
    expect(card.locator(".card-description")).to_have_text(DESCRIPTION)
    expect(card.locator(".keywords li")).to_have_text(["flax", "tow", "tension"])
    expect(card.locator(".card-check.ok")).to_be_visible()
    expect(b.locator("#contribution-facts")).to_contain_text(PARENT_NOTE)
    no_missing_keys(b)
    shoot(b, "contribution-card-laptop-nl")
    # ... and in the split explanation, by its title.
    open_page(b, base + "/split")
    expect(b.locator("#split-why a", has_text=TITLE)).to_have_count(1)
    shoot(b, "split-with-titles-laptop-nl")

    # -- B endorses it, then disputes it with a reason.
    open_page(b, f"{base}/contribution?id={cid}")
    b.select_option("#rating", "4")
    b.click("#endorse-submit")
    confirm(b)
    wait_confirmed(b)
    expect(b.locator("#endorse-state")).to_be_visible(timeout=CONFIRM_MS)
    b.fill("#dispute-reason", REASON)
    b.click("#dispute-submit")
    assert REASON in confirm(b)
    wait_confirmed(b)
    expect(b.locator("#dispute-state")).to_have_text(nl["dispute.yours_open"], timeout=CONFIRM_MS)
    expect(b.locator("#disputes li.dispute-open blockquote.reason")).to_have_text(REASON)

    # -- C sees the reason, who disputed and when voting closes, and votes in plain words.
    c = _page(browser, "en-GB")
    act_as(c, base, "vezelinstituut")
    open_page(c, f"{base}/contribution?id={cid}")
    box = c.locator("#vote-box")
    expect(box).to_be_visible()
    expect(box.locator("blockquote.reason")).to_have_text(REASON)
    expect(box).to_contain_text("Universiteit Kortrijk")
    expect(box).to_contain_text(
        en["dispute.closes"].replace("{needed}", "1").replace("{eligible}", "1")
    )
    expect(c.locator("#dispute-form")).to_be_hidden()
    expect(c.locator("#vote-uphold")).to_have_text(en["vote.uphold"])
    expect(c.locator("#vote-reject")).to_have_text(en["vote.reject"])
    assert "does not count" in en["vote.uphold"] and "stays" in en["vote.reject"]
    no_missing_keys(c)
    shoot(c, "dispute-vote-laptop-en")
    c.click("#vote-reject")
    assert en["vote.reject_means"] in confirm(c)
    wait_confirmed(c)
    expect(c.locator("#vote-box")).to_be_hidden(timeout=CONFIRM_MS)

    # -- The outcome stays visible in the contribution's history, for everyone.
    open_page(c, f"{base}/contribution?id={cid}")
    dispute = c.locator("#disputes li.dispute-rejected")
    expect(dispute).to_have_count(1)
    expect(dispute.locator(".badge")).to_have_text(en["dispute.outcome_rejected"])
    expect(dispute.locator("blockquote.reason")).to_have_text(REASON)
    expect(dispute).to_contain_text(
        en["dispute.vote_wrong"].replace("{name}", "Vezelinstituut Vlaanderen vzw")
    )
    expect(c.locator("#vote-box")).to_be_hidden()
    open_page(a, f"{base}/contribution?id={cid}")
    expect(a.locator("#disputes li.dispute-rejected blockquote.reason")).to_have_text(REASON)
    expect(a.locator(".badge-active")).to_have_count(1)
    shoot(a, "contribution-dispute-history-laptop-en")
    open_page(b, f"{base}/contribution?id={cid}")
    expect(b.locator("#disputes li.dispute-rejected .badge")).to_have_text(
        nl["dispute.outcome_rejected"]
    )
    no_missing_keys(b)
    for page in (a, b, c):
        page.context.close()


def test_demo_contributions_carry_their_cards(sandbox: SandboxProcess) -> None:
    demo: dict[str, Any] = demo_of(sandbox.url)
    assert all("title" not in c for c in demo["contributions"])
    lawyer = next(p["apiKey"] for p in demo["people"] if p["label"] == "lawyer")
    items = httpx.get(
        f"{sandbox.url}/v1/projects/{demo['projectId']}/contributions",
        headers={"X-API-Key": lawyer},
        timeout=10,
    ).json()["items"]
    seeded = {c["contributionId"] for c in demo["contributions"]}
    titles = {c["card"]["card"]["title"] for c in items if c["contributionId"] in seeded}
    assert "Retting and scutching parameters for long flax fibre, 2019-2023" in titles
    assert len(titles) == len(seeded)
