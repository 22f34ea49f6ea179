"""Errors every contract can raise: relayed signatures, OpenZeppelin's helpers and tokens,
and Solidity's own `Error(string)` and `Panic(uint256)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from eth_typing import ChecksumAddress

from ledger.chain.reverts.base import (
    ExternalCallRevertError,
    InternalRevertError,
    SignatureRevertError,
)

_PANIC_REASONS = {
    0x00: "generic compiler panic",
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "corrupt storage byte array",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialised function",
}


# ------------------------------------------------------------------------------ signatures


@dataclass(eq=False)
class SignatureExpired(SignatureRevertError, code="signature_expired"):
    """Raised when a relayed call arrives after its signature's deadline."""

    deadline: int
    timestamp: int


@dataclass(eq=False)
class SignatureInvalid(SignatureRevertError, code="signature_invalid"):
    """Raised when the signature is not `signer`'s (neither ECDSA nor ERC-1271)."""

    signer: ChecksumAddress


@dataclass(eq=False)
class SignatureNonceUsed(SignatureRevertError, code="nonce_used"):
    """Raised when `signer` already used or cancelled the nonce."""

    signer: ChecksumAddress
    nonce: int


# ------------------------------------------------------------------------------ OpenZeppelin


@dataclass(eq=False)
class ReentrancyGuardReentrantCall(ExternalCallRevertError, code="reentrant_call"):
    """Raised when a token or receiver calls back into the vault during a payout."""


@dataclass(eq=False)
class SafeERC20FailedOperation(ExternalCallRevertError, code="token_operation_failed"):
    """Raised when an ERC-20 transfer returned false or nothing where a value was due."""

    token: ChecksumAddress


@dataclass(eq=False)
class InvalidShortString(InternalRevertError, code="invalid_short_string"):
    """Raised when OpenZeppelin's ShortStrings meets a malformed short string."""


@dataclass(eq=False)
class StringTooLong(InternalRevertError, code="string_too_long"):
    """Raised when OpenZeppelin's ShortStrings is given more than 31 bytes."""

    # The ABI calls the argument `str`; the trailing underscore keeps the builtin visible.
    str_: str


# ERC-6093 token errors: not in our ABIs, but `depositToken` bubbles them up from an
# OpenZeppelin ERC-20 when the depositor's balance or allowance is short.


@dataclass(eq=False)
class ERC20InsufficientBalance(ExternalCallRevertError, code="insufficient_token_balance"):
    """Raised when the token says `sender` holds `balance`, less than the `needed` amount."""

    sender: ChecksumAddress
    balance: int
    needed: int


@dataclass(eq=False)
class ERC20InsufficientAllowance(ExternalCallRevertError, code="insufficient_token_allowance"):
    """Raised when the token says `spender` may move `allowance`, less than `needed`."""

    spender: ChecksumAddress
    allowance: int
    needed: int


# ------------------------------------------------------------------------------ Solidity


@dataclass(eq=False)
class RevertReason(InternalRevertError, code="revert_reason"):
    """Raised when the contract reverted with a reason string (`Error(string)`)."""

    reason: str


@dataclass(eq=False)
class PanicError(InternalRevertError, code="panic"):
    """Raised when the EVM code panicked (`Panic(uint256)`): a bug, not a user error."""

    panic_code: int

    @property
    def meaning(self) -> str:
        """What the panic code stands for."""
        return _PANIC_REASONS.get(self.panic_code, f"panic code {self.panic_code:#x}")


RevertReason.solidity_name = "Error"
PanicError.solidity_name = "Panic"

# Errors that reach us without being declared in a deployable contract's ABI.
_BUILTIN_SIGNATURES: Mapping[str, str] = {
    "Error": "Error(string)",
    "Panic": "Panic(uint256)",
    "ERC20InsufficientBalance": "ERC20InsufficientBalance(address,uint256,uint256)",
    "ERC20InsufficientAllowance": "ERC20InsufficientAllowance(address,uint256,uint256)",
}
