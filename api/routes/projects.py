"""Projects: read from the index; create, policy, agreement and membership writes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import ReaderDep, ServicesDep
from api.errors import ERROR_RESPONSES, NotFoundError
from api.schemas import PolicyPublic, ProjectPage, ProjectPublic
from ledger.domain import checksum

router = APIRouter(prefix="/projects", tags=["projects"], responses=ERROR_RESPONSES)

ProjectIdPath = Annotated[int, Path(ge=1, le=2**32 - 1, description="Project id.")]


@router.get("", response_model=ProjectPage, summary="List projects")
def list_projects(
    services: ServicesDep,
    _: ReaderDep,
    partner: Annotated[
        str | None,
        Query(pattern=r"^0x[0-9a-fA-F]{40}$", description="Only projects of this partner."),
    ] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,10}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ProjectPage:
    """Projects in id order, optionally only those a partner belongs to."""
    page = services.store.list_projects(
        partner=None if partner is None else checksum(partner),
        after=int(cursor) if cursor else 0,
        limit=limit,
    )
    return ProjectPage(
        items=[ProjectPublic.of(p) for p in page.items],
        next_cursor=None if page.next_cursor is None else str(page.next_cursor),
    )


@router.get(
    "/{project_id}",
    response_model=ProjectPublic,
    summary="Get a project",
    responses={404: {"description": "Unknown project."}},
)
def get_project(services: ServicesDep, _: ReaderDep, project_id: ProjectIdPath) -> ProjectPublic:
    """A project with its partners, agreement and policy versions."""
    record = services.store.project(project_id)
    if record is None:
        raise NotFoundError(f"no project {project_id}", code="project_not_found")
    return ProjectPublic.of(record)


@router.get("/{project_id}/policies", response_model=list[PolicyPublic], summary="Policy versions")
def list_policies(
    services: ServicesDep, _: ReaderDep, project_id: ProjectIdPath
) -> list[PolicyPublic]:
    """Every policy version of the project, oldest first (old scores stay reproducible)."""
    if services.store.project(project_id) is None:
        raise NotFoundError(f"no project {project_id}", code="project_not_found")
    return [PolicyPublic.of(p) for p in services.store.policies(project_id)]
