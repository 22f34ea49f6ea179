"""Sealed documents and wrapped keys: the byte format of docs/exchange.md, in Python.

A partner shares a document by sealing it on its own machine:

1. a fresh 32-byte **file key** and a fresh 32-byte **salt** are drawn;
2. the document is encrypted with AES-256-GCM in segments (`seal_stream`): a header, then each
   segment of `2**segment_log2` plaintext bytes sealed under the file key with a nonce made of
   its index and a "last segment" flag, the header as associated data; truncating, extending,
   reordering or altering any byte makes opening fail;
3. the SHA-256 of the plaintext, computed on the way, gives the on-chain commitment
   `keccak256(abi.encode(sharer, projectId, sha256, salt))` and the disclosure id;
4. a **key envelope** (file key, salt, the document's name, media type and size, as JSON) is
   sealed to each recipient's X25519 public key with HPKE (RFC 9180, base mode,
   DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM), with `info` naming the disclosure id
   and the recipient (`wrap_key`).

The service stores only the sealed document and the wrapped keys. A recipient unwraps its key
envelope with its private key (`unwrap_key`), opens the document (`open_stream`), recomputes
the commitment from the SHA-256 and the salt, and compares it with the chain's before it
acknowledges. Every failure (a tampered byte, a wrong key, a key wrapped for someone else) is an
`EnvelopeIntegrityError`; bytes that are not of this format at all are an `EnvelopeFormatError`.

Only library primitives are used: `cryptography`'s HPKE suite and AESGCM, `hashlib`'s SHA-256.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.domain.hashing import commitment
from ledger.domain.values import checksum
from ledger.errors import EnvelopeFormatError, EnvelopeIntegrityError
from ledger.exchange.keys import load_public_key

# ---------------------------------------------------------------------------- the format

MAGIC: Final = b"POCX"
FORMAT_VERSION: Final = 1
HEADER_BYTES: Final = 8
TAG_BYTES: Final = 16
NONCE_BYTES: Final = 12
KEY_BYTES: Final = 32
SALT_BYTES: Final = 32
PUBLIC_KEY_BYTES: Final = 32
#: HPKE's encapsulated key for DHKEM(X25519): the sender's ephemeral public key.
ENC_BYTES: Final = 32
DEFAULT_SEGMENT_LOG2: Final = 20  # 1 MiB
MIN_SEGMENT_LOG2: Final = 12  # 4 KiB
MAX_SEGMENT_LOG2: Final = 24  # 16 MiB
#: A segment's index is 88 bits of its nonce.
MAX_SEGMENTS: Final = 1 << 88
#: Prefix of HPKE's `info`; the disclosure id and the recipient's address follow it.
WRAP_INFO_PREFIX: Final = b"poc-ledger/exchange/v1\x00"
#: What the key envelope may say about the document.
MAX_NAME_CHARS: Final = 255
MAX_MEDIA_TYPE_CHARS: Final = 127
MAX_SIZE: Final = (1 << 53) - 1  # exact in JavaScript numbers
#: The longest wrapped key: `enc`, tag, and an envelope whose name is 255 four-byte characters.
MAX_WRAPPED_BYTES: Final = 2_048

_SUITE: Final = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_MEDIA_TYPE_RE: Final = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*"
)
_SALT_RE: Final = re.compile(r"0x[0-9a-f]{64}")
_ENVELOPE_FIELDS: Final = frozenset({"v", "key", "salt", "name", "type", "size"})


def header(segment_log2: int) -> bytes:
    """The 8-byte header: "POCX", format version 1, the segment size's exponent, two zero bytes.

    It is the associated data of every segment, so a header changed in storage fails to open.
    """
    _require_segment_log2(segment_log2)
    return MAGIC + bytes([FORMAT_VERSION, segment_log2, 0, 0])


def segment_nonce(index: int, last: bool) -> bytes:
    """The 12-byte nonce of segment `index`: the index big-endian in 11 bytes, then 0x01 for
    the last segment and 0x00 for every other."""
    if not 0 <= index < MAX_SEGMENTS:
        raise EnvelopeFormatError(f"segment index {index} out of range")
    return index.to_bytes(NONCE_BYTES - 1, "big") + (b"\x01" if last else b"\x00")


def sealed_size(plaintext_size: int, segment_log2: int = DEFAULT_SEGMENT_LOG2) -> int:
    """How many bytes a document of `plaintext_size` bytes takes once sealed."""
    segment = 1 << segment_log2
    segments = max(1, -(-plaintext_size // segment))
    return HEADER_BYTES + plaintext_size + segments * TAG_BYTES


# ---------------------------------------------------------------------- the key envelope


@dataclass(frozen=True)
class KeyEnvelope:
    """What a recipient needs besides the sealed document: the file key, the commitment's salt,
    and the document's name, media type and size, which only the partners may read."""

    file_key: bytes
    salt: bytes
    name: str
    media_type: str
    size: int

    def __post_init__(self) -> None:
        if len(self.file_key) != KEY_BYTES:
            raise EnvelopeFormatError("file key must be 32 bytes")
        if len(self.salt) != SALT_BYTES:
            raise EnvelopeFormatError("salt must be 32 bytes")
        _require_name(self.name)
        if len(self.media_type) > MAX_MEDIA_TYPE_CHARS or not _MEDIA_TYPE_RE.fullmatch(
            self.media_type
        ):
            raise EnvelopeFormatError(f"media type {self.media_type[:40]!r} is not type/subtype")
        if isinstance(self.size, bool) or not 0 <= self.size <= MAX_SIZE:
            raise EnvelopeFormatError(f"size {self.size!r} out of range")

    def to_bytes(self) -> bytes:
        """The envelope as UTF-8 JSON, keys sorted, no spaces (docs/exchange.md)."""
        document = {
            "v": FORMAT_VERSION,
            "key": base64.b64encode(self.file_key).decode("ascii"),
            "salt": "0x" + self.salt.hex(),
            "name": self.name,
            "type": self.media_type,
            "size": self.size,
        }
        return json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> KeyEnvelope:
        """Parse an envelope; anything but exactly the documented fields is refused."""
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise EnvelopeFormatError("key envelope is not UTF-8 JSON") from exc
        if not isinstance(document, dict) or set(document) != _ENVELOPE_FIELDS:
            raise EnvelopeFormatError(
                "key envelope has other fields than v, key, salt, name, type, size"
            )
        if document["v"] != FORMAT_VERSION or isinstance(document["v"], bool):
            raise EnvelopeFormatError(f"key envelope version {document['v']!r} is not 1")
        key, salt = document["key"], document["salt"]
        if not isinstance(key, str) or not isinstance(salt, str) or not _SALT_RE.fullmatch(salt):
            raise EnvelopeFormatError("key envelope's key or salt is malformed")
        try:
            file_key = base64.b64decode(key, validate=True)
        except binascii.Error as exc:
            raise EnvelopeFormatError("key envelope's key is not base64") from exc
        name, media_type, size = document["name"], document["type"], document["size"]
        if (
            not isinstance(name, str)
            or not isinstance(media_type, str)
            or not isinstance(size, int)
        ):
            raise EnvelopeFormatError("key envelope's name, type or size has the wrong type")
        return cls(file_key, bytes.fromhex(salt[2:]), name, media_type, size)


