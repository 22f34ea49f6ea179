"""Contribution cards through the API: registered with the contribution (custodial and signed
by the partner's own key), their hash on chain in what the partner signed, read back with the
contribution; bad cards refused with their code and nothing kept; a card altered in the
database never served; a correction is a supersession with a new card.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pypdf import PdfReader

from ledger.chain.signing import sign_typed_data
from ledger.domain.cards import ContributionCard
from ledger.domain.codec import to_hex
from ledger.domain.hashing import commitment, contribution_id, new_salt, sha256_bytes
from ledger.evidence.verifier import verify_document
from tests.api.flows import api_contribution, api_project, registration, write
from tests.api.support import POLICY, Consortium, call, contract

CARD: dict[str, Any] = {
    "title": "  Vlasvezel-composiet: treksterkte na roting ",
    "description": "Proefreeks 7,\r\n40 uur labowerk.",
    "file": {"name": "treksterkte.xlsx", "mediaType": "Application/VND.ms-excel", "size": 48213},
    "keywords": ["vlas", "composiet"],
}


def _event_card_hash(consortium: Consortium, cid: str) -> str:
    ledger = contract(consortium.chain, consortium.record, "PocLedger")
    logs = ledger.events.ContributionRegistered().get_logs(
        from_block=0, argument_filters={"contributionId": bytes.fromhex(cid[2:])}
    )
    return "0x" + bytes(logs[-1]["args"]["cardHash"]).hex()


def _read(consortium: Consortium, cid: str, path: str = "") -> Any:
    return consortium.client.get(
        f"/v1/contributions/{cid}{path}", headers=consortium.partner_c.headers
    )


def test_register_with_card_signs_its_hash_and_reads_it_back(consortium: Consortium) -> None:
    project = api_project(consortium)
    cid = api_contribution(consortium, consortium.partner_b, project, "b-doc", card=CARD)
    contribution = _read(consortium, cid).json()
    card = contribution["card"]
    assert card["status"] == "valid"
    stored = ContributionCard.from_json(card["card"])
    # Tidied as documented: trimmed, line endings, media type in lower case.
    assert stored.title == "Vlasvezel-composiet: treksterkte na roting"
    assert stored.description == "Proefreeks 7,\n40 uur labowerk."
    assert stored.file is not None and stored.file.media_type == "application/vnd.ms-excel"
    # The hash on chain is the one the partner signed, and the card's own.
    assert contribution["cardHash"] == card["cardHash"] == stored.hash_hex()
    assert _event_card_hash(consortium, cid) == stored.hash_hex()
    alone = _read(consortium, cid, "/card")
    assert alone.status_code == 200 and alone.json() == card
    listed = consortium.client.get(
        f"/v1/projects/{project}/contributions", headers=consortium.partner_c.headers
    ).json()["items"]
    assert [c["card"]["card"]["title"] for c in listed] == [stored.title]


def test_register_without_card_reads_none_and_card_is_404(consortium: Consortium) -> None:
    project = api_project(consortium)
    cid = api_contribution(consortium, consortium.partner_b, project, "plain")
    contribution = _read(consortium, cid).json()
    assert contribution["cardHash"] is None
    assert contribution["card"] == {"cardHash": None, "status": "none", "card": None}
    missing = _read(consortium, cid, "/card")
    assert missing.status_code == 404 and missing.json()["code"] == "card_not_found"


def test_register_with_card_signed_by_the_partner_itself(consortium: Consortium) -> None:
    # Non-custodial: the prepared typed data names the card's hash; no salt given, the service
    # derives it, so the signed body posted afterwards names the same hash.
    project = api_project(consortium)
    body = registration(consortium.partner_b, project, "signed", card=CARD)
    url = f"/v1/projects/{project}/contributions"
    prepared = consortium.client.post(
        f"{url}/prepare", json=body, headers=consortium.partner_b.headers
    )
    assert prepared.status_code == 200, prepared.text
    data = prepared.json()
    card_hash = data["typedData"]["message"]["cardHash"]
    assert card_hash != "0x" + "00" * 32
    signature = sign_typed_data(consortium.partner_b.account.key, data["typedData"])
    signed = {
        **body,
        "signature": "0x" + signature.hex(),
        "nonce": data["nonce"],
        "deadline": data["deadline"],
    }
    response = consortium.client.post(
        f"{url}?wait=true", json=signed, headers=consortium.partner_b.headers
    )
    assert response.status_code == 200, response.text
    consortium.sync()
    cid = response.json()["resourceId"]
    card = _read(consortium, cid).json()["card"]
    assert card["status"] == "valid" and card["cardHash"] == card_hash


def test_card_hash_computed_by_the_client_is_checked(consortium: Consortium) -> None:
    project = api_project(consortium)
    salt = "0x" + "5a" * 32
    mine = ContributionCard.create(title="Client-side card", salt=bytes.fromhex(salt[2:]))
    body = registration(
        consortium.partner_b, project, "client", card={"title": "Client-side card", "salt": salt}
    )
    wrong = consortium.client.post(
        f"/v1/projects/{project}/contributions",
        json={**body, "cardHash": "0x" + "00" * 32},
        headers=consortium.partner_b.headers,
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "card_hash_mismatch"
    op = write(
        consortium,
        consortium.partner_b,
        f"/v1/projects/{project}/contributions",
        {**body, "cardHash": mine.hash_hex()},
    )
    assert _event_card_hash(consortium, op["resourceId"]) == mine.hash_hex()


def test_bad_card_is_refused_with_its_code_and_nothing_is_kept(consortium: Consortium) -> None:
    project = api_project(consortium)
    parent = api_contribution(consortium, consortium.partner_b, project, "parent")
    outsider = "0x" + "ab" * 32
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"title": ""}, "card_empty", "card.title"),
        ({"title": "x" * 201}, "card_too_long", "card.title"),
        ({"title": "bell \u0007"}, "card_control_character", "card.title"),
        ({"title": "rtl \u202eexe.pdf"}, "card_control_character", "card.title"),
        ({"title": "ok", "colour": "red"}, "card_unknown_field", "card.colour"),
        (
            {"title": "ok", "file": {"name": "a", "size": 1, "path": "/x"}},
            "card_unknown_field",
            "card.file.path",
        ),
        ({"title": "ok", "keywords": ["a", "a"]}, "card_duplicate", "card.keywords[1]"),
        # Every field has its bound, in characters, and refuses what the eye cannot see.
        ({"title": "ok", "description": "d" * 10_001}, "card_too_long", "card.description"),
        (
            {"title": "ok", "description": "esc \u001b[2J"},
            "card_control_character",
            "card.description",
        ),
        (
            {"title": "ok", "file": {"name": "n" * 256, "size": 1}},
            "card_too_long",
            "card.file.name",
        ),
        (
            {"title": "ok", "file": {"name": "a\nb.pdf", "size": 1}},
            "card_control_character",
            "card.file.name",
        ),
        (
            {"title": "ok", "file": {"name": "a.pdf", "mediaType": "t" * 256, "size": 1}},
            "card_too_long",
            "card.file.mediaType",
        ),
        (
            {"title": "ok", "file": {"name": "a.pdf", "size": -1}},
            "card_invalid_value",
            "card.file.size",
        ),
        ({"title": "ok", "keywords": ["k" * 65]}, "card_too_long", "card.keywords[0]"),
        (
            {"title": "ok", "keywords": [f"k{i}" for i in range(21)]},
            "card_too_many",
            "card.keywords",
        ),
        ({"title": "ok", "keywords": ["nul\u0000"]}, "card_control_character", "card.keywords[0]"),
        (
            {"title": "ok", "parentNotes": [{"contributionId": parent, "note": "n" * 1001}]},
            "card_too_long",
            "card.parents[0].note",
        ),
        (
            {"title": "ok", "parentNotes": [{"contributionId": parent, "note": "a\u2066b"}]},
            "card_control_character",
            "card.parents[0].note",
        ),
        (
            {"title": "ok", "parentNotes": [{"contributionId": outsider, "note": "n"}]},
            "card_parent_unknown",
            "card.parents[0].contributionId",
        ),
    ]
    url = f"/v1/projects/{project}/contributions"
    for card, code, location in cases:
        body = registration(consortium.partner_b, project, f"bad-{code}", card=card)
        body["parents"] = [parent]
        response = consortium.client.post(url, json=body, headers=consortium.partner_b.headers)
        assert response.status_code == 422, (card, response.text)
        error = response.json()
        assert (error["code"], error["details"][0]["location"]) == (code, location), error
    type_error = consortium.client.post(
        url,
        json=registration(consortium.partner_b, project, "typed", card={"title": 7}),
        headers=consortium.partner_b.headers,
    )
    assert type_error.status_code == 422 and type_error.json()["code"] == "invalid_request"
    # Only the parent's registration was accepted; no card was kept.
    assert [op.kind for op in consortium.store.outbox.list_operations(actor=None)].count(
        "register"
    ) == 1
    assert consortium.store.sealed.key_ids() == frozenset()


def test_registration_the_chain_would_refuse_keeps_no_card(consortium: Consortium) -> None:
    # A card is kept only for a write that is accepted: one the dry run refuses (a parent that
    # is no contribution) leaves neither an operation nor a sealed card behind.
    project = api_project(consortium)
    body = registration(consortium.partner_b, project, "orphan", card=CARD)
    body["parents"] = ["0x" + "cd" * 32]
    response = consortium.client.post(
        f"/v1/projects/{project}/contributions", json=body, headers=consortium.partner_b.headers
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["code"] == "contribution_not_found"
    cid = to_hex(
        contribution_id(
            project, consortium.partner_b.address, bytes.fromhex(body["commitment"][2:])
        )
    )
    assert consortium.store.sealed.about(cid) == ()
    assert consortium.store.sealed.key_ids() == frozenset()
    kinds = [op.kind for op in consortium.store.outbox.list_operations(actor=None)]
    assert "register" not in kinds, kinds


def test_signed_registration_with_another_card_than_signed_is_refused_and_keeps_nothing(
    consortium: Consortium,
) -> None:
    # The partner signed the prepared typed data (its cardHash); the body then carries other
    # words. The service hashes the card it is given, so the signature no longer recovers.
    project = api_project(consortium)
    body = registration(consortium.partner_b, project, "swapped", card=CARD)
    url = f"/v1/projects/{project}/contributions"
    prepared = consortium.client.post(
        f"{url}/prepare", json=body, headers=consortium.partner_b.headers
    ).json()
    signature = sign_typed_data(consortium.partner_b.account.key, prepared["typedData"])
    swapped = {
        **body,
        "card": {**CARD, "title": "Een andere titel"},
        "signature": "0x" + signature.hex(),
        "nonce": prepared["nonce"],
        "deadline": prepared["deadline"],
    }
    response = consortium.client.post(url, json=swapped, headers=consortium.partner_b.headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "signature_mismatch"
    assert consortium.store.sealed.key_ids() == frozenset()
    kinds = [op.kind for op in consortium.store.outbox.list_operations(actor=None)]
    assert "register" not in kinds, kinds
    # The card hash named beside it must be the card's too.
    named = {**swapped, "card": CARD, "cardHash": prepared["typedData"]["message"]["cardHash"]}
    named["card"] = {**CARD, "title": "Een andere titel"}
    mismatch = consortium.client.post(url, json=named, headers=consortium.partner_b.headers)
    assert mismatch.status_code == 422 and mismatch.json()["code"] == "card_hash_mismatch"
    assert consortium.store.sealed.key_ids() == frozenset()


def test_same_registration_sent_again_is_one_and_another_card_is_409(
    consortium: Consortium,
) -> None:
    project = api_project(consortium)
    body = registration(consortium.partner_b, project, "again", card=CARD)
    url = f"/v1/projects/{project}/contributions"
    first = write(consortium, consortium.partner_b, url, body)
    again = consortium.client.post(url, json=body, headers=consortium.partner_b.headers)
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    other = consortium.client.post(
        url,
        json={**body, "card": {**CARD, "title": "Another title"}},
        headers=consortium.partner_b.headers,
    )
    assert other.status_code == 409, other.text
    assert [d["location"] for d in other.json()["details"]] == ["body.card_hash"]


def test_card_is_corrected_by_supersession_with_a_new_card(consortium: Consortium) -> None:
    project = api_project(consortium)
    old = api_contribution(consortium, consortium.partner_b, project, "v1", card=CARD)
    body = registration(
        consortium.partner_b, project, "v2", card={**CARD, "title": "Corrected title"}
    )
    op = write(consortium, consortium.partner_b, f"/v1/contributions/{old}/supersede", body)
    new = op["resourceId"]
    assert _read(consortium, old).json()["status"] == "superseded"
    assert _read(consortium, old).json()["card"]["card"]["title"].startswith("Vlasvezel")
    assert _read(consortium, new).json()["card"]["card"]["title"] == "Corrected title"


def test_card_altered_in_the_database_is_not_served(consortium: Consortium) -> None:
    project = api_project(consortium)
    cid = api_contribution(consortium, consortium.partner_b, project, "altered", card=CARD)
    path = consortium.store.outbox_path
    assert path is not None
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        row = conn.execute(sa.text("SELECT ciphertext FROM sealed_records")).one()
        flipped = bytearray(row[0])
        flipped[3] ^= 0x20
        conn.execute(sa.text("UPDATE sealed_records SET ciphertext = :c"), {"c": bytes(flipped)})
    engine.dispose()
    contribution = _read(consortium, cid).json()
    assert contribution["card"]["status"] == "altered" and contribution["card"]["card"] is None
    alone = _read(consortium, cid, "/card")
    assert alone.status_code == 409 and alone.json()["code"] == "card_altered"
    assert "Vlasvezel" not in alone.text


def test_outsider_gets_404_on_the_card(consortium: Consortium) -> None:
    project = api_project(consortium)
    cid = api_contribution(consortium, consortium.partner_b, project, "secret", card=CARD)
    for path in ("", "/card"):
        response = consortium.client.get(
            f"/v1/contributions/{cid}{path}", headers=consortium.outsider.headers
        )
        assert response.status_code == 404 and response.json()["code"] == "contribution_not_found"
        assert "Vlasvezel" not in response.text


def test_database_holds_no_word_of_a_card_registered_through_the_api(
    consortium: Consortium, tmp_path: Path
) -> None:
    project = api_project(consortium)
    api_contribution(consortium, consortium.partner_b, project, "scan", card=CARD)
    consortium.store.close()
    for needle in ("treksterkte na roting", "Proefreeks 7", "treksterkte.xlsx", "composiet"):
        for path in tmp_path.rglob("*"):
            if path.is_file() and path.name != "records.key":
                blob = path.read_bytes()
                assert needle.encode() not in blob, (needle, path)
                assert needle.encode("utf-16-le") not in blob, (needle, path)


def test_batch_leaf_carries_its_card_hash(consortium: Consortium) -> None:
    project = api_project(consortium)
    card = ContributionCard.create(title="Batched card")
    content, salt = sha256_bytes(b"batched"), new_salt()
    commit = to_hex(commitment(consortium.partner_b.address, project, content, salt))
    anchored = write(
        consortium,
        consortium.partner_b,
        f"/v1/projects/{project}/batches",
        {"items": [{"commitment": commit, "cardHash": card.hash_hex()}]},
    )
    revealed = consortium.client.post(
        f"/v1/batches/{anchored['resourceId']}/reveal?wait=true",
        json={},
        headers=consortium.partner_b.headers,
    )
    assert revealed.status_code in (200, 202), revealed.text
    consortium.sync()
    [op] = revealed.json()
    cid = (
        op["resourceId"]
        or consortium.client.get(
            f"/v1/operations/{op['id']}", headers=consortium.partner_b.headers
        ).json()["resourceId"]
    )
    assert _event_card_hash(consortium, cid) == card.hash_hex()
    assert _read(consortium, cid).json()["card"]["status"] == "not_kept"


def test_batch_leaf_with_a_card_keeps_it_for_the_revealed_contribution(
    consortium: Consortium,
) -> None:
    project = api_project(consortium)
    member = consortium.partner_b
    commits = [
        to_hex(commitment(member.address, project, sha256_bytes(label), new_salt()))
        for label in (b"leaf with card", b"leaf without")
    ]
    url = f"/v1/projects/{project}/batches"
    # A bad card in a leaf is refused naming the leaf, and nothing is anchored or kept.
    bad = consortium.client.post(
        url,
        json={
            "items": [{"commitment": commits[0]}, {"commitment": commits[1], "card": {"title": ""}}]
        },
        headers=member.headers,
    )
    assert bad.status_code == 422 and bad.json()["code"] == "card_empty", bad.text
    assert bad.json()["details"][0]["location"] == "items[1].card.title"
    assert consortium.store.sealed.key_ids() == frozenset()
    anchored = write(
        consortium,
        member,
        url,
        {"items": [{"commitment": commits[0], "card": CARD}, {"commitment": commits[1]}]},
    )
    revealed = consortium.client.post(
        f"/v1/batches/{anchored['resourceId']}/reveal?wait=true", json={}, headers=member.headers
    )
    assert revealed.status_code in (200, 202), revealed.text
    consortium.sync()
    ids = [to_hex(contribution_id(project, member.address, bytes.fromhex(c[2:]))) for c in commits]
    with_card = _read(consortium, ids[0]).json()
    assert with_card["card"]["status"] == "valid"
    assert with_card["card"]["card"]["title"] == "Vlasvezel-composiet: treksterkte na roting"
    # The hash in the revealed leaf (covered by the signed root) is the kept card's.
    assert _event_card_hash(consortium, ids[0]) == with_card["card"]["cardHash"]
    assert _read(consortium, ids[1]).json()["card"]["status"] == "none"
    # The outbox keeps the leaves with the card's hash, never its words.
    for op in consortium.store.outbox.list_operations(actor=None):
        assert "Vlasvezel" not in (op.meta_json or "") + op.payload_json


# ------------------------------------------------------------------------------ exports


def _registered_with_card(
    consortium: Consortium, card: dict[str, Any], origin: str = "result"
) -> tuple[int, str, dict[str, str]]:
    """A project, B's contribution with `card`, and its opening (the auditor is granted)."""
    project = api_project(consortium)
    member = consortium.partner_b
    content, salt = sha256_bytes(f"exported {card['title']}".encode()), new_salt()
    commit = commitment(member.address, project, content, salt)
    body = {
        "commitment": to_hex(commit),
        "origin": origin,
        "category": 0,
        "value": 40,
        "card": card,
    }
    op = write(consortium, member, f"/v1/projects/{project}/contributions", body)
    consortium.grant_auditor(project)
    return project, op["resourceId"], {"contentHash": to_hex(content), "salt": to_hex(salt)}


