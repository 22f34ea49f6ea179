"""Who may list, issue, rotate and revoke which API keys: the full matrix over HTTP.

Four caller roles (partner, coordinator, auditor, admin) x four owners of the target key (the
caller itself, another partner, an auditor, the admin) x four actions. Each cell starts from
fresh keys, asserts the exact status and code, and then what the cell did or did not do: a
refused rotation or revocation leaves the target key working and issues nothing; an allowed
one takes effect. `EXPECTED` is the specification, written out by hand (docs/security.md and
`api.services.key_authority` say the same in words); it is deliberately not computed from the code.

The routes of a cell:
- list: `GET /v1/partners/{address}/keys` for a partner's key, `GET /v1/keys?role=` for keys
  that act for nobody (auditor, admin);
- issue: `POST /v1/partners/{address}/keys` with the target's role, or `POST /v1/keys`;
- rotate: `POST /v1/keys/{key_id}/rotate`; revoke: `DELETE /v1/keys/{key_id}`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from api.auth import Role, new_api_key
from api.settings import ApiSettings
from ledger.store import Store
from poc.wiring import create_app

CALLERS = ("partner", "coordinator", "auditor", "admin")
OWNERS = ("own", "other_partner", "auditor", "admin")
ACTIONS = ("list", "issue", "rotate", "revoke")

OK_LIST = (200, None)
OK_ISSUE = (201, None)
OK_ROTATE = (201, None)
OK_REVOKE = (200, None)
ROLE = (403, "forbidden_role")
ACTOR = (403, "wrong_actor")
HIDDEN = (404, "key_not_found")

# (caller, owner) -> (list, issue, rotate, revoke)
EXPECTED: dict[tuple[str, str], tuple[tuple[int, str | None], ...]] = {
    ("partner", "own"): (OK_LIST, OK_ISSUE, OK_ROTATE, OK_REVOKE),
    ("partner", "other_partner"): (ACTOR, ACTOR, HIDDEN, HIDDEN),
    ("partner", "auditor"): (ROLE, ROLE, HIDDEN, HIDDEN),
    ("partner", "admin"): (ROLE, ROLE, HIDDEN, HIDDEN),
    ("coordinator", "own"): (OK_LIST, OK_ISSUE, OK_ROTATE, OK_REVOKE),
    ("coordinator", "other_partner"): (ACTOR, ACTOR, HIDDEN, HIDDEN),
    ("coordinator", "auditor"): (ROLE, ROLE, HIDDEN, HIDDEN),
    ("coordinator", "admin"): (ROLE, ROLE, HIDDEN, HIDDEN),
    ("auditor", "own"): (ROLE, ROLE, OK_ROTATE, ROLE),
    ("auditor", "other_partner"): (ROLE, ROLE, HIDDEN, HIDDEN),
    ("auditor", "auditor"): (ROLE, ROLE, HIDDEN, HIDDEN),
    ("auditor", "admin"): (ROLE, ROLE, HIDDEN, HIDDEN),
    ("admin", "own"): (OK_LIST, OK_ISSUE, OK_ROTATE, OK_REVOKE),
    ("admin", "other_partner"): (OK_LIST, OK_ISSUE, OK_ROTATE, OK_REVOKE),
    ("admin", "auditor"): (OK_LIST, OK_ISSUE, OK_ROTATE, OK_REVOKE),
    ("admin", "admin"): (OK_LIST, OK_ISSUE, OK_ROTATE, OK_REVOKE),
}


@dataclass(frozen=True)
class Key:
    key_id: str
    plaintext: str
    role: str
    partner: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.plaintext}


def _issue(store: Store, role: str, partner: str | None) -> Key:
    issued = new_api_key(store, partner, Role(role), f"matrix-{role}")
    return Key(issued.record.key_id, issued.plaintext, role, partner)


def _new_address() -> str:
    return str(Account.create().address)


@pytest.fixture(scope="module")
def keys_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Store]]:
    """An API without a chain: key management needs none."""
    data_dir: Path = tmp_path_factory.mktemp("keys")
    settings = ApiSettings(data_dir=data_dir, rate_limit_per_second=10_000, rate_limit_burst=10_000)
    store = Store.open(settings.resolved_database_url)
    try:
        with TestClient(create_app(settings, store=store)) as client:
            yield client, store
    finally:
        store.close()


def _caller(store: Store, role: str) -> Key:
    partner = _new_address() if role in ("partner", "coordinator") else None
    return _issue(store, role, partner)


def _target(store: Store, caller: Key, owner: str) -> Key:
    if owner == "own":
        return caller
    if owner == "other_partner":
        return _issue(store, "partner", _new_address())
    return _issue(store, owner, None)


def _request(client: TestClient, caller: Key, target: Key, action: str) -> httpx.Response:
    headers = caller.headers
    method, url, body = "DELETE", f"/v1/keys/{target.key_id}", None
    params = {}
    if action == "list":
        method, url = "GET", f"/v1/partners/{target.partner}/keys"
        if target.partner is None:
            url, params = "/v1/keys", {"role": target.role}
    elif action == "issue":
        method, body = "POST", {"label": "matrix-issued", "role": target.role}
        url = "/v1/keys" if target.partner is None else f"/v1/partners/{target.partner}/keys"
    elif action == "rotate":
        method, url, body = "POST", f"/v1/keys/{target.key_id}/rotate", {}
    response: httpx.Response = client.request(
        method, url, params=params, json=body, headers=headers
    )
    return response


def _works(client: TestClient, key: Key | str) -> bool:
    plaintext = key.plaintext if isinstance(key, Key) else key
    response: httpx.Response = client.get("/v1/chain", headers={"X-API-Key": plaintext})
    assert response.status_code in (200, 401, 503), response.text
    return response.status_code != 401


CELLS = [
    pytest.param(caller, owner, action, id=f"{caller}-{owner}-{action}")
    for caller in CALLERS
    for owner in OWNERS
    for action in ACTIONS
]


@pytest.mark.parametrize(("caller_role", "owner", "action"), CELLS)
def test_key_action_by_role_and_owner_has_exact_status(
    keys_app: tuple[TestClient, Store], caller_role: str, owner: str, action: str
) -> None:
    client, store = keys_app
    caller = _caller(store, caller_role)
    target = _target(store, caller, owner)
    keys_before = {k.key_id for k in store.keys.api_keys()}
    expected_status, expected_code = EXPECTED[(caller_role, owner)][ACTIONS.index(action)]

    response = _request(client, caller, target, action)

    assert response.status_code == expected_status, response.text
    if expected_code is not None:
        assert response.json()["code"] == expected_code, response.text
        # Refused: nothing changed. The target still works, no key was issued.
        assert _works(client, target)
        assert {k.key_id for k in store.keys.api_keys()} == keys_before
        return
    body = response.json()
    if action == "list":
        assert target.key_id in {k["keyId"] for k in body}
        assert all("apiKey" not in k for k in body)
    elif action == "issue":
        assert body["role"] == target.role and body["partner"] == target.partner
        assert _works(client, body["apiKey"])
    elif action == "rotate":
        assert body["role"] == target.role and body["partner"] == target.partner
        assert not _works(client, target)
        assert _works(client, body["apiKey"])
        old = store.keys.api_key(target.key_id)
        assert old is not None and old.replaced_by == body["keyId"]
    else:
        assert body["keyId"] == target.key_id and body["revokedAt"] is not None
        assert not _works(client, target)


def test_auditor_rotating_the_admins_key_is_404_and_admin_key_still_works(
    keys_app: tuple[TestClient, Store],
) -> None:
    # The reported attack: `_key_of` treated any two keys without a partner as one owner.
    client, store = keys_app
    auditor = _issue(store, "auditor", None)
    admin = _issue(store, "admin", None)

    rotated = client.post(f"/v1/keys/{admin.key_id}/rotate", json={}, headers=auditor.headers)
    revoked = client.delete(f"/v1/keys/{admin.key_id}", headers=auditor.headers)

    assert rotated.status_code == 404 and rotated.json()["code"] == "key_not_found"
    assert revoked.status_code == 404 and revoked.json()["code"] == "key_not_found"
    assert _works(client, admin)
    record = store.keys.api_key(admin.key_id)
    assert record is not None and record.revoked_at is None


def test_unknown_key_and_hidden_key_get_the_same_body(
    keys_app: tuple[TestClient, Store],
) -> None:
    client, store = keys_app
    partner = _issue(store, "partner", _new_address())
    other = _issue(store, "partner", _new_address())
    unknown = "0123456789ab"

    hidden = client.post(f"/v1/keys/{other.key_id}/rotate", json={}, headers=partner.headers)
    missing = client.post(f"/v1/keys/{unknown}/rotate", json={}, headers=partner.headers)

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == {**missing.json(), "message": f"no key {other.key_id}"}


@pytest.mark.parametrize("action", ["issue", "rotate", "revoke"])
def test_partner_key_acting_on_its_own_coordinator_key_is_403_role(
    keys_app: tuple[TestClient, Store], action: str
) -> None:
    # No escalation inside one partner: a partner key must not mint, take over or kill the
    # coordinator key of its own organisation.
    client, store = keys_app
    address = _new_address()
    partner = _issue(store, "partner", address)
    coordinator = _issue(store, "coordinator", address)

    response = _request(client, partner, coordinator, action)

    assert response.status_code == 403 and response.json()["code"] == "forbidden_role"
    assert _works(client, coordinator)


def test_coordinator_key_manages_the_partner_keys_of_its_own_partner(
    keys_app: tuple[TestClient, Store],
) -> None:
    client, store = keys_app
    address = _new_address()
    coordinator = _issue(store, "coordinator", address)
    robot = _issue(store, "partner", address)

    listed = client.get(f"/v1/partners/{address}/keys", headers=coordinator.headers)
    revoked = client.delete(f"/v1/keys/{robot.key_id}", headers=coordinator.headers)

    assert {k["keyId"] for k in listed.json()} == {coordinator.key_id, robot.key_id}
    assert revoked.status_code == 200 and not _works(client, robot)


def test_list_all_keys_filters_by_partner_and_role_for_the_admin(
    keys_app: tuple[TestClient, Store],
) -> None:
    client, store = keys_app
    admin = _issue(store, "admin", None)
    address = _new_address()
    partner = _issue(store, "partner", address)
    auditor = _issue(store, "auditor", None)

    by_partner = client.get("/v1/keys", params={"partner": address}, headers=admin.headers)
    by_role = client.get("/v1/keys", params={"role": "auditor"}, headers=admin.headers)

    assert [k["keyId"] for k in by_partner.json()] == [partner.key_id]
    assert auditor.key_id in {k["keyId"] for k in by_role.json()}
    assert {k["role"] for k in by_role.json()} == {"auditor"}
