"""`poc register` of a folder larger than the service takes in one request: a clear message,
nothing registered (the API's body limit made small)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.settings import ApiSettings
from ledger.openings.keeper import OpeningKeeper
from ledger.openings.sealed import ScryptParams
from ledger.openings.secret import ProofSecret
from poc.cli import main as cli
from tests.api.flows import api_project
from tests.api.support import Consortium, contract
from tests.poc.client.conftest import AppServer

pytestmark = pytest.mark.anvil


@pytest.fixture
def settings(tmp_path: Path) -> ApiSettings:
    return ApiSettings(
        data_dir=tmp_path,
        index_poll_interval=0.02,
        outbox_poll_interval=0.01,
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        max_in_flight_per_key=10_000,
        failed_auth_burst=10_000,
        keystore_scrypt_n=1 << 4,
        wait_timeout=20,
        max_body_bytes=20_000,
    )


@pytest.fixture
def served(consortium: Consortium) -> Iterator[str]:
    with AppServer(consortium.client.app) as server:  # type: ignore[arg-type]
        yield server.url


def test_register_folder_too_large_for_one_request_says_what_to_do(
    consortium: Consortium,
    served: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = api_project(consortium)
    for name in list(os.environ):
        if name.startswith("POC_"):
            monkeypatch.delenv(name)
    keeper = OpeningKeeper(tmp_path / "openings")
    keeper.save_secret(ProofSecret.generate(), "vlasvezel 2024", params=ScryptParams(n=1 << 4))
    monkeypatch.setenv("POC_OPENINGS_DIR", str(keeper.folder))
    monkeypatch.setenv("POC_PROOF_PASSPHRASE", "vlasvezel 2024")
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(200):
        (folder / f"sample-{i:03d}.csv").write_text(f"{i},flax\n")
    head = consortium.chain.block_number()
    b = consortium.partner_b
    status = cli.main(
        ["register", str(folder), "--project", str(project), "--api", served, "--api-key", b.key]
    )
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err, err
    assert "larger than this service accepts (payload_too_large)" in err
    assert "sub-folders one by one" in err
    ledger = contract(consortium.chain, consortium.record, "PocLedger")
    assert not ledger.events.BatchAnchored().get_logs(from_block=head + 1)
