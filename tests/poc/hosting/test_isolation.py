"""Nothing of one workspace is reachable from another: every route of a workspace (its API,
its pages, its exports, the platform's own `/hosted` and `/join` routes), called on workspace
B's host or `/w/B/` path with workspace A's session or any of A's API keys, is 401, 403 or
404 and reveals nothing of B. The route list is enumerated from the app, so a new route is
covered without editing this test."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from tests.poc.hosting.support import DOMAIN, Host, Joined, new_slug

HEX32 = "0x" + "ab" * 32
ADDRESS = "0x" + "cd" * 20


def _routes(host: Host, joined: Joined) -> list[tuple[str, str]]:
    """(method, path) of every route of a workspace: its API app's and the platform's."""
    runtime = host.platform.pool.get(joined.slug)
    project = str(runtime.seed.project_id)
    contribution = runtime.seed.contributions[0].contribution_id
    partner = runtime.seed.partners[0].address

    def filled(path: str) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "projectId":
                return project
            if name in ("contributionId", "contentCommitment", "disclosureId"):
                return contribution if name == "contributionId" else HEX32
            if name in ("partner", "address", "owner"):
                return partner
            if name in ("name", "code"):
                return "x.txt"
            return "1"

        return re.sub(r"\{([A-Za-z_]+)(?::[a-z]+)?\}", value, path)

    found: list[tuple[str, str]] = []
    for app in (runtime.app, host.app.workspace_routes):
        for route in iter_route_contexts(app.routes):
            if isinstance(route.original_route, Mount):
                found.append(("GET", f"{route.path}/css/app.css"))
                continue
            assert route.path is not None
            for method in sorted(set(route.methods or ()) - {"HEAD"}):
                found.append((method, filled(route.path)))
    # Other ways in: the OpenAPI document and the docs, the root.
    found += [("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/")]
    return sorted(set(found))


def _secrets_of(host: Host, joined: Joined) -> list[str]:
    """Strings that would show B's data leaked: its ledger, partners, project title, ids."""
    runtime = host.platform.pool.get(joined.slug)
    seed = runtime.seed
    values = [seed.ledger, seed.vault, seed.project_title]
    values += [p.address for p in seed.partners]
    values += [c.contribution_id for c in seed.contributions]
    values += list(joined.keys.values())
    return [v.lower() for v in values]


@pytest.mark.parametrize("credential", ["session", "api_key", "both"])
@pytest.mark.parametrize("form", ["host", "path"])
def test_credentials_of_workspace_a_are_refused_on_every_route_of_b(
    host: Host, pair: tuple[Joined, Joined], credential: str, form: str
) -> None:
    a, b = pair
    routes = _routes(host, b)
    assert len(routes) > 60, "the route enumeration found too few routes"
    leaks = _secrets_of(host, b)
    client = host.client(b.slug if form == "host" else None)
    prefix = "" if form == "host" else f"/w/{b.slug}"
    headers: dict[str, str] = {}
    cookies = {}
    if credential in ("session", "both"):
        cookies["poc_workspace"] = a.session
        headers["X-Workspace-Csrf"] = a.csrf
    api_keys = [None] if credential == "session" else list(a.keys.values())
    for api_key in api_keys:
        for method, path in routes:
            sent = dict(headers)
            if api_key is not None:
                sent["X-API-Key"] = api_key
            client.cookies.clear()
            for name, value in cookies.items():
                client.cookies.set(
                    name, value, domain=f"{b.slug}.{DOMAIN}" if form == "host" else DOMAIN
                )
            response = client.request(method, prefix + path, headers=sent, json={})
            assert response.status_code in (401, 403, 404), (method, path, response.status_code)
            body = response.text.lower()
            for secret in leaks:
                assert secret not in body, (method, path, "leaks", secret)
            # One answer for all: nothing tells B's routes apart (an invitation link is
            # refused as unknown: the code is its only credential).
            expected = (
                "invitation_unknown" if path.startswith("/join/") else "workspace_sign_in_required"
            )
            assert response.json()["code"] == expected, (method, path)


def test_own_credentials_reach_the_same_routes(host: Host, pair: tuple[Joined, Joined]) -> None:
    # The matrix above refuses for the right reason: B's own key reads B's project.
    _, b = pair
    runtime = host.platform.pool.get(b.slug)
    project = runtime.seed.project_id
    response = b.client.get(f"/v1/projects/{project}", headers=b.key_headers())
    assert response.status_code == 200
    assert response.json()["projectId"] == project
    by_path = host.client().get(f"/w/{b.slug}/v1/projects/{project}", headers=b.key_headers())
    assert by_path.status_code == 200


def test_sandbox_helpers_that_hand_out_keys_do_not_exist_in_hosted_mode(
    pair: tuple[Joined, Joined],
) -> None:
    a, _ = pair
    for method, path in (
        ("GET", "/sandbox/demo"),
        ("POST", "/sandbox/clock"),
        ("POST", "/sandbox/reset"),
        ("GET", "/sandbox/documents/agreement.json"),
    ):
        for headers in (a.session_headers, a.key_headers()):
            response = a.client.request(method, path, headers=headers, json={"days": 1})
            assert response.status_code == 404, (path, response.text)


def test_workspace_pages_answer_only_with_a_credential(
    host: Host, pair: tuple[Joined, Joined]
) -> None:
    a, _ = pair
    anonymous = host.client(a.slug)
    for path in ("/", "/partner", "/static/css/app.css", "/v1/chain", "/health", "/docs"):
        response = anonymous.get(path)
        assert response.status_code == 401, path
        assert response.json()["code"] == "workspace_sign_in_required"
    page = a.client.get("/partner")
    assert page.status_code == 200 and 'id="platform-notice"' in page.text


def test_unknown_and_existing_workspaces_answer_alike_without_credentials(
    host: Host, pair: tuple[Joined, Joined]
) -> None:
    a, _ = pair
    known = host.client(a.slug).get("/v1/chain")
    unknown = host.client("no-such-ws").get("/v1/chain")
    assert known.status_code == unknown.status_code == 401
    assert known.json() == unknown.json()


def test_request_naming_another_host_is_refused(host: Host) -> None:
    client = host.client()
    response = client.get("/operator", headers={"Host": "evil.example"})
    assert response.status_code == 403
    assert response.json()["code"] == "host_not_allowed"


def test_pages_asked_for_by_path_go_to_the_workspaces_own_origin(
    host: Host, pair: tuple[Joined, Joined]
) -> None:
    a, _ = pair
    browser = host.client()
    response = browser.get(
        f"/w/{a.slug}/partner", headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert response.status_code == 307
    assert response.headers["location"] == f"http://{a.slug}.{DOMAIN}/partner"
    # API clients stay on the path form.
    api = browser.get(f"/w/{a.slug}/v1/me", headers=a.key_headers())
    assert api.status_code == 200


def test_made_up_key_does_not_start_a_workspace(host: Host) -> None:
    slug = new_slug("cold")
    host.invite(slug)  # never opened: nothing runs
    made_up = "poc_0123456789ab_" + "x" * 43
    response = host.client(slug).get("/v1/me", headers={"X-API-Key": made_up})
    assert response.status_code == 401
    assert host.platform.pool.peek(slug) is None
