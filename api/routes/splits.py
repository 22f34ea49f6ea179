"""Splits and statements: the current score and why, split proposals and approvals, finalized
split versions, and royalty statements.

The score is computed by `ledger.scoring.scheme` over the project's events in the local index, up to
a block the index covers, evaluated at that block's timestamp: exactly what `poc score
--at-block N` recomputes from the chain alone. Proposing puts the current score on chain with
its block, policy version and input-set hash (`proposeSplitBySig`); anyone can later check it
with `poc score --check-split V`. A non-custodial partner signs what `/splits/prepare` returns
and posts back the `computed_at_block` and `policy_version` of that typed data, so that the
API recomputes the very split that was signed.
"""

from __future__ import annotations

import datetime
from fractions import Fraction
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.access import require_readable_project
from api.actions import (
    ACCEPTED_RESPONSES,
    OperationPublic,
    PreparedPublic,
    SignatureFields,
    SignedAction,
    Writes,
    WritesDep,
    signed_call,
)
from api.deps import VAULT, ReaderDep, ServicesDep
from api.errors import (
    ERROR_RESPONSES,
    ConflictError,
)
from api.schemas import EXAMPLE_ADDRESS, EXAMPLE_ADDRESS_2, EXAMPLE_HASH, Uint32, Uint64
from api.services.splits import score_project, split_proposal, statement_basis
from ledger.chain.signing import approve_split_data, propose_split_data
from ledger.domain.values import SplitInput
from ledger.scoring.results import ContributionExplanation, PartnerExplanation, ScoreResult
from ledger.scoring.statements import RoyaltyStatement, build_statement
from ledger.store import SplitProposalRecord

router = APIRouter(prefix="/projects", tags=["splits"], responses=ERROR_RESPONSES)

ProjectIdPath = Annotated[int, Path(ge=1, le=2**32 - 1, description="Project id.")]
# uint64 on chain, but ids count up from 1: the index keeps them as signed 64-bit integers.
SplitProposalIdPath = Annotated[int, Path(ge=1, le=2**63 - 1, description="Split proposal id.")]


# ------------------------------------------------------------------------------ bodies


class SplitEntryPublic(BaseModel):
    """One partner's share in basis points (10000 = 100 %)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"partner": EXAMPLE_ADDRESS, "bps": 5000}]}
    )

    partner: str = Field(examples=[EXAMPLE_ADDRESS])
    bps: int = Field(examples=[5000])


class PartnerScorePublic(BaseModel):
    """How one partner's share came about (fractions as exact "p/q" strings)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "partner": EXAMPLE_ADDRESS,
                    "member": True,
                    "raw_points": "1650",
                    "share_before": "33/106",
                    "adjustment": "SCALED",
                    "share_after": "11/28",
                    "bps": 3929,
                    "rounding_bonus": 1,
                    "counted": [EXAMPLE_HASH],
                    "not_counted": [],
                }
            ]
        }
    )

    partner: str
    member: bool = Field(description="A partner at the evaluation time (False: removed).")
    raw_points: str
    share_before: str
    adjustment: str = Field(description="UNCHANGED, SCALED, CAPPED, FLOORED or RESIDUAL.")
    share_after: str
    bps: int
    rounding_bonus: int
    counted: list[str]
    not_counted: list[str]

    @classmethod
    def of(cls, p: PartnerExplanation) -> PartnerScorePublic:
        return cls(
            partner=p.partner,
            member=p.member,
            raw_points=str(p.raw_points),
            share_before=str(p.share_before),
            adjustment=p.adjustment.value,
            share_after=str(p.share_after),
            bps=p.bps,
            rounding_bonus=p.rounding_bonus,
            counted=list(p.counted),
            not_counted=list(p.not_counted),
        )


class EndorsementScorePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"endorser": EXAMPLE_ADDRESS_2, "rating": 4}]}
    )

    endorser: str
    rating: int


