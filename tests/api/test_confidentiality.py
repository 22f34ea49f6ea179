"""A consortium's records are for its partners and the auditors it grants (`api.services.access`).

The matrix: every GET route and every export route of the app, enumerated from the app itself
(a new route without a row in `READS` fails `test_every_read_route_has_a_scoping_decision`),
read by six callers:

- `member`: partner B of project 1;
- `former`: partner F, added to project 1 during set-up and removed again;
- `granted`: an auditor key the coordinator of project 1 granted;
- `ungranted`: an auditor key nobody granted;
- `admin`: the admin key, not granted;
- `outsider`: the partner of project 2, another consortium.

Who may not read a project gets 404 with the body a nonexistent id gets (its own id in the
message), never 403, so that ids do not leak; lists hold only what the caller may read. Grants
are recorded in the outbox's database with who granted them and when, and are revocable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from pydantic.alias_generators import to_snake
from starlette.routing import Mount

from api.auth import Role, issue_api_key
from api.settings import ApiSettings
from ledger.chain.connection import Chain
from ledger.chain.deployment_record import DeploymentRecord
from ledger.domain.hashing import commitment, new_salt, sha256_bytes
from ledger.domain.values import checksum
from ledger.store import Store
from poc.wiring import create_app
from tests.api.flows import api_contribution, publish_encryption_key, share_document, write
from tests.api.support import AGREEMENT, POLICY, POLICY_JSON, Consortium, Member, call, contract

DAY = 24 * 3600
VIEWERS = ("member", "former", "granted", "ungranted", "admin", "outsider")
MISSING_PROJECT = 4_000_000
MISSING_CONTRIBUTION = "0x" + "e1" * 32
MISSING_OPERATION = "0" * 32
MISSING_PARTNER = "0x" + "5a" * 20
DISPUTE_REASON = "Vertrouwelijk: dezelfde proef liep al in 2019 bij Lab Gent"
CARD_TITLE = "Vertrouwelijke receptuur: enzymatische roting van vlas"
SECRET = "0x" + "5e" * 32  # B's proof secret, kept by the service (B is custodial)
MISSING_DISCLOSURE = "0x" + "d1" * 32
MISSING_REQUEST = 987_654_321


@dataclass
class World:
    """Project 1 (coordinator, B, C; F added and removed during set-up) with a contribution of
    B opened for exports, one of C under dispute, a proposal, a split proposal, a grant of the
    `granted` auditor; project 2 of the outsider alone."""

    consortium: Consortium
    project: int
    other_project: int
    contribution: str
    disputed: str
    opening: dict[str, str]
    proposal: int
    split: int
    operation: str
    keys: dict[str, str] = field(default_factory=dict)
    disclosure: str = ""  # the coordinator's document shared with B
    request: int = 0  # C's request for access rights to B's contribution

    @property
    def client(self) -> TestClient:
        return self.consortium.client

    def headers(self, viewer: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[viewer]}


@pytest.fixture(scope="module")
def world(
    _deployed: tuple[Chain, DeploymentRecord], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    chain, record = _deployed
    snapshot = chain.snapshot()
    settings = ApiSettings(
        data_dir=tmp_path_factory.mktemp("confidential"),
        index_poll_interval=0.02,
        outbox_poll_interval=0.01,
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        keystore_scrypt_n=1 << 4,
        wait_timeout=20,
    )
    store = Store.open(settings.resolved_database_url)
    try:
        with TestClient(create_app(settings, store=store, chain=chain, deployment=record)) as tc:
            yield _build(Consortium.create(chain, record, store, tc))
    finally:
        store.close()
        chain.revert(snapshot)


def _build(c: Consortium) -> World:
    coord, b, partner_c = c.partners
    account = c.chain.accounts[5]
    former = Member(account, issue_api_key(c.store, account.address, Role.PARTNER, "former"))
    body = {
        "agreementHash": "0x" + AGREEMENT.hex(),
        "partners": [m.address for m in c.partners],
        "policy": POLICY_JSON,
    }
    project = int(write(c, coord, "/v1/projects", body)["resourceId"])
    write(c, coord, f"/v1/projects/{project}/partners", {"partner": former.address})
    removed = c.client.delete(
        f"/v1/projects/{project}/partners/{former.address}?wait=true", headers=coord.headers
    )
    assert removed.status_code == 200, removed.text
    for member in c.partners:
        write(c, member, f"/v1/projects/{project}/agreement/acceptances")

    content, salt = sha256_bytes(b"B's lab notebook"), new_salt()
    commit = commitment(b.address, project, content, salt)
    registration = {
        "commitment": "0x" + commit.hex(),
        "origin": "result",
        "category": 0,
        "value": 40,
        "card": {"title": CARD_TITLE, "description": "Labnotities van B."},
    }
    own = str(write(c, b, f"/v1/projects/{project}/contributions", registration)["resourceId"])
    other = api_contribution(c, partner_c, project, "c-doc")
    write(c, coord, f"/v1/contributions/{own}/endorsements", {"rating": 4})
    write(c, coord, f"/v1/contributions/{other}/disputes", {"reason": {"text": DISPUTE_REASON}})
    amend = {"kind": "amend_agreement", "agreementHash": "0x" + "42" * 32}
    proposal = int(write(c, coord, f"/v1/projects/{project}/proposals", amend)["resourceId"])
    c.chain.increase_time(8 * DAY)
    c.sync()
    split = write(c, b, f"/v1/projects/{project}/splits")
    kept = c.client.put(
        f"/v1/partners/{b.address}/proof-secret", json={"secret": SECRET}, headers=b.headers
    )
    assert kept.status_code == 201, kept.text

    # Project 2: the outsider's own consortium, made on chain.
    call(
        c.chain,
        c.record,
        c.outsider.account,
        "PocLedger",
        "createProject",
        AGREEMENT,
        [c.outsider.address],
        POLICY.as_abi(),
    )
    other_project = int(contract(c.chain, c.record, "PocLedger").functions.projectCount().call())
    ungranted = issue_api_key(c.store, None, Role.AUDITOR, "other-counsel")
    c.grant_auditor(project)
    publish_encryption_key(c, b)
    shared = share_document(c, coord, project, [b])
    asked = {"purpose": "carrying_out_project", "terms": "royalty_free"}
    request = write(c, partner_c, f"/v1/contributions/{own}/access-requests", asked)
    return World(
        consortium=c,
        project=project,
        other_project=other_project,
        contribution=own,
        disputed=other,
        opening={"contentHash": "0x" + content.hex(), "salt": "0x" + salt.hex()},
        proposal=proposal,
        split=int(split["resourceId"]),
        operation=split["id"],
        keys={
            "member": b.key,
            "former": former.key,
            "granted": c.auditor_key,
            "ungranted": ungranted,
            "admin": c.admin_key,
            "outsider": c.outsider.key,
        },
        disclosure=shared.disclosure_id,
        request=int(request["resourceId"]),
    )


# ------------------------------------------------------------------------------ the table

OK = 200
NF = 404


@dataclass(frozen=True)
class Read:
    """How one route is scoped, and what each viewer gets.

    `scope`: "public" (the same answer for everyone), "project", "contribution", "operation",
    "partner" (404 to whom may not read it, with a nonexistent id's body), "self" (the key's own
    partner only, 403 to any other key; `tests/api/test_proof_secrets.py` has the details of the
    proof-secret route), "own" (what waits for the key's own partner), "list" (200 for
    everyone; `listed` says who finds project 1's records in it), "keys" (statuses only;
    `tests/api/test_key_authority.py` has the full matrix), "agreement" (readable by the
    partners an agreement names, its coordinator, its project's readers and the auditors that
    coordinator granted, 404 `agreement_not_found` to everyone else: a decision recorded here,
    its cells in `tests/api/test_agreements.py`, since this world's project has no builder-made
    agreement).
    """

    scope: str
    expected: dict[str, int]
    params: dict[str, Any] = field(default_factory=dict)
    body: Callable[[World], dict[str, Any]] | None = None
    listed: frozenset[str] = frozenset()


READERS = {"member": OK, "former": OK, "granted": OK, "ungranted": NF, "admin": NF, "outsider": NF}
# Exports refuse admin keys by role (403, whatever the id), before any project is looked up.
EXPORTERS = {**READERS, "admin": 403}
EVERYONE = dict.fromkeys(VIEWERS, OK)
PROJECT_READERS = frozenset({"member", "former", "granted"})


def _openings(_: World) -> dict[str, Any]:
    return {"openings": {}}


def _opening(w: World) -> dict[str, Any]:
    return w.opening


READS: dict[tuple[str, str], Read] = {
    # Not project content: chain facts, health, documentation, the pages (which hold no data).
    ("GET", "/health"): Read("public", EVERYONE),
    ("GET", "/ready"): Read("public", EVERYONE),
    ("GET", "/openapi.json"): Read("public", EVERYONE),
    ("GET", "/docs"): Read("public", EVERYONE),
    ("GET", "/docs/oauth2-redirect"): Read("public", EVERYONE),
    ("GET", "/redoc"): Read("public", EVERYONE),
    ("GET", "/"): Read("public", EVERYONE),
    ("GET", "/partner"): Read("public", EVERYONE),
    ("GET", "/project"): Read("public", EVERYONE),
    ("GET", "/register"): Read("public", EVERYONE),
    ("GET", "/contribution"): Read("public", EVERYONE),
    ("GET", "/split"): Read("public", EVERYONE),
    ("GET", "/lawyer"): Read("public", EVERYONE),
    ("GET", "/agreement"): Read("public", EVERYONE),
    ("GET", "/agreement/builder"): Read("public", EVERYONE),
    ("GET", "/share"): Read("public", EVERYONE),
    ("GET", "/inbox"): Read("public", EVERYONE),
    ("GET", "/recovery"): Read("public", EVERYONE),
    ("GET", "/openings"): Read("public", EVERYONE),
    ("GET", "/requests"): Read("public", EVERYONE),
    ("GET", "/lang/{code}"): Read("public", dict.fromkeys(VIEWERS, 303)),
    ("GET", "/v1/chain"): Read("public", EVERYONE),
    # The caller's own key: every key reads itself, and nothing else (see test_partners).
    ("GET", "/v1/me"): Read("public", EVERYONE),
    # A bundle the caller already holds: checking it reads nothing stored.
    ("POST", "/v1/proofs/verify"): Read("public", EVERYONE, body=lambda _: {"bundle": {}}),
    # Lists: only what the caller may read.
    ("GET", "/v1/projects"): Read("list", EVERYONE, listed=PROJECT_READERS),
    ("GET", "/v1/operations"): Read("list", EVERYONE, listed=frozenset({"member"})),
    # Project content.
    ("GET", "/v1/projects/{project_id}"): Read("project", READERS),
    ("GET", "/v1/projects/{project_id}/policies"): Read("project", READERS),
    ("GET", "/v1/projects/{project_id}/contributions"): Read("project", READERS),
    ("GET", "/v1/projects/{project_id}/auditors"): Read("project", READERS),
    ("GET", "/v1/projects/{project_id}/proposals"): Read("project", READERS),
    ("GET", "/v1/projects/{project_id}/proposals/{proposal_id}"): Read("project", READERS),
    ("GET", "/v1/projects/{project_id}/score"): Read("project", READERS),
    ("GET", "/v1/projects/{project_id}/splits"): Read("project", READERS),
    ("GET", "/v1/projects/{project_id}/splits/{proposal_id}"): Read("project", READERS),
    ("GET", "/v1/projects/{project_id}/statement"): Read(
        "project", READERS, params={"amount": 1000}
    ),
    ("GET", "/v1/projects/{project_id}/balances"): Read("project", READERS),
    ("GET", "/v1/contributions/{contribution_id}"): Read("contribution", READERS),
    ("GET", "/v1/contributions/{contribution_id}/card"): Read("contribution", READERS),
    ("GET", "/v1/contributions/{contribution_id}/endorsements"): Read("contribution", READERS),
    ("GET", "/v1/contributions/{contribution_id}/disputes"): Read("contribution", READERS),
    ("GET", "/v1/contributions/{contribution_id}/disputes/{number}"): Read("contribution", READERS),
    # Exports.
    ("POST", "/v1/exports/contributions/{contribution_id}/bundle"): Read(
        "contribution", EXPORTERS, body=_opening
    ),
    ("POST", "/v1/exports/contributions/{contribution_id}/certificate"): Read(
        "contribution", EXPORTERS, body=_opening
    ),
    ("POST", "/v1/exports/projects/{project_id}/partners/{partner}"): Read(
        "project", EXPORTERS, body=_openings
    ),
    ("POST", "/v1/exports/projects/{project_id}/evidence-pack"): Read(
        "project", EXPORTERS, body=_openings
    ),
    ("GET", "/v1/exports/projects/{project_id}/results-ownership-list"): Read("project", EXPORTERS),
    # A partner's request: its partner and the partners (present or former) of its project.
    ("GET", "/v1/operations/{operation_id}"): Read("operation", {**READERS, "granted": NF}),
    # Partners: themselves, the admin, and whoever reads a project they are or were in.
    ("GET", "/v1/partners/{address}"): Read("partner", {**READERS, "admin": OK}),
    # Keys (`api.services.key_authority`).
    ("GET", "/v1/partners/{address}/keys"): Read(
        "keys",
        {
            "member": OK,
            "former": 403,
            "granted": 403,
            "ungranted": 403,
            "admin": OK,
            "outsider": 403,
        },
    ),
    ("GET", "/v1/keys"): Read("keys", {**dict.fromkeys(VIEWERS, 403), "admin": OK}),
    # Agreements (`api.services.agreements.can_read_agreement`): see the "agreement" scope.
    ("GET", "/v1/agreements"): Read("agreement", {}),
    ("GET", "/v1/agreements/{agreement_id}"): Read("agreement", {}),
    ("GET", "/v1/agreements/{agreement_id}/versions/{version}"): Read("agreement", {}),
    ("GET", "/v1/agreements/{agreement_id}/versions/{version}/document"): Read("agreement", {}),
    # Knowledge exchange (api.services.exchange): records for the project's readers, the sealed
    # document for its sharer and recipients, a wrapped key for its recipient only.
    ("GET", "/v1/partners/{address}/encryption-keys"): Read("partner", {**READERS, "admin": OK}),
    ("GET", "/v1/projects/{project_id}/disclosures"): Read("project", READERS),
    ("GET", "/v1/projects/{project_id}/access-requests"): Read("project", READERS),
    ("GET", "/v1/projects/{project_id}/exchange-settings"): Read("project", READERS),
    ("GET", "/v1/projects/{project_id}/exchange-settings/proposals"): Read("project", READERS),
    ("GET", "/v1/contributions/{contribution_id}/access-requests"): Read("contribution", READERS),
    ("GET", "/v1/disclosures/{disclosure_id}"): Read("disclosure", READERS),
    ("GET", "/v1/disclosures/{disclosure_id}/document"): Read(
        "disclosure", {**dict.fromkeys(VIEWERS, NF), "member": OK}
    ),
    ("GET", "/v1/disclosures/{disclosure_id}/key"): Read(
        "disclosure",
        {
            "member": OK,
            "former": NF,
            "granted": 403,
            "ungranted": 403,
            "admin": 403,
            "outsider": NF,
        },
    ),
    ("GET", "/v1/access-requests/{request_id}"): Read("request", READERS),
    # What waits for the key's own partner, in the projects it reads.
    ("GET", "/v1/inbox"): Read(
        "own", {**dict.fromkeys(VIEWERS, OK), "granted": 403, "ungranted": 403, "admin": 403}
    ),
    # A kept proof secret (api.services.custody.proof_secret_owner): its own partner's keys
    # only (B keeps one, see `_build`); every other key is 403 before anything is looked up.
    ("GET", "/v1/partners/{address}/proof-secret"): Read(
        "self", {**dict.fromkeys(VIEWERS, 403), "member": OK}
    ),
}

# Mounted applications, not routes: the pages' scripts and styles.
MOUNTS = {"/static"}


def _app_reads(client: TestClient) -> set[tuple[str, str]]:
    """Every GET route of the app, and every route that exports or verifies proofs."""
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        if isinstance(route.original_route, Mount):
            assert route.path in MOUNTS, f"unknown mount {route.path}"
            continue
        assert route.path is not None, route
        exporting = route.path.startswith(("/v1/exports/", "/v1/proofs/"))
        for method in route.methods or ():
            if method == "GET" or (exporting and method != "HEAD"):
                # The table names path parameters in snake_case; the API in camelCase.
                path = re.sub(r"\{(\w+)\}", lambda m: "{" + to_snake(m.group(1)) + "}", route.path)
                found.add((method, path))
    return found


def _subject(path: str, w: World) -> str:
    """The contribution a path reads: the disputed one where the path names a dispute (and on
    the list of disputes, whose reasons are confidential too), else B's own."""
    return w.disputed if "/disputes" in path else w.contribution


