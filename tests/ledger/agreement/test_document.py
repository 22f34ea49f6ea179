"""The agreement's text says what the contracts enforce: every number read back out of the
Dutch and English text (Markdown and PDF) equals the generated policy, field by field; the
canonical document is hashed as documented; partners' words cannot become markup."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

import pypdf
import pytest
import rfc8785

from ledger.agreement.answers import AgreementAnswers, Language, parse_answers
from ledger.agreement.document import (
    FORMAT,
    build_document,
    load_document,
    render_markdown,
    verify_agreement_hash,
)
from ledger.agreement.render import markdown_to_html, markdown_to_pdf, markdown_to_text
from ledger.agreement.terms import (
    ExchangeSettings,
    exchange_settings_of,
    parent_share_of,
    policy_of,
)
from ledger.domain import hashing
from ledger.domain.values import Policy
from ledger.errors import AgreementDocumentError
from tests.ledger.agreement.conftest import VARIANTS, base_answers
from tests.ledger.agreement.readback import ReadbackError, leftover_digits, read_terms

DAY = 86_400


def contract_approvals(bps: int, partners: int, *, governance: bool) -> int:
    """The count PocLedger / RoyaltyVault derive from a share (contracts/PocTypes.sol: the fewest
    k whose share k / partners, rounded half up to basis points, reaches it; at least 1;
    governance at least 2 among two or more), written here from the Solidity, not the library."""
    required = max(1, (2 * partners * bps + 2 * 10_000 - 1 - partners) // (2 * 10_000))
    return max(required, 2) if governance and partners >= 2 else required


def years_later(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def expected_terms(
    policy: Policy, settings: ExchangeSettings, answers: AgreementAnswers
) -> dict[str, Any]:
    """What the text must state, from the policy and settings the contracts receive (and, for
    the terms no contract holds, from the answers)."""
    partners = answers.partner_count
    assert policy.dispute_window % DAY == 0
    split = contract_approvals(policy.split_approval_bps, partners, governance=False)
    governance = contract_approvals(policy.governance_bps, partners, governance=True)
    last_day = dt.datetime.fromtimestamp(settings.project_end, dt.UTC).date() - dt.timedelta(1)
    expected: dict[str, Any] = {
        "background_weight_bps": policy.background_weight_bps,
        "result_weight_bps": policy.result_weight_bps,
        "endorsement_quorum": policy.endorsement_quorum,
        "dispute_window_days": policy.dispute_window // DAY,
        "partner_cap_bps": policy.partner_cap_bps,
        "partner_floor_bps": policy.partner_floor_bps,
        "parent_share_bps": parent_share_of(policy),
        "split": (split, partners, policy.split_approval_bps),
        "governance": (governance, partners, policy.governance_bps),
        "split_sentence": (split, partners),
        "governance_sentence": (governance, partners),
        "answer_period_days": settings.answer_period // DAY,
        "request_period": (
            settings.request_period_after_end // DAY,
            last_day + dt.timedelta(seconds=settings.request_period_after_end),
        ),
        "project": (answers.project.start_date, answers.project.duration_months, last_day),
        "confidentiality": (
            answers.confidentiality.years_after_end,
            years_later(last_day, answers.confidentiality.years_after_end),
        ),
        "negotiation_days": answers.disputes.negotiation_days,
        "notice_days": answers.membership.notice_days,
    }
    for index, category in enumerate(policy.categories):
        expected[f"categories.{index}"] = (category.unit_scale, category.weight_bps)
    return expected


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def assert_terms_equal(stated: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    for name, value in expected.items():
        assert stated.get(name) == value, (
            f"{where}: {name} reads {stated.get(name)!r}, not {value!r}"
        )
    assert stated.keys() == expected.keys(), where


@pytest.mark.parametrize("language", list(Language))
def test_text_numbers_equal_policy_field_by_field(
    answers: AgreementAnswers, language: Language
) -> None:
    document = build_document(answers)
    expected = expected_terms(document.policy, document.exchange_settings, answers)
    plain = markdown_to_text(document.text(language))
    assert_terms_equal(read_terms(plain, language, answers), expected, f"{language} text")
    assert leftover_digits(plain, language, answers) == []


@pytest.mark.parametrize("language", list(Language))
def test_pdf_text_numbers_equal_policy_in_both_languages(
    demo_answers: AgreementAnswers, language: Language
) -> None:
    document = build_document(demo_answers)
    pdf = markdown_to_pdf(
        document.text(language),
        language=language,
        content_hash=document.content_hash,
        title=demo_answers.project.title,
    )
    text = pdf_text(pdf)
    expected = expected_terms(document.policy, document.exchange_settings, demo_answers)
    assert_terms_equal(read_terms(text, language, demo_answers), expected, f"{language} PDF")
    notice = {
        Language.EN: "Template, not legal advice.",
        Language.NL: "Sjabloon, geen juridisch advies.",
    }[language]
    assert notice in text
    assert "0x" + document.content_hash.hex() in " ".join(text.split())
    metadata = pypdf.PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None and metadata.title == demo_answers.project.title


@pytest.mark.parametrize(
    ("language", "original", "altered"),
    [
        (Language.EN, "| Dispute window | 30 days |", "| Dispute window | 31 days |"),
        (
            Language.NL,
            "| Kleinste aandeel van elke partner | 5% |",
            "| Kleinste aandeel van elke partner | 5,5% |",
        ),
        (
            Language.EN,
            "when 2 of 3 partners have approved it",
            "when 3 of 3 partners have approved it",
        ),
        (Language.NL, "| 10.000 | 100% |", "| 10.000 | 10% |"),
    ],
)
def test_readback_fails_when_text_number_differs_from_policy(
    demo_answers: AgreementAnswers, language: Language, original: str, altered: str
) -> None:
    document = build_document(demo_answers)
    expected = expected_terms(document.policy, document.exchange_settings, demo_answers)
    markdown = document.text(language)
    assert original in markdown
    plain = markdown_to_text(markdown.replace(original, altered, 1))
    with pytest.raises((AssertionError, ReadbackError)):
        assert_terms_equal(read_terms(plain, language, demo_answers), expected, "altered")


def test_readback_flags_a_stray_number(demo_answers: AgreementAnswers) -> None:
    markdown = build_document(demo_answers).text(Language.EN)
    plain = markdown_to_text(markdown.replace("royalty-free", "royalty-free for 12 years", 1))
    assert leftover_digits(plain, Language.EN, demo_answers) == ["12"]


def test_notice_is_visible_in_both_languages(demo_answers: AgreementAnswers) -> None:
    document = build_document(demo_answers)
    assert "<strong>Template, not legal advice.</strong>" in markdown_to_html(
        document.text(Language.EN)
    )
    assert "<strong>Sjabloon, geen juridisch advies.</strong>" in markdown_to_html(
        document.text(Language.NL)
    )


def test_render_partner_words_literally_when_they_look_like_markup() -> None:
    hostile = "<script>alert(1)</script> *bold* [link](javascript:alert(1)) | & &amp;"
    raw = base_answers()
    raw["partners"][1]["name"] = "# " + hostile
    raw["partners"][1]["background"] = [{"description": "1. " + hostile}]
    raw["project"]["aim"] = "- " + hostile
    answers = parse_answers(raw)
    for language in Language:
        markdown = render_markdown(answers, language)
        html = markdown_to_html(markdown)
        assert "<script>" not in html and "<a " not in html and "<em>" not in html
        assert (
            "&lt;script&gt;alert(1)&lt;/script&gt; *bold* [link](javascript:alert(1)) | "
            "&amp; &amp;amp;" in html
        )
        plain = markdown_to_text(markdown)
        assert "# " + hostile in plain and "1. " + hostile in plain and "- " + hostile in plain
        # The partner table keeps its four columns although the name holds a "|".
        row = next(line for line in plain.splitlines() if line.startswith("# <script>"))
        assert len(row.split(" | ")) == 5  # the name's own " | " plus the three borders


def test_canonical_bytes_are_rfc8785_of_the_documented_fields(
    demo_answers: AgreementAnswers,
) -> None:
    document = build_document(demo_answers)
    data = document.canonical_bytes()
    raw = json.loads(data)
    assert data == rfc8785.dumps(raw)
    assert raw["format"] == FORMAT
    assert set(raw) == {
        "format",
        "template",
        "version",
        "amends",
        "answers",
        "policy",
        "parentShareBps",
        "policyHash",
        "exchangeSettings",
        "changes",
        "texts",
    }
    assert raw["texts"] == {"en": document.text("en"), "nl": document.text("nl")}
    assert raw["policyHash"] == "0x" + hashing.policy_hash(policy_of(demo_answers)).hex()
    assert document.content_hash == hashing.sha256_bytes(data)
    salt = bytes(range(32))
    assert document.agreement_hash(salt) == hashing.agreement_hash(document.content_hash, salt)


def test_load_document_round_trips(answers: AgreementAnswers) -> None:
    document = build_document(answers)
    loaded = load_document(document.canonical_bytes())
    assert loaded.canonical_bytes() == document.canonical_bytes()
    assert loaded.policy == policy_of(answers)
    assert loaded.exchange_settings == exchange_settings_of(answers)


def _tampered(document_bytes: bytes, change: Any) -> bytes:
    raw = json.loads(document_bytes)
    change(raw)
    return bytes(rfc8785.dumps(raw))


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (lambda raw: raw["policy"].update(endorsement_quorum=0), "agreement_policy_mismatch"),
        (lambda raw: raw.update(policyHash="0x" + "00" * 32), "agreement_policy_mismatch"),
        (lambda raw: raw["exchangeSettings"].update(answerPeriod=1), "agreement_settings_mismatch"),
        (
            lambda raw: raw["answers"]["royalties"].update(endorsement_quorum=9),
            "agreement_answers_invalid",
        ),
        (lambda raw: raw.pop("texts"), "agreement_malformed"),
        (lambda raw: raw.update(format="something/else"), "agreement_format_unknown"),
    ],
)
def test_load_document_refuses_inconsistent_documents(
    demo_answers: AgreementAnswers, tamper: Any, code: str
) -> None:
    data = _tampered(build_document(demo_answers).canonical_bytes(), tamper)
    with pytest.raises(AgreementDocumentError) as caught:
        load_document(data)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\xff\xfe", "agreement_not_json"),
        (b"[1, 2]", "agreement_format_unknown"),
        (b'{"format": "poc-ledger/consortium-agreement/1"} ', "agreement_not_canonical"),
    ],
)
def test_load_document_refuses_bytes_that_are_not_canonical(data: bytes, code: str) -> None:
    with pytest.raises(AgreementDocumentError) as caught:
        load_document(data)
    assert caught.value.code == code


def test_verify_agreement_hash_refuses_other_salt_or_text(demo_answers: AgreementAnswers) -> None:
    document = build_document(demo_answers)
    salt = hashing.new_salt()
    on_chain = document.agreement_hash(salt)
    assert verify_agreement_hash(document.canonical_bytes(), salt, on_chain).version == 1
    with pytest.raises(AgreementDocumentError) as caught:
        verify_agreement_hash(document.canonical_bytes(), hashing.new_salt(), on_chain)
    assert caught.value.code == "agreement_hash_mismatch"
    other = build_document(parse_answers(base_answers(royalties={"dispute_window_days": 29})))
    with pytest.raises(AgreementDocumentError):
        verify_agreement_hash(other.canonical_bytes(), salt, on_chain)


def test_text_has_no_template_leftovers(answers: AgreementAnswers) -> None:
    for language in Language:
        text = build_document(answers).text(language)
        assert not re.search(r"\{\{|\}\}|\{%|%\}|None|True|False", text), language
        assert "\n\n\n" not in text


def test_variants_cover_singular_none_and_grouping() -> None:
    """The answer sets above move every number (guards the readback tests' reach)."""
    texts = {
        name: build_document(parse_answers(raw)).text(Language.EN) for name, raw in VARIANTS.items()
    }
    assert "1 day " in texts["singular_and_decimals"]
    assert "| none |" in texts["defaults"]
    assert "1,234,567" in texts["singular_and_decimals"]
    assert "123.45%" in texts["singular_and_decimals"]
    assert "4 of 4 partners" in texts["four_partners_no_quorum"]
