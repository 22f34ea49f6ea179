"""Consortium agreements made with the guided builder (docs/agreements.md).

A coordinator writes the answers (`POST /agreements`, then `PUT .../draft` while it is a
draft); the agreement's text in Dutch and English and the policy the contracts enforce both
come from those answers. `POST .../project` creates the project on chain with the document's
hash, partners and policy (a signed partner action, as every partner action is). Partners read
the text in their language (`GET .../versions/{n}/document`) and accept by signature
(`POST .../acceptances`). An amendment (`POST .../amendments`) is a new version with the list of
what changed; `POST .../versions/{n}/proposals` proposes its hash, or its policy, to the
project's governance, where partners approve it (`/v1/projects/{id}/proposals/...`), or its
access-rights settings to PocExchange's (`/v1/projects/{id}/exchange-settings/proposals/...`).
The settings of version 1 go on PocExchange by `POST .../exchange-settings` right after the
project is created, before the agreement is in force.

Who may read an agreement is `api.services.agreements`' to say; an agreement the caller may not
read is 404 `agreement_not_found`, like one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response

from api.auth import Principal
from api.deps import LEDGER, ReaderDep, Services, ServicesDep, WriterDep
from api.errors import (
    ERROR_RESPONSES,
    ConflictError,
    ErrorBody,
    PermissionDeniedError,
    UnprocessableError,
    WrongActorError,
)
from api.schemas.agreements import (
    AcceptancePublic,
    AgreementAcceptanceCreate,
    AgreementAcceptanceFields,
    AgreementDraft,
    AgreementProjectCreate,
    AgreementProposalCreate,
    AgreementProposalFields,
    AgreementPublic,
    AgreementSettingsCreate,
    ChangePublic,
    ExamplePublic,
    ExchangeSettingsPublic,
    PreviewCreate,
    PreviewPublic,
    VersionPublic,
)
from api.schemas.operations import OperationPublic, PreparedPublic
from api.services.access import readable_projects
from api.services.agreements import (
    StoredVersion,
    VersionState,
    accept_agreement_action,
    answers_of,
    current_policy,
    document_of,
    exchange_settings_in_force,
    new_agreement_id,
    new_salt,
    policy_example,
    readable_agreement,
    readers_of,
    stored_version,
    stored_versions,
    version_record,
)
from api.services.exchange import exchange_action
from api.services.writes import ACCEPTED_RESPONSES, SignedAction, Writes, WritesDep, signed_call
from ledger.agreement.answers import Language
from ledger.agreement.document import AgreementDocument, describe_changes
from ledger.agreement.render import markdown_to_html, markdown_to_pdf, markdown_to_text
from ledger.chain.clients import encode_amend_agreement, encode_change_policy
from ledger.chain.exchange_signing import exchange_settings_data
from ledger.chain.signing import create_project_data, propose_data
from ledger.domain.codec import to_hex
from ledger.domain.events import AgreementAccepted
from ledger.domain.hashing import encode_policy
from ledger.domain.values import ProposalKind, checksum
from ledger.store.agreements import AgreementRecord

router = APIRouter(prefix="/agreements", tags=["agreements"], responses=ERROR_RESPONSES)

AgreementIdPath = Annotated[
    str,
    Path(
        alias="agreementId",
        pattern=r"^[0-9a-f]{32}$",
        description="Agreement id (32 lower-case hex digits).",
    ),
]
VersionPath = Annotated[int, Path(ge=1, le=2**32 - 1, description="Agreement version.")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Unknown agreement (or not readable)."}
}
_MEDIA = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
}


# ------------------------------------------------------------------------------ views


def _changes(document: AgreementDocument) -> list[ChangePublic]:
    texts = {
        language: describe_changes(document.changes, language)
        for language in (Language.NL, Language.EN)
    }
    return [
        ChangePublic(
            change=change.to_json(),
            text={
                language.value: markdown_to_text(texts[language][i]).strip()
                for language in (Language.NL, Language.EN)
            },
        )
        for i, change in enumerate(document.changes)
    ]


def _settings(document: AgreementDocument) -> ExchangeSettingsPublic:
    settings = document.exchange_settings
    return ExchangeSettingsPublic(
        answer_period=settings.answer_period,
        request_period_after_end=settings.request_period_after_end,
        project_end=settings.project_end,
    )


def _acceptances(services: Services, record: AgreementRecord) -> list[AcceptancePublic]:
    if record.project_id is None:
        return []
    result = []
    for stored in services.store.index.events_named(record.project_id, "AgreementAccepted"):
        event = stored.typed()
        assert isinstance(event, AgreementAccepted)
        result.append(
            AcceptancePublic(
                partner=event.partner,
                version=event.version,
                block_number=stored.block_number,
                tx_hash=stored.tx_hash,
            )
        )
    return result


def _version_public(
    services: Services,
    record: AgreementRecord,
    item: StoredVersion,
    acceptances: list[AcceptancePublic],
) -> VersionPublic:
    document = item.document
    mine = [a for a in acceptances if a.version == item.record.version]
    awaiting: list[str] = []
    if item.state is VersionState.RECORDED and record.project_id is not None:
        project = services.store.index.project(record.project_id)
        accepted = {a.partner for a in mine}
        if project is not None:
            awaiting = [
                p.address for p in project.partners if p.active and p.address not in accepted
            ]
    return VersionPublic(
        version=item.record.version,
        state=item.state.value,
        content_hash=item.record.content_hash,
        agreement_hash=item.record.agreement_hash,
        on_chain_hash=item.on_chain_hash,
        amends=to_hex(document.amends) if document.amends else None,
        template=document.template,
        created_by=item.record.created_by,
        created_at=item.record.created_at,
        title=document.answers.project.title,
        answers=document.answers.to_json(),
        policy=document.policy.to_json(),
        policy_hash=to_hex(document.policy_hash),
        parent_share_bps=document.answers.royalties.parent_share_bps,
        exchange_settings=_settings(document),
        changes=_changes(document),
        acceptances=mine,
        awaiting=awaiting,
    )


def _agreement_public(services: Services, record: AgreementRecord) -> AgreementPublic:
    versions = stored_versions(services, record)
    acceptances = _acceptances(services, record)
    project = None if record.project_id is None else services.store.index.project(record.project_id)
    recorded = [v.record.version for v in versions if v.state is VersionState.RECORDED]
    return AgreementPublic(
        agreement_id=record.agreement_id,
        coordinator=record.coordinator,
        salt=record.salt,
        project_id=record.project_id,
        frozen=record.frozen,
        in_force=bool(project and project.in_force),
        current_version=max(recorded, default=0),
        versions=[_version_public(services, record, v, acceptances) for v in versions],
    )


def _require_partner_key(principal: Principal) -> str:
    if not principal.role.acts_for_partner or principal.partner is None:
        raise PermissionDeniedError("this action needs a partner or coordinator key")
    return checksum(principal.partner)


# ------------------------------------------------------------------------------ reads


@router.get("", response_model=list[AgreementPublic], summary="List agreements")
def list_agreements(services: ServicesDep, principal: ReaderDep) -> list[AgreementPublic]:
    """The agreements the key may read: those naming its partner, and those of projects it
    reads; oldest first."""
    store = services.store
    found = {
        r.agreement_id: r for r in store.agreements.linked(readable_projects(store, principal))
    }
    if principal.role.acts_for_partner and principal.partner is not None:
        for record in store.agreements.readable_by(checksum(principal.partner)):
            found.setdefault(record.agreement_id, record)
    readable = [readable_agreement(services, principal, i) for i in found]
    readable.sort(key=lambda r: r.created_at)
    return [_agreement_public(services, r) for r in readable]


@router.post(
    "/preview", response_model=PreviewPublic, summary="Preview what answers give (no storing)"
)
def preview(services: ServicesDep, principal: ReaderDep, body: PreviewCreate) -> PreviewPublic:
    """Check answers and return the policy, settings and texts they give: the builder's
    live preview, with (given `exampleProjectId`, a project the key reads) the split the
    policy would give on that project's contributions today. Nothing is stored; any key may
    ask."""
    document = document_of(answers_of(body.answers))
    example = (
        None
        if body.example_project_id is None
        else policy_example(services, principal, body.example_project_id, document.policy)
    )
    return PreviewPublic(
        example=None
        if example is None
        else ExamplePublic(
            project_id=example.project_id,
            split=[{"partner": p, "bps": b} for p, b in example.split],
            counted=example.counted,
            contributions=example.contributions,
        ),
        policy=document.policy.to_json(),
        policy_hash=to_hex(document.policy_hash),
        parent_share_bps=document.answers.royalties.parent_share_bps,
        exchange_settings=_settings(document),
        texts={language.value: text for language, text in document.texts.items()},
        changes=[],
    )


@router.post(
    "",
    status_code=201,
    response_model=AgreementPublic,
    summary="Start an agreement (coordinator)",
)
def create_agreement(
    services: ServicesDep, principal: WriterDep, body: AgreementDraft
) -> AgreementPublic:
    """Store version 1 (a draft) of a new agreement. The key must act for
    the partner the answers name as coordinator (any of its partner keys)."""
    actor = _require_partner_key(principal)
    answers = answers_of(body.answers)
    if checksum(answers.coordinator) != actor:
        raise WrongActorError(
            f"the answers name {checksum(answers.coordinator)} as coordinator, "
            f"this API key acts for {actor}"
        )
    document = document_of(answers)
    agreement_id, salt = new_agreement_id(), new_salt()
    record = services.store.agreements.create(
        agreement_id,
        coordinator=actor,
        salt=salt,
        first=version_record(agreement_id, document, salt, actor),
        readers=readers_of(answers),
    )
    return _agreement_public(services, record)


@router.get(
    "/{agreementId}",
    response_model=AgreementPublic,
    summary="Get an agreement",
    responses=_NOT_FOUND,
)
def get_agreement(
    services: ServicesDep, principal: ReaderDep, agreement_id: AgreementIdPath
) -> AgreementPublic:
    """An agreement with every version, its state against the chain and its acceptances."""
    return _agreement_public(services, readable_agreement(services, principal, agreement_id))


@router.put(
    "/{agreementId}/draft",
    response_model=AgreementPublic,
    summary="Replace the draft (coordinator)",
    responses=_NOT_FOUND,
)
def replace_draft(
    services: ServicesDep, principal: WriterDep, agreement_id: AgreementIdPath, body: AgreementDraft
) -> AgreementPublic:
    """Replace version 1 while it is a draft. 409 `agreement_frozen` once the project was
    asked for: its hash is then the one the chain gets."""
    record = readable_agreement(services, principal, agreement_id)
    actor = _require_partner_key(principal)
    if actor != record.coordinator:
        raise WrongActorError(
            f"agreement {agreement_id} is coordinated by {record.coordinator}, "
            f"this API key acts for {actor}"
        )
    if record.frozen:
        raise ConflictError(
            "the project was created with this version; change it by an amendment",
            code="agreement_frozen",
        )
    answers = answers_of(body.answers)
    if checksum(answers.coordinator) != actor:
        raise UnprocessableError(
            "the coordinator of an agreement does not change in its draft",
            code="coordinator_changed",
        )
    document = document_of(answers)
    replaced = services.store.agreements.replace_draft(
        agreement_id,
        version_record(agreement_id, document, record.salt, actor),
        readers_of(answers),
    )
    if not replaced:
        raise ConflictError(
            "the project was created with this version; change it by an amendment",
            code="agreement_frozen",
        )
    return get_agreement(services, principal, agreement_id)


@router.get(
    "/{agreementId}/versions/{version}",
    response_model=VersionPublic,
    summary="Get a version",
    responses=_NOT_FOUND,
)
def get_version(
    services: ServicesDep, principal: ReaderDep, agreement_id: AgreementIdPath, version: VersionPath
) -> VersionPublic:
    """One version: hashes, state, answers, policy, changes and acceptances."""
    record = readable_agreement(services, principal, agreement_id)
    item = stored_version(services, record, version)
    return _version_public(services, record, item, _acceptances(services, record))


@router.get(
    "/{agreementId}/versions/{version}/document",
    summary="The text of a version",
    responses={
        200: {
            "content": {media: {} for media in _MEDIA.values()},
            "description": "The text in the format asked for.",
        },
        **_NOT_FOUND,
    },
    response_class=Response,
)
def get_document(
    services: ServicesDep,
    principal: ReaderDep,
    agreement_id: AgreementIdPath,
    version: VersionPath,
    format: Annotated[
        Literal["md", "html", "txt", "pdf", "json"],
        Query(description="md, html, txt or pdf: the text; json: the canonical document."),
    ] = "md",
    language: Annotated[
        Literal["nl", "en"], Query(description="The language of the text (not for json).")
    ] = "nl",
) -> Response:
    """The agreement's text in Dutch or English (Markdown, HTML, plain text or PDF), or the
    canonical document (`json`: the exact bytes whose SHA-256 is the content hash)."""
    record = readable_agreement(services, principal, agreement_id)
    item = stored_version(services, record, version)
    document = item.document
    name = f"agreement-{agreement_id[:8]}-v{version}"
    if format == "json":
        return Response(
            item.record.document,
            media_type=_MEDIA["json"],
            headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
        )
    lang = Language(language)
    markdown = document.text(lang)
    body: bytes
    if format == "md":
        body = markdown.encode()
    elif format == "txt":
        body = markdown_to_text(markdown).encode()
    elif format == "html":
        body = markdown_to_html(markdown).encode()
    else:
        body = markdown_to_pdf(
            markdown,
            language=lang,
            content_hash=document.content_hash,
            title=document.answers.project.title,
        )
    disposition = "attachment" if format == "pdf" else "inline"
    return Response(
        body,
        media_type=_MEDIA[format],
        headers={
            "Content-Disposition": f'{disposition}; filename="{name}-{language}.{format}"',
            "Content-Language": language,
        },
    )


# ------------------------------------------------------------------------------ writes


def _project_action(writes: Writes, agreement_id: str) -> SignedAction:
    record = readable_agreement(writes.services, writes.principal, agreement_id)
    if writes.actor != record.coordinator:
        raise WrongActorError(
            f"agreement {agreement_id} is coordinated by {record.coordinator}, "
            f"this API key acts for {writes.actor}"
        )
    if record.project_id is not None:
        raise ConflictError(
            f"project {record.project_id} was created with this agreement",
            code="agreement_has_project",
        )
    first = stored_version(writes.services, record, 1)
    document = first.document
    policy = document.policy
    agreement = bytes.fromhex(first.record.agreement_hash[2:])
    partners = tuple(checksum(p.address) for p in document.answers.partners)
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
        dedupe_key=f"agreement_project:{agreement_id}",
    )


@router.post(
    "/{agreementId}/project",
    status_code=202,
    response_model=OperationPublic,
    responses={**ACCEPTED_RESPONSES, **_NOT_FOUND},
    summary="Create the project of version 1 (coordinator)",
)
def create_project(
    writes: WritesDep, agreement_id: AgreementIdPath, body: AgreementProjectCreate
) -> JSONResponse:
    """Create the project on chain with version 1's agreement hash, its partners and the
    policy its terms give; the draft is frozen from here. The coordinator signs
    (`createProjectBySig`); `resourceId` is the project id once included."""
    action = _project_action(writes, agreement_id)
    agreements = writes.services.store.agreements
    agreements.freeze(agreement_id)
    try:
        return writes.submit(action, body, body)
    except Exception:
        # Refused before anything was stored (a bad signature, a dry run's revert): the
        # draft may change again.
        agreements.unfreeze(agreement_id)
        raise


@router.post(
    "/{agreementId}/project/prepare",
    response_model=PreparedPublic,
    summary="Prepare the project's creation for signing",
    responses=_NOT_FOUND,
)
def prepare_project(writes: WritesDep, agreement_id: AgreementIdPath) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign. The draft is frozen from here (what is
    signed names its hash); replacing it afterwards is 409 `agreement_frozen`."""
    action = _project_action(writes, agreement_id)
    writes.services.store.agreements.freeze(agreement_id)
    return writes.prepare(action)


