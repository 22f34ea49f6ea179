"""Auditor grants: which auditor key may read a project, granted by its coordinator."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel
from api.schemas.common import EXAMPLE_ADDRESS, SafeInt

EXAMPLE_GRANT: dict[str, Any] = {
    "projectId": 1,
    "keyId": "b4d7e21f0a93",
    "label": "ip-counsel",
    "role": "auditor",
    "grantedBy": EXAMPLE_ADDRESS,
    "grantedByKey": "3f9a0c11d2e4",
    "grantedAt": 1767225600.0,
    "revokedAt": None,
    "revokedBy": None,
    "active": True,
}


class AuditorGrantPublic(ApiModel):
    """Read access to one project for one auditor (or admin) key."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                EXAMPLE_GRANT,
                # Revoked by the coordinator a month later.
                {
                    **EXAMPLE_GRANT,
                    "revokedAt": 1769904000.0,
                    "revokedBy": EXAMPLE_ADDRESS,
                    "active": False,
                },
            ]
        }
    )

    project_id: SafeInt
    key_id: str = Field(examples=["b4d7e21f0a93"])
    label: str = Field(description="The key's label.")
    role: str = Field(description="`auditor` or `admin`.")
    granted_by: str = Field(description="The coordinator that granted it.")
    granted_by_key: str | None = Field(description="The API key it granted with.")
    granted_at: float
    revoked_at: float | None
    revoked_by: str | None
    active: bool = Field(description="In force: not revoked, and the key itself not revoked.")