def _fill(path: str, w: World, *, missing: bool = False) -> str:
    c = w.consortium
    return (
        path.replace("{project_id}", str(MISSING_PROJECT if missing else w.project))
        .replace("{contribution_id}", MISSING_CONTRIBUTION if missing else _subject(path, w))
        .replace("{number}", "1")
        .replace("{operation_id}", MISSING_OPERATION if missing else w.operation)
        .replace("{address}", MISSING_PARTNER if missing else c.partner_b.address)
        .replace("{partner}", c.partner_b.address)
        .replace("{code}", "en")
        .replace("{disclosure_id}", MISSING_DISCLOSURE if missing else w.disclosure)
        .replace("{request_id}", str(MISSING_REQUEST if missing else w.request))
    )


def _proposal_path(path: str, w: World) -> str:
    proposal = w.split if "/splits/" in path else w.proposal
    return path.replace("{proposal_id}", str(proposal))


def _send(w: World, method: str, path: str, read: Read, viewer: str, **kw: Any) -> httpx.Response:
    url = _proposal_path(_fill(path, w, **kw), w)
    response: httpx.Response = w.client.request(
        method,
        url,
        params=read.params,
        json=read.body(w) if read.body else None,
        headers=w.headers(viewer),
        follow_redirects=False,
    )
    return response


