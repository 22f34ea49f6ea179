"""The JSON bodies of the platform's own API: the operator's (`/operator/api`) and the
workspace owner's (`/hosted/api`, `/join`)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field

from api.schemas.base import ApiModel
from poc.hosting.registry import AuditEntry, Workspace


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


class WorkspaceCreate(ApiModel):
    """An SME to invite: the workspace's name (its host name) and its owner."""

    slug: str = Field(min_length=3, max_length=32, examples=["vlasbedrijf"])
    owner_name: str = Field(min_length=1, max_length=200, examples=["Vlasbedrijf Leie BV"])
    owner_email: str = Field(
        min_length=3,
        max_length=320,
        pattern=r"^[^@\s]+@[^@\s]+$",
        examples=["innovatie@vlasbedrijf.example"],
    )
    days: int | None = Field(default=None, ge=1, le=3650, description="Default: the setting.")


class WorkspacePublic(ApiModel):
    """A workspace as the operator sees it."""

    slug: str
    owner_name: str
    owner_email: str
    status: str
    created_at: str
    expires_at: str
    days_left: int
    last_activity: str | None
    storage_bytes: int
    requests: int
    max_contributions: int
    max_storage_bytes: int
    requests_per_minute: int
    url: str

    @classmethod
    def of(cls, workspace: Workspace, quotas: tuple[int, int, int], url: str) -> WorkspacePublic:
        return cls(
            slug=workspace.slug,
            owner_name=workspace.owner_name,
            owner_email=workspace.owner_email,
            status=workspace.status.value,
            created_at=_iso(workspace.created_at) or "",
            expires_at=_iso(workspace.expires_at) or "",
            days_left=max(0, int(workspace.days_left())),
            last_activity=_iso(workspace.last_activity),
            storage_bytes=workspace.storage_bytes,
            requests=workspace.requests,
            max_contributions=quotas[0],
            max_storage_bytes=quotas[1],
            requests_per_minute=quotas[2],
            url=url,
        )


class InvitationPublic(ApiModel):
    """A new invitation: the single-use code and the link for the owner (shown once)."""

    workspace: WorkspacePublic
    code: str
    url: str


class ExtendIn(ApiModel):
    days: int = Field(ge=1, le=3650)


class QuotasIn(ApiModel):
    """A workspace's quotas; null: the platform's default."""

    max_contributions: int | None = Field(default=None, ge=1)
    max_storage_bytes: int | None = Field(default=None, ge=1)
    requests_per_minute: int | None = Field(default=None, ge=1)


class AuditPublic(ApiModel):
    id: int
    at: str
    actor: str
    action: str
    slug: str | None
    detail: dict[str, object]

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditPublic:
        return cls(
            id=entry.id,
            at=_iso(entry.at) or "",
            actor=entry.actor,
            action=entry.action,
            slug=entry.slug,
            detail=entry.detail,
        )


class KeyPublic(ApiModel):
    """One of the workspace's API keys, shown once."""

    label: str
    name: str
    role: str
    address: str | None
    api_key: str


class JoinedPublic(ApiModel):
    """A redeemed invitation: the workspace session (also set as a cookie), the value the
    workspace's own actions want in `X-Workspace-Csrf`, and the workspace's API keys."""

    workspace: str
    session: str
    csrf: str
    keys: list[KeyPublic]


class ClockIn(ApiModel):
    days: int = Field(ge=1, le=3650)


class ClockPublic(ApiModel):
    chain_time: int


class StatusPublic(ApiModel):
    """The workspace as its owner sees it."""

    workspace: str
    expires_at: str
    days_left: int
    chain_time: int
    chain_id: int
    project_id: int
    contributions: int
    max_contributions: int
    storage_bytes: int
    max_storage_bytes: int
    generation: int = Field(
        description="How many times the workspace's data was reset; the answer was built on "
        "this generation's data."
    )


class GraduationIn(ApiModel):
    passphrase: str = Field(min_length=12, max_length=200)