def _linked(record: AgreementRecord) -> int:
    if record.project_id is None:
        raise ConflictError(
            "the agreement's project is not on chain yet", code="agreement_not_on_chain"
        )
    return record.project_id


def _settings_action(writes: Writes, agreement_id: str) -> SignedAction:
    # The agreement's coordinator decides, whatever the key's role (docs/api.md).
    record = readable_agreement(writes.services, writes.principal, agreement_id)
    if writes.actor != record.coordinator:
        raise WrongActorError(
            f"agreement {agreement_id} is coordinated by {record.coordinator}, "
            f"this API key acts for {writes.actor}"
        )
    project_id = _linked(record)
    project = writes.services.store.index.project(project_id)
    if project is not None and project.in_force:
        # The contract's rule: from here on the partners decide (an amendment's proposal).
        raise ConflictError(
            f"the agreement of project {project_id} is in force: settings change by an "
            "amendment proposed to the partners (`change_exchange_settings`)",
            code="exchange_agreement_in_force",
        )
    settings = stored_version(writes.services, record, 1).document.exchange_settings.for_chain()
    on_chain, version = exchange_settings_in_force(writes.services, project_id)
    if version > 0 and on_chain == settings:
        raise UnprocessableError(
            "the chain holds these exchange settings already", code="exchange_settings_unchanged"
        )
    return exchange_action(
        writes,
        kind="set_exchange_settings",
        function="setExchangeSettingsBySig",
        project_id=project_id,
        builder=exchange_settings_data,
        fields={"proposal": False, "project_id": project_id, "settings": settings},
        args=(project_id, settings.as_abi()),
        dedupe_key=f"agreement_exchange_settings:{agreement_id}",
    )


