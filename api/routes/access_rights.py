"""Access rights: a partner asks another for the right to use a contribution (its Background or
a Result), for a purpose and on proposed terms; the owner grants, with the terms document's
hash, or refuses, with the hash of its reason; the requester may withdraw an open request
(docs/exchange.md).

Reasons and terms documents stay with the partners: only their hashes go on chain, as a
dispute's reason does. An open request past its answer deadline is shown `overdue`, measured by
the chain's clock. All four actions are signed partner actions relayed through PocExchange's
`…BySig` functions.

The settings those deadlines follow (answer period, how long after the project's end requests
stay possible, the project's end) come from the agreement's access-rights answers: set with
version 1 (`POST /v1/agreements/{id}/exchange-settings`), changed by an amendment's proposal
that the partners approve here (`.../exchange-settings/proposals/{id}/approvals`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from api.deps import ReaderDep, ServicesDep
from api.errors import ERROR_RESPONSES, ConflictError, UnprocessableError, WrongActorError
from api.schemas.exchange import (
    AccessRequestCreate,
    AccessRequestFields,
    AccessRequestPublic,
    ExchangeSettingsInForcePublic,
    ExchangeSettingsProposalPublic,
    GrantCreate,
    GrantFields,
    RefuseCreate,
    RefuseFields,
    WithdrawRequestCreate,
    purpose_of,
    terms_of,
)
from api.schemas.operations import OperationPublic, PreparedPublic
from api.schemas.proposals import ApprovalCreate
from api.services.access import readable_contribution, readable_project
from api.services.exchange import chain_now, exchange_action, readable_request
from api.services.writes import ACCEPTED_RESPONSES, SignedAction, Writes, WritesDep
from ledger.chain.exchange_signing import (
    approve_exchange_settings_data,
    grant_access_data,
    refuse_access_data,
    request_access_data,
    withdraw_access_request_data,
)
from ledger.domain.events import ExchangeSettingsApproved, ExchangeSettingsProposed
from ledger.domain.exchange import RequestStatus
from ledger.store.exchange_index import AccessRequestRecord

router = APIRouter(tags=["access rights"], responses=ERROR_RESPONSES)

ContributionIdPath = Annotated[
    str,
    Path(
        alias="contributionId",
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="Contribution id (bytes32 hex).",
    ),
]
ProjectIdPath = Annotated[
    int, Path(alias="projectId", ge=1, le=2**32 - 1, description="Project id.")
]
RequestIdPath = Annotated[
    int, Path(alias="requestId", ge=1, le=2**63 - 1, description="Request id.")
]
SettingsProposalIdPath = Annotated[
    int,
    Path(alias="proposalId", ge=1, le=2**63 - 1, description="Exchange settings proposal id."),
]
ZERO32 = bytes(32)


def _hex32(value: str) -> bytes:
    return bytes.fromhex(value[2:])


# ------------------------------------------------------------------------------ reading


@router.get(
    "/projects/{projectId}/access-requests",
    response_model=list[AccessRequestPublic],
    summary="List a project's access-rights requests",
)
def list_access_requests(
    services: ServicesDep, principal: ReaderDep, project_id: ProjectIdPath
) -> list[AccessRequestPublic]:
    """Every request of the project with its answer, oldest first; open ones past their
    deadline are `overdue`."""
    readable_project(services, principal, project_id)
    now = chain_now(services)
    records = services.store.index.exchange.access_requests(project_ids=[project_id])
    return [AccessRequestPublic.of(r, now=now) for r in records]


@router.get(
    "/contributions/{contributionId}/access-requests",
    response_model=list[AccessRequestPublic],
    summary="List the access-rights requests to a contribution",
)
def list_contribution_requests(
    services: ServicesDep, principal: ReaderDep, contribution_id: ContributionIdPath
) -> list[AccessRequestPublic]:
    """The requests to this contribution, oldest first."""
    readable_contribution(services, principal, contribution_id)
    now = chain_now(services)
    records = services.store.index.exchange.access_requests(contribution_id=contribution_id)
    return [AccessRequestPublic.of(r, now=now) for r in records]


@router.get(
    "/access-requests/{requestId}",
    response_model=AccessRequestPublic,
    summary="Read an access-rights request",
)
def get_access_request(
    services: ServicesDep, principal: ReaderDep, request_id: RequestIdPath
) -> AccessRequestPublic:
    """The request and its answer."""
    record = readable_request(services, principal, request_id)
    return AccessRequestPublic.of(record, now=chain_now(services))


# ------------------------------------------------------------------------------ requesting


def _request_action(
    writes: Writes, contribution_id: str, body: AccessRequestFields
) -> SignedAction:
    contribution = readable_contribution(writes.services, writes.principal, contribution_id)
    if contribution.contributor == writes.actor:
        raise UnprocessableError(
            "a partner does not ask itself for access rights", code="self_access_request"
        )
    cid = _hex32(contribution.contribution_id)
    purpose, terms = purpose_of(body.purpose), terms_of(body.terms)
    terms_hash = ZERO32 if body.terms_hash is None else _hex32(body.terms_hash)
    return exchange_action(
        writes,
        kind="request_access",
        function="requestAccessBySig",
        project_id=contribution.project_id,
        builder=request_access_data,
        fields={
            "project_id": contribution.project_id,
            "contribution_id": cid,
            "purpose": purpose,
            "terms": terms,
            "terms_hash": terms_hash,
        },
        args=(contribution.project_id, cid, int(purpose), int(terms), terms_hash),
    )


@router.post(
    "/contributions/{contributionId}/access-requests",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Request access rights",
)
def request_access(
    writes: WritesDep, contribution_id: ContributionIdPath, body: AccessRequestCreate
) -> JSONResponse:
    """Ask the contribution's owner for access rights, for a purpose and on proposed terms.
    The answer deadline follows from the project's exchange settings."""
    return writes.submit(_request_action(writes, contribution_id, body), body, body)


