"""Knowledge exchange through the API: keys signed by the partner, a sealed document shared and
acknowledged, access rights asked and answered, and who may read what.

The partners' side (sealing, wrapping, opening, checking the commitment) runs here with
`ledger.exchange`, as `poc share` and the browser do; the service only ever sees sealed bytes
and wrapped keys, which the last test checks by reading every byte it stored.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ledger.chain.deploy import exchange_client_for
from ledger.domain import hashing
from ledger.domain.exchange import DAY, ExchangeSettings
from ledger.evidence.packs import check_manifest
from ledger.evidence.verifier import verify_document
from ledger.exchange import envelope
from tests.api.flows import (
    DOCUMENT,
    NAME,
    api_contribution,
    api_project,
    publish_encryption_key,
    share_document,
    write,
)
from tests.api.support import Consortium, Member
from tests.e2e.web_pages import launched_chromium
from tests.ledger.evidence.test_html_verifier import _failed, _verify_in_page


def _open_as(
    consortium: Consortium, member: Member, private: X25519PrivateKey, disclosure_id: str
) -> tuple[bytes, str]:
    """What a recipient's client does: fetch, unwrap, open, recompute the commitment."""
    client = consortium.client
    disclosure = client.get(f"/v1/disclosures/{disclosure_id}", headers=member.headers).json()
    sealed = client.get(f"/v1/disclosures/{disclosure_id}/document", headers=member.headers)
    assert sealed.status_code == 200, sealed.text
    wrapped = client.get(f"/v1/disclosures/{disclosure_id}/key", headers=member.headers)
    assert wrapped.status_code == 200, wrapped.text
    opened_envelope = envelope.unwrap_key(
        base64.b64decode(wrapped.json()["wrappedKey"]),
        private,
        disclosure_id=bytes.fromhex(disclosure_id[2:]),
        recipient=member.address,
    )
    sink = io.BytesIO()
    digest = envelope.open_stream(io.BytesIO(sealed.content), sink, opened_envelope.file_key)
    envelope.check_opened(
        opened_envelope,
        digest,
        sharer=disclosure["sharer"],
        project_id=disclosure["projectId"],
        content_commitment=bytes.fromhex(disclosure["contentCommitment"][2:]),
    )
    return sink.getvalue(), disclosure["contentCommitment"]


def test_share_open_and_acknowledge_through_the_api(consortium: Consortium) -> None:
    a, b, c = consortium.coordinator, consortium.partner_b, consortium.partner_c
    project_id = api_project(consortium)
    background = api_contribution(consortium, a, project_id, "background")
    b_key = publish_encryption_key(consortium, b)
    shared = share_document(consortium, a, project_id, [b], [background])

    inbox = consortium.client.get("/v1/inbox", headers=b.headers).json()
    assert [d["disclosureId"] for d in inbox["disclosures"]] == [shared.disclosure_id]
    assert inbox["disclosures"][0]["receipts"] == [
        {
            "recipient": b.address,
            "status": "pending",
            "reasonHash": None,
            "answeredBlock": None,
            "answeredTx": None,
        }
    ]
    assert consortium.client.get("/v1/inbox", headers=c.headers).json()["disclosures"] == []

    plaintext, checked = _open_as(consortium, b, b_key, shared.disclosure_id)
    assert plaintext == DOCUMENT
    op = write(
        consortium,
        b,
        f"/v1/disclosures/{shared.disclosure_id}/acknowledge",
        {"contentCommitment": checked},
    )
    assert op["kind"] == "acknowledge"
    seen_by_a = consortium.client.get(
        f"/v1/projects/{project_id}/disclosures", headers=a.headers
    ).json()
    assert seen_by_a[0]["receipts"][0]["status"] == "acknowledged"
    assert seen_by_a[0]["contributionIds"] == [background]
    assert seen_by_a[0]["documentStored"] is True
    # A second answer is refused before anything is signed.
    again = consortium.client.post(
        f"/v1/disclosures/{shared.disclosure_id}/decline", json={}, headers=b.headers
    )
    assert (again.status_code, again.json()["code"]) == (409, "disclosure_already_answered")


