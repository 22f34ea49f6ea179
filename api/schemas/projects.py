"""Projects: membership, policy, agreement."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel, PolicyView
from api.schemas.common import (
    EXAMPLE_ADDRESS,
    EXAMPLE_ADDRESS_2,
    EXAMPLE_HASH,
    Address,
    Bytes32,
    SafeInt,
    Uint32,
    Uint64,
)
from api.schemas.operations import SignatureFields
from ledger.domain.values import Category, Policy
from ledger.store.records import PartnerRecord, PolicyRecord, ProjectRecord

EXAMPLE_PROJECT: dict[str, Any] = {
    "projectId": 1,
    "coordinator": EXAMPLE_ADDRESS,
    "agreementVersion": 1,
    "agreementHash": EXAMPLE_HASH,
    "policyVersion": 1,
    "policyHash": EXAMPLE_HASH,
    "inForce": True,
    "createdBlock": 3,
    "createdTx": EXAMPLE_HASH,
    "partners": [
        {"address": EXAMPLE_ADDRESS, "active": True, "acceptedVersion": 1, "joinedBlock": 3},
        {"address": EXAMPLE_ADDRESS_2, "active": True, "acceptedVersion": 1, "joinedBlock": 3},
    ],
}


class MembershipPublic(ApiModel):
    """A partner's membership of a project."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "address": EXAMPLE_ADDRESS,
                    "active": True,
                    "acceptedVersion": 1,
                    "joinedBlock": 3,
                }
            ]
        }
    )

    address: str = Field(examples=[EXAMPLE_ADDRESS])
    active: bool
    accepted_version: SafeInt = Field(description="Agreement version it accepted (0: none).")
    joined_block: SafeInt

    @classmethod
    def of(cls, record: PartnerRecord) -> MembershipPublic:
        return cls(
            address=record.address,
            active=record.active,
            accepted_version=record.accepted_version,
            joined_block=record.joined_block,
        )


class ProjectPublic(ApiModel):
    """A project as the index knows it."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_PROJECT]})

    project_id: SafeInt
    coordinator: str
    agreement_version: SafeInt
    agreement_hash: str
    policy_version: SafeInt
    policy_hash: str
    in_force: bool = Field(description="Every partner accepted the agreement at least once.")
    created_block: SafeInt
    created_tx: str
    partners: list[MembershipPublic]

    @classmethod
    def of(cls, record: ProjectRecord) -> ProjectPublic:
        return cls(
            project_id=record.project_id,
            coordinator=record.coordinator,
            agreement_version=record.agreement_version,
            agreement_hash=record.agreement_hash,
            policy_version=record.policy_version,
            policy_hash=record.policy_hash,
            in_force=record.in_force,
            created_block=record.created_block,
            created_tx=record.created_tx,
            partners=[MembershipPublic.of(p) for p in record.partners],
        )


class ProjectPage(ApiModel):
    """A page of projects; pass `nextCursor` as `cursor` to get the next one."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [EXAMPLE_PROJECT], "nextCursor": "1"}]}
    )

    items: list[ProjectPublic]
    next_cursor: str | None


class CategoryModel(ApiModel):
    """A contribution category of a policy."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "person-hours", "unit": "hour", "unitScale": "1", "weightBps": 10_000},
                # 100 EUR weighs as much as one person-hour.
                {"name": "funding", "unit": "EUR-cent", "unitScale": "10000", "weightBps": 10_000},
            ]
        }
    )

    name: str = Field(max_length=32, examples=["person-hours"])
    unit: str = Field(max_length=32, examples=["hour"])
    unit_scale: Annotated[Uint64, Field(ge=1)]
    weight_bps: Annotated[int, Field(ge=0, le=65535)] = Field(examples=[10_000])


class PolicyModel(ApiModel):
    """A project's scoring and governance policy (weights in basis points)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "backgroundWeightBps": 5000,
                    "resultWeightBps": 10000,
                    "endorsementQuorum": 1,
                    "disputeWindow": 604800,
                    "splitApprovalBps": 6667,
                    "governanceBps": 6667,
                    "partnerCapBps": 0,
                    "partnerFloorBps": 0,
                    "parentShareBps": 2000,
                    "categories": [
                        {
                            "name": "person-hours",
                            "unit": "hour",
                            "unitScale": "1",
                            "weightBps": 10000,
                        }
                    ],
                }
            ]
        }
    )

    background_weight_bps: Annotated[int, Field(ge=0, le=65535)]
    result_weight_bps: Annotated[int, Field(ge=0, le=65535)]
    endorsement_quorum: Annotated[int, Field(ge=0, le=65535)]
    dispute_window: Uint32
    split_approval_bps: Annotated[int, Field(ge=0, le=65535)]
    governance_bps: Annotated[int, Field(ge=0, le=65535)]
    partner_cap_bps: Annotated[int, Field(ge=0, le=65535)] = 0
    partner_floor_bps: Annotated[int, Field(ge=0, le=65535)] = 0
    parent_share_bps: Annotated[int | None, Field(ge=0, le=9999)] = Field(
        default=0,
        description="Share of a counted contribution's points passed to the counted "
        "contributions of other partners it builds on (docs/scoring.md section 4). null in "
        "a policy set by a contract of a release before 2.0.0, which had no such field.",
    )
    categories: list[CategoryModel] = Field(min_length=1, max_length=32)

    def to_policy(self) -> Policy:
        """The ledger's `Policy`; ValueError when a label exceeds 32 bytes of UTF-8."""
        return Policy(
            background_weight_bps=self.background_weight_bps,
            result_weight_bps=self.result_weight_bps,
            endorsement_quorum=self.endorsement_quorum,
            dispute_window=self.dispute_window,
            split_approval_bps=self.split_approval_bps,
            governance_bps=self.governance_bps,
            partner_cap_bps=self.partner_cap_bps,
            partner_floor_bps=self.partner_floor_bps,
            categories=tuple(
                Category.of(c.name, c.unit, c.unit_scale, c.weight_bps) for c in self.categories
            ),
            parent_share_bps=self.parent_share_bps or 0,  # a new policy has the field
        )

    @classmethod
    def of(cls, policy: Policy) -> PolicyModel:
        return cls(
            background_weight_bps=policy.background_weight_bps,
            result_weight_bps=policy.result_weight_bps,
            endorsement_quorum=policy.endorsement_quorum,
            dispute_window=policy.dispute_window,
            split_approval_bps=policy.split_approval_bps,
            governance_bps=policy.governance_bps,
            partner_cap_bps=policy.partner_cap_bps,
            partner_floor_bps=policy.partner_floor_bps,
            parent_share_bps=policy.parent_share_bps,
            categories=[
                # Validated as a request body would be: a uint64 as its decimal string.
                CategoryModel.model_validate(
                    {
                        "name": c.name_text,
                        "unit": c.unit_text,
                        "unitScale": str(c.unit_scale),
                        "weightBps": c.weight_bps,
                    }
                )
                for c in policy.categories
            ],
        )


