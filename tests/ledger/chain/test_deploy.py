"""ledger.chain.deploy: creation transactions, constructor arguments, reverting constructors."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import abi as eth_abi
from web3 import Web3

from ledger.chain.connection import Chain
from ledger.chain.deploy import creation_data, deploy_contract
from ledger.errors import ConfigurationError, TransactionRevertedError
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
