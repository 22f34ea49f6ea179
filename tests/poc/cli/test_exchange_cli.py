"""`poc exchange` and `poc access` against the API app: the same flow as the pages, from the
command line, with the sealing and opening on the caller's side.

The commands reach the app through the test client's transport (no socket); the sandbox run of
the same flow is tests/e2e/test_exchange_flow.py.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from ledger.store.shared_documents import SharedDocumentRow
from poc.cli import exchange as cli_exchange
from poc.cli import main as cli
from tests.api.conftest import _deployed, client, consortium, deployed, settings, store  # noqa: F401
from tests.api.flows import api_contribution, api_project
from tests.api.support import Consortium, Member
from tests.poc.client.conftest import PASSWORD, keystore_of

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% fibre blend 70/30 at 180 C\n" * 40


@pytest.fixture
def as_member(client: TestClient) -> Iterator[dict[str, Member]]:  # noqa: F811
    """Which member the next command runs as: the factory gives it a client with its key."""
    current: dict[str, Member] = {}

    def factory(_: argparse.Namespace) -> httpx.Client:
        return httpx.Client(
            transport=client._transport,
            base_url=str(client.base_url),
            headers={"X-API-Key": current["member"].key},
        )

    cli_exchange.CLIENT_FACTORY[0] = factory
    try:
        yield current
    finally:
        cli_exchange.CLIENT_FACTORY[0] = cli_exchange._client


def _run(current: dict[str, Member], member: Member, *argv: str) -> int:
    current["member"] = member
    return cli.main(list(argv))


def test_share_open_acknowledge_and_access_rights_from_the_command_line(
    consortium: Consortium,  # noqa: F811
    as_member: dict[str, Member],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b = consortium.coordinator, consortium.partner_b
    project_id = api_project(consortium)
    background = api_contribution(consortium, a, project_id, "background")
    key_file = tmp_path / "b.key"
    assert _run(as_member, b, "exchange", "keygen", "--key-file", str(key_file)) == 0
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert _run(as_member, b, "exchange", "publish-key", "--key-file", str(key_file)) == 0
    consortium.sync()

    original = tmp_path / "blend.pdf"
    original.write_bytes(PDF)
    capsys.readouterr()
    assert (
        _run(
            as_member,
            a,
            "exchange",
            "share",
            str(original),
            "--project",
            str(project_id),
            "--to",
            b.address,
            "--contribution",
            background,
            "--media-type",
            "application/pdf",
        )
        == 0
    )
    shared = json.loads(capsys.readouterr().out)
    consortium.sync()

    assert _run(as_member, b, "exchange", "inbox") == 0
    assert f"{shared['disclosureId']}  from {a.address}  pending" in capsys.readouterr().out
    out = tmp_path / "received"
    opened = _run(
        as_member,
        b,
        "exchange",
        "open",
        shared["disclosureId"],
        "--key-file",
        str(key_file),
        "--out",
        str(out),
        "--acknowledge",
    )
    assert opened == 0
    assert (out / "blend.pdf").read_bytes() == PDF
    consortium.sync()
    receipts = consortium.client.get(
        f"/v1/disclosures/{shared['disclosureId']}", headers=a.headers
    ).json()["receipts"]
    assert [(r["recipient"], r["status"]) for r in receipts] == [(b.address, "acknowledged")]

    terms = tmp_path / "terms.txt"
    terms.write_text("Royalty-free access for carrying out the project.\n")
    assert (
        _run(
            as_member,
            b,
            "access",
            "request",
            background,
            "--purpose",
            "carrying-out-project",
            "--terms",
            "royalty-free",
            "--terms-file",
            str(terms),
        )
        == 0
    )
    consortium.sync()
    request_id = consortium.client.get("/v1/inbox", headers=a.headers).json()["requestsToAnswer"][
        0
    ]["requestId"]
    grant = ("access", "grant", str(request_id), "--terms", "royalty-free")
    assert _run(as_member, a, *grant, "--terms-file", str(terms)) == 0
    consortium.sync()
    capsys.readouterr()
    assert _run(as_member, b, "access", "list", "--project", str(project_id), "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["requester"], r["status"]) for r in listed] == [(b.address, "granted")]


def test_open_refuses_a_tampered_document_and_acknowledges_nothing(
    consortium: Consortium,  # noqa: F811
    as_member: dict[str, Member],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b = consortium.coordinator, consortium.partner_b
    project_id = api_project(consortium)
    key_file = tmp_path / "b.key"
    _run(as_member, b, "exchange", "keygen", "--key-file", str(key_file))
    _run(as_member, b, "exchange", "publish-key", "--key-file", str(key_file))
    consortium.sync()
    original = tmp_path / "plans.pdf"
    original.write_bytes(PDF)
    capsys.readouterr()
    share = ("exchange", "share", str(original), "--project", str(project_id))
    assert _run(as_member, a, *share, "--to", b.address) == 0
    disclosure_id = json.loads(capsys.readouterr().out)["disclosureId"]
    consortium.sync()
    # A malicious operator flips a byte of the stored ciphertext and the checksum beside it.
    stored = consortium.store.shared.files_dir / f"{disclosure_id}.pocx"
    data = bytearray(stored.read_bytes())
    data[100] ^= 0x01
    stored.write_bytes(bytes(data))
    import hashlib

    with consortium.store._durable_db.transaction() as session:
        session.execute(
            update(SharedDocumentRow)
            .where(SharedDocumentRow.disclosure_id == disclosure_id)
            .values(sealed_sha256=hashlib.sha256(bytes(data)).hexdigest())
        )
    out = tmp_path / "received"
    opened = _run(
        as_member,
        b,
        "exchange",
        "open",
        disclosure_id,
        "--key-file",
        str(key_file),
        "--out",
        str(out),
        "--acknowledge",
    )
    assert opened == 1
    assert "REFUSED" in capsys.readouterr().err
    assert list(out.iterdir()) == []
    consortium.sync()
    receipts = consortium.client.get(f"/v1/disclosures/{disclosure_id}", headers=a.headers).json()
    assert receipts["receipts"][0]["status"] == "pending"


def test_share_refuses_recipients_publishing_the_same_key(
    consortium: Consortium,  # noqa: F811
    as_member: dict[str, Member],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b, c = consortium.coordinator, consortium.partner_b, consortium.partner_c
    project_id = api_project(consortium)
    key_file = tmp_path / "b.key"
    _run(as_member, b, "exchange", "keygen", "--key-file", str(key_file))
    # C publishes B's public key as its own: what C would receive, B could open.
    _run(as_member, b, "exchange", "publish-key", "--key-file", str(key_file))
    _run(as_member, c, "exchange", "publish-key", "--key-file", str(key_file))
    consortium.sync()
    original = tmp_path / "plans.pdf"
    original.write_bytes(PDF)
    capsys.readouterr()
    share = ("exchange", "share", str(original), "--project", str(project_id))
    assert _run(as_member, a, *share, "--to", b.address, "--to", c.address) == 1
    assert "publish the same encryption key" in capsys.readouterr().err
    assert (
        consortium.client.get(f"/v1/projects/{project_id}/disclosures", headers=a.headers).json()
        == []
    )


def test_every_exchange_write_signed_on_the_partners_machine(
    consortium: Consortium,  # noqa: F811
    as_member: dict[str, Member],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With `--keystore`, each write is signed here: the service, holding no partner's key
    after the set-up, refuses the same command without one (`not_custodial`)."""
    from api.services.custody import Custody

    a, b = consortium.coordinator, consortium.partner_b
    project_id = api_project(consortium)
    background = api_contribution(consortium, a, project_id, "background")
    services = consortium.client.app.state.services  # type: ignore[attr-defined]
    services.custody = Custody(tmp_path / "no-keys", "another password")
    password = tmp_path / "password.txt"
    password.write_text(PASSWORD + "\n")

    def own(member: Member) -> list[str]:
        keystore = keystore_of(member, tmp_path)
        return ["--keystore", str(keystore), "--password-file", str(password)]

    key_file = tmp_path / "b.key"
    assert _run(as_member, b, "exchange", "keygen", "--key-file", str(key_file)) == 0
    publish = ("exchange", "publish-key", "--key-file", str(key_file))
    capsys.readouterr()
    assert _run(as_member, b, *publish) == 1
    assert "not_custodial" in capsys.readouterr().err
    assert _run(as_member, b, *publish, *own(b)) == 0
    consortium.sync()

    def share(name: str) -> str:
        original = tmp_path / name
        original.write_bytes(PDF + name.encode())
        capsys.readouterr()
        command = ("exchange", "share", str(original), "--project", str(project_id))
        assert _run(as_member, a, *command, "--to", b.address, *own(a)) == 0
        consortium.sync()
        disclosure_id: str = json.loads(capsys.readouterr().out)["disclosureId"]
        return disclosure_id

    def receipt(disclosure_id: str) -> str:
        found = consortium.client.get(f"/v1/disclosures/{disclosure_id}", headers=a.headers)
        status: str = found.json()["receipts"][0]["status"]
        return status

    opened = share("blend.pdf")
    out = tmp_path / "received"
    command = ("exchange", "open", opened, "--key-file", str(key_file), "--out", str(out))
    assert _run(as_member, b, *command, "--acknowledge", *own(b)) == 0
    consortium.sync()
    assert receipt(opened) == "acknowledged"

    declined = share("draft.pdf")
    assert _run(as_member, b, "exchange", "decline", declined, "--reason", "not ours", *own(b)) == 0
    consortium.sync()
    assert receipt(declined) == "declined"

    terms = tmp_path / "terms.txt"
    terms.write_text("Royalty-free access for carrying out the project.\n")

    def request(purpose: str) -> int:
        capsys.readouterr()
        command = ("access", "request", background, "--purpose", purpose, "--terms")
        assert _run(as_member, b, *command, "royalty-free", *own(b)) == 0
        consortium.sync()
        sent = re.fullmatch(r"request #(\d+) sent\n", capsys.readouterr().out)
        assert sent is not None
        return int(sent.group(1))

    def status(request_id: int) -> str:
        found = consortium.client.get(f"/v1/access-requests/{request_id}", headers=a.headers)
        answer: str = found.json()["status"]
        return answer

    granted = request("carrying-out-project")
    grant = ("access", "grant", str(granted), "--terms", "royalty-free", "--terms-file", str(terms))
    assert _run(as_member, a, *grant, *own(a)) == 0
    consortium.sync()
    assert status(granted) == "granted"

    refused = request("exploiting-own-results")
    capsys.readouterr()
    refuse = ("access", "refuse", str(refused), "--reason", "exclusive licence elsewhere")
    assert _run(as_member, a, *refuse, *own(a)) == 0
    kept = json.loads(capsys.readouterr().out)
    consortium.sync()
    assert status(refused) == "refused"
    found = consortium.client.get(f"/v1/access-requests/{refused}", headers=a.headers).json()
    assert found["reasonHash"] == kept["reasonHash"]

    withdrawn = request("carrying-out-project")
    assert _run(as_member, b, "access", "withdraw", str(withdrawn), *own(b)) == 0
    consortium.sync()
    assert status(withdrawn) == "withdrawn"