def test_exported_bundle_carries_the_card_and_verifies(consortium: Consortium) -> None:
    _, cid, opening = _registered_with_card(consortium, CARD)
    response = consortium.client.post(
        f"/v1/exports/contributions/{cid}/bundle", json=opening, headers=consortium.auditor_headers
    )
    assert response.status_code == 200, response.text
    bundle = response.json()
    assert bundle["card"]["title"] == "Vlasvezel-composiet: treksterkte na roting"
    report = verify_document(bundle, w3=consortium.chain.w3)
    assert report.ok, report.lines()
    bundle["card"]["title"] = "Vlasvezel-composiet (aangepast)"
    tampered = verify_document(bundle)
    assert not tampered.ok and "card" in tampered.failed_fields()
    # The lawyer's page verifies through the API: the same check fails, naming the card.
    checked = consortium.client.post(
        "/v1/proofs/verify", json={"bundle": bundle}, headers=consortium.auditor_headers
    ).json()
    [card_check] = [c for c in checked["checks"] if c["name"] == "card"]
    assert not card_check["passed"] and card_check["fields"] == ["card"], card_check
    assert [c["name"] for c in checked["checks"] if not c["passed"]] == ["card"]


def test_certificate_and_results_ownership_list_show_the_title(consortium: Consortium) -> None:
    project, cid, opening = _registered_with_card(consortium, CARD)
    pdf = consortium.client.post(
        f"/v1/exports/contributions/{cid}/certificate",
        json=opening,
        headers=consortium.auditor_headers,
    )
    assert pdf.status_code == 200, pdf.text
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Vlasvezel-composiet: treksterkte na roting" in " ".join(text.split())
    assert "treksterkte.xlsx" in text
    url = f"/v1/exports/projects/{project}/results-ownership-list"
    rol = consortium.client.get(url, headers=consortium.auditor_headers)
    [entry] = json.loads(rol.content)["results"]
    assert entry["title"] == "Vlasvezel-composiet: treksterkte na roting"
    csv_text = consortium.client.get(f"{url}?format=csv", headers=consortium.auditor_headers).text
    assert "Vlasvezel-composiet: treksterkte na roting" in csv_text
    md = consortium.client.get(f"{url}?format=md", headers=consortium.auditor_headers).text
    assert "| Vlasvezel-composiet: treksterkte na roting |" in md


