"""Chain info: which chain and deployment this API writes to, every contract with its ABI."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import ChainAccess, ReaderDep, ServicesDep
from api.errors import ERROR_RESPONSES
from api.schemas.chain import ChainPublic, DeployedContractPublic, Eip712DomainPublic
from ledger.chain.artifacts import load_artifact, load_release_artifact
from ledger.chain.translate import translating
from ledger.errors import ArtifactNotFoundError, LedgerError

router = APIRouter(prefix="/chain", tags=["chain"], responses=ERROR_RESPONSES)

#: What a contract's code reports, by (chain id, address): code at an address never changes.
_DEPLOYED: dict[tuple[int, str], DeployedContractPublic] = {}
#: Contracts that take EIP-712 signatures, with their domain version.
_SIGNED_DOMAINS = {"PocLedger": "1", "RoyaltyVault": "1", "PocExchange": "1"}


@router.get("", response_model=ChainPublic, summary="Chain, deployment and contracts")
def chain_info(services: ServicesDep, _: ReaderDep) -> ChainPublic:
    """Chain id, genesis hash, head, the relayer account, and every deployed contract with
    its address, release (`version()`), EIP-712 domain and ABI."""
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
        deployed=[_deployed(access, c.name) for c in access.deployment.contracts],
        deploy_block=access.deployment.deploy_block,
        relayer=access.relayer.address,
        confirmations=services.settings.confirmations,
        signing_modes=modes,
    )


def _deployed(access: ChainAccess, name: str) -> DeployedContractPublic:
    record = next(c for c in access.deployment.contracts if c.name == name)
    key = (access.deployment.chain_id, record.address)
    known = _DEPLOYED.get(key)
    if known is not None:
        return known
    version = _version(access, name)
    domain = None
    if name in _SIGNED_DOMAINS:
        domain = Eip712DomainPublic(
            name=name,
            version=_SIGNED_DOMAINS[name],
            chain_id=str(access.deployment.chain_id),
            verifying_contract=record.address,
        )
    found = DeployedContractPublic(
        name=name,
        address=record.address,
        version=version,
        deploy_block=record.block_number,
        tx_hash=record.tx_hash,
        domain=domain,
        abi=_abi(name, version),
    )
    _DEPLOYED[key] = found
    return found


def _abi(name: str, version: str | None) -> list[dict[str, Any]]:
    """The ABI of `name` as released in `version` when that release is kept, else today's."""
    if version is not None:
        try:
            return [dict(item) for item in load_release_artifact(version, name).abi]
        except ArtifactNotFoundError:
            pass
    return [dict(item) for item in load_artifact(name).abi]


def _version(access: ChainAccess, name: str) -> str | None:
    """The release the contract's code reports; None for a contract without `version()`
    (releases 1.0.0) or one the service has no client of."""
    clients = {
        "PocLedger": access.ledger,
        "RoyaltyVault": access.vault,
        "PocExchange": access.exchange,
    }
    client = clients.get(name)
    if client is None:
        return None
    try:
        with translating():
            return client.version()
    except LedgerError:
        return None
