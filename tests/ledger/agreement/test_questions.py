"""The builder's steps cover every answer, and each answer has its "what this means for you"
line in Dutch and English in the one translation table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ledger.agreement.answers import AgreementAnswers
from ledger.agreement.questions import STEPS

I18N = Path(__file__).parents[3] / "api" / "web" / "i18n.json"
# Answers the builder fills from the items it asks for, never as questions of their own.
ITEM_FIELDS = {"partners"}


def _leaf_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    paths: set[str] = set()
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation: Any = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths |= _leaf_paths(annotation, f"{path}.")
        elif path in ITEM_FIELDS:
            partner = annotation.__args__[0]
            paths |= {f"partners.{field}" for field in partner.model_fields}
        else:
            paths.add(path)
    return paths


def test_steps_cover_every_answer_once() -> None:
    asked = [path for _, paths in STEPS for path in paths]
    assert len(asked) == len(set(asked))
    assert set(asked) == _leaf_paths(AgreementAnswers)


def test_every_answer_has_its_meaning_in_both_languages() -> None:
    table = json.loads(I18N.read_text(encoding="utf-8"))
    for _, paths in STEPS:
        for path in paths:
            for language in ("nl", "en"):
                line = table[language].get(f"agreement.means.{path}")
                assert line and "\n" not in line, (language, path)