def test_results_ownership_list_csv_keeps_a_formula_title_inert(consortium: Consortium) -> None:
    project, _, _ = _registered_with_card(consortium, {"title": '=HYPERLINK("http://x","y")'})
    url = f"/v1/exports/projects/{project}/results-ownership-list?format=csv"
    rows = list(
        csv.reader(io.StringIO(consortium.client.get(url, headers=consortium.auditor_headers).text))
    )
    assert rows[1][1] == '\'=HYPERLINK("http://x","y")'


def test_evidence_pack_bundles_carry_cards(consortium: Consortium) -> None:
    project, cid, opening = _registered_with_card(consortium, CARD)
    pack = consortium.client.post(
        f"/v1/exports/projects/{project}/evidence-pack",
        json={"openings": {cid: opening}},
        headers=consortium.auditor_headers,
    )
    assert pack.status_code == 200, pack.text
    archive = zipfile.ZipFile(io.BytesIO(pack.content))
    bundle = json.loads(archive.read(f"bundles/{cid}.json"))
    assert bundle["card"]["title"].startswith("Vlasvezel")
    assert verify_document(bundle).ok


def test_export_of_a_contribution_whose_card_was_altered_is_409(consortium: Consortium) -> None:
    _, cid, opening = _registered_with_card(consortium, CARD)
    path = consortium.store.outbox_path
    assert path is not None
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE sealed_records SET nonce = :n"), {"n": b"\x00" * 12})
    engine.dispose()
    response = consortium.client.post(
        f"/v1/exports/contributions/{cid}/bundle", json=opening, headers=consortium.auditor_headers
    )
    assert response.status_code == 409 and response.json()["code"] == "card_altered"


