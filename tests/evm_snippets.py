"""Hand-assembled EVM contracts for chain-layer tests, so they need no compiler.

Each function returns creation bytecode: a constructor that copies the runtime code after it
into memory and returns it.
"""

from __future__ import annotations

from eth_abi import abi

# Opcodes used below.
_PUSH1, _PUSH2, _PUSH32 = 0x60, 0x61, 0x7F
_DUP1, _CODECOPY, _RETURN, _REVERT, _STOP = 0x80, 0x39, 0xF3, 0xFD, 0x00
_CALLDATASIZE, _CALLDATACOPY, _LOG1 = 0x36, 0x37, 0xA1

ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")
# A custom error "Denied(uint256)"-like payload: any 4-byte selector plus arguments.
CUSTOM_ERROR = bytes.fromhex("deadbeef") + (42).to_bytes(32, "big")
LOG_TOPIC = bytes(range(32))


def _push2(value: int) -> bytes:
    return bytes([_PUSH2]) + value.to_bytes(2, "big")


def creation_code(runtime: bytes) -> bytes:
    """Wrap `runtime` in a constructor that deploys it unchanged."""
    # PUSH2 len, DUP1, PUSH2 offset, PUSH1 0, CODECOPY, PUSH1 0, RETURN  -> 13 bytes
    header_length = 13
    header = (
        _push2(len(runtime))
        + bytes([_DUP1])
        + _push2(header_length)
        + bytes([_PUSH1, 0, _CODECOPY, _PUSH1, 0, _RETURN])
    )
    assert len(header) == header_length
    return header + runtime


def reverting_runtime(payload: bytes) -> bytes:
    """Runtime code that reverts every call with exactly `payload` as revert data."""
    # PUSH2 len, PUSH2 offset, PUSH1 0, CODECOPY, PUSH2 len, PUSH1 0, REVERT -> 15 bytes
    code_length = 15
    code = (
        _push2(len(payload))
        + _push2(code_length)
        + bytes([_PUSH1, 0, _CODECOPY])
        + _push2(len(payload))
        + bytes([_PUSH1, 0, _REVERT])
    )
    assert len(code) == code_length
    return code + payload


def reverter(payload: bytes = CUSTOM_ERROR) -> bytes:
    """Creation code of a contract that always reverts with `payload`."""
    return creation_code(reverting_runtime(payload))


def error_string(reason: str) -> bytes:
    """Revert data of Solidity's `revert(reason)` / `require(false, reason)`."""
    return ERROR_STRING_SELECTOR + abi.encode(["string"], [reason])


def logger() -> bytes:
    """Creation code of a contract that emits LOG1(topic=LOG_TOPIC, data=calldata)."""
    runtime = (
        bytes([_CALLDATASIZE, _PUSH1, 0, _PUSH1, 0, _CALLDATACOPY])
        + bytes([_PUSH32])
        + LOG_TOPIC
        + bytes([_CALLDATASIZE, _PUSH1, 0, _LOG1, _STOP])
    )
    return creation_code(runtime)