@router.post(
    "/{agreementId}/exchange-settings",
    status_code=202,
    response_model=OperationPublic,
    responses={**ACCEPTED_RESPONSES, **_NOT_FOUND},
    summary="Set version 1's exchange settings on chain (coordinator)",
)
def set_exchange_settings(
    writes: WritesDep, agreement_id: AgreementIdPath, body: AgreementSettingsCreate
) -> JSONResponse:
    """Put the access-rights settings version 1's text gives (answer period, how long after
    the project's end requests stay possible, the project's end) on PocExchange, once the
    project is on chain and before its agreement is in force. The coordinator signs
    (`setExchangeSettingsBySig`); the builder does this right after creating the project.
    Afterwards they change only by an amendment (`change_exchange_settings`)."""
    return writes.submit(_settings_action(writes, agreement_id), body, body)


@router.post(
    "/{agreementId}/exchange-settings/prepare",
    response_model=PreparedPublic,
    summary="Prepare the exchange settings for signing",
    responses=_NOT_FOUND,
)
def prepare_exchange_settings(writes: WritesDep, agreement_id: AgreementIdPath) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign (`SetExchangeSettings`)."""
    return writes.prepare(_settings_action(writes, agreement_id))


def _accept_action(
    writes: Writes, agreement_id: str, body: AgreementAcceptanceFields
) -> SignedAction:
    record = readable_agreement(writes.services, writes.principal, agreement_id)
    project_id = _linked(record)
    versions = stored_versions(writes.services, record)
    recorded = [v for v in versions if v.state is VersionState.RECORDED]
    if body.version is None:
        if not recorded:
            raise ConflictError("no version is on chain yet", code="agreement_not_on_chain")
        item = recorded[-1]
    else:
        item = stored_version(writes.services, record, body.version)
        if item.state is not VersionState.RECORDED:
            raise ConflictError(
                f"version {body.version} is {item.state.value}: only a version the chain "
                "records can be accepted",
                code="agreement_version_not_on_chain",
            )
    return accept_agreement_action(
        writes,
        project_id,
        item.record.version,
        bytes.fromhex(item.record.agreement_hash[2:]),
    )


@router.post(
    "/{agreementId}/acceptances",
    status_code=202,
    response_model=OperationPublic,
    responses={**ACCEPTED_RESPONSES, **_NOT_FOUND},
    summary="Accept a version",
)
def accept(
    writes: WritesDep, agreement_id: AgreementIdPath, body: AgreementAcceptanceCreate
) -> JSONResponse:
    """The key's partner accepts a version the chain records (by default the newest) by
    signature (`acceptAgreementBySig` with the version's hash)."""
    return writes.submit(_accept_action(writes, agreement_id, body), body, body)


@router.post(
    "/{agreementId}/acceptances/prepare",
    response_model=PreparedPublic,
    summary="Prepare an acceptance for signing",
    responses=_NOT_FOUND,
)
def prepare_acceptance(
    writes: WritesDep, agreement_id: AgreementIdPath, body: AgreementAcceptanceFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_accept_action(writes, agreement_id, body))


@router.post(
    "/{agreementId}/amendments",
    status_code=201,
    response_model=VersionPublic,
    summary="Write an amendment",
    responses=_NOT_FOUND,
)
def amend(
    services: ServicesDep, principal: WriterDep, agreement_id: AgreementIdPath, body: AgreementDraft
) -> VersionPublic:
    """Store the next version from new answers, with the list of what it changes. Any active
    partner of the project may write one; it takes effect when governance approves its
    proposal (`POST .../versions/{n}/proposals`). An amendment whose hash nobody proposed yet
    is replaced by a new one; once it is proposed, 409 `amendment_pending` until it is decided."""
    record = readable_agreement(services, principal, agreement_id)
    actor = _require_partner_key(principal)
    project_id = _linked(record)
    project = services.store.index.project(project_id)
    if project is None or actor not in {p.address for p in project.partners if p.active}:
        raise PermissionDeniedError(
            f"only an active partner of project {project_id} amends its agreement",
            code="not_partner",
        )
    versions = stored_versions(services, record)
    latest = versions[-1]
    replacing: str | None = None
    if latest.state is VersionState.PROPOSED:
        # A pending amendment nobody proposed yet may still be rewritten; once its hash is
        # before the partners it stays until they decide.
        if _hash_proposed(services, project_id, latest.record.agreement_hash):
            raise ConflictError(
                f"version {latest.record.version} is before the partners: let them decide first",
                code="amendment_pending",
            )
        replacing = latest.record.agreement_hash
        latest = versions[-2]
    elif latest.state is not VersionState.RECORDED:
        raise ConflictError(
            f"version {latest.record.version} is {latest.state.value}: settle it first",
            code="amendment_pending",
        )
    answers = answers_of(body.answers)
    if checksum(answers.coordinator) != checksum(latest.document.answers.coordinator):
        # The ledger keeps the coordinator the project was created with.
        raise UnprocessableError(
            "an amendment keeps the coordinator the project was created with",
            code="coordinator_changed",
        )
    if answers == latest.document.answers:
        raise UnprocessableError("the amendment changes nothing", code="amendment_changes_nothing")
    document = document_of(answers, previous=latest.document)
    added = services.store.agreements.add_version(
        version_record(agreement_id, document, record.salt, actor),
        readers_of(answers),
        replacing=replacing,
    )
    if not added:
        raise ConflictError(
            f"version {document.version} was written meanwhile", code="amendment_pending"
        )
    return get_version(services, principal, agreement_id, document.version)


def _hash_proposed(services: Services, project_id: int, agreement_hash: str) -> bool:
    """Whether an `AmendAgreement` proposal of the project carries this hash."""
    return any(
        p.kind == ProposalKind.AMEND_AGREEMENT and p.data.lower() == agreement_hash.lower()
        for p in services.store.index.proposals(project_id)
    )


def _proposal_action(
    writes: Writes, agreement_id: str, version: int, body: AgreementProposalFields
) -> SignedAction:
    record = readable_agreement(writes.services, writes.principal, agreement_id)
    project_id = _linked(record)
    item = stored_version(writes.services, record, version)
    newest = stored_versions(writes.services, record)[-1].record.version
    # The hash of an amendment not on chain yet; the policy or exchange settings of the newest
    # amendment, before or after its hash is (the proposals are approved in any order).
    allowed = (
        item.state is VersionState.PROPOSED
        if body.kind == "amend_agreement"
        else version == newest > 1 and item.state in (VersionState.PROPOSED, VersionState.RECORDED)
    )
    if not allowed:
        raise ConflictError(
            f"version {version} is {item.state.value}: only the newest amendment is proposed, "
            "its hash while it is not on chain",
            code="amendment_not_pending",
        )
    dedupe_key = f"agreement_proposal:{agreement_id}:{version}:{body.kind}:{writes.actor}"
    if body.kind == "change_exchange_settings":
        settings = item.document.exchange_settings.for_chain()
        if exchange_settings_in_force(writes.services, project_id)[0] == settings:
            raise UnprocessableError(
                "this amendment keeps the exchange settings in force",
                code="exchange_settings_unchanged",
            )
        return exchange_action(
            writes,
            kind="propose_exchange_settings",
            function="proposeExchangeSettingsBySig",
            project_id=project_id,
            builder=exchange_settings_data,
            fields={"proposal": True, "project_id": project_id, "settings": settings},
            args=(project_id, settings.as_abi()),
            dedupe_key=dedupe_key,
        )
    if body.kind == "amend_agreement":
        kind = ProposalKind.AMEND_AGREEMENT
        data = encode_amend_agreement(bytes.fromhex(item.record.agreement_hash[2:]))
    else:
        if current_policy(writes.services, project_id) == item.document.policy:
            raise UnprocessableError(
                "this amendment keeps the policy in force", code="policy_unchanged"
            )
        kind = ProposalKind.CHANGE_POLICY
        data = encode_change_policy(item.document.policy)
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
        dedupe_key=dedupe_key,
    )


