"""The graduation download: one zip with the evidence pack (whose bundles `poc verify`
accepts), the sealed openings (only the owner's passphrase opens them), the policy, the
agreement and the guides."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from hashlib import sha256
from pathlib import Path

import pytest

from ledger.errors import OpeningError
from ledger.openings.sealed import unseal_openings
from poc.cli.main import main as cli_main
from tests.poc.hosting.support import Host, Joined

# The platform's life (not its storage) is tested here: on PostgreSQL, a hosted platform's
# database; test_cycle and test_isolation run on SQLite as well.
HOST_DATABASES = ("postgresql",)

PASSPHRASE = "flax fibre retting trial"


def _download(joined: Joined) -> zipfile.ZipFile:
    response = joined.client.post(
        "/hosted/graduation", json={"passphrase": PASSPHRASE}, headers=joined.session_headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_graduation_download_holds_pack_openings_policy_agreement_and_guides(
    host: Host, pair: tuple[Joined, Joined], tmp_path: Path
) -> None:
    a, _ = pair
    archive = _download(a)
    names = set(archive.namelist())
    assert {
        "evidence-pack.zip",
        "openings.sealed.json",
        "policy.json",
        "agreement/agreement.json",
        "GUIDE.en.md",
        "GUIDE.nl.md",
        "manifest.json",
    } <= names
    manifest = json.loads(archive.read("manifest.json"))
    for name, digest in manifest["files"].items():
        assert sha256(archive.read(name)).hexdigest() == digest, name
    runtime = host.platform.pool.get(a.slug)
    openings = unseal_openings(archive.read("openings.sealed.json"), PASSPHRASE)
    assert {"0x" + o.contribution_id.hex() for o in openings} == {
        c.contribution_id.lower() for c in runtime.seed.contributions
    }
    with pytest.raises(OpeningError):
        unseal_openings(archive.read("openings.sealed.json"), "not the passphrase")
    policy = json.loads(archive.read("policy.json"))
    assert policy["dispute_window"] == 30 * 24 * 3600 or "disputeWindow" in json.dumps(policy)
    guide = archive.read("GUIDE.nl.md").decode()
    assert "poc deploy" in guide and runtime.seed.ledger in guide


@pytest.mark.timeout(600)
def test_graduation_evidence_pack_verifies_with_poc_verify(
    pair: tuple[Joined, Joined], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, _ = pair
    archive = _download(a)
    pack = zipfile.ZipFile(io.BytesIO(archive.read("evidence-pack.zip")))
    bundles = [n for n in pack.namelist() if n.startswith("bundles/") and n.endswith(".json")]
    assert bundles, pack.namelist()
    for index, name in enumerate(bundles):
        path = tmp_path / Path(name).name
        path.write_bytes(pack.read(name))
        if index == 0:
            # The command itself, as the guide tells the SME to run it.
            result = subprocess.run(
                [sys.executable, "-m", "poc", "verify", str(path)],
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert result.returncode == 0, result.stdout + result.stderr
            assert "FAIL" not in result.stdout
            continue
        # The same command's code, without starting Python again for each bundle.
        assert cli_main(["verify", str(path)]) == 0, name
        assert "FAIL" not in capsys.readouterr().out


def test_graduation_needs_a_passphrase_of_twelve_characters(pair: tuple[Joined, Joined]) -> None:
    a, _ = pair
    short = a.client.post(
        "/hosted/graduation", json={"passphrase": "short"}, headers=a.session_headers
    )
    assert short.status_code == 422 and short.json()["code"] == "invalid_request"
