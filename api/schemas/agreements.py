"""Consortium agreements made with the builder: answers in, versions, texts and acceptances
out."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel, PolicyView
from api.schemas.common import (
    EXAMPLE_ADDRESS,
    EXAMPLE_ADDRESS_2,
    EXAMPLE_CONTENT_HASH,
    EXAMPLE_HASH,
    EXAMPLE_SALT,
    EXAMPLE_SIGNED,
    SafeInt,
    Uint32,
)
from api.schemas.operations import SignatureFields

EXAMPLE_ADDRESS_3 = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
EXAMPLE_ANSWERS: dict[str, Any] = {
    "prevailing_language": "nl",
    "project": {
        "title": "Flax fibre composite for lightweight e-bike frames",
        "aim": "A bio-based frame tube from Flemish flax, tested to the bicycle standard.",
        "start_date": "2026-03-01",
        "duration_months": 24,
    },
    "partners": [
        {"name": "Leievlas BV", "address": EXAMPLE_ADDRESS, "kind": "sme"},
        {"name": "Universiteit Kortrijk", "address": EXAMPLE_ADDRESS_2, "kind": "university"},
        {"name": "Vezelinstituut", "address": EXAMPLE_ADDRESS_3, "kind": "research_centre"},
    ],
    "coordinator": EXAMPLE_ADDRESS,
    "royalties": {"partner_cap_bps": 6000, "partner_floor_bps": 500, "split_approvals": 2},
    "decisions": {"governance_approvals": 2},
}
EXAMPLE_POLICY: dict[str, Any] = {
    "backgroundWeightBps": 5000,
    "resultWeightBps": 10000,
    "endorsementQuorum": 1,
    "disputeWindow": 2592000,
    "splitApprovalBps": 6667,
    "governanceBps": 6667,
    "partnerCapBps": 6000,
    "partnerFloorBps": 500,
    "categories": [{"name": "person-hours", "unit": "hour", "unitScale": "1", "weightBps": 10000}],
}
EXAMPLE_SETTINGS: dict[str, Any] = {
    "answerPeriod": 2592000,
    "requestPeriodAfterEnd": 31536000,
    "projectEnd": 1835481600,
}
EXAMPLE_CHANGE: dict[str, Any] = {
    "change": {
        "kind": "changed",
        "field": "royalties.partner_cap_bps",
        "valueKind": "bps",
        "before": 6000,
        "after": 5000,
    },
    "text": {
        "en": "Royalties: the cap per partner changes from 60 % to 50 %.",
        "nl": "Royalty's: het maximum per partner wijzigt van 60 % naar 50 %.",
    },
}
EXAMPLE_ACCEPTANCE: dict[str, Any] = {
    "partner": EXAMPLE_ADDRESS,
    "version": 1,
    "blockNumber": 7,
    "txHash": EXAMPLE_HASH,
}
EXAMPLE_VERSION: dict[str, Any] = {
    "version": 1,
    "state": "recorded",
    "contentHash": EXAMPLE_CONTENT_HASH,
    "agreementHash": EXAMPLE_HASH,
    "onChainHash": EXAMPLE_HASH,
    "amends": None,
    "template": "2026.1",
    "createdBy": EXAMPLE_ADDRESS,
    "createdAt": 1767225600.0,
    "title": "Flax fibre composite for lightweight e-bike frames",
    "answers": EXAMPLE_ANSWERS,
    "policy": EXAMPLE_POLICY,
    "policyHash": EXAMPLE_HASH,
    "parentShareBps": 0,
    "exchangeSettings": EXAMPLE_SETTINGS,
    "changes": [],
    "acceptances": [EXAMPLE_ACCEPTANCE],
    "awaiting": [EXAMPLE_ADDRESS_2, EXAMPLE_ADDRESS_3],
}


class AgreementDraft(ApiModel):
    """The builder's answers (`ledger.agreement.answers.AgreementAnswers`; docs/agreements.md
    lists every field, its default and its range). Checked as a whole: a 422
    `invalid_answers` names each problem in `details` (location, stable code, message)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"answers": EXAMPLE_ANSWERS}]})

    answers: dict[str, Any] = Field(description="Every answer of the agreement.")


class ExchangeSettingsPublic(ApiModel):
    """The knowledge-exchange settings the agreement gives (seconds, a Unix timestamp)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_SETTINGS]})

    answer_period: SafeInt
    request_period_after_end: SafeInt
    project_end: SafeInt


class ChangePublic(ApiModel):
    """One change an amendment makes: the change as the canonical document holds it, and one
    sentence describing it in each language."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CHANGE]})

    change: dict[str, Any]
    text: dict[str, str] = Field(description="The sentence by language (`nl`, `en`).")


class AcceptancePublic(ApiModel):
    """A partner's acceptance of a version, as the chain recorded it."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ACCEPTANCE]})

    partner: str
    version: SafeInt
    block_number: SafeInt
    tx_hash: str


class ExamplePublic(ApiModel):
    """What the previewed policy would give on a project's recorded contributions today (the
    builder's live example): the split in basis points, and how many contributions count."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "projectId": 1,
                    "split": [
                        {"partner": EXAMPLE_ADDRESS, "bps": 6000},
                        {"partner": EXAMPLE_ADDRESS_2, "bps": 4000},
                    ],
                    "counted": 7,
                    "contributions": 9,
                }
            ]
        }
    )

    project_id: SafeInt
    split: list[dict[str, Any]]
    counted: SafeInt
    contributions: SafeInt


