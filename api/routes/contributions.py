"""Contributions: read and list from the index; register, batch, withdraw, supersede."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import ReaderDep, ServicesDep
from api.errors import ERROR_RESPONSES, NotFoundError
from api.schemas import (
    ORIGINS,
    STATUSES,
    Address,
    Bytes32,
    ContributionPage,
    ContributionPublic,
    OriginName,
    StatusName,
)
from ledger.store import ContributionFilter

router = APIRouter(tags=["contributions"], responses=ERROR_RESPONSES)

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
    _: ReaderDep,
    project_id: Annotated[int | None, Query(ge=1, le=2**32 - 1)] = None,
    contributor: Annotated[Address | None, Query()] = None,
    status: Annotated[StatusName | None, Query()] = None,
    origin: Annotated[OriginName | None, Query()] = None,
    category: Annotated[int | None, Query(ge=0, le=255)] = None,
    batch_id: Annotated[Bytes32 | None, Query()] = None,
    commitment: Annotated[Bytes32 | None, Query()] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,12}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ContributionPage:
    """Contributions in chain order, filtered; follow `next_cursor` for more."""
    where = ContributionFilter(
        project_id=project_id,
        contributor=contributor,
        status=None if status is None else STATUSES.index(status),
        origin=None if origin is None else ORIGINS.index(origin),
        category=category,
        batch_id=batch_id,
        commitment=commitment,
    )
    page = services.store.list_contributions(where, after=int(cursor) if cursor else 0, limit=limit)
    return ContributionPage(
        items=[ContributionPublic.of(c) for c in page.items],
        next_cursor=None if page.next_cursor is None else str(page.next_cursor),
    )


@router.get(
    "/contributions/{contribution_id}",
    response_model=ContributionPublic,
    summary="Get a contribution",
    responses={404: {"description": "Unknown contribution."}},
)
def get_contribution(
    services: ServicesDep, _: ReaderDep, contribution_id: ContributionIdPath
) -> ContributionPublic:
    """One contribution by id."""
    record = services.store.contribution(contribution_id)
    if record is None:
        raise NotFoundError(f"no contribution {contribution_id}", code="contribution_not_found")
    return ContributionPublic.of(record)
