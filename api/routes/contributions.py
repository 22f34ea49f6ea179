"""Contributions: read and list from the index; register, batch, withdraw, supersede."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from api.deps import LEDGER, ReaderDep, ServicesDep
from api.errors import (
    ERROR_RESPONSES,
    ErrorBody,
    UnprocessableError,
    WrongActorError,
)
from api.schemas.common import (
    ORIGINS,
    STATUSES,
    OriginName,
    StatusName,
)
from api.schemas.contributions import (
    ContributionPage,
    ContributionPublic,
    RegistrationCreate,
    RegistrationFields,
    SupersedeCreate,
    WithdrawCreate,
)
from api.schemas.operations import OperationPublic, PreparedPublic
from api.services.access import readable_contribution, readable_projects
from api.services.writes import ACCEPTED_RESPONSES, SignedAction, Writes, WritesDep, signed_call
from ledger.chain.signing import register_data, withdraw_contribution_data
from ledger.domain.codec import ZERO_BYTES32, to_hex
from ledger.domain.values import Origin, Registration, checksum
from ledger.store.records import ContributionFilter, ContributionRecord

router = APIRouter(tags=["contributions"], responses=ERROR_RESPONSES)

ProjectIdPath = Annotated[int, Path(ge=1, le=2**32 - 1, description="Project id.")]
ContributionIdPath = Annotated[
    str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="Contribution id (bytes32 hex).")
]


@router.get(
    "/contributions",
    response_model=ContributionPage,
    summary="List contributions",
)
def list_contributions(
    services: ServicesDep,
    principal: ReaderDep,
    project_id: Annotated[
        int | None, Query(ge=1, le=2**32 - 1, description="Only this project's.")
    ] = None,
    contributor: Annotated[
        str | None,
        Query(pattern=r"^0x[0-9a-fA-F]{40}$", description="Only this partner's (any case)."),
    ] = None,
    status: Annotated[StatusName | None, Query(description="Only in this status.")] = None,
    origin: Annotated[
        OriginName | None, Query(description="Only Background or only Results.")
    ] = None,
    category: Annotated[
        int | None,
        Query(ge=0, le=255, description="Only this category (its index in the policy)."),
    ] = None,
    batch_id: Annotated[
        str | None,
        Query(pattern=r"^0x[0-9a-fA-F]{64}$", description="Only those revealed from this batch."),
    ] = None,
    commitment: Annotated[
        str | None,
        Query(pattern=r"^0x[0-9a-fA-F]{64}$", description="Only those with this commitment."),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(pattern=r"^[0-9]{1,12}$", description="`next_cursor` of the previous page."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
) -> ContributionPage:
    """Contributions of the projects the key may read, in chain order, filtered; follow
    `next_cursor` for more."""
    where = ContributionFilter(
        project_id=project_id,
        contributor=None if contributor is None else checksum(contributor),
        status=None if status is None else STATUSES.index(status),
        origin=None if origin is None else ORIGINS.index(origin),
        category=category,
        batch_id=batch_id,
        commitment=commitment,
        project_ids=readable_projects(services.store, principal),
    )
    page = services.store.index.list_contributions(
        where, after=int(cursor) if cursor else 0, limit=limit
    )
    return ContributionPage(
        items=[ContributionPublic.of(c) for c in page.items],
        next_cursor=None if page.next_cursor is None else str(page.next_cursor),
    )


@router.get(
    "/contributions/{contribution_id}",
    response_model=ContributionPublic,
    summary="Get a contribution",
    responses={404: {"model": ErrorBody, "description": "Unknown contribution."}},
)
def get_contribution(
    services: ServicesDep, principal: ReaderDep, contribution_id: ContributionIdPath
) -> ContributionPublic:
    """One contribution by id."""
    return ContributionPublic.of(readable_contribution(services, principal, contribution_id))


# ------------------------------------------------------------------------------ writes


def _registration(
    project_id: int, body: RegistrationFields, supersedes: bytes = ZERO_BYTES32
) -> Registration:
    try:
        return Registration(
            project_id=project_id,
            commitment=bytes.fromhex(body.commitment[2:]),
            origin=Origin.RESULT if body.origin == "result" else Origin.BACKGROUND,
            category=body.category,
            value=body.value,
            parents=tuple(bytes.fromhex(p[2:]) for p in body.parents),
            supersedes=supersedes,
            uri=body.uri,
        )
    except ValueError as exc:
        raise UnprocessableError(str(exc)) from exc


def register_action(
    writes: Writes, registration: Registration, *, kind: str = "register"
) -> SignedAction:
    """The signed `registerBySig` action of `registration` by the key's partner."""
    access = writes.services.require_chain()
    items = len(registration.parents) + (6 if registration.supersedes != ZERO_BYTES32 else 0)
    gas = access.ledger.gas_limit(
        "register", items=items, size=len(registration.uri.encode()), by_sig=True
    )
    commitment = to_hex(registration.commitment)
    return SignedAction(
        kind=kind,
        contract=LEDGER,
        project_id=registration.project_id,
        typed_data=lambda domain, signer, nonce, deadline: register_data(
            domain, registration=registration, signer=signer, nonce=nonce, deadline=deadline
        ),
        call=lambda auth: signed_call(LEDGER, "registerBySig", (registration.as_abi(),), auth, gas),
        dedupe_key=f"register:{registration.project_id}:{writes.actor}:{commitment}",
    )


