"""Typed data as JSON carries it (docs/api.md, "Integers"): every integer field of a type
wider than 53 bits a decimal string, so that no JSON parser rounds it, and back.

Kept apart from `ledger.chain.signing` (which re-exports these names): this is the wire form,
not the signing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from ledger.errors import SigningError

TypedData = dict[str, Any]

#: Integer types wider than this many bits may exceed 2^53, the largest integer a JSON number
#: holds exactly: in JSON they are decimal strings (docs/api.md, "Integers").
JSON_NUMBER_BITS: Final = 53


def _wide_integer(solidity_type: str) -> bool:
    base = solidity_type.removesuffix("[]")
    for prefix in ("uint", "int"):
        if base.startswith(prefix) and base[len(prefix) :].isdigit():
            return int(base[len(prefix) :]) > JSON_NUMBER_BITS
    return False


def _convert_integers(
    fields: Iterable[Mapping[str, str]], values: Mapping[str, Any], convert: Callable[[Any], Any]
) -> dict[str, Any]:
    wide = {f["name"] for f in fields if _wide_integer(f["type"])}
    return {
        name: (
            [convert(v) for v in value]
            if name in wide and isinstance(value, list)
            else convert(value)
            if name in wide
            else value
        )
        for name, value in values.items()
    }


def typed_data_json(data: Mapping[str, Any]) -> TypedData:
    """`data` as JSON carries it: every integer of a type wider than 53 bits (uint64, uint256,
    the domain's chainId) a decimal string, so that no JSON parser rounds it. ethers, viem and
    eth_signTypedData_v4 read decimal strings for integer fields; `typed_data_from_json`
    reverses this."""
    types = data["types"]
    return {
        "types": types,
        "primaryType": data["primaryType"],
        "domain": _convert_integers(types["EIP712Domain"], data["domain"], str),
        "message": _convert_integers(types[data["primaryType"]], data["message"], str),
    }


def _integer(value: Any) -> Any:
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            raise SigningError(f"an integer field holds {value!r}, not a decimal string")
        return int(value)
    return value


def typed_data_from_json(data: Mapping[str, Any]) -> TypedData:
    """Typed data read from JSON (`typed_data_json`'s form, or bare numbers as older proof
    bundles hold them) with its integer fields as Python ints again."""
    types = data["types"]
    return {
        "types": types,
        "primaryType": data["primaryType"],
        "domain": _convert_integers(types["EIP712Domain"], data["domain"], _integer),
        "message": _convert_integers(types[data["primaryType"]], data["message"], _integer),
    }
