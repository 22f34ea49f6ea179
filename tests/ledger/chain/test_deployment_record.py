"""Deploying contracts and the deployment record's JSON round trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from eth_abi import abi as eth_abi
from eth_typing import HexStr
from web3 import Web3

from ledger.chain.connection import Chain, connect_memory
from ledger.chain.deployment_record import (
    DeployedContract,
    DeploymentRecord,
    creation_data,
    deploy_contract,
)
from ledger.errors import ChainIdMismatchError, ConfigurationError, TransactionRevertedError
from tests import evm_snippets

CONSTRUCTOR_ABI: list[Any] = [
    {
        "type": "constructor",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "ledger", "type": "address"}, {"name": "cap", "type": "uint16"}],
    }
]


def test_deploy_contract_returns_address_with_code(chain: Chain) -> None:
    address, receipt = deploy_contract(chain.sender(0), [], evm_snippets.logger())

    assert receipt.succeeded and receipt.contract_address == address
    assert Web3.is_checksum_address(address)
    assert len(chain.w3.eth.get_code(address)) > 0


def test_creation_data_appends_abi_encoded_constructor_arguments(chain: Chain) -> None:
    ledger = chain.accounts[1].address
    code = evm_snippets.logger()

    data = creation_data(chain.w3, CONSTRUCTOR_ABI, code, ledger, 2500)

    assert data == code + eth_abi.encode(["address", "uint16"], [ledger, 2500])
    # The hand-made constructor ignores the trailing arguments: deployment still works.
    address, _ = deploy_contract(chain.sender(0), CONSTRUCTOR_ABI, code, ledger, 2500)
    assert len(chain.w3.eth.get_code(address)) > 0


def test_constructor_arguments_that_do_not_fit_raise_configuration_error(chain: Chain) -> None:
    with pytest.raises(ConfigurationError, match="constructor arguments"):
        deploy_contract(chain.sender(0), CONSTRUCTOR_ABI, evm_snippets.logger(), "not-an-address")


def test_reverting_constructor_raises_before_sending(chain: Chain) -> None:
    # Creation code that reverts in the constructor: the reverter's runtime run as initcode.
    initcode = evm_snippets.reverting_runtime(evm_snippets.CUSTOM_ERROR)
    nonce = chain.w3.eth.get_transaction_count(chain.accounts[0].address)

    with pytest.raises(TransactionRevertedError) as raised:
        deploy_contract(chain.sender(0), [], initcode)

    assert raised.value.revert_data == evm_snippets.CUSTOM_ERROR
    assert chain.w3.eth.get_transaction_count(chain.accounts[0].address) == nonce


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
