"""Sealed files: a proof secret or a set of openings, encrypted with a passphrase.

A standard construction and nothing of our own: the key is scrypt(passphrase) and the content
is encrypted with AES-256-GCM (the `cryptography` package; the web pages use @noble/hashes'
scrypt and @noble/ciphers' AES-GCM, and a test checks that each opens the other's files). The
file is JSON (docs/design.md, "Sealed files"):

    {"type": "poc-ledger/sealed", "version": 1, "content": "openings" | "proof-secret",
     "kdf": {"name": "scrypt", "N": 131072, "r": 8, "p": 1, "salt": "0x<16 bytes>"},
     "cipher": {"name": "aes-256-gcm", "nonce": "0x<12 bytes>"},
     "ciphertext": "0x<encrypted content, then the 16-byte tag>"}

The passphrase is NFC-normalised and UTF-8 encoded; the associated data is the ASCII text
`poc-ledger/sealed/v1/<content>`, so a sealed proof secret cannot be passed off as a sealed
set of openings. The scrypt parameters are bound through the key: changing any of them, the
salt, the nonce or a byte of the ciphertext makes opening fail. A hostile file cannot make us
spend more than `MAX_SCRYPT_MEMORY` on its key.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ledger.domain.codec import from_hex, to_hex
from ledger.errors import OpeningFormatError, SealedFileError
from ledger.openings.files import OpeningFile, parse_opening
from ledger.openings.secret import SECRET_BYTES, ProofSecret

SEALED_TYPE: Final = "poc-ledger/sealed"
SEALED_VERSION: Final = 1
SealedContent = Literal["openings", "proof-secret"]
CONTENTS: Final[tuple[SealedContent, ...]] = ("openings", "proof-secret")
KDF_SALT_BYTES: Final = 16
NONCE_BYTES: Final = 12
KEY_BYTES: Final = 32
# scrypt's memory is 128 * N * r * p bytes: 128 MiB for the default parameters.
MAX_SCRYPT_MEMORY: Final = 1 << 30
MIN_PASSPHRASE_CHARS: Final = 8


@dataclass(frozen=True)
class ScryptParams:
    """scrypt's cost parameters. The default is the common recommendation for interactive use
    (N = 2^17, r = 8, p = 1: 128 MiB, about a second here); tests pass cheaper ones."""

    n: int = 1 << 17
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        for name, value in (("N", self.n), ("r", self.r), ("p", self.p)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise OpeningFormatError(f"kdf.{name}: a positive integer is needed")
        if self.n < 2 or self.n & (self.n - 1):
            raise OpeningFormatError("kdf.N: a power of two is needed")
        if 128 * self.n * self.r * self.p > MAX_SCRYPT_MEMORY:
            raise OpeningFormatError("kdf: these scrypt parameters need more than 1 GiB")


def _key(passphrase: str, salt: bytes, params: ScryptParams) -> bytes:
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=params.n, r=params.r, p=params.p)
    return kdf.derive(unicodedata.normalize("NFC", passphrase).encode("utf-8"))


def _associated_data(content: SealedContent) -> bytes:
    return f"{SEALED_TYPE}/v{SEALED_VERSION}/{content}".encode("ascii")


def seal(
    plaintext: bytes,
    passphrase: str,
    *,
    content: SealedContent,
    params: ScryptParams | None = None,
) -> bytes:
    """`plaintext` encrypted under `passphrase`, as a sealed file's bytes."""
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise SealedFileError(f"a passphrase has at least {MIN_PASSPHRASE_CHARS} characters")
    if content not in CONTENTS:
        raise OpeningFormatError(f"content: {content!r} is not sealed here")
    params = params or ScryptParams()
    salt = secrets.token_bytes(KDF_SALT_BYTES)
    nonce = secrets.token_bytes(NONCE_BYTES)
    ciphertext = AESGCM(_key(passphrase, salt, params)).encrypt(
        nonce, plaintext, _associated_data(content)
    )
    document = {
        "type": SEALED_TYPE,
        "version": SEALED_VERSION,
        "content": content,
        "kdf": {
            "name": "scrypt",
            "N": params.n,
            "r": params.r,
            "p": params.p,
            "salt": to_hex(salt),
        },
        "cipher": {"name": "aes-256-gcm", "nonce": to_hex(nonce)},
        "ciphertext": to_hex(ciphertext),
    }
    return (json.dumps(document, indent=2) + "\n").encode()


