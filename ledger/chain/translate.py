"""Translation of foreign chain exceptions into the `ChainError` family.

This is the one place where exceptions of web3, requests, websockets, eth-tester and py-evm
become ours. Callers wrap node calls in `translating()`; it re-raises `translate(exc)` from
the original, so the cause stays visible in tracebacks. The items of a batch request fail
alone, each in its own response: `response_error` translates one the same way.

Reverts are not decoded here. `TransactionRevertedError.revert_data` carries the raw bytes the
EVM returned, whichever way the backend reported them, so that one table in `ledger.chain.reverts`
can map selectors to contract errors.

Lives elsewhere: the exception classes (`ledger.errors`), revert decoding (`ledger.chain.reverts`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast

import requests
import websockets.exceptions
from eth_abi import abi
from eth_tester import exceptions as tester_exceptions
from eth_utils.exceptions import ValidationError as EthUtilsValidationError
from web3 import exceptions as web3_exceptions
from web3.types import RPCResponse

from ledger.errors import (
    ChainError,
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

# Everything the chain layer catches and translates. OSError covers the builtin
# ConnectionError and TimeoutError families raised by sockets and the websocket client.
FOREIGN_ERRORS: tuple[type[BaseException], ...] = (
    web3_exceptions.Web3Exception,
    requests.RequestException,
    websockets.exceptions.WebSocketException,
    tester_exceptions.TransactionFailed,
    tester_exceptions.ValidationError,
    tester_exceptions.BlockNotFound,
    tester_exceptions.TransactionNotFound,
    tester_exceptions.SnapshotNotFound,
    EthUtilsValidationError,
    OSError,
)

# Node messages (lower-cased substrings) to the class they mean. Order matters: the first
# match wins, so "replacement transaction underpriced" is listed before plain "underpriced".
# Sources: geth/reth/anvil ("nonce too low", "already known"), anvil ("transaction already
# imported"), Besu ("Known transaction", "Upfront cost exceeds account balance"), Nethermind
# ("OldNonce", "AlreadyKnown"), py-evm via eth-tester ("does not have enough balance").
MESSAGE_RULES: tuple[tuple[tuple[str, ...], type[RpcError]], ...] = (
    (("nonce too low", "oldnonce", "nonce_too_low"), NonceTooLowError),
    (("nonce too high", "nonce too far in the future", "nonce_too_far"), NonceTooHighError),
    (
        ("already known", "already imported", "known transaction", "alreadyknown"),
        TransactionAlreadyKnownError,
    ),
    (
        ("replacement transaction underpriced", "replacement_underpriced"),
        ReplacementUnderpricedError,
    ),
    (
        (
            "insufficient funds",
            "not have enough balance",
            "upfront cost exceeds",
            "insufficientfunds",
        ),
        InsufficientFundsError,
    ),
    (
        (
            "underpriced",
            "less than block base fee",
            "lower than block's base fee",
            "fee cap less than",
            "below configured minimum gas price",
            "feetoolow",
        ),
        FeeTooLowError,
    ),
)

# eth-tester (py-evm) reports both directions of a nonce mismatch with one message.
_TESTER_NONCE = re.compile(r"invalid transaction nonce: expected (\d+), but got (\d+)", re.I)
# eth-tester's eth_call puts repr(bytes) of the revert data into its message.
_BYTES_LITERAL = re.compile(r"""b(['"]).*\1""", re.S)
_ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")


@contextmanager
def translating() -> Iterator[None]:
    """Run a block of node calls; re-raise any foreign exception as a `LedgerError`."""
    try:
        yield
    except LedgerError:
        raise
    except FOREIGN_ERRORS as exc:
        raise translate(exc) from exc


def translate(exc: BaseException) -> LedgerError:
    """Return the `LedgerError` that stands for `exc` (the caller raises it `from exc`)."""
    if isinstance(exc, LedgerError):
        return exc
    if isinstance(exc, web3_exceptions.ContractLogicError):
        return TransactionRevertedError(
            _revert_message(exc.message), revert_data=rpc_revert_data(exc.data)
        )
    if isinstance(exc, tester_exceptions.TransactionFailed):
        return TransactionRevertedError(str(exc), revert_data=tester_revert_data(exc))
    if isinstance(exc, requests.HTTPError):
        # Before the OSError family below, which requests' exceptions belong to.
        status = exc.response.status_code if exc.response is not None else None
        return RpcError(f"the node answered HTTP {status}: {exc}", code=status)
    if isinstance(exc, requests.ConnectTimeout):
        # Could not even open the connection: for the caller that is "node unreachable".
        return RpcConnectionError(f"cannot reach the node: {exc}")
    if isinstance(
        exc,
        requests.Timeout
        | web3_exceptions.RequestTimedOut
        | web3_exceptions.TimeExhausted
        | TimeoutError,
    ):
        return RpcTimeoutError(f"the node did not answer in time: {exc}")
    if isinstance(
        exc,
        requests.ConnectionError
        | web3_exceptions.ProviderConnectionError
        | websockets.exceptions.ConnectionClosed
        | websockets.exceptions.InvalidHandshake
        | websockets.exceptions.InvalidURI
        | OSError,
    ):
        return RpcConnectionError(f"cannot reach the node: {exc}")
    if isinstance(exc, web3_exceptions.Web3RPCError):
        return _from_rpc_error(exc)
    if isinstance(exc, tester_exceptions.SnapshotNotFound):
        return SnapshotError(str(exc))
    if isinstance(exc, EthUtilsValidationError | tester_exceptions.ValidationError):
        return _from_message(str(exc), code=None)
    if isinstance(exc, web3_exceptions.ExtraDataLengthError):
        return ChainError(f"{exc} (set poa=True in the chain configuration)")
    return ChainError(f"{type(exc).__name__}: {exc}")


def response_error(response: Mapping[str, Any]) -> LedgerError | None:
    """The error of one raw JSON-RPC response (an item of a batch request), translated like
    the exception web3 would raise for it; None when the response carries a result."""
    error = response.get("error")
    if error is None:
        return None
    if not isinstance(error, dict):
        return RpcError(f"malformed JSON-RPC error: {error!r}")
    rpc_response = cast(RPCResponse, dict(response))
    return translate(web3_exceptions.Web3RPCError(repr(error), rpc_response=rpc_response))


def _from_rpc_error(exc: web3_exceptions.Web3RPCError) -> LedgerError:
    error: Any = (exc.rpc_response or {}).get("error")
    if isinstance(error, dict):
        message = str(error.get("message", exc.message))
        code = error.get("code")
        code = code if isinstance(code, int) else None
        if "revert" in message.lower():
            # Some nodes report reverts of eth_sendTransaction/estimateGas as a plain error.
            return TransactionRevertedError(message, revert_data=rpc_revert_data(error.get("data")))
        return _from_message(message, code=code)
    return _from_message(exc.message, code=None)


def _from_message(message: str, *, code: int | None) -> RpcError:
    nonce = _TESTER_NONCE.search(message)
    if nonce:
        expected, got = int(nonce.group(1)), int(nonce.group(2))
        cls: type[RpcError] = NonceTooLowError if got < expected else NonceTooHighError
        return cls(message, code=code)
    lowered = message.lower()
    for patterns, rule_cls in MESSAGE_RULES:
        if any(pattern in lowered for pattern in patterns):
            return rule_cls(message, code=code)
    return RpcError(message, code=code)


def _revert_message(message: str | None) -> str:
    return message if message else "execution reverted"


def rpc_revert_data(data: object) -> bytes:
    """Extract raw revert bytes from a JSON-RPC error's `data` member, in the shapes nodes use.

    geth/anvil/reth: a hex string. web3's Error(string) path: "Reverted 0x…". Hardhat/Besu:
    {"data": "0x…", "message": …}. Ganache: {<tx hash>: {"return": "0x…"}}.
    """
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        text = data.removeprefix("Reverted ").strip()
        if text.startswith(("0x", "0X")):
            try:
                return bytes.fromhex(text[2:])
            except ValueError:
                return b""
        return b""
    if isinstance(data, dict):
        for key in ("data", "return", "result"):
            if key in data:
                found = rpc_revert_data(data[key])
                if found:
                    return found
        for value in data.values():
            if isinstance(value, dict):
                found = rpc_revert_data(value)
                if found:
                    return found
    return b""


def tester_revert_data(exc: BaseException) -> bytes:
    """Extract raw revert bytes from eth-tester's `TransactionFailed` chain.

    eth-tester keeps py-evm's `Revert(bytes)` in the exception chain of eth_estimateGas, but
    its eth_call stringifies the bytes (repr) or, for `Error(string)`, decodes the reason.
    We recover the bytes in each case: from the `Revert`, by parsing the repr (web3 itself
    does the same for panics), or by re-encoding the reason exactly as Solidity did.
    """
    innermost: str | None = None
    for link in _exception_chain(exc):
        for arg in link.args:
            if isinstance(arg, bytes):
                return arg
            if isinstance(arg, BaseException) and arg.args and isinstance(arg.args[0], bytes):
                return bytes(arg.args[0])
        if (
            isinstance(link, tester_exceptions.TransactionFailed)
            and link.args
            and isinstance(link.args[0], str)
        ):
            innermost = link.args[0]
    if innermost is None:
        return b""
    innermost = innermost.removeprefix("execution reverted: ")
    if _BYTES_LITERAL.fullmatch(innermost):
        literal = ast.literal_eval(innermost)
        if isinstance(literal, bytes):
            return literal
    if innermost in ("", "execution reverted"):
        return b""
    return _ERROR_STRING_SELECTOR + abi.encode(["string"], [innermost])


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
