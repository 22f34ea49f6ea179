"""Disputes of contributions, their votes and outcomes."""

from __future__ import annotations

from pydantic import ConfigDict, Field, model_validator

from api.schemas.base import ApiModel
from api.schemas.cards import EXAMPLE_REASON_RECORD, ReasonFields, ReasonPublic
from api.schemas.common import EXAMPLE_ADDRESS, EXAMPLE_ADDRESS_2, EXAMPLE_HASH, Bytes32, SafeInt
from api.schemas.operations import SignatureFields
from ledger.domain.values import DisputeOutcome
from ledger.store.records import DisputeRecord


class DisputeFields(ApiModel):
    """Why the contribution is disputed: the reason in the disputer's words (kept by the
    service, sealed, readable by the project's partners and granted auditors), whose hash goes
    on chain as `reasonHash` (docs/proofs.md). A bare `reasonHash` of a reason kept elsewhere
    is still accepted; then the voters see no reason here."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"reason": {"text": EXAMPLE_REASON_RECORD["text"]}},
                {"reasonHash": EXAMPLE_HASH},
            ]
        }
    )

    reason: ReasonFields | None = None
    reason_hash: Bytes32 | None = Field(
        default=None,
        description="With `reason`: must equal its hash (a check); without: the hash of a "
        "reason kept elsewhere.",
    )

    @model_validator(mode="after")
    def _reason_given(self) -> DisputeFields:
        if self.reason is None and self.reason_hash is None:
            raise ValueError("give the reason (or the hash of a reason kept elsewhere)")
        return self


class DisputeCreate(DisputeFields, SignatureFields):
    """Open a dispute (signature fields in non-custodial mode only)."""


class VoteFields(ApiModel):
    """A vote on the open dispute."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"uphold": True}]})

    uphold: bool = Field(description="True: invalidate the contribution; False: keep it.")


class VoteCreate(VoteFields, SignatureFields):
    """Vote (signature fields in non-custodial mode only)."""


class DisputeWithdrawCreate(SignatureFields):
    """Withdraw one's own open dispute (signature fields in non-custodial mode only)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}]})


class VotePublic(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"voter": EXAMPLE_ADDRESS_2, "uphold": True}]}
    )

    voter: str
    uphold: bool


class DisputePublic(ApiModel):
    """A dispute of a contribution with its votes and outcome."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contributionId": EXAMPLE_HASH,
                    "number": 1,
                    "projectId": 1,
                    "disputer": EXAMPLE_ADDRESS,
                    "reasonHash": EXAMPLE_HASH,
                    "reason": {
                        "reasonHash": EXAMPLE_HASH,
                        "status": "valid",
                        "reason": EXAMPLE_REASON_RECORD,
                    },
                    "eligibleVoters": 1,
                    "votes": [{"voter": EXAMPLE_ADDRESS_2, "uphold": True}],
                    "upholdVotes": 1,
                    "rejectVotes": 0,
                    "votesNeeded": 1,
                    "outcome": "upheld",
                    "openedAt": 1767225600,
                    "blockNumber": 11,
                }
            ]
        }
    )

    contribution_id: str
    number: SafeInt
    project_id: SafeInt
    disputer: str
    reason_hash: str
    reason: ReasonPublic = Field(description="The reason's text, if the service keeps it.")
    eligible_voters: SafeInt = Field(description="Partners who may vote (not the two parties).")
    votes: list[VotePublic]
    uphold_votes: SafeInt = Field(description="Votes that the dispute is right.")
    reject_votes: SafeInt = Field(description="Votes that the dispute is wrong.")
    votes_needed: SafeInt = Field(
        description="Votes one side needs to decide (a strict majority of the eligible "
        "voters): voting closes as soon as one side has them; there is no time limit."
    )
    outcome: str = Field(description="open, upheld, rejected or withdrawn.", examples=["open"])
    opened_at: SafeInt | None = Field(
        description="Unix time of the block that opened it (null while the node is away)."
    )
    block_number: SafeInt

    @classmethod
    def of(
        cls, record: DisputeRecord, reason: ReasonPublic, opened_at: int | None
    ) -> DisputePublic:
        outcome = DisputeOutcome(record.outcome)
        uphold = sum(1 for v in record.votes if v.uphold)
        return cls(
            contribution_id=record.contribution_id,
            number=record.number,
            project_id=record.project_id,
            disputer=record.disputer,
            reason_hash=record.reason_hash,
            reason=reason,
            eligible_voters=record.eligible_voters,
            votes=[VotePublic(voter=v.voter, uphold=v.uphold) for v in record.votes],
            uphold_votes=uphold,
            reject_votes=len(record.votes) - uphold,
            votes_needed=record.eligible_voters // 2 + 1,
            outcome="open" if outcome is DisputeOutcome.OPEN else outcome.name.lower(),
            opened_at=opened_at,
            block_number=record.block_number,
        )
