"""Verify a posted proof bundle (`POST /v1/proofs/verify`), for the lawyer's web page.

The checks are `ledger.evidence.verifier`'s, the same as `poc verify`: offline first (file hash,
commitment, signature, receipt proof, header, log), then online against this service's node
(block hash at that height, contract code). The original file is never posted: the caller
hashes it on its own machine and sends the SHA-256 only.

The bundle's RFC 3161 timestamp is checked against the TSA trust anchors this service is
configured with (`POC_TSA_ROOTS`; without them the check is SKIP), its public checkpoint
against the public chain's node it uses (`POC_PUBLIC_RPC_URL`).

A lawyer who does not trust this service runs `poc verify` against a node of their choice
instead; this route is the convenience of checking from the browser.

A posted bundle is hostile input: whatever it holds, the answer is 200 with the checks and the
fields at fault (docs/proofs.md, "Hostile bundles"). Only a body that is not a JSON object is
refused, with a 4xx and a stable code (nested past 64 levels: 422 `json_too_deep`, before it is
parsed, by `api.app.JsonDepthMiddleware`).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ReaderDep, ServicesDep
from api.errors import ERROR_RESPONSES
from api.schemas.verify import CheckPublic, VerificationPublic, VerifyRequest
from ledger.evidence.verifier import verify_with_file_hash

router = APIRouter(prefix="/proofs", tags=["exports"], responses=ERROR_RESPONSES)


@router.post("/verify", response_model=VerificationPublic, summary="Verify a proof bundle")
def verify_bundle(services: ServicesDep, _: ReaderDep, body: VerifyRequest) -> VerificationPublic:
    """Run the verifier on the bundle; a failed check is a 200 with `ok: false` and the
    fields at fault, not an error."""
    w3 = None
    evidence = services.evidence
    public_w3 = None
    if body.online:
        if services.chain is not None:
            w3 = services.chain.chain.w3
        if evidence.public is not None:
            public_w3 = evidence.public.w3
    file_sha256 = bytes.fromhex(body.file_sha256[2:]) if body.file_sha256 else None
    report = verify_with_file_hash(
        body.bundle,
        file_sha256=file_sha256,
        w3=w3,
        tsa_roots=evidence.tsa_roots,
        public_w3=public_w3,
    )
    return VerificationPublic(
        ok=report.ok,
        checks=[
            CheckPublic(
                name=c.name,
                passed=c.passed,
                detail=c.detail,
                fields=list(c.fields),
                skipped=c.skipped,
            )
            for c in report.checks
        ],
    )
