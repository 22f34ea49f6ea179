"""Liveness and readiness."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class HealthPublic(BaseModel):
    """Liveness: the process answers."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "ok", "version": "0.1.0"}]}
    )

    status: Literal["ok"] = "ok"
    version: str = Field(examples=["0.1.0"])


class ReadyPublic(BaseModel):
    """Readiness: the chain is reachable and the index has caught up."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ready": True,
                    "chain_reachable": True,
                    "database_reachable": True,
                    "head_block": 120,
                    "index_block": 120,
                    "index_lag": 0,
                    "outbox": {"confirmed": 12},
                    "problems": [],
                    "problem_codes": [],
                },
                {
                    "ready": False,
                    "chain_reachable": False,
                    "database_reachable": True,
                    "head_block": None,
                    "index_block": None,
                    "index_lag": None,
                    "outbox": {"accepted": 3, "confirmed": 12},
                    "problems": [
                        "chain_unavailable: cannot check the deployment against the node: "
                        "cannot reach the node at http://127.0.0.1:8545"
                    ],
                    "problem_codes": ["chain_unavailable"],
                },
            ]
        }
    )

    ready: bool
    chain_reachable: bool
    database_reachable: bool
    head_block: int | None
    index_block: int | None
    index_lag: int | None
    outbox: dict[str, int]
    problems: list[str] = Field(description="What keeps the service from being ready, in words.")
    problem_codes: list[str] = Field(
        description="A stable code for each entry of `problems`, in the same order: "
        "`database_unavailable`, `chain_not_configured`, `chain_unavailable`, `index_behind`, "
        "`outbox_blocked`."
    )
