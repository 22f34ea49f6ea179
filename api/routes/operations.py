"""Operations: the status of accepted writes (`/v1/operations/{id}`).

An operation is a partner's request, not yet (or never) part of the record: the partner it acts
for reads it, and so do the partners (present or former) of its project. Auditor and admin keys
act for nobody and read none; another partner's operation is 404 like an unknown id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.auth import Principal
from api.deps import ReaderDep, Services, ServicesDep
from api.errors import ERROR_RESPONSES, NotFoundError
from api.schemas.operations import OperationPublic
from api.services.access import can_read
from ledger.domain.values import checksum
from ledger.sync.outbox import OpStatus

router = APIRouter(prefix="/operations", tags=["operations"], responses=ERROR_RESPONSES)

OperationIdPath = Annotated[
    str, Path(alias="operationId", pattern=r"^[0-9a-f]{32}$", description="Operation id.")
]


@router.get("/{operationId}", response_model=OperationPublic, summary="Get an operation")
def get_operation(
    services: ServicesDep, principal: ReaderDep, operation_id: OperationIdPath
) -> OperationPublic:
    """Where an accepted write stands: the key's partner's own operations, and those of the
    projects it is or was a partner of."""
    op = services.store.outbox.operation(operation_id)
    if op is None or not _reads(services, principal, op.actor, op.project_id):
        raise NotFoundError(f"no operation {operation_id}", code="operation_not_found")
    return OperationPublic.of(op)


def _reads(services: Services, principal: Principal, actor: str, project_id: int | None) -> bool:
    if not principal.role.acts_for_partner or principal.partner is None:
        return False
    if checksum(actor) == checksum(principal.partner):
        return True
    return project_id is not None and can_read(services.store, principal, project_id)


@router.get("", response_model=list[OperationPublic], summary="List operations")
def list_operations(
    services: ServicesDep,
    principal: ReaderDep,
    status: Annotated[OpStatus | None, Query(description="Only in this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="How many, newest first.")] = 50,
) -> list[OperationPublic]:
    """The operations of the key's partner, newest first; empty for auditor and admin keys,
    which act for nobody."""
    if not principal.role.acts_for_partner or principal.partner is None:
        return []
    ops = services.store.outbox.list_operations(
        actor=checksum(principal.partner),
        status=None if status is None else status.value,
        limit=limit,
    )
    return [OperationPublic.of(op) for op in ops]
