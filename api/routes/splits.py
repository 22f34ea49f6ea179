"""Splits and statements: the current score and why, split proposals and approvals, finalized
split versions, and royalty statements.

The score is computed by `ledger.scoring.scheme` over the project's events in the local index, up to
a block the index covers, evaluated at that block's timestamp: exactly what `poc score
--at-block N` recomputes from the chain alone. Proposing puts the current score on chain with
its block, policy version and input-set hash (`proposeSplitBySig`); anyone can later check it
with `poc score --check-split V`. A non-custodial partner signs what `/splits/prepare` returns
and posts back the `computedAtBlock` and `policyVersion` of that typed data, so that the
API recomputes the very split that was signed.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response

from api.deps import VAULT, ReaderDep, ServicesDep
from api.errors import (
    ERROR_RESPONSES,
    ConflictError,
    ErrorDetail,
    UnprocessableError,
)
from api.schemas.common import BlockNumber, Uint32
from api.schemas.operations import OperationPublic, PreparedPublic
from api.schemas.splits import (
    ScorePublic,
    SplitApprovalCreate,
    SplitCreate,
    SplitFields,
    SplitProposalPublic,
    StatementPublic,
)
from api.services.splits import (
    SplitView,
    score_project,
    split_proposal,
    split_views,
    statement_basis,
)
from api.services.writes import ACCEPTED_RESPONSES, SignedAction, Writes, WritesDep, signed_call
from ledger.chain.signing import approve_split_data, propose_split_data
from ledger.domain.values import SplitInput
from ledger.scoring.statements import build_statement

router = APIRouter(prefix="/projects", tags=["splits"], responses=ERROR_RESPONSES)

ProjectIdPath = Annotated[
    int, Path(alias="projectId", ge=1, le=2**32 - 1, description="Project id.")
]
# uint64 on chain, but ids count up from 1: the index keeps them as signed 64-bit integers.
SplitProposalIdPath = Annotated[
    int,
    Path(alias="proposalId", ge=1, le=2**63 - 1, description="Split proposal id."),
]


# ------------------------------------------------------------------------------ bodies


# ------------------------------------------------------------------------------ scoring


@router.get("/{projectId}/score", response_model=ScorePublic, summary="Current split and why")
def get_score(
    services: ServicesDep,
    principal: ReaderDep,
    project_id: ProjectIdPath,
    at_block: Annotated[
        BlockNumber | None, Query(alias="atBlock", description="Score as of this block.")
    ] = None,
    policy_version: Annotated[
        Uint32 | None, Query(alias="policyVersion", description="Default: the latest.")
    ] = None,
    explain: Annotated[bool, Query(description="Include per-contribution reasons.")] = True,
) -> ScorePublic:
    """The split the scoring gives now (or at `atBlock`), with every partner's share and every
    contribution's status explained. `poc score --at-block N` gives the same from the chain."""
    result, block = score_project(
        services, principal, project_id, at_block=at_block, policy_version=policy_version
    )
    return ScorePublic.of(result, block, explain)


# ------------------------------------------------------------------------------ proposals


@router.get("/{projectId}/splits", response_model=list[SplitProposalPublic], summary="List splits")
def list_splits(
    services: ServicesDep,
    principal: ReaderDep,
    project_id: ProjectIdPath,
    finalized: Annotated[
        bool | None, Query(description="true: finalized split versions only.")
    ] = None,
) -> list[SplitProposalPublic]:
    """The project's split proposals, oldest first; `finalized=true` lists the split versions.
    Each says how many approvals finalize it, of which partners, who has not approved yet, and
    since when a finalized one is in force."""
    views = split_views(services, principal, project_id)
    if finalized is not None:
        views = [v for v in views if (v.record.split_version is not None) == finalized]
    return [_public(v) for v in views]


@router.get(
    "/{projectId}/splits/{proposalId}",
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
    return _public(split_views(services, principal, project_id, proposal_id)[0])


def _public(view: SplitView) -> SplitProposalPublic:
    return SplitProposalPublic.of(
        view.record,
        required=view.required,
        eligible=view.eligible,
        proposed_at=view.proposed_at,
        finalized_block=view.finalized_block,
        finalized_at=view.finalized_at,
    )


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
    "/{projectId}/splits",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Propose the current score as a split",
)
def propose_split(writes: WritesDep, project_id: ProjectIdPath, body: SplitCreate) -> JSONResponse:
    """Put the score (at the index's newest block, or `computedAtBlock`) on chain as a split
    proposal with its policy version and input-set hash; the proposer's approval counts.
    `resourceId` is the split proposal id once included.

    Non-custodial: the signed typed data names the block and the policy version it was scored
    at, so the body must repeat both (`computedAtBlock`, `policyVersion`): without them the
    service would score at its newest block, and the signature would not match. A body that
    carries a signature without them is refused with 422 `missing_signed_field`, naming them."""
    if body.signature is not None:
        _require_signed_fields(body)
    return writes.submit(_propose_action(writes, project_id, body), body, body)


def _require_signed_fields(body: SplitCreate) -> None:
    missing = [
        name
        for name, value in (
            ("computedAtBlock", body.computed_at_block),
            ("policyVersion", body.policy_version),
        )
        if value is None
    ]
    if missing:
        raise UnprocessableError(
            f"a signed split proposal names the block and policy version it was scored at: "
            f"give {' and '.join(missing)} from the message of the typed data /prepare returned",
            code="missing_signed_field",
            details=[
                ErrorDetail(
                    location=f"body.{name}",
                    code="missing",
                    message=f"{name} of the signed message",
                )
                for name in missing
            ],
        )


@router.post(
    "/{projectId}/splits/prepare",
    response_model=PreparedPublic,
    summary="Prepare a split proposal for signing",
)
def prepare_split(
    writes: WritesDep, project_id: ProjectIdPath, body: SplitFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign. Post it back with the signature fields and
    the message's `computedAtBlock` and `policyVersion`."""
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
    "/{projectId}/splits/{proposalId}/approvals",
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
    "/{projectId}/splits/{proposalId}/approvals/prepare",
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
    "/{projectId}/statement",
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
        int | None,
        Query(
            alias="splitVersion", ge=1, le=2**32 - 1, description="Default: the newest finalized."
        ),
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