def test_every_read_route_has_a_scoping_decision(world: World) -> None:
    found = _app_reads(world.client)
    assert found - READS.keys() == set(), "read routes without a scoping decision in READS"
    assert READS.keys() - found == set(), "rows in READS for routes that do not exist"


CELLS = [
    pytest.param(method, path, viewer, id=f"{method} {path} {viewer}")
    for (method, path), read in READS.items()
    if read.scope != "agreement"
    for viewer in VIEWERS
]


@pytest.mark.parametrize(("method", "path", "viewer"), CELLS)
def test_read_by_viewer_has_its_scoped_status(
    world: World, method: str, path: str, viewer: str
) -> None:
    read = READS[(method, path)]
    response = _send(world, method, path, read, viewer)

    assert response.status_code == read.expected[viewer], response.text
    if read.scope == "list":
        assert _lists_project(world, path, response.json()) == (viewer in read.listed)
    if response.status_code == 404 and read.scope != "self":
        # Exactly what an id that does not exist gets, with that id in the message. ("self":
        # the 404 goes to the owner only; another address is refused by role, 403.)
        missing = _send(world, method, path, read, viewer, missing=True)
        hidden, absent = response.json(), missing.json()
        assert missing.status_code == 404 and hidden["code"] == absent["code"], absent
        assert hidden == {**absent, "message": _same_message(absent["message"], world, path)}
    # A dispute's reason and a card are project content: in the answer only for who may read
    # the project.
    if "/disputes" in path:
        assert (DISPUTE_REASON in response.text) == (response.status_code == OK), response.text
    if path in ("/v1/contributions/{contribution_id}", "/v1/contributions/{contribution_id}/card"):
        assert (CARD_TITLE in response.text) == (response.status_code == OK), response.text
    if path.endswith("/proof-secret"):
        assert (SECRET[2:] in response.text.lower()) == (response.status_code == OK)


