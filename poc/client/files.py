"""Registering files from the partner's machine: find them, hash them, keep their openings.

What `poc register FILE|DIR` does before anything is sent, and what a Python caller of
`PartnerClient` needs for the same:

1. `collect_files`: the file, or every regular file under a folder (hidden ones left out),
   refusing an empty folder and naming the files that cannot be read;
2. `hash_files`: each file's SHA-256, streamed in chunks (`ledger.domain.hashing.sha256_stream`)
   through an `opener` the caller may wrap to report progress;
3. `prepare_openings`: each file's opening with its salt derived from the partner's proof
   secret (`ledger.openings.files.derived_opening`, issue 16's derivation) and its contribution
   card, kept in the partner's openings folder (`ledger.openings.keeper`) *before* the
   registration is sent: a crash after sending must not lose what proves the file;
4. `registration_fields` / `leaf_fields`: the API request of each (its commitment and card).

The same file in the same project gives the same salt, hence the same commitment and
contribution id: registering it again finds its kept opening, and reuses the card's salt so the
card hashes as before. A kept card that says something else (another title, say) is refused
here: the registration may already be under way with the kept one, and a card is corrected by
superseding the contribution, never by editing it.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

from api.schemas.batches import LeafFields
from api.schemas.contributions import RegistrationFields
from ledger.domain.cards import ContributionCard
from ledger.domain.codec import to_hex
from ledger.domain.hashing import sha256_stream
from ledger.errors import ConfigurationError, OpeningConflictError
from ledger.openings.files import OpeningFile, derived_opening, parse_opening
from ledger.openings.keeper import OpeningKeeper, write_atomically
from ledger.openings.secret import ProofSecret

# What a batch may hold (the API's limit, `api.schemas.batches.MAX_BATCH`).
MAX_FILES: Final = 10_000
# Unreadable files named in one error message, at most.
_SHOWN: Final = 5

Opener = Callable[[Path], BinaryIO]


@dataclass(frozen=True)
class LocalFile:
    """A file to register: where it is, the name it is shown under, its size in bytes."""

    path: Path
    name: str
    size: int


@dataclass(frozen=True)
class PreparedFile:
    """A file with its content hash, its kept opening (salt derived) and its card."""

    file: LocalFile
    content_hash: bytes
    opening: OpeningFile
    card: ContributionCard
    opening_path: Path

    @property
    def contribution_id(self) -> str:
        return to_hex(self.opening.contribution_id)


def collect_files(target: Path) -> list[LocalFile]:
    """`target` itself, or the regular files under the folder `target` in name order (names
    starting with a dot left out, at any depth). Raise ConfigurationError for a missing path,
    an empty folder, more than `MAX_FILES` files, or files that cannot be read (named)."""
    if not target.exists():
        raise ConfigurationError(f"{target}: no such file or folder")
    if not target.is_dir():
        return [_local_file(target, target.name)]
    paths: list[Path] = []
    for folder, subfolders, names in os.walk(target):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        paths.extend(Path(folder) / n for n in sorted(names) if not n.startswith("."))
    if not paths:
        raise ConfigurationError(f"{target} holds no files to register (hidden ones are skipped)")
    if len(paths) > MAX_FILES:
        raise ConfigurationError(
            f"{target} holds {len(paths):,} files; one batch holds at most {MAX_FILES:,}: "
            "register its sub-folders one by one"
        )
    files: list[LocalFile] = []
    unreadable: list[str] = []
    for path in paths:
        try:
            files.append(_local_file(path, path.relative_to(target).as_posix()))
        except ConfigurationError as exc:
            unreadable.append(str(exc))
    if unreadable:
        more = f" (and {len(unreadable) - _SHOWN} more)" if len(unreadable) > _SHOWN else ""
        raise ConfigurationError(
            f"{len(unreadable)} file(s) in {target} cannot be read, nothing was registered: "
            + "; ".join(unreadable[:_SHOWN])
            + more
        )
    return files


def _local_file(path: Path, name: str) -> LocalFile:
    if not path.is_file():
        raise ConfigurationError(f"{path}: not a regular file")
    if not os.access(path, os.R_OK):
        raise ConfigurationError(f"{path}: permission denied")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ConfigurationError(f"{path}: {exc.strerror}") from exc
    return LocalFile(path, name, size)


def _open(path: Path) -> BinaryIO:
    return path.open("rb")


def hash_files(files: Sequence[LocalFile], *, opener: Opener = _open) -> list[bytes]:
    """The SHA-256 of each file, read as a stream (never whole into memory)."""
    hashes: list[bytes] = []
    for file in files:
        try:
            with opener(file.path) as stream:
                hashes.append(sha256_stream(stream))
        except OSError as exc:
            raise ConfigurationError(f"cannot read {file.path}: {exc.strerror or exc}") from exc
    return hashes


@dataclass(frozen=True)
class CardText:
    """What the partner says about the file(s): the card's words."""

    title: str | None = None
    description: str = ""
    keywords: tuple[str, ...] = ()
    parent_notes: tuple[tuple[str, str], ...] = ()


