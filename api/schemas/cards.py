"""Contribution cards and dispute reasons as a request carries them, and as a read returns them.

In: what a person typed (`CardFields`, `ReasonFields`); the service tidies it and checks it with
`ledger.domain.cards` (codes `card_*`, `reason_*`, 422). A member the format does not have is
`card_unknown_field` / `reason_unknown_field`. `salt` may be left out: the service then derives
one from its records key and the request (the same request, the same salt).

Out: the record in its stored form (the JSON of docs/proofs.md, member names as there), with
the hash it must have (`cardHash`/`reasonHash`, signed by the partner) and whether the stored
record still has it (`valid`; `altered` records are never served: the card is then null).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.base import ApiModel
from api.schemas.common import EXAMPLE_HASH, EXAMPLE_SALT, Bytes32, SafeInt
from ledger.domain.cards import CARD_KIND, REASON_KIND, ContributionCard, DisputeReason
from ledger.errors import RecordFormatError

RecordStatus = Literal["valid", "altered", "not_kept", "none"]
RECORD_STATUS_DESCRIPTION = (
    "`valid`: the stored record hashes to the signed value; `altered`: it was changed in the "
    "service's database and is not served; `not_kept`: the chain names a hash but this service "
    "holds no record for it (registered elsewhere, or before cards); `none`: no record was "
    "signed (zero hash)."
)


def _unknown(model: BaseModel, prefix: str, where: str = "") -> None:
    extra = sorted((model.model_extra or {}).keys())
    if extra:
        name = f"{where}.{extra[0]}" if where else extra[0]
        raise RecordFormatError(
            f"unknown field {name!r}", code=f"{prefix}_unknown_field", field=name
        )


class CardFileFields(ApiModel):
    """The registered file as the partner's machine saw it (never its content)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "additionalProperties": False,
            "examples": [{"name": "retting.pdf", "mediaType": "application/pdf", "size": 48213}],
        },
    )

    name: str = Field(examples=["retting-trial.pdf"])
    media_type: str = Field(default="", examples=["application/pdf"])
    size: SafeInt = Field(strict=True, examples=[48213], description="Bytes.")


class ParentNoteFields(ApiModel):
    """How the contribution builds on one of its parents."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "additionalProperties": False,
            "examples": [
                {"contributionId": EXAMPLE_HASH, "note": "uses its decorticator settings"}
            ],
        },
    )

    contribution_id: Bytes32
    note: str = Field(examples=["uses its decorticator settings"])


class CardFields(ApiModel):
    """The contribution card, as the partner writes it (any language)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "additionalProperties": False,
            "examples": [
                {
                    "title": "Retting trial v2",
                    "description": "Enzymatic retting at 37 °C, 40 hours of lab work.",
                    "file": {"name": "retting.pdf", "mediaType": "application/pdf", "size": 48213},
                    "keywords": ["flax", "retting"],
                    "parentNotes": [],
                }
            ],
        },
    )

    title: str = Field(description="Required; at most 200 characters, one line.")
    description: str = Field(default="", description="At most 10,000 characters.")
    file: CardFileFields | None = None
    keywords: list[str] = Field(default_factory=list, description="At most 20, each <= 64.")
    parent_notes: list[ParentNoteFields] = Field(
        default_factory=list,
        description="Per parent (one of the registration's `parents`): how this builds on it.",
    )
    salt: Bytes32 | None = Field(
        default=None,
        description="32 random bytes; left out, the service derives one from its records key.",
        examples=[EXAMPLE_SALT],
    )

    def to_card(self, salt: bytes) -> ContributionCard:
        """The canonical card (tidied, checked); `salt` is used when the body has none."""
        _unknown(self, "card")
        if self.file is not None:
            _unknown(self.file, "card", "file")
        for index, note in enumerate(self.parent_notes):
            _unknown(note, "card", f"parent_notes[{index}]")
        return ContributionCard.create(
            title=self.title,
            description=self.description,
            file_name=None if self.file is None else self.file.name,
            media_type=None if self.file is None else self.file.media_type,
            size=None if self.file is None else self.file.size,
            keywords=self.keywords,
            parent_notes=[(n.contribution_id, n.note) for n in self.parent_notes],
            salt=bytes.fromhex(self.salt[2:]) if self.salt else salt,
        )


class ReasonFileFields(ApiModel):
    """A file the reason points to: its name and SHA-256 (the file stays with the partners)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "additionalProperties": False,
            "examples": [{"name": "paper-2019.pdf", "sha256": EXAMPLE_HASH}],
        },
    )

    name: str = Field(examples=["paper-2019.pdf"])
    sha256: Bytes32


class ReasonFields(ApiModel):
    """Why the contribution is disputed, in the disputer's words."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "additionalProperties": False,
            "examples": [{"text": "The same retting method was published by Lab Gent in 2019."}],
        },
    )

    text: str = Field(description="Required; at most 20,000 characters.")
    file: ReasonFileFields | None = None
    salt: Bytes32 | None = Field(
        default=None,
        description="32 random bytes; left out, the service derives one from its records key.",
    )

    def to_reason(self, salt: bytes) -> DisputeReason:
        _unknown(self, "reason")
        if self.file is not None:
            _unknown(self.file, "reason", "file")
        return DisputeReason.create(
            text=self.text,
            file_name=None if self.file is None else self.file.name,
            file_sha256=None if self.file is None else self.file.sha256,
            salt=bytes.fromhex(self.salt[2:]) if self.salt else salt,
        )


# ------------------------------------------------------------------------------ reads

EXAMPLE_CARD_RECORD: dict[str, Any] = {
    "description": "Enzymatic retting at 37 °C, 40 hours of lab work.",
    "file": {"mediaType": "application/pdf", "name": "retting.pdf", "size": 48213},
    "keywords": ["flax", "retting"],
    "kind": CARD_KIND,
    "parents": [],
    "salt": EXAMPLE_SALT,
    "title": "Retting trial v2",
    "version": 1,
}
EXAMPLE_REASON_RECORD: dict[str, Any] = {
    "file": None,
    "kind": REASON_KIND,
    "salt": EXAMPLE_SALT,
    "text": "The same retting method was published by Lab Gent in 2019.",
    "version": 1,
}


class CardPublic(ApiModel):
    """A contribution's card and whether it is the one the partner signed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"cardHash": EXAMPLE_HASH, "status": "valid", "card": EXAMPLE_CARD_RECORD}]
        }
    )

    card_hash: str | None = Field(description="The hash the partner signed (null: none).")
    status: RecordStatus = Field(description=RECORD_STATUS_DESCRIPTION)
    card: dict[str, Any] | None = Field(
        description="The card as stored (docs/proofs.md), when `status` is `valid`."
    )


class ReasonPublic(ApiModel):
    """A dispute's reason and whether it is the one the disputer signed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"reasonHash": EXAMPLE_HASH, "status": "valid", "reason": EXAMPLE_REASON_RECORD}
            ]
        }
    )

    reason_hash: str
    status: RecordStatus = Field(description=RECORD_STATUS_DESCRIPTION)
    reason: dict[str, Any] | None = Field(
        description="The reason as stored (docs/proofs.md), when `status` is `valid`."
    )