def test_wrapped_key_and_document_are_for_the_recipients_only(consortium: Consortium) -> None:
    a, b, c = consortium.coordinator, consortium.partner_b, consortium.partner_c
    project_id = api_project(consortium)
    publish_encryption_key(consortium, b)
    shared = share_document(consortium, a, project_id, [b])
    client = consortium.client
    url = f"/v1/disclosures/{shared.disclosure_id}"

    # A partner of the project that is no recipient: the record yes, key and document no.
    assert client.get(url, headers=c.headers).status_code == 200
    refused = client.get(f"{url}/key", headers=c.headers)
    assert (refused.status_code, refused.json()["code"]) == (404, "wrapped_key_not_found")
    refused = client.get(f"{url}/document", headers=c.headers)
    assert (refused.status_code, refused.json()["code"]) == (404, "disclosure_not_found")
    # The sharer holds no wrapped key of its own either.
    assert client.get(f"{url}/key", headers=a.headers).status_code == 404
    assert client.get(f"{url}/document", headers=a.headers).content == shared.sealed
    # Someone outside the project: as if nothing existed, same answer as an unknown id.
    unknown = "0x" + "ab" * 32
    for path in (url, f"{url}/document"):
        outside = client.get(path, headers=consortium.outsider.headers)
        missing = client.get(path.replace(shared.disclosure_id, unknown), headers=b.headers)
        assert outside.status_code == missing.status_code == 404
        assert outside.json()["code"] == missing.json()["code"] == "disclosure_not_found"
    outside = client.get(f"{url}/key", headers=consortium.outsider.headers)
    assert (outside.status_code, outside.json()["code"]) == (404, "wrapped_key_not_found")
    # An auditor reads the project's record once granted, never the document or a key.
    assert client.get(url, headers=consortium.auditor_headers).status_code == 404
    consortium.grant_auditor(project_id)
    assert client.get(url, headers=consortium.auditor_headers).status_code == 200
    assert client.get(f"{url}/document", headers=consortium.auditor_headers).status_code == 404
    assert client.get(f"{url}/key", headers=consortium.auditor_headers).status_code == 403
    # Only a recipient answers, and only for the commitment disclosed.
    by_c = client.post(
        f"{url}/acknowledge", json={"contentCommitment": shared.commitment}, headers=c.headers
    )
    assert (by_c.status_code, by_c.json()["code"]) == (404, "disclosure_not_found")
    wrong = client.post(
        f"{url}/acknowledge", json={"contentCommitment": "0x" + "11" * 32}, headers=b.headers
    )
    assert (wrong.status_code, wrong.json()["code"]) == (409, "content_mismatch")


def test_disclose_refuses_bad_uploads_recipients_and_keys(consortium: Consortium) -> None:
    a, b, c = consortium.coordinator, consortium.partner_b, consortium.partner_c
    project_id = api_project(consortium)
    publish_encryption_key(consortium, b)
    client = consortium.client
    commitment = "0x" + "42" * 32

    def put(data: bytes, member: Member = a, target: str = commitment) -> Any:
        return client.put(
            f"/v1/projects/{project_id}/documents/{target}", content=data, headers=member.headers
        )

    not_sealed = put(DOCUMENT)
    assert (not_sealed.status_code, not_sealed.json()["code"]) == (422, "invalid_sealed_document")
    sealed = envelope.seal_bytes(b"plans", envelope.new_file_key(), segment_log2=12)
    truncated = put(sealed[:-17])
    assert truncated.json()["code"] == "invalid_sealed_document"
    outsider = put(sealed, consortium.outsider)
    assert (outsider.status_code, outsider.json()["code"]) == (404, "project_not_found")
    assert put(sealed).status_code == 201
    assert put(sealed).status_code == 200  # the same bytes again
    other = put(envelope.seal_bytes(b"other", envelope.new_file_key(), segment_log2=12))
    assert (other.status_code, other.json()["code"]) == (409, "document_exists")

    wrapped = base64.b64encode(bytes(100)).decode()
    base = {"contentCommitment": commitment, "recipients": [b.address]}
    cases = [
        (
            {**base, "contentCommitment": "0x" + "43" * 32, "wrappedKeys": {b.address: wrapped}},
            409,
            "document_missing",
        ),
        ({**base, "wrappedKeys": {}}, 422, "wrapped_keys_mismatch"),
        (
            {**base, "wrappedKeys": {b.address: base64.b64encode(b"x" * 20).decode()}},
            422,
            "invalid_wrapped_key",
        ),
        (
            {**base, "recipients": [c.address], "wrappedKeys": {c.address: wrapped}},
            409,
            "no_encryption_key",
        ),
        (
            {**base, "recipients": [a.address], "wrappedKeys": {a.address: wrapped}},
            422,
            "self_disclosure",
        ),
        (
            {
                **base,
                "recipients": [consortium.outsider.address],
                "wrappedKeys": {consortium.outsider.address: wrapped},
            },
            422,
            "recipient_not_partner",
        ),
        (
            {**base, "recipients": [b.address, b.address], "wrappedKeys": {b.address: wrapped}},
            422,
            "duplicate_recipient",
        ),
    ]
    for body, status, code in cases:
        response = client.post(
            f"/v1/projects/{project_id}/disclosures", json=body, headers=a.headers
        )
        assert (response.status_code, response.json()["code"]) == (status, code), body
    assert (
        consortium.store.outbox.count() == 0 if hasattr(consortium.store.outbox, "count") else True
    )


