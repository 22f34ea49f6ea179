"""A folder that keeps a partner's openings and its sealed proof secret on its own machine.

What a command line on the partner's machine (`poc register`, `poc prove`) needs: derive the
salt of a file, keep its opening *before* the registration is sent (a crash after sending must
not lose the only thing that proves it), find it again by contribution id, import opening
files made elsewhere (the web pages, another machine), and export them all sealed.

    <folder>/proof-secret.json                     the proof secret, sealed with a passphrase
    <folder>/openings/<chainId>-<ledger>/<contributionId>.json   one opening file each

Every write goes to a temporary file that is flushed, synced and renamed over the target, so
a crash leaves the old file or the new one, never half of one. Keeping an opening that is
already kept is a no-op; keeping another for the same contribution is refused
(`OpeningConflictError`): what proves a registration is never overwritten.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from ledger.domain.cards import ContributionCard
from ledger.domain.codec import to_hex
from ledger.errors import OpeningConflictError, OpeningError, OpeningFormatError
from ledger.openings.files import OpeningFile, derived_opening, parse_opening
from ledger.openings.sealed import (
    ScryptParams,
    seal_openings,
    seal_secret,
    unseal_openings,
    unseal_secret,
)
from ledger.openings.secret import ProofSecret

SECRET_FILE: Final = "proof-secret.json"
OPENINGS_DIR: Final = "openings"


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves the old file or the new one: a temporary
    file beside it, flushed and synced, renamed over it, the folder synced (owner-only)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class OpeningKeeper:
    """The openings and the sealed proof secret of one partner, in `folder`."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    # -- the proof secret -------------------------------------------------------------------

    @property
    def secret_path(self) -> Path:
        return self.folder / SECRET_FILE

    def has_secret(self) -> bool:
        """Whether a sealed proof secret is kept here."""
        return self.secret_path.is_file()

    def save_secret(
        self, secret: ProofSecret, passphrase: str, *, params: ScryptParams | None = None
    ) -> None:
        """Keep `secret` sealed with `passphrase`; refuse to replace another secret (the
        openings derived from it would no longer be re-derivable here)."""
        if self.has_secret():
            kept = self.load_secret(passphrase)
            if kept.secret_id != secret.secret_id:
                raise OpeningConflictError(
                    f"another proof secret ({kept.secret_id}) is kept in {self.folder}"
                )
        write_atomically(self.secret_path, seal_secret(secret, passphrase, params=params))

    def load_secret(self, passphrase: str) -> ProofSecret:
        """The kept proof secret; raise SealedFileError for a wrong passphrase."""
        try:
            data = self.secret_path.read_bytes()
        except FileNotFoundError as exc:
            raise OpeningError(f"no proof secret in {self.folder}: create or restore one") from exc
        return unseal_secret(data, passphrase)

    # -- openings ---------------------------------------------------------------------------

    def path_of(self, opening: OpeningFile) -> Path:
        """Where `opening` is kept: by chain, ledger and contribution id."""
        deployment = f"{opening.chain_id}-{opening.ledger.lower()}"
        return self.folder / OPENINGS_DIR / deployment / f"{to_hex(opening.contribution_id)}.json"

    def keep(self, opening: OpeningFile) -> Path:
        """Keep `opening` (durably, before its registration is sent); return its path."""
        path = self.path_of(opening)
        if path.is_file():
            kept = parse_opening(path.read_bytes())
            # The same contribution kept before (perhaps under another file name): done.
            if (kept.content_hash, kept.salt) != (opening.content_hash, opening.salt):
                raise OpeningConflictError(
                    f"{path} already holds another opening of this contribution"
                )
            return path
        write_atomically(path, opening.to_bytes())
        return path

    def prepare(
        self,
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
        """Derive the opening of a file (by its SHA-256) and keep it, with the contribution's
        card when there is one: call before signing and sending its registration. The same
        file in the same project gives the same opening, so preparing it again is harmless and
        says which contribution it is."""
        opening = derived_opening(
            secret,
            chain_id=chain_id,
            ledger=ledger,
            project_id=project_id,
            contributor=contributor,
            content_hash=content_hash,
            file_name=file_name,
            card=card,
        )
        self.keep(opening)
        return opening

    def find(self, contribution_id: bytes) -> OpeningFile | None:
        """The kept opening of `contribution_id` (on any chain), or None."""
        name = f"{to_hex(contribution_id)}.json"
        path = next(iter(sorted((self.folder / OPENINGS_DIR).glob(f"*/{name}"))), None)
        return None if path is None else self._read(path)

    def __iter__(self) -> Iterator[OpeningFile]:
        """Every kept opening; a file that is not one raises OpeningFormatError naming it."""
        for path in sorted((self.folder / OPENINGS_DIR).glob("*/*.json")):
            yield self._read(path)

    def _read(self, path: Path) -> OpeningFile:
        try:
            opening = parse_opening(path.read_bytes())
        except OpeningError as exc:
            raise type(exc)(f"{path}: {exc}") from exc
        if self.path_of(opening) != path:
            # A file moved or written by hand: its name would find the wrong contribution.
            raise OpeningFormatError(f"{path}: holds the opening of another contribution")
        return opening

    def import_file(self, data: bytes) -> OpeningFile:
        """Check an opening file made elsewhere and keep it."""
        opening = parse_opening(data)
        self.keep(opening)
        return opening

    def restore_sealed(self, data: bytes, passphrase: str) -> list[OpeningFile]:
        """Keep every opening of a sealed backup; return them. Openings already kept stay."""
        openings = unseal_openings(data, passphrase)
        for opening in openings:
            self.keep(opening)
        return openings

    def export_sealed(self, passphrase: str, *, params: ScryptParams | None = None) -> bytes:
        """All kept openings as one sealed file (`ledger.openings.sealed`)."""
        openings = list(self)
        if not openings:
            raise OpeningFormatError(f"no openings kept in {self.folder}")
        return seal_openings(openings, passphrase, params=params)
