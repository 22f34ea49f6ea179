"""Salts derived from the proof secret ("derived v1"), byte for byte as docs/design.md says.

    salt = HMAC-SHA256(key = secret, message)
    message = "poc-ledger/salt/v1" 0x00   19 bytes: label and version, then a zero byte
              chainId                      32 bytes, unsigned big-endian
              ledger                       20 bytes, the PocLedger contract's address
              projectId                     4 bytes, unsigned big-endian
              contentHash                  32 bytes, SHA-256 of the file
                                          107 bytes in all

Everything the commitment is registered under is in the message, so the same file gets
another salt in another project, on another deployment or chain; the contributor is not, as
the secret is the partner's own. The same partner registering the same file in the same
project gets the same salt, hence the same commitment, which the contract refuses twice: that
is how "already registered" is found before anything is signed. Without the secret a salt is
an HMAC output under an unknown 256-bit key: nobody can test a guess about a document against
its commitment.

The web pages' `secret.js` (`deriveSalt`) computes the same bytes; a browser test compares them.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

from eth_utils.address import to_canonical_address

from ledger.domain.values import checksum, require_bytes32, require_uint
from ledger.openings.secret import ProofSecret

SALT_LABEL = b"poc-ledger/salt/v1\x00"
SALT_MESSAGE_BYTES = len(SALT_LABEL) + 32 + 20 + 4 + 32


class SaltDerivation(StrEnum):
    """How an opening's salt was made (the `derivation` of an opening file)."""

    # HMAC of the proof secret, as this module computes it.
    DERIVED_V1 = "derived v1"
    # 32 random bytes (contributions registered before proof secrets, or on purpose): only
    # the opening file itself can prove them.
    RANDOM = "random"


def salt_message(*, chain_id: int, ledger: str, project_id: int, content_hash: bytes) -> bytes:
    """The 107 bytes HMAC-ed into a derived salt; raise ValueError on an out-of-range field."""
    message = b"".join(
        (
            SALT_LABEL,
            require_uint(chain_id, 256, "chain_id").to_bytes(32, "big"),
            to_canonical_address(checksum(ledger)),
            require_uint(project_id, 32, "project_id").to_bytes(4, "big"),
            require_bytes32(content_hash, "content_hash"),
        )
    )
    assert len(message) == SALT_MESSAGE_BYTES
    return message


def derive_salt(
    secret: ProofSecret, *, chain_id: int, ledger: str, project_id: int, content_hash: bytes
) -> bytes:
    """The 32-byte "derived v1" salt of a file (by its SHA-256) in a project of a ledger."""
    message = salt_message(
        chain_id=chain_id, ledger=ledger, project_id=project_id, content_hash=content_hash
    )
    return hmac.new(secret.value, message, hashlib.sha256).digest()
