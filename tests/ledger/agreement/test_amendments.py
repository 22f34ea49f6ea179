"""Amendments: what changed between two answer sets, readable in Dutch and English, and the new
version's document that says it and points at the version it replaces."""

from __future__ import annotations

import json
from typing import Any

from ledger.agreement.amendments import Change, diff_answers
from ledger.agreement.answers import Language, parse_answers
from ledger.agreement.document import build_document, describe_changes, load_document
from ledger.agreement.render import markdown_to_text
from tests.ledger.agreement.conftest import FOURTH, UNIKORTRIJK, VARIANTS, base_answers


def amended(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(json.dumps(VARIANTS["demo"]))
    for path, value in changes.items():
        target: Any = raw
        parts = path.split("__")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target.setdefault(part, {})
        target[parts[-1]] = value
    return raw


def test_diff_answers_is_empty_for_equal_answers() -> None:
    answers = parse_answers(VARIANTS["demo"])
    assert diff_answers(answers, parse_answers(VARIANTS["demo"])) == ()


def test_diff_answers_names_a_changed_number_in_both_languages() -> None:
    before = parse_answers(VARIANTS["demo"])
    after = parse_answers(amended(royalties__dispute_window_days=14, royalties__partner_cap_bps=0))
    changes = diff_answers(before, after)
    assert changes == (
        Change("changed", "royalties.dispute_window_days", "days", 30, 14),
        Change("changed", "royalties.partner_cap_bps", "limit", 6000, 0),
    )
    assert describe_changes(changes, Language.EN) == (
        "Dispute window: 30 days becomes 14 days.",
        "Largest share of one partner: 60% becomes none.",
    )
    assert describe_changes(changes, Language.NL) == (
        "Betwistingstermijn: 30 dagen wordt 14 dagen.",
        "Grootste aandeel van één partner: 60% wordt geen.",
    )


def test_diff_answers_follows_partners_by_address() -> None:
    before = parse_answers(VARIANTS["demo"])
    raw = amended()
    raw["partners"][1]["name"] = "UKortrijk Composites Lab"
    raw["partners"][1]["background"] = [
        {"description": "Resin impregnation model"},
        {"description": "Fatigue test bench", "conditions": "two weeks a year"},
    ]
    raw["partners"].append(
        {"name": "Fietsfabriek NV", "address": FOURTH, "excluded": [{"description": "Paint"}]}
    )
    raw["royalties"]["split_approvals"] = 3
    after = parse_answers(raw)
    english = describe_changes(diff_answers(before, after), Language.EN)
    assert english == (
        "Fietsfabriek NV joins the consortium.",
        "Fietsfabriek NV now explicitly excludes: Paint.",
        "Universiteit Kortrijk - Lab Vezelcomposieten, name: Universiteit Kortrijk - Lab "
        "Vezelcomposieten becomes UKortrijk Composites Lab.",
        "Universiteit Kortrijk - Lab Vezelcomposieten adds to its Background: Fatigue test bench "
        "(two weeks a year).",
        "Approvals to make a split final: 2 of 3 partners becomes 3 of 4 partners.",
        # Not stated in the answers, so the default for four partners: two thirds, rounded up.
        "Approvals to change the agreement, the policy or the partners: 2 of 3 partners becomes "
        "3 of 4 partners.",
    )
    dutch = describe_changes(diff_answers(before, after), Language.NL)
    assert dutch[0] == "Fietsfabriek NV treedt toe tot het consortium."
    assert dutch[-1] == (
        "Goedkeuringen om de overeenkomst, het beleid of de partners te wijzigen: 2 van de 3 "
        "partners wordt 3 van de 4 partners."
    )


def test_diff_answers_reports_partner_leaving_and_categories() -> None:
    before = parse_answers(VARIANTS["demo"])
    raw = amended()
    raw["partners"] = [p for p in raw["partners"] if p["address"] != UNIKORTRIJK]
    raw["royalties"]["split_approvals"] = 2
    raw["royalties"]["categories"] = [
        {"name": "person-hours", "unit": "hour", "weight_bps": 12_000},
        {"name": "software", "unit": "point"},
    ]
    english = describe_changes(diff_answers(before, parse_answers(raw)), Language.EN)
    assert "Universiteit Kortrijk - Lab Vezelcomposieten is no longer a partner." in english
    assert "Category removed: funding." in english
    assert "New category: software." in english
    assert "Category person-hours, weight: 100% becomes 120%." in english


def test_build_document_of_an_amendment_lists_changes_and_links_the_previous_version() -> None:
    first = build_document(parse_answers(VARIANTS["demo"]))
    second = build_document(
        parse_answers(amended(royalties__dispute_window_days=14)), previous=first
    )
    assert second.version == 2 and second.amends == first.content_hash
    for language, heading, line in (
        (Language.EN, "What this version changes", "Dispute window: 30 days becomes 14 days."),
        (Language.NL, "Wat deze versie wijzigt", "Betwistingstermijn: 30 dagen wordt 14 dagen."),
    ):
        plain = markdown_to_text(second.text(language))
        assert heading in plain and line in plain
        assert "0x" + first.content_hash.hex() in plain
    reloaded = load_document(second.canonical_bytes())
    assert reloaded.changes == second.changes or [c.to_json() for c in reloaded.changes] == [
        c.to_json() for c in second.changes
    ]
    assert json.loads(second.canonical_bytes())["changes"] == [
        {
            "kind": "changed",
            "field": "royalties.dispute_window_days",
            "valueKind": "days",
            "before": 30,
            "after": 14,
        }
    ]


def test_change_text_escapes_partner_words() -> None:
    before = parse_answers(base_answers())
    raw = base_answers()
    raw["partners"][2]["excluded"] = [{"description": "*secret* [recipe](x)"}]
    lines = describe_changes(diff_answers(before, parse_answers(raw)), Language.EN)
    assert lines == (
        "Vezelinstituut Vlaanderen vzw now explicitly excludes: \\*secret\\* \\[recipe\\](x).",
    )
