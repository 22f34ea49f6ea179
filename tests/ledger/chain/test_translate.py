"""Every foreign exception the chain layer catches becomes the right ChainError.

Two halves: a table of foreign exceptions as the libraries raise them (constructed directly,
no mocks of behaviour), checked for completeness against `FOREIGN_ERRORS` and `MESSAGE_RULES`;
and the same failures provoked on real nodes (closed port, silent server, used nonce, ...).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import websockets.exceptions
from eth import exceptions as evm_exceptions
from eth_tester import exceptions as tester_exceptions
from eth_utils.exceptions import ValidationError as EthUtilsValidationError
from web3 import exceptions as web3_exceptions
from web3.types import RPCEndpoint

from ledger.chain.connection import Backend, Chain, ChainConfig, connect_anvil, connect_external
from ledger.chain.transactions import TRANSFER_GAS
from ledger.chain.translate import FOREIGN_ERRORS, MESSAGE_RULES, translate, translating
from ledger.errors import (
    ChainError,
    ConfigurationError,
    FeeTooLowError,
    InsufficientFundsError,
    LedgerError,
    NonceTooHighError,
    NonceTooLowError,
    ReplacementUnderpricedError,
    RpcConnectionError,
    RpcError,
    RpcTimeoutError,
    SnapshotError,
    TransactionAlreadyKnownError,
    TransactionRevertedError,
)
from poc.sandbox.anvil import AnvilProcess, free_port

REVERT = bytes.fromhex("deadbeef") + (42).to_bytes(32, "big")


def _rpc_error(message: str, code: int = -32000, data: Any = None) -> web3_exceptions.Web3RPCError:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    response: Any = {"jsonrpc": "2.0", "id": 1, "error": error}
    return web3_exceptions.Web3RPCError(repr(error), rpc_response=response)


def _tester_call_failure(inner: str) -> BaseException:
    """eth-tester's eth_call failure as web3 raises it: a message wrapping a message."""
    outer: BaseException = tester_exceptions.TransactionFailed(f"execution reverted: {inner}")
    outer.__context__ = tester_exceptions.TransactionFailed(inner)
    return outer


def _tester_estimate_failure(data: bytes) -> BaseException:
    """eth-tester's eth_estimateGas failure: py-evm's Revert(bytes) kept in the chain."""
    outer: BaseException = tester_exceptions.TransactionFailed(f"execution reverted: {data!r}")
    outer.__context__ = tester_exceptions.TransactionFailed(evm_exceptions.Revert(data))
    return outer


def _http_error(status: int) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    return requests.HTTPError(f"{status} Server Error", response=response)


