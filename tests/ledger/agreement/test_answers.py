"""Answers: defaults a consortium can accept as they are, and every bad answer refused with its
location and a stable code."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from ledger.agreement.answers import (
    ANSWER_CODES,
    DEFAULT_CATEGORIES,
    AgreementAnswers,
    add_months,
    parse_answers,
)
from ledger.errors import InvalidAnswersError
from tests.ledger.agreement.conftest import FOURTH, LEIEVLAS, UNIKORTRIJK, base_answers


def problems_of(raw: Any) -> set[tuple[str, str]]:
    with pytest.raises(InvalidAnswersError) as caught:
        parse_answers(raw)
    assert str(caught.value)
    return {(p.location, p.code) for p in caught.value.problems}


def test_parse_answers_fills_defaults_for_everything_but_the_consortium() -> None:
    answers = parse_answers(base_answers())
    assert answers.royalties.categories == DEFAULT_CATEGORIES
    assert answers.royalties.split_approvals == 2  # two thirds of 3, rounded up
    assert answers.decisions.governance_approvals == 2
    assert answers.access_rights.answer_period_days == 30
    assert answers.confidentiality.years_after_end == 5
    assert answers.disputes.institution == "CEPANI"
    assert answers.end_date == dt.date(2028, 2, 29)


def test_parse_answers_round_trips_through_json() -> None:
    answers = parse_answers(base_answers())
    again = parse_answers(json.loads(json.dumps(answers.to_json())))
    assert again == answers


@pytest.mark.parametrize(("partners", "expected"), [(2, 2), (3, 2), (4, 3), (5, 4), (7, 5), (9, 6)])
def test_default_approvals_are_two_thirds_rounded_up(partners: int, expected: int) -> None:
    raw = base_answers()
    raw["partners"] = [
        {"name": f"Partner {i}", "address": f"0x{i + 1:040x}"} for i in range(partners)
    ]
    raw["coordinator"] = raw["partners"][0]["address"]
    answers = parse_answers(raw)
    assert answers.royalties.split_approvals == expected
    assert answers.decisions.governance_approvals == expected


def test_parse_answers_normalises_text_and_addresses() -> None:
    raw = base_answers()
    raw["project"]["title"] = "  Cafe\u0301   composite\n frames "
    raw["partners"][0]["address"] = LEIEVLAS.upper().replace("0X", "0x")
    raw["coordinator"] = LEIEVLAS.lower()
    answers = parse_answers(raw)
    assert answers.project.title == "Café composite frames"
    assert answers.partners[0].address == answers.coordinator
    assert answers.partners[0].address.startswith("0x") and answers.partners[0].address != LEIEVLAS


def _with(path: str, value: Any) -> dict[str, Any]:
    raw = base_answers()
    target: Any = raw
    parts = path.split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target.setdefault(part, {})
    target[parts[-1]] = value
    return raw


@pytest.mark.parametrize(
    ("path", "value", "location", "code"),
    [
        ("coordinator", FOURTH, "coordinator", "coordinator_not_partner"),
        ("coordinator", "0x123", "coordinator", "invalid_address"),
        ("partners.1.address", LEIEVLAS, "partners.1.address", "partner_address_duplicate"),
        ("partners.2.name", "leievlas bv", "partners.2.name", "partner_name_duplicate"),
        ("project.title", "   ", "project.title", "empty_text"),
        ("project.aim", "a\x00b", "project.aim", "control_character"),
        ("project.duration_months", 0, "project.duration_months", "greater_than_equal"),
        ("project.duration_months", "24", "project.duration_months", "int_type"),
        ("project.duration_months", True, "project.duration_months", "int_type"),
        ("project.start_date", "2026-02-30", "project.start_date", "date_from_datetime_parsing"),
        ("project.colour", "red", "project.colour", "extra_forbidden"),
        (
            "partners.0.background",
            [{"description": "x", "contribution_id": "0x12"}],
            "partners.0.background.0.contribution_id",
            "invalid_contribution_id",
        ),
        ("royalties.endorsement_quorum", 3, "royalties.endorsement_quorum", "quorum_too_high"),
        ("royalties.partner_cap_bps", 3333, "royalties.partner_cap_bps", "cap_below_fair_share"),
        (
            "royalties.partner_floor_bps",
            3334,
            "royalties.partner_floor_bps",
            "floor_above_fair_share",
        ),
        ("royalties.partner_cap_bps", 10_001, "royalties.partner_cap_bps", "less_than_equal"),
        ("royalties.split_approvals", 4, "royalties.split_approvals", "approvals_out_of_range"),
        ("royalties.split_approvals", 0, "royalties.split_approvals", "greater_than_equal"),
        (
            "decisions.governance_approvals",
            1,
            "decisions.governance_approvals",
            "governance_needs_two",
        ),
        (
            "decisions.governance_approvals",
            4,
            "decisions.governance_approvals",
            "approvals_out_of_range",
        ),
        ("royalties.categories", [], "royalties.categories", "too_short"),
        (
            "royalties.categories",
            [{"name": "hours", "unit": "h"}, {"name": "Hours", "unit": "h"}],
            "royalties.categories.1.name",
            "category_duplicate",
        ),
        (
            "royalties.categories",
            [{"name": "x" * 33, "unit": "h"}],
            "royalties.categories.0.name",
            "label_too_long",
        ),
        (
            "royalties.categories",
            [{"name": "hours", "unit": "h", "unit_scale": 0}],
            "royalties.categories.0.unit_scale",
            "greater_than_equal",
        ),
        (
            "access_rights.answer_period_days",
            366,
            "access_rights.answer_period_days",
            "less_than_equal",
        ),
        (
            "access_rights.background_for_project",
            "free",
            "access_rights.background_for_project",
            "enum",
        ),
        ("disputes.governing_law", "US", "disputes.governing_law", "enum"),
    ],
)
def test_parse_answers_refuses_bad_answer_with_location_and_code(
    path: str, value: Any, location: str, code: str
) -> None:
    assert (location, code) in problems_of(_with(path, value))


def test_parse_answers_refuses_zero_weights_for_both_origins() -> None:
    raw = _with("royalties.background_weight_bps", 0)
    raw["royalties"]["result_weight_bps"] = 0
    assert ("royalties.result_weight_bps", "origin_weights_zero") in problems_of(raw)


def test_parse_answers_refuses_floor_above_cap() -> None:
    raw = _with("royalties.partner_cap_bps", 4000)
    raw["royalties"]["partner_floor_bps"] = 4500
    assert ("royalties.partner_floor_bps", "floor_above_cap") in problems_of(raw)


def test_parse_answers_refuses_a_single_partner() -> None:
    raw = base_answers()
    raw["partners"] = raw["partners"][:1]
    assert ("partners", "too_few_partners") in problems_of(raw)


def test_parse_answers_lists_every_problem_at_once() -> None:
    # Malformed values all at once; the rules between fields once every value is well formed.
    raw = _with("royalties.endorsement_quorum", -1)
    raw["project"]["title"] = ""
    raw["disputes"] = {"seat": 7}
    assert problems_of(raw) == {
        ("royalties.endorsement_quorum", "greater_than_equal"),
        ("project.title", "empty_text"),
        ("disputes.seat", "string_type"),
    }
    raw = _with("royalties.endorsement_quorum", 7)
    raw["coordinator"] = UNIKORTRIJK.replace("2b", "2c")
    assert problems_of(raw) == {
        ("royalties.endorsement_quorum", "quorum_too_high"),
        ("coordinator", "coordinator_not_partner"),
    }


def test_parse_answers_refuses_what_is_not_a_mapping() -> None:
    assert problems_of([1, 2]) == {("answers", "model_type")}


def test_answer_codes_are_each_reachable() -> None:
    """Every code this module declares is raised by some test above (keeps the list honest)."""
    import inspect

    import tests.ledger.agreement.test_answers as this

    source = inspect.getsource(this)
    for code in ANSWER_CODES:
        assert f'"{code}"' in source, code


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2026, 11, 15), 2, dt.date(2027, 1, 15)),
        (dt.date(2026, 12, 31), 12, dt.date(2027, 12, 31)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_month_end(
    day: dt.date, months: int, expected: dt.date
) -> None:
    assert add_months(day, months) == expected


def test_answers_are_immutable() -> None:
    answers = parse_answers(base_answers())
    with pytest.raises(ValueError):
        answers.project.title = "other"
    assert isinstance(answers, AgreementAnswers)