@router.post(
    "/contributions/{contributionId}/access-requests/prepare",
    response_model=PreparedPublic,
    summary="Prepare an access-rights request for signing",
)
def prepare_request_access(
    writes: WritesDep, contribution_id: ContributionIdPath, body: AccessRequestFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_request_action(writes, contribution_id, body))


# ------------------------------------------------------------------------------ answering


def _open_request(writes: Writes, request_id: int, *, as_owner: bool) -> AccessRequestRecord:
    record = readable_request(writes.services, writes.principal, request_id)
    party = record.owner if as_owner else record.requester
    if party != writes.actor:
        role = "owner of the contribution" if as_owner else "requester"
        raise WrongActorError(
            f"only the {role} ({party}) may do this; this API key acts for {writes.actor}"
        )
    if record.status is not RequestStatus.OPEN:
        raise ConflictError(
            f"request {request_id} is {record.status.name.lower()}",
            code="access_request_not_open",
        )
    return record


def _grant_action(writes: Writes, request_id: int, body: GrantFields) -> SignedAction:
    record = _open_request(writes, request_id, as_owner=True)
    terms, terms_hash = terms_of(body.terms), _hex32(body.terms_hash)
    return exchange_action(
        writes,
        kind="grant_access",
        function="grantAccessBySig",
        project_id=record.project_id,
        builder=grant_access_data,
        fields={
            "project_id": record.project_id,
            "request_id": request_id,
            "terms": terms,
            "terms_hash": terms_hash,
        },
        args=(record.project_id, request_id, int(terms), terms_hash),
        dedupe_key=f"answer_access:{request_id}",
    )


def _refuse_action(writes: Writes, request_id: int, body: RefuseFields) -> SignedAction:
    record = _open_request(writes, request_id, as_owner=True)
    reason = _hex32(body.reason_hash)
    return exchange_action(
        writes,
        kind="refuse_access",
        function="refuseAccessBySig",
        project_id=record.project_id,
        builder=refuse_access_data,
        fields={"project_id": record.project_id, "request_id": request_id, "reason_hash": reason},
        args=(record.project_id, request_id, reason),
        dedupe_key=f"answer_access:{request_id}",
    )


def _withdraw_action(writes: Writes, request_id: int) -> SignedAction:
    record = _open_request(writes, request_id, as_owner=False)
    return exchange_action(
        writes,
        kind="withdraw_access_request",
        function="withdrawAccessRequestBySig",
        project_id=record.project_id,
        builder=withdraw_access_request_data,
        fields={"project_id": record.project_id, "request_id": request_id},
        args=(record.project_id, request_id),
        dedupe_key=f"answer_access:{request_id}",
    )


@router.post(
    "/access-requests/{requestId}/grant",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Grant access rights",
)
def grant(writes: WritesDep, request_id: RequestIdPath, body: GrantCreate) -> JSONResponse:
    """The owner grants, on the terms whose document hashes to `termsHash`."""
    return writes.submit(_grant_action(writes, request_id, body), body, body)


@router.post(
    "/access-requests/{requestId}/grant/prepare",
    response_model=PreparedPublic,
    summary="Prepare a grant for signing",
)
def prepare_grant(
    writes: WritesDep, request_id: RequestIdPath, body: GrantFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_grant_action(writes, request_id, body))


@router.post(
    "/access-requests/{requestId}/refuse",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Refuse access rights",
)
def refuse(writes: WritesDep, request_id: RequestIdPath, body: RefuseCreate) -> JSONResponse:
    """The owner refuses, for the reason whose text hashes to `reasonHash`."""
    return writes.submit(_refuse_action(writes, request_id, body), body, body)


@router.post(
    "/access-requests/{requestId}/refuse/prepare",
    response_model=PreparedPublic,
    summary="Prepare a refusal for signing",
)
def prepare_refuse(
    writes: WritesDep, request_id: RequestIdPath, body: RefuseFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_refuse_action(writes, request_id, body))


