"""Opening files: what proves one contribution, in the JSON format of docs/design.md.

An opening names where the contribution lives (chain, ledger contract, project), whose it is
(contributor), what it is (contribution id, commitment) and what opens it (the file's SHA-256
and the salt), and how the salt was made (`derivation`): "derived v1" from the partner's proof
secret, or "random". With an opening file and the original file, anyone can have a proof
bundle built (the API's export routes, `poc prove`); the file itself is never in it.

Reading a file checks it completely: every field's type and range, and that the salt and
content hash really give the commitment, and the commitment the contribution id. A file that
fails is refused with `OpeningFormatError` (not the format) or `OpeningMismatchError` (the
fields disagree), naming the field. An opening may carry the contribution's card (the card
the partner signed the hash of, docs/proofs.md): a proof bundle built from the opening then
holds the card too; it is checked as a card is (`ledger.domain.cards`), and its hash against the
chain when the bundle is verified. Nothing here touches a disk: `ledger.openings.keeper`
keeps openings in a folder; `ledger.openings.sealed` encrypts a set of them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from eth_typing import ChecksumAddress

from ledger.domain.cards import ContributionCard
from ledger.domain.codec import from_hex, to_hex
from ledger.domain.hashing import commitment as commitment_of
from ledger.domain.hashing import contribution_id as contribution_id_of
from ledger.domain.values import checksum, require_uint
from ledger.errors import OpeningFormatError, OpeningMismatchError, RecordFormatError
from ledger.openings.salts import SaltDerivation, derive_salt
from ledger.openings.secret import SECRET_ID_BYTES, ProofSecret

OPENING_TYPE: Final = "poc-ledger/opening"
OPENING_VERSION: Final = 1
# JSON numbers above 2^53 - 1 do not survive a JavaScript parse: such chain ids travel as
# decimal strings (the project's convention for big integers).
MAX_SAFE_INTEGER: Final = (1 << 53) - 1
# A file name is a reminder for people, not evidence; it is bounded so that a hostile file
# cannot make an index of openings grow without limit.
MAX_FILE_NAME_CHARS: Final = 255
_FIELDS: Final = (
    "type",
    "version",
    "chainId",
    "ledger",
    "projectId",
    "contributor",
    "contributionId",
    "commitment",
    "contentHash",
    "salt",
    "derivation",
)
_OPTIONAL: Final = ("secretId", "fileName", "card")


@dataclass(frozen=True)
class OpeningFile:
    """One contribution's opening, as its file holds it. Construct it with `make_opening` (from
    the parts) or `parse_opening` (from a file); both check that it opens what it names."""

    chain_id: int
    ledger: ChecksumAddress
    project_id: int
    contributor: ChecksumAddress
    contribution_id: bytes
    commitment: bytes
    content_hash: bytes
    salt: bytes
    derivation: SaltDerivation
    # Which proof secret derived the salt (derived v1 only): tells the secret apart, reveals
    # nothing of it.
    secret_id: str | None = None
    file_name: str | None = None
    # The contribution card registered with it (its hash is on chain); None when not kept.
    card: ContributionCard | None = None

    def to_json(self) -> dict[str, Any]:
        """The file's JSON object, in the documented field order."""
        document: dict[str, Any] = {
            "type": OPENING_TYPE,
            "version": OPENING_VERSION,
            "chainId": self.chain_id if self.chain_id <= MAX_SAFE_INTEGER else str(self.chain_id),
            "ledger": self.ledger,
            "projectId": self.project_id,
            "contributor": self.contributor,
            "contributionId": to_hex(self.contribution_id),
            "commitment": to_hex(self.commitment),
            "contentHash": to_hex(self.content_hash),
            "salt": to_hex(self.salt),
            "derivation": self.derivation.value,
        }
        if self.secret_id is not None:
            document["secretId"] = self.secret_id
        if self.file_name is not None:
            document["fileName"] = self.file_name
        if self.card is not None:
            document["card"] = self.card.to_json()
        return document

    def to_bytes(self) -> bytes:
        """The file's bytes: the JSON object, indented, UTF-8, ending in a newline."""
        return (json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n").encode()

    def check_derived_from(self, secret: ProofSecret) -> None:
        """Raise OpeningMismatchError unless this is a "derived v1" opening whose salt
        `secret` gives for its file, project, ledger and chain."""
        if self.derivation is not SaltDerivation.DERIVED_V1:
            raise OpeningMismatchError("derivation: the salt is random, not derived")
        expected = derive_salt(
            secret,
            chain_id=self.chain_id,
            ledger=self.ledger,
            project_id=self.project_id,
            content_hash=self.content_hash,
        )
        if expected != self.salt:
            raise OpeningMismatchError(
                "salt: not the one this proof secret derives (another secret, or another file)"
            )


def make_opening(
    *,
    chain_id: int,
    ledger: str,
    project_id: int,
    contributor: str,
    content_hash: bytes,
    salt: bytes,
    derivation: SaltDerivation,
    secret_id: str | None = None,
    file_name: str | None = None,
    card: ContributionCard | None = None,
) -> OpeningFile:
    """The opening of `content_hash` salted with `salt`, its commitment and contribution id
    computed as the ledger computes them; raise OpeningFormatError on a bad part."""
    chain = _ranged(chain_id, 256, "chainId")
    project = _ranged(project_id, 32, "projectId")
    who = _address(contributor, "contributor")
    content = _raw_bytes32(content_hash, "contentHash")
    raw_salt = _raw_bytes32(salt, "salt")
    try:
        kind = SaltDerivation(derivation)
    except ValueError as exc:
        raise OpeningFormatError(f"derivation: {derivation!r} is not known") from exc
    commit = commitment_of(who, project, content, raw_salt)
    return OpeningFile(
        chain_id=chain,
        ledger=_address(ledger, "ledger"),
        project_id=project,
        contributor=who,
        contribution_id=contribution_id_of(project, who, commit),
        commitment=commit,
        content_hash=content,
        salt=raw_salt,
        derivation=kind,
        secret_id=_secret_id(secret_id, kind),
        file_name=_file_name(file_name),
        card=card,
    )


def derived_opening(
    secret: ProofSecret,
    *,
    chain_id: int,
    ledger: str,
    project_id: int,
    contributor: str,
    content_hash: bytes,
    file_name: str | None = None,
    card: ContributionCard | None = None,
) -> OpeningFile:
    """The opening a partner registers a file with: its salt derived from `secret`."""
    salt = derive_salt(
        secret, chain_id=chain_id, ledger=ledger, project_id=project_id, content_hash=content_hash
    )
    return make_opening(
        chain_id=chain_id,
        ledger=ledger,
        project_id=project_id,
        contributor=contributor,
        content_hash=content_hash,
        salt=salt,
        derivation=SaltDerivation.DERIVED_V1,
        secret_id=secret.secret_id,
        file_name=file_name,
        card=card,
    )


def parse_opening(data: bytes | str | Mapping[str, Any]) -> OpeningFile:
    """Read an opening file (its bytes, text or parsed object) and check it: the format, and
    that salt and content hash give its commitment and that the commitment gives its id."""
    document = _json_object(data)
    missing = [name for name in _FIELDS if name not in document]
    if missing:
        raise OpeningFormatError(f"missing fields: {', '.join(missing)}")
    unknown = sorted(set(document) - set(_FIELDS) - set(_OPTIONAL))
    if unknown:
        raise OpeningFormatError(f"unknown fields: {', '.join(unknown)}")
    if document["type"] != OPENING_TYPE:
        raise OpeningFormatError(f"type: not an opening file ({document['type']!r})")
    if document["version"] != OPENING_VERSION or isinstance(document["version"], bool):
        raise OpeningFormatError(f"version: {document['version']!r} is not supported")
    derivation = document["derivation"]
    if not isinstance(derivation, str) or derivation not in {d.value for d in SaltDerivation}:
        raise OpeningFormatError(f"derivation: {derivation!r} is neither 'derived v1' nor 'random'")
    opening = make_opening(
        chain_id=_chain_id(document["chainId"]),
        ledger=_address(document["ledger"], "ledger"),
        project_id=_integer(document["projectId"], "projectId"),
        contributor=_address(document["contributor"], "contributor"),
        content_hash=_bytes32(document["contentHash"], "contentHash"),
        salt=_bytes32(document["salt"], "salt"),
        derivation=SaltDerivation(derivation),
        secret_id=document.get("secretId"),
        file_name=document.get("fileName"),
        card=_card(document.get("card")),
    )
    if _bytes32(document["commitment"], "commitment") != opening.commitment:
        raise OpeningMismatchError(
            "commitment: the salt and content hash do not give this commitment"
        )
    if _bytes32(document["contributionId"], "contributionId") != opening.contribution_id:
        raise OpeningMismatchError("contributionId: not the id of this commitment")
    return opening


def _json_object(data: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise OpeningFormatError(f"not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise OpeningFormatError("not a JSON object")
    return document


def _ranged(value: Any, bits: int, what: str) -> int:
    """A positive integer below 2^bits, or OpeningFormatError naming `what`."""
    try:
        number = require_uint(value, bits, what)
    except ValueError as exc:
        raise OpeningFormatError(f"{what}: an integer from 1 to 2^{bits} - 1 is needed") from exc
    if number == 0:
        raise OpeningFormatError(f"{what}: an integer from 1 to 2^{bits} - 1 is needed")
    return number


def _raw_bytes32(value: Any, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise OpeningFormatError(f"{what}: 32 bytes are needed")
    return bytes(value)


def _integer(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OpeningFormatError(f"{what}: an integer is needed, got {value!r}")
    return value


def _chain_id(value: Any) -> int:
    # A number up to 2^53 - 1, or a decimal string (any size); a float is refused, since a
    # JSON number past 2^53 was already rounded by whoever wrote it.
    if isinstance(value, str) and value.isdigit() and value.isascii() and len(value) <= 78:
        return int(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise OpeningFormatError("chainId: not a number")
    chain = _integer(value, "chainId")
    if chain > MAX_SAFE_INTEGER:
        raise OpeningFormatError("chainId: above 2^53 - 1, write it as a decimal string")
    return chain


def _address(value: Any, what: str) -> ChecksumAddress:
    try:
        address = checksum(value)
    except ValueError as exc:
        raise OpeningFormatError(f"{what}: not an address ({value!r})") from exc
    digits = value[2:]
    # Mixed case is a checksum (EIP-55): one that does not hold is a typo, not an address.
    if digits not in (digits.lower(), digits.upper()) and value != address:
        raise OpeningFormatError(f"{what}: the EIP-55 checksum does not hold ({value!r})")
    return address


def _bytes32(value: Any, what: str) -> bytes:
    try:
        return from_hex(value, size=32)
    except ValueError as exc:
        raise OpeningFormatError(f"{what}: not 32 bytes of 0x-hex ({value!r})") from exc


def _secret_id(value: Any, derivation: SaltDerivation) -> str | None:
    if value is None:
        return None
    if derivation is not SaltDerivation.DERIVED_V1:
        raise OpeningFormatError("secretId: only a derived salt names its proof secret")
    try:
        from_hex(value, size=SECRET_ID_BYTES)
    except ValueError as exc:
        raise OpeningFormatError(f"secretId: not {SECRET_ID_BYTES} bytes of 0x-hex") from exc
    return str(value).lower()


def _file_name(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_FILE_NAME_CHARS:
        raise OpeningFormatError(f"fileName: text of at most {MAX_FILE_NAME_CHARS} characters")
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in value):
        raise OpeningFormatError("fileName: control characters are not allowed")
    return value


def _card(value: Any) -> ContributionCard | None:
    if value is None:
        return None
    try:
        return ContributionCard.from_json(value)
    except RecordFormatError as exc:
        where = f"card.{exc.field}" if exc.field else "card"
        raise OpeningFormatError(f"{where}: {exc}") from exc
