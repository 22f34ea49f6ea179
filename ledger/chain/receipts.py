"""Reading what the node did with transactions: receipts (one, many in one JSON-RPC batch, or
waited for), whether the node knows transactions, the hashes of blocks, and why a mined
transaction reverted.

Batch requests (`rpc_batch`) carry many calls in one HTTP request, each failing alone; a
provider that cannot batch (eth-tester, the WebSocket provider) gets the calls one at a time.
Sending is `ledger.chain.transactions`."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from eth_typing import ChecksumAddress, HexStr
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionIndexingInProgress, TransactionNotFound
from web3.providers.base import JSONBaseProvider
from web3.types import LogReceipt, RPCEndpoint, RPCResponse, TxParams

from ledger.chain.translate import FOREIGN_ERRORS, response_error, translate, translating
from ledger.domain.codec import to_hex
from ledger.domain.values import checksum
from ledger.errors import (
    ChainError,
    LedgerError,
    ReceiptTimeoutError,
    RpcConnectionError,
    RpcError,
    RpcTimeoutError,
    TransactionRevertedError,
)

DEFAULT_POLL_INTERVAL = 0.005


DEFAULT_RECEIPT_TIMEOUT = 120.0


@dataclass(frozen=True)
class LogEntry:
    """One raw (undecoded) event log of a mined transaction."""

    address: ChecksumAddress
    topics: tuple[bytes, ...]
    data: bytes
    log_index: int
    tx_index: int
    tx_hash: HexStr
    block_number: int
    block_hash: HexStr

    def to_web3(self) -> LogReceipt:
        """The log in web3's shape, for `contract.events.X().process_log(...)`."""
        return {
            "address": self.address,
            "topics": [HexBytes(topic) for topic in self.topics],
            "data": HexBytes(self.data),
            "logIndex": self.log_index,
            "transactionIndex": self.tx_index,
            "transactionHash": HexBytes(self.tx_hash),
            "blockNumber": cast(Any, self.block_number),
            "blockHash": HexBytes(self.block_hash),
            "removed": False,
        }


@dataclass(frozen=True)
class TxReceipt:
    """A mined transaction. Hashes are 0x-hex strings; `status` is 1 (success) or 0."""

    tx_hash: HexStr
    block_number: int
    block_hash: HexStr
    tx_index: int
    status: int
    gas_used: int
    effective_gas_price: int
    sender: ChecksumAddress
    to: ChecksumAddress | None
    contract_address: ChecksumAddress | None
    logs: tuple[LogEntry, ...]

    @property
    def succeeded(self) -> bool:
        """Whether execution succeeded (status 1)."""
        return self.status == 1

    @property
    def fee_paid(self) -> int:
        """Wei paid for gas."""
        return self.gas_used * self.effective_gas_price

    @classmethod
    def from_web3(cls, receipt: Mapping[str, Any]) -> TxReceipt:
        """Build from a web3 receipt (AttributeDict) of any backend, or from the raw JSON-RPC
        result (quantities and data as hex strings) that a batch request returns."""
        logs = tuple(
            LogEntry(
                address=checksum(log["address"]),
                topics=tuple(bytes(HexBytes(topic)) for topic in log["topics"]),
                data=bytes(HexBytes(log["data"])),
                log_index=_quantity(log["logIndex"]),
                tx_index=_quantity(log["transactionIndex"]),
                tx_hash=to_hex(HexBytes(log["transactionHash"])),
                block_number=_quantity(log["blockNumber"]),
                block_hash=to_hex(HexBytes(log["blockHash"])),
            )
            for log in receipt["logs"]
        )
        to = receipt.get("to")
        created = receipt.get("contractAddress")
        return cls(
            tx_hash=to_hex(HexBytes(receipt["transactionHash"])),
            block_number=_quantity(receipt["blockNumber"]),
            block_hash=to_hex(HexBytes(receipt["blockHash"])),
            tx_index=_quantity(receipt["transactionIndex"]),
            status=_quantity(receipt["status"]),
            gas_used=_quantity(receipt["gasUsed"]),
            effective_gas_price=_quantity(receipt.get("effectiveGasPrice") or 0),
            sender=checksum(receipt["from"]),
            to=checksum(to) if to else None,
            contract_address=checksum(created) if created else None,
            logs=logs,
        )


