"""Reads the terms back out of an agreement's text, the way a careful reader would: written
apart from the templates and the library's formatting, so that a number the text gets wrong
shows up as a difference from the policy the contracts apply.

`read_terms(text, language, answers)` takes the text with white space collapsed (from the
Markdown's plain text or from the PDF) and returns every number it states, by field. Each field
is looked for wherever the text states it (the table and the sentences); all its statements must
agree, or ReadbackError says where they differ. `leftover_digits` returns the digits the text
holds outside the statements read, the partners' own words, hashes and section numbers: a
number with no meaning the reader knows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ledger.agreement.answers import AgreementAnswers, Language

MONTHS = {
    "en": "january february march april may june july august september october november december",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
}
SEP = r"(?: \| | )"


class ReadbackError(AssertionError):
    """The text states a term twice with different numbers, or not at all."""


def number_pattern(language: str) -> str:
    group, decimal = (",", ".") if language == "en" else (".", ",")
    return rf"\d{{1,3}}(?:{re.escape(group)}\d{{3}})*(?:{re.escape(decimal)}\d+)?"


def parse_number(text: str, language: str) -> Fraction:
    group, decimal = (",", ".") if language == "en" else (".", ",")
    return Fraction(text.replace(group, "").replace(decimal, "."))


def parse_bps(text: str, language: str) -> int:
    value = parse_number(text.rstrip("%"), language) * 100
    if value.denominator != 1:
        raise ReadbackError(f"{text} is not a whole number of basis points")
    return int(value)


def parse_date(text: str, language: str) -> dt.date:
    day, month, year = text.split(" ")
    return dt.date(int(year), MONTHS[language].split().index(month.lower()) + 1, int(day))


@dataclass
class Reading:
    text: str
    language: str
    values: dict[str, Any] = field(default_factory=dict)
    spans: list[tuple[int, int]] = field(default_factory=list)

    def find(self, name: str, pattern: str, convert: Any, *, required: bool = True) -> None:
        """Every match of `pattern` states field `name` (its groups converted by `convert`)."""
        found = False
        for match in re.finditer(pattern, self.text):
            found = True
            value = convert(*match.groups())
            self.spans.append(match.span())
            if name in self.values and self.values[name] != value:
                raise ReadbackError(
                    f"{self.language}: {name} is stated as {self.values[name]!r} and as "
                    f"{value!r} ({match.group(0)!r})"
                )
            self.values[name] = value
        if required and not found:
            raise ReadbackError(f"{self.language}: the text does not state {name} ({pattern})")


def read_terms(text: str, language: Language, answers: AgreementAnswers) -> dict[str, Any]:
    """Every number the text states, by field (see the module docstring)."""
    return _read(text, language, answers).values


def _read(text: str, language: Language, answers: AgreementAnswers) -> Reading:
    lang = language.value
    text = " ".join(text.split())
    reading = Reading(text, lang)
    n = number_pattern(lang)
    pct = rf"({n})%"
    date = rf"(\d{{1,2}} (?i:{'|'.join(MONTHS[lang].split())}) \d{{4}})"

    def bps(value: str) -> int:
        return parse_bps(value, lang)

    def whole(value: str) -> int:
        number = parse_number(value, lang)
        if number.denominator != 1:
            raise ReadbackError(f"{value} is not a whole number")
        return int(number)

    def limit(value: str | None) -> int:
        return 0 if value is None else bps(value)

    def approvals(count: str, partners: str) -> tuple[int, int]:
        return whole(count), whole(partners)

    def on_date(value: str) -> dt.date:
        return parse_date(value, lang)

    words = _WORDS[lang]
    for name, label, kind in words["table"]:
        label_re = re.escape(label)
        if kind == "bps":
            reading.find(name, rf"{label_re}{SEP}{pct}", bps)
        elif kind == "limit":
            reading.find(name, rf"{label_re}{SEP}(?:{pct}|{words['none']})", limit)
        elif kind == "count":
            reading.find(name, rf"{label_re}{SEP}({n})(?! ?%)", whole)
        elif kind == "days":
            reading.find(name, rf"{label_re}{SEP}({n}) {words['days']}", whole)
        elif kind == "approvals":
            reading.find(
                name,
                rf"{label_re}{SEP}({n}) {words['of']} ({n}) partners, {words['that is']} {pct} "
                rf"{words['of the partners']}",
                lambda c, m, p: (whole(c), whole(m), bps(p)),
            )
    for name, pattern, kind in words["sentences"]:
        convert = {
            "count": whole,
            "approvals": approvals,
            "date": on_date,
            "project": lambda a, b, c: (on_date(a), whole(b), on_date(c)),
            "until": lambda a, b: (whole(a), on_date(b)),
        }[kind]
        pattern = pattern.replace("{n}", f"({n})").replace("{date}", date)
        reading.find(name, pattern, convert)
    for index, category in enumerate(answers.royalties.categories):
        reading.find(
            f"categories.{index}",
            rf"{re.escape(category.name)}{SEP}{re.escape(category.unit)}{SEP}({n}){SEP}{pct}",
            lambda scale, weight: (whole(scale), bps(weight)),
        )
    return reading


def leftover_digits(text: str, language: Language, answers: AgreementAnswers) -> list[str]:
    """Digits the reader cannot place: outside every statement read, the partners' own words,
    hashes and addresses, section numbers and the version."""
    reading = _read(text, language, answers)
    rest = list(reading.text)
    for start, end in reading.spans:
        rest[start:end] = [" "] * (end - start)
    remaining = "".join(rest)
    remaining = re.sub(r"0x[0-9a-fA-F]+", " ", remaining)
    for own in sorted(_own_words(answers), key=len, reverse=True):
        remaining = remaining.replace(own, " ")
    words = _WORDS[language.value]
    remaining = re.sub(rf"(?:{words['section']}) \d+", " ", remaining)
    remaining = re.sub(rf"{words['version']} \d+", " ", remaining)
    remaining = re.sub(r"(?:^| )\d{1,2}\. ", " ", remaining)  # numbered headings
    return re.findall(r"\S*\d\S*", remaining)


def _own_words(answers: AgreementAnswers) -> set[str]:
    own = {
        answers.project.title,
        answers.project.aim,
        answers.disputes.institution,
        answers.disputes.seat,
    }
    for partner in answers.partners:
        own |= {partner.name, partner.company_number}
        own |= {item.description for item in partner.background}
        own |= {item.conditions for item in partner.background}
        own |= {item.description for item in partner.excluded}
    for category in answers.royalties.categories:
        own |= {category.name, category.unit}
    return {text for text in own if text}


_WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "none": "none",
        "days": "days?",
        "of": "of",
        "that is": "that is",
        "of the partners": "of the partners",
        "section": "section",
        "version": "Version",
        "table": (
            ("background_weight_bps", "Weight of Background", "bps"),
            ("result_weight_bps", "Weight of Results", "bps"),
            ("endorsement_quorum", "Endorsements a contribution needs", "count"),
            ("dispute_window_days", "Dispute window", "days"),
            ("partner_cap_bps", "Largest share of one partner", "limit"),
            ("partner_floor_bps", "Smallest share of each partner", "limit"),
            ("parent_share_bps", "Share passed to the work a contribution builds on", "bps"),
            ("split", "Approvals to make a split final", "approvals"),
            (
                "governance",
                "Approvals to change the agreement, the policy or the partners",
                "approvals",
            ),
        ),
        "sentences": (
            (
                "endorsement_quorum",
                r"counts once at least {n} other partners? endorsed it",
                "count",
            ),
            ("dispute_window_days", r"its dispute window of {n} days? has passed", "count"),
            ("dispute_window_days", r"disputes it on the ledger within {n} days? after", "count"),
            (
                "split_sentence",
                r"becomes final when {n} of {n} partners have approved it",
                "approvals",
            ),
            (
                "governance_sentence",
                r"proposal on the ledger that {n} of {n} partners approve",
                "approvals",
            ),
            ("answer_period_days", r"The owner answers within {n} days?", "count"),
            (
                "request_period",
                r"Requests are possible until {n} days? after the project ends, "
                r"that is until {date} inclusive",
                "until",
            ),
            (
                "project",
                r"It starts on {date} and runs for {n} months?, until {date} inclusive",
                "project",
            ),
            (
                "confidentiality",
                r"for {n} years? after it ends, that is until {date} inclusive",
                "until",
            ),
            ("negotiation_days", r"among themselves, for {n} days? after", "count"),
            ("notice_days", r"giving the others {n} (?:day's|days') notice", "count"),
        ),
    },
    "nl": {
        "none": "geen",
        "days": "(?:dagen|dag)",
        "of": "van de",
        "that is": "dat is",
        "of the partners": "van de partners",
        "section": "artikel",
        "version": "Versie",
        "table": (
            ("background_weight_bps", "Gewicht van Achtergrondkennis", "bps"),
            ("result_weight_bps", "Gewicht van Resultaten", "bps"),
            ("endorsement_quorum", "Bevestigingen die een bijdrage nodig heeft", "count"),
            ("dispute_window_days", "Betwistingstermijn", "days"),
            ("partner_cap_bps", "Grootste aandeel van één partner", "limit"),
            ("partner_floor_bps", "Kleinste aandeel van elke partner", "limit"),
            ("parent_share_bps", "Aandeel voor het werk waarop een bijdrage voortbouwt", "bps"),
            ("split", "Goedkeuringen om een verdeling definitief te maken", "approvals"),
            (
                "governance",
                "Goedkeuringen om de overeenkomst, het beleid of de partners te wijzigen",
                "approvals",
            ),
        ),
        "sentences": (
            (
                "endorsement_quorum",
                r"telt mee zodra minstens {n} andere partners? ze bevestigde",
                "count",
            ),
            (
                "dispute_window_days",
                r"haar betwistingstermijn van {n} (?:dagen|dag) verstreken",
                "count",
            ),
            (
                "dispute_window_days",
                r"betwist ze op het grootboek binnen {n} (?:dagen|dag)",
                "count",
            ),
            (
                "split_sentence",
                r"wordt definitief zodra {n} van de {n} partners ze goedkeurden",
                "approvals",
            ),
            (
                "governance_sentence",
                r"voorstel op het grootboek dat {n} van de {n} partners "
                r"goedkeuren",
                "approvals",
            ),
            ("answer_period_days", r"De eigenaar antwoordt binnen {n} (?:dagen|dag)", "count"),
            (
                "request_period",
                r"Verzoeken zijn mogelijk tot {n} (?:dagen|dag) na het einde van "
                r"het project, dat is tot en met {date}",
                "until",
            ),
            (
                "project",
                r"Het start op {date} en loopt {n} (?:maanden|maand), tot en met {date}",
                "project",
            ),
            ("confidentiality", r"{n} jaar na het einde ervan, dat is tot en met {date}", "until"),
            ("negotiation_days", r"gedurende {n} (?:dagen|dag) nadat", "count"),
            ("notice_days", r"de anderen {n} (?:dagen|dag) vooraf", "count"),
        ),
    },
}
