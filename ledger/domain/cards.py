"""What people read beside the hashes: the contribution card and the dispute reason.

A **contribution card** says what a registered contribution is (title, description, the file's
name, media type and size, keywords, and per parent how it builds on that parent); a **dispute
reason** says why a partner disputes one (its text, optionally a file's name and SHA-256). Both
are confidential to the project: only their hashes go on chain. Each is a JSON object whose
canonical form (RFC 8785, `ledger.domain.canonical`) is hashed with SHA-256:

- `ContributionCard.hash()` is what the partner signs at registration (`cardHash`);
- `DisputeReason.hash()` is the `reasonHash` of `openDispute`.

Each record carries a 32-byte random `salt`, so that its hash on chain lets nobody confirm a
guess ("is the title 'Flax retting v2'?"), and a `kind` naming what it is, so that a card's
hash can never pass for a reason's. docs/proofs.md states the format field by field.

Instances are canonical by construction: `__post_init__` runs the strict checks, so a card
that exists is one that hashes reproducibly. `create(...)` tidies what a person typed (NFC,
trimmed, line endings) first; `from_json(...)` takes a stored or bundled record as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ledger.domain.canonical import (
    MAX_SAFE_INTEGER,
    canonical_hash,
    canonical_json,
    check_hex32,
    check_integer,
    check_list,
    check_object,
    check_text,
    loads_strict,
    normalise_text,
)
from ledger.domain.hashing import new_salt
from ledger.domain.values import MAX_PARENTS
from ledger.errors import RecordFormatError

CARD_KIND = "poc-ledger/contribution-card"
REASON_KIND = "poc-ledger/dispute-reason"
RECORD_VERSION = 1

# Bounds in Unicode code points (what a person counts as characters, near enough).
TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
FILE_NAME_MAX = 255
MEDIA_TYPE_MAX = 255
KEYWORDS_MAX = 20
KEYWORD_MAX = 64
PARENT_NOTE_MAX = 1_000
REASON_TEXT_MAX = 20_000
# Whatever the fields, a stored record stays small: the API bounds bodies anyway.
RECORD_BYTES_MAX = 256 * 1024
DEFAULT_MEDIA_TYPE = "application/octet-stream"

CARD_KEYS = ("description", "file", "keywords", "kind", "parents", "salt", "title", "version")
CARD_FILE_KEYS = ("mediaType", "name", "size")
CARD_PARENT_KEYS = ("contributionId", "note")
REASON_KEYS = ("file", "kind", "salt", "text", "version")
REASON_FILE_KEYS = ("name", "sha256")

# RFC 6838 section 4.2 restricted names, lower case: type "/" subtype, no parameters.
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


def _check_salt(salt: object, *, prefix: str) -> None:
    if not isinstance(salt, bytes) or len(salt) != 32:
        raise RecordFormatError(
            "salt must be 32 random bytes", code=f"{prefix}_invalid_value", field="salt"
        )


def _check_version(raw: Mapping[str, Any], *, prefix: str, kind: str) -> None:
    if raw["kind"] != kind:
        raise RecordFormatError(
            f"kind must be {kind!r}, got {raw['kind']!r}",
            code=f"{prefix}_invalid_value",
            field="kind",
        )
    version = raw["version"]
    if isinstance(version, bool) or version != RECORD_VERSION:
        raise RecordFormatError(
            f"version {version!r} is not known (this software reads version {RECORD_VERSION})",
            code=f"{prefix}_unsupported_version",
            field="version",
        )


def _check_size(canonical: bytes, *, prefix: str) -> None:
    if len(canonical) > RECORD_BYTES_MAX:
        raise RecordFormatError(
            f"the record is {len(canonical)} bytes in canonical form; at most "
            f"{RECORD_BYTES_MAX} are allowed",
            code=f"{prefix}_too_large",
        )


# ------------------------------------------------------------------------------ card


@dataclass(frozen=True)
class FileFacts:
    """The registered file as the partner's machine saw it (never its content)."""

    name: str
    media_type: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"mediaType": self.media_type, "name": self.name, "size": self.size}


@dataclass(frozen=True)
class ParentNote:
    """How a contribution builds on one of its parents, in the partner's words."""

    contribution_id: str
    note: str

    def to_json(self) -> dict[str, Any]:
        return {"contributionId": self.contribution_id, "note": self.note}


class _CanonicalRecord:
    """What a card and a dispute reason share: their canonical bytes and the hash of them
    (`cardHash` / `reasonHash` on chain)."""

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

    def canonical(self) -> bytes:
        """RFC 8785 canonical JSON of `to_json()`: the bytes that are hashed and stored."""
        return canonical_json(self.to_json())

    def hash(self) -> bytes:
        """SHA-256 of the canonical JSON (32 bytes): `cardHash` or `reasonHash`."""
        return canonical_hash(self.to_json())

    def hash_hex(self) -> str:
        return "0x" + self.hash().hex()


