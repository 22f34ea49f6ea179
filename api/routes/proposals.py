"""Governance proposals: add or remove a partner, change the policy, amend the agreement.

Once the agreement is in force, membership, policy and agreement change only by a proposal
that `governanceBps` of the partners approve (docs/governance.md). Proposing and approving are
signed partner actions relayed through `proposeBySig` / `approveProposalBySig`; the proposer's
approval counts at once, and the approval that reaches the threshold executes the change.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from api.auth import Principal
from api.deps import LEDGER, ReaderDep, Services, ServicesDep
from api.errors import ERROR_RESPONSES, NotFoundError, UnprocessableError
from api.schemas.operations import OperationPublic, PreparedPublic
from api.schemas.proposals import ApprovalCreate, ProposalCreate, ProposalFields, ProposalPublic
from api.services.access import require_readable_project
from api.services.writes import ACCEPTED_RESPONSES, SignedAction, Writes, WritesDep, signed_call
from ledger.chain.clients import (
    encode_add_partner,
    encode_amend_agreement,
    encode_change_policy,
    encode_remove_partner,
)
from ledger.chain.signing import approve_proposal_data, propose_data
from ledger.domain.values import ProposalKind
from ledger.store.records import ProposalRecord

router = APIRouter(prefix="/projects", tags=["proposals"], responses=ERROR_RESPONSES)

ProjectIdPath = Annotated[
    int, Path(alias="projectId", ge=1, le=2**32 - 1, description="Project id.")
]
# uint64 on chain, but ids count up from 1: the index keeps them as signed 64-bit integers.
ProposalIdPath = Annotated[
    int, Path(alias="proposalId", ge=1, le=2**63 - 1, description="Proposal id.")
]
_KINDS: dict[str, ProposalKind] = {kind.name.lower(): kind for kind in ProposalKind}


def _proposal(
    services: Services, principal: Principal, project_id: int, proposal_id: int
) -> ProposalRecord:
    require_readable_project(services, principal, project_id)
    record = services.store.index.proposal(proposal_id)
    if record is None or record.project_id != project_id:
        raise NotFoundError(
            f"no proposal {proposal_id} in project {project_id}", code="proposal_not_found"
        )
    return record


@router.get("/{projectId}/proposals", response_model=list[ProposalPublic], summary="List proposals")
def list_proposals(
    services: ServicesDep, principal: ReaderDep, project_id: ProjectIdPath
) -> list[ProposalPublic]:
    """The project's governance proposals, oldest first, with their approvals."""
    require_readable_project(services, principal, project_id)
    return [ProposalPublic.of(p) for p in services.store.index.proposals(project_id)]


@router.get(
    "/{projectId}/proposals/{proposalId}",
    response_model=ProposalPublic,
    summary="Get a proposal",
)
def get_proposal(
    services: ServicesDep,
    principal: ReaderDep,
    project_id: ProjectIdPath,
    proposal_id: ProposalIdPath,
) -> ProposalPublic:
    """One governance proposal."""
    return ProposalPublic.of(_proposal(services, principal, project_id, proposal_id))


def _change(body: ProposalFields) -> tuple[ProposalKind, bytes]:
    kind = _KINDS[body.kind]
    needed = {
        ProposalKind.ADD_PARTNER: "partner",
        ProposalKind.REMOVE_PARTNER: "partner",
        ProposalKind.CHANGE_POLICY: "policy",
        ProposalKind.AMEND_AGREEMENT: "agreement_hash",
    }[kind]
    given = {name for name in ("partner", "policy", "agreement_hash") if getattr(body, name)}
    if given != {needed}:
        raise UnprocessableError(
            f"a {body.kind} proposal takes `{needed}` and nothing else", code="invalid_proposal"
        )
    if body.partner is not None:
        encode = encode_add_partner if kind is ProposalKind.ADD_PARTNER else encode_remove_partner
        return kind, encode(body.partner)
    if body.policy is not None:
        try:
            return kind, encode_change_policy(body.policy.to_policy())
        except ValueError as exc:
            raise UnprocessableError(str(exc), code="invalid_policy") from exc
    assert body.agreement_hash is not None
    return kind, encode_amend_agreement(bytes.fromhex(body.agreement_hash[2:]))


def _propose_action(writes: Writes, project_id: int, body: ProposalFields) -> SignedAction:
    kind, data = _change(body)
    gas = writes.services.require_chain().ledger.gas_limit("propose", size=len(data), by_sig=True)
    return SignedAction(
        kind="propose",
        contract=LEDGER,
        project_id=project_id,
        typed_data=lambda domain, signer, nonce, deadline: propose_data(
            domain,
            project_id=project_id,
            kind=kind,
            data=data,
            signer=signer,
            nonce=nonce,
            deadline=deadline,
        ),
        call=lambda auth: signed_call(
            LEDGER, "proposeBySig", (project_id, int(kind), data), auth, gas
        ),
    )


@router.post(
    "/{projectId}/proposals",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Propose a governance change",
)
def propose(writes: WritesDep, project_id: ProjectIdPath, body: ProposalCreate) -> JSONResponse:
    """Propose adding or removing a partner, a new policy or an amended agreement. The
    proposer's approval counts at once; `resourceId` is the proposal id once included."""
    return writes.submit(_propose_action(writes, project_id, body), body, body)


@router.post(
    "/{projectId}/proposals/prepare",
    response_model=PreparedPublic,
    summary="Prepare a proposal for signing",
)
def prepare_proposal(
    writes: WritesDep, project_id: ProjectIdPath, body: ProposalFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_propose_action(writes, project_id, body))


def _approve_action(writes: Writes, project_id: int, proposal_id: int) -> SignedAction:
    record = _proposal(writes.services, writes.principal, project_id, proposal_id)
    # The approval that reaches the threshold executes the change: gas grows with its data.
    size = len(record.data) // 2 - 1
    gas = writes.services.require_chain().ledger.gas_limit(
        "approveProposal", size=size, by_sig=True
    )
    return SignedAction(
        kind="approve_proposal",
        contract=LEDGER,
        project_id=project_id,
        typed_data=lambda domain, signer, nonce, deadline: approve_proposal_data(
            domain,
            project_id=project_id,
            proposal_id=proposal_id,
            signer=signer,
            nonce=nonce,
            deadline=deadline,
        ),
        call=lambda auth: signed_call(
            LEDGER, "approveProposalBySig", (project_id, proposal_id), auth, gas
        ),
        dedupe_key=f"approve_proposal:{proposal_id}:{writes.actor}",
    )


@router.post(
    "/{projectId}/proposals/{proposalId}/approvals",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Approve a proposal",
)
def approve(
    writes: WritesDep,
    project_id: ProjectIdPath,
    proposal_id: ProposalIdPath,
    body: ApprovalCreate,
) -> JSONResponse:
    """Approve a governance proposal; the approval reaching the threshold executes it."""
    return writes.submit(_approve_action(writes, project_id, proposal_id), body, body)


@router.post(
    "/{projectId}/proposals/{proposalId}/approvals/prepare",
    response_model=PreparedPublic,
    summary="Prepare an approval for signing",
)
def prepare_approval(
    writes: WritesDep, project_id: ProjectIdPath, proposal_id: ProposalIdPath
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_approve_action(writes, project_id, proposal_id))