def test_access_rights_requested_granted_refused_and_overdue(consortium: Consortium) -> None:
    a, b, c = consortium.coordinator, consortium.partner_b, consortium.partner_c
    project_id = api_project(consortium, accept=False)
    # Before the agreement is in force the coordinator sets a two-day answer period.
    exchange = exchange_client_for(consortium.chain, consortium.record)
    exchange.set_exchange_settings(
        consortium.chain.sender(a.account), project_id, ExchangeSettings(answer_period=2 * DAY)
    )
    for member in consortium.partners:
        write(consortium, member, f"/v1/projects/{project_id}/agreement/acceptances")
    background = api_contribution(consortium, a, project_id, "background")
    terms = "0x" + hashlib.sha256(b"royalty-free for the project").hexdigest()
    write(
        consortium,
        b,
        f"/v1/contributions/{background}/access-requests",
        {"purpose": "carrying_out_project", "terms": "royalty_free", "termsHash": terms},
    )
    write(
        consortium,
        c,
        f"/v1/contributions/{background}/access-requests",
        {"purpose": "exploiting_own_results", "terms": "fair_and_reasonable"},
    )
    client = consortium.client
    inbox = client.get("/v1/inbox", headers=a.headers).json()
    first, second = inbox["requestsToAnswer"]
    assert (first["requester"], first["status"], first["overdue"]) == (b.address, "open", False)
    assert client.get("/v1/inbox", headers=b.headers).json()["myRequests"] == [first]
    # Only the owner answers.
    by_b = client.post(
        f"/v1/access-requests/{second['requestId']}/grant",
        json={"terms": "royalty_free", "termsHash": terms},
        headers=b.headers,
    )
    assert (by_b.status_code, by_b.json()["code"]) == (403, "wrong_actor")
    own = client.post(
        f"/v1/contributions/{background}/access-requests",
        json={"purpose": "carrying_out_project", "terms": "royalty_free"},
        headers=a.headers,
    )
    assert (own.status_code, own.json()["code"]) == (422, "self_access_request")

    write(
        consortium,
        a,
        f"/v1/access-requests/{first['requestId']}/grant",
        {"terms": "royalty_free", "termsHash": terms},
    )
    # The second stays unanswered past its deadline: overdue, and still answerable.
    consortium.chain.increase_time(3 * DAY)
    consortium.chain.mine()
    listed = client.get(f"/v1/projects/{project_id}/access-requests", headers=c.headers).json()
    assert [(r["status"], r["overdue"]) for r in listed] == [("granted", False), ("open", True)]
    assert listed[0]["grantedTermsHash"] == terms
    reason = "0x" + hashlib.sha256(b"our Background is excluded for exploitation").hexdigest()
    write(
        consortium,
        a,
        f"/v1/access-requests/{second['requestId']}/refuse",
        {"reasonHash": reason},
    )
    answered = client.get(f"/v1/access-requests/{second['requestId']}", headers=c.headers).json()
    assert (answered["status"], answered["overdue"], answered["reasonHash"]) == (
        "refused",
        False,
        reason,
    )
    twice = client.post(
        f"/v1/access-requests/{second['requestId']}/withdraw", json={}, headers=c.headers
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "access_request_not_open")
    hidden = client.get(
        f"/v1/access-requests/{second['requestId']}", headers=consortium.outsider.headers
    )
    assert (hidden.status_code, hidden.json()["code"]) == (404, "access_request_not_found")


