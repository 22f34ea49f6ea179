"""The folder that keeps a partner's openings and sealed proof secret on its own machine."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from ledger.domain.hashing import new_salt
from ledger.errors import (
    OpeningConflictError,
    OpeningError,
    OpeningFormatError,
    OpeningMismatchError,
    SealedFileError,
)
from ledger.openings.files import OpeningFile, make_opening, parse_opening
from ledger.openings.keeper import OpeningKeeper
from ledger.openings.salts import SaltDerivation
from ledger.openings.sealed import ScryptParams
from ledger.openings.secret import ProofSecret

FAST = ScryptParams(n=1 << 10)
PASSPHRASE = "lange vezels 2024"
LEDGER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def _prepare(
    keeper: OpeningKeeper, secret: ProofSecret, text: str, project_id: int = 1
) -> OpeningFile:
    return keeper.prepare(
        secret,
        chain_id=31337,
        ledger=LEDGER,
        project_id=project_id,
        contributor=ALICE,
        content_hash=hashlib.sha256(text.encode()).digest(),
        file_name=f"{text}.txt",
    )


def test_prepare_keeps_the_opening_before_anything_is_sent(tmp_path: Path) -> None:
    keeper = OpeningKeeper(tmp_path)
    secret = ProofSecret.generate()
    opening = _prepare(keeper, secret, "mould drawing")
    path = keeper.path_of(opening)
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert parse_opening(path.read_bytes()) == opening
    assert keeper.find(opening.contribution_id) == opening
    opening.check_derived_from(secret)
    # The same file again: the same opening, nothing new written.
    assert _prepare(keeper, secret, "mould drawing") == opening
    assert list(keeper) == [opening]
    assert not list(tmp_path.rglob("*.tmp"))


def test_another_opening_for_a_kept_contribution_is_refused(tmp_path: Path) -> None:
    keeper = OpeningKeeper(tmp_path)
    opening = _prepare(keeper, ProofSecret.generate(), "layup v1")
    forged = parse_opening(opening.to_bytes())
    path = keeper.path_of(forged)
    other = make_opening(
        chain_id=forged.chain_id,
        ledger=forged.ledger,
        project_id=forged.project_id,
        contributor=forged.contributor,
        content_hash=forged.content_hash,
        salt=new_salt(),
        derivation=SaltDerivation.RANDOM,
    )
    # Same id only if the commitment were the same: write the other one at this id's path by
    # hand, as a corrupted or hostile folder would have it.
    path.write_bytes(other.to_bytes())
    with pytest.raises(OpeningConflictError):
        keeper.keep(opening)
    with pytest.raises(OpeningFormatError, match="another contribution"):
        keeper.find(opening.contribution_id)


def test_import_checks_the_file_and_keeps_it(tmp_path: Path) -> None:
    source = OpeningKeeper(tmp_path / "laptop")
    opening = _prepare(source, ProofSecret.generate(), "retting data")
    target = OpeningKeeper(tmp_path / "desktop")
    assert target.import_file(opening.to_bytes()) == opening
    assert target.find(opening.contribution_id) == opening
    broken = opening.to_bytes().replace(opening.salt.hex().encode(), b"00" * 32)
    with pytest.raises(OpeningMismatchError):
        target.import_file(broken)


def test_sealed_export_restores_every_opening_elsewhere(tmp_path: Path) -> None:
    keeper = OpeningKeeper(tmp_path / "a")
    secret = ProofSecret.generate()
    openings = [_prepare(keeper, secret, f"file {i}", project_id=1 + i % 2) for i in range(5)]
    data = keeper.export_sealed(PASSPHRASE, params=FAST)
    restored = OpeningKeeper(tmp_path / "b")
    with pytest.raises(SealedFileError):
        restored.restore_sealed(data, "not the passphrase")
    assert sorted(o.contribution_id for o in restored.restore_sealed(data, PASSPHRASE)) == sorted(
        o.contribution_id for o in openings
    )
    assert sorted(restored, key=lambda o: o.contribution_id) == sorted(
        openings, key=lambda o: o.contribution_id
    )


def test_export_of_an_empty_keeper_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OpeningFormatError, match="no openings"):
        OpeningKeeper(tmp_path).export_sealed(PASSPHRASE, params=FAST)


def test_secret_is_kept_sealed_and_never_replaced_by_another(tmp_path: Path) -> None:
    keeper = OpeningKeeper(tmp_path)
    assert not keeper.has_secret()
    with pytest.raises(OpeningError, match="no proof secret"):
        keeper.load_secret(PASSPHRASE)
    secret = ProofSecret.generate()
    keeper.save_secret(secret, PASSPHRASE, params=FAST)
    assert secret.value.hex() not in keeper.secret_path.read_text()
    assert stat.S_IMODE(keeper.secret_path.stat().st_mode) == 0o600
    assert keeper.load_secret(PASSPHRASE) == secret
    keeper.save_secret(secret, PASSPHRASE, params=FAST)  # the same one again: fine
    with pytest.raises(OpeningConflictError, match=secret.secret_id):
        keeper.save_secret(ProofSecret.generate(), PASSPHRASE, params=FAST)
    with pytest.raises(SealedFileError):
        keeper.load_secret("wrong passphrase")
    assert keeper.load_secret(PASSPHRASE) == secret


def test_a_foreign_file_in_the_folder_is_named_when_listing(tmp_path: Path) -> None:
    keeper = OpeningKeeper(tmp_path)
    _prepare(keeper, ProofSecret.generate(), "one")
    stray = tmp_path / "openings" / "31337-0xabc" / "0xnot.json"
    stray.parent.mkdir(parents=True)
    stray.write_text("{}")
    with pytest.raises(OpeningFormatError, match=r"0xnot\.json"):
        list(keeper)
