"""Exports through the API: the auditor role downloads bundles, certificates, packs and the
Results Ownership List of a project it was granted; admin keys may not; a wrong salt is a 422
with a stable code."""

from __future__ import annotations

import io
import json
import zipfile

from pypdf import PdfReader

from ledger.domain.hashing import commitment, contribution_id, new_salt, sha256_bytes
from ledger.evidence.packs import check_manifest
from ledger.evidence.verifier import verify_document
from tests.api.support import Consortium, call


def _register(
    consortium: Consortium, project_id: int, origin: int = 1
) -> tuple[bytes, bytes, bytes]:
    member = consortium.partner_b
    content = sha256_bytes(b"a lab notebook page")
    salt = new_salt()
    commit = commitment(member.address, project_id, content, salt)
    registration: tuple[object, ...] = (project_id, commit, origin, 0, 40, [], bytes(32), "")
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
