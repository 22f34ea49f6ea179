"""Disputes of contributions, their votes and outcomes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import EXAMPLE_ADDRESS, EXAMPLE_ADDRESS_2, EXAMPLE_HASH, Bytes32
from api.schemas.operations import SignatureFields
from ledger.domain.values import DisputeOutcome
from ledger.store.records import DisputeRecord


class DisputeFields(BaseModel):
    """Why the contribution is disputed: the hash of a reason the partners keep off chain."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason_hash": EXAMPLE_HASH}]})

    reason_hash: Bytes32 = Field(description="SHA-256 of the reason's text.")


class DisputeCreate(DisputeFields, SignatureFields):
    """Open a dispute (signature fields in non-custodial mode only)."""


class VoteFields(BaseModel):
    """A vote on the open dispute."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"uphold": True}]})

    uphold: bool = Field(description="True: invalidate the contribution; False: keep it.")


class VoteCreate(VoteFields, SignatureFields):
    """Vote (signature fields in non-custodial mode only)."""


class DisputeWithdrawCreate(SignatureFields):
    """Withdraw one's own open dispute (signature fields in non-custodial mode only)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}]})


class VotePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"voter": EXAMPLE_ADDRESS_2, "uphold": True}]}
    )

    voter: str
    uphold: bool


class DisputePublic(BaseModel):
    """A dispute of a contribution with its votes and outcome."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contribution_id": EXAMPLE_HASH,
                    "number": 1,
                    "project_id": 1,
                    "disputer": EXAMPLE_ADDRESS,
                    "reason_hash": EXAMPLE_HASH,
                    "eligible_voters": 1,
                    "votes": [{"voter": EXAMPLE_ADDRESS_2, "uphold": True}],
                    "outcome": "upheld",
                    "block_number": 11,
                }
            ]
        }
    )

    contribution_id: str
    number: int
    project_id: int
    disputer: str
    reason_hash: str
    eligible_voters: int = Field(description="Partners who may vote (not the two parties).")
    votes: list[VotePublic]
    outcome: str = Field(description="open, upheld, rejected or withdrawn.", examples=["open"])
    block_number: int

    @classmethod
    def of(cls, record: DisputeRecord) -> DisputePublic:
        outcome = DisputeOutcome(record.outcome)
        return cls(
            contribution_id=record.contribution_id,
            number=record.number,
            project_id=record.project_id,
            disputer=record.disputer,
            reason_hash=record.reason_hash,
            eligible_voters=record.eligible_voters,
            votes=[VotePublic(voter=v.voter, uphold=v.uphold) for v in record.votes],
            outcome="open" if outcome is DisputeOutcome.OPEN else outcome.name.lower(),
            block_number=record.block_number,
        )