@dataclass(frozen=True)
class ContributionCard(_CanonicalRecord):
    """A contribution's card; canonical by construction (see the module docstring)."""

    PREFIX: ClassVar[str] = "card"

    title: str
    description: str = ""
    file: FileFacts | None = None
    keywords: tuple[str, ...] = ()
    parents: tuple[ParentNote, ...] = ()
    salt: bytes = field(default_factory=new_salt, repr=False)

    def __post_init__(self) -> None:
        # One validator for every way a card comes to be: it re-reads the JSON form.
        _check_salt(self.salt, prefix=self.PREFIX)
        _check_card_json(self.to_json())

    @classmethod
    def create(
        cls,
        *,
        title: str,
        description: str = "",
        file_name: str | None = None,
        media_type: str | None = None,
        size: int | None = None,
        keywords: Iterable[str] = (),
        parent_notes: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        salt: bytes | None = None,
    ) -> ContributionCard:
        """A card from what a person typed: text in NFC and trimmed, line endings LF, the media
        type in lower case (empty: application/octet-stream), parent ids in lower case and
        sorted, empty parent notes left out. Then the strict checks, as for any card.

        `file_name`, `media_type` and `size` are all given or all None (no file facts)."""
        notes = parent_notes.items() if isinstance(parent_notes, Mapping) else parent_notes
        parents = sorted(
            (
                ParentNote(_lower_hex(cid), normalise_text(note))
                for cid, note in notes
                if isinstance(note, str) and normalise_text(note)
            ),
            key=lambda p: p.contribution_id,
        )
        file: FileFacts | None = None
        if file_name is not None or media_type is not None or size is not None:
            if file_name is None or size is None:
                raise RecordFormatError(
                    "the file's name and size go together",
                    code="card_missing_field",
                    field="file.name" if file_name is None else "file.size",
                )
            kind = normalise_text(media_type or "").lower() or DEFAULT_MEDIA_TYPE
            file = FileFacts(normalise_text(file_name), kind, size)
        return cls(
            title=normalise_text(title) if isinstance(title, str) else title,
            description=normalise_text(description, multiline=True)
            if isinstance(description, str)
            else description,
            file=file,
            keywords=tuple(normalise_text(k) if isinstance(k, str) else k for k in keywords),
            parents=tuple(parents),
            salt=new_salt() if salt is None else salt,
        )

    @classmethod
    def from_json(cls, raw: object) -> ContributionCard:
        """A card exactly as stored or bundled; every departure from the format is an error
        (nothing is tidied: its hash must be the one that was signed)."""
        data = _check_card_json(raw)
        file = data["file"]
        return cls(
            title=data["title"],
            description=data["description"],
            file=None
            if file is None
            else FileFacts(name=file["name"], media_type=file["mediaType"], size=int(file["size"])),
            keywords=tuple(data["keywords"]),
            parents=tuple(
                ParentNote(contribution_id=p["contributionId"], note=p["note"])
                for p in data["parents"]
            ),
            salt=bytes.fromhex(data["salt"][2:]),
        )

    @classmethod
    def from_canonical(cls, raw: bytes) -> ContributionCard:
        """A card from JSON text (duplicate keys refused)."""
        return cls.from_json(loads_strict(raw, prefix=cls.PREFIX))

    def to_json(self) -> dict[str, Any]:
        """The card as a JSON object, every key present (the format of docs/proofs.md)."""
        return {
            "description": self.description,
            "file": None if self.file is None else self.file.to_json(),
            "keywords": list(self.keywords),
            "kind": CARD_KIND,
            "parents": [p.to_json() for p in self.parents],
            "salt": "0x" + self.salt.hex(),
            "title": self.title,
            "version": RECORD_VERSION,
        }

    def check_parents(self, parents: Iterable[str]) -> None:
        """Refuse a note on a contribution that is not among the registration's `parents`
        (`card_parent_unknown`)."""
        known = {_lower_hex(p) for p in parents}
        for index, note in enumerate(self.parents):
            if note.contribution_id not in known:
                raise RecordFormatError(
                    f"the card has a note on {note.contribution_id}, which is not a parent of "
                    "this contribution",
                    code="card_parent_unknown",
                    field=f"parents[{index}].contributionId",
                )


def _lower_hex(value: object) -> str:
    return value.lower() if isinstance(value, str) else str(value)


