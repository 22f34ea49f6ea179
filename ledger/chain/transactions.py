"""Sending transactions: local signing, nonces, fees, receipts.

`TxSender` signs with a local private key (eth-account; coincurve makes it fast), hands out
nonces itself so that many threads can send from one account, prices transactions (EIP-1559
when the chain has a base fee, legacy gas price otherwise), and polls for receipts every few
milliseconds. `send_many` pipelines: it sends a batch without waiting, then collects the
receipts; on anvil that is the difference between ~10 and well over 100 transactions a second.
`send_batch` goes further for a busy sender (the outbox): it signs many transactions and
submits them in one JSON-RPC batch request, each failing alone; `fetch_receipts` collects many
receipts in one request the same way. Providers that cannot batch (eth-tester, our WebSocket
provider) get the same calls one at a time.

Domain values: `TxRequest` (what to send), `TxReceipt` and `LogEntry` (what was mined).
Lives elsewhere: connecting to a chain (`ledger.chain.connection`), exception translation
(`ledger.chain.translate`), decoding revert data and events (`ledger.chain.reverts`,
`ledger.chain.clients`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import coincurve
import rlp
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionIndexingInProgress, TransactionNotFound
from web3.providers.base import JSONBaseProvider
from web3.types import LogReceipt, RPCEndpoint, RPCResponse, TxParams, Wei

from ledger.chain.translate import FOREIGN_ERRORS, response_error, translate, translating
from ledger.domain.codec import to_hex
from ledger.domain.values import checksum
from ledger.errors import (
    ChainError,
    FeeTooLowError,
    LedgerError,
    NonceError,
    NonceTooLowError,
    ReceiptTimeoutError,
    ReplacementUnderpricedError,
    RpcConnectionError,
    RpcError,
    RpcTimeoutError,
    TransactionAlreadyKnownError,
    TransactionRevertedError,
)

log = logging.getLogger(__name__)

TRANSFER_GAS = 21_000
DEFAULT_POLL_INTERVAL = 0.005
DEFAULT_RECEIPT_TIMEOUT = 120.0
# How long a fee quote is reused. Base fee moves at most 12.5% a block and we offer twice it,
# so a one-second-old quote is safe while saving a block fetch per transaction.
DEFAULT_FEE_TTL = 1.0
DEFAULT_PRIORITY_FEE = 10**9
# Estimated gas times 1.2: state can change between estimate and inclusion.
DEFAULT_GAS_MARGIN_BPS = 12_000
_SEND_ATTEMPTS = 3


@dataclass(frozen=True)
class TxRequest:
    """A transaction to send, before nonce, fees and signature. `to=None` creates a contract.

    `gas=None` means "estimate it" (one more round trip); hot paths pass a limit.
    """

    to: ChecksumAddress | None
    data: bytes = b""
    value: int = 0
    gas: int | None = None

    def __post_init__(self) -> None:
        if self.to is not None:
            object.__setattr__(self, "to", checksum(self.to))
        if self.value < 0:
            raise ValueError(f"value must not be negative, got {self.value}")
        if self.gas is not None and self.gas <= 0:
            raise ValueError(f"gas must be positive, got {self.gas}")

    def call_params(self, sender: ChecksumAddress) -> TxParams:
        """The request as eth_call / eth_estimateGas parameters."""
        params: TxParams = {"from": sender, "data": HexBytes(self.data), "value": Wei(self.value)}
        if self.to is not None:
            params["to"] = self.to
        return params


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


@dataclass(frozen=True)
class FeeQuote:
    """What a transaction offers to pay: EIP-1559 fields, or a legacy gas price."""

    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    gas_price: int | None = None

    def tx_fields(self) -> dict[str, int]:
        """The fee fields of a transaction dict to sign."""
        if self.gas_price is not None:
            return {"gasPrice": self.gas_price}
        assert self.max_fee_per_gas is not None and self.max_priority_fee_per_gas is not None
        return {
            "maxFeePerGas": self.max_fee_per_gas,
            "maxPriorityFeePerGas": self.max_priority_fee_per_gas,
        }


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


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction: the bytes for eth_sendRawTransaction and its hash."""

    raw_transaction: bytes
    hash: bytes