def unseal(data: bytes | str, passphrase: str, *, content: SealedContent) -> bytes:
    """The plaintext of a sealed file of `content`; raise OpeningFormatError for a file that is
    not one, SealedFileError for a wrong passphrase or an altered file."""
    document = _object(data)
    if document.get("type") != SEALED_TYPE:
        raise OpeningFormatError("type: not a sealed poc-ledger file")
    if document.get("version") != SEALED_VERSION or isinstance(document.get("version"), bool):
        raise OpeningFormatError(f"version: {document.get('version')!r} is not supported")
    if document.get("content") != content:
        raise OpeningFormatError(
            f"content: this file holds {document.get('content')!r}, not {content!r}"
        )
    kdf = _member(document, "kdf")
    cipher = _member(document, "cipher")
    if kdf.get("name") != "scrypt" or cipher.get("name") != "aes-256-gcm":
        raise OpeningFormatError("kdf/cipher: only scrypt with aes-256-gcm is supported")
    params = ScryptParams(n=kdf.get("N"), r=kdf.get("r"), p=kdf.get("p"))  # type: ignore[arg-type]
    salt = _hex(kdf.get("salt"), "kdf.salt", KDF_SALT_BYTES)
    nonce = _hex(cipher.get("nonce"), "cipher.nonce", NONCE_BYTES)
    ciphertext = _hex(document.get("ciphertext"), "ciphertext", None)
    try:
        return AESGCM(_key(passphrase, salt, params)).decrypt(
            nonce, ciphertext, _associated_data(content)
        )
    except InvalidTag as exc:
        raise SealedFileError(
            "the passphrase is wrong, or the file was changed after it was sealed"
        ) from exc


def seal_openings(
    openings: Iterable[OpeningFile], passphrase: str, *, params: ScryptParams | None = None
) -> bytes:
    """A sealed file holding `openings` (an encrypted backup of them all)."""
    plaintext = json.dumps({"openings": [o.to_json() for o in openings]}).encode()
    return seal(plaintext, passphrase, content="openings", params=params)


def unseal_openings(data: bytes | str, passphrase: str) -> list[OpeningFile]:
    """The openings of a sealed backup, each checked as an opening file is."""
    document = _object(unseal(data, passphrase, content="openings"))
    items = document.get("openings")
    if not isinstance(items, list):
        raise OpeningFormatError("openings: a list is needed")
    return [parse_opening(item) if isinstance(item, dict) else _not_object() for item in items]


def seal_secret(
    secret: ProofSecret, passphrase: str, *, params: ScryptParams | None = None
) -> bytes:
    """A sealed file holding the proof secret (how the browser and the CLI keep it)."""
    plaintext = json.dumps({"secret": to_hex(secret.value), "secretId": secret.secret_id})
    return seal(plaintext.encode(), passphrase, content="proof-secret", params=params)


def unseal_secret(data: bytes | str, passphrase: str) -> ProofSecret:
    """The proof secret of a sealed file."""
    document = _object(unseal(data, passphrase, content="proof-secret"))
    secret = ProofSecret(_hex(document.get("secret"), "secret", SECRET_BYTES))
    if document.get("secretId") != secret.secret_id:
        raise OpeningFormatError("secretId: does not name the sealed secret")
    return secret


def _not_object() -> OpeningFile:
    raise OpeningFormatError("openings: every item is an opening object")


def _object(data: bytes | str) -> Mapping[str, Any]:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise OpeningFormatError(f"not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise OpeningFormatError("not a JSON object")
    return document


def _member(document: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = document.get(name)
    if not isinstance(value, dict):
        raise OpeningFormatError(f"{name}: an object is needed")
    return value


def _hex(value: Any, what: str, size: int | None) -> bytes:
    try:
        return from_hex(value, size=size)
    except ValueError as exc:
        raise OpeningFormatError(f"{what}: not 0x-hex of the right length") from exc
