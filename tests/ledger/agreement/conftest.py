"""Answer sets the agreement tests share: the demo consortium's, and variants that move every
number (singular and plural, grouping, decimals, "none", four partners)."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.agreement.answers import AgreementAnswers, parse_answers

LEIEVLAS = "0x" + "1a" * 20
UNIKORTRIJK = "0x" + "2b" * 20
VEZELINSTITUUT = "0x" + "3c" * 20
FOURTH = "0x" + "4d" * 20


def base_answers(**sections: Any) -> dict[str, Any]:
    """Three partners with Background, exclusions and a registered item."""
    raw: dict[str, Any] = {
        "project": {
            "title": "Flax fibre composite for lightweight e-bike frames",
            "aim": "A bio-based frame tube from Flemish flax, tested to the bicycle standard.",
            "start_date": "2026-03-01",
            "duration_months": 24,
        },
        "partners": [
            {
                "name": "Leievlas BV",
                "address": LEIEVLAS,
                "kind": "sme",
                "company_number": "BE 0712.345.630",
                "background": [
                    {
                        "description": "Retting and scutching parameters 2019-2023",
                        "conditions": "for the project's tests only",
                        "contribution_id": "0x" + "ab" * 32,
                    }
                ],
                "excluded": [{"description": "Its dew-retting scheduling software"}],
            },
            {
                "name": "Universiteit Kortrijk - Lab Vezelcomposieten",
                "address": UNIKORTRIJK,
                "kind": "university",
                "background": [{"description": "Resin impregnation model"}],
            },
            {
                "name": "Vezelinstituut Vlaanderen vzw",
                "address": VEZELINSTITUUT,
                "kind": "research_centre",
            },
        ],
        "coordinator": LEIEVLAS,
    }
    raw.update(sections)
    return raw


VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": base_answers(),
    "demo": base_answers(
        royalties={"partner_cap_bps": 6000, "partner_floor_bps": 500, "dispute_window_days": 30}
    ),
    "singular_and_decimals": base_answers(
        royalties={
            "background_weight_bps": 1234,
            "result_weight_bps": 12_345,
            "endorsement_quorum": 1,
            "dispute_window_days": 1,
            "partner_cap_bps": 3334,
            "partner_floor_bps": 1,
            "split_approvals": 3,
            "categories": [
                {
                    "name": "licence fees",
                    "unit": "EUR-cent",
                    "unit_scale": 1_234_567,
                    "weight_bps": 65_535,
                },
                {"name": "person-hours", "unit": "hour", "weight_bps": 1},
            ],
        },
        access_rights={"answer_period_days": 1, "request_period_after_end_days": 0},
        confidentiality={"years_after_end": 1},
        disputes={"negotiation_days": 1, "escalation": "courts", "seat": "Kortrijk"},
        membership={"notice_days": 1, "leaver_keeps_access": False},
        project={
            "title": "Short 1-month trial",
            "aim": "Try it.",
            "start_date": "2024-01-31",
            "duration_months": 1,
        },
    ),
    "four_partners_no_quorum": {
        **base_answers(
            royalties={"endorsement_quorum": 0, "split_approvals": 4},
            decisions={"governance_approvals": 3},
            prevailing_language="en",
        ),
        "partners": [
            *base_answers()["partners"],
            {"name": "Fietsfabriek NV", "address": FOURTH, "kind": "large_company"},
        ],
    },
}


@pytest.fixture(params=sorted(VARIANTS))
def answers(request: pytest.FixtureRequest) -> AgreementAnswers:
    return parse_answers(VARIANTS[request.param])


@pytest.fixture
def demo_answers() -> AgreementAnswers:
    return parse_answers(VARIANTS["demo"])
