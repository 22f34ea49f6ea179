"""The one codec of the ledger's raw values: hex, the zero values, keccak256.

Conventions everywhere in the library and the API: a bytes32 (id, hash, commitment, salt) or
any other byte string travels as `0x` followed by lower-case hex; an address is EIP-55
checksummed (`ledger.domain.values.checksum`); "zero" means 32 zero bytes for a bytes32 and
the address `0x000…000`. Typed events have their own JSON codec, `ledger.domain.events`.

Nothing here knows a contract or a node.
"""

from __future__ import annotations

from typing import Final

from eth_hash.auto import keccak
from eth_typing import ChecksumAddress, HexAddress, HexStr
from eth_utils.address import is_checksum_address

ZERO_BYTES32: Final = bytes(32)
"""A bytes32 of zeros: "none" for an optional id (supersedes, batch id, parent)."""
ZERO_HASH: Final = HexStr("0x" + "00" * 32)
"""`ZERO_BYTES32` as hex."""
ZERO_ADDRESS: Final = ChecksumAddress(HexAddress(HexStr("0x" + "00" * 20)))
"""The zero address (its checksummed form has no letters): ETH in the vault, "nobody"."""


def to_hex(value: bytes | bytearray | memoryview) -> HexStr:
    """`value` as `0x` followed by lower-case hex."""
    return HexStr("0x" + bytes(value).hex())


def from_hex(text: str, *, size: int | None = None) -> bytes:
    """The bytes of `0x`-prefixed hex `text` (either case); with `size`, exactly that many.

    Raises ValueError for anything else: no prefix, an odd number of digits, a non-hex digit
    or whitespace, or the wrong length.
    """
    if not isinstance(text, str) or text[:2] not in ("0x", "0X"):
        raise ValueError(f"not 0x-hex: {text!r}")
    digits = text[2:]
    # bytes.fromhex skips whitespace between bytes, which would let a padded value pass.
    # "0x" is the empty byte string (an empty field stated in a bundle is then refused by the
    # check that reads it, naming it, not by the parser).
    if len(digits) % 2 or (digits and not digits.isalnum()):
        raise ValueError(f"not 0x-hex: {text!r}")
    raw = bytes.fromhex(digits)
    if size is not None and len(raw) != size:
        raise ValueError(f"expected {size} bytes, got {len(raw)}: {text!r}")
    return raw


def keccak256(data: bytes) -> bytes:
    """keccak256 of `data` (Ethereum's hash, not NIST SHA3-256)."""
    return keccak(data)


def is_checksummed(address: str) -> bool:
    """Whether `address` is a 20-byte address in its EIP-55 checksummed form."""
    return bool(is_checksum_address(address))
