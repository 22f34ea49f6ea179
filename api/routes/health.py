"""Liveness (`/health`) and readiness (`/ready`): no API key needed."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ServicesDep
from api.schemas.health import HealthPublic, ReadyPublic
from ledger.errors import LedgerError

router = APIRouter(tags=["health"])

# How many blocks the index may trail the confirmed head and still count as caught up.
READY_LAG_BLOCKS = 2


@cache
def _version() -> str:
    try:
        return version("poc-ledger")
    except PackageNotFoundError:
        return "0.0.0"


@router.get("/health", response_model=HealthPublic, summary="Liveness")
def health() -> HealthPublic:
    """The process is up. Says nothing about the chain: see `/ready`."""
    return HealthPublic(version=_version())


@router.get(
    "/ready",
    response_model=ReadyPublic,
    summary="Readiness",
    responses={503: {"model": ReadyPublic, "description": "Not ready; `problems` says why."}},
)
def ready(services: ServicesDep) -> JSONResponse:
    """Ready when the database answers, the chain node answers and serves the deployment's
    chain, the index has caught up and the outbox worker is sending. A problem that starts
    with `chain_unavailable:` means the node has not been checked against the deployment
    record yet (down since the start, or another chain): writes wait in the outbox."""
    problems: list[str] = []
    codes: list[str] = []

    def problem(code: str, message: str) -> None:
        problems.append(message)
        codes.append(code)

    database = services.store.ping()
    if not database:
        problem("database_unavailable", "database unreachable")
    chain_ok = False
    head = index_block = lag = None
    check = services.check
    if services.follower is None:
        problem("chain_not_configured", "no chain configured")
    elif check is not None and not check.passed:
        # Started without the node (or with the wrong one): nothing is followed or sent until
        # the deployment record checks out against it. Asking the node here would only wait.
        problem("chain_unavailable", f"chain_unavailable: {check.problem}")
    else:
        try:
            status = services.follower.status()
            chain_ok = True
            head, index_block, lag = status.head, status.cursor, status.lag
            if status.lag > READY_LAG_BLOCKS:
                problem("index_behind", f"index {status.lag} blocks behind the chain")
        except LedgerError as exc:
            problem("chain_unavailable", f"chain unreachable: {exc}")
    worker = services.worker
    if worker is not None and worker.last_error:
        # Accepted writes wait in the outbox (relayer out of funds, node refusing): say why.
        problem("outbox_blocked", f"outbox cannot send: {worker.last_error}")
    outbox = dict(services.store.outbox.count_operations()) if database else {}
    body = ReadyPublic(
        ready=not problems,
        chain_reachable=chain_ok,
        database_reachable=database,
        head_block=head,
        index_block=index_block,
        index_lag=lag,
        outbox=outbox,
        problems=problems,
        problem_codes=codes,
    )
    return JSONResponse(body.model_dump(), status_code=200 if body.ready else 503)
