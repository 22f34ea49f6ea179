"""Auditor grants: a project's coordinator lets an auditor key (IP counsel) read the project.

`PUT /v1/projects/{id}/auditors/{keyId}` grants, `DELETE` revokes, `GET` lists. Only a
key acting for the project's coordinator (still a partner) grants and revokes; whoever may
read the project sees the list, so every partner knows which outsiders read its records. Grants
are kept in the outbox's database with who granted them and when, and stay on record after
they are revoked (`?include_revoked=true`). An admin key reads project content only when
granted the same way. Who may read what is decided in `api.services.access`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from api.deps import ReaderDep, Services, ServicesDep
from api.errors import ERROR_RESPONSES, ErrorBody, NotFoundError
from api.schemas.auditors import AuditorGrantPublic
from api.services.access import grant_auditor, require_project_coordinator, require_readable_project
from ledger.store.keys import AuditorGrantRecord

router = APIRouter(prefix="/projects", tags=["projects"], responses=ERROR_RESPONSES)

ProjectIdPath = Annotated[
    int, Path(alias="projectId", ge=1, le=2**32 - 1, description="Project id.")
]
KeyIdPath = Annotated[
    str, Path(alias="keyId", pattern=r"^[0-9a-f]{12}$", description="The auditor's API key id.")
]


def _public(services: Services, grant: AuditorGrantRecord) -> AuditorGrantPublic:
    key = services.store.keys.api_key(grant.key_id)
    return AuditorGrantPublic(
        project_id=grant.project_id,
        key_id=grant.key_id,
        label=key.label if key is not None else "",
        role=key.role if key is not None else "",
        granted_by=grant.granted_by,
        granted_by_key=grant.granted_by_key,
        granted_at=grant.granted_at,
        revoked_at=grant.revoked_at,
        revoked_by=grant.revoked_by,
        active=grant.revoked_at is None and key is not None and key.revoked_at is None,
    )


@router.get(
    "/{projectId}/auditors",
    response_model=list[AuditorGrantPublic],
    summary="List the project's auditors",
)
def list_auditors(
    services: ServicesDep,
    principal: ReaderDep,
    project_id: ProjectIdPath,
    include_revoked: Annotated[
        bool,
        Query(alias="includeRevoked", description="Also grants revoked, or whose key was revoked."),
    ] = False,
) -> list[AuditorGrantPublic]:
    """The keys that read the project by grant, oldest grant first."""
    require_readable_project(services, principal, project_id)
    grants = [_public(services, g) for g in services.store.keys.auditor_grants(project_id)]
    return [g for g in grants if include_revoked or g.active]


@router.put(
    "/{projectId}/auditors/{keyId}",
    status_code=201,
    response_model=AuditorGrantPublic,
    summary="Grant an auditor read access (coordinator)",
    responses={200: {"model": AuditorGrantPublic, "description": "Already granted."}},
)
def grant(
    services: ServicesDep, principal: ReaderDep, project_id: ProjectIdPath, key_id: KeyIdPath
) -> JSONResponse:
    """Let an auditor (or admin) key read and export the project: 201 with the new grant, or
    200 with the grant already in force. The auditor tells the coordinator its key id (the
    12 hex digits after `poc_`, never the whole key)."""
    project = require_project_coordinator(services, principal, project_id)
    record, created = grant_auditor(
        services.store,
        project.project_id,
        key_id,
        granted_by=project.coordinator,
        granted_by_key=principal.key_id,
    )
    body = _public(services, record).model_dump(mode="json")
    return JSONResponse(body, status_code=201 if created else 200)


@router.delete(
    "/{projectId}/auditors/{keyId}",
    response_model=AuditorGrantPublic,
    summary="Revoke an auditor's access (coordinator)",
    responses={404: {"model": ErrorBody, "description": "No grant in force for that key."}},
)
def revoke(
    services: ServicesDep, principal: ReaderDep, project_id: ProjectIdPath, key_id: KeyIdPath
) -> AuditorGrantPublic:
    """End the key's grant now: from the next request on it reads the project no more. The
    grant stays on record, revoked."""
    project = require_project_coordinator(services, principal, project_id)
    record = services.store.keys.revoke_auditor_grant(
        project.project_id, key_id, revoked_by=project.coordinator
    )
    if record is None:
        raise NotFoundError(
            f"key {key_id} holds no grant on project {project_id}", code="grant_not_found"
        )
    return _public(services, record)