class ContributionScorePublic(BaseModel):
    """Whether a contribution counts, why (not), and the factors of its points."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contribution_id": EXAMPLE_HASH,
                    "contributor": EXAMPLE_ADDRESS,
                    "origin": "result",
                    "category": 0,
                    "value": "40",
                    "registered_at": 1767225600,
                    "status": "COUNTED",
                    "reason": "counted: 10000/10000 x 10000/10000 x 40/1 x rating 4 = 160",
                    "endorsements": [{"endorser": EXAMPLE_ADDRESS_2, "rating": 4}],
                    "ignored_endorsements": [],
                    "quorum": 1,
                    "window_ends_at": 1767830400,
                    "dispute_number": None,
                    "dispute_votes": None,
                    "rating": 4,
                    "points": "160",
                }
            ]
        }
    )

    contribution_id: str
    contributor: str
    origin: Literal["background", "result"]
    category: int
    value: str
    registered_at: int
    status: str = Field(description="COUNTED or the first reason it does not count.")
    reason: str = Field(description="The status as a sentence.")
    endorsements: list[EndorsementScorePublic]
    ignored_endorsements: list[EndorsementScorePublic]
    quorum: int
    window_ends_at: int
    dispute_number: int | None
    dispute_votes: list[int] | None = Field(
        description="Of an open dispute: [uphold, reject, eligible voters]."
    )
    rating: int | None
    points: str

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
            points=str(x.points),
        )


class ScorePublic(BaseModel):
    """The split the scoring gives at one block, explained per partner and contribution."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "project_id": 1,
                    "computed_at_block": 42,
                    "as_of": 1767225600,
                    "policy_version": 1,
                    "policy_hash": EXAMPLE_HASH,
                    "split": [
                        {"partner": EXAMPLE_ADDRESS, "bps": 6000},
                        {"partner": EXAMPLE_ADDRESS_2, "bps": 4000},
                    ],
                    "empty_reason": None,
                    "partners": [],
                    "total_points": "500",
                    "scale_factor": "1",
                    "counted_count": 2,
                    "contribution_count": 3,
                    "input_set_hash": EXAMPLE_HASH,
                    "contributions": [],
                }
            ]
        }
    )

    project_id: int
    computed_at_block: int
    as_of: int = Field(description="Timestamp of `computed_at_block`: the evaluation time.")
    policy_version: int
    policy_hash: str
    split: list[SplitEntryPublic] = Field(description="Non-zero shares, ascending by address.")
    empty_reason: str | None
    partners: list[PartnerScorePublic]
    total_points: str
    scale_factor: str
    counted_count: int
    contribution_count: int
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


class SplitProposalPublic(BaseModel):
    """A split proposal of the RoyaltyVault; `split_version` once finalized."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "proposal_id": 1,
                    "project_id": 1,
                    "proposer": EXAMPLE_ADDRESS,
                    "split": [
                        {"partner": EXAMPLE_ADDRESS, "bps": 6000},
                        {"partner": EXAMPLE_ADDRESS_2, "bps": 4000},
                    ],
                    "policy_version": 1,
                    "computed_at_block": 42,
                    "input_set_hash": EXAMPLE_HASH,
                    "approvals": [EXAMPLE_ADDRESS],
                    "finalized": False,
                    "split_version": None,
                    "block_number": 43,
                }
            ]
        }
    )

    proposal_id: int
    project_id: int
    proposer: str
    split: list[SplitEntryPublic]
    policy_version: int
    computed_at_block: int
    input_set_hash: str
    approvals: list[str]
    finalized: bool
    split_version: int | None
    block_number: int

    @classmethod
    def of(cls, record: SplitProposalRecord) -> SplitProposalPublic:
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
            finalized=record.split_version is not None,
            split_version=record.split_version,
            block_number=record.block_number,
        )


class SplitFields(BaseModel):
    """What to score for the proposal; the index's newest block and the latest policy when
    left out. Non-custodial: repeat the values of the typed data `/prepare` returned."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}]})

    policy_version: Uint32 | None = Field(default=None, examples=[1])
    computed_at_block: Uint64 | None = Field(default=None, examples=[42])


class SplitCreate(SplitFields, SignatureFields):
    """Propose the score as a split (signature fields in non-custodial mode only)."""


