"""Errors of the HTTP API and the one place where exceptions become HTTP responses.

    ApiError                      raised by the API layer itself (auth, limits, lookups)
    ├── AuthenticationError       401  missing_api_key / invalid_api_key / revoked_api_key
    ├── PermissionDeniedError     403  forbidden_role
    │   └── WrongActorError       403  wrong_actor: the key's partner is not the one acting
    ├── NotFoundError             404  <thing>_not_found
    ├── ConflictError             409  conflict (details name the fields), idempotency_key_reused,
    │                                  nonce_taken
    ├── PayloadTooLargeError      413  payload_too_large
    ├── UnprocessableError        422  invalid_* (semantic input errors)
    ├── RateLimitedError          429  rate_limited / too_many_concurrent_requests /
    │                                  too_many_failed_authentications (with Retry-After)
    └── UnavailableError          503  chain_unavailable / index_not_ready
    (ledger.store.StoreError)     503  database_unavailable: disk full, database down
    (ledger.errors.RecordFormatError)    422  card_* / reason_*: a malformed card or reason
    (ledger.errors.RecordIntegrityError) 409  card_altered / reason_altered: refused as valid

Library exceptions (`ledger.errors.LedgerError` and the contract reverts decoded by
`ledger.chain.reverts`) are never wrapped: `install_error_handlers` maps them here to a status, and
a decoded revert keeps the stable `code` its class in `ledger.chain.reverts` carries (e.g.
`not_partner`); an undecoded `TransactionRevertedError` is decoded through the same table.
Every error body is `{"code": ..., "message": ...}` (plus `details` for validation errors);
tracebacks never leave the process. A 500 means a bug in this service.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas.base import ApiModel
from ledger.chain.reverts import (
    ConflictRevertError,
    DecodedRevertError,
    ExternalCallRevertError,
    ForbiddenRevertError,
    InternalRevertError,
    InvalidArgumentRevertError,
    NotFoundRevertError,
    SignatureRevertError,
    from_transaction_error,
)
from ledger.errors import (
    ArtifactError,
    ChainError,
    ConfigurationError,
    ContractRevertError,
    LedgerError,
    ProofError,
    RecordFormatError,
    RecordIntegrityError,
    RecordKeyError,
    ScoringError,
    SealError,
    SigningError,
    StoreError,
    TransactionRevertedError,
)

log = logging.getLogger(__name__)


class ErrorDetail(ApiModel):
    """One field-level problem of a rejected request."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"location": "body.value", "message": "Input should be greater than or equal to 0"}
            ]
        }
    )

    location: str = Field(examples=["body.value"])
    message: str = Field(examples=["Input should be greater than or equal to 0"])
    code: str | None = Field(
        default=None,
        description="Stable code of this problem, where the route gives one (agreement "
        "answers: `ledger.agreement.answers`).",
        examples=["floor_above_cap"],
    )
    expected: str | None = Field(
        default=None,
        description="What the service expected here, where it helps (e.g. the EIP-712 digest "
        "of `signature_mismatch`).",
    )
    actual: str | None = Field(
        default=None,
        description="What it found instead (e.g. the address the signature recovers).",
    )


class ErrorBody(ApiModel):
    """The body of every error response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"code": "wrong_actor", "message": "this API key acts for 0xAb…, not 0xCd…"}
            ]
        }
    )

    code: str = Field(description="Stable machine-readable error code.")
    message: str = Field(description="What went wrong, for a human.")
    details: list[ErrorDetail] | None = None


class ApiError(Exception):
    """Raised by the API layer for a request it refuses; carries status and code."""

    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: list[ErrorDetail] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details


class AuthenticationError(ApiError):
    """Raised when the request carries no valid API key."""

    status = 401
    default_code = "invalid_api_key"


class PermissionDeniedError(ApiError):
    """Raised when the key's role does not allow the action."""

    status = 403
    default_code = "forbidden_role"


class WrongActorError(PermissionDeniedError):
    """Raised when a write would act for another partner than the key's."""

    default_code = "wrong_actor"


class NotFoundError(ApiError):
    """Raised when the addressed resource does not exist (in the index)."""

    status = 404
    default_code = "not_found"


class ConflictError(ApiError):
    """Raised when the request contradicts the current state."""

    status = 409
    default_code = "conflict"


class PayloadTooLargeError(ApiError):
    """Raised when the request body exceeds the configured limit."""

    status = 413
    default_code = "payload_too_large"


class UnprocessableError(ApiError):
    """Raised when well-formed input is semantically invalid."""

    status = 422
    default_code = "invalid_request"


class RateLimitedError(ApiError):
    """Raised when a client sends faster than its limits (`api.limits`); `retry_after` is the
    whole seconds to wait, sent as `Retry-After`."""

    status = 429
    default_code = "rate_limited"

    def __init__(self, message: str, *, code: str | None = None, retry_after: int = 1) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class UnavailableError(ApiError):
    """Raised when a dependency (chain node, index) is not available."""

    status = 503
    default_code = "unavailable"


# Revert families of `ledger.chain.reverts` to statuses; the class carries its own stable `code`.
_REVERT_STATUS: tuple[tuple[type[DecodedRevertError], int], ...] = (
    (NotFoundRevertError, 404),
    (ForbiddenRevertError, 403),
    (InvalidArgumentRevertError, 422),
    (SignatureRevertError, 422),
    (ConflictRevertError, 409),
    (ExternalCallRevertError, 409),
    (InternalRevertError, 409),
)


