"""The answers a consortium agreement is made of, typed and validated.

`AgreementAnswers` holds every choice the guided builder asks for, grouped by concept (the
order of `STEPS`): the project and its partners, each partner's Background (brought in, and
explicitly excluded), Results, access rights, confidentiality, royalties (the scoring policy),
decisions, disputes, and a partner leaving or joining. Every field has a sensible default except
what only the consortium can say (title, aim, start, partners, coordinator).

`parse_answers(raw)` is the one way in from outside (JSON, a form): it returns the answers or
raises `InvalidAnswersError` listing every problem with its dotted location, a stable code and
a message. The codes are pydantic's for malformed values (`missing`, `int_type`,
`string_too_long`, `extra_forbidden`, ...) and this module's (`ANSWER_CODES`) for rules between
fields; pages translate them (`error.agreement.<code>` in api/web/i18n.json).

What lives elsewhere: the policy and exchange terms these answers give (`ledger.agreement.terms`),
the text (`ledger.agreement.document`), differences between two answer sets
(`ledger.agreement.amendments`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ledger.agreement.thresholds import (
    ThresholdKind,
    approvals_required,
    bps_for_approvals,
    two_thirds,
)
from ledger.domain.values import MAX_CATEGORIES, checksum
from ledger.errors import AnswerProblem, InvalidAnswersError

BPS: Final = 10_000
SECONDS_PER_DAY: Final = 86_400
MAX_PARTNERS: Final = 32
"""More partners than a consortium agreement of this kind is written for."""
MAX_ITEMS: Final = 40
"""Background items (or exclusions) one partner may list."""
MAX_DISPUTE_WINDOW_DAYS: Final = (2**32 - 1) // SECONDS_PER_DAY
"""The on-chain dispute window is a uint32 of seconds."""

ANSWER_CODES: Final = (
    "approvals_out_of_range",
    "cap_below_fair_share",
    "category_duplicate",
    "control_character",
    "coordinator_not_partner",
    "empty_text",
    "floor_above_cap",
    "floor_above_fair_share",
    "governance_needs_two",
    "invalid_address",
    "invalid_contribution_id",
    "label_too_long",
    "origin_weights_zero",
    "partner_address_duplicate",
    "partner_name_duplicate",
    "quorum_too_high",
    "too_few_partners",
)
"""The codes of the rules this module checks itself (pydantic's own codes come on top)."""


# ------------------------------------------------------------------------------ value types


def _problem(code: str, message: str, **context: Any) -> PydanticCustomError:
    assert code in ANSWER_CODES, code
    return PydanticCustomError(code, message, context or None)


def _clean_text(value: str) -> str:
    """NFC, no control characters, runs of white space as one space, trimmed."""
    text = unicodedata.normalize("NFC", value)
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text):
        raise _problem("control_character", "control characters are not allowed in text")
    text = " ".join(text.split())
    if not text:
        raise _problem("empty_text", "this text may not be empty")
    return text


def _clean_optional_text(value: str) -> str:
    return "" if not value.strip() else _clean_text(value)


def _clean_label(value: str) -> str:
    text = _clean_text(value)
    if len(text.encode("utf-8")) > 32:
        raise _problem(
            "label_too_long", "a label is at most 32 bytes in UTF-8 (it is stored on chain)"
        )
    return text


def _clean_address(value: str) -> str:
    try:
        return str(checksum(value))
    except ValueError:
        raise _problem("invalid_address", "not a 20-byte hexadecimal address") from None


_CONTRIBUTION_ID = re.compile(r"0x[0-9a-fA-F]{64}")