class SplitApprovalCreate(SignatureFields):
    """Approve a split (signature fields in non-custodial mode only)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}]})


class StatementLinePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "partner": EXAMPLE_ADDRESS,
                    "bps": 6000,
                    "amount": "60000",
                    "amount_decimal": "600.00",
                }
            ]
        }
    )

    partner: str
    bps: int
    amount: str = Field(description="Smallest currency units (decimal string).")
    amount_decimal: str


class StatementPublic(BaseModel):
    """A revenue amount divided by a split, to the last unit (largest remainder)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "project_id": 1,
                    "basis": "finalized_split",
                    "split_version": 1,
                    "date": "2026-01-31",
                    "currency": "EUR",
                    "decimals": 2,
                    "token": None,
                    "total": "100000",
                    "total_decimal": "1000.00",
                    "rule": "floor(amount * bps / 10000) per partner; ...",
                    "lines": [
                        {
                            "partner": EXAMPLE_ADDRESS,
                            "bps": 6000,
                            "amount": "60000",
                            "amount_decimal": "600.00",
                        }
                    ],
                }
            ]
        }
    )

    project_id: int
    basis: Literal["finalized_split", "current_score"] = Field(
        description="A finalized split version, or (none finalized yet) the current score, "
        "then `split_version` is 0: an estimate, not a booking."
    )
    split_version: int
    date: str
    currency: str
    decimals: int
    token: str | None
    total: str
    total_decimal: str
    rule: str
    lines: list[StatementLinePublic]

    @classmethod
    def of(cls, statement: RoyaltyStatement, basis: str) -> StatementPublic:
        return cls.model_validate({**statement.as_dict(), "basis": basis})


# ------------------------------------------------------------------------------ scoring


@router.get("/{project_id}/score", response_model=ScorePublic, summary="Current split and why")
def get_score(
    services: ServicesDep,
    principal: ReaderDep,
    project_id: ProjectIdPath,
    at_block: Annotated[Uint64 | None, Query(description="Score as of this block.")] = None,
    policy_version: Annotated[Uint32 | None, Query(description="Default: the latest.")] = None,
    explain: Annotated[bool, Query(description="Include per-contribution reasons.")] = True,
) -> ScorePublic:
    """The split the scoring gives now (or at `at_block`), with every partner's share and every
    contribution's status explained. `poc score --at-block N` gives the same from the chain."""
    result, block = score_project(
        services, principal, project_id, at_block=at_block, policy_version=policy_version
    )
    return ScorePublic.of(result, block, explain)


# ------------------------------------------------------------------------------ proposals


@router.get("/{project_id}/splits", response_model=list[SplitProposalPublic], summary="List splits")
def list_splits(
    services: ServicesDep,
    principal: ReaderDep,
    project_id: ProjectIdPath,
    finalized: Annotated[
        bool | None, Query(description="true: finalized split versions only.")
    ] = None,
) -> list[SplitProposalPublic]:
    """The project's split proposals, oldest first; `finalized=true` lists the split versions."""
    require_readable_project(services, principal, project_id)
    records = services.store.split_proposals(project_id)
    if finalized is not None:
        records = tuple(r for r in records if (r.split_version is not None) == finalized)
    return [SplitProposalPublic.of(r) for r in records]


@router.get(
    "/{project_id}/splits/{proposal_id}",
    response_model=SplitProposalPublic,
    summary="Get a split proposal",
)
def get_split(
    services: ServicesDep,
    principal: ReaderDep,
    project_id: ProjectIdPath,
    proposal_id: SplitProposalIdPath,
) -> SplitProposalPublic:
    """One split proposal with its approvals."""
    return SplitProposalPublic.of(split_proposal(services, principal, project_id, proposal_id))


def _propose_action(writes: Writes, project_id: int, body: SplitFields) -> SignedAction:
    result, block = score_project(
        writes.services,
        writes.principal,
        project_id,
        at_block=body.computed_at_block,
        policy_version=body.policy_version,
    )
    if not result.split:
        raise ConflictError(f"nothing to split yet: {result.empty_reason}", code="nothing_to_split")
    split = SplitInput.sorted_from(
        result.bps(),
        policy_version=result.policy_version,
        computed_at_block=block,
        input_set_hash=bytes.fromhex(result.input_set_hash[2:]),
    )
    gas = writes.services.require_chain().vault.gas_limit(
        "proposeSplit", items=len(split.partners), by_sig=True
    )
    return SignedAction(
        kind="propose_split",
        contract=VAULT,
        project_id=project_id,
        typed_data=lambda domain, signer, nonce, deadline: propose_split_data(
            domain,
            project_id=project_id,
            split=split,
            signer=signer,
            nonce=nonce,
            deadline=deadline,
        ),
        call=lambda auth: signed_call(
            VAULT, "proposeSplitBySig", (project_id, split.as_abi()), auth, gas
        ),
        dedupe_key=(f"propose_split:{project_id}:{writes.actor}:{block}:{result.policy_version}"),
    )


