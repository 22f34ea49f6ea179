"""Knowledge exchange: encryption keys, sealed documents, disclosures and their receipts
(docs/exchange.md).

A partner shares a document in three steps, all from its own machine's point of view:

1. seal the document with a fresh file key (in the browser or `poc share`) and upload the
   sealed bytes: `PUT /v1/projects/{id}/documents/{contentCommitment}` (raw body). The service
   checks the format's header and length, never the content, and keeps the bytes under the
   disclosure id the chain will give them;
2. wrap the key envelope (file key, salt, name) to each recipient's published encryption key;
3. `POST /v1/projects/{id}/disclosures` with the commitment, the recipients, the wrapped keys
   and (non-custodial) the signature of `Disclose`: the service stores the wrapped keys and
   relays `discloseBySig`.

A recipient finds the disclosure in `GET /v1/inbox`, downloads the sealed document and its own
wrapped key (nobody else's: a non-recipient gets 404), opens both locally, recomputes the
commitment and acknowledges it (`Acknowledge` names the commitment it checked), or declines.
Who reads what: `api.services.exchange`.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response

from api.deps import ReaderDep, ServicesDep, WriterDep, actor_of
from api.errors import (
    ERROR_RESPONSES,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    UnprocessableError,
    WrongActorError,
)
from api.schemas.exchange import (
    AccessRequestPublic,
    AcknowledgeCreate,
    AcknowledgeFields,
    DeclineCreate,
    DeclineFields,
    DisclosureCreate,
    DisclosureFields,
    DisclosurePublic,
    DocumentStored,
    EncryptionKeyCreate,
    EncryptionKeyFields,
    EncryptionKeyPublic,
    InboxPublic,
    WrappedKeyPublic,
)
from api.schemas.operations import OperationPublic, PreparedPublic
from api.services.access import can_read_partner, readable_project, readable_projects
from api.services.exchange import (
    chain_now,
    exchange_action,
    party_disclosure,
    readable_disclosure,
)
from api.services.writes import ACCEPTED_RESPONSES, SignedAction, Writes, WritesDep
from ledger.chain.exchange_signing import (
    acknowledge_data,
    decline_data,
    disclose_data,
    publish_encryption_key_data,
)
from ledger.domain.exchange import ReceiptStatus
from ledger.domain.hashing import disclosure_id as disclosure_id_of
from ledger.domain.values import checksum
from ledger.errors import EnvelopeFormatError, StoreError
from ledger.exchange.envelope import check_sealed_shape, check_wrapped_shape
from ledger.store.exchange_index import DisclosureRecord

router = APIRouter(tags=["exchange"], responses=ERROR_RESPONSES)

DisclosureIdPath = Annotated[
    str, Path(alias="disclosureId", pattern=r"^0x[0-9a-fA-F]{64}$", description="Disclosure id.")
]
CommitmentPath = Annotated[
    str,
    Path(alias="contentCommitment", pattern=r"^0x[0-9a-fA-F]{64}$", description="bytes32 hex."),
]
ProjectIdPath = Annotated[
    int, Path(alias="projectId", ge=1, le=2**32 - 1, description="Project id.")
]
AddressPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$", description="Address.")]
ZERO32 = bytes(32)


def _hex32(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def _public(writes_or_services: Any, record: DisclosureRecord) -> DisclosurePublic:
    services = getattr(writes_or_services, "services", writes_or_services)
    stored = services.store.shared.document(record.disclosure_id) is not None
    return DisclosurePublic.of(record, document_stored=stored)


# ------------------------------------------------------------------------------ keys


@router.get(
    "/partners/{address}/encryption-keys",
    response_model=list[EncryptionKeyPublic],
    summary="List a partner's encryption keys",
)
def list_encryption_keys(
    services: ServicesDep, principal: ReaderDep, address: AddressPath
) -> list[EncryptionKeyPublic]:
    """Every X25519 key the partner published, oldest first; the last is current. Each was
    signed by the partner's own key (EIP-712 `PublishEncryptionKey`)."""
    if not can_read_partner(services.store, principal, address):
        raise NotFoundError(f"no partner {checksum(address)}", code="partner_not_found")
    keys = services.store.index.exchange.encryption_keys(address)
    return [EncryptionKeyPublic.of(k) for k in keys]


def _key_action(writes: Writes, body: EncryptionKeyFields) -> SignedAction:
    public_key = _hex32(body.public_key)
    if public_key == ZERO32:
        raise UnprocessableError("the public key is zero", code="zero_public_key")
    return exchange_action(
        writes,
        kind="publish_encryption_key",
        function="publishEncryptionKeyBySig",
        project_id=None,
        builder=publish_encryption_key_data,
        fields={"public_key": public_key},
        args=(public_key,),
        dedupe_key=f"encryption_key:{writes.actor}:{body.public_key}",
    )


