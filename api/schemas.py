"""Request and response bodies of the API (pydantic), grouped by resource.

Conventions: `*Create` is what a client sends, `*Public` what it gets back. Addresses are
EIP-55 strings, hashes and ids 0x-prefixed 32-byte hex, amounts that may exceed 2^53 decimal
strings. Each model carries an example for the OpenAPI document.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ledger.domain.values import Category, Policy, checksum
from ledger.store import ContributionRecord, PartnerRecord, PolicyRecord, ProjectRecord


def _address(value: str) -> str:
    try:
        return checksum(value)
    except ValueError as exc:
        raise ValueError("not a 20-byte hex address") from exc


def _bytes32(value: str) -> str:
    raw = value.lower()
    if len(raw) != 66 or not raw.startswith("0x"):
        raise ValueError("must be 0x followed by 64 hex digits")
    try:
        bytes.fromhex(raw[2:])
    except ValueError as exc:
        raise ValueError("must be 0x followed by 64 hex digits") from exc
    return raw


EXAMPLE_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
EXAMPLE_ADDRESS_2 = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
EXAMPLE_HASH = "0x5f16f4c7f149ac4f9510d9cf8cf384038ad348b3bcdc01915f95de12df9d1b02"
# SHA-256 of a file and a salt: what opens a commitment (never stored by the service).
EXAMPLE_CONTENT_HASH = "0x5e92cd511d938b2b245b88290d2459d989bd74de0b63777fd9c7c691b23509ae"
EXAMPLE_SALT = "0x9c4b7a1d2e3f40516273849a5b6c7d8e9fa0b1c2d3e4f5061728394a5b6c7d8e"
# keccak256(abi.encode(EXAMPLE_ADDRESS, 1, EXAMPLE_CONTENT_HASH, EXAMPLE_SALT)).
EXAMPLE_COMMITMENT = "0xeadb9801be375bf0e495ba5b725fe984bf3f1969c446f63f9ebd194144e5e1ab"
# A non-custodial request's signature fields, as `/prepare` hands them out and the partner signs.
EXAMPLE_SIGNATURE = (
    "0xb9fa662b28fb683ddab0d347584c40c0c850429066c29b34aa6b0549ce4543ad"
    "1bdf6b9171eb0d2248fcf24675a3897177643989964a9cf573c73abcfc8a92bd1c"
)
EXAMPLE_NONCE = "67797067870680066038688718174844324647959913835236530526322114401220799714456"
EXAMPLE_DEADLINE = 1767229200
EXAMPLE_SIGNED: dict[str, Any] = {
    "signature": EXAMPLE_SIGNATURE,
    "nonce": EXAMPLE_NONCE,
    "deadline": EXAMPLE_DEADLINE,
}

Address = Annotated[
    str,
    StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$"),
    AfterValidator(_address),
    Field(examples=[EXAMPLE_ADDRESS]),
]
Bytes32 = Annotated[
    str,
    StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$"),
    AfterValidator(_bytes32),
    Field(examples=[EXAMPLE_HASH]),
]
Uint32 = Annotated[int, Field(ge=0, le=2**32 - 1)]
Uint64 = Annotated[int, Field(ge=0, le=2**64 - 1)]
ProjectId = Annotated[int, Field(ge=1, le=2**32 - 1, examples=[1])]

ORIGINS = ("background", "result")
STATUSES = ("none", "active", "withdrawn", "superseded", "invalidated")
OriginName = Literal["background", "result"]
StatusName = Literal["none", "active", "withdrawn", "superseded", "invalidated"]


# ---------------------------------------------------------------------------------- health


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


# ---------------------------------------------------------------------------------- chain


class ChainPublic(BaseModel):
    """The chain and deployment this API writes to."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "chain_id": 31337,
                    "genesis_hash": EXAMPLE_HASH,
                    "head_block": 120,
                    "contracts": {"PocLedger": EXAMPLE_ADDRESS, "RoyaltyVault": EXAMPLE_ADDRESS_2},
                    "deploy_block": 1,
                    "relayer": EXAMPLE_ADDRESS,
                    "confirmations": 0,
                    "signing_modes": ["custodial", "non-custodial"],
                }
            ]
        }
    )

    chain_id: int
    genesis_hash: str
    head_block: int
    contracts: dict[str, str]
    deploy_block: int
    relayer: str
    confirmations: int
    signing_modes: list[str]