@router.post(
    "/{project_id}/splits",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Propose the current score as a split",
)
def propose_split(writes: WritesDep, project_id: ProjectIdPath, body: SplitCreate) -> JSONResponse:
    """Put the score (at the index's newest block, or `computed_at_block`) on chain as a split
    proposal with its policy version and input-set hash; the proposer's approval counts.
    `resource_id` is the split proposal id once included."""
    return writes.submit(_propose_action(writes, project_id, body), body, body)


@router.post(
    "/{project_id}/splits/prepare",
    response_model=PreparedPublic,
    summary="Prepare a split proposal for signing",
)
def prepare_split(
    writes: WritesDep, project_id: ProjectIdPath, body: SplitFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign. Post it back with the message's
    `computedAtBlock` and `policyVersion` as `computed_at_block` and `policy_version`."""
    return writes.prepare(_propose_action(writes, project_id, body))


def _approve_action(writes: Writes, project_id: int, proposal_id: int) -> SignedAction:
    split_proposal(writes.services, writes.principal, project_id, proposal_id)
    gas = writes.services.require_chain().vault.gas_limit("approveSplit", by_sig=True)
    return SignedAction(
        kind="approve_split",
        contract=VAULT,
        project_id=project_id,
        typed_data=lambda domain, signer, nonce, deadline: approve_split_data(
            domain,
            project_id=project_id,
            proposal_id=proposal_id,
            signer=signer,
            nonce=nonce,
            deadline=deadline,
        ),
        call=lambda auth: signed_call(
            VAULT, "approveSplitBySig", (project_id, proposal_id), auth, gas
        ),
        dedupe_key=f"approve_split:{proposal_id}:{writes.actor}",
    )


@router.post(
    "/{project_id}/splits/{proposal_id}/approvals",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Approve a split",
)
def approve_split(
    writes: WritesDep,
    project_id: ProjectIdPath,
    proposal_id: SplitProposalIdPath,
    body: SplitApprovalCreate,
) -> JSONResponse:
    """Approve a split proposal; enough approvals make it the next split version."""
    return writes.submit(_approve_action(writes, project_id, proposal_id), body, body)


@router.post(
    "/{project_id}/splits/{proposal_id}/approvals/prepare",
    response_model=PreparedPublic,
    summary="Prepare a split approval for signing",
)
def prepare_split_approval(
    writes: WritesDep, project_id: ProjectIdPath, proposal_id: SplitProposalIdPath
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_approve_action(writes, project_id, proposal_id))


# ------------------------------------------------------------------------------ statements


@router.get(
    "/{project_id}/statement",
    response_model=StatementPublic,
    summary="Royalty statement",
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "JSON, or CSV with format=csv.",
        }
    },
)
def get_statement(
    services: ServicesDep,
    principal: ReaderDep,
    project_id: ProjectIdPath,
    amount: Annotated[
        int, Query(ge=0, le=2**256 - 1, description="Revenue in smallest units (cents, wei).")
    ],
    split_version: Annotated[
        int | None, Query(ge=1, le=2**32 - 1, description="Default: the newest finalized.")
    ] = None,
    currency: Annotated[
        str, Query(min_length=1, max_length=16, description="Currency label of `amount`.")
    ] = "EUR",
    decimals: Annotated[
        int, Query(ge=0, le=36, description="Decimals of the smallest unit (2: cents).")
    ] = 2,
    token: Annotated[
        str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$", description="ERC-20 (zero: ETH).")
    ] = None,
    date: Annotated[datetime.date | None, Query(description="Default: today (UTC).")] = None,
    format: Annotated[Literal["json", "csv"], Query(description="Response format.")] = "json",
) -> Response:
    """Who receives how much of `amount` under a finalized split version, exactly as the
    RoyaltyVault allocates it. Without a finalized split, the current score is used and the
    statement says so (`basis`: current_score)."""
    chosen = statement_basis(services, principal, project_id, split_version)
    statement = build_statement(
        total=amount,
        split=chosen.shares,
        project_id=project_id,
        split_version=chosen.split_version,
        currency=currency,
        date=date or datetime.datetime.now(datetime.UTC).date(),
        decimals=decimals,
        token=token,
    )
    if format == "csv":
        name = f"statement-project-{project_id}-split-{chosen.split_version}.csv"
        return Response(
            statement.to_csv(),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return JSONResponse(StatementPublic.of(statement, chosen.basis).model_dump(mode="json"))