# (case id, foreign exception, expected class, expected revert data or None)
CASES: list[tuple[str, BaseException, type[LedgerError], bytes | None]] = [
    ("requests-refused", requests.ConnectionError("refused"), RpcConnectionError, None),
    ("requests-connect-timeout", requests.ConnectTimeout("slow"), RpcConnectionError, None),
    ("requests-read-timeout", requests.ReadTimeout("slow"), RpcTimeoutError, None),
    ("requests-http-502", _http_error(502), RpcError, None),
    ("os-refused", ConnectionRefusedError(111, "refused"), RpcConnectionError, None),
    ("os-unresolvable", socket.gaierror(-2, "Name or service not known"), RpcConnectionError,
     None),
    ("os-timeout", TimeoutError("timed out"), RpcTimeoutError, None),
    ("web3-provider-connection", web3_exceptions.ProviderConnectionError("x"),
     RpcConnectionError, None),
    ("web3-request-timed-out", web3_exceptions.RequestTimedOut("timeout"), RpcTimeoutError, None),
    ("web3-time-exhausted", web3_exceptions.TimeExhausted("waited"), RpcTimeoutError, None),
    ("ws-closed", websockets.exceptions.ConnectionClosedError(None, None), RpcConnectionError,
     None),
    ("ws-bad-uri", websockets.exceptions.InvalidURI("ws//x", "no scheme"), RpcConnectionError,
     None),
    ("rpc-generic", _rpc_error("something broke", code=-32000), RpcError, None),
    ("rpc-method-unavailable",
     web3_exceptions.MethodUnavailable("x", rpc_response={"jsonrpc": "2.0", "id": 1, "error": {
         "code": -32601, "message": "Method not found"}}), RpcError, None),
    ("rpc-revert-with-data", _rpc_error("execution reverted", 3, "0x" + REVERT.hex()),
     TransactionRevertedError, REVERT),
    ("contract-custom-error",
     web3_exceptions.ContractCustomError("0x" + REVERT.hex(), data="0x" + REVERT.hex()),
     TransactionRevertedError, REVERT),
    ("contract-logic-error-dict",
     web3_exceptions.ContractLogicError("execution reverted", data={"data": "0x" + REVERT.hex()}),
     TransactionRevertedError, REVERT),
    ("contract-logic-error-no-data", web3_exceptions.ContractLogicError("execution reverted"),
     TransactionRevertedError, b""),
    ("contract-panic", web3_exceptions.ContractPanicError("panic", data="0x4e487b71" + "00" * 31
                                                          + "11"),
     TransactionRevertedError, bytes.fromhex("4e487b71" + "00" * 31 + "11")),
    ("tester-call-custom-error", _tester_call_failure(repr(REVERT)), TransactionRevertedError,
     REVERT),
    ("tester-estimate-revert", _tester_estimate_failure(REVERT), TransactionRevertedError, REVERT),
    ("tester-nonce-low", EthUtilsValidationError(
        "Invalid transaction nonce: Expected 5, but got 4"), NonceTooLowError, None),
    ("tester-nonce-high", EthUtilsValidationError(
        "Invalid transaction nonce: Expected 5, but got 7"), NonceTooHighError, None),
    ("tester-balance", EthUtilsValidationError(
        "Sender does not have enough balance to cover transaction value and gas"),
     InsufficientFundsError, None),
    ("tester-base-fee", EthUtilsValidationError(
        "Sender's max fee per gas (10) is lower than block's base fee per gas (875000000)"),
     FeeTooLowError, None),
    ("tester-validation-other", tester_exceptions.ValidationError("bad block number"), RpcError,
     None),
    ("tester-snapshot", tester_exceptions.SnapshotNotFound("No snapshot 9"), SnapshotError, None),
    ("tester-block", tester_exceptions.BlockNotFound("no block"), ChainError, None),
    ("tester-transaction", tester_exceptions.TransactionNotFound("no tx"), ChainError, None),
    ("web3-extra-data", web3_exceptions.ExtraDataLengthError("extraData is 97 bytes"), ChainError,
     None),
    ("web3-other", web3_exceptions.BadFunctionCallOutput("bad output"), ChainError, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("foreign", "expected", "revert_data"),
    [pytest.param(exc, cls, data, id=case_id) for case_id, exc, cls, data in CASES],
)
def test_translate_maps_foreign_exception(
    foreign: BaseException, expected: type[LedgerError], revert_data: bytes | None
) -> None:
    translated = translate(foreign)

    assert type(translated) is expected
    if revert_data is not None:
        assert isinstance(translated, TransactionRevertedError)
        assert translated.revert_data == revert_data


def test_translate_covers_every_caught_family() -> None:
    for family in FOREIGN_ERRORS:
        assert any(isinstance(exc, family) for _, exc, _, _ in CASES), family


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [(pattern, cls) for patterns, cls in MESSAGE_RULES for pattern in patterns],
)
def test_translate_maps_every_node_message_rule(pattern: str, expected: type[RpcError]) -> None:
    translated = translate(_rpc_error(f"Transaction rejected: {pattern.upper()} (details)", -32003))

    assert type(translated) is expected
    assert isinstance(translated, RpcError) and translated.code == -32003


def test_translating_raises_from_the_foreign_exception() -> None:
    foreign = requests.ConnectionError("refused")

    with pytest.raises(RpcConnectionError) as raised, translating():
        raise foreign

    assert raised.value.__cause__ is foreign


