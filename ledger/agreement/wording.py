"""How numbers, dates and partners' own words are written in an agreement's Markdown.

One function per kind of value and language, so that a percentage, a number of days or a
date reads the same everywhere in a text, and a reader (or a test) can read it back exactly:

- basis points as a percentage with at most two decimals, no rounding (6,666 bps: "66.66%" in
  English, "66,66%" in Dutch);
- whole numbers with thousands grouped ("10,000" / "10.000");
- dates as "1 January 2026" / "1 januari 2026".

`markdown_text` escapes what a partner typed (a name, a description) so that it shows as
typed: it can never become a heading, a link, a table cell border or HTML.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from ledger.agreement.answers import Language

_MONTHS: Final = {
    Language.EN: (
        *("January", "February", "March", "April", "May", "June"),
        *("July", "August", "September", "October", "November", "December"),
    ),
    Language.NL: (
        *("januari", "februari", "maart", "april", "mei", "juni"),
        *("juli", "augustus", "september", "oktober", "november", "december"),
    ),
}
_GROUP: Final = {Language.EN: ",", Language.NL: "."}
_DECIMAL: Final = {Language.EN: ".", Language.NL: ","}


def integer(value: int, language: Language) -> str:
    """A whole number with thousands grouped: 10000 -> "10,000" (en) / "10.000" (nl)."""
    return f"{value:,}".replace(",", _GROUP[language])


def percent(bps: int, language: Language) -> str:
    """Basis points as an exact percentage: 5000 -> "50%", 6666 -> "66.66%" / "66,66%"."""
    whole, rest = divmod(bps, 100)
    text = integer(whole, language)
    if rest:
        text += _DECIMAL[language] + f"{rest:02d}".rstrip("0")
    return text + "%"


def date(day: dt.date, language: Language) -> str:
    """A date in words: "1 January 2026" / "1 januari 2026"."""
    return f"{day.day} {_MONTHS[language][day.month - 1]} {day.year}"


def count(value: int, one: str, many: str, language: Language) -> str:
    """A number with its noun: "1 day", "30 days"."""
    return f"{integer(value, language)} {one if value == 1 else many}"


_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_LINE_START = re.compile(r"^(#|[-+=]|>)")
_ORDERED_START = re.compile(r"^(\d{1,9})([.)])")


def markdown_text(text: str) -> str:
    """`text` (one line, as the answers keep it) escaped for Markdown so it shows literally."""
    escaped = _INLINE_SPECIAL.sub(r"\\\1", text)
    if _LINE_START.match(escaped):
        escaped = "\\" + escaped
    return _ORDERED_START.sub(r"\1\\\2", escaped)
