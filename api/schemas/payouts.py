"""Vault balances and releases of royalties."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel
from api.schemas.common import (
    EXAMPLE_ADDRESS,
    EXAMPLE_ADDRESS_2,
    Address,
    SafeInt,
    Uint64Out,
    Uint256,
    Uint256Out,
)
from api.schemas.operations import SignatureFields
from ledger.chain.clients import ETH


class PartnerBalancePublic(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"partner": EXAMPLE_ADDRESS, "amount": "600"}]}
    )

    partner: str
    amount: str = Field(description="Releasable now, smallest units (decimal string).")


class TokenBalancesPublic(ApiModel):
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


class BalancesPublic(ApiModel):
    """The project's money in the RoyaltyVault."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "projectId": 1,
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

    project_id: SafeInt
    tokens: list[TokenBalancesPublic]


class PayoutFields(ApiModel):
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


class RevenueFields(ApiModel):
    """Revenue to pay into the project's vault, split by the split in force."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"token": ETH, "amount": "1000000000000000000"},
                {"token": EXAMPLE_ADDRESS_2, "amount": "2500000000"},
            ]
        }
    )

    token: Address = Field(default=ETH, description="ERC-20 address; the zero address is ETH.")
    amount: Uint256 = Field(description="In the token's smallest unit (wei for ETH), > 0.")


class UnsignedTransactionPublic(ApiModel):
    """A transaction for the payer to sign and send from its own wallet, as it is."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "purpose": "deposit",
                    "from": EXAMPLE_ADDRESS,
                    "to": EXAMPLE_ADDRESS_2,
                    "data": "0xb7e8bc99"
                    "0000000000000000000000000000000000000000000000000000000000000001",
                    "value": "1000000000000000000",
                    "gas": "90000",
                    "chainId": 31337,
                }
            ]
        }
    )

    purpose: Literal["approve", "deposit"] = Field(
        description="approve: let the vault take `amount` of the token (ERC-20 only); "
        "deposit: pay it in."
    )
    from_: str = Field(alias="from", description="The payer, who must send it.")
    to: str
    data: str = Field(description="Calldata, 0x-hex.")
    value: Uint256Out = Field(description="Wei sent along (ETH revenue), decimal string.")
    gas: Uint64Out = Field(description="A gas limit that covers the call.")
    chain_id: SafeInt


class RevenueTransactionsPublic(ApiModel):
    """What a payer without a custodial key sends, in order (docs/api.md, "Paying revenue in")."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "transactions": [
                        {
                            "purpose": "deposit",
                            "from": EXAMPLE_ADDRESS,
                            "to": EXAMPLE_ADDRESS_2,
                            "data": "0xb7e8bc99"
                            "0000000000000000000000000000000000000000000000000000000000000001",
                            "value": "1000000000000000000",
                            "gas": "90000",
                            "chainId": 31337,
                        }
                    ]
                }
            ]
        }
    )

    transactions: list[UnsignedTransactionPublic]
