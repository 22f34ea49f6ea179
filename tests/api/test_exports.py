"""Exports through the API: the auditor role downloads bundles, certificates, packs and the
Results Ownership List of a project it was granted; admin keys may not; a wrong salt is a 422
with a stable code."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from pypdf import PdfReader

from ledger.domain.hashing import commitment, contribution_id, new_salt, sha256_bytes
from ledger.evidence.packs import check_manifest
from ledger.evidence.verifier import verify_document
from tests.api.support import Consortium, call
from tests.api.test_cards import _registered_with_card


def _register(
    consortium: Consortium, project_id: int, origin: int = 1
) -> tuple[bytes, bytes, bytes]:
    member = consortium.partner_b
    content = sha256_bytes(b"a lab notebook page")
    salt = new_salt()
    commit = commitment(member.address, project_id, content, salt)
    registration: tuple[object, ...] = (
        project_id,
        commit,
        bytes(32),
        origin,
        0,
        40,
        [],
        bytes(32),
        "",
    )
    call(consortium.chain, consortium.record, member.account, "PocLedger", "register", registration)
    return contribution_id(project_id, member.address, commit), content, salt


def _opening(content: bytes, salt: bytes) -> dict[str, str]:
    return {"contentHash": "0x" + content.hex(), "salt": "0x" + salt.hex()}


def test_auditor_downloads_a_bundle_that_verifies(consortium: Consortium) -> None:
    project = consortium.project_on_chain()
    cid, content, salt = _register(consortium, project)
    consortium.grant_auditor(project)
    response = consortium.client.post(
        f"/v1/exports/contributions/0x{cid.hex()}/bundle",
        json=_opening(content, salt),
        headers=consortium.auditor_headers,
    )
    assert response.status_code == 200, response.text
    report = verify_document(response.json(), w3=consortium.chain.w3)
    assert report.ok, report.lines()


def test_auditor_downloads_a_certificate(consortium: Consortium) -> None:
    project = consortium.project_on_chain()
    cid, content, salt = _register(consortium, project)
    consortium.grant_auditor(project)
    response = consortium.client.post(
        f"/v1/exports/contributions/0x{cid.hex()}/certificate",
        json=_opening(content, salt),
        headers=consortium.auditor_headers,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "0x" + cid.hex() in text
    assert response.headers["x-bundle-sha256"] in text


def test_certificate_in_dutch_names_card_title_project_and_organisations(
    consortium: Consortium,
) -> None:
    card = {"title": "Trekproeven vlascomposiet", "description": "Twaalf proefstukken."}
    _, cid, opening = _registered_with_card(consortium, card)
    response = consortium.client.post(
        f"/v1/exports/contributions/{cid}/certificate",
        json={**opening, "language": "nl", "projectName": "FlaxComp"},
        headers=consortium.auditor_headers,
    )
    reader = PdfReader(io.BytesIO(response.content))
    first = " ".join(reader.pages[0].extract_text().split())

    assert response.status_code == 200, response.text
    assert f'filename="certificate-{cid[2:14]}-nl.pdf"' in response.headers["content-disposition"]
    # The title and description are the card's, which the partner signed.
    assert first.startswith("Certificaat van bijdrage Trekproeven vlascomposiet")
    assert "Twaalf proefstukken." in first
    assert "bijdragekaart die de partner bij de registratie ondertekende" in first
    assert "FlaxComp (project " in first
    assert "Uitgereikt op " in first
    assert reader.metadata is not None and reader.metadata.creation_date is not None
    assert reader.metadata.title == "Certificaat van bijdrage: Trekproeven vlascomposiet"


def test_certificate_title_comes_from_the_card_not_the_request(consortium: Consortium) -> None:
    project = consortium.project_on_chain()
    cid, content, salt = _register(consortium, project)  # on chain, without a card
    consortium.grant_auditor(project)
    response = consortium.client.post(
        f"/v1/exports/contributions/0x{cid.hex()}/certificate",
        json={**_opening(content, salt), "title": "Baanbrekend werk", "description": "Uniek."},
        headers=consortium.auditor_headers,
    )
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)

    assert response.status_code == 200, response.text
    assert "Baanbrekend werk" not in text and "Uniek." not in text
    assert f"Contribution 0x{cid.hex()[:8]}" in " ".join(text.split())


def test_certificate_in_an_unknown_language_is_refused(consortium: Consortium) -> None:
    project = consortium.project_on_chain()
    cid, content, salt = _register(consortium, project)
    consortium.grant_auditor(project)
    response = consortium.client.post(
        f"/v1/exports/contributions/0x{cid.hex()}/certificate",
        json={**_opening(content, salt), "language": "fr"},
        headers=consortium.auditor_headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_auditor_downloads_the_evidence_pack_and_rol(consortium: Consortium) -> None:
    project = consortium.project_on_chain()
    cid, content, salt = _register(consortium, project)
    consortium.grant_auditor(project)
    response = consortium.client.post(
        f"/v1/exports/projects/{project}/evidence-pack",
        json={"openings": {"0x" + cid.hex(): _opening(content, salt)}},
        headers=consortium.auditor_headers,
    )
    assert response.status_code == 200, response.text
    assert check_manifest(response.content) == []
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert f"bundles/0x{cid.hex()}.json" in names
    rol = consortium.client.get(
        f"/v1/exports/projects/{project}/results-ownership-list",
        headers=consortium.auditor_headers,
    )
    assert rol.status_code == 200
    assert [r["result"] for r in json.loads(rol.content)["results"]] == ["0x" + cid.hex()]
    partner = consortium.client.post(
        f"/v1/exports/projects/{project}/partners/{consortium.partner_b.address}",
        json={"openings": {"0x" + cid.hex(): _opening(content, salt)}},
        headers=consortium.auditor_headers,
    )
    assert partner.status_code == 200
    assert check_manifest(partner.content) == []


def test_export_refuses_admin_keys_and_wrong_salts(consortium: Consortium) -> None:
    project = consortium.project_on_chain()
    cid, content, _ = _register(consortium, project)
    consortium.grant_auditor(project)
    url = f"/v1/exports/contributions/0x{cid.hex()}/bundle"
    denied = consortium.client.post(
        url, json=_opening(content, bytes(32)), headers=consortium.admin_headers
    )
    assert denied.status_code == 403
    wrong = consortium.client.post(
        url, json=_opening(content, bytes(32)), headers=consortium.auditor_headers
    )
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "proof_failed"


def _exported_bundle(consortium: Consortium) -> dict[str, Any]:
    """A bundle the service exports, of a contribution it registered for the partner (relayed,
    so authorised by an EIP-712 signature: the signature check is where a chain id past
    uint256 raised)."""
    project = consortium.project_on_chain()
    member = consortium.partner_b
    content, salt = sha256_bytes(b"a signed lab notebook page"), new_salt()
    commit = commitment(member.address, project, content, salt)
    registered = consortium.client.post(
        f"/v1/projects/{project}/contributions?wait=true",
        json={"commitment": "0x" + commit.hex(), "origin": "result", "category": 0, "value": 40},
        headers=member.headers,
    )
    assert registered.status_code == 200, registered.text
    cid = contribution_id(project, member.address, commit)
    consortium.grant_auditor(project)
    response = consortium.client.post(
        f"/v1/exports/contributions/0x{cid.hex()}/bundle",
        json=_opening(content, salt),
        headers=consortium.auditor_headers,
    )
    assert response.status_code == 200, response.text
    bundle: dict[str, Any] = response.json()
    assert bundle["authorisation"]["method"] == "eip712"
    return bundle


def _verify(consortium: Consortium, body: Any, *, raw: bytes | None = None) -> Any:
    headers = {**consortium.auditor_headers, "content-type": "application/json"}
    content = raw if raw is not None else json.dumps(body).encode()
    return consortium.client.post("/v1/proofs/verify", content=content, headers=headers)


def test_verify_route_chain_id_past_uint256_is_a_failed_verdict(consortium: Consortium) -> None:
    """Was a 500 (eth_abi ValueOutOfBounds in the signature check)."""
    bundle = _exported_bundle(consortium)
    assert _verify(consortium, {"bundle": bundle}).json()["ok"] is True
    bundle["chain"]["chainId"] = str(2**256)  # format 3 writes it as text
    response = _verify(consortium, {"bundle": bundle, "online": False})
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is False
    failed = [c for c in response.json()["checks"] if not c["passed"]]
    assert [c["fields"] for c in failed] == [["chain.chainId"]]


def test_verify_route_online_project_id_past_uint256_is_a_failed_verdict(
    consortium: Consortium,
) -> None:
    """Was a 500 (OverflowError in the online history check)."""
    bundle = _exported_bundle(consortium)
    bundle["contribution"]["projectId"] = 2**256
    response = _verify(consortium, {"bundle": bundle, "online": True})
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is False
    fields = {f for c in response.json()["checks"] for f in c["fields"]}
    assert fields == {"contribution.projectId"}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        # Format 3 writes these as decimal strings: a sign, a value past the type, and the
        # bare number format 2 wrote.
        (("chain", "chainId"), "-1"),
        (("chain", "logIndex"), str(2**64)),
        (("contribution", "value"), 40),
        (("contribution", "parents"), {"a": [[[[]]]]}),
        (("contribution", "uri"), "\ud800"),
        (("inclusion", "header"), "0x" + "c1" * 3_000 + "c0"),
        (("inclusion", "receiptProof"), ["0x00"] * 1_000),
        (("history",), None),
    ],
)
def test_verify_route_hostile_leaf_is_a_verdict_naming_it(
    consortium: Consortium, path: tuple[str, ...], value: Any
) -> None:
    bundle = _exported_bundle(consortium)
    node = bundle
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    response = _verify(consortium, {"bundle": bundle})
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is False
    fields = {f for c in response.json()["checks"] for f in c["fields"]}
    assert ".".join(path) in fields


@pytest.mark.parametrize(
    ("label", "raw", "status", "code"),
    [
        # Nested deep enough, Python's JSON reader crashed the whole server (the recursion
        # limit web3 sets is past what the C stack holds): refused before parsing now.
        (
            "nested 200,000 deep",
            b'{"bundle": {"a": ' + b"[" * 200_000 + b"]" * 200_000 + b"}}",
            422,
            "json_too_deep",
        ),
        (
            "nested 65 deep",
            b'{"bundle": {"a": ' + b"[" * 63 + b"]" * 63 + b"}}",
            422,
            "json_too_deep",
        ),
        ("5,000-digit integer", b'{"bundle": {"version": ' + b"9" * 5_000 + b"}}", 400, "http_400"),
        ("not JSON", b"{'bundle': 1}", 422, "invalid_request"),
        ("a list", b"[1, 2]", 422, "invalid_request"),
    ],
)
def test_verify_route_hostile_body_is_4xx_with_stable_code(
    consortium: Consortium, label: str, raw: bytes, status: int, code: str
) -> None:
    response = _verify(consortium, None, raw=raw)
    assert response.status_code == status, (label, response.text[:300])
    assert response.json()["code"] == code, label


def test_verify_route_nested_62_deep_is_still_read(consortium: Consortium) -> None:
    # 64 levels in all are accepted: a bundle nests 8.
    raw = b'{"bundle": {"a": ' + b"[" * 62 + b"]" * 62 + b"}}"
    response = _verify(consortium, None, raw=raw)
    assert response.status_code == 200, response.text[:300]
    assert response.json()["ok"] is False
