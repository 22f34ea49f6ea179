"""Onboarding partners, identities and API keys: issue, rotate, revoke."""

from __future__ import annotations

from collections.abc import Iterator

from tests.api.support import Consortium


def test_onboard_custodial_partner_issues_working_key(consortium: Consortium) -> None:
    response = consortium.client.post(
        "/v1/partners",
        json={"label": "uni-lab", "role": "partner"},
        headers=consortium.admin_headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["custodial"] is True
    key = body["key"]["apiKey"]
    assert key.startswith("poc_")
    keys = consortium.client.get(f"/v1/partners/{body['address']}/keys", headers={"X-API-Key": key})
    assert keys.status_code == 200
    assert "apiKey" not in keys.json()[0]


def test_onboard_with_partner_key_is_403_role(consortium: Consortium) -> None:
    response = consortium.client.post(
        "/v1/partners", json={"label": "x", "role": "partner"}, headers=consortium.partner_b.headers
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden_role"


def test_onboard_without_key_is_401(consortium: Consortium) -> None:
    assert consortium.client.post("/v1/partners", json={"label": "x"}).status_code == 401


def test_rotate_key_revokes_old_and_issues_new(consortium: Consortium) -> None:
    member = consortium.partner_b
    keys = consortium.client.get(
        f"/v1/partners/{member.address}/keys", headers=member.headers
    ).json()
    key_id = keys[0]["keyId"]
    rotated = consortium.client.post(f"/v1/keys/{key_id}/rotate", json={}, headers=member.headers)
    assert rotated.status_code == 201, rotated.text
    new_key = rotated.json()["apiKey"]
    assert consortium.client.get("/v1/projects", headers=member.headers).status_code == 401
    assert consortium.client.get("/v1/projects", headers={"X-API-Key": new_key}).status_code == 200


def test_revoke_key_makes_it_401(consortium: Consortium) -> None:
    member = consortium.partner_c
    key_id = member.key.split("_")[1]
    revoked = consortium.client.delete(f"/v1/keys/{key_id}", headers=consortium.admin_headers)
    assert revoked.status_code == 200 and revoked.json()["revokedAt"] is not None
    response = consortium.client.get("/v1/projects", headers=member.headers)
    assert response.status_code == 401 and response.json()["code"] == "invalid_api_key"


def test_list_other_partners_keys_is_403_wrong_actor(consortium: Consortium) -> None:
    response = consortium.client.get(
        f"/v1/partners/{consortium.partner_c.address}/keys", headers=consortium.partner_b.headers
    )
    assert response.status_code == 403
    assert response.json()["code"] == "wrong_actor"


def test_rotate_other_partners_key_is_404(consortium: Consortium) -> None:
    key_id = consortium.partner_c.key.split("_")[1]
    response = consortium.client.post(
        f"/v1/keys/{key_id}/rotate", json={}, headers=consortium.partner_b.headers
    )
    assert response.status_code == 404


def test_set_identity_then_read_partner(consortium: Consortium) -> None:
    member = consortium.partner_b
    response = consortium.client.put(
        f"/v1/partners/{member.address}/identity?wait=true",
        json={"name": "Uni Lab", "companyNumber": "BE0123.456.749"},
        headers=member.headers,
    )
    assert response.status_code == 200 and response.json()["status"] == "confirmed", response.text
    consortium.sync()
    partner = consortium.client.get(
        f"/v1/partners/{member.address}", headers=consortium.admin_headers
    ).json()
    assert partner["identity"] == {"name": "Uni Lab", "companyNumber": "BE0123.456.749"}


def test_set_identity_of_other_partner_is_403_wrong_actor(consortium: Consortium) -> None:
    response = consortium.client.put(
        f"/v1/partners/{consortium.partner_c.address}/identity",
        json={"name": "X", "companyNumber": "1"},
        headers=consortium.partner_b.headers,
    )
    assert response.status_code == 403 and response.json()["code"] == "wrong_actor"


def test_request_body_over_limit_is_413(consortium: Consortium) -> None:
    big = {"name": "x" * 2_000_000, "companyNumber": "1"}
    response = consortium.client.put(
        f"/v1/partners/{consortium.partner_b.address}/identity",
        json=big,
        headers=consortium.partner_b.headers,
    )
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"


def test_streamed_request_body_over_limit_is_413(consortium: Consortium) -> None:
    # Without Content-Length (chunked), the limit is counted while the body arrives.
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(40):
            yield b"x" * 50_000
        yield b'", "company_number": "1"}'

    response = consortium.client.put(
        f"/v1/partners/{consortium.partner_b.address}/identity",
        content=chunks(),
        headers={**consortium.partner_b.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"


def test_streamed_request_body_under_limit_is_read(consortium: Consortium) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "Flax '
        yield b'Fibres BV", "company_number": "12345678"}'

    response = consortium.client.put(
        f"/v1/partners/{consortium.partner_b.address}/identity",
        content=chunks(),
        headers={**consortium.partner_b.headers, "Content-Type": "application/json"},
    )
    assert response.status_code < 300, response.text


def test_known_key_id_with_wrong_secret_is_401(consortium: Consortium) -> None:
    # The key id is not a secret (it is in URLs and listings): the secret after it must match.
    member = consortium.partner_b
    prefix, key_id, secret = member.key.split("_", 2)
    wrong = ("A" if secret[0] != "A" else "B") + secret[1:]
    response = consortium.client.get(
        "/v1/projects", headers={"X-API-Key": f"{prefix}_{key_id}_{wrong}"}
    )
    assert response.status_code == 401 and response.json()["code"] == "invalid_api_key"
    assert consortium.client.get("/v1/projects", headers=member.headers).status_code == 200


def test_revoke_key_just_used_makes_it_401_at_once(consortium: Consortium) -> None:
    # A key verified a moment ago sits in the key cache: revoking must take effect anyway.
    member = consortium.partner_c
    assert consortium.client.get("/v1/projects", headers=member.headers).status_code == 200
    key_id = member.key.split("_")[1]
    revoked = consortium.client.delete(f"/v1/keys/{key_id}", headers=consortium.admin_headers)
    assert revoked.status_code == 200
    response = consortium.client.get("/v1/projects", headers=member.headers)
    assert response.status_code == 401 and response.json()["code"] == "invalid_api_key"


def test_me_names_the_keys_own_role_and_partner(consortium: Consortium) -> None:
    # What the web pages check a typed-in key with: whom it acts for, and nothing more.
    c = consortium
    partner = c.client.get("/v1/me", headers=c.partner_b.headers)
    assert partner.status_code == 200, partner.text
    body = partner.json()
    assert body["partner"] == c.partner_b.address and body["role"] == "partner"
    assert body["keyId"] == c.partner_b.key.split("_")[1]
    assert "apiKey" not in body and c.partner_b.key not in partner.text
    auditor = c.client.get("/v1/me", headers=c.auditor_headers).json()
    assert auditor["partner"] is None and auditor["role"] == "auditor"
    assert auditor["keyId"] == c.auditor_key_id


def test_me_with_made_up_or_revoked_key_is_401(consortium: Consortium) -> None:
    c = consortium
    made_up = "poc_0123456789ab_" + "Q" * 43
    for key in (made_up, "not-a-key", c.partner_c.key.replace("_", "-")):
        response = c.client.get("/v1/me", headers={"X-API-Key": key})
        assert response.status_code == 401 and response.json()["code"] == "invalid_api_key"
    missing = c.client.get("/v1/me")
    assert missing.status_code == 401 and missing.json()["code"] == "missing_api_key"
    key_id = c.partner_c.key.split("_")[1]
    assert c.client.delete(f"/v1/keys/{key_id}", headers=c.admin_headers).status_code == 200
    revoked = c.client.get("/v1/me", headers=c.partner_c.headers)
    assert revoked.status_code == 401 and revoked.json()["code"] == "invalid_api_key"
