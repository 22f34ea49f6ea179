"""The platform's refusals: the API's error classes (`api.errors`), with a stable `code` and a
message in English and Dutch from the one translation table (`api/web/i18n.json`,
`error.<code>`), so that an API client and a person both read why."""

from __future__ import annotations

from starlette.responses import JSONResponse

from api.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    UnprocessableError,
    error_response,
)
from api.i18n import translations


class GoneError(ApiError):
    """Raised when what the request names existed but is no longer usable (an expired
    invitation)."""

    status = 410
    default_code = "gone"


def both_languages(code: str) -> str:
    """`error.<code>` in English, then Dutch."""
    table = translations()
    return " / ".join(table[language][f"error.{code}"] for language in ("en", "nl"))


def sign_in_required() -> AuthenticationError:
    code = "workspace_sign_in_required"
    return AuthenticationError(both_languages(code), code=code)


def operator_sign_in_required() -> AuthenticationError:
    code = "operator_sign_in_required"
    return AuthenticationError(both_languages(code), code=code)


def workspace_suspended() -> PermissionDeniedError:
    code = "workspace_suspended"
    return PermissionDeniedError(both_languages(code), code=code)


def workspace_expired() -> PermissionDeniedError:
    code = "workspace_expired"
    return PermissionDeniedError(both_languages(code), code=code)


def csrf_required() -> PermissionDeniedError:
    code = "workspace_csrf_required"
    return PermissionDeniedError(both_languages(code), code=code)


def rate_limited(limit: int, retry_after: int) -> RateLimitedError:
    code = "workspace_rate_limited"
    return RateLimitedError(
        f"{both_languages(code)} ({limit}/min)", code=code, retry_after=retry_after
    )


def contributions_quota(limit: int) -> PermissionDeniedError:
    code = "quota_contributions_reached"
    return PermissionDeniedError(f"{both_languages(code)} ({limit})", code=code)


def storage_quota(limit: int) -> PermissionDeniedError:
    code = "quota_storage_reached"
    return PermissionDeniedError(f"{both_languages(code)} ({limit} bytes)", code=code)


def workspace_not_found() -> NotFoundError:
    code = "workspace_not_found"
    return NotFoundError(both_languages(code), code=code)


def workspace_taken() -> ConflictError:
    code = "workspace_taken"
    return ConflictError(both_languages(code), code=code)


def workspace_name_invalid() -> UnprocessableError:
    code = "workspace_name_invalid"
    return UnprocessableError(both_languages(code), code=code)


def invitation_refused(reason: str) -> ApiError:
    """The refusal of an invitation: unknown 404, used or for an unavailable workspace 409,
    expired 410."""
    if reason == "invitation_unknown":
        return NotFoundError(both_languages("invitation_unknown"), code="invitation_unknown")
    if reason == "invitation_expired":
        return GoneError(both_languages("invitation_expired"), code="invitation_expired")
    if reason == "invitation_used":
        return ConflictError(both_languages("invitation_used"), code="invitation_used")
    return ConflictError(both_languages("workspace_unavailable"), code="workspace_unavailable")


def respond(exc: ApiError) -> JSONResponse:
    return error_response(exc)
