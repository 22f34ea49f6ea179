"""Time of its own: one workspace runs the whole cycle (register, endorse, the dispute window
passes on its own clock, split, payout) through the platform, while another workspace's chain
keeps its time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from api.schemas.contributions import RegistrationFields
from ledger.chain.clients import ETH
from ledger.domain.hashing import commitment, new_salt, sha256_bytes
from tests.poc.hosting.support import Host, Joined

DAY = 24 * 3600
T = TypeVar("T")


def eventually(check: Callable[[], T | None], timeout: float = 30.0) -> T:
    """`check()`'s first truthy answer within `timeout` seconds (the index follows the chain
    in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.1)


def _write(
    joined: Joined, label: str, url: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = joined.client.post(
        f"{url}?wait=true", json=body or {}, headers=joined.key_headers(label)
    )
    assert response.status_code == 200, response.text
    operation: dict[str, Any] = response.json()
    assert operation["status"] == "confirmed", operation
    return operation


def _chain_time(joined: Joined) -> int:
    response = joined.client.get("/hosted/api/status")
    assert response.status_code == 200, response.text
    return int(response.json()["chainTime"])


def test_clock_moved_in_one_workspace_leaves_the_other_unchanged(
    pair: tuple[Joined, Joined],
) -> None:
    a, b = pair
    before_a, before_b = _chain_time(a), _chain_time(b)
    moved = a.client.post("/hosted/clock", json={"days": 40}, headers=a.session_headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["chainTime"] >= before_a + 40 * DAY
    assert _chain_time(a) >= before_a + 40 * DAY
    assert _chain_time(b) < before_b + DAY


def test_clock_move_without_the_pages_csrf_value_is_refused(
    host: Host, pair: tuple[Joined, Joined]
) -> None:
    a, _ = pair
    before = _chain_time(a)
    refused = a.client.post("/hosted/clock", json={"days": 5})
    assert refused.status_code == 403 and refused.json()["code"] == "workspace_csrf_required"
    wrong = a.client.post("/hosted/clock", json={"days": 5}, headers={"X-Workspace-Csrf": "0" * 32})
    assert wrong.status_code == 403
    # An API key is no session: the workspace's own actions are its signed-in owner's.
    keyed = host.client(a.slug)
    by_key = keyed.post("/hosted/clock", json={"days": 5}, headers=a.key_headers())
    assert by_key.status_code == 401 and by_key.json()["code"] == "workspace_sign_in_required"
    assert _chain_time(a) < before + DAY


def test_whole_cycle_runs_in_one_workspace(host: Host, pair: tuple[Joined, Joined]) -> None:
    a, b = pair
    runtime = host.platform.pool.get(a.slug)
    project = runtime.seed.project_id
    partners = {p.label: p.address for p in runtime.seed.partners}
    b_time = _chain_time(b)

    # Register: a file hashed here, salted, committed by the coordinator's key.
    content = sha256_bytes(b"retting trial 7: 68 hours at 30 degrees")
    body = RegistrationFields(
        commitment="0x" + commitment(partners["leievlas"], project, content, new_salt()).hex(),
        origin="result",
        category=0,
        value=24,
    ).model_dump(mode="json", exclude_none=True)
    registered = _write(a, "leievlas", f"/v1/projects/{project}/contributions", body)
    contribution = str(registered["resourceId"])
    # Endorse: another partner vouches for it.
    _write(a, "unikortrijk", f"/v1/contributions/{contribution}/endorsements", {"rating": 4})
    pending = a.client.get(f"/v1/projects/{project}/score", headers=a.key_headers("lawyer")).json()
    statuses = {c["contributionId"]: c["status"] for c in pending["contributions"]}
    assert statuses.get(contribution) != "COUNTED"

    # The dispute window passes on this workspace's clock only.
    moved = a.client.post("/hosted/clock", json={"days": 31}, headers=a.session_headers)
    assert moved.status_code == 200

    def counted() -> dict[str, Any] | None:
        score = a.client.get(
            f"/v1/projects/{project}/score", headers=a.key_headers("lawyer")
        ).json()
        states = {c["contributionId"]: c["status"] for c in score["contributions"]}
        return score if states.get(contribution) == "COUNTED" else None

    score = eventually(counted)
    assert sum(e["bps"] for e in score["split"]) == 10_000

    # Split: proposed by one partner, approved until finalized.
    proposal = int(_write(a, "unikortrijk", f"/v1/projects/{project}/splits")["resourceId"])
    for label in ("leievlas", "vezelinstituut"):
        splits = a.client.get(f"/v1/projects/{project}/splits", headers=a.key_headers()).json()
        current = next(s for s in splits if s["proposalId"] == proposal)
        if current["finalized"]:
            break
        if partners[label] in current["waitingFor"]:
            _write(a, label, f"/v1/projects/{project}/splits/{proposal}/approvals")

    def finalized() -> dict[str, Any] | None:
        splits = a.client.get(f"/v1/projects/{project}/splits", headers=a.key_headers()).json()
        return next((s for s in splits if s["proposalId"] == proposal and s["finalized"]), None)

    split = eventually(finalized)
    shares = {line["partner"]: line["bps"] for line in split["split"]}

    # Revenue arrives in the vault (a customer pays royalties), then a partner is paid out.
    access = runtime.services.require_chain()
    access.vault.deposit(access.chain.sender(0), project, 10_000)

    def balance_of_partner() -> int | None:
        balances = a.client.get(
            f"/v1/projects/{project}/balances", headers=a.key_headers("unikortrijk")
        ).json()
        eth = next((t for t in balances["tokens"] if t["token"] == ETH), None)
        if eth is None:
            return None
        held = {x["partner"]: int(x["amount"]) for x in eth["balances"]}
        return held.get(partners["unikortrijk"]) or None

    owed = eventually(balance_of_partner)
    # Its share of the deposit, as the finalized split says (the vault rounds down).
    assert owed == 10_000 * shares[partners["unikortrijk"]] // 10_000
    released = _write(a, "unikortrijk", f"/v1/projects/{project}/payouts", {"token": ETH})
    assert released["kind"] == "release"

    def paid() -> bool:
        balances = a.client.get(
            f"/v1/projects/{project}/balances", headers=a.key_headers("unikortrijk")
        ).json()
        eth = next(t for t in balances["tokens"] if t["token"] == ETH)
        held = {x["partner"]: str(x["amount"]) for x in eth["balances"]}
        return held[partners["unikortrijk"]] == "0"

    eventually(paid)
    # Workspace B saw none of it: its clock did not move.
    assert _chain_time(b) < b_time + DAY
