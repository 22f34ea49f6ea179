"""`poc openings`: the partner's proof secret and openings on its own machine, as a partner
(or `poc register`) uses them: create, derive before registering, back up, restore elsewhere."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from ledger.domain.hashing import sha256_file
from ledger.openings.files import parse_opening
from ledger.openings.keeper import OpeningKeeper
from ledger.openings.salts import derive_salt
from ledger.openings.secret import ProofSecret
from poc.cli import main as cli
from poc.cli.proofs import read_openings

PASSPHRASE = "vlasvezel 2024"
LEDGER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("POC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("POC_PROOF_PASSPHRASE", PASSPHRASE)


def _poc(*args: str) -> int:
    return cli.main(["openings", *args])


def _derive(folder: Path, file: Path, project: int = 1) -> int:
    return _poc(
        "derive", str(file), "--dir", str(folder), "--chain-id", "31337",
        "--ledger", LEDGER, "--project", str(project), "--contributor", ALICE,
    )  # fmt: skip


def _words(output: str) -> str:
    return " ".join(re.findall(r"\d+\. (\w+)", output))


def test_new_secret_derive_back_up_and_restore_on_another_machine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    laptop, desktop = tmp_path / "laptop", tmp_path / "desktop"
    design = tmp_path / "frame-layup.step"
    design.write_bytes(b"layup v1\n" * 1000)
    assert _poc("new-secret", "--dir", str(laptop)) == 0
    sheet = capsys.readouterr().out
    words = _words(sheet)
    assert len(words.split()) == 24
    secret = ProofSecret.from_words(words)
    assert secret.secret_id in sheet
    # A second secret in the same folder is refused: openings derive from the first.
    assert _poc("new-secret", "--dir", str(laptop)) == 1
    assert "already holds a proof secret" in capsys.readouterr().err

    assert _derive(laptop, design) == 0
    printed = capsys.readouterr()
    opening = parse_opening(printed.out)
    assert opening.salt == derive_salt(
        secret, chain_id=31337, ledger=LEDGER, project_id=1, content_hash=sha256_file(design)
    )
    assert opening.file_name == "frame-layup.step"
    assert OpeningKeeper(laptop).find(opening.contribution_id) == opening
    # Derived again: the same opening (what makes a second registration visible).
    assert _derive(laptop, design) == 0
    assert parse_opening(capsys.readouterr().out) == opening

    backup = tmp_path / "backup.json"
    assert _poc("export", str(backup), "--dir", str(laptop)) == 0
    assert "1 opening(s), encrypted" in capsys.readouterr().out
    assert opening.salt.hex() not in backup.read_text()

    # Another machine: the words give the secret back, the backup the openings.
    words_file = tmp_path / "sheet.txt"
    words_file.write_text(words.upper().replace(" ", "\n"))
    assert _poc("restore-secret", "--dir", str(desktop), "--words-file", str(words_file)) == 0
    assert secret.secret_id in capsys.readouterr().out
    assert _poc("import", str(backup), "--dir", str(desktop)) == 0
    capsys.readouterr()
    assert list(OpeningKeeper(desktop)) == [opening]
    assert _derive(desktop, design) == 0
    assert parse_opening(capsys.readouterr().out) == opening
    assert _poc("list", "--dir", str(desktop)) == 0
    listed = capsys.readouterr().out
    assert f"0x{opening.contribution_id.hex()}" in listed and "derived v1" in listed
    assert _poc("show-secret", "--dir", str(desktop)) == 0
    assert _words(capsys.readouterr().out) == words
    # `poc export --openings` reads the folder, or one opening file, as it reads its own map.
    single = tmp_path / "opening.json"
    single.write_bytes(opening.to_bytes())
    for source in (desktop, single):
        read = read_openings(source)
        assert list(read) == [opening.contribution_id]
        assert (read[opening.contribution_id].content_hash, read[opening.contribution_id].salt) == (
            opening.content_hash,
            opening.salt,
        )


def test_wrong_passphrase_and_wrong_words_are_refused_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "keys"
    assert _poc("new-secret", "--dir", str(folder)) == 0
    words = _words(capsys.readouterr().out).split()
    monkeypatch.setenv("POC_PROOF_PASSPHRASE", "not the passphrase")
    assert _poc("show-secret", "--dir", str(folder)) == 1
    assert "passphrase is wrong" in capsys.readouterr().err
    words[4] = "vlas"
    words_file = tmp_path / "sheet.txt"
    words_file.write_text(" ".join(words))
    assert (
        _poc("restore-secret", "--dir", str(tmp_path / "other"), "--words-file", str(words_file))
        == 1
    )
    assert "word 5 ('vlas')" in capsys.readouterr().err


def test_import_refuses_an_opening_that_does_not_open_its_commitment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "keys"
    assert _poc("new-secret", "--dir", str(folder)) == 0
    capsys.readouterr()
    design = tmp_path / "a.txt"
    design.write_text("a")
    assert _derive(folder, design) == 0
    document = json.loads(capsys.readouterr().out)
    document["salt"] = "0x" + "00" * 32
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document))
    assert _poc("import", str(forged), "--dir", str(tmp_path / "elsewhere")) == 1
    assert "commitment" in capsys.readouterr().err
    assert not (tmp_path / "elsewhere" / "openings").exists()
