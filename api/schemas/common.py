"""What the bodies of every resource share: field types that validate and normalise
addresses, hashes and integers, the names of origins and statuses, and the example values of
the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from ledger.domain.values import checksum


def _address(value: str) -> str:
    try:
        return checksum(value)
    except ValueError as exc:
        raise ValueError("not a 20-byte hex address") from exc


def _bytes32(value: str) -> str:
    raw = value.lower()
    if len(raw) != 66 or not raw.startswith("0x"):
        raise ValueError("must be 0x followed by 64 hex digits")
    try:
        bytes.fromhex(raw[2:])
    except ValueError as exc:
        raise ValueError("must be 0x followed by 64 hex digits") from exc
    return raw


EXAMPLE_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
EXAMPLE_ADDRESS_2 = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
EXAMPLE_HASH = "0x5f16f4c7f149ac4f9510d9cf8cf384038ad348b3bcdc01915f95de12df9d1b02"
# SHA-256 of a file and a salt: what opens a commitment (never stored by the service).
EXAMPLE_CONTENT_HASH = "0x5e92cd511d938b2b245b88290d2459d989bd74de0b63777fd9c7c691b23509ae"
EXAMPLE_SALT = "0x9c4b7a1d2e3f40516273849a5b6c7d8e9fa0b1c2d3e4f5061728394a5b6c7d8e"
# keccak256(abi.encode(EXAMPLE_ADDRESS, 1, EXAMPLE_CONTENT_HASH, EXAMPLE_SALT)).
EXAMPLE_COMMITMENT = "0xeadb9801be375bf0e495ba5b725fe984bf3f1969c446f63f9ebd194144e5e1ab"
# A non-custodial request's signature fields, as `/prepare` hands them out and the partner signs.
EXAMPLE_SIGNATURE = (
    "0xb9fa662b28fb683ddab0d347584c40c0c850429066c29b34aa6b0549ce4543ad"
    "1bdf6b9171eb0d2248fcf24675a3897177643989964a9cf573c73abcfc8a92bd1c"
)
EXAMPLE_NONCE = "67797067870680066038688718174844324647959913835236530526322114401220799714456"
EXAMPLE_DEADLINE = "1767229200"
EXAMPLE_SIGNED: dict[str, Any] = {
    "signature": EXAMPLE_SIGNATURE,
    "nonce": EXAMPLE_NONCE,
    "deadline": EXAMPLE_DEADLINE,
}

Address = Annotated[
    str,
    StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$"),
    AfterValidator(_address),
    Field(examples=[EXAMPLE_ADDRESS]),
]
Bytes32 = Annotated[
    str,
    StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$"),
    AfterValidator(_bytes32),
    Field(examples=[EXAMPLE_HASH]),
]
Uint32 = Annotated[int, Field(ge=0, le=2**32 - 1)]

#: The largest integer every JSON parser reads exactly (an IEEE 754 double holds 53 bits).
MAX_SAFE_INTEGER = 2**53 - 1
#: An integer served as a JSON number: block numbers, Unix seconds, counts, basis points.
SafeInt = Annotated[int, Field(ge=-MAX_SAFE_INTEGER, le=MAX_SAFE_INTEGER)]
#: A block number (or another count that cannot reach 2^53), as a JSON number.
BlockNumber = Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER)]


def _decimal_parser(bits: int, *, strict: bool = True) -> Callable[[Any], int]:
    limit = 2**bits - 1

    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(f"must be a decimal string (uint{bits})")
        if isinstance(value, int):
            # A number this large may have been rounded by the sender's JSON parser.
            if strict and value > MAX_SAFE_INTEGER:
                raise ValueError(
                    f"integers above 2^53 must be sent as decimal strings (uint{bits})"
                )
            number = value
        elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 78:
            number = int(value)
        else:
            raise ValueError(f"must be a decimal string of digits (uint{bits})")
        if not 0 <= number <= limit:
            raise ValueError(f"must be between 0 and 2^{bits} - 1")
        return number

    return parse


def _decimal_schema(bits: int, example: str) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": f"^[0-9]{{1,{len(str(2**bits - 1))}}}$",
        "description": f"uint{bits} as a decimal string (may exceed 2^53).",
        "examples": [example],
    }


# Unsigned integers that may exceed 2^53: a decimal string in JSON, in and out (an int in
# Python). A JSON number is accepted only below 2^53, where no parser has rounded it. Request
# bodies reach the validator as Python values, so an int above 2^53 is refused however it
# came: responses use the `…Out` twins, which take any int the service has.
Uint64 = Annotated[
    int,
    BeforeValidator(_decimal_parser(64)),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(_decimal_schema(64, "40")),
]
Uint256 = Annotated[
    int,
    BeforeValidator(_decimal_parser(256)),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(_decimal_schema(256, EXAMPLE_NONCE)),
]
# The same in responses, which the service builds from Python ints of any size.
Uint64Out = Annotated[
    int,
    BeforeValidator(_decimal_parser(64, strict=False)),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(_decimal_schema(64, "40")),
]
Uint256Out = Annotated[
    int,
    BeforeValidator(_decimal_parser(256, strict=False)),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(_decimal_schema(256, EXAMPLE_NONCE)),
]
ProjectId = Annotated[int, Field(ge=1, le=2**32 - 1, examples=[1])]

ORIGINS = ("background", "result")
STATUSES = ("none", "active", "withdrawn", "superseded", "invalidated")
OriginName = Literal["background", "result"]
StatusName = Literal["none", "active", "withdrawn", "superseded", "invalidated"]