@router.post(
    "/projects/{project_id}/contributions",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Register a contribution",
)
def register(
    writes: WritesDep, project_id: ProjectIdPath, body: RegistrationCreate
) -> JSONResponse:
    """Register a contribution of the key's partner: its salted commitment goes on chain,
    signed by the partner (EIP-712). Registering the same commitment again with the same fields
    returns the operation that registers it (pending or confirmed); with another value,
    category, origin, parents or URI it is 409 `conflict` naming them. A failed registration
    does not count: posting it again is a new attempt."""
    action = register_action(writes, _registration(project_id, body))
    return writes.submit(action, body, body)


@router.post(
    "/projects/{project_id}/contributions/prepare",
    response_model=PreparedPublic,
    summary="Prepare a registration for signing",
)
def prepare_register(
    writes: WritesDep, project_id: ProjectIdPath, body: RegistrationFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign for this registration."""
    return writes.prepare(register_action(writes, _registration(project_id, body)))


def _own_contribution(writes: Writes, contribution_id: str) -> ContributionRecord:
    record = readable_contribution(writes.services, writes.principal, contribution_id)
    if record.contributor != writes.actor:
        raise WrongActorError(
            f"contribution {contribution_id} is {record.contributor}'s, "
            f"this API key acts for {writes.actor}"
        )
    return record


def _supersede_action(
    writes: Writes, contribution_id: str, body: RegistrationFields
) -> SignedAction:
    old = _own_contribution(writes, contribution_id)
    registration = _registration(old.project_id, body, bytes.fromhex(contribution_id[2:]))
    return register_action(writes, registration, kind="supersede")


@router.post(
    "/contributions/{contribution_id}/supersede",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Supersede a contribution",
)
def supersede(
    writes: WritesDep, contribution_id: ContributionIdPath, body: SupersedeCreate
) -> JSONResponse:
    """Register a new version of the partner's own contribution; the old one is kept, marked
    Superseded."""
    return writes.submit(_supersede_action(writes, contribution_id, body), body, body)


@router.post(
    "/contributions/{contribution_id}/supersede/prepare",
    response_model=PreparedPublic,
    summary="Prepare a supersession for signing",
)
def prepare_supersede(
    writes: WritesDep, contribution_id: ContributionIdPath, body: RegistrationFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign for this supersession."""
    return writes.prepare(_supersede_action(writes, contribution_id, body))


def _withdraw_action(writes: Writes, contribution_id: str) -> SignedAction:
    record = _own_contribution(writes, contribution_id)
    cid = bytes.fromhex(contribution_id[2:])
    gas = writes.services.require_chain().ledger.gas_limit("withdrawContribution", by_sig=True)
    return SignedAction(
        kind="withdraw",
        contract=LEDGER,
        project_id=record.project_id,
        typed_data=lambda domain, signer, nonce, deadline: withdraw_contribution_data(
            domain,
            project_id=record.project_id,
            contribution_id=cid,
            signer=signer,
            nonce=nonce,
            deadline=deadline,
        ),
        call=lambda auth: signed_call(
            LEDGER, "withdrawContributionBySig", (record.project_id, cid), auth, gas
        ),
        dedupe_key=f"withdraw:{contribution_id.lower()}",
    )


@router.post(
    "/contributions/{contribution_id}/withdraw",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Withdraw a contribution",
)
def withdraw(
    writes: WritesDep, contribution_id: ContributionIdPath, body: WithdrawCreate
) -> JSONResponse:
    """Withdraw the partner's own active contribution; the record stays, marked Withdrawn."""
    return writes.submit(_withdraw_action(writes, contribution_id), body, body)


@router.post(
    "/contributions/{contribution_id}/withdraw/prepare",
    response_model=PreparedPublic,
    summary="Prepare a withdrawal for signing",
)
def prepare_withdraw(writes: WritesDep, contribution_id: ContributionIdPath) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign for this withdrawal."""
    return writes.prepare(_withdraw_action(writes, contribution_id))