def test_card_hash_copied_from_another_project_does_not_reveal_its_card(
    consortium: Consortium,
) -> None:
    # Card hashes are public on chain. The outsider registers, in its own project, a
    # contribution naming project 1's card hash without the card: its readers must not see
    # project 1's card (records are found by contribution id and hash, not by hash alone).
    project = api_project(consortium)
    victim = api_contribution(consortium, consortium.partner_b, project, "secret", card=CARD)
    stolen_hash = _read(consortium, victim).json()["cardHash"]
    outsider = consortium.outsider
    agreement = b"\x01" * 32
    call(
        consortium.chain,
        consortium.record,
        outsider.account,
        "PocLedger",
        "createProject",
        agreement,
        [outsider.address],
        POLICY.as_abi(),
    )
    ledger = contract(consortium.chain, consortium.record, "PocLedger")
    own_project = int(ledger.functions.projectCount().call())
    call(
        consortium.chain,
        consortium.record,
        outsider.account,
        "PocLedger",
        "acceptAgreement",
        own_project,
        1,
        agreement,
    )
    consortium.sync()
    body = registration(outsider, own_project, "copy")
    op = write(
        consortium,
        outsider,
        f"/v1/projects/{own_project}/contributions",
        {**body, "cardHash": stolen_hash},
    )
    mine = consortium.client.get(
        f"/v1/contributions/{op['resourceId']}", headers=outsider.headers
    ).json()
    assert mine["cardHash"] == stolen_hash
    assert mine["card"] == {"cardHash": stolen_hash, "status": "not_kept", "card": None}
    alone = consortium.client.get(
        f"/v1/contributions/{op['resourceId']}/card", headers=outsider.headers
    )
    assert alone.status_code == 404 and "Vlasvezel" not in alone.text
