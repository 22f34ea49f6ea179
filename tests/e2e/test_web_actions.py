"""Acting on other partners' contributions in the browser, as the pages' users would and as
someone checking that the pages never tell a false story: an endorsement shows as "you
endorsed this with 3 on <date>" instead of the form, a write the ledger refuses is never shown
as confirmed, the pages follow the state after an action and after the sandbox's clock moves
(no reload), keyboard focus lands on the result, and a made-up API key is refused when it is
typed in. Dutch and English where the pages say something.

How the pages are driven: tests/e2e/web_pages.py.
"""

from __future__ import annotations

import re
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
    move_clock,
    no_missing_keys,
    open_page,
    running_sandbox,
    texts,
    wait_confirmed,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip("needs Debian's Chromium at /usr/bin/chromium", allow_module_level=True)

LOCALES = {"nl": "nl-BE", "en": "en-GB"}
MADE_UP_KEY = "poc_0123456789ab_" + "Zq3" * 14 + "x"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    yield from running_sandbox(tmp_path_factory.mktemp("actions-sandbox"))


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


def _sentence(template: str, **values: str) -> re.Pattern[str]:
    """A translated sentence with its {fields} as given, or as anything where not given."""
    pattern = re.escape(template)
    for name in re.findall(r"\{(\w+)\}", template):
        value = values.get(name)
        pattern = pattern.replace(re.escape("{" + name + "}"), re.escape(value) if value else ".+")
    return re.compile("^" + pattern + "$")


def _register(page: Page, base: str, name: str) -> str:
    """As the partner the page acts for: register a small file; its contribution id."""
    open_page(page, base + "/register")
    drop_file(page, name, f"contents of {name}".encode())
    expect(page.locator("#commitment")).to_have_text(re.compile(r"^0x[0-9a-f]{64}$"))
    page.fill("#card-title", name)
    page.fill("#value", "8")
    page.click("#register-submit")
    confirm(page)
    wait_confirmed(page)
    link = page.locator("#register-result a")
    expect(link).to_be_visible(timeout=CONFIRM_MS)
    # Focus moved to the result, which is announced (aria-live) where it appears.
    assert page.evaluate("document.activeElement.id") == "register-result"
    expect(page.locator("#register-result")).to_have_attribute("aria-live", "polite")
    return (link.get_attribute("href") or "").split("id=")[1]


def _day(page: Page, unix: int) -> str:
    """A day as the page's language writes it (long date, no time)."""
    text: str = page.evaluate(
        """(unix) => new Intl.DateTimeFormat(document.documentElement.lang === 'nl' ? 'nl-BE'
            : 'en-GB', {dateStyle: 'long'}).format(new Date(unix * 1000))""",
        unix,
    )
    return text


# -- 4 and 9: no false confirmations; focus on the result ------------------------------------


