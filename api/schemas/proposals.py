"""Governance proposals and their approvals."""

from __future__ import annotations

from typing import Literal

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel
from api.schemas.common import EXAMPLE_ADDRESS, EXAMPLE_HASH, Address, Bytes32, SafeInt
from api.schemas.operations import SignatureFields
from api.schemas.projects import PolicyModel
from ledger.domain.codec import to_hex
from ledger.domain.hashing import decode_policy
from ledger.domain.values import ProposalKind, checksum
from ledger.store.records import ProposalRecord

KindName = Literal["add_partner", "remove_partner", "change_policy", "amend_agreement"]


class ProposalFields(ApiModel):
    """A governance change: `partner` for add/remove, `policy` for change_policy,
    `agreementHash` for amend_agreement."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"kind": "add_partner", "partner": EXAMPLE_ADDRESS}]}
    )

    kind: KindName
    partner: Address | None = None
    policy: PolicyModel | None = None
    agreement_hash: Bytes32 | None = None


class ProposalCreate(ProposalFields, SignatureFields):
    """Propose a change (signature fields in non-custodial mode only)."""


class ApprovalCreate(SignatureFields):
    """Approve (signature fields in non-custodial mode only)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}]})


class ProposalPublic(ApiModel):
    """A governance proposal as the index knows it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "proposalId": 1,
                    "projectId": 1,
                    "proposer": EXAMPLE_ADDRESS,
                    "kind": "amend_agreement",
                    "partner": None,
                    "policy": None,
                    "agreementHash": EXAMPLE_HASH,
                    "data": "0x" + EXAMPLE_HASH[2:],
                    "approvals": [EXAMPLE_ADDRESS],
                    "executed": False,
                    "blockNumber": 14,
                }
            ]
        }
    )

    proposal_id: SafeInt
    project_id: SafeInt
    proposer: str
    kind: KindName
    partner: str | None = Field(description="Of add_partner and remove_partner.")
    policy: PolicyModel | None = Field(description="Of change_policy.")
    agreement_hash: str | None = Field(description="Of amend_agreement.")
    data: str = Field(description="The ABI-encoded change as proposed on chain.")
    approvals: list[str]
    executed: bool
    block_number: SafeInt

    @classmethod
    def of(cls, record: ProposalRecord) -> ProposalPublic:
        kind = ProposalKind(record.kind)
        raw = bytes.fromhex(record.data[2:])
        partner: str | None = None
        policy: PolicyModel | None = None
        agreement: str | None = None
        try:
            if kind in (ProposalKind.ADD_PARTNER, ProposalKind.REMOVE_PARTNER):
                partner = checksum(decode(["address"], raw)[0])
            elif kind is ProposalKind.CHANGE_POLICY:
                policy = PolicyModel.of(decode_policy(raw))
            else:
                agreement = to_hex(decode(["bytes32"], raw)[0])
        except (DecodingError, ValueError):
            pass  # the contract accepted it; show the raw data rather than fail the read
        return cls(
            proposal_id=record.proposal_id,
            project_id=record.project_id,
            proposer=record.proposer,
            kind=kind.name.lower(),  # type: ignore[arg-type]
            partner=partner,
            policy=policy,
            agreement_hash=agreement,
            data=record.data,
            approvals=list(record.approvals),
            executed=record.executed,
            block_number=record.block_number,
        )
