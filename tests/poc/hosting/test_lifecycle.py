"""A workspace's life as the operator and its owner see it: invitations (single use, with an
expiry), suspension, quotas with their stable codes, the per-workspace request limit, expiry
warnings, expiry (graduation kept, then wiped), reset, and the operator's append-only audit
log."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.schemas.contributions import RegistrationFields
from ledger.domain.hashing import commitment, new_salt, sha256_bytes
from poc.hosting.registry import DAY, WorkspaceStatus
from poc.hosting.settings import HostSettings
from poc.hosting.workspace import workspace_dir
from tests.poc.hosting.support import OPERATOR_TOKEN, Host, Joined, make_host, new_slug
from tests.poc.hosting.test_cycle import eventually

# The platform's life (not its storage) is tested here: on PostgreSQL, a hosted platform's
# database; test_cycle and test_isolation run on SQLite as well.
HOST_DATABASES = ("postgresql",)


def _registration(host: Host, joined: Joined) -> dict[str, object]:
    runtime = host.platform.pool.get(joined.slug)
    partner = runtime.seed.partner("leievlas").address
    project = runtime.seed.project_id
    content = sha256_bytes(new_salt())
    return RegistrationFields(
        commitment="0x" + commitment(partner, project, content, new_salt()).hex(),
        origin="result",
        category=0,
        value=8,
    ).model_dump(mode="json", exclude_none=True)


def test_operator_api_refuses_a_missing_or_wrong_token(host: Host) -> None:
    for headers in ({}, {"Authorization": "Bearer " + "x" * 48}, {"Authorization": OPERATOR_TOKEN}):
        response = host.operator.get("/operator/api/workspaces", headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "operator_sign_in_required"
        assert " / " in response.json()["message"]  # English, then Dutch


def test_operator_token_shorter_than_32_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        HostSettings(operator_token=SecretStr("short-password"))


def test_invitation_works_once(host: Host) -> None:
    slug = new_slug("once")
    code = host.invite(slug)["code"]
    host.join(slug, code)
    again = host.client(slug).post(f"/join/{code}", headers={"Accept": "application/json"})
    assert again.status_code == 409 and again.json()["code"] == "invitation_used"


def test_invitation_past_its_expiry_is_refused(host: Host) -> None:
    slug = new_slug("late")
    code = host.invite(slug)["code"]
    registry = host.platform.registry
    with registry.engine.begin() as conn:
        conn.execute(
            text("UPDATE host_invitations SET expires_at = 0 WHERE slug = :s"), {"s": slug}
        )
    late = host.client(slug).post(f"/join/{code}", headers={"Accept": "application/json"})
    assert late.status_code == 410 and late.json()["code"] == "invitation_expired"


def test_invitation_of_one_workspace_opens_no_other(
    host: Host, pair: tuple[Joined, Joined]
) -> None:
    a, _ = pair
    slug = new_slug("inv")
    code = host.invite(slug)["code"]
    wrong = host.client(a.slug).post(f"/join/{code}", headers={"Accept": "application/json"})
    assert wrong.status_code == 404 and wrong.json()["code"] == "invitation_unknown"
    # ... and was not used up by the attempt.
    host.join(slug, code)


def test_join_posted_from_another_site_is_refused(host: Host) -> None:
    slug = new_slug("csrf")
    code = host.invite(slug)["code"]
    forged = host.client(slug).post(
        f"/join/{code}", headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    )
    assert forged.status_code == 403 and forged.json()["code"] == "workspace_csrf_required"


def test_workspace_name_taken_or_malformed_is_refused(
    host: Host, pair: tuple[Joined, Joined]
) -> None:
    a, _ = pair
    body = {"ownerName": "x", "ownerEmail": "x@example.org"}
    taken = host.operator.post(
        "/operator/api/workspaces", json={"slug": a.slug, **body}, headers=host.operator_headers
    )
    assert taken.status_code == 409 and taken.json()["code"] == "workspace_taken"
    for bad in ("operator", "Acme", "a--b", "-ab", "ab"):
        response = host.operator.post(
            "/operator/api/workspaces", json={"slug": bad, **body}, headers=host.operator_headers
        )
        assert response.status_code == 422, bad


def test_suspended_workspace_refuses_its_owner_until_resumed(host: Host) -> None:
    joined = host.join(new_slug("susp"))
    key = joined.keys["leievlas"]
    suspended = host.operator.post(
        f"/operator/api/workspaces/{joined.slug}/suspend", headers=host.operator_headers
    )
    assert suspended.json()["status"] == "suspended"
    by_session = joined.client.get("/hosted/api/status")
    assert by_session.status_code == 403 and by_session.json()["code"] == "workspace_suspended"
    assert joined.client.get("/partner").status_code == 403
    # Its keys are not even checked (an anvil workspace's node is stopped).
    by_key = host.client(joined.slug).get("/v1/me", headers={"X-API-Key": key})
    assert by_key.status_code == 401
    host.operator.post(
        f"/operator/api/workspaces/{joined.slug}/resume", headers=host.operator_headers
    )
    assert host.client(joined.slug).get("/v1/me", headers={"X-API-Key": key}).status_code == 200


def test_contribution_quota_refuses_registration_with_its_code(host: Host) -> None:
    joined = host.join(new_slug("quota"))
    runtime = host.platform.pool.get(joined.slug)
    seeded = eventually(runtime.contributions)  # once the index has the seeded ones
    host.operator.put(
        f"/operator/api/workspaces/{joined.slug}/quotas",
        json={"maxContributions": seeded},
        headers=host.operator_headers,
    )
    host.platform.forget(joined.slug)
    project = runtime.seed.project_id
    refused = joined.client.post(
        f"/v1/projects/{project}/contributions",
        json=_registration(host, joined),
        headers=joined.key_headers(),
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "quota_contributions_reached"
    assert runtime.contributions() == seeded


def test_storage_quota_refuses_writes_with_its_code(host: Host) -> None:
    joined = host.join(new_slug("disk"))
    host.operator.put(
        f"/operator/api/workspaces/{joined.slug}/quotas",
        json={"maxStorageBytes": 1},
        headers=host.operator_headers,
    )
    host.platform.sweep()  # measures the workspace
    runtime = host.platform.pool.get(joined.slug)
    refused = joined.client.post(
        f"/v1/projects/{runtime.seed.project_id}/contributions",
        json=_registration(host, joined),
        headers=joined.key_headers(),
    )
    assert refused.status_code == 403 and refused.json()["code"] == "quota_storage_reached"
    # Reads go on.
    assert joined.client.get("/v1/me", headers=joined.key_headers()).status_code == 200


def test_request_quota_limits_one_workspace_and_not_another(
    host: Host, pair: tuple[Joined, Joined]
) -> None:
    _, b = pair
    joined = host.join(new_slug("rate"))
    host.operator.put(
        f"/operator/api/workspaces/{joined.slug}/quotas",
        json={"requestsPerMinute": 12},
        headers=host.operator_headers,
    )
    host.platform.forget(joined.slug)
    statuses = [
        joined.client.get("/v1/me", headers=joined.key_headers()).status_code for _ in range(30)
    ]
    assert 429 in statuses
    refused = joined.client.get("/v1/me", headers=joined.key_headers())
    assert refused.json()["code"] == "workspace_rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert b.client.get("/v1/me", headers=b.key_headers()).status_code == 200


def test_expiry_warning_shows_in_headers_and_on_pages(host: Host) -> None:
    joined = host.join(new_slug("warn"))
    far = joined.client.get("/v1/me", headers=joined.key_headers())
    assert "x-workspace-expires-at" in far.headers and "x-workspace-days-left" not in far.headers
    host.platform.registry.update_workspace(joined.slug, expires_at=time.time() + 3 * DAY)
    host.platform.forget(joined.slug)
    near = joined.client.get("/v1/me", headers=joined.key_headers())
    assert near.headers["x-workspace-days-left"] in ("2", "3")
    page = joined.client.get("/register", headers={"Accept-Language": "nl"})
    assert 'id="platform-notice"' in page.text
    assert "over 2 dagen" in page.text or "over 3 dagen" in page.text
    host.platform.sweep()
    warned = host.platform.registry.workspace(joined.slug)
    assert warned is not None and warned.warned_at is not None
    assert any(
        e.action == "expiry_warning" and e.slug == joined.slug
        for e in host.platform.registry.audit_log()
    )


def test_expired_workspace_is_exported_for_its_owner_then_wiped(host: Host) -> None:
    joined = host.join(new_slug("exp"))
    root = workspace_dir(host.platform.settings, joined.slug)
    assert root.exists()
    host.platform.registry.update_workspace(joined.slug, expires_at=time.time() - 1)
    host.platform.forget(joined.slug)
    refused = joined.client.get("/v1/me", headers=joined.key_headers())
    assert refused.status_code == 403 and refused.json()["code"] == "workspace_expired"
    host.platform.sweep()
    record = host.platform.registry.workspace(joined.slug)
    assert record is not None and record.status is WorkspaceStatus.WIPED
    assert not root.exists()
    assert host.platform.pool.peek(joined.slug) is None
    if host.platform.databases.on_postgres:
        assert host.platform.databases.size(joined.slug) == 0  # dropped
    # Nothing answers any more, as for a workspace that never existed.
    gone = joined.client.get("/v1/me", headers=joined.key_headers())
    assert gone.status_code == 401 and gone.json()["code"] == "workspace_sign_in_required"
    outcome = next(
        e.detail
        for e in host.platform.registry.audit_log()
        if e.action == "graduation_kept" and e.slug == joined.slug
    )
    assert outcome == {"kept": True}, outcome
    kept = host.operator.get(
        f"/operator/api/workspaces/{joined.slug}/graduation", headers=host.operator_headers
    )
    assert kept.status_code == 200 and kept.headers["content-type"] == "application/zip"
    assert len(kept.headers["x-openings-passphrase"]) >= 20
    actions = [(e.action, e.slug) for e in host.platform.registry.audit_log()]
    assert ("workspace_wiped", joined.slug) in actions and (
        "graduation_kept",
        joined.slug,
    ) in actions


def test_operator_wipe_removes_node_state_database_and_files(host: Host) -> None:
    joined = host.join(new_slug("wipe"))
    root = workspace_dir(host.platform.settings, joined.slug)
    wiped = host.operator.post(
        f"/operator/api/workspaces/{joined.slug}/wipe", headers=host.operator_headers
    )
    assert wiped.json()["status"] == "wiped"
    assert not root.exists()
    if host.platform.databases.on_postgres:
        assert host.platform.databases.size(joined.slug) == 0
    assert joined.client.get("/hosted/api/status").status_code == 401


def test_reset_starts_the_workspace_over_with_new_keys(host: Host) -> None:
    joined = host.join(new_slug("reset"))
    old_key = joined.keys["leievlas"]
    joined.client.post("/hosted/clock", json={"days": 100}, headers=joined.session_headers)
    moved = joined.client.get("/hosted/api/status").json()["chainTime"]
    reset = joined.client.post("/hosted/reset", json={}, headers=joined.session_headers)
    assert reset.status_code == 200, reset.text
    new_key = next(k["apiKey"] for k in reset.json() if k["label"] == "leievlas")
    assert joined.client.get("/hosted/api/status").json()["chainTime"] < moved - 50 * DAY
    assert host.client(joined.slug).get("/v1/me", headers={"X-API-Key": old_key}).status_code == 401
    assert host.client(joined.slug).get("/v1/me", headers={"X-API-Key": new_key}).status_code == 200


def test_extend_moves_the_end_date(host: Host) -> None:
    joined = host.join(new_slug("ext"))
    before = host.platform.registry.workspace(joined.slug)
    assert before is not None
    extended = host.operator.post(
        f"/operator/api/workspaces/{joined.slug}/extend",
        json={"days": 30},
        headers=host.operator_headers,
    )
    after = host.platform.registry.workspace(joined.slug)
    assert extended.status_code == 200 and after is not None
    assert after.expires_at == pytest.approx(before.expires_at + 30 * DAY, abs=5)


def test_audit_log_is_append_only_and_lists_operator_actions(host: Host) -> None:
    joined = host.join(new_slug("audit"))
    host.operator.post(
        f"/operator/api/workspaces/{joined.slug}/suspend", headers=host.operator_headers
    )
    entries = host.operator.get("/operator/api/audit", headers=host.operator_headers).json()
    mine = [(e["actor"], e["action"]) for e in entries if e["slug"] == joined.slug]
    assert ("operator", "workspace_created") in mine and ("operator", "workspace_suspended") in mine
    engine = host.platform.registry.engine
    for statement in ("UPDATE host_audit SET action = 'nothing'", "DELETE FROM host_audit"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert host.platform.registry.audit_count() >= len(entries)


def test_console_signs_in_with_the_token_and_invites_through_its_form(host: Host) -> None:
    browser = host.client()
    assert 'id="operator-token"' in browser.get("/operator").text
    wrong = browser.post("/operator/signin", data={"token": "x" * 40})
    assert wrong.status_code == 401
    signed = browser.post("/operator/signin", data={"token": OPERATOR_TOKEN})
    assert signed.status_code == 200 and 'id="workspaces"' in signed.text
    page = signed.text
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    slug = new_slug("form")
    forged = browser.post(
        "/operator/console/invite",
        data={"csrf": "0" * 32, "slug": slug, "owner_name": "SME", "owner_email": "a@b.example"},
    )
    assert forged.status_code == 403 and forged.json()["code"] == "workspace_csrf_required"
    made = browser.post(
        "/operator/console/invite",
        data={"csrf": csrf, "slug": slug, "owner_name": "SME", "owner_email": "a@b.example"},
    )
    assert made.status_code == 200 and f"http://{slug}.sandbox.test/join/" in made.text
    assert f'data-slug="{slug}"' in made.text and "workspace_created" in made.text


def test_wrong_credentials_beyond_the_burst_are_refused(tmp_path: Path) -> None:
    strict = make_host(tmp_path, None, failed_auth_per_second=0.01, failed_auth_burst=3)
    try:
        slug = new_slug("guess")
        strict.invite(slug)
        client = strict.client(slug)
        codes = [
            client.post(f"/join/{'g' * 32}{i}", headers={"Accept": "application/json"}).status_code
            for i in range(5)
        ]
        assert codes[:3] == [404, 404, 404] and codes[3:] == [429, 429]
        console = strict.client()
        tries = [
            console.post("/operator/signin", data={"token": "x" * 40}).status_code for _ in range(5)
        ]
        assert tries[:3] == [401, 401, 401] and tries[3:] == [429, 429]
    finally:
        strict.platform.close()