def _own_partner(writes: Writes, address: str) -> None:
    if checksum(address) != writes.actor:
        raise WrongActorError(f"this API key acts for {writes.actor}, not {checksum(address)}")


@router.post(
    "/partners/{address}/encryption-keys",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Publish the partner's encryption key",
)
def publish_encryption_key(
    writes: WritesDep, address: AddressPath, body: EncryptionKeyCreate
) -> JSONResponse:
    """Publish (or rotate) the X25519 public key sharers wrap document keys to, signed by the
    partner's key. The private key never leaves the partner's machine. `address` is the
    partner the key acts for (403 `wrong_actor` otherwise)."""
    _own_partner(writes, address)
    return writes.submit(_key_action(writes, body), body, body)


@router.post(
    "/partners/{address}/encryption-keys/prepare",
    response_model=PreparedPublic,
    summary="Prepare an encryption key for signing",
)
def prepare_encryption_key(
    writes: WritesDep, address: AddressPath, body: EncryptionKeyFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    _own_partner(writes, address)
    return writes.prepare(_key_action(writes, body))


# ------------------------------------------------------------------------------ documents


def _require_sharer(services: Any, principal: Any, project_id: int) -> str:
    project = readable_project(services, principal, project_id)
    actor = actor_of(principal)
    if not any(p.address == actor and p.active for p in project.partners):
        raise UnprocessableError(
            f"{actor} is not an active partner of project {project_id}",
            code="exchange_not_participant",
        )
    return actor


@router.put(
    "/projects/{projectId}/documents/{contentCommitment}",
    response_model=DocumentStored,
    status_code=201,
    summary="Upload a sealed document",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def upload_document(
    request: Request,
    services: ServicesDep,
    principal: WriterDep,
    project_id: ProjectIdPath,
    content_commitment: CommitmentPath,
) -> JSONResponse:
    """The sealed bytes of a document to disclose (docs/exchange.md's format), kept under the
    disclosure id `keccak256(abi.encode(projectId, sharer, contentCommitment))`. The same bytes
    again are accepted (200); other bytes for a disclosure already stored are 409."""
    sharer = _require_sharer(services, principal, project_id)
    sealed = await request.body()
    if len(sealed) > services.settings.max_document_bytes:
        raise PayloadTooLargeError(
            f"a sealed document may have {services.settings.max_document_bytes} bytes"
        )
    try:
        check_sealed_shape(sealed)
    except EnvelopeFormatError as exc:
        raise UnprocessableError(str(exc), code="invalid_sealed_document") from exc
    disclosure = "0x" + disclosure_id_of(project_id, sharer, _hex32(content_commitment)).hex()
    existed = services.store.shared.document(disclosure) is not None
    try:
        record = services.store.shared.put_document(
            disclosure, project_id=project_id, sharer=sharer, sealed=sealed
        )
    except StoreError as exc:
        raise ConflictError(str(exc), code="document_exists") from exc
    body = DocumentStored(
        disclosure_id=record.disclosure_id,
        project_id=record.project_id,
        sharer=record.sharer,
        size=record.size,
        sealed_sha256=record.sealed_sha256,
    )
    return JSONResponse(body.model_dump(), status_code=200 if existed else 201)


# ------------------------------------------------------------------------------ disclosures


def _disclose_action(writes: Writes, project_id: int, body: DisclosureFields) -> SignedAction:
    sharer = _require_sharer(writes.services, writes.principal, project_id)
    if len(set(body.recipients)) != len(body.recipients):
        raise UnprocessableError("a recipient is named twice", code="duplicate_recipient")
    if sharer in body.recipients:
        raise UnprocessableError("a partner does not disclose to itself", code="self_disclosure")
    project = writes.services.store.index.project(project_id)
    active = {p.address for p in project.partners if p.active} if project else set()
    outsiders = [r for r in body.recipients if r not in active]
    if outsiders:
        raise UnprocessableError(
            f"not active partners of project {project_id}: {', '.join(outsiders)}",
            code="recipient_not_partner",
        )
    commitment = _hex32(body.content_commitment)
    references = [_hex32(c) for c in body.contribution_ids]
    return exchange_action(
        writes,
        kind="disclose",
        function="discloseBySig",
        project_id=project_id,
        builder=disclose_data,
        fields={
            "project_id": project_id,
            "content_commitment": commitment,
            "recipients": list(body.recipients),
            "contribution_ids": references,
        },
        args=(project_id, commitment, list(body.recipients), references),
        items=len(body.recipients) + len(references),
        dedupe_key=f"disclose:{project_id}:{sharer}:{body.content_commitment}",
    )


def _store_wrapped_keys(writes: Writes, project_id: int, body: DisclosureCreate) -> None:
    disclosure = (
        "0x" + disclosure_id_of(project_id, writes.actor, _hex32(body.content_commitment)).hex()
    )
    shared = writes.services.store.shared
    if shared.document(disclosure) is None:
        raise ConflictError(
            "upload the sealed document first "
            f"(PUT /v1/projects/{project_id}/documents/{body.content_commitment})",
            code="document_missing",
        )
    if set(body.wrapped_keys) != set(body.recipients):
        raise UnprocessableError(
            "give exactly one wrapped key per recipient", code="wrapped_keys_mismatch"
        )
    keys: dict[str, tuple[int, bytes]] = {}
    for recipient in body.recipients:
        published = writes.services.store.index.exchange.encryption_key(recipient)
        if published is None:
            raise ConflictError(
                f"{recipient} has published no encryption key yet", code="no_encryption_key"
            )
        wrapped = base64.b64decode(body.wrapped_keys[recipient], validate=True)
        try:
            check_wrapped_shape(wrapped)
        except EnvelopeFormatError as exc:
            raise UnprocessableError(f"{recipient}: {exc}", code="invalid_wrapped_key") from exc
        keys[recipient] = (published.key_version, wrapped)
    shared.put_wrapped_keys(disclosure, keys)


@router.post(
    "/projects/{projectId}/disclosures",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Disclose a document",
)
def disclose(writes: WritesDep, project_id: ProjectIdPath, body: DisclosureCreate) -> JSONResponse:
    """Disclose an uploaded sealed document to partners of the project: the wrapped keys are
    stored, the disclosure (commitment, recipients, referenced contributions) goes on chain
    under the agreement version in force."""
    action = _disclose_action(writes, project_id, body)
    _store_wrapped_keys(writes, project_id, body)
    return writes.submit(action, body, body)


@router.post(
    "/projects/{projectId}/disclosures/prepare",
    response_model=PreparedPublic,
    summary="Prepare a disclosure for signing",
)
def prepare_disclosure(
    writes: WritesDep, project_id: ProjectIdPath, body: DisclosureFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_disclose_action(writes, project_id, body))


@router.get(
    "/projects/{projectId}/disclosures",
    response_model=list[DisclosurePublic],
    summary="List a project's disclosures",
)
def list_disclosures(
    services: ServicesDep, principal: ReaderDep, project_id: ProjectIdPath
) -> list[DisclosurePublic]:
    """Who disclosed what to whom, and each recipient's answer, oldest first."""
    readable_project(services, principal, project_id)
    records = services.store.index.exchange.disclosures(project_ids=[project_id])
    return [_public(services, r) for r in records]


@router.get(
    "/disclosures/{disclosureId}",
    response_model=DisclosurePublic,
    summary="Read a disclosure",
)
def get_disclosure(
    services: ServicesDep, principal: ReaderDep, disclosure_id: DisclosureIdPath
) -> DisclosurePublic:
    """The disclosure and every recipient's answer."""
    return _public(services, readable_disclosure(services, principal, disclosure_id))


@router.get(
    "/disclosures/{disclosureId}/document",
    summary="Download a sealed document",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_document(
    services: ServicesDep, principal: ReaderDep, disclosure_id: DisclosureIdPath
) -> Response:
    """The sealed bytes, for the sharer and the recipients only (404 for anyone else)."""
    record = party_disclosure(services, principal, disclosure_id)
    try:
        sealed = services.store.shared.read_document(record.disclosure_id)
    except StoreError as exc:
        raise ConflictError(str(exc), code="document_damaged") from exc
    if sealed is None:
        raise NotFoundError(
            f"this service holds no document for {record.disclosure_id}",
            code="document_not_found",
        )
    return Response(
        sealed,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{record.disclosure_id}.pocx"'},
    )


@router.get(
    "/disclosures/{disclosureId}/key",
    response_model=WrappedKeyPublic,
    summary="Fetch one's wrapped key",
)
def get_wrapped_key(
    services: ServicesDep, principal: WriterDep, disclosure_id: DisclosureIdPath
) -> WrappedKeyPublic:
    """The caller's own wrapped key envelope. Anyone but a recipient of the disclosure gets
    404 `wrapped_key_not_found`, the same as for a disclosure without keys."""
    actor = actor_of(principal)
    record = services.store.index.exchange.disclosure(disclosure_id)
    wrapped = (
        None
        if record is None or record.receipt_of(actor) is None
        else services.store.shared.wrapped_key(record.disclosure_id, actor)
    )
    if record is None or wrapped is None:
        raise NotFoundError(
            f"no wrapped key of {disclosure_id} for {actor}", code="wrapped_key_not_found"
        )
    return WrappedKeyPublic(
        disclosure_id=wrapped.disclosure_id,
        recipient=wrapped.recipient,
        key_version=wrapped.key_version,
        wrapped_key=base64.b64encode(wrapped.wrapped).decode("ascii"),
    )


def _recipient_disclosure(writes: Writes, disclosure_id: str) -> DisclosureRecord:
    record = party_disclosure(writes.services, writes.principal, disclosure_id)
    receipt = record.receipt_of(writes.actor)
    if receipt is None:
        raise NotFoundError(f"no disclosure {disclosure_id}", code="disclosure_not_found")
    if receipt.status is not ReceiptStatus.PENDING:
        raise ConflictError(
            f"{writes.actor} answered this disclosure already ({receipt.status.name.lower()})",
            code="disclosure_already_answered",
        )
    return record


def _acknowledge_action(
    writes: Writes, disclosure_id: str, body: AcknowledgeFields
) -> SignedAction:
    record = _recipient_disclosure(writes, disclosure_id)
    if body.content_commitment != record.content_commitment:
        raise ConflictError(
            "the commitment you checked is not the one disclosed: do not acknowledge",
            code="content_mismatch",
        )
    commitment, did = _hex32(record.content_commitment), _hex32(record.disclosure_id)
    return exchange_action(
        writes,
        kind="acknowledge",
        function="acknowledgeBySig",
        project_id=record.project_id,
        builder=acknowledge_data,
        fields={
            "project_id": record.project_id,
            "disclosure_id": did,
            "content_commitment": commitment,
            "sharer": record.sharer,
        },
        args=(record.project_id, did, commitment, record.sharer),
        dedupe_key=f"answer_disclosure:{record.disclosure_id}:{writes.actor}",
    )


@router.post(
    "/disclosures/{disclosureId}/acknowledge",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Acknowledge a disclosure",
)
def acknowledge(
    writes: WritesDep, disclosure_id: DisclosureIdPath, body: AcknowledgeCreate
) -> JSONResponse:
    """Sign that the caller received the document it opened and checked against the
    commitment: on chain, "recipient received content C from sharer at time T under agreement
    version v"."""
    return writes.submit(_acknowledge_action(writes, disclosure_id, body), body, body)


@router.post(
    "/disclosures/{disclosureId}/acknowledge/prepare",
    response_model=PreparedPublic,
    summary="Prepare an acknowledgement for signing",
)
def prepare_acknowledge(
    writes: WritesDep, disclosure_id: DisclosureIdPath, body: AcknowledgeFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_acknowledge_action(writes, disclosure_id, body))


def _decline_action(writes: Writes, disclosure_id: str, body: DeclineFields) -> SignedAction:
    record = _recipient_disclosure(writes, disclosure_id)
    did = _hex32(record.disclosure_id)
    reason = ZERO32 if body.reason_hash is None else _hex32(body.reason_hash)
    return exchange_action(
        writes,
        kind="decline",
        function="declineBySig",
        project_id=record.project_id,
        builder=decline_data,
        fields={"project_id": record.project_id, "disclosure_id": did, "reason_hash": reason},
        args=(record.project_id, did, reason),
        dedupe_key=f"answer_disclosure:{record.disclosure_id}:{writes.actor}",
    )


@router.post(
    "/disclosures/{disclosureId}/decline",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Decline a disclosure",
)
def decline(
    writes: WritesDep, disclosure_id: DisclosureIdPath, body: DeclineCreate
) -> JSONResponse:
    """Refuse to receive the document (optionally with the hash of a reason)."""
    return writes.submit(_decline_action(writes, disclosure_id, body), body, body)


@router.post(
    "/disclosures/{disclosureId}/decline/prepare",
    response_model=PreparedPublic,
    summary="Prepare a decline for signing",
)
def prepare_decline(
    writes: WritesDep, disclosure_id: DisclosureIdPath, body: DeclineFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_decline_action(writes, disclosure_id, body))


# ------------------------------------------------------------------------------ inbox


@router.get("/inbox", response_model=InboxPublic, summary="What waits for the partner")
def inbox(services: ServicesDep, principal: WriterDep) -> InboxPublic:
    """Disclosures the caller's partner is a recipient of, requests for access rights to its
    contributions, and its own requests, each with its state (overdue ones flagged), in the
    projects it may read."""
    actor = actor_of(principal)
    projects = readable_projects(services.store, principal)
    index = services.store.index.exchange
    now = chain_now(services)
    requests = index.access_requests(project_ids=projects, party=actor)
    return InboxPublic(
        disclosures=[
            _public(services, d) for d in index.disclosures(project_ids=projects, recipient=actor)
        ],
        requests_to_answer=[
            AccessRequestPublic.of(r, now=now) for r in requests if r.owner == actor
        ],
        my_requests=[AccessRequestPublic.of(r, now=now) for r in requests if r.requester == actor],
    )
