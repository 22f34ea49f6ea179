"""Verifying a proof bundle: the request and the report."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel
from api.schemas.common import (
    EXAMPLE_ADDRESS,
    EXAMPLE_COMMITMENT,
    EXAMPLE_CONTENT_HASH,
    EXAMPLE_HASH,
    EXAMPLE_SALT,
    Bytes32,
)


class VerifyRequest(ApiModel):
    """A bundle and, optionally, the SHA-256 of the original file (never the file)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    # A real bundle also carries identity, policy, authorisation, inclusion,
                    # batch and history (see docs/proof-bundle.schema.json).
                    "bundle": {
                        "version": 3,
                        "type": "poc-ledger/contribution-proof",
                        "contribution": {
                            "contributionId": EXAMPLE_HASH,
                            "projectId": 1,
                            "contributor": EXAMPLE_ADDRESS,
                            "contentHash": EXAMPLE_CONTENT_HASH,
                            "salt": EXAMPLE_SALT,
                            "commitment": EXAMPLE_COMMITMENT,
                            "cardHash": EXAMPLE_HASH,
                        },
                        "card": {"title": "Retting trial 7", "...": "docs/proofs.md"},
                        # Format 3: integers of uint64 and wider as decimal strings.
                        "chain": {"chainId": "31337", "blockNumber": "7", "txHash": EXAMPLE_HASH},
                    },
                    "fileSha256": EXAMPLE_CONTENT_HASH,
                    "online": True,
                }
            ]
        }
    )

    bundle: dict[str, Any] = Field(
        description="The proof bundle JSON document: format 3 (docs/proof-bundle.schema.json), "
        "or formats 2 and 1 as written before (docs/proof-bundle-v2.schema.json, "
        "docs/proof-bundle-v1.schema.json)."
    )
    file_sha256: Bytes32 | None = Field(
        default=None, description="SHA-256 of the original file, computed by the caller."
    )
    online: bool = Field(
        default=True,
        description="Also check the block hash and contract code on this node, and the public "
        "checkpoint on the public chain's node this service is configured with.",
    )


class CheckPublic(ApiModel):
    """One check of the verification."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "commitment",
                    "passed": True,
                    "detail": "content hash and salt open the commitment; "
                    "the contribution id recomputes",
                    "fields": [],
                },
                {
                    "name": "file",
                    "passed": False,
                    "detail": f"the file's SHA-256 is {EXAMPLE_HASH}, not the content hash",
                    "fields": ["contribution.contentHash"],
                },
            ]
        }
    )

    name: str = Field(examples=["commitment"])
    passed: bool
    detail: str
    fields: list[str] = Field(description="JSON paths of the bundle found wrong (on failure).")
    skipped: bool = Field(
        default=False,
        description="Not completed for want of something only the reader can give (the TSA's "
        "trust anchors, a node of the public chain); `passed` is then true and `detail` says "
        "what is missing.",
    )


class VerificationPublic(ApiModel):
    """Every check, offline first; `ok` when all passed."""

    model_config = ConfigDict(
        **{
            "json_schema_extra": {
                "examples": [
                    {
                        "ok": True,
                        "checks": [
                            {
                                "name": "file",
                                "passed": True,
                                "detail": "SHA-256 of the file equals the content hash",
                                "fields": [],
                            }
                        ],
                    }
                ]
            }
        }
    )

    ok: bool
    checks: list[CheckPublic]