class PolicyPublic(ApiModel):
    """One policy version of a project."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "projectId": 1,
                    "version": 1,
                    "policyHash": EXAMPLE_HASH,
                    "blockNumber": 3,
                    "policy": {
                        "backgroundWeightBps": 5000,
                        "resultWeightBps": 10000,
                        "endorsementQuorum": 1,
                        "disputeWindow": 2592000,
                        "splitApprovalBps": 6667,
                        "governanceBps": 6667,
                        "partnerCapBps": 6000,
                        "partnerFloorBps": 500,
                        "categories": [
                            {
                                "name": "person-hours",
                                "unit": "hour",
                                "unitScale": "1",
                                "weightBps": 10000,
                            },
                            {
                                "name": "funding",
                                "unit": "EUR-cent",
                                "unitScale": "10000",
                                "weightBps": 10000,
                            },
                            {
                                "name": "dataset",
                                "unit": "point",
                                "unitScale": "1",
                                "weightBps": 10000,
                            },
                            {
                                "name": "design/document",
                                "unit": "point",
                                "unitScale": "1",
                                "weightBps": 10000,
                            },
                            {
                                "name": "equipment use",
                                "unit": "machine-hour",
                                "unitScale": "1",
                                "weightBps": 15000,
                            },
                        ],
                    },
                    "partners": 3,
                    "splitApprovalsRequired": 2,
                    "governanceApprovalsRequired": 2,
                }
            ]
        }
    )

    project_id: SafeInt
    version: SafeInt
    policy_hash: str
    block_number: SafeInt
    policy: PolicyView = Field(description="The policy as emitted in PolicySet.")
    partners: SafeInt = Field(description="The project's partners today.")
    split_approvals_required: SafeInt = Field(
        description="Approvals that would finalize a split proposed today: the policy's "
        "`splitApprovalBps` of `partners` as a count (docs/governance.md, Thresholds)."
    )
    governance_approvals_required: SafeInt = Field(
        description="Approvals that would execute a governance proposal made today with all "
        "`partners` eligible (never fewer than two of two or more)."
    )

    @classmethod
    def of(cls, record: PolicyRecord, partners: int) -> PolicyPublic:
        policy = json.loads(record.policy_json)
        rules = Policy.from_json(policy)
        counted = max(partners, 1)
        return cls(
            project_id=record.project_id,
            version=record.version,
            policy_hash=record.policy_hash,
            block_number=record.block_number,
            policy=policy,
            partners=partners,
            split_approvals_required=rules.split_approvals_required(counted),
            governance_approvals_required=rules.governance_approvals_required(counted),
        )


_POLICY_EXAMPLE = PolicyModel.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]


class ProjectFields(ApiModel):
    """A new project: the consortium agreement's hash, the partners, the scoring policy."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "agreementHash": EXAMPLE_HASH,
                    "partners": [EXAMPLE_ADDRESS, EXAMPLE_ADDRESS_2],
                    "policy": _POLICY_EXAMPLE,
                }
            ]
        }
    )

    agreement_hash: Bytes32 = Field(description="SHA-256 or keccak of the agreement's text.")
    partners: list[Address] = Field(
        min_length=1, max_length=64, description="Every partner, the coordinator included."
    )
    policy: PolicyModel


class ProjectCreate(ProjectFields, SignatureFields):
    """Create a project; the key's partner becomes its coordinator (signature fields in
    non-custodial mode only)."""


class AcceptanceFields(ApiModel):
    """The agreement version the partner accepts; the current one when left out."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"version": 1, "agreementHash": EXAMPLE_HASH}]}
    )

    version: Uint32 | None = Field(default=None, examples=[1])
    agreement_hash: Bytes32 | None = None


class AcceptanceCreate(AcceptanceFields, SignatureFields):
    """Accept the agreement (signature fields in non-custodial mode only)."""


class MemberCreate(ApiModel):
    """A partner the coordinator adds during set-up."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"partner": EXAMPLE_ADDRESS_2}]})

    partner: Address


class UnsignedTxPublic(ApiModel):
    """A transaction for the coordinator to send from its own wallet (no relayed variant)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from": EXAMPLE_ADDRESS,
                    "to": EXAMPLE_ADDRESS_2,
                    "data": "0x6a1d4a7a",
                    "value": "0",
                    "gas": 125000,
                    "chainId": 31337,
                }
            ]
        }
    )

    from_: str = Field(alias="from", description="The coordinator, who must send it.")
    to: str
    data: str
    value: str
    gas: SafeInt
    chain_id: SafeInt
