"""The deployment record: what it says, its JSON round trip, the chain it belongs to."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from eth_typing import HexStr
from web3 import Web3

from ledger.chain.connection import Chain, connect_memory
from ledger.chain.deploy import deploy_contract
from ledger.chain.deployment_record import DeployedContract, DeploymentRecord
from ledger.errors import ChainIdMismatchError, ConfigurationError
from tests import evm_snippets


def _record(chain: Chain) -> DeploymentRecord:
    sender = chain.sender(0)
    _, first = deploy_contract(sender, [], evm_snippets.logger())
    _, second = deploy_contract(sender, [], evm_snippets.reverter())
    return DeploymentRecord.create(
        chain,
        sender.address,
        {"PocLedger": first, "RoyaltyVault": second},
        deployed_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


def test_record_describes_the_deployment(chain: Chain) -> None:
    record = _record(chain)

    assert record.chain_id == chain.chain_id
    assert record.genesis_hash == chain.genesis_hash()
    assert record.deployer == chain.accounts[0].address
    assert list(record.addresses) == ["PocLedger", "RoyaltyVault"]
    first = record.contracts[0]
    assert record.deploy_block == first.block_number
    assert chain.w3.eth.get_transaction_receipt(first.tx_hash)["contractAddress"] == first.address
    record.check_chain(chain)


def test_record_json_round_trip(memory_chain: Chain, tmp_path: Path) -> None:
    record = _record(memory_chain)
    path = tmp_path / "deployments" / "local.json"

    record.write(path)

    assert DeploymentRecord.read(path) == record
    data = json.loads(path.read_text())
    assert data["chainId"] == memory_chain.chain_id
    assert data["deployedAt"] == "2026-01-02T03:04:05Z"
    assert data["contracts"]["PocLedger"]["address"] == record.address("PocLedger")
    assert data["deployBlock"] == record.deploy_block
    assert list(tmp_path.joinpath("deployments").iterdir()) == [path]  # no temp file left


def test_record_rejects_another_chain(memory_chain: Chain) -> None:
    record = _record(memory_chain)
    # eth-tester stamps its genesis block with the current second: a chain made in the same
    # second as the session's would share its genesis hash (this test then failed when it ran
    # first, within a second of the session chain).
    genesis_time = int(memory_chain.w3.eth.get_block(0)["timestamp"])
    while time.time() < genesis_time + 1:
        time.sleep(0.05)

    with connect_memory() as other, pytest.raises(ChainIdMismatchError, match="genesis"):
        record.check_chain(other)  # same chain id, different genesis


def test_unknown_contract_name_raises(memory_chain: Chain) -> None:
    with pytest.raises(ConfigurationError, match="RoyaltyVault"):
        _record(memory_chain).address("Nope")


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"version": 2}',
        '{"version": 1, "chainId": 1}',
        json.dumps(
            {
                "version": 1,
                "chainId": 1,
                "genesisHash": "0x1234",
                "deployer": "0x" + "00" * 20,
                "deployedAt": "2026-01-01T00:00:00Z",
                "contracts": {},
            }
        ),
    ],
    ids=["not-json", "not-object", "future-version", "missing-fields", "short-hash"],
)
def test_malformed_record_raises_configuration_error(text: str) -> None:
    with pytest.raises(ConfigurationError):
        DeploymentRecord.from_json(text)


def test_record_rejects_duplicate_names_and_naive_times() -> None:
    address = Web3.to_checksum_address("0x" + "11" * 20)
    contract = DeployedContract("A", address, HexStr("0x" + "22" * 32), 1)
    genesis = HexStr("0x" + "33" * 32)
    with pytest.raises(ConfigurationError, match="duplicate"):
        DeploymentRecord(1, genesis, address, (contract, contract))
    with pytest.raises(ConfigurationError, match="timezone"):
        DeploymentRecord(1, genesis, address, (contract,), datetime(2026, 1, 1))
