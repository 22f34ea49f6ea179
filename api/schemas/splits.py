"""Scores, split proposals and royalty statements."""

from __future__ import annotations

from fractions import Fraction
from typing import Literal, cast

from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel
from api.schemas.common import (
    EXAMPLE_ADDRESS,
    EXAMPLE_ADDRESS_2,
    EXAMPLE_HASH,
    BlockNumber,
    SafeInt,
    Uint32,
    Uint64Out,
)
from api.schemas.operations import SignatureFields
from ledger.scoring.results import ContributionExplanation, PartnerExplanation, ScoreResult
from ledger.scoring.statements import RoyaltyStatement
from ledger.store.records import SplitProposalRecord

CreditName = Literal["takes_part", "own", "not_taking_part", "unknown"]


class SplitEntryPublic(ApiModel):
    """One partner's share in basis points (10000 = 100 %)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"partner": EXAMPLE_ADDRESS, "bps": 5000}]}
    )

    partner: str = Field(examples=[EXAMPLE_ADDRESS])
    bps: SafeInt = Field(examples=[5000])


class PartnerScorePublic(ApiModel):
    """How one partner's share came about (fractions as exact "p/q" strings)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "partner": EXAMPLE_ADDRESS,
                    "member": True,
                    "rawPoints": "1650",
                    "ownPoints": "1600",
                    "receivedPoints": "80",
                    "passedPoints": "30",
                    "shareBefore": "33/106",
                    "adjustment": "SCALED",
                    "shareAfter": "11/28",
                    "bps": 3929,
                    "roundingBonus": 1,
                    "counted": [EXAMPLE_HASH],
                    "notCounted": [],
                }
            ]
        }
    )

    partner: str
    member: bool = Field(description="A partner at the evaluation time (False: removed).")
    raw_points: str = Field(
        description="What its contributions keep: own points - passed + received."
    )
    own_points: str = Field(description="The points of its counted contributions.")
    received_points: str = Field(
        description="Received from other partners' work that builds on its contributions."
    )
    passed_points: str = Field(
        description="What its contributions passed to the work they build on."
    )
    share_before: str
    adjustment: str = Field(description="UNCHANGED, SCALED, CAPPED, FLOORED or RESIDUAL.")
    share_after: str
    bps: SafeInt
    rounding_bonus: SafeInt
    counted: list[str]
    not_counted: list[str]

    @classmethod
    def of(cls, p: PartnerExplanation) -> PartnerScorePublic:
        return cls(
            partner=p.partner,
            member=p.member,
            raw_points=str(p.raw_points),
            own_points=str(p.own_points),
            received_points=str(p.received_points),
            passed_points=str(p.passed_points),
            share_before=str(p.share_before),
            adjustment=p.adjustment.value,
            share_after=str(p.share_after),
            bps=p.bps,
            rounding_bonus=p.rounding_bonus,
            counted=list(p.counted),
            not_counted=list(p.not_counted),
        )


