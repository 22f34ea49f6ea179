"""TxSender on eth-tester and anvil: receipts, nonces under concurrency, pipelining, reverts."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from eth_account import Account
from eth_typing import HexStr
from web3 import Web3

from ledger.chain.connection import Backend, Chain, ChainConfig, connect_anvil
from ledger.chain.deploy import deploy_contract
from ledger.chain.receipts import TxReceipt
from ledger.chain.transactions import TRANSFER_GAS, TxRequest, TxSender
from ledger.chain.translate import translating
from ledger.domain.codec import to_hex
from ledger.errors import (
    InsufficientFundsError,
    ReceiptTimeoutError,
    TransactionRevertedError,
)
from poc.sandbox.anvil import AnvilProcess
from tests import evm_snippets


def _deploy(chain: Chain, creation: bytes) -> str:
    # Hand-made contracts have no ABI: the creation code is the whole payload.
    address, _ = deploy_contract(chain.sender(0), [], creation, gas=200_000)
    return address


def test_transfer_returns_receipt_with_hex_hashes(chain: Chain) -> None:
    sender = chain.sender(0)
    to = chain.accounts[1].address
    before = chain.w3.eth.get_balance(to)

    receipt = sender.transfer(to, 12345)

    assert isinstance(receipt, TxReceipt)
    assert receipt.succeeded and receipt.status == 1
    assert receipt.tx_hash.startswith("0x") and len(receipt.tx_hash) == 66
    assert receipt.block_hash.startswith("0x") and len(receipt.block_hash) == 66
    assert receipt.gas_used == TRANSFER_GAS
    assert receipt.effective_gas_price > 0
    assert receipt.sender == sender.address and receipt.to == to
    assert receipt.contract_address is None and receipt.logs == ()
    block = chain.w3.eth.get_block(receipt.block_number)
    assert to_hex(block["hash"]) == receipt.block_hash
    assert chain.w3.eth.get_balance(to) == before + 12345


def test_receipt_carries_raw_logs(chain: Chain) -> None:
    address = _deploy(chain, evm_snippets.logger())
    payload = b"\x01\x02contribution"

    receipt = chain.sender(0).transact(
        TxRequest(to=Web3.to_checksum_address(address), data=payload, gas=100_000)
    )

    (log,) = receipt.logs
    assert log.address == address
    assert log.topics == (evm_snippets.LOG_TOPIC,)
    assert log.data == payload
    assert log.tx_hash == receipt.tx_hash and log.block_number == receipt.block_number
    assert bytes(log.to_web3()["data"]) == payload


def test_send_estimates_gas_when_no_limit_given(chain: Chain) -> None:
    address = _deploy(chain, evm_snippets.logger())

    receipt = chain.sender(0).transact(TxRequest(to=Web3.to_checksum_address(address), data=b"x"))

    tx = chain.w3.eth.get_transaction(receipt.tx_hash)
    assert receipt.succeeded
    assert tx["gas"] > receipt.gas_used  # estimate plus the safety margin


def test_concurrent_threads_get_consecutive_nonces_and_each_tx_mines_once(chain: Chain) -> None:
    sender = chain.sender(0)
    start = chain.w3.eth.get_transaction_count(sender.address)
    to = chain.accounts[2].address
    threads, per_thread = 8, 15
    receipts: list[TxReceipt] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            for _ in range(per_thread):
                receipt = sender.transfer(to, 1)
                with lock:
                    receipts.append(receipt)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    total = threads * per_thread
    assert len({r.tx_hash for r in receipts}) == total
    nonces = sorted(chain.w3.eth.get_transaction(r.tx_hash)["nonce"] for r in receipts)
    assert nonces == list(range(start, start + total))
    assert chain.w3.eth.get_transaction_count(sender.address) == start + total


def test_send_many_pipelines_and_returns_receipts_in_order(chain: Chain) -> None:
    sender = chain.sender(1)
    to = chain.accounts[3].address
    start = chain.w3.eth.get_transaction_count(sender.address)
    requests = [TxRequest(to=to, value=i + 1, gas=TRANSFER_GAS) for i in range(30)]

    receipts = sender.send_many(requests)

    assert [r.succeeded for r in receipts] == [True] * 30
    values = [chain.w3.eth.get_transaction(r.tx_hash)["value"] for r in receipts]
    nonces = [chain.w3.eth.get_transaction(r.tx_hash)["nonce"] for r in receipts]
    assert values == list(range(1, 31))
    assert nonces == list(range(start, start + 30))


def test_sender_resyncs_after_its_key_is_used_elsewhere(chain: Chain) -> None:
    sender = chain.sender(4)
    to = chain.accounts[0].address
    start = chain.w3.eth.get_transaction_count(sender.address)
    sender.transfer(to, 1)  # the sender now holds a local nonce
    # Another process with the same key: a separate sender the first one knows nothing of.
    other = TxSender(chain.w3, chain.accounts[4], chain_id=chain.chain_id)
    other.transfer(to, 1)
    other.transfer(to, 1)

    receipt = sender.transfer(to, 1)  # "nonce too low" inside, then resync and retry

    assert receipt.succeeded
    assert chain.w3.eth.get_transaction(receipt.tx_hash)["nonce"] == start + 3


def test_snapshot_revert_resyncs_senders(chain: Chain) -> None:
    sender = chain.sender(5)
    snapshot = chain.snapshot()
    sender.transfer(chain.accounts[0].address, 1)
    sender.transfer(chain.accounts[0].address, 1)

    chain.revert(snapshot)
    receipt = sender.transfer(chain.accounts[0].address, 1)

    assert receipt.succeeded


def test_fresh_account_can_send_once_funded(chain: Chain) -> None:
    partner = Account.create()
    chain.sender(0).transfer(partner.address, 10**18)

    receipt = chain.sender(partner).transfer(chain.accounts[0].address, 1)

    assert receipt.sender == partner.address


def test_sending_more_than_the_balance_raises_insufficient_funds(chain: Chain) -> None:
    partner = Account.create()
    chain.sender(0).transfer(partner.address, 10**15)

    with pytest.raises(InsufficientFundsError):
        chain.sender(partner).transfer(chain.accounts[0].address, 10**18)
    # The failed send consumed no nonce.
    assert chain.sender(partner).transfer(chain.accounts[0].address, 1).succeeded


def test_reverted_transaction_raises_with_revert_data(chain: Chain) -> None:
    address = Web3.to_checksum_address(_deploy(chain, evm_snippets.reverter()))
    sender = chain.sender(0)

    # A given gas limit skips estimation: the transaction is mined and fails on chain.
    with pytest.raises(TransactionRevertedError) as raised:
        sender.transact(TxRequest(to=address, gas=100_000))

    assert raised.value.revert_data == evm_snippets.CUSTOM_ERROR
    assert raised.value.selector == bytes.fromhex("deadbeef")
    assert raised.value.tx_hash is not None
    receipt = chain.w3.eth.get_transaction_receipt(HexStr(raised.value.tx_hash))
    assert receipt["status"] == 0


def test_reverted_transaction_without_check_returns_failed_receipt(chain: Chain) -> None:
    address = Web3.to_checksum_address(_deploy(chain, evm_snippets.reverter()))

    receipt = chain.sender(0).transact(TxRequest(to=address, gas=100_000), check=False)

    assert receipt.status == 0 and not receipt.succeeded


def test_estimation_surfaces_revert_before_sending(chain: Chain) -> None:
    address = Web3.to_checksum_address(_deploy(chain, evm_snippets.reverter()))
    sender = chain.sender(0)
    nonce = chain.w3.eth.get_transaction_count(sender.address)

    with pytest.raises(TransactionRevertedError) as raised:
        sender.send(TxRequest(to=address, gas=100_000), estimate=True)

    assert raised.value.revert_data == evm_snippets.CUSTOM_ERROR
    assert raised.value.tx_hash is None
    assert chain.w3.eth.get_transaction_count(sender.address) == nonce  # nothing was sent


@pytest.mark.parametrize(
    "payload",
    [
        evm_snippets.CUSTOM_ERROR,
        evm_snippets.error_string("not a partner"),
        b"",
        bytes.fromhex("4e487b71") + (0x11).to_bytes(32, "big"),  # Panic(0x11)
    ],
    ids=["custom-error", "error-string", "empty", "panic"],
)
def test_eth_call_revert_carries_exact_revert_data(chain: Chain, payload: bytes) -> None:
    address = Web3.to_checksum_address(_deploy(chain, evm_snippets.reverter(payload)))
    sender = chain.sender(0)

    with pytest.raises(TransactionRevertedError) as via_call, translating():
        chain.w3.eth.call({"from": sender.address, "to": address, "data": b""})
    with pytest.raises(TransactionRevertedError) as via_estimate:
        sender.estimate_gas(TxRequest(to=address))

    assert via_call.value.revert_data == payload
    assert via_estimate.value.revert_data == payload


def test_send_many_with_a_revert_waits_for_all_then_raises(chain: Chain) -> None:
    address = Web3.to_checksum_address(_deploy(chain, evm_snippets.reverter()))
    sender = chain.sender(6)
    ok = TxRequest(to=chain.accounts[0].address, value=1, gas=TRANSFER_GAS)
    start = chain.w3.eth.get_transaction_count(sender.address)

    with pytest.raises(TransactionRevertedError) as raised:
        sender.send_many([ok, TxRequest(to=address, gas=100_000), ok])

    assert raised.value.revert_data == evm_snippets.CUSTOM_ERROR
    assert chain.w3.eth.get_transaction_count(sender.address) == start + 3


@pytest.mark.anvil
def test_receipt_timeout_names_the_transaction_and_resyncs(tmp_path: Path) -> None:
    node = AnvilProcess(tmp_path, persist=False, extra_args=("--no-mining",))
    with node, connect_anvil(ChainConfig(backend=Backend.ANVIL), node=node) as chain:
        sender = chain.sender(0)
        tx_hash = sender.send(TxRequest(to=chain.accounts[1].address, value=1, gas=TRANSFER_GAS))

        with pytest.raises(ReceiptTimeoutError) as raised:
            sender.wait(tx_hash, timeout=0.2)

        assert raised.value.tx_hash == tx_hash
        chain.mine()
        assert sender.wait(tx_hash, timeout=5).succeeded


@pytest.mark.anvil
def test_chain_without_base_fee_gets_legacy_gas_price(tmp_path: Path) -> None:
    # Before London there is no base fee: the sender must price with gasPrice (type 0).
    node = AnvilProcess(tmp_path, persist=False, extra_args=("--hardfork", "berlin"))
    with node, connect_anvil(ChainConfig(backend=Backend.ANVIL), node=node) as chain:
        assert "baseFeePerGas" not in chain.w3.eth.get_block("latest")

        receipt = chain.sender(0).transfer(chain.accounts[1].address, 1)

        tx = chain.w3.eth.get_transaction(HexStr(receipt.tx_hash))
        assert receipt.succeeded
        assert tx["type"] == 0 and tx["gasPrice"] == receipt.effective_gas_price
