"""Operations: the status of accepted writes (`/v1/operations/{id}`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.actions import OperationPublic
from api.auth import Role
from api.deps import ReaderDep, ServicesDep
from api.errors import ERROR_RESPONSES, NotFoundError
from ledger.sync.outbox import OpStatus

router = APIRouter(prefix="/operations", tags=["operations"], responses=ERROR_RESPONSES)

OperationIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="Operation id.")]


@router.get("/{operation_id}", response_model=OperationPublic, summary="Get an operation")
def get_operation(
    services: ServicesDep, principal: ReaderDep, operation_id: OperationIdPath
) -> OperationPublic:
    """Where an accepted write stands. Partners see their own operations; admins and auditors
    see all."""
    op = services.store.operation(operation_id)
    sees_all = principal.role in (Role.ADMIN, Role.AUDITOR)
    if op is None or (not sees_all and op.actor != principal.partner):
        raise NotFoundError(f"no operation {operation_id}", code="operation_not_found")
    return OperationPublic.of(op)


@router.get("", response_model=list[OperationPublic], summary="List operations")
def list_operations(
    services: ServicesDep,
    principal: ReaderDep,
    status: Annotated[OpStatus | None, Query(description="Only in this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="How many, newest first.")] = 50,
) -> list[OperationPublic]:
    """The caller's operations, newest first (all operations for admin and auditor keys)."""
    sees_all = principal.role in (Role.ADMIN, Role.AUDITOR)
    ops = services.store.list_operations(
        actor=None if sees_all else principal.partner,
        status=None if status is None else status.value,
        limit=limit,
    )
    return [OperationPublic.of(op) for op in ops]
