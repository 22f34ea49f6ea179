"""A partner's proof secret kept by the service (custodial partners who opt in)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel
from api.schemas.common import EXAMPLE_ADDRESS, Bytes32

# The test vector of docs/design.md: never a real partner's secret.
EXAMPLE_SECRET = "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
EXAMPLE_SECRET_ID = "0x647c0e5b8316e1e9"
EXAMPLE_KEPT: dict[str, Any] = {
    "address": EXAMPLE_ADDRESS,
    "secretId": EXAMPLE_SECRET_ID,
    "keptByService": True,
}


class ProofSecretIn(ApiModel):
    """The proof secret the partner lets the service keep (its 32 bytes as 0x-hex)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"secret": EXAMPLE_SECRET}]}
    )

    secret: Bytes32 = Field(description="The 32-byte proof secret, 0x-hex.")


class ProofSecretKept(ApiModel):
    """Whether the service keeps a partner's proof secret, named by its id (never the secret)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_KEPT]})

    address: str = Field(description="The partner, EIP-55.")
    secret_id: str = Field(
        description="First 8 bytes of HMAC-SHA256(secret, 'poc-ledger/secret-id/v1' 0x00), 0x-hex."
    )
    kept_by_service: bool = Field(description="Always true: the service keeps this secret.")


class ProofSecretPublic(ProofSecretKept):
    """The proof secret the service keeps for the partner, with the secret itself."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**EXAMPLE_KEPT, "secret": EXAMPLE_SECRET}]}
    )

    secret: str = Field(description="The 32-byte proof secret, 0x-hex.")
