"""The proof secret the service keeps for custodial partners who opt in: only the partner's
own keys reach it, it is sealed at rest, survives a restart, and nobody learns from the
answers whether another partner opted in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.auth import Role, issue_api_key
from api.settings import ApiSettings
from ledger.chain.connection import Chain
from ledger.chain.deployment_record import DeploymentRecord
from ledger.openings.custody import SecretCustody
from ledger.openings.secret import ProofSecret
from ledger.store import Store
from poc.wiring import create_app
from tests.api.support import Consortium, Member


def _url(member: Member | str) -> str:
    address = member if isinstance(member, str) else member.address
    return f"/v1/partners/{address}/proof-secret"


def _put(consortium: Consortium, member: Member, secret: ProofSecret) -> tuple[int, Any]:
    response = consortium.client.put(
        _url(member), json={"secret": "0x" + secret.value.hex()}, headers=member.headers
    )
    return response.status_code, response.json()


def test_put_then_get_gives_the_secret_back_unstored(
    consortium: Consortium, settings: ApiSettings
) -> None:
    secret = ProofSecret.generate()
    member = consortium.partner_b
    assert consortium.client.get(_url(member), headers=member.headers).status_code == 404
    status, kept = _put(consortium, member, secret)
    assert status == 201, kept
    assert kept == {
        "address": member.address,
        "secretId": secret.secret_id,
        "keptByService": True,
    }
    got = consortium.client.get(_url(member), headers=member.headers)
    assert got.status_code == 200, got.text
    assert got.json()["secret"] == "0x" + secret.value.hex()
    assert got.json()["secretId"] == secret.secret_id
    assert got.headers["cache-control"] == "no-store"
    # Sealed at rest: the file holds neither the secret nor its words.
    files = list((settings.data_dir / "proof-secrets").iterdir())
    assert [f.name for f in files] == [member.address.lower() + ".json"]
    text = files[0].read_text()
    assert secret.value.hex() not in text and secret.words.split()[0] not in text.split('"')
    assert files[0].stat().st_mode & 0o077 == 0


def test_put_same_secret_again_is_200_and_another_is_409_proof_secret_conflict(
    consortium: Consortium,
) -> None:
    secret = ProofSecret.generate()
    member = consortium.coordinator
    assert _put(consortium, member, secret)[0] == 201
    assert _put(consortium, member, secret)[0] == 200
    status, body = _put(consortium, member, ProofSecret.generate())
    assert status == 409 and body["code"] == "proof_secret_conflict", body
    # The first one is still the one kept.
    got = consortium.client.get(_url(member), headers=member.headers).json()
    assert got["secretId"] == secret.secret_id


def test_delete_forgets_the_secret_then_get_and_delete_are_404(consortium: Consortium) -> None:
    member = consortium.partner_c
    _put(consortium, member, ProofSecret.generate())
    assert consortium.client.delete(_url(member), headers=member.headers).status_code == 204
    for method in ("GET", "DELETE"):
        gone = consortium.client.request(method, _url(member), headers=member.headers)
        assert gone.status_code == 404 and gone.json()["code"] == "proof_secret_not_found"
    # Another secret may be kept after the first was removed.
    assert _put(consortium, member, ProofSecret.generate())[0] == 201


def test_other_partners_key_is_403_wrong_actor_whether_or_not_a_secret_is_kept(
    consortium: Consortium,
) -> None:
    secret = ProofSecret.generate()
    _put(consortium, consortium.partner_b, secret)
    intruder = consortium.partner_c.headers
    for target in (consortium.partner_b, consortium.coordinator):  # kept, and not kept
        for method, body in (
            ("GET", None),
            ("PUT", {"secret": "0x" + "11" * 32}),
            ("DELETE", None),
        ):
            response = consortium.client.request(method, _url(target), json=body, headers=intruder)
            assert response.status_code == 403, (method, response.text)
            assert response.json()["code"] == "wrong_actor"
            assert secret.value.hex() not in response.text
    # Nothing changed for B.
    got = consortium.client.get(_url(consortium.partner_b), headers=consortium.partner_b.headers)
    assert got.json()["secretId"] == secret.secret_id


def test_auditor_and_admin_keys_are_403_forbidden_role(consortium: Consortium) -> None:
    _put(consortium, consortium.partner_b, ProofSecret.generate())
    project_id = consortium.project_on_chain()
    consortium.grant_auditor(project_id)  # even an auditor the project granted
    for headers in (consortium.auditor_headers, consortium.admin_headers):
        for method in ("GET", "PUT", "DELETE"):
            response = consortium.client.request(
                method,
                _url(consortium.partner_b),
                json={"secret": "0x" + "22" * 32} if method == "PUT" else None,
                headers=headers,
            )
            assert response.status_code == 403, response.text
            assert response.json()["code"] == "forbidden_role"


def test_put_by_non_custodial_partner_is_403_not_custodial(
    consortium: Consortium, store: Store
) -> None:
    account = consortium.chain.accounts[5]
    member = Member(account, issue_api_key(store, account.address, Role.PARTNER, "self-signer"))
    status, body = _put(consortium, member, ProofSecret.generate())
    assert status == 403 and body["code"] == "not_custodial", body
    assert consortium.client.get(_url(member), headers=member.headers).status_code == 404


def test_malformed_secret_is_422_and_keeps_nothing(consortium: Consortium) -> None:
    member = consortium.partner_b
    for bad in ("0x1234", "0x" + "zz" * 32, 42, None, "0x" + "00" * 33):
        response = consortium.client.put(_url(member), json={"secret": bad}, headers=member.headers)
        assert response.status_code == 422, (bad, response.text)
    extra = consortium.client.put(
        _url(member), json={"secret": "0x" + "33" * 32, "words": "x"}, headers=member.headers
    )
    assert extra.status_code == 422
    assert consortium.client.get(_url(member), headers=member.headers).status_code == 404


def test_kept_secret_survives_a_restart_of_the_service(
    consortium: Consortium,
    settings: ApiSettings,
    store: Store,
    deployed: tuple[Chain, DeploymentRecord],
) -> None:
    secret = ProofSecret.generate()
    member = consortium.partner_b
    _put(consortium, member, secret)
    chain, record = deployed
    with TestClient(create_app(settings, store=store, chain=chain, deployment=record)) as again:
        got = again.get(_url(member), headers=member.headers)
    assert got.status_code == 200 and got.json()["secret"] == "0x" + secret.value.hex()


def test_a_kept_file_the_service_cannot_open_is_503_service_misconfigured(
    consortium: Consortium,
    settings: ApiSettings,
    store: Store,
    deployed: tuple[Chain, DeploymentRecord],
    tmp_path: Path,
) -> None:
    member = consortium.partner_b
    _put(consortium, member, ProofSecret.generate())
    # Another service's file (another password) in its place.
    elsewhere = SecretCustody(tmp_path / "elsewhere", "another service's password")
    elsewhere.put(member.address, ProofSecret.generate())
    name = f"{member.address.lower()}.json"
    (settings.data_dir / "proof-secrets" / name).write_bytes(
        (tmp_path / "elsewhere" / name).read_bytes()
    )
    chain, record = deployed
    with TestClient(create_app(settings, store=store, chain=chain, deployment=record)) as again:
        response = again.get(_url(member), headers=member.headers)
        kept = again.put(_url(member), json={"secret": "0x" + "55" * 32}, headers=member.headers)
    for answer in (response, kept):
        assert answer.status_code == 503, answer.text
        assert answer.json()["code"] == "service_misconfigured"