def _require_name(name: str) -> None:
    """A file name to show and to save under: 1 to 255 characters, no control character and no
    path separator (a sharer cannot make a recipient's client write outside its folder)."""
    if not 1 <= len(name) <= MAX_NAME_CHARS:
        raise EnvelopeFormatError("file name must have 1 to 255 characters")
    if name in (".", "..") or any(
        ch in "/\\" or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in name
    ):
        raise EnvelopeFormatError(f"file name {name[:40]!r} has a control character or a separator")


def new_file_key() -> bytes:
    """A fresh AES-256 key from the operating system's CSPRNG; one per shared document."""
    return secrets.token_bytes(KEY_BYTES)


# -------------------------------------------------------------------------- the document


@dataclass(frozen=True)
class StreamDigest:
    """What sealing or opening a document learned of its plaintext."""

    sha256: bytes
    size: int


def seal_stream(
    source: BinaryIO,
    sink: BinaryIO,
    file_key: bytes,
    *,
    segment_log2: int = DEFAULT_SEGMENT_LOG2,
) -> StreamDigest:
    """Encrypt everything left in `source` into `sink`, one segment in memory at a time.

    Returns the plaintext's SHA-256 and size. `file_key` must be fresh for every document: the
    nonces restart at zero in each.
    """
    aead = AESGCM(_require_key(file_key))
    head = header(segment_log2)
    segment = 1 << segment_log2
    digest = hashlib.sha256()
    size = 0
    sink.write(head)
    for index, (chunk, last) in enumerate(_segments(source, segment)):
        digest.update(chunk)
        size += len(chunk)
        sink.write(aead.encrypt(segment_nonce(index, last), chunk, head))
    return StreamDigest(digest.digest(), size)