def _same_message(absent: str, w: World, path: str) -> str:
    return (
        absent.replace(str(MISSING_PROJECT), str(w.project))
        .replace(MISSING_CONTRIBUTION, _subject(path, w))
        .replace(MISSING_OPERATION, w.operation)
        .replace(checksum(MISSING_PARTNER), w.consortium.partner_b.address)
        .replace(MISSING_DISCLOSURE, w.disclosure)
        .replace(str(MISSING_REQUEST), str(w.request))
    )


def _lists_project(w: World, path: str, body: Any) -> bool:
    if path == "/v1/projects":
        return w.project in {p["projectId"] for p in body["items"]}
    return w.operation in {op["id"] for op in body}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_contributions_of_unreadable_project_are_404(world: World, viewer: str) -> None:
    response = world.client.get(
        f"/v1/projects/{world.project}/contributions", headers=world.headers(viewer)
    )
    if viewer in PROJECT_READERS:
        assert response.status_code == 200 and response.json()["items"]
    else:
        assert response.status_code == 404 and response.json()["code"] == "project_not_found"


def test_outsider_lists_its_own_project_only(world: World) -> None:
    listed = world.client.get("/v1/projects", headers=world.headers("outsider")).json()
    assert [p["projectId"] for p in listed["items"]] == [world.other_project]


