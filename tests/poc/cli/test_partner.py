"""The partner commands (`poc register`, `contributions`, `endorse`, `dispute`, `vote`, `prove`,
`balance`, `release`) against the API served over HTTP by uvicorn, on anvil: a folder of 1,000
files as one batch with a progress bar, the non-custodial path with a keystore, and the error
paths a partner meets (wrong password, missing file, API down), each a clear message and a
non-zero exit without a traceback."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.domain.cards import ContributionCard
from ledger.domain.codec import to_hex
from ledger.domain.hashing import batch_id, commitment, sha256_bytes
from ledger.domain.merkle import MerkleTree
from ledger.domain.values import BatchLeaf, Origin
from ledger.openings.keeper import OpeningKeeper
from ledger.openings.sealed import ScryptParams
from ledger.openings.secret import ProofSecret
from poc.cli import main as cli
from poc.client import PartnerClient
from poc.sandbox.anvil import free_port
from tests.api.flows import api_contribution, api_project
from tests.api.support import Consortium, Member, contract
from tests.databases import SQLITE
from tests.poc.client.conftest import PASSWORD, AppServer, keystore_of

# The client speaks HTTP: which database the API's store runs on is the API suite's matter.
pytestmark = [pytest.mark.anvil, pytest.mark.databases(SQLITE)]

PASSPHRASE = "vlasvezel 2024"


@pytest.fixture
def served(consortium: Consortium) -> Iterator[str]:
    with AppServer(consortium.client.app) as server:  # type: ignore[arg-type]
        yield server.url


@pytest.fixture
def keeper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> OpeningKeeper:
    """A partner's machine: its openings folder with a proof secret, no POC_* settings."""
    for name in list(os.environ):
        if name.startswith("POC_"):
            monkeypatch.delenv(name)
    folder = tmp_path / "openings"
    monkeypatch.setenv("POC_OPENINGS_DIR", str(folder))
    monkeypatch.setenv("POC_PROOF_PASSPHRASE", PASSPHRASE)
    kept = OpeningKeeper(folder)
    kept.save_secret(ProofSecret.generate(), PASSPHRASE, params=ScryptParams(n=1 << 4))
    return kept


def _poc(url: str, member: Member, *args: str) -> int:
    return cli.main([*args, "--api", url, "--api-key", member.key])


def _reader(consortium: Consortium, member: Member) -> PartnerClient:
    """The Python client in process, to read what the commands did (typed answers)."""
    return PartnerClient("http://testserver", member.key, http=consortium.client)


def _signing(tmp_path: Path, member: Member) -> list[str]:
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD + "\n")
    return ["--keystore", str(keystore_of(member, tmp_path)), "--password-file", str(password_file)]