def open_stream(source: BinaryIO, sink: BinaryIO, file_key: bytes) -> StreamDigest:
    """Decrypt a sealed document from `source` into `sink`; returns the plaintext's SHA-256
    and size. Raises `EnvelopeIntegrityError` at the first segment that fails (a tampered,
    truncated or extended document, or another key): what was written to `sink` before then
    must be thrown away."""
    aead = AESGCM(_require_key(file_key))
    head = source.read(HEADER_BYTES)
    if len(head) != HEADER_BYTES or head[:4] != MAGIC:
        raise EnvelopeFormatError("not a sealed document (no POCX header)")
    if head[4] != FORMAT_VERSION or head[6:] != b"\x00\x00":
        raise EnvelopeFormatError(f"sealed document of unknown format version {head[4]}")
    segment_log2 = head[5]
    _require_segment_log2(segment_log2)
    sealed_segment = (1 << segment_log2) + TAG_BYTES
    digest = hashlib.sha256()
    size = 0
    for index, (chunk, last) in enumerate(_segments(source, sealed_segment)):
        if len(chunk) < TAG_BYTES:
            raise EnvelopeIntegrityError("sealed document truncated inside a segment's tag")
        try:
            plain = aead.decrypt(segment_nonce(index, last), chunk, head)
        except InvalidTag as exc:
            raise EnvelopeIntegrityError(
                f"segment {index} does not open: the document was altered, truncated or "
                "extended, or the key is not its key"
            ) from exc
        digest.update(plain)
        size += len(plain)
        sink.write(plain)
    return StreamDigest(digest.digest(), size)


def check_sealed_shape(sealed: bytes) -> None:
    """What a service can check of a sealed document without its key: the header is of this
    format, and the length is one a sealed document can have (at least one segment; the last
    one holds its tag). Raises `EnvelopeFormatError`. Whether it opens only the key tells."""
    head = sealed[:HEADER_BYTES]
    if len(head) != HEADER_BYTES or head[:4] != MAGIC:
        raise EnvelopeFormatError("not a sealed document (no POCX header)")
    if head[4] != FORMAT_VERSION or head[6:] != b"\x00\x00":
        raise EnvelopeFormatError(f"sealed document of unknown format version {head[4]}")
    _require_segment_log2(head[5])
    body = len(sealed) - HEADER_BYTES
    rest = body % ((1 << head[5]) + TAG_BYTES)
    if body < TAG_BYTES or 0 < rest < TAG_BYTES:
        raise EnvelopeFormatError(f"a sealed document cannot be {len(sealed)} bytes long")


def check_wrapped_shape(wrapped: bytes) -> None:
    """What a service can check of a wrapped key without the recipient's private key: long
    enough for HPKE's `enc`, a tag and an envelope, and not absurdly long."""
    if not ENC_BYTES + TAG_BYTES < len(wrapped) <= MAX_WRAPPED_BYTES:
        raise EnvelopeFormatError(
            f"a wrapped key is {ENC_BYTES + TAG_BYTES + 1} to {MAX_WRAPPED_BYTES} bytes, "
            f"not {len(wrapped)}"
        )


def seal_bytes(
    plaintext: bytes, file_key: bytes, *, segment_log2: int = DEFAULT_SEGMENT_LOG2
) -> bytes:
    """`seal_stream` of bytes in memory (small documents, tests)."""
    sink = io.BytesIO()
    seal_stream(io.BytesIO(plaintext), sink, file_key, segment_log2=segment_log2)
    return sink.getvalue()


