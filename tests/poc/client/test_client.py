"""The Python client against the real API app on anvil: every partner action signed with the
partner's own key (non-custodial), the custodial path, refusals of tampered typed data before
anything is signed, and API errors as `ApiRefusalError` with their stable code."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from api.schemas.batches import BatchFields
from ledger.domain.codec import to_hex
from ledger.domain.hashing import sha256_bytes
from ledger.domain.values import checksum
from ledger.errors import (
    ApiRefusalError,
    ApiUnreachableError,
    ConfigurationError,
    KeyLoadError,
    OpeningConflictError,
    OperationFailedError,
    PreparedDataMismatchError,
)
from ledger.evidence.verifier import verify_document
from ledger.openings.keeper import OpeningKeeper
from ledger.openings.secret import ProofSecret
from poc.client import LocalKeySigner, PartnerClient, TrustedDeployment
from poc.client.files import (
    CardText,
    collect_files,
    hash_files,
    leaf_fields,
    prepare_openings,
    registration_fields,
)
from tests.api.flows import api_contribution, api_project, write
from tests.api.support import Consortium, Member
from tests.databases import SQLITE
from tests.poc.client.conftest import PASSWORD, keystore_of

# The client speaks HTTP: which database the API's store runs on is the API suite's matter.
pytestmark = [pytest.mark.anvil, pytest.mark.databases(SQLITE)]

DAY = 24 * 3600
ETH = "0x0000000000000000000000000000000000000000"


def _signing_client(consortium: Consortium, member: Member, tmp_path: Path) -> PartnerClient:
    signer = LocalKeySigner.from_keystore(keystore_of(member, tmp_path), PASSWORD)
    return PartnerClient("http://testserver", member.key, signer=signer, http=consortium.client)


def _files(folder: Path, count: int, prefix: str = "note") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"{prefix}-{i:04d}.txt").write_text(f"{prefix} {i}: lab notebook page\n")
    return folder


def _prepared(
    client: PartnerClient, target: Path, project_id: int, keeper: OpeningKeeper, **card: Any
) -> list[Any]:
    files = collect_files(target)
    deployment = client.deployment()
    return prepare_openings(
        files,
        hash_files(files),
        keeper=keeper,
        secret=SECRET,
        chain_id=deployment.chain_id,
        ledger=deployment.contracts["PocLedger"],
        project_id=project_id,
        contributor=client.partner(),
        text=CardText(**card),
    )


SECRET = ProofSecret(bytes(range(32)))


def test_client_drives_every_partner_action_non_custodially(
    consortium: Consortium, tmp_path: Path
) -> None:
    coord, b, c = consortium.partners
    project_id = api_project(consortium)
    as_b = _signing_client(consortium, b, tmp_path)
    as_c = _signing_client(consortium, c, tmp_path)
    as_coord = _signing_client(consortium, coord, tmp_path)
    keeper = OpeningKeeper(tmp_path / "openings")

    # register one file, with its card; the opening is kept before anything is sent
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4 retting trial, 40 hours")
    [single] = _prepared(as_b, report, project_id, keeper, title="Retting trial v2")
    assert single.opening_path.is_file()
    op = as_b.register(
        project_id, registration_fields(single, origin="result", category=0, value=40)
    )
    assert (op.status, op.kind, op.resource_id) == ("confirmed", "register", single.contribution_id)
    consortium.sync()
    read = as_b.contribution(single.contribution_id)
    assert read.contributor == b.address and read.card.card is not None
    assert read.card.card["title"] == "Retting trial v2"
    assert read.card_hash == single.card.hash_hex()

    # a folder as one Merkle batch, then revealed
    folder = _files(tmp_path / "batch", 3)
    batch = _prepared(as_b, folder, project_id, keeper, title="Notebook")
    fields = BatchFields.model_validate(
        {"items": [leaf_fields(p, origin="result", category=0, value=1) for p in batch]}
    )
    anchored = as_b.anchor_batch(project_id, fields)
    assert anchored.kind == "anchor_batch" and anchored.resource_id is not None
    revealed = as_b.reveal(anchored.resource_id)
    assert [r.status for r in revealed] == ["confirmed"] * 3
    consortium.sync()
    mine = {x.contribution_id for x in as_b.contributions(project_id, contributor=b.address)}
    assert mine == {single.contribution_id, *(p.contribution_id for p in batch)}

    # endorse, dispute, vote: each signed by the partner's own key
    op = as_c.endorse(single.contribution_id, 4)
    assert op.kind == "endorse" and op.status == "confirmed"
    disputed = batch[0].contribution_id
    op = as_c.dispute(disputed, "The same page was published by Lab Gent in 2019.")
    assert op.kind == "open_dispute"
    consortium.sync()
    [dispute] = as_b.disputes(disputed)
    assert dispute.reason.reason is not None
    assert dispute.reason.reason["text"] == "The same page was published by Lab Gent in 2019."
    op = as_coord.vote(disputed, dispute.number, uphold=True)
    assert op.kind == "vote_dispute"
    consortium.sync()
    assert as_b.disputes(disputed)[0].outcome == "upheld"

    # prove: the bundle verifies with the original file; the certificate is a PDF
    bundle = as_b.bundle(
        single.contribution_id, content_hash=single.content_hash, salt=single.opening.salt
    )
    report_of = verify_document(
        json.loads(bundle), file=report.read_bytes(), w3=consortium.chain.w3
    )
    assert report_of.ok, report_of
    pdf = as_b.certificate(
        single.contribution_id,
        content_hash=single.content_hash,
        salt=single.opening.salt,
        language="nl",
    )
    assert "Retting trial v2" in "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages
    )

    # balance and release: a final split and revenue in; b releases to another address (a
    # signed ReleaseTo), then, after more revenue, to itself (relayed, no signature needed)
    write(
        consortium,
        coord,
        f"/v1/contributions/{batch[1].contribution_id}/endorsements",
        {"rating": 3},
    )
    consortium.chain.increase_time(8 * DAY)
    consortium.sync()
    proposed = write(consortium, b, f"/v1/projects/{project_id}/splits")
    proposal = int(str(proposed.get("resourceId", proposed.get("resource_id"))))
    write(consortium, coord, f"/v1/projects/{project_id}/splits/{proposal}/approvals")
    vault = consortium.client.app.state.services.chain.vault  # type: ignore[attr-defined]
    payer = consortium.chain.sender(consortium.outsider.account)
    vault.deposit(payer, project_id, 10_000)
    consortium.sync()
    [eth] = [t for t in as_b.balances(project_id).tokens if t.token == ETH]
    owed = {x.partner: int(x.amount) for x in eth.balances}
    assert owed[b.address] > 0 and eth.received == "10000"
    treasury = "0x" + "7e" * 20
    op = as_b.release(project_id, recipient=treasury)
    assert op.kind == "release" and op.status == "confirmed"
    assert consortium.chain.w3.eth.get_balance(checksum(treasury)) == owed[b.address]
    vault.deposit(payer, project_id, 10_000)
    consortium.sync()
    [eth] = [t for t in as_b.balances(project_id).tokens if t.token == ETH]
    assert {x.partner: int(x.amount) for x in eth.balances}[b.address] == owed[b.address]
    op = as_b.release(project_id)
    assert op.kind == "release" and op.status == "confirmed"
    [eth] = [t for t in as_b.balances(project_id).tokens if t.token == ETH]
    assert {x.partner: x.amount for x in eth.balances}[b.address] == "0"
    assert eth.released == str(2 * owed[b.address])


def test_client_refuses_a_prepared_domain_of_another_chain_before_signing(
    consortium: Consortium, tmp_path: Path
) -> None:
    project_id = api_project(consortium)
    b = consortium.partner_b
    honest = _signing_client(consortium, b, tmp_path)
    real = honest.deployment()
    signed: list[object] = []

    class Recording(LocalKeySigner):
        def sign_typed_data(self, data: Any) -> bytes:
            signed.append(data)
            return super().sign_typed_data(data)

    signer = Recording.from_keystore(keystore_of(b, tmp_path), PASSWORD)
    # The client trusts its deployment record: chain 1 (say the partner's record says so),
    # the server prepares for its own chain.
    elsewhere = TrustedDeployment(1, real.contracts)
    client = PartnerClient(
        "http://testserver", b.key, signer=signer, deployment=elsewhere, http=consortium.client
    )
    keeper = OpeningKeeper(tmp_path / "openings")
    report = tmp_path / "a.txt"
    report.write_text("a")
    [prepared] = _prepared(honest, report, project_id, keeper, title="A")
    with pytest.raises(PreparedDataMismatchError, match=r"domain\.chainId"):
        client.register(
            project_id, registration_fields(prepared, origin="result", category=0, value=1)
        )
    assert signed == []


def _typed(prepared: dict[str, Any]) -> dict[str, Any]:
    """The typed data of a `/prepare` answer (`typedData`; `typed_data` before the API's
    camelCase convention)."""
    typed: dict[str, Any] = prepared["typedData" if "typedData" in prepared else "typed_data"]
    return typed


class _Tampering(httpx.BaseTransport):
    """Passes requests to the app, and alters the typed data of every `/prepare` answer."""

    def __init__(self, inner: httpx.BaseTransport, alter: Any) -> None:
        self.inner, self.alter = inner, alter

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not request.url.path.endswith("/prepare"):
            return response
        response.read()
        body = json.loads(response.content)
        self.alter(body)
        return httpx.Response(response.status_code, json=body)


@pytest.mark.parametrize(
    ("field", "alter"),
    [
        (
            "domain.verifyingContract",
            lambda d: _typed(d)["domain"].update(verifyingContract="0x" + "11" * 20),
        ),
        ("message.value", lambda d: _typed(d)["message"].update(value=4_000)),
        (
            "message.commitment",
            lambda d: _typed(d)["message"].update(commitment="0x" + "22" * 32),
        ),
        ("message.signer", lambda d: _typed(d)["message"].update(signer="0x" + "33" * 20)),
        ("signed", lambda d: d.update(signer="0x" + "33" * 20)),
        ("digest", lambda d: d.update(digest="0x" + "44" * 32)),
        ("types", lambda d: _typed(d)["types"]["Register"].pop()),
    ],
)
def test_client_refuses_tampered_prepared_typed_data(
    consortium: Consortium, tmp_path: Path, field: str, alter: Any
) -> None:
    project_id = api_project(consortium)
    b = consortium.partner_b
    signer = LocalKeySigner.from_keystore(keystore_of(b, tmp_path), PASSWORD)
    transport = _Tampering(consortium.client._transport, alter)
    http = httpx.Client(base_url="http://testserver", transport=transport)
    client = PartnerClient("http://testserver", b.key, signer=signer, http=http)
    report = tmp_path / "b.txt"
    report.write_text("b")
    [prepared] = _prepared(client, report, project_id, OpeningKeeper(tmp_path / "o"), title="B")
    before = consortium.store.outbox.list_operations(actor=b.address, status=None, limit=50)
    with pytest.raises(PreparedDataMismatchError):
        client.register(
            project_id, registration_fields(prepared, origin="result", category=0, value=40)
        )
    after = consortium.store.outbox.list_operations(actor=b.address, status=None, limit=50)
    assert len(after) == len(before)  # nothing was posted


@pytest.mark.parametrize(
    ("action", "alter"),
    [
        # An operator swapping the key a partner vouches for: documents for it, the operator opens.
        (
            "publish_encryption_key",
            lambda d: _typed(d)["message"].update(publicKey="0x" + "55" * 32),
        ),
        # ... or the purpose of a request for access rights.
        ("request_access", lambda d: _typed(d)["message"].update(purpose=1)),
    ],
)
def test_client_refuses_tampered_exchange_typed_data(
    consortium: Consortium, tmp_path: Path, action: str, alter: Any
) -> None:
    project_id = api_project(consortium)
    a, b = consortium.coordinator, consortium.partner_b
    background = api_contribution(consortium, a, project_id, "background")
    signer = LocalKeySigner.from_keystore(keystore_of(b, tmp_path), PASSWORD)
    transport = _Tampering(consortium.client._transport, alter)
    http = httpx.Client(base_url="http://testserver", transport=transport)
    client = PartnerClient("http://testserver", b.key, signer=signer, http=http)
    before = consortium.store.outbox.list_operations(actor=b.address, status=None, limit=50)
    with pytest.raises(PreparedDataMismatchError, match="message"):
        if action == "publish_encryption_key":
            client.publish_encryption_key("0x" + "66" * 32)
        else:
            client.request_access(background, purpose="carrying_out_project", terms="royalty_free")
    after = consortium.store.outbox.list_operations(actor=b.address, status=None, limit=50)
    assert len(after) == len(before)  # nothing was posted


def test_client_custodial_registers_and_batches(consortium: Consortium, tmp_path: Path) -> None:
    project_id = api_project(consortium)
    c = consortium.partner_c
    client = PartnerClient("http://testserver", c.key, http=consortium.client)
    keeper = OpeningKeeper(tmp_path / "openings")
    folder = _files(tmp_path / "c", 2, "c")
    [first, second] = _prepared(client, folder, project_id, keeper)
    op = client.register(
        project_id, registration_fields(first, origin="background", category=1, value=3)
    )
    assert op.status == "confirmed" and op.resource_id == first.contribution_id
    # The same registration again is the same operation: nothing new on chain.
    again = client.register(
        project_id, registration_fields(first, origin="background", category=1, value=3)
    )
    assert again.id == op.id
    anchored = client.anchor_batch(
        project_id,
        BatchFields.model_validate(
            {"items": [leaf_fields(second, origin="result", category=0, value=1)]}
        ),
    )
    assert anchored.status == "confirmed" and anchored.resource_id


def test_client_raises_the_apis_code_and_message(consortium: Consortium, tmp_path: Path) -> None:
    project_id = api_project(consortium)
    b = consortium.partner_b
    client = PartnerClient("http://testserver", b.key, http=consortium.client)
    unknown = "0x" + "ab" * 32
    with pytest.raises(ApiRefusalError) as refused:
        client.endorse(unknown, 3)
    assert refused.value.code == "contribution_not_found" and refused.value.status == 404
    bad_key = PartnerClient("http://testserver", "poc_nope_nope", http=consortium.client)
    with pytest.raises(ApiRefusalError) as refused:
        bad_key.me()
    assert refused.value.status == 401 and refused.value.code in (
        "invalid_api_key",
        "missing_api_key",
    )
    # The contract's refusal of endorsing one's own contribution: the API's code for it.
    report = tmp_path / "own.txt"
    report.write_text("own")
    [own] = _prepared(client, report, project_id, OpeningKeeper(tmp_path / "o"), title="own")
    client.register(project_id, registration_fields(own, origin="result", category=0, value=1))
    consortium.sync()
    with pytest.raises((ApiRefusalError, OperationFailedError)) as own_refused:
        client.endorse(own.contribution_id, 5)
    assert own_refused.value.code == "self_endorsement"


def test_client_reports_an_api_that_does_not_answer() -> None:
    from poc.sandbox.anvil import free_port

    client = PartnerClient(f"http://127.0.0.1:{free_port()}", "poc_x_y", timeout=2)
    with pytest.raises(ApiUnreachableError) as down:
        client.me()
    assert down.value.code == "api_unreachable"


def test_client_refuses_a_key_of_another_partner(consortium: Consortium, tmp_path: Path) -> None:
    b, c = consortium.partner_b, consortium.partner_c
    signer = LocalKeySigner.from_keystore(keystore_of(c, tmp_path), PASSWORD)
    client = PartnerClient("http://testserver", b.key, signer=signer, http=consortium.client)
    with pytest.raises(ConfigurationError, match="acts for"):
        client.endorse("0x" + "ab" * 32, 3)


def test_keystore_with_a_wrong_password_is_refused(consortium: Consortium, tmp_path: Path) -> None:
    path = keystore_of(consortium.partner_b, tmp_path)
    with pytest.raises(KeyLoadError, match="wrong password"):
        LocalKeySigner.from_keystore(path, "not the password")
    assert to_hex(sha256_bytes(b"")) not in str(path)


def test_prepare_openings_keeps_one_card_per_file_and_refuses_another(
    consortium: Consortium, tmp_path: Path
) -> None:
    project_id = api_project(consortium)
    client = PartnerClient("http://testserver", consortium.partner_b.key, http=consortium.client)
    keeper = OpeningKeeper(tmp_path / "openings")
    report = tmp_path / "r.txt"
    report.write_text("r")
    [first] = _prepared(client, report, project_id, keeper, title="Retting", description="v1")
    # A second run (after a crash, say) derives the same salt and reuses the kept card's salt:
    # the same card hash, so the registration is the same request.
    [again] = _prepared(client, report, project_id, keeper, title="Retting", description="v1")
    assert again.opening == first.opening and again.card.hash() == first.card.hash()
    # Other words for a file whose opening is kept: refused, the kept opening untouched.
    kept = first.opening_path.read_bytes()
    with pytest.raises(OpeningConflictError, match="another card"):
        _prepared(client, report, project_id, keeper, title="Retting, corrected")
    assert first.opening_path.read_bytes() == kept