def test_register_folder_of_1000_files_anchors_one_batch_with_progress(
    consortium: Consortium,
    served: str,
    keeper: OpeningKeeper,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = api_project(consortium)
    b = consortium.partner_b
    folder = tmp_path / "notebook"
    for i in range(1000):
        sub = folder / f"week-{i // 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"page-{i:04d}.txt").write_text(f"page {i}: 12 g flax, 37 degrees\n")
    (folder / ".DS_Store").write_bytes(b"hidden: left out")
    head = consortium.chain.block_number()

    status = _poc(
        served,
        b,
        "register",
        str(folder),
        "--project",
        str(project),
        "--title",
        "Lab notebook",
        *_signing(tmp_path, b),
    )
    out, err = capsys.readouterr()
    assert status == 0, err
    # The progress bar, rendered (a terminal sees it move; a pipe gets its last frame).
    assert "Hashing" in err and "1000/1000 files" in err and "━" in err
    # Its bytes column counts the whole folder, to the end.
    done, whole = re.search(r"([\d.]+)/([\d.]+) kB", err).groups()  # type: ignore[union-attr]
    assert (
        done == whole
        and float(whole) * 1000 >= sum(f.stat().st_size for f in folder.rglob("page-*.txt")) * 0.99
    )

    ledger = contract(consortium.chain, consortium.record, "PocLedger")
    [anchored] = ledger.events.BatchAnchored().get_logs(from_block=head + 1)
    assert anchored["args"]["count"] == 1000
    assert anchored["args"]["contributor"] == b.address
    openings = [o for o in keeper if o.project_id == project]
    assert len(openings) == 1000
    assert all(o.contributor == b.address and o.card is not None for o in openings)
    titles = {o.card.title for o in openings if o.card is not None}
    assert "Lab notebook: week-03/page-0342.txt" in titles
    # The root the partner signed is the root of the kept openings' leaves, file order.
    by_name = sorted(openings, key=lambda o: o.card.title if o.card is not None else "")
    leaves = [
        BatchLeaf(o.commitment, Origin.RESULT, 0, 1, (), o.card.hash() if o.card else bytes(32))
        for o in by_name
    ]
    root = MerkleTree.of(leaves).root
    assert bytes(anchored["args"]["root"]) == root
    assert to_hex(batch_id(project, b.address, root)) in out

    # Again: every file is already registered, nothing is signed or sent.
    status = _poc(
        served, b, "register", str(folder), "--project", str(project), "--title", "Lab notebook"
    )
    out, err = capsys.readouterr()
    assert (
        status == 0
        and "already anchored" in out
        and to_hex(batch_id(project, b.address, root)) in out
    )
    assert not ledger.events.BatchAnchored().get_logs(from_block=anchored["blockNumber"] + 1)


def test_register_file_with_title_and_description_then_prove_it(
    consortium: Consortium,
    served: str,
    keeper: OpeningKeeper,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = api_project(consortium)
    b = consortium.partner_b
    parent = api_contribution(consortium, b, project, "parent")
    report = tmp_path / "proefverslag.pdf"
    report.write_bytes(b"%PDF-1.4 a report that never leaves this machine")
    registering = [
        "register",
        str(report),
        "--project",
        str(project),
        "--title",
        "Proefverslag roting",
        "--description",
        "Verslag van de proefreeks.",
        "--keyword",
        "vlas",
        "--parent",
        parent,
        "--parent-note",
        "gebruikt de oude parameters",
    ]
    status = _poc(served, b, *registering)
    out, err = capsys.readouterr()
    assert status == 0, err
    [opening] = [o for o in keeper if o.project_id == project]
    cid = to_hex(opening.contribution_id)
    assert f"contribution {cid}" in out
    consortium.sync()
    read = _reader(consortium, b).contribution(cid)
    card = read.card.card
    assert card is not None
    assert (card["title"], card["description"]) == (
        "Proefverslag roting",
        "Verslag van de proefreeks.",
    )
    assert card["file"] == {
        "mediaType": "application/pdf",
        "name": "proefverslag.pdf",
        "size": report.stat().st_size,
    }
    assert card["parents"] == [{"contributionId": parent, "note": "gebruikt de oude parameters"}]
    assert opening.card is not None and opening.card.to_json() == card
    assert read.card_hash == ContributionCard.from_json(card).hash_hex()
    # The file's bytes were never sent; its derived opening opens the commitment on chain.
    assert opening.content_hash == sha256_bytes(report.read_bytes())
    assert read.commitment == to_hex(
        commitment(b.address, project, opening.content_hash, opening.salt)
    )

    # Registering the same file again: the same derived salt, "already registered".
    status = _poc(served, b, *registering)
    out, _ = capsys.readouterr()
    assert status == 0 and "already registered" in out and cid in out

    # `poc contributions` shows it by its title; `poc prove` writes bundle and certificate.
    assert _poc(served, b, "contributions", "--project", str(project), "--mine") == 0
    out, err = capsys.readouterr()
    assert "2 contribution(s)" in err
    header, *rows = [line.split("\t") for line in out.splitlines()]
    assert header[:3] == ["id", "contributor", "title"]
    assert [cid, b.address, "Proefverslag roting"] in [row[:3] for row in rows]
    # Another partner of the project reads it, card included.
    assert _poc(served, consortium.partner_c, "contribution", cid) == 0
    out, _ = capsys.readouterr()
    assert "Proefverslag roting" in out and "Verslag van de proefreeks." in out
    assert f"{'builds on':<14}{parent}" in out and f"{'contributor':<14}{b.address}" in out
    proofs = tmp_path / "proofs"
    assert _poc(served, b, "prove", str(report), "--out", str(proofs), "--language", "nl") == 0
    bundle = proofs / "proefverslag.pdf.proof.json"
    assert json.loads(bundle.read_text())["contribution"]["contributionId"] == cid
    assert (proofs / "proefverslag.pdf.certificate-nl.pdf").read_bytes().startswith(b"%PDF")
    assert cli.main(["verify", str(bundle), "--file", str(report)]) == 0


def test_endorse_dispute_vote_balance_release_from_the_command_line(
    consortium: Consortium,
    served: str,
    keeper: OpeningKeeper,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    coord, b, c = consortium.partners
    project = api_project(consortium)
    endorsed = api_contribution(consortium, b, project, "endorsed")
    disputed = api_contribution(consortium, b, project, "disputed")

    assert _poc(served, c, "endorse", endorsed, "--rating", "4", *_signing(tmp_path, c)) == 0
    assert "endorse confirmed" in capsys.readouterr().out
    reason = tmp_path / "reason.txt"
    reason.write_text("Gepubliceerd door Lab Gent in 2019.", encoding="utf-8")
    assert _poc(served, c, "dispute", disputed, "--reason-file", str(reason)) == 0
    assert "open_dispute confirmed" in capsys.readouterr().out
    consortium.sync()
    assert _poc(served, coord, "vote", disputed, "--uphold", *_signing(tmp_path, coord)) == 0
    assert "voted uphold on dispute 1" in capsys.readouterr().out
    consortium.sync()
    [dispute] = _reader(consortium, b).disputes(disputed)
    assert dispute.outcome == "upheld" and dispute.reason.reason is not None
    assert dispute.reason.reason["text"] == "Gepubliceerd door Lab Gent in 2019."

    assert _poc(served, b, "balance", "--project", str(project)) == 0
    out = capsys.readouterr().out
    assert "ETH (wei)" in out and "yours to release" in out
    # Nothing to release yet: the API's refusal, its code, exit 1, no traceback.
    assert _poc(served, b, "release", "--project", str(project)) == 1
    err = capsys.readouterr().err
    assert err.startswith("poc release: error: ") and "Traceback" not in err
    assert "nothing_to_release" in err, err


def test_register_with_a_wrong_keystore_password_fails_cleanly(
    consortium: Consortium,
    served: str,
    keeper: OpeningKeeper,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    b = consortium.partner_b
    report = tmp_path / "a.txt"
    report.write_text("a")
    monkeypatch.setenv("POC_KEYSTORE_PASSWORD", "not the password")
    status = _poc(
        served,
        b,
        "register",
        str(report),
        "--project",
        "1",
        "--keystore",
        str(keystore_of(b, tmp_path)),
    )
    err = capsys.readouterr().err
    assert status == 1 and "wrong password" in err and "Traceback" not in err
    assert list(keeper) == []


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda tmp: tmp / "missing.pdf", "no such file or folder"),
        (lambda tmp: (tmp / "empty").mkdir() or tmp / "empty", "holds no files"),
        (
            lambda tmp: (
                (tmp / "broken").mkdir()
                or (tmp / "broken" / "gone.pdf").symlink_to(tmp / "nowhere")
                or tmp / "broken"
            ),
            "cannot be read, nothing was registered",
        ),
    ],
    ids=["missing-file", "empty-folder", "unreadable-file"],
)
def test_register_refuses_what_it_cannot_read(
    consortium: Consortium,
    served: str,
    keeper: OpeningKeeper,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: object,
    expected: str,
) -> None:
    target = make(tmp_path)  # type: ignore[operator]
    status = _poc(served, consortium.partner_b, "register", str(target), "--project", "1")
    err = capsys.readouterr().err
    assert status == 1 and expected in err and "Traceback" not in err, err
    assert list(keeper) == []


def test_commands_report_an_api_that_is_down(
    consortium: Consortium,
    keeper: OpeningKeeper,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    b = consortium.partner_b
    for command in (
        ["contributions", "--project", "1"],
        ["endorse", "0x" + "ab" * 32, "--rating", "3"],
        ["balance", "--project", "1"],
    ):
        assert _poc(down, b, *command) == 1
        err = capsys.readouterr().err
        assert "cannot reach the poc-ledger API" in err and "Traceback" not in err, err


def test_commands_need_an_api_key(
    keeper: OpeningKeeper, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["contributions", "--project", "1"]) == 1
    assert "no API key" in capsys.readouterr().err


def test_register_signing_for_another_deployment_is_refused_before_signing(
    consortium: Consortium,
    served: str,
    keeper: OpeningKeeper,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The partner's deployment record names another ledger contract than the one the service
    # prepares signatures for: the command refuses, nothing is signed or sent.
    project = api_project(consortium)
    b = consortium.partner_b
    record = consortium.record.to_json_dict()
    record["contracts"]["PocLedger"]["address"] = "0x" + "12" * 20
    pinned = tmp_path / "deployment.json"
    pinned.write_text(json.dumps(record))
    report = tmp_path / "r.txt"
    report.write_text("r")
    head = consortium.chain.block_number()
    status = _poc(
        served,
        b,
        "register",
        str(report),
        "--project",
        str(project),
        "--deployment",
        str(pinned),
        *_signing(tmp_path, b),
    )
    err = capsys.readouterr().err
    assert status == 1 and "domain.verifyingContract" in err and "Traceback" not in err, err
    assert "prepared_data_mismatch" in err
    consortium.sync()
    assert consortium.chain.block_number() == head
