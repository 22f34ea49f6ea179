"""Partners and their API keys: onboarding, identity, key issue, rotation and revocation."""

from __future__ import annotations

import contextlib
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from api.auth import Principal, Role, new_api_key, rotate_api_key
from api.deps import LEDGER, AdminDep, ReaderDep, ServicesDep
from api.errors import (
    ERROR_RESPONSES,
    ConflictError,
    NotFoundError,
    UnprocessableError,
    WrongActorError,
)
from api.schemas.operations import PreparedPublic
from api.schemas.partners import (
    IdentityCreate,
    IdentityFields,
    IssuedKeyPublic,
    KeyCreate,
    KeyPublic,
    KeyRotate,
    OnboardedPublic,
    PartnerCreate,
    PartnerPublic,
    StandaloneKeyCreate,
)
from api.services.access import can_read_partner, readable_projects
from api.services.key_authority import KeyAction, KeyTarget, authorize
from api.services.writes import ACCEPTED_RESPONSES, SignedAction, Writes, WritesDep, signed_call
from ledger.chain.signing import set_identity_data
from ledger.domain.values import checksum
from ledger.errors import ConfigurationError, LedgerError
from ledger.store.keys import ApiKeyRecord

router = APIRouter(tags=["partners"], responses=ERROR_RESPONSES)

AddressPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$", description="Partner address.")]
KeyIdPath = Annotated[
    str, Path(alias="keyId", pattern=r"^[0-9a-f]{12}$", description="API key id.")
]
# Gas money for the few calls a custodial partner sends itself (coordinator membership changes).
DEV_FUNDING_WEI = 10**18


def _issued(plaintext: str, record: ApiKeyRecord) -> IssuedKeyPublic:
    return IssuedKeyPublic(**KeyPublic.of(record).model_dump(), api_key=plaintext)


@router.post(
    "/partners",
    status_code=201,
    response_model=OnboardedPublic,
    summary="Onboard a partner (admin)",
)
def onboard(services: ServicesDep, _: AdminDep, body: PartnerCreate) -> OnboardedPublic:
    """Create the partner's key pair (custodial) or register its own address, and issue its
    first API key. The key is in the response only."""
    address: str | None = None
    custodial = False
    if body.role == "auditor":
        if body.address is not None:
            raise UnprocessableError("an auditor acts for no address", code="invalid_request")
    elif body.custodial:
        if body.address is not None:
            raise UnprocessableError(
                "a custodial partner gets a new key; leave address out", code="invalid_request"
            )
        custody = services.require_custody()
        try:
            account = custody.create(body.label)
        except ConfigurationError as exc:
            raise ConflictError(str(exc), code="label_taken") from exc
        address, custodial = account.address, True
        access = services.chain
        if access is not None and access.chain.is_dev:
            # Only direct coordinator calls need gas money; relayed actions do not.
            with contextlib.suppress(LedgerError):
                access.relayer.transfer(address, DEV_FUNDING_WEI)
    else:
        if body.address is None:
            raise UnprocessableError(
                "a non-custodial partner needs its address", code="invalid_request"
            )
        address = body.address
    issued = new_api_key(services.store, address, Role(body.role), body.label)
    return OnboardedPublic(
        address=address, custodial=custodial, key=_issued(issued.plaintext, issued.record)
    )


@router.get("/me", response_model=KeyPublic, summary="The key of this request")
def who_am_i(services: ServicesDep, principal: ReaderDep) -> KeyPublic:
    """The API key the request carries: its id, role, partner (null for auditor and admin keys)
    and label; never the key itself. The cheapest authenticated read: a client checks a key
    typed in by a person with it (401 `invalid_api_key` for one the service does not know or
    revoked) and learns whom the key acts for."""
    record = services.store.keys.api_key(principal.key_id)
    if record is None:  # revoked and purged between authentication and here
        raise NotFoundError(f"no key {principal.key_id}", code="key_not_found")
    return KeyPublic.of(record)


@router.get("/partners/{address}", response_model=PartnerPublic, summary="Get a partner")
def get_partner(services: ServicesDep, principal: ReaderDep, address: AddressPath) -> PartnerPublic:
    """A partner's declared identity, custody and the projects of it the key may read. Seen
    by the partner itself, the admin, and whoever reads a project it is or was a partner
    of; to anyone else it is 404, like an address the service does not know."""
    wanted = checksum(address)
    if not can_read_partner(services.store, principal, wanted):
        raise NotFoundError(f"no partner {wanted}", code="partner_not_found")
    identity = services.store.index.identity(wanted)
    own = principal.partner is not None and checksum(principal.partner) == wanted
    projects = services.store.index.list_projects(
        partner=wanted,
        only=None if own else readable_projects(services.store, principal),
        limit=1000,
    ).items
    keys = services.store.keys.api_keys(wanted)
    custodial = services.custody is not None and services.custody.holds(wanted)
    if identity is None and not projects and not keys and not custodial:
        raise NotFoundError(f"no partner {wanted}", code="partner_not_found")
    return PartnerPublic(
        address=wanted,
        custodial=custodial,
        identity=None
        if identity is None
        else IdentityFields(name=identity.name, company_number=identity.company_number),
        projects=[p.project_id for p in projects],
    )


def _identity_action(writes: Writes, address: str, body: IdentityFields) -> SignedAction:
    if checksum(address) != writes.actor:
        raise WrongActorError(f"this API key acts for {writes.actor}, not {checksum(address)}")
    size = len(body.name.encode()) + len(body.company_number.encode())
    gas = writes.services.require_chain().ledger.gas_limit("setIdentity", size=size, by_sig=True)
    return SignedAction(
        kind="set_identity",
        contract=LEDGER,
        project_id=None,
        typed_data=lambda domain, signer, nonce, deadline: set_identity_data(
            domain,
            name=body.name,
            company_number=body.company_number,
            signer=signer,
            nonce=nonce,
            deadline=deadline,
        ),
        call=lambda auth: signed_call(
            LEDGER, "setIdentityBySig", (body.name, body.company_number), auth, gas
        ),
    )


