"""Vault balances and releases of royalties."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import EXAMPLE_ADDRESS, EXAMPLE_ADDRESS_2, Address
from api.schemas.operations import SignatureFields
from ledger.chain.clients import ETH


class PartnerBalancePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"partner": EXAMPLE_ADDRESS, "amount": "600"}]}
    )

    partner: str
    amount: str = Field(description="Releasable now, smallest units (decimal string).")


class TokenBalancesPublic(BaseModel):
    """One token's revenue in the project and each partner's releasable balance."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token": ETH,
                    "received": "1000",
                    "released": "400",
                    "balances": [{"partner": EXAMPLE_ADDRESS, "amount": "600"}],
                }
            ]
        }
    )

    token: str = Field(description="ERC-20 address; the zero address is ETH.")
    received: str
    released: str
    balances: list[PartnerBalancePublic]


class BalancesPublic(BaseModel):
    """The project's money in the RoyaltyVault."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "project_id": 1,
                    "tokens": [
                        {
                            "token": ETH,
                            "received": "1000",
                            "released": "400",
                            "balances": [
                                {"partner": EXAMPLE_ADDRESS, "amount": "0"},
                                {"partner": EXAMPLE_ADDRESS_2, "amount": "600"},
                            ],
                        }
                    ],
                }
            ]
        }
    )

    project_id: int
    tokens: list[TokenBalancesPublic]


class PayoutFields(BaseModel):
    """What to release: the key's partner's whole balance of `token`, to `recipient`."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"token": ETH, "recipient": EXAMPLE_ADDRESS_2}]}
    )

    token: Address = Field(default=ETH, description="ERC-20 address; the zero address is ETH.")
    recipient: Address | None = Field(
        default=None, description="Where to pay; the partner itself when left out."
    )


class PayoutCreate(PayoutFields, SignatureFields):
    """Release (signature fields only in non-custodial mode with another recipient)."""
