"""The single-file verifier of the evidence packs (ledger/evidence/verifier.html) in Chromium,
opened from disk as a lawyer opens it: every kind of genuine bundle passes (format 3 with and
without a contribution card, with a 78-digit nonce and a uint64 value at its maximum; format 2
and format 1 as earlier releases wrote them), and every tampered bundle `poc verify` fails fails
here too (a changed card among them; a misspelt format 3 integer is a failed format naming the
field); it works offline (no request leaves
the page, its Content-Security-Policy holds), in Dutch and English, and the committed page is
the build of its sources."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from ledger.evidence.builder import ProofBuilder
from ledger.evidence.verifier import verify_document
from tests.e2e.web_pages import launched_chromium
from tests.ledger.evidence.proof_scenario import Scenario, build_scenario
from tests.ledger.evidence.test_proofs_cards import CARD, FORMAT1, _register_with_card
from tests.ledger.evidence.test_proofs_format3 import CONTENT, FIXTURES, NONCE, _wide_bundle
from tests.ledger.evidence.test_sources import _bundle as _sources_bundle
from tests.ledger.evidence.test_sources import _register, _stamp_and_anchor
from tests.ledger.evidence.test_sources import services as services  # the fixture

pytestmark = [pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[3]
VERIFIER = ROOT / "ledger" / "evidence" / "verifier.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched_chromium()


@pytest.fixture
def scenario(memory_env: Any) -> Scenario:
    return build_scenario(memory_env)


def _document(env: Any, scenario: Scenario, name: str) -> dict[str, Any]:
    item = scenario[name]
    bundle = ProofBuilder(env.chain.w3, env.ledger.address).build(
        item.contribution_id, content_hash=item.content_hash, salt=item.salt, card=item.card
    )
    document: dict[str, Any] = json.loads(bundle.to_bytes())
    return document


def _verify_in_page(
    browser: Browser,
    tmp_path: Path,
    document: dict[str, Any] | str,
    original: bytes | None = None,
    language: str = "en",
) -> tuple[list[dict[str, str]], str, list[str]]:
    """(checks as {name, verdict, text}, the summary, what the page tried to load or was
    refused) after verifying `document` in the page."""
    bundle = tmp_path / "bundle.json"
    bundle.write_text(document if isinstance(document, str) else json.dumps(document))
    context = browser.new_context(locale="nl-BE" if language == "nl" else "en-GB")
    page: Page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith("file:") else None
        ),
    )
    page.on(
        "console",
        lambda message: (
            outside.append(message.text) if "Content Security" in message.text else None
        ),
    )
    try:
        page.goto(VERIFIER.as_uri())
        page.set_input_files("#bundle", str(bundle))
        if original is not None:
            path = tmp_path / "original.bin"
            path.write_bytes(original)
            page.set_input_files("#original", str(path))
        page.click("#verify")
        # A selector, not wait_for_function: polling a function string is an eval, which the
        # page's CSP refuses whenever the summary is not there at the first look.
        page.wait_for_selector("#summary:not(:empty)")
        checks = page.eval_on_selector_all(
            "#checks li",
            "items => items.map(li => ({name: li.dataset.check, verdict: li.className,"
            " text: li.textContent}))",
        )
        summary = page.inner_text("#summary")
    finally:
        context.close()
    return checks, summary, outside


def _failed(checks: list[dict[str, str]]) -> list[str]:
    return [c["name"] for c in checks if c["verdict"] == "fail"]


@pytest.mark.parametrize("name", ["a", "b", "c", "d", "e", "a2"])
def test_genuine_bundle_of_every_kind_passes(
    browser: Browser, memory_env: Any, scenario: Scenario, tmp_path: Path, name: str
) -> None:
    document = _document(memory_env, scenario, name)

    checks, summary, outside = _verify_in_page(browser, tmp_path, document, scenario[name].content)
    names = [c["name"] for c in checks]

    assert verify_document(document, file=scenario[name].content).ok
    assert _failed(checks) == [], checks
    assert summary == "Every check made here passed."
    for expected in ("format", "file", "commitment", "registration", "authorisation", "policy"):
        assert expected in names
    assert len([n for n in names if n.startswith("history[")]) == len(document["history"])
    if document["batch"] is not None:
        assert "batch" in names
    assert outside == []


def _flip(text: str, position: int = -3) -> str:
    digits = list(text)
    digits[position] = "1" if digits[position] != "1" else "2"
    return "".join(digits)


def _next(decimal: str) -> str:
    """The next integer, spelt as format 3 spells it."""
    return str(int(decimal) + 1)


Tamper = Callable[[dict[str, Any]], None]
TAMPERS: dict[str, tuple[str, Tamper]] = {
    "value": ("a", lambda d: d["contribution"].update(value=_next(d["contribution"]["value"]))),
    "salt": ("a", lambda d: d["contribution"].update(salt=_flip(d["contribution"]["salt"]))),
    "category": ("b", lambda d: d["contribution"]["category"].update(name="equipment")),
    "signature": (
        "b",
        lambda d: d["authorisation"].update(signature=_flip(d["authorisation"]["signature"], 10)),
    ),
    "nonce": ("b", lambda d: d["authorisation"].update(nonce=_next(d["authorisation"]["nonce"]))),
    "rating": (
        "a",
        lambda d: next(e for e in d["history"] if e["event"] == "Endorsed")["args"].update(
            rating=1
            if next(e for e in d["history"] if e["event"] == "Endorsed")["args"]["rating"] != 1
            else 2
        ),
    ),
    "extra argument": ("a", lambda d: d["history"][0]["args"].update(rating=1)),
    "block hash": ("a", lambda d: d["chain"].update(blockHash=_flip(d["chain"]["blockHash"]))),
    "receipt proof": (
        "a",
        lambda d: d["inclusion"]["receiptProof"].__setitem__(
            0, _flip(d["inclusion"]["receiptProof"][0], 40)
        ),
    ),
    "merkle proof": (
        "c",
        lambda d: d["batch"]["merkleProof"].__setitem__(0, _flip(d["batch"]["merkleProof"][0])),
    ),
    "status": ("b", lambda d: d["contribution"].update(status="Active")),
    "identity": ("a", lambda d: d["identity"].update(name="Someone Else BV")),
    "uri": ("b", lambda d: d["contribution"].update(uri="ipfs://another")),
    "history dropped": ("e", lambda d: d.update(history=[])),
}


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_bundle_poc_verify_fails_fails_here_too(
    browser: Browser, memory_env: Any, scenario: Scenario, tmp_path: Path, tamper: str
) -> None:
    name, change = TAMPERS[tamper]
    document = copy.deepcopy(_document(memory_env, scenario, name))
    change(document)

    checks, summary, outside = _verify_in_page(browser, tmp_path, document)

    assert not verify_document(document).ok  # the same case fails in poc verify
    assert _failed(checks), checks
    assert "failed" in summary
    assert outside == []


@pytest.mark.parametrize("name", ["a", "a2", "b", "c", "d", "e"])
def test_format1_bundle_of_release_1_1_passes_here_too(
    browser: Browser, tmp_path: Path, name: str
) -> None:
    document = json.loads((FORMAT1 / f"{name}.json").read_text())
    content = (FORMAT1 / f"{name}.content").read_bytes()

    checks, summary, outside = _verify_in_page(browser, tmp_path, document, content)

    assert verify_document(document, file=content).ok
    assert _failed(checks) == [], checks
    assert summary == "Every check made here passed."
    assert "card" not in [c["name"] for c in checks]
    assert outside == []


@pytest.mark.parametrize("name", ["a", "a2", "b", "c", "d", "e"])
def test_format2_bundle_written_before_format3_passes_here_too(
    browser: Browser, tmp_path: Path, name: str
) -> None:
    folder = FIXTURES / "format2"
    document = json.loads((folder / f"{name}.json").read_text())
    content = (folder / f"{name}.content").read_bytes()

    checks, summary, outside = _verify_in_page(browser, tmp_path, document, content)

    assert document["version"] == 2 and verify_document(document, file=content).ok
    assert _failed(checks) == [], checks
    assert checks[0]["name"] == "format" and "format 2" in checks[0]["text"]
    assert summary == "Every check made here passed." and outside == []


def test_format3_bundle_with_wide_integers_passes_here(
    browser: Browser, memory_env: Any, tmp_path: Path
) -> None:
    document, _ = _wide_bundle(memory_env)
    assert document["authorisation"]["nonce"] == str(NONCE)

    checks, summary, outside = _verify_in_page(browser, tmp_path, document, CONTENT)

    assert verify_document(document, file=CONTENT).ok
    assert _failed(checks) == [], checks
    assert checks[0]["name"] == "format" and "format 3" in checks[0]["text"]
    assert "authorisation" in [c["name"] for c in checks]
    assert summary == "Every check made here passed." and outside == []


# A format 3 field and a misspelling of its integer (None: the bare JSON number).
MISSPELT: list[tuple[tuple[str, ...], Any]] = [
    (("authorisation", "nonce"), None),
    (("authorisation", "nonce"), "0" + str(NONCE)),
    (("authorisation", "typedData", "message", "nonce"), "1e77"),
    (("contribution", "value"), None),
    (("contribution", "value"), "+5"),
    (("contribution", "value"), " 5"),
    (("contribution", "value"), str(2**64)),
    (("chain", "chainId"), "-1"),
    (("chain", "blockNumber"), "0x10"),
    (("chain", "blockNumber"), 1.5),
    (("policy", "evidence", "logIndex"), ""),
    (("policy", "evidence", "txIndex"), True),
    (("authorisation", "deadline"), "9" * 5_000),
]


def test_format3_with_misspelt_integers_fails_its_format_naming_each_field(
    browser: Browser, memory_env: Any
) -> None:
    document, _ = _wide_bundle(memory_env)
    cases = []
    for path, bad in MISSPELT:
        tampered = copy.deepcopy(document)
        node = tampered
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = int(node[path[-1]]) if bad is None else bad
        field = ".".join(path)
        report = verify_document(tampered)
        assert field in report.failed_fields(), field  # poc verify names it too
        cases.append((field, json.dumps(tampered)))
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(VERIFIER.as_uri())
        reports = page.evaluate(
            """async (cases) => {
                const out = [];
                for (const [path, text] of cases) {
                    out.push([path, await window.pocVerify(text, null)]);
                }
                return out;
            }""",
            cases,
        )
    finally:
        context.close()
    for field, report in reports:
        assert len(report) == 1 and report[0]["name"] == "format", (field, report)
        assert report[0]["verdict"] == "FAIL" and field in report[0]["fields"], (field, report)
        detail = report[0]["detail"]
        assert detail.startswith(field) and ("decimal" in detail or "range" in detail), detail


def _card_document(env: Any) -> dict[str, Any]:
    cid, content_hash, salt = _register_with_card(env, CARD)
    builder = ProofBuilder(env.chain.w3, env.ledger.address)
    bundle = builder.build(cid, content_hash=content_hash, salt=salt, card=CARD)
    document: dict[str, Any] = json.loads(bundle.to_bytes())
    return document


CARD_TAMPERS: dict[str, Tamper] = {
    "title": lambda d: d["card"].update(title="Vlasroot v3"),
    "keyword": lambda d: d["card"]["keywords"].append("extra"),
    "salt": lambda d: d["card"].update(salt="0x" + "00" * 32),
    "control character": lambda d: d["card"].update(title="two\nlines"),
    "unknown field": lambda d: d["card"].update(owner="someone"),
    "card without signed hash": lambda d: d["contribution"].update(cardHash="0x" + "00" * 32),
    "format 1 with the card": lambda d: d.update(version=1),
}


def test_bundle_with_its_card_passes_and_names_the_card(
    browser: Browser, memory_env: Any, tmp_path: Path
) -> None:
    document = _card_document(memory_env)

    checks, summary, outside = _verify_in_page(browser, tmp_path, document)
    card = next(c for c in checks if c["name"] == "card")

    assert verify_document(document).ok
    assert _failed(checks) == [], checks
    assert card["verdict"] == "pass" and "Vlasroot v2" in card["text"]
    assert summary == "Every check made here passed." and outside == []


@pytest.mark.parametrize("tamper", sorted(CARD_TAMPERS))
def test_bundle_with_a_changed_card_poc_verify_fails_fails_here_too(
    browser: Browser, memory_env: Any, tmp_path: Path, tamper: str
) -> None:
    document = _card_document(memory_env)
    CARD_TAMPERS[tamper](document)

    checks, summary, _ = _verify_in_page(browser, tmp_path, document)

    assert not verify_document(document).ok
    assert _failed(checks), checks
    assert "failed" in summary


def test_wrong_original_file_fails_the_file_check(
    browser: Browser, memory_env: Any, scenario: Scenario, tmp_path: Path
) -> None:
    document = _document(memory_env, scenario, "a")

    checks, _, _ = _verify_in_page(browser, tmp_path, document, b"another document")

    assert _failed(checks) == ["file"]
    assert "contribution.contentHash" in next(c for c in checks if c["name"] == "file")["text"]


@pytest.mark.parametrize("garbage", ["not json", "[]", '{"version": 2}', '{"version": 1}'])
def test_garbage_is_a_failed_format_without_crashing(
    browser: Browser, tmp_path: Path, garbage: str
) -> None:
    checks, summary, _ = _verify_in_page(browser, tmp_path, garbage)

    assert checks and checks[0]["name"] == "format" and checks[0]["verdict"] == "fail"
    assert "failed" in summary


def test_page_speaks_dutch_to_a_dutch_browser(
    browser: Browser, memory_env: Any, scenario: Scenario, tmp_path: Path
) -> None:
    document = _document(memory_env, scenario, "d")

    checks, summary, _ = _verify_in_page(browser, tmp_path, document, language="nl")

    assert summary == "Elke controle hier is geslaagd."
    assert all(c["text"].startswith("GOED") for c in checks)


def test_committed_page_is_the_build_of_its_sources() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_verifier_html.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    page = VERIFIER.read_text(encoding="utf-8")
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    assert policy.group(1).startswith("default-src 'none'; script-src 'sha256-")
    assert "unsafe" not in policy.group(1) and "http" not in policy.group(1)
    # One executable script, inline; nothing loaded from elsewhere.
    assert page.count("<script>") == 1 and " src=" not in page


def _leaves(document: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _leaves(value, (*path, index))
    else:
        yield path, document


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str) and value.isascii() and value.isdecimal():
        return _next(value)  # a format 3 integer
    if isinstance(value, str) and value.startswith("0x") and len(value) > 2:
        return _flip(value, -1)
    if isinstance(value, str):
        return value + "x"
    return "changed"


@pytest.mark.parametrize("name", ["b", "c"])
def test_every_single_leaf_tamper_poc_verify_fails_fails_here_too(
    browser: Browser, memory_env: Any, scenario: Scenario, name: str
) -> None:
    """The leaf sweep of tests/ledger/evidence/test_proofs_tamper.py, through the page: every
    single-field change `poc verify` fails offline, the page fails too."""
    document = _document(memory_env, scenario, name)
    cases = []
    for path, value in _leaves(document):
        tampered = copy.deepcopy(document)
        node = tampered
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = _changed(value)
        if not verify_document(tampered).ok:
            cases.append((".".join(map(str, path)), json.dumps(tampered)))
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(VERIFIER.as_uri())
        verdicts = page.evaluate(
            """async (cases) => {
                const out = [];
                for (const [path, text] of cases) {
                    const report = await window.pocVerify(text, null);
                    out.push([path, report.some((c) => c.verdict === "FAIL")]);
                }
                return out;
            }""",
            cases,
        )
    finally:
        context.close()
    passed_here = [path for path, failed in verdicts if not failed]

    assert len(cases) > 100
    assert passed_here == [], " ".join(passed_here)


@pytest.mark.anvil
def test_timestamp_and_public_anchor_are_checked_and_the_tsa_signature_left_to_poc_verify(
    browser: Browser, consortium: Any, services: Any, tmp_path: Path
) -> None:
    item = _register(consortium)
    _stamp_and_anchor(services, item)
    document = _sources_bundle(consortium, services, item)
    moved = copy.deepcopy(document)
    proof = moved["checkpoint"]["merkleProof"]
    moved["checkpoint"]["leafHash"] = _flip(moved["checkpoint"]["leafHash"])
    if proof:
        proof[0] = _flip(proof[0])
    swapped = copy.deepcopy(document)
    swapped["chain"]["blockHash"] = _flip(swapped["chain"]["blockHash"])

    genuine, summary, outside = _verify_in_page(browser, tmp_path, document, item.content)
    by_name = {c["name"]: c for c in genuine}
    anchored, _, _ = _verify_in_page(browser, tmp_path, moved)
    stamped, _, _ = _verify_in_page(browser, tmp_path, swapped)

    assert _failed(genuine) == [] and outside == []
    assert by_name["timestamp"]["verdict"] == "skip"
    assert "poc verify --tsa-roots" in by_name["timestamp"]["text"]
    assert by_name["public anchor"]["verdict"] == "pass"
    assert summary == "Every check made here passed."
    assert "public anchor" in _failed(anchored)
    # Another block hash: the token is no longer over this registration, nor the anchor.
    assert {"timestamp", "public anchor", "registration"} <= set(_failed(stamped))
