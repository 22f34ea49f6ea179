"""The agreement's text and its canonical document: what the partners read, and what they sign.

`build_document(answers, version=..., previous=...)` writes the agreement in Dutch and in
English (Markdown, from the templates in `templates/`, written for this project) and puts it
together with everything it was made from into an `AgreementDocument`.

The canonical document (docs/agreements.md states it for outside readers) is the RFC 8785
canonical JSON (UTF-8) of:

    {"format": "poc-ledger/consortium-agreement/1", "template": TEMPLATE_VERSION,
     "version": n, "amends": <content hash of the version it replaces> | null,
     "answers": <the answers>, "policy": <Policy.to_json()>, "policyHash": "0x…",
     "exchangeSettings": {...}, "changes": [...], "texts": {"en": "…", "nl": "…"}}

Its SHA-256 is the agreement's **content hash**; the ledger records
`agreementHash = keccak256(abi.encode(contentHash, salt))` (`ledger.domain.hashing.agreement_hash`)
with a 32-byte salt kept by the partners, so that nobody outside the consortium can confirm a
guess about a text that is largely a public template. Whoever holds the canonical bytes and the
salt checks the on-chain value; `load_document` checks that a canonical document is internally
consistent (policy and its hash follow from the answers).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jinja2
import rfc8785

from ledger.agreement import wording
from ledger.agreement.amendments import Change, diff_answers
from ledger.agreement.answers import AgreementAnswers, Language, add_months, parse_answers
from ledger.agreement.terms import (
    ExchangeSettings,
    exchange_settings_of,
    parent_share_of,
    policy_of,
)
from ledger.domain import hashing
from ledger.domain.codec import to_hex
from ledger.domain.values import Policy
from ledger.errors import AgreementDocumentError, InvalidAnswersError

FORMAT: Final = "poc-ledger/consortium-agreement/1"
TEMPLATE_VERSION: Final = "2026.1"
"""Names the templates' wording; a new wording gets a new name, old documents keep theirs."""
LANGUAGES: Final = (Language.NL, Language.EN)
_TEMPLATES: Final = Path(__file__).parent / "templates"
# Text a partner typed, in the template context: the only values that are escaped for Markdown.
_FREE_TEXT_KEYS: Final = frozenset(
    {
        "title",
        "aim",
        "name",
        "company_number",
        "description",
        "conditions",
        "institution",
        "seat",
        "unit",
    }
)


class UserText(str):
    """A string a partner typed; the templates escape it for Markdown when they write it."""

    __slots__ = ()


def _finalize(value: Any) -> Any:
    return wording.markdown_text(value) if isinstance(value, UserText) else value


@functools.cache
def _environment(language: Language) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # the output is Markdown: `_finalize` escapes what partners typed
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    filters: dict[str, Callable[..., str]] = {
        "integer": lambda value: wording.integer(value, language),
        "percent": lambda bps: wording.percent(bps, language),
        "date": lambda day: wording.date(day, language),
        "count": lambda value, one, many: wording.count(value, one, many, language),
        "lower_first": lambda text: text[:1].lower() + text[1:],
    }
    environment.filters.update(filters)
    return environment