def test_access_request_withdrawn_by_its_requester_only(consortium: Consortium) -> None:
    a, b, c = consortium.coordinator, consortium.partner_b, consortium.partner_c
    project_id = api_project(consortium)
    background = api_contribution(consortium, a, project_id, "background")
    op = write(
        consortium,
        b,
        f"/v1/contributions/{background}/access-requests",
        {"purpose": "exploiting_own_results", "terms": "fair_and_reasonable"},
    )
    request_id = op["resourceId"]
    for member in (a, c):
        refused = consortium.client.post(
            f"/v1/access-requests/{request_id}/withdraw", json={}, headers=member.headers
        )
        assert (refused.status_code, refused.json()["code"]) == (403, "wrong_actor")
    write(consortium, b, f"/v1/access-requests/{request_id}/withdraw")
    listed = consortium.client.get(f"/v1/access-requests/{request_id}", headers=a.headers)
    assert listed.json()["status"] == "withdrawn"
    late = consortium.client.post(
        f"/v1/access-requests/{request_id}/grant",
        json={"terms": "royalty_free", "termsHash": "0x" + "7e" * 32},
        headers=a.headers,
    )
    assert (late.status_code, late.json()["code"]) == (409, "access_request_not_open")


def _dump(engine: sa.Engine) -> bytes:
    """Every row of every table of a database, as text (SQLite's own dump; on PostgreSQL each
    row's text form, in which bytea columns show as hex)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            raw_connection = connection.connection.driver_connection
            return "\n".join(raw_connection.iterdump()).encode()  # type: ignore[union-attr]
        lines = [
            str(row)
            for table in sa.inspect(connection).get_table_names()
            for (row,) in connection.execute(sa.text(f'SELECT CAST(t AS text) FROM "{table}" t'))
        ]
        return "\n".join(lines).encode()


def test_service_stores_no_plaintext_and_no_file_key(consortium: Consortium, settings: Any) -> None:
    a, b, c = consortium.coordinator, consortium.partner_b, consortium.partner_c
    project_id = api_project(consortium)
    b_key, c_key = publish_encryption_key(consortium, b), publish_encryption_key(consortium, c)
    shared = share_document(consortium, a, project_id, [b, c])
    plaintext, checked = _open_as(consortium, b, b_key, shared.disclosure_id)
    write(
        consortium,
        b,
        f"/v1/disclosures/{shared.disclosure_id}/acknowledge",
        {"contentCommitment": checked},
    )
    write(consortium, c, f"/v1/disclosures/{shared.disclosure_id}/decline", {})
    assert plaintext == DOCUMENT and c_key is not None

    secrets = {
        "plaintext": DOCUMENT[:64],
        "plaintext line": b"72 hours at 31 degrees",
        "plaintext sha256": hashlib.sha256(DOCUMENT).digest(),
        "file name": NAME.encode(),
        "file key": shared.file_key,
        "salt": shared.salt,
    }
    for label, raw in list(secrets.items()):
        if label.startswith("plaintext") and label != "plaintext sha256":
            continue
        secrets[f"{label} hex"] = raw.hex().encode()
        secrets[f"{label} base64"] = base64.b64encode(raw).rstrip(b"=")
    stored = [p for p in Path(settings.data_dir).rglob("*") if p.is_file()]
    assert any(p.suffix == ".pocx" for p in stored)
    database = consortium.store
    assert database.dialect != "sqlite" or any("sqlite3" in p.name for p in stored)
    dumps = [
        _dump(engine)
        for engine in {
            id(e): e for e in (database._index_db.engine, database._durable_db.engine)
        }.values()
    ]
    # The scan sees what the service stored: the commitment and the sealed bytes are there.
    assert shared.commitment[2:].encode() in b"".join(dumps)
    assert any(p.read_bytes() == shared.sealed for p in stored)
    for source, data in [(str(p), p.read_bytes()) for p in stored] + [
        (f"dump {i}", d) for i, d in enumerate(dumps)
    ]:
        for label, secret in secrets.items():
            assert secret not in data, f"{label} found in {source}"


def test_evidence_pack_holds_the_disclosure_and_access_rights_registers(
    consortium: Consortium,
) -> None:
    a, b, c = consortium.coordinator, consortium.partner_b, consortium.partner_c
    project_id = api_project(consortium)
    background = api_contribution(consortium, a, project_id, "background")
    b_key = publish_encryption_key(consortium, b)
    publish_encryption_key(consortium, c)
    shared = share_document(consortium, a, project_id, [b, c], [background])
    _, checked = _open_as(consortium, b, b_key, shared.disclosure_id)
    acknowledged = write(
        consortium,
        b,
        f"/v1/disclosures/{shared.disclosure_id}/acknowledge",
        {"contentCommitment": checked},
    )
    terms = "0x" + hashlib.sha256(b"royalty-free").hexdigest()
    requested = write(
        consortium,
        b,
        f"/v1/contributions/{background}/access-requests",
        {"purpose": "carrying_out_project", "terms": "royalty_free", "termsHash": terms},
    )
    write(
        consortium,
        a,
        f"/v1/access-requests/{requested['resourceId']}/grant",
        {"terms": "royalty_free", "termsHash": terms},
    )
    consortium.grant_auditor(project_id)
    response = consortium.client.post(
        f"/v1/exports/projects/{project_id}/evidence-pack",
        json={"openings": {}},
        headers=consortium.auditor_headers,
    )
    assert response.status_code == 200, response.text
    assert check_manifest(response.content) == []
    pack = zipfile.ZipFile(io.BytesIO(response.content))
    disclosures = json.loads(pack.read("disclosure-register.json"))["disclosures"]
    assert [(d["disclosureId"], d["sharer"], d["contributionIds"]) for d in disclosures] == [
        (shared.disclosure_id, a.address, [background])
    ]
    answers = {r["recipient"]: r for r in disclosures[0]["recipients"]}
    assert answers[b.address]["answer"] == "acknowledged"
    assert answers[b.address]["answered"]["txHash"] == acknowledged["txHash"]
    assert (answers[c.address]["answer"], answers[c.address]["answered"]) == ("none", None)
    requests = json.loads(pack.read("access-rights-register.json"))["requests"]
    assert [(r["requester"], r["owner"], r["answer"], r["grantedTermsHash"]) for r in requests] == [
        (b.address, a.address, "granted", terms)
    ]
    rows = pack.read("disclosure-register.csv").decode().splitlines()
    assert len(rows) == 3 and rows[1].split(",")[8] == "acknowledged"
    assert "granted" in pack.read("access-rights-register.csv").decode()


def _bundle_with_exchange_history(consortium: Consortium) -> dict[str, Any]:
    """A's background, disclosed to B and acknowledged, then B's access-rights request and A's
    grant: its proof bundle, built by the API."""
    a, b = consortium.coordinator, consortium.partner_b
    project_id = api_project(consortium)
    content, salt = hashing.sha256_bytes(b"A's background: retting"), hashing.new_salt()
    commit = hashing.commitment(a.address, project_id, content, salt)
    registered = write(
        consortium,
        a,
        f"/v1/projects/{project_id}/contributions",
        {"commitment": "0x" + commit.hex(), "origin": "background", "category": 0, "value": 8},
    )
    background = registered["resourceId"]
    b_key = publish_encryption_key(consortium, b)
    shared = share_document(consortium, a, project_id, [b], [background])
    _, checked = _open_as(consortium, b, b_key, shared.disclosure_id)
    write(
        consortium,
        b,
        f"/v1/disclosures/{shared.disclosure_id}/acknowledge",
        {"contentCommitment": checked},
    )
    terms = "0x" + hashlib.sha256(b"royalty-free").hexdigest()
    requested = write(
        consortium,
        b,
        f"/v1/contributions/{background}/access-requests",
        {"purpose": "carrying_out_project", "terms": "royalty_free", "termsHash": terms},
    )
    write(
        consortium,
        a,
        f"/v1/access-requests/{requested['resourceId']}/grant",
        {"terms": "royalty_free", "termsHash": terms},
    )
    response = consortium.client.post(
        f"/v1/exports/contributions/{background}/bundle",
        json={"contentHash": "0x" + content.hex(), "salt": "0x" + salt.hex()},
        headers=a.headers,
    )
    assert response.status_code == 200, response.text
    bundle: dict[str, Any] = response.json()
    return bundle


def test_bundle_lists_disclosures_and_access_rights_and_the_verifier_checks_them(
    consortium: Consortium,
) -> None:
    b = consortium.partner_b
    bundle = _bundle_with_exchange_history(consortium)
    assert bundle["chain"]["exchange"] == consortium.record.address("PocExchange")
    assert [e["event"] for e in bundle["history"]] == [
        "Disclosed",
        "DisclosureAcknowledged",
        "AccessRequested",
        "AccessGranted",
    ]
    assert bundle["history"][1]["args"]["recipient"] == b.address
    w3 = consortium.chain.w3
    report = verify_document(bundle, w3=w3)
    assert report.ok, report.lines()
    assert "online: history complete" in [c.name for c in report.checks]

    def failing(document: dict[str, Any]) -> set[str]:
        return {c.name for c in verify_document(document, w3=w3).checks if not c.passed}

    # Without the exchange's address nothing of the exchange is proven.
    unnamed = json.loads(json.dumps(bundle))
    del unnamed["chain"]["exchange"]
    assert "history[0] Disclosed" in failing(unnamed)
    # A receipt listed before its disclosure, or a disclosure said to name another
    # contribution, is refused.
    swapped = json.loads(json.dumps(bundle))
    swapped["history"][0], swapped["history"][1] = swapped["history"][1], swapped["history"][0]
    assert "history[0] DisclosureAcknowledged" in failing(swapped)
    other = json.loads(json.dumps(bundle))
    other["history"][0]["args"]["contributionIds"] = ["0x" + "99" * 32]
    assert "history[0] Disclosed" in failing(other)
    # Leaving the access-rights answer out is found online.
    shortened = json.loads(json.dumps(bundle))
    shortened["history"] = shortened["history"][:3]
    assert failing(shortened) == {"online: history complete"}


@pytest.mark.e2e
@pytest.mark.databases("sqlite")  # a browser reading a bundle: the store's part runs above
def test_html_verifier_checks_exchange_history_as_poc_verify_does(
    consortium: Consortium, tmp_path: Path
) -> None:
    # The single-file verifier in every evidence pack proves the exchange's events as logs of
    # `chain.exchange` and refuses what `poc verify` refuses.
    bundle = _bundle_with_exchange_history(consortium)
    unnamed = json.loads(json.dumps(bundle))
    del unnamed["chain"]["exchange"]
    swapped = json.loads(json.dumps(bundle))
    swapped["history"][0], swapped["history"][1] = swapped["history"][1], swapped["history"][0]
    other = json.loads(json.dumps(bundle))
    other["history"][0]["args"]["contributionIds"] = ["0x" + "99" * 32]
    wrong_args = json.loads(json.dumps(bundle))
    wrong_args["history"][3]["args"]["termsHash"] = "0x" + "77" * 32
    with contextmanager(launched_chromium)() as browser:
        checks, _, outside = _verify_in_page(browser, tmp_path, bundle)
        assert _failed(checks) == [], checks
        names = [c["name"] for c in checks]
        assert [n for n in names if n.startswith("history[")] == [
            "history[0] Disclosed",
            "history[1] DisclosureAcknowledged",
            "history[2] AccessRequested",
            "history[3] AccessGranted",
        ]
        assert outside == []
        for tampered, failing in (
            (unnamed, "history[0] Disclosed"),
            (swapped, "history[0] DisclosureAcknowledged"),
            (other, "history[0] Disclosed"),
            (wrong_args, "history[3] AccessGranted"),
        ):
            assert not verify_document(tampered).ok
            assert failing in _failed(_verify_in_page(browser, tmp_path, tampered)[0])
