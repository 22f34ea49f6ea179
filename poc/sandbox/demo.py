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

from dataclasses import dataclass

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

AGREEMENT_TEXT = f"""\
Consortium agreement (demo) - {PROJECT_TITLE}

Partners: {", ".join(f"{p.name} ({p.company_number})" for p in PARTNERS)}.

1. Background. Each partner keeps ownership of the knowledge it brings into the project and
   grants the others a free licence to use it for the project only. Each partner records its
   Background on the ledger before using it in the project.
2. Results. Results belong to the partner that creates them; results created together are
   owned jointly, in proportion to the recorded contributions.
3. Contributions. Person-hours, funding, data sets, designs and documents, and equipment use
   are recorded on the ledger as salted hashes. Documents never leave their owner.
4. Royalties. Revenue from the e-bike frame is split by the Proof-of-Contribution policy
   recorded with this agreement, once the partners approve the split it computes.
5. Disputes. A partner may dispute another's contribution within the dispute window; the other
   partners decide by majority.

This is a demo text for the poc-ledger sandbox and binds nobody.
"""

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
    # Two of three partners approve a split or a governance change.
    split_approval_bps=6_667,
    governance_bps=6_667,
    partner_cap_bps=6_000,
    partner_floor_bps=500,
    categories=CATEGORIES,
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