def _wrap(value: Any, key: str = "") -> Any:
    """The answers' JSON with every free-text value marked as `UserText`."""
    if isinstance(value, Mapping):
        return {k: _wrap(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_wrap(v, key) for v in value]
    if isinstance(value, str) and key in _FREE_TEXT_KEYS:
        return UserText(value)
    return value


def _change_view(change: Change) -> dict[str, Any]:
    view = {
        "kind": change.kind,
        "field": change.field,
        "value_kind": change.value_kind,
        "before": change.before,
        "after": change.after,
        "partner": UserText(change.partner) if change.partner else None,
        "category": UserText(change.category) if change.category else None,
        "item": UserText(change.item) if change.item else None,
        "partners_before": change.partners_before,
        "partners_after": change.partners_after,
    }
    if change.value_kind in ("text", "empty_text"):
        view["before"] = UserText(change.before or "")
        view["after"] = UserText(change.after or "")
    return view


def render_markdown(
    answers: AgreementAnswers,
    language: Language,
    *,
    version: int = 1,
    amends: bytes | None = None,
    changes: tuple[Change, ...] = (),
) -> str:
    """The agreement in `language`, as Markdown."""
    policy = policy_of(answers)
    end = answers.end_date
    view = _wrap(answers.model_dump())
    view["partner_count"] = answers.partner_count
    context = {
        "a": view,
        "version": version,
        "amends": to_hex(amends) if amends else None,
        "changes": [_change_view(c) for c in changes],
        "policy": policy,
        "parent_share_bps": answers.royalties.parent_share_bps,
        "end_date": end,
        "requests_until": end
        + dt.timedelta(days=answers.access_rights.request_period_after_end_days),
        "confidential_until": add_months(end, 12 * answers.confidentiality.years_after_end),
        "coordinator": _wrap(answers.partner_by_address(answers.coordinator).model_dump()),
    }
    template = _environment(language).get_template(f"agreement.{language.value}.md.j2")
    return _tidy(template.render(context))


def describe_changes(changes: tuple[Change, ...], language: Language) -> tuple[str, ...]:
    """Each change as one sentence in `language` (Markdown-escaped, as in the document)."""
    module = _environment(language).get_template(f"words.{language.value}.j2").module
    describe = module.change  # type: ignore[attr-defined]
    return tuple(str(describe(_change_view(c))) for c in changes)


def _tidy(markdown: str) -> str:
    """No trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in markdown.splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    while tidy and not tidy[-1]:
        tidy.pop()
    return "\n".join(tidy) + "\n"


# ---------------------------------------------------------------------------- the document


@dataclass(frozen=True)
class AgreementDocument:
    """One version of a consortium agreement: the answers, what they give, and the texts."""

    version: int
    answers: AgreementAnswers
    policy: Policy
    exchange_settings: ExchangeSettings
    texts: Mapping[Language, str]
    amends: bytes | None = None
    changes: tuple[Change, ...] = ()
    template: str = TEMPLATE_VERSION

    @property
    def policy_hash(self) -> bytes:
        return hashing.policy_hash(self.policy)

    def canonical_json(self) -> dict[str, Any]:
        """The document as the JSON value whose canonical form is hashed."""
        return {
            "format": FORMAT,
            "template": self.template,
            "version": self.version,
            "amends": to_hex(self.amends) if self.amends else None,
            "answers": self.answers.to_json(),
            "policy": self.policy.to_json(),
            "parentShareBps": parent_share_of(self.policy),
            "policyHash": to_hex(self.policy_hash),
            "exchangeSettings": {
                "answerPeriod": self.exchange_settings.answer_period,
                "requestPeriodAfterEnd": self.exchange_settings.request_period_after_end,
                "projectEnd": self.exchange_settings.project_end,
            },
            "changes": [c.to_json() for c in self.changes],
            "texts": {language.value: self.texts[language] for language in LANGUAGES},
        }

    def canonical_bytes(self) -> bytes:
        """RFC 8785 canonical JSON in UTF-8: the bytes the content hash is taken of."""
        return bytes(rfc8785.dumps(self.canonical_json()))

    @property
    def content_hash(self) -> bytes:
        """SHA-256 of the canonical bytes."""
        return hashing.sha256_bytes(self.canonical_bytes())

    def agreement_hash(self, salt: bytes) -> bytes:
        """The value the ledger records for this version with `salt`."""
        return hashing.agreement_hash(self.content_hash, salt)

    def text(self, language: Language | str) -> str:
        return self.texts[Language(language)]


def build_document(
    answers: AgreementAnswers, *, previous: AgreementDocument | None = None
) -> AgreementDocument:
    """Version 1 of an agreement, or the version after `previous` with what it changes.

    Raises UnsupportedTermError when the answers ask for a term the contracts cannot enforce.
    """
    policy = policy_of(answers)
    version = previous.version + 1 if previous else 1
    amends = previous.content_hash if previous else None
    changes = diff_answers(previous.answers, answers) if previous else ()
    texts = {
        language: render_markdown(
            answers, language, version=version, amends=amends, changes=changes
        )
        for language in LANGUAGES
    }
    return AgreementDocument(
        version=version,
        answers=answers,
        policy=policy,
        exchange_settings=exchange_settings_of(answers),
        texts=texts,
        amends=amends,
        changes=changes,
    )


def load_document(data: bytes) -> AgreementDocument:
    """The document whose canonical bytes are `data`; AgreementDocumentError (with a `code`)
    when they are not canonical JSON of this format or contradict themselves."""
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AgreementDocumentError(f"not JSON: {exc}", code="agreement_not_json") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise AgreementDocumentError(f"not a {FORMAT} document", code="agreement_format_unknown")
    try:
        canonical = bytes(rfc8785.dumps(raw))
    except Exception as exc:  # the library raises its own errors for values JSON allows
        raise AgreementDocumentError(str(exc), code="agreement_not_canonical") from None
    if canonical != data:
        raise AgreementDocumentError(
            "the bytes are not the RFC 8785 canonical form of their JSON",
            code="agreement_not_canonical",
        )
    try:
        answers = parse_answers(raw["answers"])
        policy = Policy.from_json(raw["policy"])
        texts = {language: str(raw["texts"][language.value]) for language in LANGUAGES}
        settings = raw["exchangeSettings"]
        exchange = ExchangeSettings(
            int(settings["answerPeriod"]),
            int(settings["requestPeriodAfterEnd"]),
            int(settings["projectEnd"]),
        )
        version = int(raw["version"])
        amends = bytes.fromhex(raw["amends"][2:]) if raw["amends"] else None
        changes = tuple(_change_from_json(c) for c in raw["changes"])
        template = str(raw["template"])
    except InvalidAnswersError as exc:
        raise AgreementDocumentError(
            f"its answers are invalid: {exc}", code="agreement_answers_invalid"
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AgreementDocumentError(
            f"a field is missing or malformed: {exc!r}", code="agreement_malformed"
        ) from None
    if policy != policy_of(answers) or raw.get("policyHash") != to_hex(hashing.policy_hash(policy)):
        raise AgreementDocumentError(
            "its policy does not follow from its answers", code="agreement_policy_mismatch"
        )
    if exchange != exchange_settings_of(answers):
        raise AgreementDocumentError(
            "its exchange settings do not follow from its answers",
            code="agreement_settings_mismatch",
        )
    return AgreementDocument(
        version=version,
        answers=answers,
        policy=policy,
        exchange_settings=exchange,
        texts=texts,
        amends=amends,
        changes=changes,
        template=template,
    )


def _change_from_json(raw: Mapping[str, Any]) -> Change:
    return Change(
        kind=str(raw["kind"]),
        field=str(raw.get("field", "")),
        value_kind=str(raw.get("valueKind", "")),
        before=raw.get("before"),
        after=raw.get("after"),
        partner=raw.get("partner"),
        category=raw.get("category"),
        item=raw.get("item"),
        partners_before=int(raw.get("partnersBefore", 0)),
        partners_after=int(raw.get("partnersAfter", 0)),
    )


def verify_agreement_hash(data: bytes, salt: bytes, agreement_hash: bytes) -> AgreementDocument:
    """The document of `data` if, with `salt`, it hashes to the on-chain `agreement_hash`;
    AgreementDocumentError (code `agreement_hash_mismatch`) otherwise."""
    document = load_document(data)
    actual = hashing.agreement_hash(hashing.sha256_bytes(data), salt)
    if actual != agreement_hash:
        raise AgreementDocumentError(
            f"the document and salt hash to {to_hex(actual)}, the ledger has "
            f"{to_hex(agreement_hash)}",
            code="agreement_hash_mismatch",
        )
    return document
