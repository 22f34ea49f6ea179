"""The proof secrets the service keeps for partners who opt in: sealed at rest, one each."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from ledger.errors import OpeningConflictError, SealedFileError
from ledger.openings.custody import SecretCustody
from ledger.openings.sealed import ScryptParams
from ledger.openings.secret import ProofSecret

FAST = ScryptParams(n=1 << 10)
ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def test_custody_keeps_a_secret_sealed_under_its_password(tmp_path: Path) -> None:
    custody = SecretCustody(tmp_path, "service password", params=FAST)
    secret = ProofSecret.generate()
    assert custody.get(ALICE) is None
    assert custody.put(ALICE.lower(), secret) is True
    assert custody.put(ALICE, secret) is False
    path = tmp_path / f"{ALICE.lower()}.json"
    data = path.read_text()
    # At rest: neither the secret nor its words are readable.
    assert secret.value.hex() not in data and secret.words.split()[0] not in data.split('"')
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Another process with the password reads it; without it, nothing.
    assert SecretCustody(tmp_path, "service password").get(ALICE) == secret
    with pytest.raises(SealedFileError):
        SecretCustody(tmp_path, "another password").get(ALICE)


def test_custody_refuses_a_second_secret_for_a_partner_until_the_first_is_removed(
    tmp_path: Path,
) -> None:
    custody = SecretCustody(tmp_path, "service password", params=FAST)
    first, second = ProofSecret.generate(), ProofSecret.generate()
    custody.put(ALICE, first)
    with pytest.raises(OpeningConflictError, match=first.secret_id):
        custody.put(ALICE, second)
    assert custody.get(ALICE) == first
    assert custody.delete(ALICE) is True
    assert custody.delete(ALICE) is False
    assert custody.get(ALICE) is None
    assert not list(tmp_path.iterdir())
    assert custody.put(ALICE, second) is True
    assert SecretCustody(tmp_path, "service password").get(ALICE) == second


def test_custody_put_from_many_threads_keeps_one_secret(tmp_path: Path) -> None:
    custody = SecretCustody(tmp_path, "service password", params=FAST)
    secrets = [ProofSecret.generate() for _ in range(8)]
    outcomes: list[str] = []

    def put(secret: ProofSecret) -> None:
        try:
            outcomes.append("kept" if custody.put(ALICE, secret) else "same")
        except OpeningConflictError:
            outcomes.append("refused")

    threads = [threading.Thread(target=put, args=(s,)) for s in secrets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["kept"] + ["refused"] * 7
    assert SecretCustody(tmp_path, "service password").get(ALICE) in secrets