@router.post(
    "/{agreementId}/versions/{version}/proposals",
    status_code=202,
    response_model=OperationPublic,
    responses={**ACCEPTED_RESPONSES, **_NOT_FOUND},
    summary="Propose an amendment to governance",
)
def propose(
    writes: WritesDep,
    agreement_id: AgreementIdPath,
    version: VersionPath,
    body: AgreementProposalCreate,
) -> JSONResponse:
    """Propose the amendment's agreement hash (`amend_agreement`), the policy its terms give
    (`change_policy`), or the access-rights settings they give (`change_exchange_settings`,
    on PocExchange); the proposer's approval counts at once. Partners approve at
    `/v1/projects/{id}/proposals/{proposalId}/approvals`, exchange settings at
    `/v1/projects/{id}/exchange-settings/proposals/{proposalId}/approvals`."""
    return writes.submit(_proposal_action(writes, agreement_id, version, body), body, body)


@router.post(
    "/{agreementId}/versions/{version}/proposals/prepare",
    response_model=PreparedPublic,
    summary="Prepare an amendment's proposal for signing",
    responses=_NOT_FOUND,
)
def prepare_proposal(
    writes: WritesDep,
    agreement_id: AgreementIdPath,
    version: VersionPath,
    body: AgreementProposalFields,
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_proposal_action(writes, agreement_id, version, body))