class PreviewCreate(AgreementDraft):
    """Answers to preview, and optionally a project the key reads whose contributions show
    what the policy would give."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"answers": EXAMPLE_ANSWERS, "exampleProjectId": 1}]}
    )

    example_project_id: SafeInt | None = Field(default=None, ge=1, le=2**32 - 1)


class PreviewPublic(ApiModel):
    """What answers would give, without storing anything: the policy, the settings and the
    texts (Markdown) in both languages."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "policy": EXAMPLE_POLICY,
                    "policyHash": EXAMPLE_HASH,
                    "parentShareBps": 0,
                    "exchangeSettings": EXAMPLE_SETTINGS,
                    "texts": {"nl": "# Consortiumovereenkomst …", "en": "# Consortium …"},
                    "changes": [],
                    "example": None,
                }
            ]
        }
    )

    policy: PolicyView
    policy_hash: str
    parent_share_bps: SafeInt
    exchange_settings: ExchangeSettingsPublic
    texts: dict[str, str]
    changes: list[ChangePublic]
    example: ExamplePublic | None = Field(
        description="The split the policy would give on `exampleProjectId`'s contributions "
        "(null when not asked for, not readable, or not computable with this policy)."
    )


class VersionPublic(ApiModel):
    """One version of an agreement: its hashes, its state against the chain, the answers and
    what they give, what it changes, and who accepted it on chain."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_VERSION]})

    version: SafeInt
    state: Literal["draft", "sent", "proposed", "recorded", "diverged"] = Field(
        description="draft: version 1 being written; sent: the project is being created with "
        "it; proposed: an amendment not on chain yet; recorded: the chain holds this hash for "
        "this version; diverged: the chain holds another hash for this version number."
    )
    content_hash: str = Field(description="SHA-256 of the canonical document.")
    agreement_hash: str = Field(description="keccak256(abi.encode(content_hash, salt)).")
    on_chain_hash: str | None = Field(description="The chain's hash for this version, if any.")
    amends: str | None = Field(description="Content hash of the version this one replaces.")
    template: str
    created_by: str
    created_at: float
    title: str
    answers: dict[str, Any]
    policy: PolicyView
    policy_hash: str
    parent_share_bps: SafeInt
    exchange_settings: ExchangeSettingsPublic
    changes: list[ChangePublic]
    acceptances: list[AcceptancePublic]
    awaiting: list[str] = Field(
        description="Active partners that have not accepted this version (recorded versions)."
    )


class AgreementPublic(ApiModel):
    """A consortium agreement and its versions."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "agreementId": "4f1c2a9be0d34c7f8a6b5e4d3c2b1a09",
                    "coordinator": EXAMPLE_ADDRESS,
                    "salt": EXAMPLE_SALT,
                    "projectId": 1,
                    "frozen": True,
                    "inForce": True,
                    "currentVersion": 1,
                    "versions": [EXAMPLE_VERSION],
                }
            ]
        }
    )

    agreement_id: str
    coordinator: str
    salt: str = Field(
        description="The 32-byte salt of every version's on-chain hash; with the canonical "
        "document it lets a reader check the hash the chain holds."
    )
    project_id: SafeInt | None
    frozen: bool = Field(description="Version 1 can no longer be replaced.")
    in_force: bool = Field(description="The project's agreement is in force on chain.")
    current_version: SafeInt = Field(description="The newest version recorded on chain (0: none).")
    versions: list[VersionPublic]


class AgreementAcceptanceFields(ApiModel):
    """The version to accept; the newest recorded one when left out."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"version": 1}]})

    version: Uint32 | None = Field(default=None, ge=1, examples=[1])


class AgreementAcceptanceCreate(AgreementAcceptanceFields, SignatureFields):
    """Accept a version (signature fields in non-custodial mode only)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"version": 1}, {"version": 1, **EXAMPLE_SIGNED}]}
    )


class AgreementProjectCreate(SignatureFields):
    """Create the project of version 1 (signature fields in non-custodial mode only)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}, EXAMPLE_SIGNED]})


class AgreementSettingsCreate(SignatureFields):
    """Set version 1's exchange settings on PocExchange (signature fields in non-custodial
    mode only)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}, EXAMPLE_SIGNED]})


class AgreementProposalFields(ApiModel):
    """Which governance proposal to make for an amendment: its new agreement hash
    (`amend_agreement`) or its new policy (`change_policy`) to PocLedger's governance, or its
    new access-rights settings (`change_exchange_settings`) to PocExchange's."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"kind": "amend_agreement"}]})

    kind: Literal["amend_agreement", "change_policy", "change_exchange_settings"]


class AgreementProposalCreate(AgreementProposalFields, SignatureFields):
    """Propose an amendment (signature fields in non-custodial mode only)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"kind": "amend_agreement"}, {"kind": "change_policy", **EXAMPLE_SIGNED}]
        }
    )