def sign_transaction(
    key: coincurve.PrivateKey,
    chain_id: int,
    tx: TxRequest,
    *,
    gas: int,
    nonce: int,
    fees: FeeQuote,
) -> SignedTx:
    """Sign `tx` as an EIP-1559 transaction (type 2, empty access list), or as a legacy
    EIP-155 one when `fees` is a plain gas price.

    The fields the EIPs list, encoded by the `rlp` package and signed by libsecp256k1
    (coincurve), equal byte for byte to eth-account's (a test checks): eth-account's general
    path validates and converts the fields through several layers, about 1.2 ms a transaction
    where this takes about 0.16 ms, and the outbox signs every transaction it sends.
    """
    to = bytes.fromhex(tx.to[2:]) if tx.to is not None else b""
    if fees.gas_price is not None:
        body = [nonce, fees.gas_price, gas, to, tx.value, tx.data]
        digest = keccak(rlp.encode([*body, chain_id, 0, 0]))
        r, s, recovery = _sign_digest(key, digest)
        raw = rlp.encode([*body, recovery + 35 + 2 * chain_id, r, s])
    else:
        assert fees.max_fee_per_gas is not None and fees.max_priority_fee_per_gas is not None
        body = [
            chain_id,
            nonce,
            fees.max_priority_fee_per_gas,
            fees.max_fee_per_gas,
            gas,
            to,
            tx.value,
            tx.data,
            [],
        ]
        digest = keccak(b"\x02" + rlp.encode(body))
        r, s, recovery = _sign_digest(key, digest)
        raw = b"\x02" + rlp.encode([*body, recovery, r, s])
    return SignedTx(raw_transaction=raw, hash=keccak(raw))


def _sign_digest(key: coincurve.PrivateKey, digest: bytes) -> tuple[int, int, int]:
    # libsecp256k1 signs deterministically (RFC 6979) with a low s, as Ethereum requires.
    signature = key.sign_recoverable(digest, hasher=None)
    return (
        int.from_bytes(signature[:32], "big"),
        int.from_bytes(signature[32:64], "big"),
        signature[64],
    )