@router.post(
    "/access-requests/{requestId}/withdraw",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Withdraw an access-rights request",
)
def withdraw(
    writes: WritesDep, request_id: RequestIdPath, body: WithdrawRequestCreate
) -> JSONResponse:
    """The requester withdraws its open request."""
    return writes.submit(_withdraw_action(writes, request_id), body, body)


@router.post(
    "/access-requests/{requestId}/withdraw/prepare",
    response_model=PreparedPublic,
    summary="Prepare a withdrawal for signing",
)
def prepare_withdraw(writes: WritesDep, request_id: RequestIdPath) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_withdraw_action(writes, request_id))


# ------------------------------------------------------------------------------ settings


@router.get(
    "/projects/{projectId}/exchange-settings",
    response_model=ExchangeSettingsInForcePublic,
    summary="The project's access-rights settings on chain",
)
def get_exchange_settings(
    services: ServicesDep, principal: ReaderDep, project_id: ProjectIdPath
) -> ExchangeSettingsInForcePublic:
    """The settings PocExchange applies to the project's requests now, read from the chain:
    for a project made with the builder, the numbers its agreement's text states."""
    readable_project(services, principal, project_id)
    exchange = services.require_chain().require_exchange()
    settings, version = exchange.exchange_settings(project_id)
    return ExchangeSettingsInForcePublic(
        project_id=project_id,
        version=version,
        answer_period=settings.answer_period,
        request_period_after_end=settings.request_period_after_end,
        project_end=settings.project_end,
        requests_close_at=str(settings.requests_close_at),
    )


@router.get(
    "/projects/{projectId}/exchange-settings/proposals",
    response_model=list[ExchangeSettingsProposalPublic],
    summary="List proposals of new access-rights settings",
)
def list_settings_proposals(
    services: ServicesDep, principal: ReaderDep, project_id: ProjectIdPath
) -> list[ExchangeSettingsProposalPublic]:
    """The project's proposals of new exchange settings with their approvals, oldest first
    (from the index: PocExchange's `ExchangeSettingsProposed` and `ExchangeSettingsApproved`)."""
    readable_project(services, principal, project_id)
    index = services.store.index
    approvals: dict[int, list[str]] = {}
    for stored in index.events_named(project_id, "ExchangeSettingsApproved"):
        approved = stored.typed()
        assert isinstance(approved, ExchangeSettingsApproved)
        approvals.setdefault(approved.proposal_id, []).append(approved.approver)
    result = []
    for stored in index.events_named(project_id, "ExchangeSettingsProposed"):
        proposed = stored.typed()
        assert isinstance(proposed, ExchangeSettingsProposed)
        approvers = approvals.get(proposed.proposal_id, [])
        result.append(
            ExchangeSettingsProposalPublic(
                proposal_id=proposed.proposal_id,
                project_id=project_id,
                proposer=proposed.proposer,
                answer_period=proposed.answer_period,
                request_period_after_end=proposed.request_period_after_end,
                project_end=proposed.project_end,
                required=proposed.required,
                approvals=approvers,
                executed=len(approvers) >= proposed.required,
                block_number=stored.block_number,
                tx_hash=stored.tx_hash,
            )
        )
    return result


def _approve_settings_action(writes: Writes, project_id: int, proposal_id: int) -> SignedAction:
    readable_project(writes.services, writes.principal, project_id)
    # 404 `settings_proposal_not_found` (the contract's answer) when the project has none.
    exchange = writes.services.require_chain().require_exchange()
    exchange.settings_proposal(project_id, proposal_id)
    return exchange_action(
        writes,
        kind="approve_exchange_settings",
        function="approveExchangeSettingsBySig",
        project_id=project_id,
        builder=approve_exchange_settings_data,
        fields={"project_id": project_id, "proposal_id": proposal_id},
        args=(project_id, proposal_id),
        dedupe_key=f"approve_exchange_settings:{proposal_id}:{writes.actor}",
    )


@router.post(
    "/projects/{projectId}/exchange-settings/proposals/{proposalId}/approvals",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Approve new access-rights settings",
)
def approve_exchange_settings(
    writes: WritesDep,
    project_id: ProjectIdPath,
    proposal_id: SettingsProposalIdPath,
    body: ApprovalCreate,
) -> JSONResponse:
    """Approve a proposal of new exchange settings (an amendment's
    `change_exchange_settings`); the approval that reaches the project's governance threshold
    applies them."""
    return writes.submit(_approve_settings_action(writes, project_id, proposal_id), body, body)


@router.post(
    "/projects/{projectId}/exchange-settings/proposals/{proposalId}/approvals/prepare",
    response_model=PreparedPublic,
    summary="Prepare an approval of access-rights settings for signing",
)
def prepare_approve_exchange_settings(
    writes: WritesDep, project_id: ProjectIdPath, proposal_id: SettingsProposalIdPath
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign (`ApproveExchangeSettings`)."""
    return writes.prepare(_approve_settings_action(writes, project_id, proposal_id))