def _check_card_json(raw: object) -> Mapping[str, Any]:
    prefix = ContributionCard.PREFIX
    data = check_object(raw, prefix=prefix, field="", keys=CARD_KEYS)
    _check_version(data, prefix=prefix, kind=CARD_KIND)
    check_text(data["title"], prefix=prefix, field="title", max_chars=TITLE_MAX, min_chars=1)
    check_text(
        data["description"],
        prefix=prefix,
        field="description",
        max_chars=DESCRIPTION_MAX,
        multiline=True,
    )
    file = data["file"]
    if file is not None:
        check_object(file, prefix=prefix, field="file", keys=CARD_FILE_KEYS)
        check_text(
            file["name"], prefix=prefix, field="file.name", max_chars=FILE_NAME_MAX, min_chars=1
        )
        media_type = check_text(
            file["mediaType"], prefix=prefix, field="file.mediaType", max_chars=MEDIA_TYPE_MAX
        )
        if not _MEDIA_TYPE.match(media_type):
            raise RecordFormatError(
                f"file.mediaType {media_type!r} is not a media type such as application/pdf "
                "(lower case, no parameters)",
                code=f"{prefix}_invalid_value",
                field="file.mediaType",
            )
        check_integer(
            file["size"], prefix=prefix, field="file.size", minimum=0, maximum=MAX_SAFE_INTEGER
        )
    keywords = check_list(data["keywords"], prefix=prefix, field="keywords", max_items=KEYWORDS_MAX)
    seen: set[str] = set()
    for index, keyword in enumerate(keywords):
        where = f"keywords[{index}]"
        check_text(keyword, prefix=prefix, field=where, max_chars=KEYWORD_MAX, min_chars=1)
        if keyword in seen:
            raise RecordFormatError(
                f"keyword {keyword!r} appears twice", code=f"{prefix}_duplicate", field=where
            )
        seen.add(keyword)
    parents = check_list(data["parents"], prefix=prefix, field="parents", max_items=MAX_PARENTS)
    previous = ""
    for index, parent in enumerate(parents):
        where = f"parents[{index}]"
        check_object(parent, prefix=prefix, field=where, keys=CARD_PARENT_KEYS)
        cid = check_hex32(parent["contributionId"], prefix=prefix, field=f"{where}.contributionId")
        check_text(
            parent["note"],
            prefix=prefix,
            field=f"{where}.note",
            max_chars=PARENT_NOTE_MAX,
            min_chars=1,
        )
        if cid <= previous:
            raise RecordFormatError(
                "parent notes must be sorted by contribution id, each parent once",
                code=f"{prefix}_invalid_value",
                field=f"{where}.contributionId",
            )
        previous = cid
    check_hex32(data["salt"], prefix=prefix, field="salt")
    _check_size(canonical_json(data), prefix=prefix)
    return data


# ------------------------------------------------------------------------------ reason


@dataclass(frozen=True)
class ReasonFile:
    """A file attached to a dispute reason: its name and SHA-256 (the file stays with the
    partners)."""

    name: str
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256}


@dataclass(frozen=True)
class DisputeReason(_CanonicalRecord):
    """Why a partner disputes a contribution; `hash()` is the dispute's `reasonHash`."""

    PREFIX: ClassVar[str] = "reason"

    text: str
    file: ReasonFile | None = None
    salt: bytes = field(default_factory=new_salt, repr=False)

    def __post_init__(self) -> None:
        _check_salt(self.salt, prefix=self.PREFIX)
        _check_reason_json(self.to_json())

    @classmethod
    def create(
        cls,
        *,
        text: str,
        file_name: str | None = None,
        file_sha256: str | None = None,
        salt: bytes | None = None,
    ) -> DisputeReason:
        """A reason from what a person typed (tidied as `ContributionCard.create` does)."""
        file: ReasonFile | None = None
        if file_name is not None or file_sha256 is not None:
            if file_name is None or file_sha256 is None:
                raise RecordFormatError(
                    "the file's name and SHA-256 go together",
                    code="reason_missing_field",
                    field="file.name" if file_name is None else "file.sha256",
                )
            file = ReasonFile(normalise_text(file_name), _lower_hex(file_sha256))
        return cls(
            text=normalise_text(text, multiline=True) if isinstance(text, str) else text,
            file=file,
            salt=new_salt() if salt is None else salt,
        )

    @classmethod
    def from_json(cls, raw: object) -> DisputeReason:
        """A reason exactly as stored or bundled (nothing tidied)."""
        data = _check_reason_json(raw)
        file = data["file"]
        return cls(
            text=data["text"],
            file=None if file is None else ReasonFile(name=file["name"], sha256=file["sha256"]),
            salt=bytes.fromhex(data["salt"][2:]),
        )

    @classmethod
    def from_canonical(cls, raw: bytes) -> DisputeReason:
        return cls.from_json(loads_strict(raw, prefix=cls.PREFIX))

    def to_json(self) -> dict[str, Any]:
        return {
            "file": None if self.file is None else self.file.to_json(),
            "kind": REASON_KIND,
            "salt": "0x" + self.salt.hex(),
            "text": self.text,
            "version": RECORD_VERSION,
        }


def _check_reason_json(raw: object) -> Mapping[str, Any]:
    prefix = DisputeReason.PREFIX
    data = check_object(raw, prefix=prefix, field="", keys=REASON_KEYS)
    _check_version(data, prefix=prefix, kind=REASON_KIND)
    check_text(
        data["text"],
        prefix=prefix,
        field="text",
        max_chars=REASON_TEXT_MAX,
        min_chars=1,
        multiline=True,
    )
    file = data["file"]
    if file is not None:
        check_object(file, prefix=prefix, field="file", keys=REASON_FILE_KEYS)
        check_text(
            file["name"], prefix=prefix, field="file.name", max_chars=FILE_NAME_MAX, min_chars=1
        )
        check_hex32(file["sha256"], prefix=prefix, field="file.sha256")
    check_hex32(data["salt"], prefix=prefix, field="salt")
    _check_size(canonical_json(data), prefix=prefix)
    return data
