"""Proof exports (per contribution, partner, project; Results Ownership List).

Every key but an admin key may export (`ExporterDep`: auditors, partners, coordinators), and
only what it may read (`api.services.access`): a project of its partner, or one granted to the
auditor key; anything else is 404 as if it did not exist. The
service does not keep salts: a caller that wants a bundle sends the opening (content hash and
salt) of each contribution in the body, which is why the bundle routes are POSTs. The Results
Ownership List needs chain data only and is a GET. Everything is built from the chain through
`ledger.evidence.packs`; the routes only translate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from api.deps import ChainAccess, ExporterDep, ServicesDep
from api.errors import ERROR_RESPONSES
from api.i18n import certificate_text
from api.schemas.common import Address
from api.schemas.exports import CertificateIn, OpeningIn, OpeningsIn
from api.services.access import readable_contribution, require_readable_project
from api.services.agreements import agreement_of_project
from ledger.domain.cards import ContributionCard
from ledger.domain.codec import ZERO_HASH, from_hex
from ledger.evidence.builder import ProofBuilder
from ledger.evidence.bundle import bundle_bytes
from ledger.evidence.certificate import CertificateDetails, certificate_file_name
from ledger.evidence.packs import (
    AgreementEvidence,
    Opening,
    export_contribution,
    export_partner,
    export_project,
    results_ownership_list,
    rol_csv,
    rol_json,
    rol_markdown,
)

router = APIRouter(prefix="/exports", tags=["exports"], responses=ERROR_RESPONSES)


def _builder(chain: ChainAccess) -> ProofBuilder:
    """A bundle builder of the deployment; its exchange's events join the histories."""
    exchange = None if chain.exchange is None else chain.exchange.address
    return ProofBuilder(chain.chain.w3, chain.ledger_address, exchange_address=exchange)


ProjectIdPath = Annotated[
    int, Path(alias="projectId", ge=1, le=2**32 - 1, description="Project id.")
]
ContributionIdPath = Annotated[
    str,
    Path(
        alias="contributionId",
        pattern="^0x[0-9a-fA-F]{64}$",
        description="Contribution id (bytes32 hex).",
    ),
]


def _card(services: ServicesDep, contribution_id: str, card_hash: str) -> ContributionCard | None:
    """The contribution's card for its bundle; 409 `card_altered` if the stored one was
    changed (an export never carries it, nor silently leaves it out)."""
    if card_hash == ZERO_HASH:
        return None
    return services.records.card(contribution_id, card_hash)


def _with_cards(
    openings: Mapping[bytes, Opening], cards: Mapping[bytes, ContributionCard]
) -> dict[bytes, Opening]:
    return {cid: replace(o, card=cards.get(cid)) for cid, o in openings.items()}