# -------------------------------------------------------------------------------- projects


class PartnerPublic(BaseModel):
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
    def of(cls, record: PartnerRecord) -> PartnerPublic:
        return cls(
            address=record.address,
            active=record.active,
            accepted_version=record.accepted_version,
            joined_block=record.joined_block,
        )


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
    partners: list[PartnerPublic]

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
            partners=[PartnerPublic.of(p) for p in record.partners],
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
                }
            ]
        }
    )

    project_id: int
    version: int
    policy_hash: str
    block_number: int
    policy: dict[str, Any] = Field(description="The policy as emitted in PolicySet.")

    @classmethod
    def of(cls, record: PolicyRecord) -> PolicyPublic:
        return cls(
            project_id=record.project_id,
            version=record.version,
            policy_hash=record.policy_hash,
            block_number=record.block_number,
            policy=json.loads(record.policy_json),
        )


# --------------------------------------------------------------------------- contributions


EXAMPLE_CONTRIBUTION: dict[str, Any] = {
    "contribution_id": EXAMPLE_HASH,
    "project_id": 1,
    "contributor": EXAMPLE_ADDRESS,
    "commitment": EXAMPLE_HASH,
    "origin": "result",
    "category": 0,
    "value": "40",
    "parents": [],
    "supersedes": None,
    "superseded_by": None,
    "batch_id": None,
    "registered_at": 1767225600,
    "uri": "",
    "status": "active",
    "block_number": 7,
    "block_hash": EXAMPLE_HASH,
    "tx_hash": EXAMPLE_HASH,
    "log_index": 0,
}


class ContributionPublic(BaseModel):
    """A registered contribution (its commitment; the document never leaves the partner)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CONTRIBUTION]})

    contribution_id: str
    project_id: int
    contributor: str
    commitment: str
    origin: OriginName
    category: int
    value: str = Field(description="Declared value in the category's unit (decimal string).")
    parents: list[str]
    supersedes: str | None
    superseded_by: str | None
    batch_id: str | None
    registered_at: int = Field(description="Unix time of registration (batch: of anchoring).")
    uri: str
    status: StatusName
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int

    @classmethod
    def of(cls, record: ContributionRecord) -> ContributionPublic:
        zero = "0x" + "00" * 32
        return cls(
            contribution_id=record.contribution_id,
            project_id=record.project_id,
            contributor=record.contributor,
            commitment=record.commitment,
            origin="result" if record.origin == 1 else "background",
            category=record.category,
            value=str(record.value),
            parents=list(record.parents),
            supersedes=None if record.supersedes == zero else record.supersedes,
            superseded_by=record.superseded_by,
            batch_id=None if record.batch_id == zero else record.batch_id,
            registered_at=record.registered_at,
            uri=record.uri,
            status=STATUSES[record.status],  # type: ignore[arg-type]
            block_number=record.block_number,
            block_hash=record.block_hash,
            tx_hash=record.tx_hash,
            log_index=record.log_index,
        )


class ContributionPage(BaseModel):
    """A page of contributions; pass `next_cursor` as `cursor` to get the next one."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [EXAMPLE_CONTRIBUTION], "next_cursor": "7"}]}
    )

    items: list[ContributionPublic]
    next_cursor: str | None


# ---------------------------------------------------------------------------- write bodies


class RegistrationFields(BaseModel):
    """What a partner registers: the salted commitment of a file hashed on its own machine."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "commitment": EXAMPLE_COMMITMENT,
                    "origin": "result",
                    "category": 0,
                    "value": 40,
                    "parents": [],
                    "uri": "",
                }
            ]
        }
    )

    commitment: Bytes32 = Field(
        description="keccak256(abi.encode(contributor, projectId, sha256(file), salt))."
    )
    origin: OriginName = Field(examples=["result"])
    category: Annotated[int, Field(ge=0, le=255)] = Field(
        description="Index of the category in the project's policy.", examples=[0]
    )
    value: Uint64 = Field(description="Declared value in the category's unit.", examples=[40])
    parents: list[Bytes32] = Field(
        default_factory=list, max_length=16, description="Contributions this one builds on."
    )
    uri: str = Field(default="", max_length=2_000, description="Optional pointer (no content!).")
