"""The X25519 key pairs partners publish on PocExchange, so that sharers can wrap keys to them.

A partner's encryption key is not its partner (signing) key: it is drawn at random on the
partner's machine (the browser or the `poc` command line), its public half is published on
chain signed by the partner key (`PublishEncryptionKey`, EIP-712), and its private half never
reaches the service. The raw 32-byte encodings of RFC 7748 are used everywhere: on chain
(`bytes32 publicKey`), in the browser (Web Crypto "raw" public keys) and in files.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from ledger.errors import EnvelopeFormatError

KEY_BYTES = 32


def generate_private_key() -> X25519PrivateKey:
    """A fresh X25519 private key from the operating system's CSPRNG."""
    return X25519PrivateKey.generate()


def public_key_bytes(key: X25519PrivateKey | X25519PublicKey) -> bytes:
    """The raw 32-byte public key (what `publishEncryptionKey` takes)."""
    public = key.public_key() if isinstance(key, X25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def private_key_bytes(key: X25519PrivateKey) -> bytes:
    """The raw 32-byte private key, for the partner's own backup; never sent anywhere."""
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def load_private_key(raw: bytes) -> X25519PrivateKey:
    """A private key from its raw 32 bytes."""
    if len(raw) != KEY_BYTES:
        raise EnvelopeFormatError("an X25519 private key is 32 bytes")
    return X25519PrivateKey.from_private_bytes(raw)


def load_public_key(raw: bytes) -> X25519PublicKey:
    """A public key from its raw 32 bytes (as published on chain)."""
    if len(raw) != KEY_BYTES:
        raise EnvelopeFormatError("an X25519 public key is 32 bytes")
    return X25519PublicKey.from_public_bytes(raw)
