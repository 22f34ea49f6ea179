"""Merkle batches of contributions: anchoring a root, revealing its leaves."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel
from api.schemas.cards import CardFields
from api.schemas.common import (
    EXAMPLE_COMMITMENT,
    EXAMPLE_HASH,
    EXAMPLE_SIGNED,
    Bytes32,
    OriginName,
    Uint64,
)
from api.schemas.operations import SignatureFields

MAX_BATCH = 10_000


# Two leaves: 40 person-hours of results building on an earlier contribution, and a
# background data set the partner declares at 40 points.
EXAMPLE_LEAVES: list[dict[str, Any]] = [
    {
        "commitment": EXAMPLE_COMMITMENT,
        "origin": "result",
        "category": 0,
        "value": "40",
        "parents": [EXAMPLE_HASH],
    },
    {
        "commitment": "0x509ad6a8270e4f22ce9839b73c6a6e114da45026d66973b3a6697cf3823a4c74",
        "origin": "background",
        "category": 2,
        "value": "40",
    },
]


EXAMPLE_BATCH: dict[str, Any] = {"items": EXAMPLE_LEAVES, "uri": ""}


class LeafFields(ApiModel):
    """One contribution of a batch."""

    model_config = ConfigDict(json_schema_extra={"examples": [*EXAMPLE_LEAVES]})

    commitment: Bytes32
    origin: OriginName = "result"
    category: Annotated[int, Field(ge=0, le=255)] = 0
    value: Uint64 = 0
    parents: list[Bytes32] = Field(default_factory=list, max_length=16)
    card: CardFields | None = Field(
        default=None,
        description="The contribution's card, as for a single registration: its hash is part "
        "of the leaf (the signature over the root covers it), and the service keeps it sealed "
        "for the project's readers once the batch is accepted.",
    )
    card_hash: Bytes32 | None = Field(
        default=None,
        description="The hash of the contribution's card (docs/proofs.md): it is part of the "
        "leaf, so the signature over the root covers it. With `card`, it must be that card's "
        "hash (`card_hash_mismatch`); alone, the service holds no card (it reads `not_kept`). "
        "Left out, with no `card`: no card.",
    )


class BatchFields(ApiModel):
    """The leaves to anchor under one Merkle root."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_BATCH]})

    items: list[LeafFields] = Field(min_length=1, max_length=MAX_BATCH)
    uri: str = Field(default="", max_length=2_000)


class BatchCreate(BatchFields, SignatureFields):
    """Anchor a batch (signature fields in non-custodial mode only)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [EXAMPLE_BATCH, {**EXAMPLE_BATCH, **EXAMPLE_SIGNED}]}
    )


class RevealCreate(ApiModel):
    """Which leaves to reveal (their positions in the batch); all when left out."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"indices": [0, 1]}, {}]})

    indices: list[Annotated[int, Field(ge=0, lt=MAX_BATCH)]] | None = Field(
        default=None, max_length=MAX_BATCH
    )