class ParentCreditPublic(ApiModel):
    """One contribution another builds on, and the points it took from that one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"parent": EXAMPLE_HASH, "credit": "takes_part", "points": "32"}]
        }
    )

    parent: str
    credit: CreditName = Field(
        description="takes_part: another partner's that counts (or stands in for a version "
        "that does); own: the contributor's own, which takes nothing; not_taking_part: it "
        "does not count; unknown: not in this project."
    )
    points: str


class EndorsementScorePublic(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"endorser": EXAMPLE_ADDRESS_2, "rating": 4}]}
    )

    endorser: str
    rating: SafeInt


class ContributionScorePublic(ApiModel):
    """Whether a contribution counts, why (not), and the factors of its points."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contributionId": EXAMPLE_HASH,
                    "contributor": EXAMPLE_ADDRESS,
                    "origin": "result",
                    "category": 0,
                    "value": "40",
                    "registeredAt": 1767225600,
                    "status": "COUNTED",
                    "reason": "counted: 10000/10000 x 10000/10000 x 40/1 x rating 4 = 160",
                    "endorsements": [{"endorser": EXAMPLE_ADDRESS_2, "rating": 4}],
                    "ignoredEndorsements": [],
                    "quorum": 1,
                    "windowEndsAt": 1767830400,
                    "disputeNumber": None,
                    "disputeVotes": None,
                    "rating": 4,
                    "categoryWeightBps": 10000,
                    "originWeightBps": 10000,
                    "unitScale": "1",
                    "points": "160",
                    "received": "0",
                    "parents": [{"parent": EXAMPLE_HASH, "credit": "takes_part", "points": "32"}],
                    "kept": "128",
                }
            ]
        }
    )

    contribution_id: str
    contributor: str
    origin: Literal["background", "result"]
    category: SafeInt
    value: str
    registered_at: SafeInt
    status: str = Field(description="COUNTED or the first reason it does not count.")
    reason: str = Field(description="The status as a sentence.")
    endorsements: list[EndorsementScorePublic]
    ignored_endorsements: list[EndorsementScorePublic]
    quorum: SafeInt
    window_ends_at: SafeInt
    dispute_number: SafeInt | None
    dispute_votes: list[SafeInt] | None = Field(
        description="Of an open dispute: [uphold, reject, eligible voters]."
    )
    rating: SafeInt | None
    category_weight_bps: SafeInt | None = Field(description="None for an unknown category.")
    origin_weight_bps: SafeInt
    unit_scale: Uint64Out | None = Field(description="None for an unknown category.")
    points: str = Field(
        description="value / unit_scale x category weight x origin weight x rating (weights "
        "as bps / 10000); 0 unless COUNTED."
    )
    received: str = Field(description="What work that builds on it passed to it.")
    parents: list[ParentCreditPublic] = Field(
        description="The distinct contributions it builds on and what each took from it "
        "(empty when the policy passes no parent share)."
    )
    kept: str = Field(description="points + received - what it passed: its contributor's.")

    @classmethod
    def of(cls, x: ContributionExplanation) -> ContributionScorePublic:
        return cls(
            contribution_id=x.contribution_id,
            contributor=x.contributor,
            origin="result" if int(x.origin) == 1 else "background",
            category=x.category,
            value=str(x.value),
            registered_at=x.registered_at,
            status=x.status.value,
            reason=x.reason,
            endorsements=[EndorsementScorePublic(endorser=e, rating=r) for e, r in x.endorsements],
            ignored_endorsements=[
                EndorsementScorePublic(endorser=e, rating=r) for e, r in x.ignored_endorsements
            ],
            quorum=x.quorum,
            window_ends_at=x.window_ends_at,
            dispute_number=x.dispute_number,
            dispute_votes=None if x.dispute_votes is None else list(x.dispute_votes),
            rating=x.rating,
            category_weight_bps=x.category_weight_bps,
            origin_weight_bps=x.origin_weight_bps,
            unit_scale=x.unit_scale,
            points=str(x.points),
            received=str(x.received),
            parents=[
                ParentCreditPublic(
                    parent=link.parent,
                    credit=cast(CreditName, link.credit.value.lower()),
                    points=str(link.points),
                )
                for link in x.parents
            ],
            kept=str(x.kept),
        )


