"""Chain info: which chain and deployment this API writes to."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ReaderDep, ServicesDep
from api.errors import ERROR_RESPONSES
from api.schemas.chain import ChainPublic
from ledger.chain.translate import translating

router = APIRouter(prefix="/chain", tags=["chain"], responses=ERROR_RESPONSES)


@router.get("", response_model=ChainPublic, summary="Chain and deployment")
def chain_info(services: ServicesDep, _: ReaderDep) -> ChainPublic:
    """Chain id, genesis hash, head, contract addresses and the relayer account."""
    access = services.require_chain()
    with translating():
        head = int(access.chain.w3.eth.block_number)
    mode = services.settings.signing_mode
    modes: list[str] = ["custodial", "non-custodial"] if mode == "both" else [mode]
    return ChainPublic(
        chain_id=access.deployment.chain_id,
        genesis_hash=access.deployment.genesis_hash,
        head_block=head,
        contracts=dict(access.deployment.addresses),
        deploy_block=access.deployment.deploy_block,
        relayer=access.relayer.address,
        confirmations=services.settings.confirmations,
        signing_modes=modes,
    )