@router.put(
    "/partners/{address}/identity",
    status_code=202,
    responses=ACCEPTED_RESPONSES,
    summary="Declare the partner's identity",
)
def set_identity(writes: WritesDep, address: AddressPath, body: IdentityCreate) -> JSONResponse:
    """Declare the legal name and company number of the key's own partner on chain."""
    fields = IdentityFields(name=body.name, company_number=body.company_number)
    return writes.submit(_identity_action(writes, address, fields), body, body)


@router.post(
    "/partners/{address}/identity/prepare",
    response_model=PreparedPublic,
    summary="Prepare an identity declaration for signing",
)
def prepare_identity(
    writes: WritesDep, address: AddressPath, body: IdentityFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_identity_action(writes, address, body))


@router.get("/partners/{address}/keys", response_model=list[KeyPublic], summary="List keys")
def list_keys(services: ServicesDep, principal: ReaderDep, address: AddressPath) -> list[KeyPublic]:
    """The partner's API keys: its own partner's for a partner or coordinator key, any
    partner's for an admin key (`api.services.key_authority`)."""
    authorize(principal, KeyAction.LIST, KeyTarget(partner=address))
    return [KeyPublic.of(k) for k in services.store.keys.api_keys(checksum(address))]


@router.post(
    "/partners/{address}/keys",
    status_code=201,
    response_model=IssuedKeyPublic,
    summary="Issue another key for a partner",
)
def issue_key(
    services: ServicesDep, principal: ReaderDep, address: AddressPath, body: KeyCreate
) -> IssuedKeyPublic:
    """Issue an additional key for a partner; shown once. A partner or coordinator key issues
    for its own partner, up to its own role (a CI robot's key, a colleague's); an admin key
    for any partner."""
    role = Role(body.role)
    authorize(principal, KeyAction.ISSUE, KeyTarget(partner=address, role=role))
    issued = new_api_key(services.store, checksum(address), role, body.label)
    return _issued(issued.plaintext, issued.record)


@router.get("/keys", response_model=list[KeyPublic], summary="List every key (admin)")
def list_all_keys(
    services: ServicesDep,
    principal: ReaderDep,
    role: Annotated[
        Literal["partner", "coordinator", "auditor", "admin"] | None,
        Query(description="Only keys of this role."),
    ] = None,
    partner: Annotated[
        str | None,
        Query(pattern=r"^0x[0-9a-fA-F]{40}$", description="Only keys of this partner."),
    ] = None,
) -> list[KeyPublic]:
    """Every API key's metadata, oldest first, the revoked ones included: how an admin finds
    the auditor and admin keys, which belong to no partner. A partner or coordinator key may
    list only its own partner's keys (`?partner=` its own address, or
    `/v1/partners/{address}/keys`)."""
    authorize(
        principal,
        KeyAction.LIST,
        KeyTarget(partner=partner, role=None if role is None else Role(role)),
    )
    keys = services.store.keys.api_keys(None if partner is None else checksum(partner))
    return [KeyPublic.of(k) for k in keys if role is None or k.role == role]


@router.post(
    "/keys",
    status_code=201,
    response_model=IssuedKeyPublic,
    summary="Issue an auditor or admin key (admin)",
)
def issue_standalone_key(
    services: ServicesDep, principal: ReaderDep, body: StandaloneKeyCreate
) -> IssuedKeyPublic:
    """Issue a key that acts for no partner: an auditor's (IP counsel; it reads a project
    once that project's coordinator grants it) or another admin's. Shown once."""
    role = Role(body.role)
    authorize(principal, KeyAction.ISSUE, KeyTarget(partner=None, role=role))
    issued = new_api_key(services.store, None, role, body.label)
    return _issued(issued.plaintext, issued.record)


def _managed_key(
    services: ServicesDep, principal: Principal, key_id: str, action: KeyAction
) -> ApiKeyRecord:
    """The key `keyId` if `principal` may do `action` on it; a key it may not manage is
    answered like one that does not exist."""
    record = services.store.keys.api_key(key_id)
    if record is None:
        raise NotFoundError(f"no key {key_id}", code="key_not_found")
    authorize(principal, action, KeyTarget.of(record))
    return record


@router.post(
    "/keys/{keyId}/rotate", status_code=201, response_model=IssuedKeyPublic, summary="Rotate a key"
)
def rotate_key(
    services: ServicesDep, principal: ReaderDep, key_id: KeyIdPath, body: KeyRotate
) -> IssuedKeyPublic:
    """Issue a replacement (same partner and role, same project grants for an auditor) and
    revoke the old key at once."""
    record = _managed_key(services, principal, key_id, KeyAction.ROTATE)
    if record.revoked_at is not None:
        raise ConflictError(f"key {key_id} is revoked", code="key_revoked")
    issued = rotate_api_key(services.store, key_id, body.label)
    services.keys.forget(key_id)
    return _issued(issued.plaintext, issued.record)


@router.delete("/keys/{keyId}", response_model=KeyPublic, summary="Revoke a key")
def revoke_key(services: ServicesDep, principal: ReaderDep, key_id: KeyIdPath) -> KeyPublic:
    """Revoke a key now; requests with it get 401 from then on."""
    _managed_key(services, principal, key_id, KeyAction.REVOKE)
    services.store.keys.revoke_api_key(key_id)
    services.keys.forget(key_id)
    record = services.store.keys.api_key(key_id)
    assert record is not None
    return KeyPublic.of(record)