def _quantity(value: int | str) -> int:
    """An integer from web3 (int) or from raw JSON-RPC (0x-hex string)."""
    return int(value, 16) if isinstance(value, str) else int(value)


def fetch_receipt(w3: Web3, tx_hash: str) -> TxReceipt | None:
    """Return the receipt of `tx_hash`, or None while it is not mined."""
    try:
        raw = w3.eth.get_transaction_receipt(HexStr(tx_hash))
    except (TransactionNotFound, TransactionIndexingInProgress):
        return None
    except FOREIGN_ERRORS as exc:
        raise translate(exc) from exc
    return TxReceipt.from_web3(raw)


def can_batch(w3: Web3) -> bool:
    """Whether `w3`'s provider sends JSON-RPC batch requests (HTTP and IPC do; eth-tester and
    our WebSocket provider do not)."""
    method = getattr(type(w3.provider), "make_batch_request", None)
    return method is not None and method is not JSONBaseProvider.make_batch_request


def rpc_batch(w3: Web3, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[RPCResponse] | None:
    """Make `calls` in one JSON-RPC batch request and return the raw responses, in order; None
    when the provider cannot batch (the caller then makes the calls one at a time).

    Items fail alone, each in its own response (`ledger.chain.translate.response_error`); the batch
    as a whole failing (node unreachable, HTTP error, batches refused) raises, translated.
    """
    if not can_batch(w3):
        return None
    if not calls:
        return []
    provider = cast(JSONBaseProvider, w3.provider)
    with translating():
        responses = provider.make_batch_request(
            [(RPCEndpoint(method), list(params)) for method, params in calls]
        )
    if not isinstance(responses, list):
        # One error object for the whole batch (e.g. a node that does not take batches).
        raise response_error(responses) or RpcError(f"unexpected batch answer: {responses!r}")
    if len(responses) != len(calls):
        raise RpcError(f"the node answered {len(responses)} of {len(calls)} batched calls")
    return responses


def send_raw_batch(w3: Web3, raw_transactions: Sequence[bytes]) -> list[LedgerError | None]:
    """Submit signed transactions in one batch; each one's error (translated), or None if the
    node took it. The batch failing as a whole raises.

    One at a time where the provider cannot batch: then a connection error or timeout stops
    there and is the result of that transaction and of every later one (not sent, or maybe).
    """
    responses = rpc_batch(
        w3, [("eth_sendRawTransaction", [to_hex(raw)]) for raw in raw_transactions]
    )
    if responses is not None:
        return [response_error(response) for response in responses]
    results: list[LedgerError | None] = []
    for raw in raw_transactions:
        try:
            with translating():
                w3.eth.send_raw_transaction(raw)
        except (RpcTimeoutError, RpcConnectionError) as exc:
            results.extend([exc] * (len(raw_transactions) - len(results)))
            break
        except LedgerError as exc:
            results.append(exc)
            continue
        results.append(None)
    return results


def fetch_receipts(w3: Web3, tx_hashes: Sequence[str]) -> list[TxReceipt | None]:
    """The receipts of `tx_hashes` (None where not mined yet), in one batch request."""
    responses = rpc_batch(w3, [("eth_getTransactionReceipt", [h]) for h in tx_hashes])
    if responses is None:
        return [fetch_receipt(w3, tx_hash) for tx_hash in tx_hashes]
    receipts: list[TxReceipt | None] = []
    for response in responses:
        error = response_error(response)
        if error is not None:
            message = str(error).lower()
            # What web3 raises as TransactionIndexingInProgress / TransactionNotFound.
            if ("index" in message and "progress" in message) or "not found" in message:
                receipts.append(None)
                continue
            raise error
        raw = response.get("result")
        receipts.append(None if raw is None else TxReceipt.from_web3(raw))
    return receipts


def transactions_known(w3: Web3, tx_hashes: Sequence[str]) -> list[bool]:
    """Whether the node knows each transaction (pending or mined), in one batch request."""
    responses = rpc_batch(w3, [("eth_getTransactionByHash", [h]) for h in tx_hashes])
    if responses is None:
        return [_transaction_known(w3, tx_hash) for tx_hash in tx_hashes]
    known: list[bool] = []
    for response in responses:
        error = response_error(response)
        if error is not None:
            if "not found" in str(error).lower():
                known.append(False)
                continue
            raise error
        known.append(response.get("result") is not None)
    return known


def _transaction_known(w3: Web3, tx_hash: str) -> bool:
    try:
        w3.eth.get_transaction(HexStr(tx_hash))
    except TransactionNotFound:
        return False
    except FOREIGN_ERRORS as exc:
        raise translate(exc) from exc
    return True


def block_hashes(w3: Web3, numbers: Sequence[int]) -> dict[int, HexStr | None]:
    """The hash of each block number the node has (None for those it does not have), in one
    batch request."""
    wanted = sorted(set(numbers))
    responses = rpc_batch(w3, [("eth_getBlockByNumber", [hex(n), False]) for n in wanted])
    hashes: dict[int, HexStr | None] = {}
    if responses is None:
        for number in wanted:
            try:
                with translating():
                    hashes[number] = to_hex(w3.eth.get_block(number)["hash"])
            except ChainError:
                hashes[number] = None
        return hashes
    for number, response in zip(wanted, responses, strict=True):
        block = response.get("result") if response_error(response) is None else None
        hashes[number] = to_hex(HexBytes(block["hash"])) if block else None
    return hashes


def wait_for_receipt(
    w3: Web3,
    tx_hash: str,
    *,
    timeout: float = DEFAULT_RECEIPT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
) -> TxReceipt:
    """Poll for the receipt of `tx_hash`; raise `ReceiptTimeoutError` after `timeout` seconds.

    web3's own wait polls every 0.1 s, which caps a sequential sender at ~10 tx/s on anvil.
    """
    deadline = time.monotonic() + timeout
    while True:
        receipt = fetch_receipt(w3, tx_hash)
        if receipt is not None:
            return receipt
        if time.monotonic() >= deadline:
            raise ReceiptTimeoutError(
                f"transaction {tx_hash} was not mined within {timeout:g} s", tx_hash=tx_hash
            )
        time.sleep(poll_interval)


def revert_error(w3: Web3, receipt: TxReceipt) -> TransactionRevertedError:
    """Explain a failed receipt: replay the transaction to read its revert data.

    Receipts carry no revert data, so we re-execute with eth_call, without the original gas
    limit, first on the state before its block: exact for the first transaction of a block,
    except for the block's clock, which the replay takes from the parent block. Then, when
    that replay does not revert (or the node no longer keeps that state), on the state after
    its block, with the block's own clock: that explains a revert caused by an earlier
    transaction of the same block (batched sends share blocks: a re-sent registration behind
    its first landing) or by the time (a deadline or window that ended between the parent
    block and this one). The failed transaction itself changed nothing; later ones of the
    block may have, so that second replay is the best explanation, not a proof. If no replay
    reverts, the original most likely ran out of gas, and `revert_data` is empty.
    (eth_estimateGas would do as well on nodes, but web3 hands eth-tester a hex block number
    that it rejects.)
    """
    with translating():
        tx = w3.eth.get_transaction(HexStr(receipt.tx_hash))
    params: TxParams = {
        "from": tx["from"],
        "data": HexBytes(tx["input"]),
        "value": tx["value"],
    }
    if tx.get("to"):
        params["to"] = tx["to"]
    states = [max(receipt.block_number - 1, 0), receipt.block_number]
    where = f"transaction {receipt.tx_hash} (block {receipt.block_number})"
    unreadable: list[str] = []
    for state in states:
        try:
            with translating():
                w3.eth.call(params, state)
        except TransactionRevertedError as exc:
            return TransactionRevertedError(
                f"{where} reverted: {exc}", revert_data=exc.revert_data, tx_hash=receipt.tx_hash
            )
        except ChainError as exc:
            # E.g. a node that keeps no state of older blocks: the next state may do.
            unreadable.append(f"at block {state}: {exc}")
    if len(unreadable) == len(states):
        return TransactionRevertedError(
            f"{where} failed; replaying it to read the revert data failed too: "
            + "; ".join(unreadable),
            revert_data=b"",
            tx_hash=receipt.tx_hash,
        )
    return TransactionRevertedError(
        f"{where} failed without revert data (gas used {receipt.gas_used} of limit "
        f"{tx['gas']}: out of gas?)",
        revert_data=b"",
        tx_hash=receipt.tx_hash,
    )
