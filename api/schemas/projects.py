"""Projects: membership, policy, agreement."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import (
    EXAMPLE_ADDRESS,
    EXAMPLE_ADDRESS_2,
    EXAMPLE_HASH,
    Address,
    Bytes32,
    Uint32,
)
from api.schemas.operations import SignatureFields
from ledger.domain.values import Category, Policy
from ledger.store.records import PartnerRecord, PolicyRecord, ProjectRecord

EXAMPLE_PROJECT: dict[str, Any] = {
    "project_id": 1,
    "coordinator": EXAMPLE_ADDRESS,
    "agreement_version": 1,
    "agreement_hash": EXAMPLE_HASH,
    "policy_version": 1,
    "policy_hash": EXAMPLE_HASH,
    "in_force": True,
    "created_block": 3,
    "created_tx": EXAMPLE_HASH,
    "partners": [
        {"address": EXAMPLE_ADDRESS, "active": True, "accepted_version": 1, "joined_block": 3},
        {"address": EXAMPLE_ADDRESS_2, "active": True, "accepted_version": 1, "joined_block": 3},
    ],
}


class MembershipPublic(BaseModel):
    """A partner's membership of a project."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "address": EXAMPLE_ADDRESS,
                    "active": True,
                    "accepted_version": 1,
                    "joined_block": 3,
                }
            ]
        }
    )

    address: str = Field(examples=[EXAMPLE_ADDRESS])
    active: bool
    accepted_version: int = Field(description="Agreement version it accepted (0: none).")
    joined_block: int

    @classmethod
    def of(cls, record: PartnerRecord) -> MembershipPublic:
        return cls(
            address=record.address,
            active=record.active,
            accepted_version=record.accepted_version,
            joined_block=record.joined_block,
        )


class ProjectPublic(BaseModel):
    """A project as the index knows it."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_PROJECT]})

    project_id: int
    coordinator: str
    agreement_version: int
    agreement_hash: str
    policy_version: int
    policy_hash: str
    in_force: bool = Field(description="Every partner accepted the agreement at least once.")
    created_block: int
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


class ProjectPage(BaseModel):
    """A page of projects; pass `next_cursor` as `cursor` to get the next one."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [EXAMPLE_PROJECT], "next_cursor": "1"}]}
    )

    items: list[ProjectPublic]
    next_cursor: str | None


class CategoryModel(BaseModel):
    """A contribution category of a policy."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "person-hours", "unit": "hour", "unit_scale": 1, "weight_bps": 10_000},
                # 100 EUR weighs as much as one person-hour.
                {"name": "funding", "unit": "EUR-cent", "unit_scale": 10_000, "weight_bps": 10_000},
            ]
        }
    )

    name: str = Field(max_length=32, examples=["person-hours"])
    unit: str = Field(max_length=32, examples=["hour"])
    unit_scale: Annotated[int, Field(ge=1, le=2**64 - 1)] = Field(examples=[1])
    weight_bps: Annotated[int, Field(ge=0, le=65535)] = Field(examples=[10_000])


class PolicyModel(BaseModel):
    """A project's scoring and governance policy (weights in basis points)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "background_weight_bps": 5000,
                    "result_weight_bps": 10000,
                    "endorsement_quorum": 1,
                    "dispute_window": 604800,
                    "split_approval_bps": 6667,
                    "governance_bps": 6667,
                    "partner_cap_bps": 0,
                    "partner_floor_bps": 0,
                    "parent_share_bps": 2000,
                    "categories": [
                        {
                            "name": "person-hours",
                            "unit": "hour",
                            "unit_scale": 1,
                            "weight_bps": 10000,
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
                CategoryModel(
                    name=c.name_text,
                    unit=c.unit_text,
                    unit_scale=c.unit_scale,
                    weight_bps=c.weight_bps,
                )
                for c in policy.categories
            ],
        )


class PolicyPublic(BaseModel):
    """One policy version of a project."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "project_id": 1,
                    "version": 1,
                    "policy_hash": EXAMPLE_HASH,
                    "block_number": 3,
                    "policy": {
                        "background_weight_bps": 5000,
                        "result_weight_bps": 10000,
                        "endorsement_quorum": 1,
                        "dispute_window": 2592000,
                        "split_approval_bps": 6667,
                        "governance_bps": 6667,
                        "partner_cap_bps": 6000,
                        "partner_floor_bps": 500,
                        "categories": [
                            {
                                "name": "person-hours",
                                "unit": "hour",
                                "unit_scale": 1,
                                "weight_bps": 10000,
                            },
                            {
                                "name": "funding",
                                "unit": "EUR-cent",
                                "unit_scale": 10000,
                                "weight_bps": 10000,
                            },
                            {
                                "name": "dataset",
                                "unit": "point",
                                "unit_scale": 1,
                                "weight_bps": 10000,
                            },
                            {
                                "name": "design/document",
                                "unit": "point",
                                "unit_scale": 1,
                                "weight_bps": 10000,
                            },
                            {
                                "name": "equipment use",
                                "unit": "machine-hour",
                                "unit_scale": 1,
                                "weight_bps": 15000,
                            },
                        ],
                    },
                    "partners": 3,
                    "split_approvals_required": 2,
                    "governance_approvals_required": 2,
                }
            ]
        }
    )

    project_id: int
    version: int
    policy_hash: str
    block_number: int
    policy: dict[str, Any] = Field(description="The policy as emitted in PolicySet.")
    partners: int = Field(description="The project's partners today.")
    split_approvals_required: int = Field(
        description="Approvals that would finalize a split proposed today: the policy's "
        "`split_approval_bps` of `partners` as a count (docs/governance.md, Thresholds)."
    )
    governance_approvals_required: int = Field(
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


class ProjectFields(BaseModel):
    """A new project: the consortium agreement's hash, the partners, the scoring policy."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "agreement_hash": EXAMPLE_HASH,
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


class AcceptanceFields(BaseModel):
    """The agreement version the partner accepts; the current one when left out."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"version": 1, "agreement_hash": EXAMPLE_HASH}]}
    )

    version: Uint32 | None = Field(default=None, examples=[1])
    agreement_hash: Bytes32 | None = None


class AcceptanceCreate(AcceptanceFields, SignatureFields):
    """Accept the agreement (signature fields in non-custodial mode only)."""


class MemberCreate(BaseModel):
    """A partner the coordinator adds during set-up."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"partner": EXAMPLE_ADDRESS_2}]})

    partner: Address


class UnsignedTxPublic(BaseModel):
    """A transaction for the coordinator to send from its own wallet (no relayed variant)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from_": EXAMPLE_ADDRESS,
                    "to": EXAMPLE_ADDRESS_2,
                    "data": "0x6a1d4a7a",
                    "value": "0",
                    "gas": 125000,
                    "chain_id": 31337,
                }
            ]
        }
    )

    from_: str = Field(description="The coordinator, who must send it.")
    to: str
    data: str
    value: str
    gas: int
    chain_id: int