def test_translating_leaves_our_own_errors_alone() -> None:
    ours = ConfigurationError("bad")

    with pytest.raises(ConfigurationError) as raised, translating():
        raise ours

    assert raised.value is ours


# -- the same failures, provoked on real nodes ----------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


@pytest.mark.parametrize("scheme", ["http", "ws"])
def test_closed_port_raises_connection_error(scheme: str) -> None:
    config = ChainConfig(
        backend=Backend.EXTERNAL, rpc_url=f"{scheme}://127.0.0.1:{free_port()}", rpc_retries=1
    )

    with pytest.raises(RpcConnectionError):
        connect_external(config)


@pytest.mark.parametrize("scheme", ["http", "ws"])
def test_silent_node_raises_timeout(scheme: str, silent_server: int) -> None:
    config = ChainConfig(
        backend=Backend.EXTERNAL,
        rpc_url=f"{scheme}://127.0.0.1:{silent_server}",
        request_timeout=0.3,
        rpc_retries=1,
    )

    with pytest.raises(RpcTimeoutError):
        connect_external(config)


def _signed_transfer(chain: Chain, account_index: int, **overrides: Any) -> bytes:
    account = chain.accounts[account_index]
    fields: dict[str, Any] = {
        "chainId": chain.chain_id,
        "nonce": chain.w3.eth.get_transaction_count(account.address),
        "to": chain.accounts[0].address,
        "value": 1,
        "gas": TRANSFER_GAS,
        "maxFeePerGas": 10 * 10**9,
        "maxPriorityFeePerGas": 10**9,
    }
    fields.update(overrides)
    return bytes(account.sign_transaction(fields).raw_transaction)


def _send_raw(chain: Chain, raw: bytes) -> None:
    with translating():
        chain.w3.eth.send_raw_transaction(raw)


def test_used_nonce_raises_nonce_too_low(chain: Chain) -> None:
    chain.sender(7).transfer(chain.accounts[0].address, 1)

    with pytest.raises(NonceTooLowError):
        _send_raw(chain, _signed_transfer(chain, 7, nonce=0))


def test_value_beyond_balance_raises_insufficient_funds(chain: Chain) -> None:
    with pytest.raises(InsufficientFundsError):
        _send_raw(chain, _signed_transfer(chain, 7, value=10**30))


def test_fee_below_base_fee_raises_fee_too_low(chain: Chain) -> None:
    # One wei below the next block's base fee. Not a fixed number: on a node many tests have
    # used, the base fee has decayed over empty blocks to its floor (7 wei on anvil), where a
    # fixed 7 would be accepted.
    base_fee = int(chain.w3.eth.get_block("pending")["baseFeePerGas"])
    assert base_fee >= 2
    with pytest.raises(FeeTooLowError):
        _send_raw(
            chain,
            _signed_transfer(chain, 7, maxFeePerGas=base_fee - 1, maxPriorityFeePerGas=1),
        )


def test_unknown_method_raises_rpc_error_with_code(chain: Chain) -> None:
    with pytest.raises(RpcError) as raised, translating():
        chain.w3.manager.request_blocking(RPCEndpoint("eth_noSuchMethod"), [])

    assert raised.value.code == -32601


@pytest.mark.anvil
def test_pool_rejections_on_a_node_that_does_not_mine(tmp_path: Path) -> None:
    # A node of its own: with mining off, transactions stay pending where a test can collide
    # with them, and the shared session node stays clean.
    node = AnvilProcess(tmp_path, persist=False, extra_args=("--no-mining",))
    with node, connect_anvil(ChainConfig(backend=Backend.ANVIL), node=node) as chain:
        first = _signed_transfer(chain, 1)
        _send_raw(chain, first)

        with pytest.raises(TransactionAlreadyKnownError):
            _send_raw(chain, first)
        with pytest.raises(ReplacementUnderpricedError):
            _send_raw(chain, _signed_transfer(chain, 1, value=2))
