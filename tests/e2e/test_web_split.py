"""The split page tells one story (issue 18), driven in Chromium against `poc sandbox` as two
partners in two browsers: the split in force, today's score and the proposals kept apart; a
proposal saying how many more approvals it needs ("1 of 2 more approvals needed") and who;
the arithmetic of every counted contribution and where its points went along "builds on";
and, once the other partner approved, the page that never reloaded showing the new split in
force, the same as the vault's, and a revenue simulation saying which version it used.

How the pages are driven: tests/e2e/web_pages.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, expect

from tests.e2e.web_pages import (
    CHROMIUM,
    CONFIRM_MS,
    SandboxProcess,
    act_as,
    confirm,
    demo_of,
    launched_chromium,
    move_clock,
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


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    yield from running_sandbox(tmp_path_factory.mktemp("split-sandbox"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched_chromium()


@pytest.fixture(scope="module")
def demo(sandbox: SandboxProcess) -> dict[str, Any]:
    return demo_of(sandbox.url)


def _person(demo: dict[str, Any], label: str) -> dict[str, Any]:
    person: dict[str, Any] = next(p for p in demo["people"] if p["label"] == label)
    return person


def _get(sandbox: SandboxProcess, demo: dict[str, Any], path: str, label: str) -> Any:
    key = {"X-API-Key": _person(demo, label)["apiKey"]}
    response = httpx.get(f"{sandbox.url}{path}", headers=key, timeout=10)
    response.raise_for_status()
    return response.json()


def _name(demo: dict[str, Any], address: str) -> str:
    return str(next(p["name"] for p in demo["people"] if p["address"] == address))


def _bars(chart: Locator) -> dict[str, str]:
    rows = chart.locator(".bar-row")
    return {
        rows.nth(i).locator(".bar-name").inner_text(): rows.nth(i)
        .locator(".bar-value")
        .inner_text()
        for i in range(rows.count())
    }


def _percent(bps: int) -> str:
    """As the English pages write basis points: 5842 -> "58.42%"."""
    return f"{bps / 100:.2f}%"


def _sentence(template: str, **values: str) -> re.Pattern[str]:
    """A translated sentence with its {fields} as given, or as anything where not given."""
    pattern = re.escape(template)
    for name in re.findall(r"\{(\w+)\}", template):
        value = values.get(name)
        pattern = pattern.replace(re.escape("{" + name + "}"), re.escape(value) if value else ".+")
    return re.compile("^" + pattern + "$")


def test_split_page_keeps_in_force_today_and_proposals_apart_until_final(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any]
) -> None:
    en, nl = texts("en"), texts("nl")
    pid = demo["projectId"]
    sme_context = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 900})
    page = sme_context.new_page()
    act_as(page, sandbox.url, "leievlas")

    # -- The rules say the threshold as a count, and what one score unit is.
    open_page(page, sandbox.url + "/project")
    facts = page.locator("#policy-facts")
    expect(facts).to_contain_text(
        en["policy.approvals_count"].format(required=2, partners=3, share=_percent(6_667))
    )
    expect(facts).to_contain_text(_percent(2_000))
    funding = page.locator("#categories-table tbody tr", has_text=en["category.funding"])
    expect(funding.locator("td").nth(2)).to_have_text("€100.00")
    open_page(page, sandbox.url + "/split")
    page.evaluate("window.stillTheSamePage = true")

    # -- Before the dispute window passed: nothing in force, nothing counts, nothing to propose.
    expect(page.locator("#in-force-summary")).to_have_text(en["split.in_force_none"])
    expect(page.locator("#split-summary")).to_have_text(en["split.empty"])
    expect(page.locator("#propose-split")).to_be_hidden()

    # -- Past the window: today's score, said to be no split in force yet.
    move_clock(page)
    score = _get(sandbox, demo, f"/v1/projects/{pid}/score", "leievlas")
    assert score["countedCount"] > 0
    expect(page.locator("#split-summary")).to_have_text(
        en["split.summary"].format(counted=score["countedCount"], total=score["contributionCount"])
    )
    today = {_name(demo, e["partner"]): _percent(e["bps"]) for e in score["split"]}
    expect(page.locator("#split-chart .bar-row")).to_have_count(len(today))
    assert _bars(page.locator("#split-chart")) == today
    expect(page.locator("#today-compare")).to_have_text(en["split.today_not_in_force"])
    expect(page.locator("#in-force-summary")).to_have_text(en["split.in_force_none"])
    expect(page.locator("#propose-split")).to_be_visible()

    # -- Every counted contribution shows its arithmetic, with the API's own factors.
    counted = [x for x in score["contributions"] if x["status"] == "COUNTED"]
    assert counted
    for x in counted:
        item = page.locator(f"#split-why li[data-contribution='{x['contributionId']}']")
        arithmetic = item.locator(".arithmetic")
        expect(arithmetic).to_have_count(1)
        expect(arithmetic).to_have_text(
            _sentence(
                en["split.arithmetic"],
                category=_percent(x["categoryWeightBps"]),
                origin=_percent(x["originWeightBps"]),
                rating=str(x["rating"]),
                points=_points(x["points"]),
            )
        )
    # The demo passes a fifth along "builds on": its rule is stated, and the SME, whose
    # fibre preparation the lab's tests build on, received part of the lab's points.
    expect(page.locator("#flow-rule")).to_have_text(
        en["split.flow_rule"].format(share=_percent(2_000))
    )
    sme = next(p for p in score["partners"] if p["partner"] == _person(demo, "leievlas")["address"])
    assert Fraction(sme["receivedPoints"]) > 0
    sme_sum = page.locator(f"#split-why article[data-partner='{sme['partner']}'] .partner-sum")
    expect(sme_sum).to_contain_text("received from work that builds on yours")
    expect(sme_sum).to_contain_text(f"= {_points(sme['rawPoints'])} points")
    lab_test = next(
        x for x in counted if any(link["credit"] == "takes_part" for link in x["parents"])
    )
    passed = page.locator(
        f"#split-why li[data-contribution='{lab_test['contributionId']}'] .flow-passed"
    )
    expect(passed).to_have_count(1)
    for link in lab_test["parents"]:
        if link["credit"] == "takes_part":
            expect(passed).to_contain_text(f"{_points(link['points'])} to ")

    # -- The SME proposes today's score: one proposal, 2 of 3 needed, 1 given.
    page.click("#propose-split")
    confirm(page)
    wait_confirmed(page)
    proposal = page.locator("#proposals .proposal")
    expect(proposal).to_have_count(1)
    expect(proposal.locator(".needed")).to_have_text("1 of 2 more approvals needed")
    others = [_person(demo, label)["name"] for label in ("unikortrijk", "vezelinstituut")]
    waiting = proposal.locator(".proposal-waiting")
    for name in others:
        expect(waiting).to_contain_text(name)
    expect(page.locator("#split-threshold")).to_have_text(
        en["split.threshold"].format(required=2, partners=3)
    )
    # Still nothing in force, and nothing new to propose.
    expect(page.locator("#in-force-summary")).to_have_text(en["split.in_force_none"])
    expect(page.locator("#propose-split")).to_be_hidden()
    shoot(page, "split-proposed-en")
    no_missing_keys(page)

    # -- The lab, in another browser and in Dutch, reads the same and approves.
    lab_context = browser.new_context(locale="nl-BE", viewport={"width": 1366, "height": 900})
    lab_page = lab_context.new_page()
    act_as(lab_page, sandbox.url, "unikortrijk")
    open_page(lab_page, sandbox.url + "/split")
    lab_proposal = lab_page.locator("#proposals .proposal")
    expect(lab_proposal.locator(".needed")).to_have_text(nl["split.more_needed"].format(n=1, m=2))
    lab_proposal.locator("button").click()
    confirm(lab_page)
    wait_confirmed(lab_page)
    no_missing_keys(lab_page)
    lab_context.close()

    # -- The SME's page follows without a reload: the proposal is the split in force now.
    (version,) = _get(sandbox, demo, f"/v1/projects/{pid}/splits?finalized=true", "leievlas")
    assert version["splitVersion"] == 1
    # What the vault fixed and counted: 2 approvals required, 2 given, nobody left to wait for.
    assert version["approvalsRequired"] == 2 and len(version["approvals"]) == 2
    assert version["waitingFor"] == []
    expect(page.locator("#in-force-summary")).to_have_text(
        _sentence(en["split.in_force_summary"], version="1", proposal=str(version["proposalId"])),
        timeout=CONFIRM_MS,
    )
    in_force = {_name(demo, e["partner"]): _percent(e["bps"]) for e in version["split"]}
    assert _bars(page.locator("#in-force-chart")) == in_force == today
    expect(page.locator("#proposals .badge")).to_have_text(en["split.finalized"])
    expect(page.locator("#today-compare")).to_have_text(en["split.already_in_force"])
    assert page.evaluate("window.stillTheSamePage === true"), "the page reloaded"

    # -- The simulation divides by that version, and says so.
    page.fill("#revenue-amount", "10000")
    page.click("#revenue-form button[type=submit]")
    expect(page.locator("#statement-caption")).to_have_text(
        _sentence(en["revenue.caption_version"], amount="€10,000.00", version="1")
    )
    rows = page.locator("#statement-table tbody tr")
    expect(rows).to_have_count(len(in_force))
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        assert in_force[cells.nth(0).inner_text()] == cells.nth(1).inner_text()
    shoot(page, "split-in-force-en")
    no_missing_keys(page)
    sme_context.close()


def _points(text: str) -> str:
    """Points as the English page writes them: whole ones as they are, a fraction as "about"
    its value to two decimals."""
    value = Fraction(text)
    if value.denominator == 1:
        return f"{value.numerator:,}"
    hundredths = (value * 100 * 2 + 1) // 2
    return f"about {hundredths // 100:,}.{hundredths % 100:02d}"
