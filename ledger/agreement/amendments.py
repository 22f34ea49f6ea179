"""What an amendment changes: the differences between two versions' answers, as a list a person
can read in either language (`ledger.agreement.document.describe_changes`) and as data that goes
into the new version's canonical document.

Partners are matched by their ledger address (a renamed partner is the same partner), categories
by name, Background and exclusion items by their full content (an edited item reads as one taken
out and one added). The order of the list is the order of the agreement's sections.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from ledger.agreement.answers import AgreementAnswers, BackgroundItem, Category, Partner

SCALAR_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("prevailing_language", "language"),
    ("project.title", "text"),
    ("project.aim", "text"),
    ("project.start_date", "date"),
    ("project.duration_months", "months"),
    ("results.joint_ownership", "joint_ownership"),
    ("results.joint_owner_may_exploit", "bool"),
    ("access_rights.background_for_project", "access_terms"),
    ("access_rights.results_for_project", "access_terms"),
    ("access_rights.background_for_exploitation", "access_terms"),
    ("access_rights.results_for_exploitation", "access_terms"),
    ("access_rights.answer_period_days", "days"),
    ("access_rights.request_period_after_end_days", "days"),
    ("confidentiality.scope", "scope"),
    ("confidentiality.years_after_end", "years"),
    ("royalties.background_weight_bps", "bps"),
    ("royalties.result_weight_bps", "bps"),
    ("royalties.endorsement_quorum", "count"),
    ("royalties.dispute_window_days", "days"),
    ("royalties.partner_cap_bps", "limit"),
    ("royalties.partner_floor_bps", "limit"),
    ("royalties.parent_share_bps", "bps"),
)
"""Answers compared one to one: (dotted path, kind of value)."""
APPROVAL_FIELDS: Final = ("royalties.split_approvals", "decisions.governance_approvals")
"""Counts read as "n of m partners": a partner joining changes them too."""
DISPUTE_AND_MEMBERSHIP_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("disputes.negotiation_days", "days"),
    ("disputes.escalation", "escalation"),
    ("disputes.institution", "text"),
    ("disputes.seat", "text"),
    ("disputes.governing_law", "law"),
    ("membership.notice_days", "days"),
    ("membership.leaver_keeps_access", "bool"),
)
_PARTNER_FIELDS: Final = (
    ("name", "text"),
    ("kind", "partner_kind"),
    ("company_number", "empty_text"),
)
_CATEGORY_FIELDS: Final = (("unit", "text"), ("unit_scale", "count"), ("weight_bps", "bps"))


@dataclass(frozen=True)
class Change:
    """One difference between two versions.

    `kind` is "changed" (a value: `field`, `value_kind`, `before`, `after`), "partner_joined",
    "partner_left", "background_added" / "background_removed", "excluded_added" /
    "excluded_removed" (`partner` and `item`), or "category_added" / "category_removed"
    (`category`). `partner` names the partner concerned (its name in the earlier version when
    it has one); `partners_before` / `partners_after` are the partner counts of an "n of m".
    """

    kind: str
    field: str = ""
    value_kind: str = ""
    before: Any = None
    after: Any = None
    partner: str | None = None
    category: str | None = None
    item: str | None = None
    partners_before: int = 0
    partners_after: int = 0

    def to_json(self) -> dict[str, Any]:
        """The change as JSON values, without the empty fields."""
        raw = {
            "kind": self.kind,
            "field": self.field,
            "valueKind": self.value_kind,
            "before": _json_value(self.before),
            "after": _json_value(self.after),
            "partner": self.partner,
            "category": self.category,
            "item": self.item,
            "partnersBefore": self.partners_before,
            "partnersAfter": self.partners_after,
        }
        return {key: value for key, value in raw.items() if value not in (None, "", 0)}


def _json_value(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def diff_answers(before: AgreementAnswers, after: AgreementAnswers) -> tuple[Change, ...]:
    """Every difference from `before` to `after`, in the order of the agreement's sections."""
    return tuple(_diff(before, after))