def _clean_contribution_id(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _CONTRIBUTION_ID.fullmatch(value):
        raise _problem("invalid_contribution_id", "a contribution id is 0x and 64 hex digits")
    return value.lower()


Text = Annotated[str, Field(strict=True, max_length=2000), AfterValidator(_clean_text)]
ShortText = Annotated[str, Field(strict=True, max_length=200), AfterValidator(_clean_text)]
OptionalText = Annotated[
    str, Field(strict=True, max_length=500), AfterValidator(_clean_optional_text)
]
Label = Annotated[str, Field(strict=True, max_length=64), AfterValidator(_clean_label)]
Address = Annotated[str, Field(strict=True), AfterValidator(_clean_address)]
ContributionId = Annotated[
    str | None, Field(strict=True, default=None), AfterValidator(_clean_contribution_id)
]


def _int(low: int, high: int) -> Any:
    return Field(strict=True, ge=low, le=high)


Bps = Annotated[int, _int(0, BPS)]
Weight = Annotated[int, _int(0, 2**16 - 1)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


# ------------------------------------------------------------------------------ choices


class Language(StrEnum):
    """A language the agreement is written in."""

    NL = "nl"
    EN = "en"


class PartnerKind(StrEnum):
    """What kind of organisation a partner is (the seed study's kinds of partners)."""

    SME = "sme"
    LARGE_COMPANY = "large_company"
    START_UP = "start_up"
    UNIVERSITY = "university"
    RESEARCH_CENTRE = "research_centre"
    OTHER = "other"


class AccessTerms(StrEnum):
    """On which terms an access right is granted."""

    ROYALTY_FREE = "royalty_free"
    FAIR_AND_REASONABLE = "fair_and_reasonable"


class JointOwnership(StrEnum):
    """How the joint owners of a Result created together hold it."""

    BY_CONTRIBUTION = "by_contribution"
    """In proportion to their counted contributions to it, as the ledger scores them."""
    EQUAL = "equal"


class ConfidentialScope(StrEnum):
    """What the confidentiality duty covers."""

    MARKED = "marked"
    """Information marked confidential, or said to be so when it is shared orally."""
    ALL = "all"
    """Everything a partner learns from another through the project."""


class Escalation(StrEnum):
    """What follows when the partners cannot settle a disagreement among themselves."""

    MEDIATION_THEN_ARBITRATION = "mediation_then_arbitration"
    MEDIATION_THEN_COURTS = "mediation_then_courts"
    ARBITRATION = "arbitration"
    COURTS = "courts"


class Law(StrEnum):
    """The law that governs the agreement (ISO 3166 country code)."""

    BE = "BE"
    NL = "NL"
    LU = "LU"
    FR = "FR"
    DE = "DE"


# ------------------------------------------------------------------------------ the answers


class BackgroundItem(_Model):
    """One piece of Background a partner brings in (an entry of its Background list)."""

    description: Text
    conditions: OptionalText = ""
    """Limits the partner sets on access to it (e.g. "only for testing in the project")."""
    contribution_id: ContributionId = None
    """The registered Background contribution that proves when the partner had it."""


class ExcludedItem(_Model):
    """Something a partner explicitly keeps out of the project: no access right reaches it."""

    description: Text


class Partner(_Model):
    """A partner of the consortium and its Background."""

    name: ShortText
    address: Address
    """The partner's address on the ledger (its signing key)."""
    kind: PartnerKind = PartnerKind.SME
    company_number: OptionalText = ""
    background: tuple[BackgroundItem, ...] = Field(default=(), max_length=MAX_ITEMS)
    excluded: tuple[ExcludedItem, ...] = Field(default=(), max_length=MAX_ITEMS)


class Project(_Model):
    """What the project is for and how long it runs."""

    title: ShortText
    aim: Text
    start_date: dt.date
    duration_months: Annotated[int, _int(1, 120)] = 24


class Results(_Model):
    """Who owns what the project creates."""

    joint_ownership: JointOwnership = JointOwnership.BY_CONTRIBUTION
    joint_owner_may_exploit: bool = True
    """Each joint owner may use a joint Result and grant non-exclusive licences after telling
    the others; otherwise every use outside the project needs all joint owners' consent."""


class AccessRights(_Model):
    """Access rights to Background and Results, and how requests for them work."""

    background_for_project: AccessTerms = AccessTerms.ROYALTY_FREE
    results_for_project: AccessTerms = AccessTerms.ROYALTY_FREE
    background_for_exploitation: AccessTerms = AccessTerms.FAIR_AND_REASONABLE
    results_for_exploitation: AccessTerms = AccessTerms.FAIR_AND_REASONABLE
    answer_period_days: Annotated[int, _int(1, 365)] = 30
    """Days the owner has to answer a request (PocExchange accepts 1 to 365)."""
    request_period_after_end_days: Annotated[int, _int(0, 3650)] = 365
    """Days after the project's end during which requests stay possible."""


class Confidentiality(_Model):
    """What is confidential and for how long."""

    scope: ConfidentialScope = ConfidentialScope.MARKED
    years_after_end: Annotated[int, _int(0, 20)] = 5


class Category(_Model):
    """A contribution category of the scoring policy; `name` and `unit` go on chain."""

    name: Label
    unit: Label
    unit_scale: Annotated[int, _int(1, 2**64 - 1)] = 1
    """How many declared units make one point (10,000 EUR-cents: 100 EUR = 1 point)."""
    weight_bps: Weight = BPS


DEFAULT_CATEGORIES: Final = (
    Category(name="person-hours", unit="hour"),
    Category(name="funding", unit="EUR-cent", unit_scale=10_000),
    Category(name="dataset", unit="point"),
    Category(name="design/document", unit="point"),
    Category(name="equipment use", unit="machine-hour", weight_bps=15_000),
)
"""Person-hours, money (100 EUR weighs as an hour), data sets and documents (in the partners'
own estimate of the hours they embody), machine hours (weighing 1.5 person-hours)."""


class Royalties(_Model):
    """The scoring policy: how recorded contributions become a royalty split."""

    categories: tuple[Category, ...] = Field(
        default=DEFAULT_CATEGORIES, min_length=1, max_length=MAX_CATEGORIES
    )
    background_weight_bps: Weight = 5_000
    result_weight_bps: Weight = BPS
    endorsement_quorum: Annotated[int, _int(0, MAX_PARTNERS - 1)] = 1
    dispute_window_days: Annotated[int, _int(0, MAX_DISPUTE_WINDOW_DAYS)] = 30
    partner_cap_bps: Bps = 0
    """0: no cap."""
    partner_floor_bps: Bps = 0
    """0: no floor."""
    parent_share_bps: Bps = 0
    """Share of a counted contribution's points passed to what it builds on (issue 18)."""
    split_approvals: Annotated[int, _int(1, MAX_PARTNERS)]
    """Partners (of today's) who must approve a split before it is final."""


class Decisions(_Model):
    """How the partners change the agreement, the policy and the membership together."""

    governance_approvals: Annotated[int, _int(1, MAX_PARTNERS)]


class Disputes(_Model):
    """Disagreements: the partners' vote on contributions, then talks, then an institution."""

    negotiation_days: Annotated[int, _int(0, 365)] = 30
    escalation: Escalation = Escalation.MEDIATION_THEN_ARBITRATION
    institution: ShortText = "CEPANI"
    """The mediation or arbitration institution whose rules apply."""
    seat: ShortText = "Brussels"
    """The city where arbitration sits or whose courts decide."""
    governing_law: Law = Law.BE


class Membership(_Model):
    """A partner leaving or joining."""

    notice_days: Annotated[int, _int(0, 365)] = 90
    leaver_keeps_access: bool = True
    """A partner that leaves keeps the access rights it needs to exploit its own Results."""


class AgreementAnswers(_Model):
    """Every answer of one version of a consortium agreement."""

    prevailing_language: Language = Language.NL
    project: Project
    partners: tuple[Partner, ...] = Field(min_length=1, max_length=MAX_PARTNERS)
    coordinator: Address
    results: Results = Results()
    access_rights: AccessRights = AccessRights()
    confidentiality: Confidentiality = Confidentiality()
    royalties: Royalties
    decisions: Decisions
    disputes: Disputes = Disputes()
    membership: Membership = Membership()

    @model_validator(mode="before")
    @classmethod
    def _default_thresholds(cls, data: Any) -> Any:
        # The default count of approvals depends on the number of partners: two thirds of
        # them, rounded up. Filled in here so the answers always state the count they mean.
        if not isinstance(data, Mapping):
            return data
        partners = data.get("partners")
        count = len(partners) if isinstance(partners, list | tuple) else 0
        default = two_thirds(max(count, 1))
        data = dict(data)
        royalties = data.get("royalties", {})
        if isinstance(royalties, Mapping) and "split_approvals" not in royalties:
            data["royalties"] = {**royalties, "split_approvals": default}
        decisions = data.get("decisions", {})
        if isinstance(decisions, Mapping) and "governance_approvals" not in decisions:
            data["decisions"] = {**decisions, "governance_approvals": default}
        return data

    @model_validator(mode="after")
    def _rules_between_fields(self) -> AgreementAnswers:
        problems = list(_cross_field_problems(self))
        if problems:
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    {
                        "type": PydanticCustomError(code, message),
                        "loc": tuple(location.split(".")),
                        "input": None,
                    }
                    for location, code, message in problems
                ],
            )
        return self

    # ---- derived facts every reader needs

    @property
    def partner_count(self) -> int:
        return len(self.partners)

    @property
    def end_date(self) -> dt.date:
        """The project's last day."""
        return add_months(self.project.start_date, self.project.duration_months) - dt.timedelta(
            days=1
        )

    def partner_by_address(self, address: str) -> Partner:
        wanted = address.lower()
        for partner in self.partners:
            if partner.address.lower() == wanted:
                return partner
        raise KeyError(address)

    def to_json(self) -> dict[str, Any]:
        """The answers as JSON values (dates ISO 8601, choices by their value)."""
        return self.model_dump(mode="json")


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved `months` calendar months on; the 31st becomes the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    last = (first_of_next - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _cross_field_problems(answers: AgreementAnswers) -> list[tuple[str, str, str]]:
    problems: list[tuple[str, str, str]] = []
    count = answers.partner_count
    if count < 2:
        problems.append(("partners", "too_few_partners", "a consortium needs two partners"))
    seen_addresses: set[str] = set()
    seen_names: set[str] = set()
    for index, partner in enumerate(answers.partners):
        if partner.address.lower() in seen_addresses:
            problems.append(
                (
                    f"partners.{index}.address",
                    "partner_address_duplicate",
                    f"{partner.address} is already a partner",
                )
            )
        if partner.name.casefold() in seen_names:
            problems.append(
                (
                    f"partners.{index}.name",
                    "partner_name_duplicate",
                    f"two partners are called {partner.name!r}",
                )
            )
        seen_addresses.add(partner.address.lower())
        seen_names.add(partner.name.casefold())
    if answers.coordinator.lower() not in seen_addresses:
        problems.append(
            (
                "coordinator",
                "coordinator_not_partner",
                "the coordinator must be one of the partners",
            )
        )
    problems.extend(_royalty_problems(answers.royalties, count))
    governance = answers.decisions.governance_approvals
    if governance > count:
        problems.append(
            (
                "decisions.governance_approvals",
                "approvals_out_of_range",
                f"{governance} approvals among {count} partners",
            )
        )
    elif count >= 2 and governance < 2:
        problems.append(
            (
                "decisions.governance_approvals",
                "governance_needs_two",
                "no partner may change the others' rights alone: at least 2 approvals",
            )
        )
    return problems


def _royalty_problems(royalties: Royalties, count: int) -> list[tuple[str, str, str]]:
    problems: list[tuple[str, str, str]] = []
    names: set[str] = set()
    for index, category in enumerate(royalties.categories):
        if category.name.casefold() in names:
            problems.append(
                (
                    f"royalties.categories.{index}.name",
                    "category_duplicate",
                    f"the category {category.name!r} is listed twice",
                )
            )
        names.add(category.name.casefold())
    if royalties.background_weight_bps == 0 and royalties.result_weight_bps == 0:
        problems.append(
            (
                "royalties.result_weight_bps",
                "origin_weights_zero",
                "Background and Results cannot both weigh nothing",
            )
        )
    if count >= 2 and royalties.endorsement_quorum > count - 1:
        problems.append(
            (
                "royalties.endorsement_quorum",
                "quorum_too_high",
                f"only {count - 1} other partners can endorse a contribution",
            )
        )
    cap, floor = royalties.partner_cap_bps, royalties.partner_floor_bps
    if cap and floor > cap:
        problems.append(
            ("royalties.partner_floor_bps", "floor_above_cap", "the floor is above the cap")
        )
    if cap and cap * count < BPS:
        problems.append(
            (
                "royalties.partner_cap_bps",
                "cap_below_fair_share",
                f"with {count} partners a cap below {-(-BPS // count)} bps cannot reach 100 %",
            )
        )
    if floor * count > BPS:
        problems.append(
            (
                "royalties.partner_floor_bps",
                "floor_above_fair_share",
                f"with {count} partners a floor above {BPS // count} bps exceeds 100 %",
            )
        )
    if royalties.split_approvals > max(count, 1):
        problems.append(
            (
                "royalties.split_approvals",
                "approvals_out_of_range",
                f"{royalties.split_approvals} approvals among {count} partners",
            )
        )
    return problems


# ------------------------------------------------------------------------------ parsing


def parse_answers(raw: Any) -> AgreementAnswers:
    """The answers in `raw` (a mapping of JSON values), or InvalidAnswersError naming every
    problem found."""
    try:
        return AgreementAnswers.model_validate(raw)
    except ValidationError as exc:
        raise InvalidAnswersError(_problems(exc)) from None


def _problems(exc: ValidationError) -> tuple[AnswerProblem, ...]:
    problems = []
    for error in exc.errors(include_url=False):
        # Locations of values inside a list are indexes; unions add their branch name, which
        # a person does not need to see.
        location = ".".join(str(part) for part in error["loc"] if part not in {"function-after"})
        problems.append(AnswerProblem(location or "answers", error["type"], error["msg"]))
    return tuple(problems)


def split_threshold(answers: AgreementAnswers) -> tuple[int, int]:
    """(approvals, partners) of a split, as the agreement states them."""
    return answers.royalties.split_approvals, answers.partner_count


def threshold_bps(answers: AgreementAnswers, kind: ThresholdKind) -> int:
    """The share in basis points the contracts store for the agreement's "n of m"."""
    approvals = (
        answers.royalties.split_approvals
        if kind is ThresholdKind.SPLIT
        else answers.decisions.governance_approvals
    )
    bps = bps_for_approvals(approvals, answers.partner_count, kind)
    assert approvals_required(bps, answers.partner_count, kind) == approvals
    return bps
