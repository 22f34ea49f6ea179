"""Contributions: read and list from the index; register, batch, withdraw, supersede.

A registration may carry the contribution's card (`api.schemas.cards.CardFields`): the service
tidies and checks it, derives its salt from the records key when the client gave none, and
puts its hash in the `Register` the partner signs (`cardHash`). The card is kept sealed before
the write is accepted (`api.services.records`); reads show it with the contribution only while
it still hashes to the signed value. A card is never edited: a correction is a supersession
with a new card.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from api.deps import LEDGER, ReaderDep, ServicesDep
from api.errors import (
    ERROR_RESPONSES,
    ErrorBody,
    NotFoundError,
    UnprocessableError,
    WrongActorError,
)
from api.schemas.cards import CardPublic
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
from api.services.access import (
    readable_contribution,
    readable_projects,
    require_readable_project,
)
from api.services.writes import ACCEPTED_RESPONSES, SignedAction, Writes, WritesDep, signed_call
from ledger.chain.signing import register_data, withdraw_contribution_data
from ledger.domain.cards import ContributionCard
from ledger.domain.codec import ZERO_BYTES32, to_hex
from ledger.domain.hashing import contribution_id as compute_contribution_id
from ledger.domain.values import Origin, Registration, checksum
from ledger.store.records import ContributionFilter, ContributionRecord

router = APIRouter(tags=["contributions"], responses=ERROR_RESPONSES)

ProjectIdPath = Annotated[
    int, Path(alias="projectId", ge=1, le=2**32 - 1, description="Project id.")
]
ContributionIdPath = Annotated[
    str,
    Path(
        alias="contributionId",
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="Contribution id (bytes32 hex).",
    ),
]


@router.get(
    "/projects/{projectId}/contributions",
    response_model=ContributionPage,
    summary="List a project's contributions",
)
def list_contributions(
    services: ServicesDep,
    principal: ReaderDep,
    project_id: ProjectIdPath,
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
        Query(
            alias="batchId",
            pattern=r"^0x[0-9a-fA-F]{64}$",
            description="Only those revealed from this batch.",
        ),
    ] = None,
    commitment: Annotated[
        str | None,
        Query(pattern=r"^0x[0-9a-fA-F]{64}$", description="Only those with this commitment."),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(pattern=r"^[0-9]{1,12}$", description="`nextCursor` of the previous page."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
) -> ContributionPage:
    """The project's contributions in chain order, filtered; follow `nextCursor` for more.
    404 `project_not_found` for a project the key may not read."""
    require_readable_project(services, principal, project_id)
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
        items=[
            ContributionPublic.of(c, services.records.card_public(c.contribution_id, c.card_hash))
            for c in page.items
        ],
        next_cursor=None if page.next_cursor is None else str(page.next_cursor),
    )


@router.get(
    "/contributions/{contributionId}",
    response_model=ContributionPublic,
    summary="Get a contribution",
    responses={404: {"model": ErrorBody, "description": "Unknown contribution."}},
)
def get_contribution(
    services: ServicesDep, principal: ReaderDep, contribution_id: ContributionIdPath
) -> ContributionPublic:
    """One contribution by id, with its card."""
    record = readable_contribution(services, principal, contribution_id)
    card = services.records.card_public(record.contribution_id, record.card_hash)
    return ContributionPublic.of(record, card)


@router.get(
    "/contributions/{contributionId}/card",
    response_model=CardPublic,
    summary="Get a contribution's card",
    responses={
        404: {"model": ErrorBody, "description": "Unknown contribution, or no card kept."},
        409: {"model": ErrorBody, "description": "The stored card was altered (not served)."},
    },
)
def get_card(
    services: ServicesDep, principal: ReaderDep, contribution_id: ContributionIdPath
) -> CardPublic:
    """The contribution's card, only if it hashes to the `cardHash` the contributor signed:
    404 `card_not_found` when none was signed or this service keeps none, 409 `card_altered`
    when the stored one no longer matches (it is not served)."""
    record = readable_contribution(services, principal, contribution_id)
    zero = to_hex(ZERO_BYTES32)
    card = None
    if record.card_hash != zero:
        card = services.records.card(record.contribution_id, record.card_hash)
    if card is None:
        raise NotFoundError(
            f"no card of contribution {contribution_id} is kept here", code="card_not_found"
        )
    return CardPublic(card_hash=record.card_hash, status="valid", card=card.to_json())


# ------------------------------------------------------------------------------ writes


def _card(
    writes: Writes, project_id: int, body: RegistrationFields
) -> tuple[bytes, ContributionCard | None]:
    """The card hash to sign, and the card to keep (None when the body brings only a hash)."""
    if body.card is None:
        return (bytes.fromhex(body.card_hash[2:]) if body.card_hash else ZERO_BYTES32), None
    card = writes.services.records.card_for(
        project_id=project_id,
        author=writes.actor,
        commitment=body.commitment,
        fields=body.card,
        parents=body.parents,
        card_hash=body.card_hash,
    )
    return card.hash(), card


def _registration(
    writes: Writes, project_id: int, body: RegistrationFields, supersedes: bytes = ZERO_BYTES32
) -> tuple[Registration, ContributionCard | None]:
    card_hash, card = _card(writes, project_id, body)
    try:
        registration = Registration(
            project_id=project_id,
            commitment=bytes.fromhex(body.commitment[2:]),
            origin=Origin.RESULT if body.origin == "result" else Origin.BACKGROUND,
            category=body.category,
            value=body.value,
            parents=tuple(bytes.fromhex(p[2:]) for p in body.parents),
            supersedes=supersedes,
            uri=body.uri,
            card_hash=card_hash,
        )
    except ValueError as exc:
        raise UnprocessableError(str(exc)) from exc
    return registration, card


Body = TypeVar("Body", bound=RegistrationFields)


def kept_body(body: Body, registration: Registration) -> Body:
    """The body as the outbox may fingerprint it: the card's words replaced by its salted
    hash, so that the database holds nothing to test a guess of the card against."""
    return body.model_copy(update={"card": None, "card_hash": to_hex(registration.card_hash)})


def register_action(
    writes: Writes,
    registration: Registration,
    *,
    kind: str = "register",
    card: ContributionCard | None = None,
) -> SignedAction:
    """The signed `registerBySig` action of `registration` by the key's partner; `card` is
    kept (sealed) once the signature is checked, before the write is accepted."""
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
        keep=None if card is None else lambda: _keep_card(writes, registration, card),
    )


def _keep_card(writes: Writes, registration: Registration, card: ContributionCard) -> object:
    cid = compute_contribution_id(registration.project_id, writes.actor, registration.commitment)
    return writes.services.records.keep_card(
        project_id=registration.project_id,
        contribution_id=to_hex(cid),
        card=card,
        author=writes.actor,
    )


@router.post(
    "/projects/{projectId}/contributions",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Register a contribution",
)
def register(
    writes: WritesDep, project_id: ProjectIdPath, body: RegistrationCreate
) -> JSONResponse:
    """Register a contribution of the key's partner: its salted commitment goes on chain,
    signed by the partner (EIP-712), with its card's hash; the card itself is kept sealed for
    the project. Registering the same commitment again with the same fields returns the
    operation that registers it (pending or confirmed); with another value, category, origin,
    parents, URI or card it is 409 `conflict` naming them. A failed registration does not
    count: posting it again is a new attempt."""
    registration, card = _registration(writes, project_id, body)
    action = register_action(writes, registration, card=card)
    return writes.submit(action, body, kept_body(body, registration))


@router.post(
    "/projects/{projectId}/contributions/prepare",
    response_model=PreparedPublic,
    summary="Prepare a registration for signing",
)
def prepare_register(
    writes: WritesDep, project_id: ProjectIdPath, body: RegistrationFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign for this registration (its `cardHash` is the
    card's hash; post the same body, card included, with the signature)."""
    registration, card = _registration(writes, project_id, body)
    return writes.prepare(register_action(writes, registration, card=card))


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
) -> tuple[SignedAction, Registration]:
    old = _own_contribution(writes, contribution_id)
    registration, card = _registration(
        writes, old.project_id, body, bytes.fromhex(contribution_id[2:])
    )
    return register_action(writes, registration, kind="supersede", card=card), registration


@router.post(
    "/contributions/{contributionId}/supersede",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Supersede a contribution",
)
def supersede(
    writes: WritesDep, contribution_id: ContributionIdPath, body: SupersedeCreate
) -> JSONResponse:
    """Register a new version of the partner's own contribution, with its own card; the old one
    is kept, marked Superseded. This is how a card is corrected: cards are never edited."""
    action, registration = _supersede_action(writes, contribution_id, body)
    return writes.submit(action, body, kept_body(body, registration))


@router.post(
    "/contributions/{contributionId}/supersede/prepare",
    response_model=PreparedPublic,
    summary="Prepare a supersession for signing",
)
def prepare_supersede(
    writes: WritesDep, contribution_id: ContributionIdPath, body: RegistrationFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign for this supersession."""
    return writes.prepare(_supersede_action(writes, contribution_id, body)[0])


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
    "/contributions/{contributionId}/withdraw",
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
    "/contributions/{contributionId}/withdraw/prepare",
    response_model=PreparedPublic,
    summary="Prepare a withdrawal for signing",
)
def prepare_withdraw(writes: WritesDep, contribution_id: ContributionIdPath) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign for this withdrawal."""
    return writes.prepare(_withdraw_action(writes, contribution_id))
