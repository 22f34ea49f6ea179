"""Projects: read from the index; create, accept the agreement, set-up membership.

Creating a project and accepting its agreement are signed partner actions (`...BySig`), like a
registration. Adding and removing partners during set-up (before the agreement is in force) are
coordinator-only calls that the contract offers without a signed variant: the service sends
them from the coordinator's own custodial key (the sandbox funds it with gas money at
onboarding). A coordinator whose key the service does not hold gets the unsigned transaction
from the `/prepare` twin and sends it from its own wallet; the index picks the event up like
any other. After the agreement is in force, membership changes are governance proposals
(`api.routes.proposals`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import LEDGER, ReaderDep, ServicesDep
from api.errors import (
    ERROR_RESPONSES,
    ErrorBody,
    UnprocessableError,
)
from api.schemas.operations import OperationPublic, PreparedPublic
from api.schemas.projects import (
    AcceptanceCreate,
    AcceptanceFields,
    MemberCreate,
    PolicyPublic,
    ProjectCreate,
    ProjectFields,
    ProjectPage,
    ProjectPublic,
    UnsignedTxPublic,
)
from api.services.access import not_coordinator, readable_project, readable_projects
from api.services.agreements import accept_agreement_action
from api.services.writes import ACCEPTED_RESPONSES, SignedAction, Writes, WritesDep, signed_call
from ledger.chain.signing import create_project_data
from ledger.domain.codec import to_hex
from ledger.domain.hashing import encode_policy
from ledger.domain.values import checksum
from ledger.store.records import ProjectRecord
from ledger.sync.calls import ChainCall

router = APIRouter(prefix="/projects", tags=["projects"], responses=ERROR_RESPONSES)

ProjectIdPath = Annotated[
    int, Path(alias="projectId", ge=1, le=2**32 - 1, description="Project id.")
]


@router.get("", response_model=ProjectPage, summary="List projects")
def list_projects(
    services: ServicesDep,
    principal: ReaderDep,
    partner: Annotated[
        str | None,
        Query(pattern=r"^0x[0-9a-fA-F]{40}$", description="Only projects of this partner."),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(pattern=r"^[0-9]{1,10}$", description="`nextCursor` of the previous page."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
) -> ProjectPage:
    """The projects the key may read (its partner's, or those granted to an auditor key), in
    id order, optionally only those a partner belongs to."""
    page = services.store.index.list_projects(
        partner=None if partner is None else checksum(partner),
        only=readable_projects(services.store, principal),
        after=int(cursor) if cursor else 0,
        limit=limit,
    )
    return ProjectPage(
        items=[ProjectPublic.of(p) for p in page.items],
        next_cursor=None if page.next_cursor is None else str(page.next_cursor),
    )


@router.get(
    "/{projectId}",
    response_model=ProjectPublic,
    summary="Get a project",
    responses={404: {"model": ErrorBody, "description": "Unknown project."}},
)
def get_project(
    services: ServicesDep, principal: ReaderDep, project_id: ProjectIdPath
) -> ProjectPublic:
    """A project with its partners, agreement and policy versions."""
    return ProjectPublic.of(readable_project(services, principal, project_id))


@router.get("/{projectId}/policies", response_model=list[PolicyPublic], summary="Policy versions")
def list_policies(
    services: ServicesDep, principal: ReaderDep, project_id: ProjectIdPath
) -> list[PolicyPublic]:
    """Every policy version of the project, oldest first (old scores stay reproducible)."""
    project = readable_project(services, principal, project_id)
    partners = sum(1 for p in project.partners if p.active)
    return [PolicyPublic.of(p, partners) for p in services.store.index.policies(project_id)]


# ------------------------------------------------------------------------------ writes


def _indexed_project(writes: Writes, project_id: int) -> ProjectRecord:
    # A project the key's partner never belonged to is 404, as for reads.
    return readable_project(writes.services, writes.principal, project_id)


def _create_action(writes: Writes, body: ProjectFields) -> SignedAction:
    # Any partner key: the partner it acts for becomes the project's coordinator on chain.
    try:
        policy = body.policy.to_policy()
    except ValueError as exc:
        raise UnprocessableError(str(exc), code="invalid_policy") from exc
    agreement = bytes.fromhex(body.agreement_hash[2:])
    partners = tuple(body.partners)
    gas = writes.services.require_chain().ledger.gas_limit(
        "createProject", items=len(partners), size=len(encode_policy(policy)), by_sig=True
    )
    return SignedAction(
        kind="create_project",
        contract=LEDGER,
        project_id=None,
        typed_data=lambda domain, signer, nonce, deadline: create_project_data(
            domain,
            agreement_hash=agreement,
            partners=partners,
            policy=policy,
            signer=signer,
            nonce=nonce,
            deadline=deadline,
        ),
        call=lambda auth: signed_call(
            LEDGER, "createProjectBySig", (agreement, list(partners), policy.as_abi()), auth, gas
        ),
    )


@router.post(
    "",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Create a project (coordinator)",
)
def create_project(writes: WritesDep, body: ProjectCreate) -> JSONResponse:
    """Create a project with its agreement hash, partners and policy; the key's partner signs
    and becomes the coordinator. The operation's `resourceId` is the project id once
    included."""
    return writes.submit(_create_action(writes, body), body, body)


@router.post("/prepare", response_model=PreparedPublic, summary="Prepare a project for signing")
def prepare_project(writes: WritesDep, body: ProjectFields) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign (the policy is signed by its hash)."""
    return writes.prepare(_create_action(writes, body))


def _accept_action(writes: Writes, project_id: int, body: AcceptanceFields) -> SignedAction:
    if body.version is None or body.agreement_hash is None:
        project = _indexed_project(writes, project_id)
        version = project.agreement_version if body.version is None else body.version
        agreement_hex = body.agreement_hash or project.agreement_hash
    else:
        version, agreement_hex = body.version, body.agreement_hash
    return accept_agreement_action(writes, project_id, version, bytes.fromhex(agreement_hex[2:]))


@router.post(
    "/{projectId}/agreement/acceptances",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Accept the agreement",
)
def accept_agreement(
    writes: WritesDep, project_id: ProjectIdPath, body: AcceptanceCreate
) -> JSONResponse:
    """The key's partner accepts an agreement version (by default the current one). The
    agreement is in force once every partner accepted it."""
    return writes.submit(_accept_action(writes, project_id, body), body, body)


@router.post(
    "/{projectId}/agreement/acceptances/prepare",
    response_model=PreparedPublic,
    summary="Prepare an acceptance for signing",
)
def prepare_acceptance(
    writes: WritesDep, project_id: ProjectIdPath, body: AcceptanceFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_accept_action(writes, project_id, body))


def _membership_call(writes: Writes, project_id: int, function: str, partner: str) -> ChainCall:
    project = _indexed_project(writes, project_id)
    # The chain's coordinator of this project decides, whatever the key's role.
    if project.coordinator != writes.actor:
        raise not_coordinator(project_id, project.coordinator, writes.actor)
    gas = writes.services.require_chain().ledger.gas_limit(function)
    return ChainCall(
        contract=LEDGER,
        function=function,
        args=(project_id, checksum(partner)),
        gas=gas,
        sender=writes.actor,
    )


def _send_direct(
    writes: Writes, kind: str, call: ChainCall, body: BaseModel | None
) -> JSONResponse:
    custody = writes.services.custody
    if custody is None or not custody.holds(writes.actor):
        raise UnprocessableError(
            f"the service holds no key of {writes.actor}, and this call has no signed variant: "
            "POST the route's /prepare twin and send the transaction from your own wallet",
            code="not_custodial",
        )
    # No dedupe key: adding, removing and adding again is legitimate; retries use an
    # Idempotency-Key.
    return writes.accept(kind, call, body, project_id=int(call.args[0]))


def _unsigned(writes: Writes, call: ChainCall) -> UnsignedTxPublic:
    access = writes.services.require_chain()
    return UnsignedTxPublic.model_validate(
        {
            "from": writes.actor,
            "to": access.ledger_address,
            "data": to_hex(call.calldata()),
            "value": "0",
            "gas": call.gas,
            "chainId": access.chain.chain_id,
        }
    )


@router.post(
    "/{projectId}/partners",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Add a partner during set-up (coordinator)",
)
def add_partner(writes: WritesDep, project_id: ProjectIdPath, body: MemberCreate) -> JSONResponse:
    """Before the agreement is in force the coordinator alone adds partners; the service sends
    `addPartner` from the coordinator's custodial key. Afterwards, propose it instead."""
    call = _membership_call(writes, project_id, "addPartner", body.partner)
    return _send_direct(writes, "add_partner", call, body)


@router.post(
    "/{projectId}/partners/prepare",
    response_model=UnsignedTxPublic,
    summary="Prepare adding a partner (own wallet)",
)
def prepare_add_partner(
    writes: WritesDep, project_id: ProjectIdPath, body: MemberCreate
) -> UnsignedTxPublic:
    """Non-custodial coordinators: the `addPartner` transaction to send from their wallet."""
    return _unsigned(writes, _membership_call(writes, project_id, "addPartner", body.partner))


@router.delete(
    "/{projectId}/partners/{address}",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Remove a partner during set-up (coordinator)",
)
def remove_partner(
    writes: WritesDep,
    project_id: ProjectIdPath,
    address: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$", description="Partner.")],
) -> JSONResponse:
    """Before the agreement is in force the coordinator alone removes partners (not itself);
    sent from the coordinator's custodial key. Afterwards, propose it instead."""
    call = _membership_call(writes, project_id, "removePartner", address)
    return _send_direct(writes, "remove_partner", call, None)


@router.post(
    "/{projectId}/partners/{address}/removal/prepare",
    response_model=UnsignedTxPublic,
    summary="Prepare removing a partner (own wallet)",
)
def prepare_remove_partner(
    writes: WritesDep,
    project_id: ProjectIdPath,
    address: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$", description="Partner.")],
) -> UnsignedTxPublic:
    """Non-custodial coordinators: the `removePartner` transaction to send from their wallet."""
    return _unsigned(writes, _membership_call(writes, project_id, "removePartner", address))