class ScorePublic(ApiModel):
    """The split the scoring gives at one block, explained per partner and contribution."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "projectId": 1,
                    "computedAtBlock": 42,
                    "asOf": 1767225600,
                    "policyVersion": 1,
                    "policyHash": EXAMPLE_HASH,
                    "split": [
                        {"partner": EXAMPLE_ADDRESS, "bps": 6000},
                        {"partner": EXAMPLE_ADDRESS_2, "bps": 4000},
                    ],
                    "emptyReason": None,
                    "partners": [],
                    "totalPoints": "500",
                    "scaleFactor": "1",
                    "countedCount": 2,
                    "contributionCount": 3,
                    "inputSetHash": EXAMPLE_HASH,
                    "contributions": [],
                }
            ]
        }
    )

    project_id: SafeInt
    computed_at_block: SafeInt
    as_of: SafeInt = Field(description="Timestamp of `computedAtBlock`: the evaluation time.")
    policy_version: SafeInt
    policy_hash: str
    split: list[SplitEntryPublic] = Field(description="Non-zero shares, ascending by address.")
    empty_reason: str | None
    partners: list[PartnerScorePublic]
    total_points: str
    scale_factor: str
    counted_count: SafeInt
    contribution_count: SafeInt
    input_set_hash: str
    contributions: list[ContributionScorePublic] | None = Field(
        description="Per-contribution explanations (left out with explain=false)."
    )

    @classmethod
    def of(cls, result: ScoreResult, block: int, explain: bool) -> ScorePublic:
        return cls(
            project_id=result.project_id,
            computed_at_block=block,
            as_of=result.as_of,
            policy_version=result.policy_version,
            policy_hash=result.policy_hash,
            split=[SplitEntryPublic(partner=e.partner, bps=e.bps) for e in result.split],
            empty_reason=result.empty_reason,
            partners=[PartnerScorePublic.of(p) for p in result.partners],
            total_points=_fraction(result.total_points),
            scale_factor=_fraction(result.scale_factor),
            counted_count=result.counted_count,
            contribution_count=result.contribution_count,
            input_set_hash=result.input_set_hash,
            contributions=[ContributionScorePublic.of(x) for x in result.contributions()]
            if explain
            else None,
        )


def _fraction(value: Fraction) -> str:
    return str(value)


class SplitProposalPublic(ApiModel):
    """A split proposal of the RoyaltyVault; `splitVersion` once finalized."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "proposalId": 1,
                    "projectId": 1,
                    "proposer": EXAMPLE_ADDRESS,
                    "split": [
                        {"partner": EXAMPLE_ADDRESS, "bps": 6000},
                        {"partner": EXAMPLE_ADDRESS_2, "bps": 4000},
                    ],
                    "policyVersion": 1,
                    "computedAtBlock": 42,
                    "inputSetHash": EXAMPLE_HASH,
                    "approvals": [EXAMPLE_ADDRESS],
                    "approvalsRequired": 2,
                    "eligible": [EXAMPLE_ADDRESS, EXAMPLE_ADDRESS_2],
                    "waitingFor": [EXAMPLE_ADDRESS_2],
                    "finalized": False,
                    "splitVersion": None,
                    "blockNumber": 43,
                    "proposedAt": 1767225600,
                    "finalizedAtBlock": None,
                    "finalizedAt": None,
                }
            ]
        }
    )

    proposal_id: SafeInt
    project_id: SafeInt
    proposer: str
    split: list[SplitEntryPublic]
    policy_version: SafeInt
    computed_at_block: SafeInt
    input_set_hash: str
    approvals: list[str]
    approvals_required: SafeInt | None = Field(
        description="Approvals that finalize it, as the vault fixed them when it was proposed "
        "(docs/governance.md, Thresholds); None when the vault could not be read."
    )
    eligible: list[str] = Field(
        description="Partners who may approve it: partners now, and already when it was "
        'proposed. `approvalsRequired` of `eligible` is the "n of m" people read.'
    )
    waiting_for: list[str] = Field(
        description="Eligible partners who have not approved it (empty once finalized)."
    )
    finalized: bool
    split_version: SafeInt | None
    block_number: SafeInt
    proposed_at: SafeInt | None = Field(description="Timestamp of the proposal (from the vault).")
    finalized_at_block: SafeInt | None = Field(description="Block in which it became a version.")
    finalized_at: SafeInt | None = Field(
        description="Timestamp from which it is in force (the split money follows)."
    )

    @classmethod
    def of(
        cls,
        record: SplitProposalRecord,
        *,
        required: int | None,
        eligible: tuple[str, ...],
        proposed_at: int | None,
        finalized_block: int | None,
        finalized_at: int | None,
    ) -> SplitProposalPublic:
        approvers = {a.lower() for a in record.approvals}
        return cls(
            proposal_id=record.proposal_id,
            project_id=record.project_id,
            proposer=record.proposer,
            split=[
                SplitEntryPublic(partner=p, bps=b)
                for p, b in zip(record.partners, record.bps, strict=True)
            ],
            policy_version=record.policy_version,
            computed_at_block=record.computed_at_block,
            input_set_hash=record.input_set_hash,
            approvals=list(record.approvals),
            approvals_required=required,
            eligible=list(eligible),
            waiting_for=[]
            if record.split_version is not None
            else [p for p in eligible if p.lower() not in approvers],
            finalized=record.split_version is not None,
            split_version=record.split_version,
            block_number=record.block_number,
            proposed_at=proposed_at,
            finalized_at_block=finalized_block,
            finalized_at=finalized_at,
        )


class SplitFields(ApiModel):
    """What to score for the proposal; the index's newest block and the latest policy when
    left out. Non-custodial: repeat the values of the typed data `/prepare` returned."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}]})

    policy_version: Uint32 | None = Field(default=None, examples=[1])
    computed_at_block: BlockNumber | None = Field(default=None, examples=[42])


class SplitCreate(SplitFields, SignatureFields):
    """Propose the score as a split (signature fields in non-custodial mode only)."""


class SplitApprovalCreate(SignatureFields):
    """Approve a split (signature fields in non-custodial mode only)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}]})


class StatementLinePublic(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "partner": EXAMPLE_ADDRESS,
                    "bps": 6000,
                    "amount": "60000",
                    "amountDecimal": "600.00",
                }
            ]
        }
    )

    partner: str
    bps: SafeInt
    amount: str = Field(description="Smallest currency units (decimal string).")
    amount_decimal: str


class StatementPublic(ApiModel):
    """A revenue amount divided by a split, to the last unit (largest remainder)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "projectId": 1,
                    "basis": "finalized_split",
                    "splitVersion": 1,
                    "date": "2026-01-31",
                    "currency": "EUR",
                    "decimals": 2,
                    "token": None,
                    "total": "100000",
                    "totalDecimal": "1000.00",
                    "rule": "floor(amount * bps / 10000) per partner; ...",
                    "lines": [
                        {
                            "partner": EXAMPLE_ADDRESS,
                            "bps": 6000,
                            "amount": "60000",
                            "amountDecimal": "600.00",
                        }
                    ],
                }
            ]
        }
    )

    project_id: SafeInt
    basis: Literal["finalized_split", "current_score"] = Field(
        description="A finalized split version, or (none finalized yet) the current score, "
        "then `splitVersion` is 0: an estimate, not a booking."
    )
    split_version: SafeInt
    date: str
    currency: str
    decimals: SafeInt
    token: str | None
    total: str
    total_decimal: str
    rule: str
    lines: list[StatementLinePublic]

    @classmethod
    def of(cls, statement: RoyaltyStatement, basis: str) -> StatementPublic:
        return cls.model_validate({**statement.as_dict(), "basis": basis})
