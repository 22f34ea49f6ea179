"""The sandbox's demo consortium, as data: who the partners are, what they agreed, what they
contributed and who endorsed what.

The scenario comes from the seed study's own example: a flax-processing SME works with a
university lab and a research centre on a new application of flax fibre. The organisations,
their people and their enterprise numbers are fictional (the numbers pass the Belgian KBO
mod-97 check but belong to nobody we know of).

Every contribution has a short document whose text is here; the sandbox writes those files to
the data directory, so that a user can later prove a contribution with "the original file".
Its title, description and keywords become its contribution card, registered through the API
like any partner's (`poc.sandbox.seed.seed_contributions`).
Nothing here talks to a chain: `poc.sandbox.run` plays this script.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from ledger.agreement.answers import AgreementAnswers, PartnerKind, parse_answers
from ledger.domain.values import Category, Origin, Policy

PROJECT_TITLE = "Flax fibre composite for lightweight e-bike frames"


@dataclass(frozen=True)
class DemoPartner:
    """One organisation of the demo consortium; `label` names its keystore and API key."""

    label: str
    name: str
    company_number: str
    kind: str


@dataclass(frozen=True)
class DemoContribution:
    """One contribution of the script; `parents` are keys of earlier contributions."""

    key: str
    partner: str
    title: str
    origin: Origin
    category: int
    value: int
    parents: tuple[str, ...] = ()
    description: str = ""
    keywords: tuple[str, ...] = ()

    @property
    def file_name(self) -> str:
        """The name of the document the sandbox writes for this contribution."""
        return f"{self.key}.txt"

    def document(self) -> str:
        """The demo document's text; its SHA-256 is the contribution's content hash."""
        lines = [
            f"{PROJECT_TITLE}: demo contribution {self.key}",
            f"Partner: {partner(self.partner).name}",
            f"Title: {self.title}",
            f"Origin: {'Background (brought into the project)' if self.origin is Origin.BACKGROUND else 'Result (created in the project)'}",  # noqa: E501
            f"Category: {CATEGORY_NAMES[self.category]}, declared value {self.value}",
            "",
            "This file stands in for the real document in the poc-ledger sandbox.",
        ]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class DemoEndorsement:
    """`partner` endorses contribution `contribution` with `rating` (1 to 5)."""

    partner: str
    contribution: str
    rating: int


PARTNERS: tuple[DemoPartner, ...] = (
    DemoPartner(
        label="leievlas",
        name="Leievlas BV",
        company_number="BE 0712.345.630",
        kind="flax-processing SME (coordinator)",
    ),
    DemoPartner(
        label="unikortrijk",
        name="Universiteit Kortrijk - Lab Vezelcomposieten",
        company_number="BE 0248.015.142",
        kind="university lab",
    ),
    DemoPartner(
        label="vezelinstituut",
        name="Vezelinstituut Vlaanderen vzw",
        company_number="BE 0412.345.614",
        kind="research centre",
    ),
)
COORDINATOR = PARTNERS[0].label

PROJECT_AIM = (
    "Develop a frame tube for lightweight e-bikes from Flemish long flax fibre and a bio-based "
    "resin, and test it to the bicycle frame standard."
)
PROJECT_START = dt.date(2026, 1, 5)
# What kind of organisation each partner is, in the agreement's terms.
AGREEMENT_KINDS: dict[str, PartnerKind] = {
    "leievlas": PartnerKind.SME,
    "unikortrijk": PartnerKind.UNIVERSITY,
    "vezelinstituut": PartnerKind.RESEARCH_CENTRE,
}
# What each partner keeps out of the project (the DESCA list of excluded Background).
EXCLUDED: dict[str, tuple[str, ...]] = {
    "leievlas": ("Its dew-retting scheduling software and the data it holds",),
    "unikortrijk": ("Results of its other contract research on natural fibres",),
    "vezelinstituut": (),
}


def agreement_answers(addresses: Mapping[str, str]) -> AgreementAnswers:
    """The demo consortium's agreement, as the builder would have it answered; `addresses`
    are the partners' signing addresses by label (known once the sandbox made their keys).

    Its policy is `POLICY` (a test checks), so the text the partners accepted states the
    numbers the ledger applies."""
    background = {
        p.label: [
            {"description": c.title, "conditions": "for carrying out the project"}
            for c in CONTRIBUTIONS
            if c.partner == p.label and c.origin is Origin.BACKGROUND
        ]
        for p in PARTNERS
    }
    return parse_answers(
        {
            "prevailing_language": "nl",
            "project": {
                "title": PROJECT_TITLE,
                "aim": PROJECT_AIM,
                "start_date": PROJECT_START.isoformat(),
                "duration_months": 24,
            },
            "partners": [
                {
                    "name": p.name,
                    "address": addresses[p.label],
                    "kind": AGREEMENT_KINDS[p.label].value,
                    "company_number": p.company_number,
                    "background": background[p.label],
                    "excluded": [{"description": d} for d in EXCLUDED[p.label]],
                }
                for p in PARTNERS
            ],
            "coordinator": addresses[COORDINATOR],
            "royalties": {
                "categories": [
                    {
                        "name": c.name_text,
                        "unit": c.unit_text,
                        "unit_scale": c.unit_scale,
                        "weight_bps": c.weight_bps,
                    }
                    for c in CATEGORIES
                ],
                "background_weight_bps": POLICY.background_weight_bps,
                "result_weight_bps": POLICY.result_weight_bps,
                "endorsement_quorum": POLICY.endorsement_quorum,
                "dispute_window_days": POLICY.dispute_window // 86_400,
                "partner_cap_bps": POLICY.partner_cap_bps,
                "partner_floor_bps": POLICY.partner_floor_bps,
                "parent_share_bps": POLICY.parent_share_bps,
                "split_approvals": 2,
            },
            "decisions": {"governance_approvals": 2},
            "disputes": {"institution": "CEPANI", "seat": "Brussels", "governing_law": "BE"},
        }
    )


# Category ids are the indexes in this tuple; CATEGORY_NAMES mirrors it for the documents.
CATEGORIES: tuple[Category, ...] = (
    Category.of("person-hours", "hour", 1, 10_000),
    # 100 EUR (10,000 cents) weighs as much as one person-hour.
    Category.of("funding", "EUR-cent", 10_000, 10_000),
    # Data sets and documents are declared in points: the partners' own estimate of the
    # person-hours they embody.
    Category.of("dataset", "point", 1, 10_000),
    Category.of("design/document", "point", 1, 10_000),
    # An hour of a machine (autoclave, test bench) weighs more than an hour of a person.
    Category.of("equipment use", "machine-hour", 1, 15_000),
)
CATEGORY_NAMES: tuple[str, ...] = tuple(c.name_text for c in CATEGORIES)
PERSON_HOURS, FUNDING, DATASET, DESIGN, EQUIPMENT = range(len(CATEGORIES))

POLICY = Policy(
    # Background counts half: the project's own results are what the royalties reward.
    background_weight_bps=5_000,
    result_weight_bps=10_000,
    # One endorsement by another partner validates a contribution.
    endorsement_quorum=1,
    # 30 days to dispute: long enough to try disputes in the sandbox.
    dispute_window=30 * 24 * 3600,
    # Two of three partners approve a split or a governance change: two thirds in whole basis
    # points (docs/governance.md, "Thresholds"), as the agreement's builder writes "2 of 3"
    # (`ledger.agreement.thresholds.bps_for_approvals`).
    split_approval_bps=6_667,
    governance_bps=6_667,
    partner_cap_bps=6_000,
    partner_floor_bps=500,
    categories=CATEGORIES,
    # A fifth of each counted contribution's points goes to the other partners' work it builds
    # on: the lab's test data to the SME's fibre preparation, the centre's frame layup to both
    # (docs/scoring.md section 4).
    parent_share_bps=2_000,
)

CONTRIBUTIONS: tuple[DemoContribution, ...] = (
    DemoContribution(
        "sme-retting-data",
        "leievlas",
        "Retting and scutching parameters for long flax fibre, 2019-2023",
        Origin.BACKGROUND,
        DATASET,
        40,
        description="Five seasons of dew-retting times, scutching settings and fibre yield "
        "from our own lines: the starting point for composite-grade fibre.",
        keywords=("flax", "retting", "scutching"),
    ),
    DemoContribution(
        "lab-impregnation-model",
        "unikortrijk",
        "Resin impregnation model for natural-fibre composites",
        Origin.BACKGROUND,
        DESIGN,
        30,
        description="The lab's permeability and impregnation model, developed before the "
        "project for hemp and jute laminates.",
        keywords=("resin", "model"),
    ),
    DemoContribution(
        "centre-tube-mould",
        "vezelinstituut",
        "Prototype mould for tubular composite parts",
        Origin.BACKGROUND,
        DESIGN,
        20,
        description="Design of the centre's split mould for tubes up to 60 mm, brought in "
        "for the frame tubes.",
        keywords=("mould", "tubes"),
    ),
    DemoContribution(
        "sme-fibre-preparation",
        "leievlas",
        "Fibre preparation and tow trials for composite-grade flax",
        Origin.RESULT,
        PERSON_HOURS,
        120,
        ("sme-retting-data",),
        description="Hackling and tow trials that turned our retting data into a fibre "
        "the lab could impregnate.",
        keywords=("flax", "tow"),
    ),
    DemoContribution(
        "sme-pilot-funding",
        "leievlas",
        "Co-funding of the pilot tow line (EUR 15,000)",
        Origin.RESULT,
        FUNDING,
        1_500_000,
    ),
    DemoContribution(
        "lab-test-dataset",
        "unikortrijk",
        "Tensile and fatigue tests of flax/bio-epoxy laminates",
        Origin.RESULT,
        DATASET,
        25,
        ("sme-fibre-preparation", "lab-impregnation-model"),
        description="Test results of 48 specimens: stiffness, strength and fatigue life.",
        keywords=("tests", "fatigue", "laminate"),
    ),
    DemoContribution(
        "lab-test-campaign",
        "unikortrijk",
        "Test campaign: specimen preparation and testing",
        Origin.RESULT,
        PERSON_HOURS,
        200,
        ("lab-test-dataset",),
    ),
    DemoContribution(
        "centre-autoclave-runs",
        "vezelinstituut",
        "Autoclave runs for frame-tube prototypes",
        Origin.RESULT,
        EQUIPMENT,
        36,
        ("centre-tube-mould", "lab-test-dataset"),
    ),
    DemoContribution(
        "centre-frame-layup",
        "vezelinstituut",
        "Frame-tube layup design, version 1",
        Origin.RESULT,
        DESIGN,
        35,
        ("lab-test-dataset", "sme-fibre-preparation", "centre-tube-mould"),
    ),
)

ENDORSEMENTS: tuple[DemoEndorsement, ...] = (
    DemoEndorsement("unikortrijk", "sme-fibre-preparation", 4),
    DemoEndorsement("vezelinstituut", "sme-retting-data", 3),
    DemoEndorsement("leievlas", "lab-test-dataset", 5),
    DemoEndorsement("vezelinstituut", "lab-test-dataset", 5),
    DemoEndorsement("leievlas", "centre-frame-layup", 4),
    DemoEndorsement("unikortrijk", "centre-autoclave-runs", 3),
)


def partner(label: str) -> DemoPartner:
    """The demo partner labelled `label`."""
    for candidate in PARTNERS:
        if candidate.label == label:
            return candidate
    raise KeyError(f"no demo partner {label!r}")