def _file(data: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content=data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "/contributions/{contributionId}/bundle",
    summary="Proof bundle (JSON) of one contribution",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def contribution_bundle(
    contribution_id: ContributionIdPath,
    body: OpeningIn,
    services: ServicesDep,
    principal: ExporterDep,
) -> Response:
    """The contribution's proof bundle, built from the chain and opened with the posted
    content hash and salt, with the contribution's card (whose hash the contributor signed);
    anyone can check it with `poc verify` or `/v1/proofs/verify`."""
    record = readable_contribution(services, principal, contribution_id)
    chain = services.require_chain()
    builder = _builder(chain)
    bundle = builder.build(
        from_hex(contribution_id),
        content_hash=from_hex(body.content_hash),
        salt=from_hex(body.salt),
        card=_card(services, record.contribution_id, record.card_hash),
    )
    bundle = services.evidence.completer(chain.chain.w3)(bundle)
    return _file(bundle.to_bytes(), "application/json", f"{contribution_id}.json")


@router.post(
    "/contributions/{contributionId}/certificate",
    summary="PDF certificate of one contribution",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def contribution_certificate(
    contribution_id: ContributionIdPath,
    body: CertificateIn,
    services: ServicesDep,
    principal: ExporterDep,
) -> Response:
    """A certificate of the contribution for people who read no JSON, in Dutch or English,
    sealed when the service has a seal; its title and description are the contribution's
    card's. The `X-Bundle-SHA256` header names the proof bundle it was made from."""
    record = readable_contribution(services, principal, contribution_id)
    chain = services.require_chain()
    builder = _builder(chain)
    # Organisations by the names they declared on the chain (endorsers, disputers, voters).
    index = builder.preload(record.project_id)
    names = {address: name for address, (name, _) in index.latest_identities().items() if name}
    details = CertificateDetails(project_name=body.project_name, names=names)
    opening = replace(
        body.opening(), card=_card(services, record.contribution_id, record.card_hash)
    )
    bundle, json_file, pdf = export_contribution(
        builder,
        from_hex(contribution_id),
        opening,
        text=certificate_text(body.language),
        details=details,
        evidence=services.evidence,
    )
    response = _file(pdf.data, "application/pdf", certificate_file_name(bundle, body.language))
    response.headers["X-Bundle-SHA256"] = json_file.sha256
    return response


@router.post(
    "/projects/{projectId}/partners/{partner}",
    summary="Bundles and certificates of one partner's contributions (zip)",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def partner_export(
    project_id: ProjectIdPath,
    partner: Annotated[Address, Path(description="Partner address.")],
    body: OpeningsIn,
    services: ServicesDep,
    principal: ExporterDep,
) -> Response:
    """A zip of the partner's contributions in the project: a bundle and a certificate for
    each one opened in the body, the others listed as unopened in its manifest."""
    require_readable_project(services, principal, project_id)
    chain = services.require_chain()
    openings = _with_cards(body.by_id(), services.records.project_cards(project_id))
    archive = export_partner(
        chain.chain.w3,
        chain.ledger_address,
        project_id,
        partner,
        openings,
        text=certificate_text(body.language),
        exchange=None if chain.exchange is None else chain.exchange.address,
        workers=1,
        evidence=services.evidence,
    )
    return _file(archive.data, "application/zip", f"project-{project_id}-{partner}.zip")


@router.post(
    "/projects/{projectId}/evidence-pack",
    summary="The project's evidence pack (zip): bundles, certificates, split history, ROL",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def evidence_pack(
    project_id: ProjectIdPath,
    body: OpeningsIn,
    services: ServicesDep,
    principal: ExporterDep,
) -> Response:
    """A zip of everything a lawyer needs about the project: bundles and certificates of the
    contributions opened in the body, the split history, the disclosure and access-rights
    registers, the Results Ownership List, and the consortium agreement (every version and
    acceptance the ledger recorded; for an agreement made with the builder also its salt and
    its documents in Dutch and English)."""
    require_readable_project(services, principal, project_id)
    chain = services.require_chain()
    cards = services.records.project_cards(project_id)
    agreement = agreement_of_project(services, project_id)
    evidence = (
        None
        if agreement is None
        else AgreementEvidence(
            salt=bytes.fromhex(agreement.salt[2:]),
            documents=[
                v.document for v in services.store.agreements.versions(agreement.agreement_id)
            ],
        )
    )
    archive = export_project(
        chain.chain.w3,
        chain.ledger_address,
        project_id,
        _with_cards(body.by_id(), cards),
        vault=chain.vault_address,
        text=certificate_text(body.language),
        exchange=None if chain.exchange is None else chain.exchange.address,
        workers=1,
        titles={cid: card.title for cid, card in cards.items()},
        agreement=evidence,
        evidence=services.evidence,
    )
    return _file(archive.data, "application/zip", f"project-{project_id}-evidence.zip")


@router.get(
    "/projects/{projectId}/results-ownership-list",
    summary="Results Ownership List (DESCA style): each Result, owner, date, Background",
    response_class=Response,
    responses={
        200: {
            "description": "JSON, or CSV with format=csv, or Markdown with format=md.",
            "content": {
                "application/json": {},
                "text/csv": {"schema": {"type": "string"}},
                "text/markdown": {"schema": {"type": "string"}},
            },
        }
    },
)
def results_ownership(
    project_id: ProjectIdPath,
    services: ServicesDep,
    principal: ExporterDep,
    format: Annotated[
        Literal["json", "csv", "md"], Query(description="Response format (md: Markdown).")
    ] = "json",
) -> Response:
    """Every Result of the project with its owner, date, status and the Background it builds
    on (through parent links), from chain data alone: no openings needed."""
    require_readable_project(services, principal, project_id)
    chain = services.require_chain()
    index = ProofBuilder(chain.chain.w3, chain.ledger_address).preload(project_id)
    cards = services.records.project_cards(project_id)
    entries = results_ownership_list(index, {cid: card.title for cid, card in cards.items()})
    if format == "csv":
        return _file(rol_csv(entries), "text/csv", f"project-{project_id}-rol.csv")
    if format == "md":
        return _file(
            rol_markdown(entries, project_id), "text/markdown", f"project-{project_id}-rol.md"
        )
    document = {
        "projectId": project_id,
        "ledger": chain.ledger_address,
        "results": rol_json(entries),
    }
    return Response(content=bundle_bytes(document), media_type="application/json")
