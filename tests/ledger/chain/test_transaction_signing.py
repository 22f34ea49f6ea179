"""The fast signing paths (`ledger.chain.transactions.sign_transaction`,
`ledger.chain.signing.sign_typed_data`) against eth-account, byte for byte."""

from __future__ import annotations

from typing import Any

import coincurve
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.chain import signing
from ledger.chain.transactions import FeeQuote, TxRequest, sign_transaction
from ledger.domain.values import Origin, Registration
from ledger.errors import SigningError
from tests.ledger.conftest import Env

KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
CONTRACT = Web3.to_checksum_address("0x5FbDB2315678afecb367f032d93F642f64180aa3")

EIP1559 = FeeQuote(max_fee_per_gas=2 * 10**9 + 7, max_priority_fee_per_gas=10**9)
LEGACY = FeeQuote(gas_price=875_000_000)


def _expected(
    account: LocalAccount, chain_id: int, tx: TxRequest, gas: int, nonce: int, fees: FeeQuote
) -> bytes:
    fields: dict[str, Any] = {
        "chainId": chain_id,
        "nonce": nonce,
        "gas": gas,
        "value": tx.value,
        "data": tx.data,
        **fees.tx_fields(),
    }
    if tx.to is not None:
        fields["to"] = tx.to
    return bytes(account.sign_transaction(fields).raw_transaction)


@pytest.mark.parametrize("fees", [EIP1559, LEGACY], ids=["eip1559", "legacy"])
@pytest.mark.parametrize(
    ("chain_id", "nonce", "tx"),
    [
        (31337, 0, TxRequest(to=CONTRACT, data=bytes(range(200)), gas=120_000)),
        (1, 2**40, TxRequest(to=CONTRACT, value=10**21, gas=21_000)),
        (11155111, 7, TxRequest(to=None, data=b"\x60\x80" * 300, gas=3_000_000)),
        (1337, 56, TxRequest(to=CONTRACT, data=b"", value=1, gas=21_000)),
    ],
)
def test_sign_transaction_matches_eth_account(
    chain_id: int, nonce: int, tx: TxRequest, fees: FeeQuote
) -> None:
    account: LocalAccount = Account.from_key(KEY)
    key = coincurve.PrivateKey(bytes(account.key))
    gas = tx.gas or 21_000

    signed = sign_transaction(key, chain_id, tx, gas=gas, nonce=nonce, fees=fees)

    expected = _expected(account, chain_id, tx, gas, nonce, fees)
    assert signed.raw_transaction == expected
    assert Account.recover_transaction(signed.raw_transaction) == account.address


def test_sign_transaction_hash_is_the_hash_the_node_reports(memory_env: Env) -> None:
    sender = memory_env.dave

    tx_hash = sender.send(TxRequest(to=memory_env.alice.address, value=5, gas=21_000))

    receipt = sender.wait(tx_hash)
    assert receipt.tx_hash == tx_hash and receipt.succeeded


@pytest.mark.parametrize("nonce", [0, 1, 2**200 + 12345])
def test_sign_typed_data_matches_eth_account(nonce: int) -> None:
    account: LocalAccount = Account.from_key(KEY)
    data = signing.register_data(
        signing.Eip712Domain.ledger(31337, CONTRACT),
        registration=Registration(7, bytes(range(32)), Origin.RESULT, 0, 8),
        signer=account.address,
        nonce=nonce,
        deadline=2**40,
    )

    signature = signing.sign_typed_data(KEY, data)

    expected = account.sign_message(encode_typed_data(full_message=data)).signature
    assert signature == bytes(expected)
    assert signing.sign_auth(bytes.fromhex(KEY[2:]), data).signer == account.address


@pytest.mark.parametrize("key", ["0x1234", "not hex", "0x" + "00" * 32])
def test_sign_typed_data_refuses_malformed_keys(key: str) -> None:
    data = signing.register_data(
        signing.Eip712Domain.ledger(31337, CONTRACT),
        registration=Registration(7, bytes(range(32)), Origin.RESULT, 0, 8),
        signer=CONTRACT,
        nonce=1,
        deadline=2**40,
    )

    with pytest.raises(SigningError, match="cannot sign with this key"):
        signing.sign_typed_data(key, data)
