"""Auditor grants: which auditor key may read a project, granted by its coordinator."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import EXAMPLE_ADDRESS

EXAMPLE_GRANT: dict[str, Any] = {
    "project_id": 1,
    "key_id": "b4d7e21f0a93",
    "label": "ip-counsel",
    "role": "auditor",
    "granted_by": EXAMPLE_ADDRESS,
    "granted_by_key": "3f9a0c11d2e4",
    "granted_at": 1767225600.0,
    "revoked_at": None,
    "revoked_by": None,
    "active": True,
}


class AuditorGrantPublic(BaseModel):
    """Read access to one project for one auditor (or admin) key."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                EXAMPLE_GRANT,
                # Revoked by the coordinator a month later.
                {
                    **EXAMPLE_GRANT,
                    "revoked_at": 1769904000.0,
                    "revoked_by": EXAMPLE_ADDRESS,
                    "active": False,
                },
            ]
        }
    )

    project_id: int
    key_id: str = Field(examples=["b4d7e21f0a93"])
    label: str = Field(description="The key's label.")
    role: str = Field(description="`auditor` or `admin`.")
    granted_by: str = Field(description="The coordinator that granted it.")
    granted_by_key: str | None = Field(description="The API key it granted with.")
    granted_at: float
    revoked_at: float | None
    revoked_by: str | None
    active: bool = Field(description="In force: not revoked, and the key itself not revoked.")