@pytest.mark.parametrize("language", ["nl", "en"])
def test_endorsement_shows_yours_instead_of_the_form_and_a_refusal_is_never_confirmed(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any], language: str
) -> None:
    words = texts(language)
    owner = browser.new_context(locale=LOCALES[language])
    page = owner.new_page()
    act_as(page, sandbox.url, "leievlas")
    cid = _register(page, sandbox.url, f"report-{language}.txt")
    owner.close()

    endorser = browser.new_context(locale=LOCALES[language])
    page = endorser.new_page()
    act_as(page, sandbox.url, "unikortrijk")
    open_page(page, f"{sandbox.url}/contribution?id={cid}")
    # A second tab opened now keeps the form it showed: it will try to endorse again.
    stale = endorser.new_page()
    act_as(stale, sandbox.url, "unikortrijk")  # the partner chosen is per tab
    open_page(stale, f"{sandbox.url}/contribution?id={cid}")
    expect(stale.locator("#endorse-form")).to_be_visible()

    page.evaluate("window.stillTheSamePage = true")
    page.select_option("#rating", "3")
    page.click("#endorse-submit")
    summary = confirm(page)
    # What is signed: the rating, whose contribution (its title from its card: this browser
    # never saw the file), and as whom.
    assert words["rating.3"] in summary and f"report-{language}.txt" in summary
    assert _person(demo, "leievlas")["name"] in summary
    assert _person(demo, "unikortrijk")["name"] in summary
    wait_confirmed(page)
    state = page.locator("#endorse-state")
    expect(state).to_be_visible(timeout=CONFIRM_MS)
    endorsement = _get(sandbox, demo, f"/v1/contributions/{cid}/endorsements", "unikortrijk")
    assert [(e["rating"]) for e in endorsement] == [3]
    expected = words["endorse.yours"].format(
        rating=3, words=words["rating.3"], date=_day(page, endorsement[0]["endorsedAt"])
    )
    expect(state).to_have_text(expected)
    expect(page.locator("#endorse-form")).to_be_hidden()
    expect(page.locator("#history")).to_contain_text(_person(demo, "unikortrijk")["name"])
    assert page.evaluate("window.stillTheSamePage === true"), "the page reloaded"
    assert page.evaluate("document.activeElement.id") == "endorse-state"
    expect(state).to_have_attribute("aria-live", "polite")

    # The stale tab endorses again with another rating: refused, said in words, never
    # shown as confirmed, and the rating on the ledger stays 3.
    stale.select_option("#rating", "5")
    stale.click("#endorse-submit")
    confirm(stale)
    stale.wait_for_selector("#progress-status.status-error, #page-error:not([hidden])")
    expect(stale.locator("#progress li[data-step=confirmed].done")).to_have_count(0)
    expect(stale.locator("#progress-status")).not_to_have_text(words["op.status.confirmed"])
    refusal = stale.locator("#page-error")
    expect(refusal).to_have_text(words["error.conflict"])
    assert "rating" not in refusal.inner_text()  # the API's English stays a tooltip
    assert stale.evaluate("document.activeElement.id") in ("page-error", "progress-status")
    endorsement = _get(sandbox, demo, f"/v1/contributions/{cid}/endorsements", "unikortrijk")
    assert [e["rating"] for e in endorsement] == [3]
    # Reloaded, the stale tab shows the real state too.
    open_page(stale, f"{sandbox.url}/contribution?id={cid}")
    expect(stale.locator("#endorse-state")).to_have_text(expected)
    no_missing_keys(page)
    endorser.close()


def test_write_that_fails_on_chain_shows_its_decoded_error(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any]
) -> None:
    # The university's page still offers to endorse; meanwhile the contribution is withdrawn.
    # The ledger refuses the endorsement (at once, or on chain if other writes of the
    # university are in flight): the page says why, in Dutch, and never "confirmed".
    nl = texts("nl")
    context = browser.new_context(locale="nl-BE")
    page = context.new_page()
    act_as(page, sandbox.url, "leievlas")
    cid = _register(page, sandbox.url, "to-be-withdrawn.txt")
    act_as(page, sandbox.url, "unikortrijk")
    open_page(page, f"{sandbox.url}/contribution?id={cid}")
    owner = {"X-API-Key": _person(demo, "leievlas")["apiKey"]}
    withdrawn = httpx.post(
        f"{sandbox.url}/v1/contributions/{cid}/withdraw?wait=true", json={}, headers=owner
    )
    assert withdrawn.json()["status"] == "confirmed", withdrawn.text
    # Keep a write of the university in flight, so that the API may skip its dry run.
    other = demo["contributions"][0]["contributionId"]
    university = {"X-API-Key": _person(demo, "unikortrijk")["apiKey"]}
    httpx.post(
        f"{sandbox.url}/v1/contributions/{other}/endorsements",
        json={"rating": 2},
        headers=university,
    )
    page.click("#endorse-submit")
    confirm(page)
    page.wait_for_selector("#progress-status.status-error", timeout=CONFIRM_MS)
    expect(page.locator("#progress li[data-step=confirmed].done")).to_have_count(0)
    expect(page.locator("#progress-status")).to_have_text(nl["error.contribution_not_active"])
    expect(page.locator("#page-error")).to_have_text(nl["error.contribution_not_active"])
    context.close()


# -- 7: views follow the state without a reload ----------------------------------------------


@pytest.mark.parametrize("language", ["nl", "en"])
def test_split_page_follows_the_clock_without_a_reload(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any], language: str
) -> None:
    words = texts(language)
    context = browser.new_context(locale=LOCALES[language])
    page = context.new_page()
    act_as(page, sandbox.url, "leievlas")
    open_page(page, sandbox.url + "/split")
    page.evaluate("window.stillTheSamePage = true")
    move_clock(page)
    # Said only once the score shown is of the new time: the page shows what the API says
    # now, and past the dispute window the demo's endorsed contributions count.
    score = _get(sandbox, demo, f"/v1/projects/{demo['projectId']}/score", "leievlas")
    assert score["countedCount"] > 0
    expect(page.locator("#split-summary")).to_have_text(
        words["split.summary"].format(
            counted=score["countedCount"], total=score["contributionCount"]
        )
    )
    expect(page.locator("#split-chart .bar-row")).to_have_count(len(score["split"]))
    assert page.evaluate("window.stillTheSamePage === true"), "the page reloaded"
    assert page.evaluate("document.activeElement.id") == "clock-status"
    no_missing_keys(page)
    context.close()


