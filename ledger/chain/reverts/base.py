"""The bases of every decoded revert: what a class declares (its Solidity name, its `code`)
and the families the API maps to HTTP statuses (`ledger.chain.reverts`).
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar

from ledger.domain.codec import to_hex
from ledger.errors import ContractRevertError

# ------------------------------------------------------------------------------ bases


class DecodedRevertError(ContractRevertError):
    """Raised when a contract reverted with data this module decoded (base of all below)."""

    #: Stable machine-readable name of the error, reused by the HTTP API.
    code: ClassVar[str] = "contract_revert"
    #: Name of the Solidity error this class stands for ("" for the families).
    solidity_name: ClassVar[str] = ""
    #: The raw revert data it was decoded from (empty when built by hand).
    revert_data: bytes = b""
    #: Hash of the reverted transaction, when it was one (not an eth_call).
    tx_hash: str | None = None

    def __init_subclass__(cls, *, code: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
            cls.solidity_name = cls.__name__

    @property
    def arguments(self) -> dict[str, Any]:
        """The error's arguments by (snake_case) name, in declaration order."""
        if not dataclasses.is_dataclass(type(self)):
            return {}
        fields = dataclasses.fields(typing.cast(Any, self))
        return {f.name: getattr(self, f.name) for f in fields}

    def json_arguments(self) -> dict[str, Any]:
        """`arguments` with JSON-friendly values: bytes as 0x-hex, enums by name."""
        return {name: _jsonable(value) for name, value in self.arguments.items()}

    @property
    def description(self) -> str:
        """The class docstring's sentence, e.g. "Raised when the account is not a partner."."""
        return (type(self).__doc__ or "").strip().splitlines()[0]

    def __str__(self) -> str:
        args = ", ".join(f"{name}={_display(value)}" for name, value in self.arguments.items())
        return f"{self.solidity_name or type(self).__name__}({args}): {self.description}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild positionally from the fields: BaseException's default pickles `args`, which
        # is empty when the instance was built with keywords.
        return (type(self), tuple(self.arguments.values()), self.__dict__)


class NotFoundRevertError(DecodedRevertError):
    """Raised when the contract has no record of the named object."""


class ForbiddenRevertError(DecodedRevertError):
    """Raised when the acting account is not allowed to do this."""


class ConflictRevertError(DecodedRevertError):
    """Raised when the current on-chain state does not allow the action."""


class InvalidArgumentRevertError(DecodedRevertError):
    """Raised when the contract rejects an argument as malformed or out of range."""


class SignatureRevertError(DecodedRevertError):
    """Raised when a relayed call's signature, deadline or nonce is rejected."""


class ExternalCallRevertError(DecodedRevertError):
    """Raised when a token or ETH transfer made by the contract failed."""


class InternalRevertError(DecodedRevertError):
    """Raised when the contract failed in a way no custom error describes."""


@dataclass(eq=False)
class UnknownRevertError(DecodedRevertError):
    """Raised when the revert data matches no known error (raw data kept)."""

    code: ClassVar[str] = "unknown_revert"
    data: bytes
    #: The Solidity error name if an ABI knows the selector but its arguments did not decode.
    name: str | None = None

    @property
    def selector(self) -> bytes:
        return self.data[:4]

    def __str__(self) -> str:
        if not self.data:
            return "UnknownRevert(data=0x): the contract reverted without data"
        known = f" {self.name}" if self.name else ""
        return f"UnknownRevert(data=0x{self.data.hex()}): unknown or malformed{known} revert data"


def _display(value: Any) -> str:
    if isinstance(value, bytes):
        return to_hex(value)
    if isinstance(value, IntEnum):
        return value.name
    return repr(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return to_hex(value)
    if isinstance(value, IntEnum):
        return value.name.lower()
    return value