def card_title(text: CardText, file: LocalFile, *, many: bool) -> str:
    """The title of a file's card: the one given; in a folder, followed by the file's path
    there (each card then says which file it is); without one, the file's name or path."""
    if text.title is None:
        return file.name
    return f"{text.title}: {file.name}" if many else text.title


def prepare_openings(
    files: Sequence[LocalFile],
    content_hashes: Sequence[bytes],
    *,
    keeper: OpeningKeeper,
    secret: ProofSecret,
    chain_id: int,
    ledger: str,
    project_id: int,
    contributor: str,
    text: CardText,
    parents: Iterable[str] = (),
) -> list[PreparedFile]:
    """Derive, card and keep the opening of each file; return them in order."""
    parent_ids = [p.lower() for p in parents]
    many = len(files) > 1
    prepared: list[PreparedFile] = []
    for file, content_hash in zip(files, content_hashes, strict=True):
        bare = derived_opening(
            secret,
            chain_id=chain_id,
            ledger=ledger,
            project_id=project_id,
            contributor=contributor,
            content_hash=content_hash,
            file_name=file.path.name,
        )
        path = keeper.path_of(bare)
        kept = parse_opening(path.read_bytes()) if path.is_file() else None
        kept_card = None if kept is None else kept.card
        card = ContributionCard.create(
            title=card_title(text, file, many=many),
            description=text.description,
            file_name=file.path.name,
            media_type=mimetypes.guess_type(file.path.name)[0] or "",
            size=file.size,
            keywords=text.keywords,
            parent_notes=list(text.parent_notes),
            salt=None if kept_card is None else kept_card.salt,
        )
        card.check_parents(parent_ids)
        if kept_card is not None and kept_card.hash() != card.hash():
            raise OpeningConflictError(
                f"{file.path} was prepared for registration before with another card "
                f"(title {kept_card.title!r}, kept in {path}); it may be registered already: "
                "register it with the same words, or supersede it to correct its card"
            )
        opening = derived_opening(
            secret,
            chain_id=chain_id,
            ledger=ledger,
            project_id=project_id,
            contributor=contributor,
            content_hash=content_hash,
            file_name=file.path.name,
            card=card,
        )
        if kept is None:
            keeper.keep(opening)
        elif kept_card is None:
            # Kept without its card (`poc openings derive`): the same salt, now with the card.
            write_atomically(path, opening.to_bytes())
        prepared.append(PreparedFile(file, content_hash, opening, card, path))
    return prepared


def _card_fields(card: ContributionCard) -> dict[str, object]:
    document = card.to_json()
    return {
        "title": card.title,
        "description": card.description,
        "file": None
        if card.file is None
        else {
            "name": card.file.name,
            "media_type": card.file.media_type,
            "size": card.file.size,
        },
        "keywords": list(card.keywords),
        "parent_notes": [
            {"contribution_id": note.contribution_id, "note": note.note} for note in card.parents
        ],
        "salt": document["salt"],
    }


def registration_fields(
    prepared: PreparedFile,
    *,
    origin: str,
    category: int,
    value: int,
    parents: Sequence[str] = (),
) -> RegistrationFields:
    """The API request registering `prepared` (its commitment, its card with the card's hash)."""
    return RegistrationFields.model_validate(
        _request_fields(prepared, origin, category, value, parents)
    )


def leaf_fields(
    prepared: PreparedFile,
    *,
    origin: str,
    category: int,
    value: int,
    parents: Sequence[str] = (),
) -> LeafFields:
    """The batch leaf of `prepared`, as `registration_fields` without the URI."""
    return LeafFields.model_validate(_request_fields(prepared, origin, category, value, parents))


def _request_fields(
    prepared: PreparedFile, origin: str, category: int, value: int, parents: Sequence[str]
) -> dict[str, Any]:
    return {
        "commitment": to_hex(prepared.opening.commitment),
        "origin": origin,
        "category": category,
        "value": value,
        "parents": list(parents),
        "card": _card_fields(prepared.card),
        "card_hash": prepared.card.hash_hex(),
    }