# -- 8: a made-up key is refused when it is entered -------------------------------------------


@pytest.mark.parametrize("language", ["nl", "en"])
def test_made_up_api_key_is_refused_when_entered(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any], language: str
) -> None:
    words = texts(language)
    context = browser.new_context(locale=LOCALES[language])
    page = context.new_page()
    open_page(page, sandbox.url + "/partner")
    acting = page.locator("#acting-as")
    expect(acting).to_contain_text(words["partner.none_chosen"])
    for key in (MADE_UP_KEY, "my-password", _person(demo, "leievlas")["apiKey"][:-1] + "!"):
        page.fill("#manual-key", key)
        page.click("#manual-key-form button[type=submit]")
        expect(page.locator("#page-error")).to_have_text(words["partner.key_refused"])
        assert page.evaluate("document.activeElement.id") == "page-error"
        expect(acting).to_contain_text(words["partner.none_chosen"])
        assert page.evaluate("sessionStorage.getItem('poc.actor')") is None
    # A real key works and says whom it acts for; an auditor's by its role, translated.
    university = _person(demo, "unikortrijk")
    page.fill("#manual-key", university["apiKey"])
    page.click("#manual-key-form button[type=submit]")
    expect(acting).to_contain_text(university["name"])
    expect(acting).to_contain_text(words["role.partner"])
    expect(page.locator("#page-error")).to_be_hidden()
    page.fill("#manual-key", _person(demo, "lawyer")["apiKey"])
    page.click("#manual-key-form button[type=submit]")
    expect(acting).to_contain_text(words["role_person.auditor"])
    expect(acting).to_contain_text(words["role.auditor"])
    open_page(page, sandbox.url + "/project")  # the auditor reads the demo project
    expect(page.locator("#timeline li").first).to_be_visible()
    no_missing_keys(page)
    context.close()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_dispute_and_vote_are_asked_first_and_shown_in_place(
    sandbox: SandboxProcess, browser: Browser, demo: dict[str, Any], language: str
) -> None:
    words = texts(language)
    context = browser.new_context(locale=LOCALES[language])
    page = context.new_page()
    act_as(page, sandbox.url, "leievlas")
    cid = _register(page, sandbox.url, f"disputed-{language}.txt")

    # The university disputes it; Escape on the summary signs nothing.
    act_as(page, sandbox.url, "unikortrijk")
    open_page(page, f"{sandbox.url}/contribution?id={cid}")
    reason = "The test report is from another batch."
    page.fill("#dispute-reason", reason)
    page.click("#dispute-submit")
    expect(page.locator("#confirm-dialog")).to_contain_text(reason)
    page.keyboard.press("Escape")
    expect(page.locator("#confirm-dialog")).to_have_count(0)
    disputes = f"/v1/contributions/{cid}/disputes"
    assert _get(sandbox, demo, disputes, "unikortrijk") == []
    page.click("#dispute-submit")
    confirm(page)
    wait_confirmed(page)
    expect(page.locator("#dispute-state")).to_have_text(words["dispute.yours_open"])
    expect(page.locator("#dispute-form")).to_be_hidden()
    assert page.evaluate("document.activeElement.id") == "dispute-state"
    expect(page.locator("#vote-box")).to_be_hidden()  # a party to the dispute does not vote

    # The research centre, the one partner left to vote, rejects it: the summary says what
    # that means, and the page shows the outcome in place.
    act_as(page, sandbox.url, "vezelinstituut")
    open_page(page, f"{sandbox.url}/contribution?id={cid}")
    expect(page.locator("#vote-box")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")
    page.click("#vote-reject")
    summary = confirm(page)
    assert words["vote.reject_means"] in summary
    wait_confirmed(page)
    university = _person(demo, "unikortrijk")["name"]
    outcome = words["dispute_outcome.rejected"].format(number=1, name=university)
    expect(page.locator("#history")).to_contain_text(outcome, timeout=CONFIRM_MS)
    expect(page.locator("#vote-box")).to_be_hidden()
    assert page.evaluate("window.stillTheSamePage === true"), "the page reloaded"
    assert page.evaluate("document.activeElement.id") == "contribution-explain"
    assert _get(sandbox, demo, disputes, "unikortrijk")[0]["outcome"] == "rejected"
    no_missing_keys(page)
    context.close()
