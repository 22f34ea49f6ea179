"""Liveness and readiness."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel
from api.schemas.common import SafeInt


class HealthPublic(ApiModel):
    """Liveness: the process answers."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "ok", "version": "0.1.0"}]}
    )

    status: Literal["ok"] = "ok"
    version: str = Field(examples=["0.1.0"])


class ReadyPublic(ApiModel):
    """Readiness: the chain is reachable and the index has caught up."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ready": True,
                    "chainReachable": True,
                    "databaseReachable": True,
                    "headBlock": 120,
                    "indexBlock": 120,
                    "indexLag": 0,
                    "outbox": {"confirmed": 12},
                    "problems": [],
                    "problemCodes": [],
                },
                {
                    "ready": False,
                    "chainReachable": False,
                    "databaseReachable": True,
                    "headBlock": None,
                    "indexBlock": None,
                    "indexLag": None,
                    "outbox": {"accepted": 3, "confirmed": 12},
                    "problems": [
                        "chain_unavailable: cannot check the deployment against the node: "
                        "cannot reach the node at http://127.0.0.1:8545"
                    ],
                    "problemCodes": ["chain_unavailable"],
                },
            ]
        }
    )

    ready: bool
    chain_reachable: bool
    database_reachable: bool
    head_block: SafeInt | None
    index_block: SafeInt | None
    index_lag: SafeInt | None
    outbox: dict[str, SafeInt]
    problems: list[str] = Field(description="What keeps the service from being ready, in words.")
    problem_codes: list[str] = Field(
        description="A stable code for each entry of `problems`, in the same order: "
        "`database_unavailable`, `chain_not_configured`, `chain_unavailable`, `index_behind`, "
        "`outbox_blocked`."
    )