class TxSender:
    """Signs and sends transactions from one local account; safe to share between threads.

    Nonces are assigned locally: read once from the node's `pending` count, then incremented
    under a per-sender lock that also covers signing and submission, so the node receives
    them in order (eth-tester rejects gaps). When the node says the nonce is stale, the
    transaction is already known, or a replacement is underpriced, the sender re-reads the
    nonce and retries. Use one `TxSender` per account per process (`Chain.sender` does).
    """

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        *,
        chain_id: int,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        receipt_timeout: float = DEFAULT_RECEIPT_TIMEOUT,
        priority_fee: int | None = None,
        fee_ttl: float = DEFAULT_FEE_TTL,
        gas_margin_bps: int = DEFAULT_GAS_MARGIN_BPS,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.chain_id = chain_id
        self.poll_interval = poll_interval
        self.receipt_timeout = receipt_timeout
        self.priority_fee = priority_fee
        self.fee_ttl = fee_ttl
        self.gas_margin_bps = gas_margin_bps
        self._key = coincurve.PrivateKey(bytes(account.key))
        self._lock = threading.Lock()
        self._next_nonce: int | None = None
        self._fees: FeeQuote | None = None
        self._fees_at = 0.0

    @property
    def address(self) -> ChecksumAddress:
        """The sending account."""
        return self.account.address

    def __repr__(self) -> str:
        return f"TxSender({self.address}, chain_id={self.chain_id})"

    # -- sending ------------------------------------------------------------------------------

    def send(self, tx: TxRequest, *, estimate: bool = False) -> HexStr:
        """Sign and submit `tx` without waiting; return its hash.

        The gas limit is `tx.gas`, or an estimate when that is None. `estimate=True`
        estimates even when a limit is given, as a pre-flight: a revert then raises
        `TransactionRevertedError` before anything is sent or paid for.
        """
        gas = tx.gas
        if gas is None or estimate:
            estimated = self.estimate_gas(tx)
            if gas is None:
                gas = estimated * self.gas_margin_bps // 10_000
        with self._lock:
            return self._submit(tx, gas)

    def transact(
        self,
        tx: TxRequest,
        *,
        estimate: bool = False,
        check: bool = True,
        timeout: float | None = None,
    ) -> TxReceipt:
        """Send `tx` and wait for its receipt (see `send` and `wait`)."""
        return self.wait(self.send(tx, estimate=estimate), check=check, timeout=timeout)

    def transfer(self, to: str, value: int) -> TxReceipt:
        """Send `value` wei to `to` and wait for the receipt."""
        request = TxRequest(to=Web3.to_checksum_address(to), value=value, gas=TRANSFER_GAS)
        return self.transact(request)

    def send_all(self, txs: Sequence[TxRequest], *, estimate: bool = False) -> list[HexStr]:
        """Submit `txs` in order without waiting for any receipt; return their hashes.

        If one fails, the error is raised with a note listing the hashes already sent.
        """
        hashes: list[HexStr] = []
        try:
            for tx in txs:
                hashes.append(self.send(tx, estimate=estimate))
        except ChainError as exc:
            exc.add_note(f"{len(hashes)} of {len(txs)} transactions were sent: {hashes}")
            raise
        return hashes

    def send_many(
        self,
        txs: Sequence[TxRequest],
        *,
        estimate: bool = False,
        check: bool = True,
        timeout: float | None = None,
    ) -> list[TxReceipt]:
        """Pipeline `txs`: submit all, then wait for all receipts (in order).

        With `check`, a failed transaction raises `TransactionRevertedError` after every
        receipt has been collected, so nothing sent is left unobserved.
        """
        hashes = self.send_all(txs, estimate=estimate)
        return self.wait_many(hashes, check=check, timeout=timeout)

    def send_batch(self, txs: Sequence[TxRequest]) -> list[HexStr | LedgerError]:
        """Sign `txs` with consecutive nonces and submit them in one JSON-RPC batch request;
        return each one's hash, or the error the node answered for it (nothing waits for
        receipts).

        Transactions fail alone. One the node refuses for its nonce (taken by another user of
        this key, or out of step after a rewind) or for its fee is signed again with a fresh
        nonce or quote and re-sent, up to three rounds. Any other refusal is that
        transaction's result, and its nonce, when a later transaction of the batch took a
        higher one, is filled with a zero-value transfer to this account itself: the later
        ones would otherwise wait behind the gap until something else used the nonce.
        A connection error or timeout is the result of every transaction it may have hit
        (the node may hold it or not), and the nonce is re-read from the node afterwards; if
        the whole request failed that way, it raises.
        """
        gas = [self._gas_limit(tx) for tx in txs]
        results: list[HexStr | LedgerError | None] = [None] * len(txs)
        with self._lock:
            todo = list(range(len(txs)))
            for attempt in range(_SEND_ATTEMPTS):
                if not todo:
                    break
                todo = self._submit_batch(
                    txs, gas, todo, results, last=attempt == _SEND_ATTEMPTS - 1
                )
        assert all(result is not None for result in results)
        return cast(list[HexStr | LedgerError], results)

    def estimate_gas(self, tx: TxRequest) -> int:
        """eth_estimateGas for `tx` from this account; a revert raises with its data."""
        with translating():
            return int(self.w3.eth.estimate_gas(tx.call_params(self.address)))

    def resync(self) -> None:
        """Forget the local nonce and fee quote; the next send re-reads them from the node.

        Needed after anything that rewinds the chain under us (snapshot revert, restart).
        """
        with self._lock:
            self._next_nonce = None
            self._fees = None

    # -- waiting ------------------------------------------------------------------------------

    def wait(self, tx_hash: str, *, check: bool = True, timeout: float | None = None) -> TxReceipt:
        """Wait for the receipt of `tx_hash`; with `check`, raise if it failed.

        On `ReceiptTimeoutError` the sender re-reads its nonce before the next send: a node
        that lost blocks (a crash) or never got the transaction would otherwise hold every
        later transaction behind a nonce gap.
        """
        try:
            receipt = wait_for_receipt(
                self.w3,
                tx_hash,
                timeout=self.receipt_timeout if timeout is None else timeout,
                poll_interval=self.poll_interval,
            )
        except ReceiptTimeoutError:
            self.resync()
            raise
        if check and not receipt.succeeded:
            raise revert_error(self.w3, receipt)
        return receipt

    def wait_many(
        self, tx_hashes: Sequence[str], *, check: bool = True, timeout: float | None = None
    ) -> list[TxReceipt]:
        """Wait for all receipts, in order, within one shared `timeout`."""
        deadline = time.monotonic() + (self.receipt_timeout if timeout is None else timeout)
        try:
            receipts = [
                wait_for_receipt(
                    self.w3,
                    tx_hash,
                    timeout=max(deadline - time.monotonic(), 0.0),
                    poll_interval=self.poll_interval,
                )
                for tx_hash in tx_hashes
            ]
        except ReceiptTimeoutError:
            self.resync()  # see `wait`
            raise
        if check:
            for receipt in receipts:
                if not receipt.succeeded:
                    raise revert_error(self.w3, receipt)
        return receipts

    # -- internals (called with the lock held) ------------------------------------------------

    def _submit(self, tx: TxRequest, gas: int) -> HexStr:
        for attempt in range(_SEND_ATTEMPTS):
            last = attempt == _SEND_ATTEMPTS - 1
            nonce = self._nonce()
            signed = self._sign(tx, gas, nonce, self._fee_quote())
            try:
                with translating():
                    self.w3.eth.send_raw_transaction(signed.raw_transaction)
            except TransactionAlreadyKnownError:
                # The node holds exactly this signed transaction (e.g. a retried request
                # whose first answer was lost): it is sent.
                pass
            except (NonceError, ReplacementUnderpricedError):
                # Someone else used this key, or the chain was rewound: re-read and retry.
                self._next_nonce = None
                if last:
                    raise
                continue
            except FeeTooLowError:
                self._fees = None
                if last:
                    raise
                continue
            except (RpcTimeoutError, RpcConnectionError):
                # The node may or may not have taken it; only the node can tell us later.
                self._next_nonce = None
                raise
            self._next_nonce = nonce + 1
            return to_hex(signed.hash)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _submit_batch(
        self,
        txs: Sequence[TxRequest],
        gas: Sequence[int],
        todo: Sequence[int],
        results: list[HexStr | LedgerError | None],
        *,
        last: bool,
    ) -> list[int]:
        """One round of `send_batch` over the indexes `todo`; returns the indexes to retry."""
        first = self._nonce()
        fees = self._fee_quote()
        signed = [self._sign(txs[i], gas[i], first + k, fees) for k, i in enumerate(todo)]
        try:
            outcomes = send_raw_batch(self.w3, [tx.raw_transaction for tx in signed])
        except (RpcTimeoutError, RpcConnectionError):
            self._next_nonce = None  # the node may or may not hold them
            raise
        retry: list[int] = []
        taken: list[int] = []  # nonces now used, by these transactions or by others
        free: list[int] = []  # nonces nothing used
        resync = False
        for k, (i, tx, error) in enumerate(zip(todo, signed, outcomes, strict=True)):
            nonce = first + k
            if error is None or isinstance(error, TransactionAlreadyKnownError):
                # Already known: the node holds exactly this signed transaction.
                results[i] = to_hex(tx.hash)
                taken.append(nonce)
                continue
            if isinstance(error, RpcTimeoutError | RpcConnectionError):
                results[i] = error
                resync = True
                continue
            if isinstance(error, NonceError | ReplacementUnderpricedError):
                resync = True
                if isinstance(error, NonceTooLowError | ReplacementUnderpricedError):
                    taken.append(nonce)
            elif isinstance(error, FeeTooLowError):
                self._fees = None
                free.append(nonce)
            else:
                results[i] = error
                free.append(nonce)
                continue
            if last:
                results[i] = error
            else:
                retry.append(i)
        highest = max(taken, default=None)
        gaps = [nonce for nonce in free if highest is not None and nonce < highest]
        if gaps and not self._fill_gaps(gaps, fees):
            resync = True
        if resync:
            self._next_nonce = None
        else:
            self._next_nonce = first if highest is None else highest + 1
        return retry

    def _fill_gaps(self, nonces: Sequence[int], fees: FeeQuote) -> bool:
        """Use each of `nonces` with a zero-value transfer to self; False if one failed."""
        log.warning("%s: filling nonce gaps %s with transfers to self", self.address, nonces)
        filler = TxRequest(to=self.address, gas=TRANSFER_GAS)
        signed = [self._sign(filler, TRANSFER_GAS, nonce, fees) for nonce in nonces]
        try:
            outcomes = send_raw_batch(self.w3, [tx.raw_transaction for tx in signed])
        except ChainError as exc:
            log.warning("%s: filling nonce gaps failed: %s", self.address, exc)
            return False
        filled = True
        for nonce, error in zip(nonces, outcomes, strict=True):
            if error is not None and not isinstance(
                error, TransactionAlreadyKnownError | NonceTooLowError
            ):
                log.warning("%s: cannot fill nonce %d: %s", self.address, nonce, error)
                filled = False
        return filled

    def _gas_limit(self, tx: TxRequest) -> int:
        if tx.gas is not None:
            return tx.gas
        return self.estimate_gas(tx) * self.gas_margin_bps // 10_000

    def _sign(self, tx: TxRequest, gas: int, nonce: int, fees: FeeQuote) -> SignedTx:
        return sign_transaction(self._key, self.chain_id, tx, gas=gas, nonce=nonce, fees=fees)

    def _nonce(self) -> int:
        if self._next_nonce is None:
            with translating():
                self._next_nonce = int(self.w3.eth.get_transaction_count(self.address, "pending"))
        return self._next_nonce

    def _fee_quote(self) -> FeeQuote:
        now = time.monotonic()
        if self._fees is None or now - self._fees_at > self.fee_ttl:
            self._fees = self._quote_fees()
            self._fees_at = now
        return self._fees

    def _quote_fees(self) -> FeeQuote:
        with translating():
            latest = self.w3.eth.get_block("latest")
            base_fee = latest.get("baseFeePerGas")
            if base_fee is None:
                return FeeQuote(gas_price=int(self.w3.eth.gas_price))
            priority = self.priority_fee
            if priority is None:
                priority = self._suggested_priority_fee()
        return FeeQuote(
            max_fee_per_gas=2 * int(base_fee) + priority, max_priority_fee_per_gas=priority
        )

    def _suggested_priority_fee(self) -> int:
        try:
            with translating():
                return int(self.w3.eth.max_priority_fee)
        except ChainError:
            # Not every node implements eth_maxPriorityFeePerGas.
            return DEFAULT_PRIORITY_FEE