def test_partner_seen_by_another_shows_only_readable_projects(world: World) -> None:
    b = world.consortium.partner_b.address
    by_admin = world.client.get(f"/v1/partners/{b}", headers=world.headers("admin")).json()
    by_auditor = world.client.get(f"/v1/partners/{b}", headers=world.headers("granted")).json()
    by_itself = world.client.get(f"/v1/partners/{b}", headers=world.headers("member")).json()
    assert by_admin["projects"] == []
    assert by_auditor["projects"] == by_itself["projects"] == [world.project]


def test_write_lookup_of_unreadable_contribution_is_404(world: World) -> None:
    # The write routes look contributions up too: an outsider's prepared endorsement would
    # otherwise hand it the contribution's project.
    url = f"/v1/contributions/{world.contribution}/endorsements/prepare"
    hidden = world.client.post(url, json={"rating": 3}, headers=world.headers("outsider"))
    missing = world.client.post(
        url.replace(world.contribution, MISSING_CONTRIBUTION),
        json={"rating": 3},
        headers=world.headers("outsider"),
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["code"] == missing.json()["code"] == "contribution_not_found"


# ------------------------------------------------------------------------------ grants


def _grant(c: Consortium, project: int, key: str, headers: dict[str, str]) -> httpx.Response:
    key_id = key.split("_")[1]
    response: httpx.Response = c.client.put(
        f"/v1/projects/{project}/auditors/{key_id}", headers=headers
    )
    return response


def test_coordinator_grants_then_revokes_auditor(consortium: Consortium) -> None:
    c = consortium
    project = c.project_on_chain()
    c.sync()
    url = f"/v1/projects/{project}"
    assert c.client.get(url, headers=c.auditor_headers).status_code == 404

    granted = _grant(c, project, c.auditor_key, c.coordinator.headers)
    again = _grant(c, project, c.auditor_key, c.coordinator.headers)

    assert granted.status_code == 201, granted.text
    assert again.status_code == 200 and again.json() == granted.json()
    grant = granted.json()
    assert grant["keyId"] == c.auditor_key_id and grant["role"] == "auditor"
    assert grant["grantedBy"] == c.coordinator.address and grant["active"] is True
    assert grant["grantedByKey"] == c.coordinator.key.split("_")[1]
    assert c.client.get(url, headers=c.auditor_headers).status_code == 200
    listed = c.client.get(f"{url}/auditors", headers=c.partner_c.headers).json()
    assert [g["keyId"] for g in listed] == [c.auditor_key_id]

    revoked = c.client.delete(f"{url}/auditors/{c.auditor_key_id}", headers=c.coordinator.headers)

    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revokedAt"] is not None and revoked.json()["active"] is False
    assert revoked.json()["revokedBy"] == c.coordinator.address
    assert c.client.get(url, headers=c.auditor_headers).status_code == 404
    assert c.client.get(f"{url}/auditors", headers=c.partner_b.headers).json() == []
    history = c.client.get(
        f"{url}/auditors", params={"includeRevoked": "true"}, headers=c.partner_b.headers
    ).json()
    assert [(g["keyId"], g["active"]) for g in history] == [(c.auditor_key_id, False)]
    again_revoked = c.client.delete(
        f"{url}/auditors/{c.auditor_key_id}", headers=c.coordinator.headers
    )
    assert again_revoked.status_code == 404
    assert again_revoked.json()["code"] == "grant_not_found"


def test_grant_by_partner_who_does_not_coordinate_is_403_not_coordinator(
    consortium: Consortium,
) -> None:
    c = consortium
    project = c.project_on_chain()
    c.sync()
    # A coordinator key of a member that does not coordinate this project.
    b_coordinator = {
        "X-API-Key": issue_api_key(c.store, c.partner_b.address, Role.COORDINATOR, "b-coord")
    }

    response = _grant(c, project, c.auditor_key, b_coordinator)

    assert response.status_code == 403 and response.json()["code"] == "not_coordinator"
    assert c.client.get(f"/v1/projects/{project}", headers=c.auditor_headers).status_code == 404


def test_grant_by_anyone_but_the_coordinator_is_refused(consortium: Consortium) -> None:
    c = consortium
    project = c.project_on_chain()
    other = issue_api_key(c.store, None, Role.AUDITOR, "other")
    c.grant_auditor(project)
    c.grant_auditor(project, c.admin_key)
    outsider_coordinator = {
        "X-API-Key": issue_api_key(c.store, c.outsider.address, Role.COORDINATOR, "o-coord")
    }

    by_partner = _grant(c, project, other, c.partner_b.headers)
    by_auditor = _grant(c, project, other, c.auditor_headers)
    by_admin = _grant(c, project, other, c.admin_headers)
    by_outsider = _grant(c, project, other, outsider_coordinator)
    revoke_by_auditor = c.client.delete(
        f"/v1/projects/{project}/auditors/{c.auditor_key_id}", headers=c.auditor_headers
    )

    assert (by_partner.status_code, by_partner.json()["code"]) == (403, "not_coordinator")
    assert (by_auditor.status_code, by_auditor.json()["code"]) == (403, "forbidden_role")
    assert (by_admin.status_code, by_admin.json()["code"]) == (403, "forbidden_role")
    assert (by_outsider.status_code, by_outsider.json()["code"]) == (404, "project_not_found")
    assert revoke_by_auditor.status_code == 403
    other_headers = {"X-API-Key": other}
    assert c.client.get(f"/v1/projects/{project}", headers=other_headers).status_code == 404


def test_grant_of_partner_unknown_or_revoked_key_is_422_invalid_grantee(
    consortium: Consortium,
) -> None:
    c = consortium
    project = c.project_on_chain()
    c.sync()
    revoked = issue_api_key(c.store, None, Role.AUDITOR, "gone")
    c.store.keys.revoke_api_key(revoked.split("_")[1])
    answers = [
        _grant(c, project, key, c.coordinator.headers)
        for key in (c.partner_b.key, c.outsider.key, "poc_0123456789ab_x", revoked)
    ]
    bodies = [(r.status_code, r.json()["code"]) for r in answers]
    assert bodies == [(422, "invalid_grantee")] * 4


def test_admin_reads_project_content_only_when_granted(consortium: Consortium) -> None:
    c = consortium
    project = c.project_on_chain()
    c.register_on_chain(c.partner_b, project)
    c.sync()
    contributions = f"/v1/projects/{project}/contributions"
    before = c.client.get(contributions, headers=c.admin_headers)
    assert before.status_code == 404
    assert c.client.get(f"/v1/projects/{project}", headers=c.admin_headers).status_code == 404

    c.grant_auditor(project, c.admin_key)

    after = c.client.get(contributions, headers=c.admin_headers)
    assert len(after.json()["items"]) == 1
    assert c.client.get(f"/v1/projects/{project}", headers=c.admin_headers).status_code == 200


def test_rotated_auditor_key_keeps_its_grants(consortium: Consortium) -> None:
    c = consortium
    project = c.project_on_chain()
    c.grant_auditor(project)

    rotated = c.client.post(
        f"/v1/keys/{c.auditor_key_id}/rotate", json={}, headers=c.auditor_headers
    )

    assert rotated.status_code == 201, rotated.text
    new_headers = {"X-API-Key": rotated.json()["apiKey"]}
    assert c.client.get(f"/v1/projects/{project}", headers=new_headers).status_code == 200
    listed = c.client.get(f"/v1/projects/{project}/auditors", headers=c.partner_b.headers)
    assert [g["keyId"] for g in listed.json()] == [rotated.json()["keyId"]]


def test_grants_live_in_the_outbox_database_not_the_index(tmp_path: Path) -> None:
    # The index can be moved aside and rebuilt from the chain; a grant cannot be.
    url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    store = Store.open(url)
    key = issue_api_key(store, None, Role.AUDITOR, "counsel").split("_")[1]
    store.keys.add_auditor_grant(7, key, granted_by="0x" + "11" * 20, granted_by_key=None)
    store.close()
    (tmp_path / "index.sqlite3").unlink()

    reopened = Store.open(url)
    try:
        assert reopened.keys.granted_projects(key) == frozenset({7})
    finally:
        reopened.close()


def test_grants_survive_a_restart_and_an_index_rebuild(
    consortium: Consortium, settings: ApiSettings
) -> None:
    c = consortium
    project = c.project_on_chain()
    c.grant_auditor(project)
    c.store.index.reset()

    reopened = Store.open(settings.resolved_database_url)
    try:
        grants = reopened.keys.auditor_grants(project)
        assert [(g.key_id, g.granted_by) for g in grants] == [
            (c.auditor_key_id, c.coordinator.address)
        ]
        assert reopened.keys.granted_projects(c.auditor_key_id) == frozenset({project})
    finally:
        reopened.close()
    c.sync()
    assert c.client.get(f"/v1/projects/{project}", headers=c.auditor_headers).status_code == 200


def test_grant_by_any_partner_key_of_the_coordinator_lets_the_auditor_read(
    consortium: Consortium,
) -> None:
    c = consortium
    project = c.project_on_chain()
    c.sync()
    # The chain's coordinator decides, not the key's role: a plain partner key of it grants.
    coordinator_partner_key = {
        "X-API-Key": issue_api_key(c.store, c.coordinator.address, Role.PARTNER, "coord-2")
    }

    response = _grant(c, project, c.auditor_key, coordinator_partner_key)

    assert response.status_code == 201, response.text
    assert c.client.get(f"/v1/projects/{project}", headers=c.auditor_headers).status_code == 200
