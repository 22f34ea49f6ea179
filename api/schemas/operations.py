"""Bodies every write shares: the signature fields of a non-custodial request, the typed data
a `/prepare` route returns, and the operation a write is answered with."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel, CamelDict
from api.schemas.common import EXAMPLE_ADDRESS, EXAMPLE_HASH, SafeInt, Uint256
from ledger.store.outbox import OperationRecord
from ledger.sync.outbox import OpStatus


class SignatureFields(ApiModel):
    """Non-custodial mode: the signature over the typed data `/prepare` returned.

    Leave all three out in custodial mode (the service signs).
    """

    signature: str | None = Field(
        default=None,
        pattern=r"^0x[0-9a-fA-F]{130,}$",
        description="EIP-712 signature (65 bytes for an EOA) of the prepared typed data.",
    )
    nonce: str | None = Field(
        default=None,
        pattern=r"^[0-9]{1,78}$",
        description="The nonce of the prepared typed data (decimal).",
    )
    deadline: Uint256 | None = Field(
        default=None,
        description="The deadline of the prepared typed data (Unix seconds, decimal string).",
    )


class PreparedPublic(ApiModel):
    """Typed data for the partner to sign (non-custodial mode)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "typedData": {
                        "types": {"EIP712Domain": [], "Register": []},
                        "primaryType": "Register",
                        "domain": {"name": "PocLedger", "version": "1"},
                        "message": {"signer": EXAMPLE_ADDRESS},
                    },
                    "signer": EXAMPLE_ADDRESS,
                    "nonce": "81",
                    "deadline": "1767229200",
                    "digest": EXAMPLE_HASH,
                }
            ]
        }
    )

    typed_data: dict[str, Any] = Field(description="eth_signTypedData_v4 payload.")
    signer: str
    nonce: str
    deadline: str = Field(description="Unix seconds, uint256 as a decimal string.")
    digest: str = Field(description="The EIP-712 digest that is signed.")


class OperationError(ApiModel):
    """Why an operation failed: `code` is the contract's error (e.g. `signature_expired`,
    `not_partner`, `already_endorsed`; the codes of the API's own 4xx answers for the same
    refusal), `transaction_reverted` when the chain gave no reason (out of gas?), `send_failed`
    when it could not be sent at all. A failed operation never blocks a new attempt."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "contribution_not_active",
                    "message": f"PocContributionNotActive(contribution_id={EXAMPLE_HASH}, "
                    "status=SUPERSEDED): Raised when the contribution is withdrawn, superseded "
                    "or invalidated.",
                }
            ]
        }
    )

    code: str
    message: str


class OperationPublic(ApiModel):
    """An accepted write and where it stands in the outbox."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6f1c2e0e9b4f4a55a3c1f0d2b7e8a901",
                    "kind": "register",
                    "status": "confirmed",
                    "actor": EXAMPLE_ADDRESS,
                    "projectId": 1,
                    "txHash": EXAMPLE_HASH,
                    "blockNumber": 12,
                    "resourceId": EXAMPLE_HASH,
                    "result": {"events": []},
                    "error": None,
                    "attempts": 1,
                    "createdAt": 1767225600.0,
                    "updatedAt": 1767225601.2,
                    "statusUrl": "/v1/operations/6f1c2e0e9b4f4a55a3c1f0d2b7e8a901",
                }
            ]
        }
    )

    id: str
    kind: str
    status: OpStatus = Field(
        description="accepted → sent → included → confirmed (durable), or failed."
    )
    actor: str
    project_id: SafeInt | None
    tx_hash: str | None
    block_number: SafeInt | None
    resource_id: str | None = Field(
        description="Id of what the write created (contribution, batch, project, proposal), "
        "once included."
    )
    result: CamelDict | None
    error: OperationError | None
    attempts: SafeInt
    created_at: float
    updated_at: float
    status_url: str

    @classmethod
    def of(cls, op: OperationRecord) -> OperationPublic:
        result = json.loads(op.result_json) if op.result_json else None
        error = (
            OperationError(code=op.error_code, message=op.error_message or "")
            if op.error_code
            else None
        )
        return cls(
            id=op.id,
            kind=op.kind,
            status=OpStatus(op.status),
            actor=op.actor,
            project_id=op.project_id,
            tx_hash=op.tx_hash,
            block_number=op.block_number,
            resource_id=resource_id(op.kind, result),
            result=result,
            error=error,
            attempts=op.attempts,
            created_at=op.created_at,
            updated_at=op.updated_at,
            status_url=f"/v1/operations/{op.id}",
        )


# What each kind of write creates: (event, argument) in its result.
_RESOURCE_OF: dict[str, tuple[str, str]] = {
    "create_project": ("ProjectCreated", "project_id"),
    "register": ("ContributionRegistered", "contribution_id"),
    "supersede": ("ContributionRegistered", "contribution_id"),
    "reveal": ("ContributionRegistered", "contribution_id"),
    "anchor_batch": ("BatchAnchored", "batch_id"),
    "propose": ("ProposalCreated", "proposal_id"),
    "propose_split": ("SplitProposed", "proposal_id"),
    "publish_encryption_key": ("EncryptionKeyPublished", "key_version"),
    "disclose": ("Disclosed", "disclosure_id"),
    "request_access": ("AccessRequested", "request_id"),
    "propose_exchange_settings": ("ExchangeSettingsProposed", "proposal_id"),
}


def resource_id(kind: str, result: Mapping[str, Any] | None) -> str | None:
    """The id of what an operation created, read from its result."""
    if not result:
        return None
    if "resource_id" in result:
        return str(result["resource_id"])
    wanted = _RESOURCE_OF.get(kind)
    if wanted is None:
        return None
    for event in result.get("events", ()):
        if event.get("event") == wanted[0]:
            return str(event["args"][wanted[1]])
    return None
