"""ABI values as JSON, the way proof bundles state events and calls.

An ABI-decoded value (what eth_abi returns, or a typed value turned back into that shape)
becomes JSON by its ABI type: addresses checksummed, `bytes`/`bytesN` as 0x-hex, integers as
ints, booleans as booleans, arrays as lists, structs (tuples) as objects keyed by their
components' names. docs/proofs.md describes the same rules for readers outside the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eth_utils.address import to_checksum_address

from ledger.domain.codec import to_hex


def abi_json_value(abi_type: Mapping[str, Any], value: Any) -> Any:
    """`value` of ABI type `abi_type` (an ABI input or component, with `type` and, for a
    struct, `components`) as JSON."""
    kind = str(abi_type["type"])
    if kind.endswith("]"):
        inner = dict(abi_type)
        inner["type"] = kind[: kind.rindex("[")]
        return [abi_json_value(inner, item) for item in value]
    if kind == "tuple":
        return {
            str(component["name"]): abi_json_value(component, item)
            for component, item in zip(abi_type["components"], value, strict=True)
        }
    if kind == "address":
        return to_checksum_address(value)
    if kind.startswith("bytes"):
        return to_hex(value)
    if kind == "bool":
        return bool(value)
    if kind.startswith(("uint", "int")):
        return int(value)
    return value
