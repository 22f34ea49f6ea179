"""The demo consortium script (poc.sandbox.demo) is consistent before any chain sees it."""

from __future__ import annotations

import dataclasses
import re

from ledger.agreement.document import build_document
from ledger.agreement.terms import policy_of
from ledger.domain.hashing import policy_hash
from ledger.domain.values import Origin, Policy
from poc.sandbox import demo
from tests.ledger.scoring.histories import DAY, T0, History, address


def test_demo_company_numbers_pass_the_kbo_check() -> None:
    for partner in demo.PARTNERS:
        match = re.fullmatch(r"BE (\d{4})\.(\d{3})\.(\d{3})", partner.company_number)
        assert match, partner.company_number
        digits = "".join(match.groups())
        assert 97 - int(digits[:8]) % 97 == int(digits[8:]), partner.company_number


def test_demo_contributions_link_only_earlier_ones() -> None:
    seen: set[str] = set()
    for item in demo.CONTRIBUTIONS:
        assert set(item.parents) <= seen, item.key
        assert 0 <= item.category < len(demo.CATEGORIES)
        seen.add(item.key)
    assert len(seen) == len(demo.CONTRIBUTIONS)


def test_demo_covers_every_partner_origin_and_category() -> None:
    labels = {p.label for p in demo.PARTNERS}
    for label in labels:
        origins = {c.origin for c in demo.CONTRIBUTIONS if c.partner == label}
        assert origins == {Origin.BACKGROUND, Origin.RESULT}, label
    assert {c.category for c in demo.CONTRIBUTIONS} == set(range(len(demo.CATEGORIES)))


def test_demo_endorsements_are_by_other_partners_once() -> None:
    partner_of = {c.key: c.partner for c in demo.CONTRIBUTIONS}
    pairs = [(e.partner, e.contribution) for e in demo.ENDORSEMENTS]
    assert len(set(pairs)) == len(pairs)
    for endorsement in demo.ENDORSEMENTS:
        assert endorsement.partner != partner_of[endorsement.contribution]
        assert 1 <= endorsement.rating <= 5


def test_demo_documents_differ_and_name_their_partner() -> None:
    documents = [c.document() for c in demo.CONTRIBUTIONS]
    assert len(set(documents)) == len(documents)
    for item, text in zip(demo.CONTRIBUTIONS, documents, strict=True):
        assert demo.partner(item.partner).name in text


def test_demo_policy_hashes() -> None:
    assert len(policy_hash(demo.POLICY)) == 32
    assert demo.POLICY.partner_floor_bps <= demo.POLICY.partner_cap_bps
    assert demo.CATEGORY_NAMES[demo.FUNDING] == "funding"


def test_demo_agreement_gives_the_demo_policy_field_by_field() -> None:
    addresses = {p.label: "0x" + f"{i + 1:02x}" * 20 for i, p in enumerate(demo.PARTNERS)}
    answers = demo.agreement_answers(addresses)
    policy = policy_of(answers)
    for field in dataclasses.fields(Policy):
        assert getattr(policy, field.name) == getattr(demo.POLICY, field.name), field.name
    document = build_document(answers)
    assert [p.name for p in answers.partners] == [p.name for p in demo.PARTNERS]
    for text in document.texts.values():
        for partner in demo.PARTNERS:
            assert partner.name in text
        for item in demo.CONTRIBUTIONS:
            if item.origin is Origin.BACKGROUND:
                assert item.title in text, item.key


def test_demo_policy_means_two_of_three_and_passes_credit_along_builds_on() -> None:
    assert demo.POLICY.split_approvals_required(len(demo.PARTNERS)) == 2
    assert demo.POLICY.governance_approvals_required(len(demo.PARTNERS)) == 2
    assert demo.POLICY.parent_share_bps
    # The demo's contributions and endorsements, scored once their dispute window is over.
    partners = {p.label: address(p.label) for p in demo.PARTNERS}
    history = History(list(partners.values()), demo.POLICY, project_id=1)
    ids: dict[str, str] = {}
    for item in demo.CONTRIBUTIONS:
        ids[item.key] = history.register(
            partners[item.partner],
            item.value,
            category=item.category,
            origin=item.origin,
            parents=[ids[key] for key in item.parents],
        )
    for e in demo.ENDORSEMENTS:
        history.endorse(ids[e.contribution], (partners[e.partner], e.rating))
    result = history.score(as_of=T0 + demo.POLICY.dispute_window + DAY)
    received = {label: result.partner(a).received_points for label, a in partners.items()}
    assert received["leievlas"] > 0 and received["unikortrijk"] > 0
    layup = result.explain(ids["centre-frame-layup"])
    assert [link.points > 0 for link in layup.parents] == [True, True, False]  # own mould: none
