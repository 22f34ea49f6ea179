"""The one translation table of everything people read (`api/web/i18n.json`, Dutch and
English): the pages and their scripts (`api.routes.web`) and the PDF certificate, whose text is
the table's `certificate.*` keys (`certificate_text`, handed to `ledger.evidence.certificate`,
which holds no text of its own), and the single-file verifier of the evidence packs, whose text
is the `verifier.*` keys (built into ledger/evidence/verifier.html by
scripts/build_verifier_html.py)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Final, Literal

from ledger.evidence.certificate import CertificateText

I18N_FILE: Final = Path(__file__).resolve().parent / "web" / "i18n.json"
LANGUAGES: Final = ("nl", "en")
CERTIFICATE_PREFIX: Final = "certificate."
# Keys the pages never show: the certificate's and the HTML verifier's.
NOT_FOR_PAGES: Final = (CERTIFICATE_PREFIX, "verifier.")

Language = Literal["nl", "en"]


@cache
def translations() -> dict[str, dict[str, str]]:
    """The translation table: {language: {key: text}}."""
    table: dict[str, dict[str, str]] = json.loads(I18N_FILE.read_text(encoding="utf-8"))
    return table


@cache
def page_translations(language: Language) -> dict[str, str]:
    """What the pages' scripts get: the table without the certificate's and the HTML
    verifier's text."""
    return {
        key: text
        for key, text in translations()[language].items()
        if not key.startswith(NOT_FOR_PAGES)
    }


def certificate_text(language: Language) -> CertificateText:
    """The certificate's text in `language`."""
    strings = {
        key.removeprefix(CERTIFICATE_PREFIX): text
        for key, text in translations()[language].items()
        if key.startswith(CERTIFICATE_PREFIX)
    }
    return CertificateText(language, strings)
