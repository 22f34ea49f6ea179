"""The selector table (`REVERT_TABLE`, built from the deployable contracts' ABIs) and the
decoding of revert data into the classes of this package.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_typing import ABIError
from eth_utils.abi import abi_to_signature, get_abi_input_types
from eth_utils.crypto import keccak

from ledger.chain.artifacts import load_artifact

# Every class module, imported so that `revert_classes` finds its classes.
from ledger.chain.reverts import (  # noqa: F401
    chain_checkpoints,
    poc_exchange,
    poc_ledger,
    royalty_vault,
)
from ledger.chain.reverts.base import (
    DecodedRevertError,
    UnknownRevertError,
)
from ledger.chain.reverts.shared import (
    _BUILTIN_SIGNATURES,
)
from ledger.chain.translate import translating
from ledger.domain.values import from_abi_value
from ledger.errors import TransactionRevertedError

#: The contracts whose ABIs feed the selector table.
DEPLOYABLE_CONTRACTS = ("PocLedger", "RoyaltyVault", "PocExchange", "ChainCheckpoints")


# ------------------------------------------------------------------------------ the table


@dataclass(frozen=True)
class RevertEntry:
    """One row of the selector table: the class and how to decode its arguments."""

    selector: bytes
    signature: str
    error_class: type[DecodedRevertError]
    input_types: tuple[str, ...]


def revert_classes() -> tuple[type[DecodedRevertError], ...]:
    """Every concrete (leaf) class this module defines for a Solidity error."""
    found: list[type[DecodedRevertError]] = []
    stack: list[type[DecodedRevertError]] = [DecodedRevertError]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.solidity_name:
            found.append(cls)
    return tuple(sorted(set(found), key=lambda c: c.__name__))


def selector_of(signature: str) -> bytes:
    """The 4-byte selector of a canonical error signature, e.g. "Panic(uint256)"."""
    return keccak(text=signature)[:4]


def abi_errors(*contract_names: str) -> tuple[ABIError, ...]:
    """The error entries of the named artifacts' ABIs (default: the deployable contracts)."""
    entries: list[ABIError] = []
    for name in contract_names or DEPLOYABLE_CONTRACTS:
        entries.extend(e for e in load_artifact(name).abi if e["type"] == "error")
    return tuple(entries)


def _build_table() -> tuple[dict[bytes, RevertEntry], tuple[str, ...]]:
    by_name = {cls.solidity_name: cls for cls in revert_classes()}
    table: dict[bytes, RevertEntry] = {}
    unmapped: list[str] = []
    for entry in abi_errors():
        signature = abi_to_signature(entry)
        cls = by_name.get(entry["name"])
        if cls is None:
            unmapped.append(signature)
            continue
        selector = selector_of(signature)
        table[selector] = RevertEntry(selector, signature, cls, tuple(get_abi_input_types(entry)))
    for name, signature in _BUILTIN_SIGNATURES.items():
        types = tuple(t for t in signature[signature.index("(") + 1 : -1].split(",") if t)
        selector = selector_of(signature)
        table.setdefault(selector, RevertEntry(selector, signature, by_name[name], types))
    return table, tuple(sorted(set(unmapped)))


_TABLE, UNMAPPED_ABI_ERRORS = _build_table()
#: Selector -> how to decode it and into which class.
REVERT_TABLE: Mapping[bytes, RevertEntry] = MappingProxyType(_TABLE)


# ------------------------------------------------------------------------------ decoding


def decode_revert(data: bytes) -> DecodedRevertError:
    """The exception that revert `data` stands for (not raised; `UnknownRevertError` when the
    selector is unknown, the arguments do not decode, or there is no data at all)."""
    data = bytes(data)
    entry = REVERT_TABLE.get(data[:4]) if len(data) >= 4 else None
    if entry is None:
        error: DecodedRevertError = UnknownRevertError(data)
    else:
        try:
            values = decode(list(entry.input_types), data[4:], strict=False)
            error = entry.error_class(*_convert(entry.error_class, values))
        except (DecodingError, ValueError, TypeError, OverflowError):
            error = UnknownRevertError(data, entry.error_class.solidity_name)
    error.revert_data = data
    return error


def from_transaction_error(exc: TransactionRevertedError) -> DecodedRevertError:
    """The decoded exception for the chain layer's `TransactionRevertedError`, with `exc` as
    its cause and the transaction hash carried over. Raise the result `from exc`."""
    error = decode_revert(exc.revert_data)
    error.tx_hash = exc.tx_hash
    error.__cause__ = exc
    return error


@contextmanager
def decoding_reverts() -> Iterator[None]:
    """Run node calls; a revert carrying data is raised as its decoded class `from` the
    chain error, other foreign errors as their `ledger.errors` class.

    A revert without data (out of gas, a node that hides it) stays a `TransactionRevertedError`:
    nothing says the contract refused, so it is reported as a chain failure.
    """
    try:
        with translating():
            yield
    except TransactionRevertedError as exc:
        if not exc.revert_data:
            raise
        raise from_transaction_error(exc) from exc


def _convert(cls: type[DecodedRevertError], values: tuple[Any, ...]) -> list[Any]:
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(typing.cast(Any, cls))
    if len(fields) != len(values):
        raise TypeError(f"{cls.__name__} has {len(fields)} fields, the ABI {len(values)}")
    return [from_abi_value(hints[f.name], v) for f, v in zip(fields, values, strict=True)]
