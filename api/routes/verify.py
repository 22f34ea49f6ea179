"""Verify a posted proof bundle (`POST /v1/proofs/verify`), for the lawyer's web page.

The checks are `ledger.proof_verifier`'s, the same as `poc verify`: offline first (file hash,
commitment, signature, receipt proof, header, log), then online against this service's node
(block hash at that height, contract code). The original file is never posted: the caller
hashes it on its own machine and sends the SHA-256 only.

A lawyer who does not trust this service runs `poc verify` against a node of their choice
instead; this route is the convenience of checking from the browser.

A posted bundle is hostile input: whatever it holds, the answer is 200 with the checks and the
fields at fault (docs/proofs.md, "Hostile bundles"). Only a body that is not a JSON object is
refused, with a 4xx and a stable code (nested past 64 levels: 422 `json_too_deep`, before it is
parsed, by `api.app.JsonDepthMiddleware`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ReaderDep, ServicesDep
from api.errors import ERROR_RESPONSES
from api.schemas import (
    EXAMPLE_ADDRESS,
    EXAMPLE_COMMITMENT,
    EXAMPLE_CONTENT_HASH,
    EXAMPLE_HASH,
    EXAMPLE_SALT,
    Bytes32,
)
from ledger.proof_verifier import verify_with_file_hash

router = APIRouter(prefix="/proofs", tags=["exports"], responses=ERROR_RESPONSES)


class VerifyRequest(BaseModel):
    """A bundle and, optionally, the SHA-256 of the original file (never the file)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    # A real bundle also carries identity, policy, authorisation, inclusion,
                    # batch and history (see docs/proof-bundle.schema.json).
                    "bundle": {
                        "version": 1,
                        "type": "poc-ledger/contribution-proof",
                        "contribution": {
                            "contributionId": EXAMPLE_HASH,
                            "projectId": 1,
                            "contributor": EXAMPLE_ADDRESS,
                            "contentHash": EXAMPLE_CONTENT_HASH,
                            "salt": EXAMPLE_SALT,
                            "commitment": EXAMPLE_COMMITMENT,
                        },
                        "chain": {"chainId": 31337, "blockNumber": 7, "txHash": EXAMPLE_HASH},
                    },
                    "file_sha256": EXAMPLE_CONTENT_HASH,
                    "online": True,
                }
            ]
        }
    )

    bundle: dict[str, Any] = Field(
        description="The proof bundle JSON document (docs/proof-bundle.schema.json)."
    )
    file_sha256: Bytes32 | None = Field(
        default=None, description="SHA-256 of the original file, computed by the caller."
    )
    online: bool = Field(
        default=True, description="Also check the block hash and contract code on this node."
    )


class CheckPublic(BaseModel):
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


class VerificationPublic(BaseModel):
    """Every check, offline first; `ok` when all passed."""

    model_config = {
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

    ok: bool
    checks: list[CheckPublic]


@router.post("/verify", response_model=VerificationPublic, summary="Verify a proof bundle")
def verify_bundle(services: ServicesDep, _: ReaderDep, body: VerifyRequest) -> VerificationPublic:
    """Run the verifier on the bundle; a failed check is a 200 with `ok: false` and the
    fields at fault, not an error."""
    w3 = None
    if body.online and services.chain is not None:
        w3 = services.chain.chain.w3
    file_sha256 = bytes.fromhex(body.file_sha256[2:]) if body.file_sha256 else None
    report = verify_with_file_hash(body.bundle, file_sha256=file_sha256, w3=w3)
    return VerificationPublic(
        ok=report.ok,
        checks=[
            CheckPublic(name=c.name, passed=c.passed, detail=c.detail, fields=list(c.fields))
            for c in report.checks
        ],
    )
