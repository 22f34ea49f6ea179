"""Endorsements: partners vouching for each other's contributions."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel
from api.schemas.common import EXAMPLE_ADDRESS, EXAMPLE_HASH, SafeInt
from api.schemas.operations import SignatureFields
from ledger.store.records import EndorsementRecord


class EndorsementFields(ApiModel):
    """The endorser's rating of the contribution's impact."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"rating": 4}]})

    rating: Annotated[int, Field(ge=1, le=5, description="Impact from 1 (low) to 5 (high).")]


class EndorsementCreate(EndorsementFields, SignatureFields):
    """Endorse (signature fields in non-custodial mode only)."""


class EndorsementPublic(ApiModel):
    """One endorsement on chain."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contributionId": EXAMPLE_HASH,
                    "projectId": 1,
                    "endorser": EXAMPLE_ADDRESS,
                    "rating": 4,
                    "blockNumber": 9,
                    "endorsedAt": 1767225612,
                }
            ]
        }
    )

    contribution_id: str
    project_id: SafeInt
    endorser: str
    rating: SafeInt
    block_number: SafeInt
    endorsed_at: SafeInt | None = Field(
        description="Timestamp of the endorsement's block (the ledger's time, what a person "
        "reads as the date); null while the chain node cannot be asked."
    )

    @classmethod
    def of(cls, record: EndorsementRecord, endorsed_at: int | None) -> EndorsementPublic:
        return cls(
            contribution_id=record.contribution_id,
            project_id=record.project_id,
            endorser=record.endorser,
            rating=record.rating,
            block_number=record.block_number,
            endorsed_at=endorsed_at,
        )
