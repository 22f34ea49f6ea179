"""Sending transactions: local signing, nonces, fees, receipts.

`TxSender` signs with a local private key (eth-account; coincurve makes it fast), hands out
nonces itself so that many threads can send from one account, prices transactions (EIP-1559
when the chain has a base fee, legacy gas price otherwise), and polls for receipts every few
milliseconds. `send_many` pipelines: it sends a batch without waiting, then collects the
receipts; on anvil that is the difference between ~10 and well over 100 transactions a second.
`send_batch` goes further for a busy sender (the outbox): it signs many transactions and
submits them in one JSON-RPC batch request, each failing alone. Providers that cannot batch
(eth-tester, our WebSocket provider) get the same calls one at a time.

`TxRequest` is what to send. Lives elsewhere: what was mined and reading it back
(`ledger.chain.receipts`: `TxReceipt`, `LogEntry`, batched receipts), connecting to a chain
(`ledger.chain.connection`), exception translation (`ledger.chain.translate`), decoding revert
data and events (`ledger.chain.reverts`, `ledger.chain.events`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import coincurve
import rlp
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.types import TxParams, Wei

from ledger.chain.receipts import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_RECEIPT_TIMEOUT,
    TxReceipt,
    revert_error,
    send_raw_batch,
    wait_for_receipt,
)
from ledger.chain.translate import translating
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
    RpcTimeoutError,
    TransactionAlreadyKnownError,
)

log = logging.getLogger(__name__)

TRANSFER_GAS = 21_000
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