def revert_status(exc: DecodedRevertError) -> int:
    """The HTTP status of a decoded contract revert (by its family)."""
    for family, status in _REVERT_STATUS:
        if isinstance(exc, family):
            return status
    return 409


def describe(exc: BaseException) -> tuple[int, ErrorBody]:
    """Status and body for any exception (the table of this module)."""
    if isinstance(exc, ApiError):
        return exc.status, ErrorBody(code=exc.code, message=exc.message, details=exc.details)
    if isinstance(exc, DecodedRevertError):
        return revert_status(exc), ErrorBody(code=exc.code, message=str(exc))
    if isinstance(exc, TransactionRevertedError):
        try:
            decoded = from_transaction_error(exc)
        except LedgerError:
            return 409, ErrorBody(code="transaction_reverted", message=str(exc))
        return revert_status(decoded), ErrorBody(code=decoded.code, message=str(decoded))
    if isinstance(exc, ContractRevertError):
        return 409, ErrorBody(code="contract_revert", message=str(exc))
    if isinstance(exc, StoreError):
        # Disk full, database down: the server's fault, worth a retry (writes are idempotent).
        # The driver's message carries SQL and parameters: it goes to the log, not the client.
        log.error("database error: %s", exc)
        message = "the service cannot use its database right now; retry later"
        return 503, ErrorBody(code="database_unavailable", message=message)
    if isinstance(exc, RecordFormatError | RecordIntegrityError | RecordKeyError):
        return _record_status(exc)
    if isinstance(exc, LedgerError):
        return _ledger_status(exc)
    return 500, ErrorBody(code="internal_error", message="internal error; the event was logged")


def _record_status(
    exc: RecordFormatError | RecordIntegrityError | RecordKeyError,
) -> tuple[int, ErrorBody]:
    """Cards and reasons: a malformed one is the client's (422, its own code, the field as
    `card.title`); an altered one is refused as valid (409 `card_altered`); a key that did not
    seal it is the service's configuration (503)."""
    if isinstance(exc, RecordFormatError):
        record = exc.code.split("_", 1)[0]
        details = None
        if exc.field:
            details = [ErrorDetail(location=f"{record}.{exc.field}", message=str(exc))]
        return 422, ErrorBody(code=exc.code, message=str(exc), details=details)
    if isinstance(exc, RecordIntegrityError):
        log.error("%s", exc)
        return 409, ErrorBody(code=exc.code, message=str(exc))
    log.error("%s", exc)
    return 503, ErrorBody(
        code="records_key_mismatch",
        message="the service cannot open its stored cards and reasons right now",
    )


def _ledger_status(exc: LedgerError) -> tuple[int, ErrorBody]:
    table: tuple[tuple[type[LedgerError], int, str], ...] = (
        (ChainError, 503, "chain_unavailable"),
        (ConfigurationError, 503, "service_misconfigured"),
        (ArtifactError, 503, "service_misconfigured"),
        (SigningError, 422, "invalid_signature"),
        (ScoringError, 422, "scoring_failed"),
        # A seal needs the TSA: an outage is the service's, worth a retry.
        (SealError, 503, "seal_unavailable"),
        (ProofError, 422, "proof_failed"),
    )
    for cls, status, code in table:
        if isinstance(exc, cls):
            return status, ErrorBody(code=getattr(exc, "api_code", code), message=str(exc))
    return 400, ErrorBody(code="ledger_error", message=str(exc))


def error_response(exc: BaseException) -> JSONResponse:
    """The JSON response for `exc` (used by the handlers and the middlewares)."""
    status, body = describe(exc)
    headers = None
    if status in (429, 503):
        headers = {"Retry-After": str(getattr(exc, "retry_after", 1))}
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every exception into an `ErrorBody` response."""

    async def on_known(_: Request, exc: Exception) -> JSONResponse:
        return error_response(exc)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        details = [
            ErrorDetail(location=".".join(str(p) for p in err.get("loc", ())), message=err["msg"])
            for err in exc.errors()
        ]
        first = details[0] if details else None
        message = f"{first.location}: {first.message}" if first else "invalid request"
        body = ErrorBody(code="invalid_request", message=message, details=details)
        return JSONResponse(body.model_dump(exclude_none=True), status_code=422)

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        codes = {404: "not_found", 405: "method_not_allowed", 406: "not_acceptable"}
        code = codes.get(exc.status_code, f"http_{exc.status_code}")
        body = ErrorBody(code=code, message=str(exc.detail))
        return JSONResponse(
            body.model_dump(exclude_none=True),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    async def on_bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(exc)

    app.add_exception_handler(ApiError, on_known)
    app.add_exception_handler(LedgerError, on_known)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_bug)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing, unknown or revoked API key."},
    403: {"model": ErrorBody, "description": "Role not allowed, or not the key's partner."},
    404: {"model": ErrorBody, "description": "No such resource."},
    409: {"model": ErrorBody, "description": "The current state does not allow it."},
    413: {"model": ErrorBody, "description": "Request body too large."},
    422: {"model": ErrorBody, "description": "Invalid input."},
    429: {
        "model": ErrorBody,
        "description": "Limit of the API key, or of failed authentications from the client's "
        "address, exceeded; `Retry-After` says in how many seconds to try again.",
        "headers": {
            "Retry-After": {
                "description": "Whole seconds to wait before the next request.",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
    503: {"model": ErrorBody, "description": "Chain node or index unavailable."},
}
"""OpenAPI `responses=` shared by the authenticated routes."""
