"""Partners, their identities and their API keys."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel
from api.schemas.common import EXAMPLE_ADDRESS, EXAMPLE_SIGNED, Address, SafeInt
from api.schemas.operations import SignatureFields
from ledger.store.keys import ApiKeyRecord

EXAMPLE_KEY: dict[str, Any] = {
    "keyId": "3f9a0c11d2e4",
    "partner": EXAMPLE_ADDRESS,
    "role": "coordinator",
    "label": "flax-sme",
    "createdAt": 1767225600.0,
    "revokedAt": None,
    "replacedBy": None,
}


EXAMPLE_ISSUED_KEY: dict[str, Any] = {
    **EXAMPLE_KEY,
    "apiKey": "poc_3f9a0c11d2e4_AFiqE9JEffcUYMZ1OIt76RAA2i-67ohaE0_bKgu1jSI",
}


EXAMPLE_IDENTITY: dict[str, Any] = {
    "name": "Vlasverwerking Demo NV",
    "companyNumber": "BE0123.456.749",
}


class PartnerCreate(ApiModel):
    """Onboard a partner: a key pair held by the service (custodial) or the partner's own
    address (non-custodial), and its first API key."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"label": "flax-sme", "role": "coordinator"}]}
    )

    label: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", examples=["flax-sme"])
    role: Literal["partner", "coordinator", "auditor"] = "partner"
    custodial: bool = Field(default=True, description="The service holds the partner's key.")
    address: Address | None = Field(
        default=None, description="The partner's own address (non-custodial partners)."
    )


class KeyPublic(ApiModel):
    """An API key's metadata (never the key itself)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                EXAMPLE_KEY,
                # Rotated: revoked, and the key that replaced it.
                {**EXAMPLE_KEY, "revokedAt": 1769904000.0, "replacedBy": "b71e5a09c4d3"},
                # An IP counsel's key: it acts for no partner.
                {
                    **EXAMPLE_KEY,
                    "keyId": "8c0d2f4a6b1e",
                    "partner": None,
                    "role": "auditor",
                    "label": "ip-counsel",
                },
            ]
        }
    )

    key_id: str = Field(examples=["3f9a0c11d2e4"])
    partner: str | None
    role: str
    label: str
    created_at: float
    revoked_at: float | None
    replaced_by: str | None

    @classmethod
    def of(cls, record: ApiKeyRecord) -> KeyPublic:
        return cls(
            key_id=record.key_id,
            partner=record.partner,
            role=record.role,
            label=record.label,
            created_at=record.created_at,
            revoked_at=record.revoked_at,
            replaced_by=record.replaced_by,
        )


class IssuedKeyPublic(KeyPublic):
    """A new API key: `apiKey` is shown this once and stored only hashed."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ISSUED_KEY]})

    api_key: str = Field(examples=["poc_3f9a0c11d2e4_Jk2…"])


class OnboardedPublic(ApiModel):
    """The onboarded partner and its first key."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"address": EXAMPLE_ADDRESS, "custodial": True, "key": EXAMPLE_ISSUED_KEY}]
        }
    )

    address: str | None = Field(examples=[EXAMPLE_ADDRESS])
    custodial: bool
    key: IssuedKeyPublic


class IdentityFields(ApiModel):
    """A partner's organisation identity, declared on chain."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_IDENTITY]})

    name: str = Field(min_length=1, max_length=200, examples=["Vlasverwerking Demo NV"])
    company_number: str = Field(min_length=1, max_length=64, examples=["BE0123.456.749"])


class IdentityCreate(IdentityFields, SignatureFields):
    """Declare the identity (signature fields in non-custodial mode only)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [EXAMPLE_IDENTITY, {**EXAMPLE_IDENTITY, **EXAMPLE_SIGNED}]}
    )


class PartnerPublic(ApiModel):
    """What the service knows of a partner."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "address": EXAMPLE_ADDRESS,
                    "custodial": True,
                    "identity": EXAMPLE_IDENTITY,
                    "projects": [1],
                }
            ]
        }
    )

    address: str
    custodial: bool
    identity: IdentityFields | None
    projects: list[SafeInt]


class KeyCreate(ApiModel):
    """An additional API key for a partner."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"label": "ci-robot", "role": "partner"}]}
    )

    label: str = Field(min_length=1, max_length=200, examples=["ci-robot"])
    role: Literal["partner", "coordinator"] = "partner"


class StandaloneKeyCreate(ApiModel):
    """A key that acts for no partner: an auditor's or an admin's."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"label": "ip-counsel", "role": "auditor"},
                {"label": "ops-2", "role": "admin"},
            ]
        }
    )

    label: str = Field(min_length=1, max_length=200, examples=["ip-counsel"])
    role: Literal["auditor", "admin"] = "auditor"


class KeyRotate(ApiModel):
    """Rotation options."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"label": "ci-robot-2027"}, {}]})

    label: str | None = Field(default=None, max_length=200)