def _diff(before: AgreementAnswers, after: AgreementAnswers) -> Iterator[Change]:
    old_json, new_json = before.model_dump(), after.model_dump()
    yield from _scalars(SCALAR_FIELDS[:5], old_json, new_json)
    if before.coordinator.lower() != after.coordinator.lower():
        yield Change(
            "changed",
            "coordinator",
            "text",
            _name_of(before, before.coordinator),
            _name_of(after, after.coordinator),
        )
    yield from _partners(before, after)
    yield from _scalars(SCALAR_FIELDS[5:], old_json, new_json)
    yield from _categories(before.royalties.categories, after.royalties.categories)
    for path in APPROVAL_FIELDS:
        old, new = _at(old_json, path), _at(new_json, path)
        if (old, before.partner_count) != (new, after.partner_count):
            yield Change(
                "changed",
                path,
                "approvals",
                old,
                new,
                partners_before=before.partner_count,
                partners_after=after.partner_count,
            )
    yield from _scalars(DISPUTE_AND_MEMBERSHIP_FIELDS, old_json, new_json)


def _at(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value[part]
    return value


def _scalars(
    fields: tuple[tuple[str, str], ...], old: dict[str, Any], new: dict[str, Any]
) -> Iterator[Change]:
    for path, value_kind in fields:
        before, after = _at(old, path), _at(new, path)
        if before != after:
            yield Change("changed", path, value_kind, before, after)


def _name_of(answers: AgreementAnswers, address: str) -> str:
    return answers.partner_by_address(address).name


def _partners(before: AgreementAnswers, after: AgreementAnswers) -> Iterator[Change]:
    old = {p.address.lower(): p for p in before.partners}
    new = {p.address.lower(): p for p in after.partners}
    for address, partner in old.items():
        if address not in new:
            yield Change("partner_left", partner=partner.name)
    for address, partner in new.items():
        if address not in old:
            yield Change("partner_joined", partner=partner.name)
            yield from _items(partner.name, (), partner.background, "background")
            yield from _items(partner.name, (), partner.excluded, "excluded")
    for address, previous in old.items():
        current = new.get(address)
        if current is not None:
            yield from _partner_changes(previous, current)


def _partner_changes(previous: Partner, current: Partner) -> Iterator[Change]:
    for name, value_kind in _PARTNER_FIELDS:
        old, new = getattr(previous, name), getattr(current, name)
        if old != new:
            yield Change("changed", f"partner.{name}", value_kind, old, new, partner=previous.name)
    yield from _items(previous.name, previous.background, current.background, "background")
    yield from _items(previous.name, previous.excluded, current.excluded, "excluded")


def _items(partner: str, old: tuple[Any, ...], new: tuple[Any, ...], what: str) -> Iterator[Change]:
    # Multisets: the same item listed twice and then once is one removal.
    removed = Counter(old) - Counter(new)
    added = Counter(new) - Counter(old)
    for item in old:
        if removed[item]:
            removed[item] -= 1
            yield Change(f"{what}_removed", partner=partner, item=_item_text(item))
    for item in new:
        if added[item]:
            added[item] -= 1
            yield Change(f"{what}_added", partner=partner, item=_item_text(item))


def _item_text(item: Any) -> str:
    if isinstance(item, BackgroundItem) and item.conditions:
        return f"{item.description} ({item.conditions})"
    return str(item.description)


def _categories(old: tuple[Category, ...], new: tuple[Category, ...]) -> Iterator[Change]:
    before = {c.name.casefold(): c for c in old}
    after = {c.name.casefold(): c for c in new}
    for key, category in before.items():
        if key not in after:
            yield Change("category_removed", category=category.name)
    for key, category in after.items():
        if key not in before:
            yield Change("category_added", category=category.name)
    for key, previous in before.items():
        current = after.get(key)
        if current is None:
            continue
        for name, value_kind in _CATEGORY_FIELDS:
            old_value, new_value = getattr(previous, name), getattr(current, name)
            if old_value != new_value:
                yield Change(
                    "changed",
                    f"category.{name}",
                    value_kind,
                    old_value,
                    new_value,
                    category=previous.name,
                )