def open_bytes(sealed: bytes, file_key: bytes) -> bytes:
    """`open_stream` of bytes in memory."""
    sink = io.BytesIO()
    open_stream(io.BytesIO(sealed), sink, file_key)
    return sink.getvalue()


def _segments(source: BinaryIO, size: int) -> Iterator[tuple[bytes, bool]]:
    """The chunks of `size` bytes of `source` (the last may be shorter, or empty if `source`
    is), each with whether it is the last: one chunk of look-ahead tells."""
    current = _read_exactly(source, size)
    index = 0
    while True:
        following = _read_exactly(source, size) if len(current) == size else b""
        last = not following
        yield current, last
        if last:
            return
        current = following
        index += 1
        if index >= MAX_SEGMENTS:
            raise EnvelopeFormatError("document has too many segments")


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    """Up to `size` bytes: short only at the end of `source` (a pipe may return less)."""
    parts: list[bytes] = []
    wanted = size
    while wanted > 0:
        part = source.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


# --------------------------------------------------------------------------- wrapped keys


def wrap_info(disclosure_id: bytes, recipient: str) -> bytes:
    """HPKE `info`: the prefix, the 32-byte disclosure id, the recipient's 20-byte address. A
    wrapped key moved to another disclosure or another recipient no longer opens."""
    if len(disclosure_id) != 32:
        raise EnvelopeFormatError("disclosure id must be 32 bytes")
    return WRAP_INFO_PREFIX + disclosure_id + bytes.fromhex(checksum(recipient)[2:])


def wrap_key(
    envelope: KeyEnvelope, recipient_public_key: bytes, *, disclosure_id: bytes, recipient: str
) -> bytes:
    """The key envelope sealed to one recipient: HPKE's `enc` (32 bytes) then its ciphertext."""
    public_key = load_public_key(recipient_public_key)
    return _SUITE.encrypt(envelope.to_bytes(), public_key, info=wrap_info(disclosure_id, recipient))


def unwrap_key(
    wrapped: bytes, private_key: X25519PrivateKey, *, disclosure_id: bytes, recipient: str
) -> KeyEnvelope:
    """Open a wrapped key envelope with the recipient's private key."""
    if len(wrapped) < ENC_BYTES + TAG_BYTES:
        raise EnvelopeFormatError("wrapped key too short")
    try:
        plain = _SUITE.decrypt(wrapped, private_key, info=wrap_info(disclosure_id, recipient))
    except InvalidTag as exc:
        raise EnvelopeIntegrityError(
            "wrapped key does not open: altered, or not for this recipient, key or disclosure"
        ) from exc
    except ValueError as exc:  # a low-order or otherwise unusable `enc`
        raise EnvelopeIntegrityError(f"wrapped key does not open: {exc}") from exc
    return KeyEnvelope.from_bytes(plain)


def _require_key(file_key: bytes) -> bytes:
    if len(file_key) != KEY_BYTES:
        raise EnvelopeFormatError("file key must be 32 bytes")
    return file_key


def _require_segment_log2(segment_log2: int) -> None:
    if not MIN_SEGMENT_LOG2 <= segment_log2 <= MAX_SEGMENT_LOG2:
        raise EnvelopeFormatError(
            f"segment size 2**{segment_log2} outside 2**{MIN_SEGMENT_LOG2}..2**{MAX_SEGMENT_LOG2}"
        )


# ------------------------------------------------------------------- the recipient's check


def check_opened(
    envelope: KeyEnvelope,
    opened: StreamDigest,
    *,
    sharer: str,
    project_id: int,
    content_commitment: bytes,
) -> None:
    """The recipient's check before it acknowledges: the opened document has the size the
    envelope states, and its SHA-256 with the envelope's salt gives the commitment disclosed on
    chain. Raises `EnvelopeIntegrityError` naming what differs."""
    if opened.size != envelope.size:
        raise EnvelopeIntegrityError(
            f"the document has {opened.size} bytes, its envelope says {envelope.size}"
        )
    computed = commitment(sharer, project_id, opened.sha256, envelope.salt)
    if computed != content_commitment:
        raise EnvelopeIntegrityError(
            "the document's SHA-256 and salt do not give the commitment disclosed on chain "
            f"(computed 0x{computed.hex()}, disclosed 0x{content_commitment.hex()})"
        )
