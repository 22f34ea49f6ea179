"""Contributions: what the index holds of them, and the fields of a registration."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel
from api.schemas.cards import EXAMPLE_CARD_RECORD, CardFields, CardPublic
from api.schemas.common import (
    EXAMPLE_ADDRESS,
    EXAMPLE_COMMITMENT,
    EXAMPLE_HASH,
    EXAMPLE_SIGNED,
    STATUSES,
    Bytes32,
    OriginName,
    SafeInt,
    StatusName,
    Uint64,
)
from api.schemas.operations import SignatureFields
from ledger.domain.codec import ZERO_HASH
from ledger.store.records import ContributionRecord

EXAMPLE_CONTRIBUTION: dict[str, Any] = {
    "contributionId": EXAMPLE_HASH,
    "projectId": 1,
    "contributor": EXAMPLE_ADDRESS,
    "commitment": EXAMPLE_HASH,
    "cardHash": EXAMPLE_HASH,
    "card": {"cardHash": EXAMPLE_HASH, "status": "valid", "card": EXAMPLE_CARD_RECORD},
    "origin": "result",
    "category": 0,
    "value": "40",
    "parents": [],
    "supersedes": None,
    "supersededBy": None,
    "batchId": None,
    "registeredAt": 1767225600,
    "uri": "",
    "status": "active",
    "blockNumber": 7,
    "blockHash": EXAMPLE_HASH,
    "txHash": EXAMPLE_HASH,
    "logIndex": 0,
}


class ContributionPublic(ApiModel):
    """A registered contribution (its commitment; the document never leaves the partner)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CONTRIBUTION]})

    contribution_id: str
    project_id: SafeInt
    contributor: str
    commitment: str
    card_hash: str | None = Field(
        description="The hash of the card the contributor signed (null: registered without)."
    )
    card: CardPublic = Field(
        description="The card, when the service keeps it and it still hashes to `cardHash`."
    )
    origin: OriginName
    category: SafeInt
    value: str = Field(description="Declared value in the category's unit (decimal string).")
    parents: list[str]
    supersedes: str | None
    superseded_by: str | None
    batch_id: str | None
    registered_at: SafeInt = Field(description="Unix time of registration (batch: of anchoring).")
    uri: str
    status: StatusName
    block_number: SafeInt
    block_hash: str
    tx_hash: str
    log_index: SafeInt

    @classmethod
    def of(cls, record: ContributionRecord, card: CardPublic) -> ContributionPublic:
        return cls(
            contribution_id=record.contribution_id,
            project_id=record.project_id,
            contributor=record.contributor,
            commitment=record.commitment,
            card_hash=None if record.card_hash == ZERO_HASH else record.card_hash,
            card=card,
            origin="result" if record.origin == 1 else "background",
            category=record.category,
            value=str(record.value),
            parents=list(record.parents),
            supersedes=None if record.supersedes == ZERO_HASH else record.supersedes,
            superseded_by=record.superseded_by,
            batch_id=None if record.batch_id == ZERO_HASH else record.batch_id,
            registered_at=record.registered_at,
            uri=record.uri,
            status=STATUSES[record.status],  # type: ignore[arg-type]
            block_number=record.block_number,
            block_hash=record.block_hash,
            tx_hash=record.tx_hash,
            log_index=record.log_index,
        )


class ContributionPage(ApiModel):
    """A page of contributions; pass `nextCursor` as `cursor` to get the next one."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [EXAMPLE_CONTRIBUTION], "nextCursor": "7"}]}
    )

    items: list[ContributionPublic]
    next_cursor: str | None


class RegistrationFields(ApiModel):
    """What a partner registers: the salted commitment of a file hashed on its own machine."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "commitment": EXAMPLE_COMMITMENT,
                    "origin": "result",
                    "category": 0,
                    "value": "40",
                    "parents": [],
                    "uri": "",
                }
            ]
        }
    )

    commitment: Bytes32 = Field(
        description="keccak256(abi.encode(contributor, projectId, sha256(file), salt))."
    )
    origin: OriginName = Field(examples=["result"])
    category: Annotated[int, Field(ge=0, le=255)] = Field(
        description="Index of the category in the project's policy.", examples=[0]
    )
    value: Uint64 = Field(description="Declared value in the category's unit (uint64).")
    parents: list[Bytes32] = Field(
        default_factory=list, max_length=16, description="Contributions this one builds on."
    )
    uri: str = Field(default="", max_length=2_000, description="Optional pointer (no content!).")
    card: CardFields | None = Field(
        default=None,
        description="What the contribution is, in the partner's words (docs/proofs.md, "
        "'Contribution cards'). The service keeps it sealed for the project; its hash is part "
        "of what the partner signs (`cardHash`), so nobody can change it unseen.",
    )
    card_hash: Bytes32 | None = Field(
        default=None,
        description="With `card`: the hash the client computed, checked against the service's "
        "(422 `card_hash_mismatch`); without: the hash of a card kept elsewhere.",
    )


EXAMPLE_REGISTRATION: dict[str, Any] = {
    "commitment": EXAMPLE_COMMITMENT,
    "origin": "result",
    "category": 0,
    "value": "40",
    "parents": [],
    "uri": "",
    "card": {
        "title": "Retting trial v2",
        "description": "Enzymatic retting at 37 °C, 40 hours of lab work.",
        "file": {"name": "retting.pdf", "mediaType": "application/pdf", "size": 48213},
        "keywords": ["flax", "retting"],
    },
}


# The new version of that contribution: its own file (so its own commitment), 48 hours.
EXAMPLE_SUPERSEDE: dict[str, Any] = {
    **EXAMPLE_REGISTRATION,
    "commitment": "0xb25001ea730446f347548d7807b68880cde2688042d9b22faf775ece88400ef4",
    "value": "48",
}


class RegistrationCreate(RegistrationFields, SignatureFields):
    """Register one contribution (add signature fields in non-custodial mode)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [EXAMPLE_REGISTRATION, {**EXAMPLE_REGISTRATION, **EXAMPLE_SIGNED}]
        }
    )


class SupersedeCreate(RegistrationFields, SignatureFields):
    """The new version of a contribution; the old one becomes Superseded."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [EXAMPLE_SUPERSEDE, {**EXAMPLE_SUPERSEDE, **EXAMPLE_SIGNED}]}
    )


class WithdrawCreate(SignatureFields):
    """Withdraw a contribution (signature fields in non-custodial mode only)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}, EXAMPLE_SIGNED]})
