"""The chain and the deployment the API writes to."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from api.schemas.common import EXAMPLE_ADDRESS, EXAMPLE_ADDRESS_2, EXAMPLE_HASH


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
