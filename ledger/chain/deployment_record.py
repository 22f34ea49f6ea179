"""Where a deployment went: the deployment record.

`DeploymentRecord` is the JSON file `poc deploy` writes: which chain (id and genesis hash, so a
reset dev chain with the same id is not mistaken for the old one), which contracts at which
addresses, deployed in which transactions and blocks, by whom and when.

Lives elsewhere: deploying (`ledger.chain.deploy`), artifacts (`ledger.chain.artifacts`), typed
contract clients (`ledger.chain.clients`).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress, HexStr
from web3 import Web3

from ledger.chain.connection import Chain
from ledger.chain.receipts import TxReceipt
from ledger.domain.codec import from_hex, to_hex
from ledger.errors import ChainError, ChainIdMismatchError, ConfigurationError

RECORD_VERSION = 1


@dataclass(frozen=True)
class DeployedContract:
    """One contract of a deployment."""

    name: str
    address: ChecksumAddress
    tx_hash: HexStr
    block_number: int

    @classmethod
    def from_receipt(cls, name: str, receipt: TxReceipt) -> DeployedContract:
        """Describe the contract `receipt` created under `name`."""
        if receipt.contract_address is None:
            raise ChainError(f"transaction {receipt.tx_hash} created no contract")
        return cls(name, receipt.contract_address, receipt.tx_hash, receipt.block_number)


@dataclass(frozen=True)
class DeploymentRecord:
    """Where a set of contracts lives: chain, addresses, transactions, deployer, time."""

    chain_id: int
    genesis_hash: HexStr
    deployer: ChecksumAddress
    contracts: tuple[DeployedContract, ...]
    deployed_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        names = [contract.name for contract in self.contracts]
        if len(set(names)) != len(names):
            raise ConfigurationError(f"duplicate contract names in deployment: {names}")
        if self.deployed_at.tzinfo is None:
            raise ConfigurationError("deployed_at must be timezone-aware")

    @classmethod
    def create(
        cls,
        chain: Chain,
        deployer: str,
        receipts: Mapping[str, TxReceipt],
        *,
        deployed_at: datetime | None = None,
    ) -> DeploymentRecord:
        """Record the contracts created by `receipts` (by name) on `chain`."""
        return cls(
            chain_id=chain.chain_id,
            genesis_hash=chain.genesis_hash(),
            deployer=Web3.to_checksum_address(deployer),
            contracts=tuple(
                DeployedContract.from_receipt(name, receipt) for name, receipt in receipts.items()
            ),
            deployed_at=deployed_at or datetime.now(UTC),
        )

    @property
    def addresses(self) -> dict[str, ChecksumAddress]:
        """Contract addresses by name."""
        return {contract.name: contract.address for contract in self.contracts}

    @property
    def deploy_block(self) -> int:
        """The first block of the deployment: where scanning for its events starts."""
        return min((contract.block_number for contract in self.contracts), default=0)

    def address(self, name: str) -> ChecksumAddress:
        """The address of contract `name`."""
        for contract in self.contracts:
            if contract.name == name:
                return contract.address
        raise ConfigurationError(
            f"no contract {name!r} in this deployment (has {sorted(self.addresses)})"
        )

    def check_chain(self, chain: Chain) -> None:
        """Raise `ChainIdMismatchError` unless `chain` is the chain this was deployed on."""
        if chain.chain_id != self.chain_id:
            raise ChainIdMismatchError(
                f"deployment is on chain {self.chain_id}, the node is on chain {chain.chain_id}"
            )
        genesis = chain.genesis_hash()
        if genesis != self.genesis_hash:
            raise ChainIdMismatchError(
                f"deployment is on a chain with genesis {self.genesis_hash}, the node's genesis "
                f"is {genesis} (same chain id, different chain: was it reset?)"
            )

    # -- JSON -----------------------------------------------------------------------------------

    def to_json_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data."""
        return {
            "version": RECORD_VERSION,
            "chainId": self.chain_id,
            "genesisHash": self.genesis_hash,
            "deployer": self.deployer,
            "deployedAt": self.deployed_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "deployBlock": self.deploy_block,
            "contracts": {
                contract.name: {
                    "address": contract.address,
                    "txHash": contract.tx_hash,
                    "blockNumber": contract.block_number,
                }
                for contract in self.contracts
            },
        }

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> DeploymentRecord:
        """Parse `to_json_dict` output; raise `ConfigurationError` if it is malformed."""
        try:
            if data["version"] != RECORD_VERSION:
                raise ConfigurationError(
                    f"deployment record version {data['version']!r} is not {RECORD_VERSION}"
                )
            contracts: Sequence[DeployedContract] = [
                DeployedContract(
                    name=str(name),
                    address=Web3.to_checksum_address(entry["address"]),
                    tx_hash=_hex32(entry["txHash"]),
                    block_number=int(entry["blockNumber"]),
                )
                for name, entry in data["contracts"].items()
            ]
            deployed_at = datetime.fromisoformat(str(data["deployedAt"]).replace("Z", "+00:00"))
            return cls(
                chain_id=int(data["chainId"]),
                genesis_hash=_hex32(data["genesisHash"]),
                deployer=Web3.to_checksum_address(data["deployer"]),
                contracts=tuple(contracts),
                deployed_at=deployed_at,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigurationError(f"malformed deployment record: {exc!r}") from exc

    def to_json(self) -> str:
        """The record as indented JSON text."""
        return json.dumps(self.to_json_dict(), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> DeploymentRecord:
        """Parse JSON text written by `to_json`."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigurationError(f"deployment record is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigurationError("deployment record must be a JSON object")
        return cls.from_json_dict(data)

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write to `path` atomically (a crash leaves the old file or the new one)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(self.to_json())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> DeploymentRecord:
        """Read a record written by `write`."""
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise ConfigurationError(f"cannot read deployment record {path}: {exc}") from exc
        return cls.from_json(text)


def _hex32(value: object) -> HexStr:
    """A 32-byte hash of the record, checked and in lower case."""
    return to_hex(from_hex(str(value), size=32))
