"""The chain and the deployment the API writes to: every contract with its address, release,
EIP-712 domain and ABI, so that a client needs nothing from this repository to call them."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel
from api.schemas.common import EXAMPLE_ADDRESS, EXAMPLE_ADDRESS_2, EXAMPLE_HASH, SafeInt

EXAMPLE_DOMAIN: dict[str, Any] = {
    "name": "PocLedger",
    "version": "1",
    "chainId": "31337",
    "verifyingContract": EXAMPLE_ADDRESS_2,
}
EXAMPLE_DEPLOYED: dict[str, Any] = {
    "name": "PocLedger",
    "address": EXAMPLE_ADDRESS_2,
    "version": "2.0.0",
    "deployBlock": 1,
    "txHash": EXAMPLE_HASH,
    "domain": EXAMPLE_DOMAIN,
    "abi": [
        {
            "type": "function",
            "name": "version",
            "inputs": [],
            "outputs": [{"name": "", "type": "string", "internalType": "string"}],
            "stateMutability": "pure",
        }
    ],
}


class Eip712DomainPublic(ApiModel):
    """The EIP-712 domain a contract checks signatures against (chainId as a decimal string:
    uint256 in the domain)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_DOMAIN]})

    name: str
    version: str
    chain_id: str = Field(description="uint256 as a decimal string.")
    verifying_contract: str


class DeployedContractPublic(ApiModel):
    """One deployed contract: where it is, which release its code is, and how to call it."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_DEPLOYED]})

    name: str
    address: str
    version: str | None = Field(
        description="The release its code reports (`version()`); null if it reports none."
    )
    deploy_block: SafeInt
    tx_hash: str
    domain: Eip712DomainPublic | None = Field(
        description="The EIP-712 domain of its signed (`…BySig`) calls; null if it has none."
    )
    abi: list[dict[str, Any]] = Field(
        description="The contract's ABI (JSON), of the release its code reports."
    )


class ChainPublic(ApiModel):
    """The chain and deployment this API writes to."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "chainId": 31337,
                    "genesisHash": EXAMPLE_HASH,
                    "headBlock": 120,
                    "contracts": {"PocLedger": EXAMPLE_ADDRESS_2, "RoyaltyVault": EXAMPLE_ADDRESS},
                    "deployed": [EXAMPLE_DEPLOYED],
                    "deployBlock": 1,
                    "relayer": EXAMPLE_ADDRESS,
                    "confirmations": 0,
                    "signingModes": ["custodial", "non-custodial"],
                }
            ]
        }
    )

    chain_id: SafeInt = Field(
        description="EIP-155 chain id (a JSON number here; every chain "
        "id in use is far below 2^53; the EIP-712 domain has it as a string)."
    )
    genesis_hash: str
    head_block: SafeInt
    contracts: dict[str, str] = Field(description="Each contract's address by name.")
    deployed: list[DeployedContractPublic] = Field(
        description="Each contract with its release, EIP-712 domain and ABI."
    )
    deploy_block: SafeInt
    relayer: str
    confirmations: SafeInt
    signing_modes: list[str]
