"""Failed writes, new attempts and repeats through the API.

A write accepted (202) can still fail on chain: the node was down and the partner's signature
expired meanwhile, or the state changed before it was sent. Such a failure carries the
contract's error, decoded, and never blocks a new attempt at the same action. Only the same
request is a repeat: the same signature, or the same Idempotency-Key with the same body. The
same action posted with other values is 409 `conflict` naming them.

Moving the chain's clock ahead of the wall clock lets a test sign with a deadline the API still
accepts (it checks the wall clock) that the chain's next block has passed: what a write waiting
in the outbox through a node outage meets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from ledger.chain.signing import sign_typed_data
from tests.api.flows import api_contribution, api_project, registration, write
from tests.api.support import AGREEMENT, POLICY_JSON, Consortium, Member

DAY = 24 * 3600


@dataclass(frozen=True)
class Action:
    """A signed write: who posts it, where, and with which body, once `setup` built its world."""

    name: str
    setup: Callable[[Consortium], tuple[Member, str, dict[str, Any]]]


def _endorse(c: Consortium) -> tuple[Member, str, dict[str, Any]]:
    project_id = api_project(c)
    contribution = api_contribution(c, c.partner_b, project_id, "endorsed")
    return c.partner_c, f"/v1/contributions/{contribution}/endorsements", {"rating": 4}


def _vote(c: Consortium) -> tuple[Member, str, dict[str, Any]]:
    # Four partners, so that two may vote and the first vote leaves the dispute open.
    members = [*c.partners, c.outsider]
    body = {
        "agreementHash": "0x" + AGREEMENT.hex(),
        "partners": [m.address for m in members],
        "policy": POLICY_JSON,
    }
    project_id = int(write(c, c.coordinator, "/v1/projects", body)["resourceId"])
    for member in members:
        write(c, member, f"/v1/projects/{project_id}/agreement/acceptances")
    contribution = api_contribution(c, c.partner_b, project_id, "disputed")
    url = f"/v1/contributions/{contribution}/disputes"
    write(c, c.partner_c, url, {"reasonHash": "0x" + "ab" * 32})
    return c.coordinator, f"{url}/1/votes", {"uphold": True}


def _approve_split(c: Consortium) -> tuple[Member, str, dict[str, Any]]:
    project_id = api_project(c)
    contribution = api_contribution(c, c.partner_b, project_id, "counted")
    write(c, c.coordinator, f"/v1/contributions/{contribution}/endorsements", {"rating": 4})
    c.chain.increase_time(8 * DAY)
    c.sync()
    split = write(c, c.partner_b, f"/v1/projects/{project_id}/splits")
    return c.coordinator, f"/v1/projects/{project_id}/splits/{split['resourceId']}/approvals", {}


def _approve_proposal(c: Consortium) -> tuple[Member, str, dict[str, Any]]:
    project_id = api_project(c)
    amend = {"kind": "amend_agreement", "agreementHash": "0x" + "42" * 32}
    proposal = write(c, c.coordinator, f"/v1/projects/{project_id}/proposals", amend)
    return (
        c.partner_b,
        f"/v1/projects/{project_id}/proposals/{proposal['resourceId']}/approvals",
        {},
    )


def _withdraw(c: Consortium) -> tuple[Member, str, dict[str, Any]]:
    project_id = api_project(c)
    contribution = api_contribution(c, c.partner_b, project_id, "withdrawn")
    return c.partner_b, f"/v1/contributions/{contribution}/withdraw", {}


def _register(c: Consortium) -> tuple[Member, str, dict[str, Any]]:
    project_id = api_project(c)
    body = registration(c.partner_b, project_id, "registered")
    return c.partner_b, f"/v1/projects/{project_id}/contributions", body


ACTIONS = [
    Action("endorse", _endorse),
    Action("vote", _vote),
    Action("approve_split", _approve_split),
    Action("approve_proposal", _approve_proposal),
    Action("withdraw", _withdraw),
    Action("register", _register),
]


def _signed(
    c: Consortium, member: Member, url: str, body: dict[str, Any], *, deadline: int | None = None
) -> dict[str, Any]:
    """`body` signed by `member` on its own machine (non-custodial): prepared by the API, with
    the prepared deadline or `deadline`."""
    prepared = c.client.post(f"{url}/prepare", json=body, headers=member.headers)
    assert prepared.status_code == 200, prepared.text
    data = prepared.json()
    typed = data["typedData"]
    if deadline is not None:
        typed["message"]["deadline"] = deadline
    signature = sign_typed_data(member.account.key, typed)
    return {
        **body,
        "signature": "0x" + signature.hex(),
        "nonce": data["nonce"],
        "deadline": int(typed["message"]["deadline"]),
    }


def _expiring_deadline(c: Consortium) -> int:
    """A deadline the API accepts now and the chain's next block has passed: the chain's clock
    goes a minute ahead of the wall clock, and the deadline is its newest block's time."""
    c.chain.increase_time(60)
    return int(c.chain.w3.eth.get_block("latest")["timestamp"])


def _settled(c: Consortium, member: Member, op_id: str) -> dict[str, Any]:
    """The operation once final (the outbox worker runs in the app), as its partner reads it."""
    services = c.client.app.state.services  # type: ignore[attr-defined]
    services.worker.wait(op_id, 20)
    response = c.client.get(f"/v1/operations/{op_id}", headers=member.headers)
    assert response.status_code == 200, response.text
    op: dict[str, Any] = response.json()
    return op


# ------------------------------------------------------------------------------ non-custodial


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_resign_after_expired_signature_is_a_new_attempt_that_lands(
    consortium: Consortium, action: Action
) -> None:
    c = consortium
    member, url, body = action.setup(c)
    expiring = _signed(c, member, url, body, deadline=_expiring_deadline(c))

    accepted = c.client.post(url, json=expiring, headers=member.headers)
    assert accepted.status_code == 202, accepted.text
    failed = _settled(c, member, accepted.json()["id"])
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "signature_expired", failed["error"]
    assert failed["error"]["message"].startswith("SignatureExpired(deadline=")

    # The same signature again is the same request: that operation, failed.
    again = c.client.post(url, json=expiring, headers=member.headers)
    assert again.status_code == 200 and again.json()["id"] == failed["id"]
    assert again.json()["status"] == "failed"

    # A new signature is a new attempt, and it lands.
    fresh = _signed(c, member, url, body)
    landed = c.client.post(f"{url}?wait=true", json=fresh, headers=member.headers)
    assert landed.status_code == 200, landed.text
    assert landed.json()["id"] != failed["id"]
    assert landed.json()["status"] == "confirmed", landed.json()
    repeat = c.client.post(url, json=fresh, headers=member.headers)
    assert repeat.status_code == 200 and repeat.json()["id"] == landed.json()["id"]


def test_repeat_of_a_failed_signed_request_after_its_deadline_returns_its_operation(
    consortium: Consortium, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that posts its request again (its first answer was lost) once the deadline
    has passed by the wall clock too gets the operation, not 422: the same signature is the
    same request. An expired signature never posted is still refused."""
    c = consortium
    member, url, body = _endorse(c)
    deadline = _expiring_deadline(c)
    expiring = _signed(c, member, url, body, deadline=deadline)
    accepted = c.client.post(url, json=expiring, headers=member.headers)
    assert _settled(c, member, accepted.json()["id"])["status"] == "failed"
    unseen = _signed(c, member, url, body, deadline=deadline)
    later = deadline + 10.0
    monkeypatch.setattr(time, "time", lambda: later)  # the wall clock, the API's included

    again = c.client.post(url, json=expiring, headers=member.headers)
    refused = c.client.post(url, json=unseen, headers=member.headers)

    assert again.status_code == 200 and again.json()["id"] == accepted.json()["id"]
    assert refused.status_code == 422 and refused.json()["code"] == "signature_expired"


def test_new_signature_for_an_action_under_way_or_done_returns_that_operation(
    consortium: Consortium,
) -> None:
    """Once an action is pending or confirmed, signing it again changes nothing (the contract
    would refuse a second one): the answer is the operation that does it."""
    c = consortium
    member, url, body = _endorse(c)
    first = c.client.post(
        f"{url}?wait=true", json=_signed(c, member, url, body), headers=member.headers
    )
    assert first.status_code == 200 and first.json()["status"] == "confirmed"

    second = c.client.post(url, json=_signed(c, member, url, body), headers=member.headers)

    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]


def test_resign_with_another_rating_while_the_first_is_done_is_409_conflict(
    consortium: Consortium,
) -> None:
    c = consortium
    member, url, body = _endorse(c)
    write(c, member, url, body)

    other = c.client.post(url, json=_signed(c, member, url, {"rating": 2}), headers=member.headers)

    assert other.status_code == 409, other.text
    assert other.json()["code"] == "conflict"
    assert "rating" in other.json()["message"]
    assert [d["location"] for d in other.json()["details"]] == ["body.rating"]


# ------------------------------------------------------------------------------ custodial


def test_custodial_write_that_failed_on_chain_does_not_block_a_new_attempt(
    consortium: Consortium,
) -> None:
    """Custodial writes carry no signature of the partner's: without an Idempotency-Key the
    same action is a repeat only while its operation is pending or confirmed. Here an
    endorsement is accepted, then the agreement changes before it is sent, so it fails
    (`agreement_not_accepted`); after accepting the new version the partner endorses again."""
    c = consortium
    coord, b, partner_c = c.partners
    project_id = api_project(c)
    contribution = api_contribution(c, b, project_id, "endorsed later")
    amend = {"kind": "amend_agreement", "agreementHash": "0x" + "42" * 32}
    proposal = write(c, coord, f"/v1/projects/{project_id}/proposals", amend)
    approvals = f"/v1/projects/{project_id}/proposals/{proposal['resourceId']}/approvals"
    services = c.client.app.state.services  # type: ignore[attr-defined]
    url = f"/v1/contributions/{contribution}/endorsements"
    services.worker.stop()
    try:
        # Sent in this order: b's approval (2 of 3, the policy's two thirds) executes the
        # amendment, then the endorsement meets an agreement version its endorser has not
        # accepted yet. (No dry run for the endorsement: the approval is not sent yet, so the
        # chain still accepts it when the request arrives.)
        approval = c.client.post(approvals, json={}, headers=b.headers)
        endorsement = c.client.post(url, json={"rating": 4}, headers=partner_c.headers)
        assert approval.status_code == 202 and endorsement.status_code == 202
    finally:
        services.worker.start()
    assert _settled(c, b, approval.json()["id"])["status"] == "confirmed"
    failed = _settled(c, partner_c, endorsement.json()["id"])
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "agreement_not_accepted", failed["error"]
    c.sync()

    write(c, partner_c, f"/v1/projects/{project_id}/agreement/acceptances")
    again = c.client.post(f"{url}?wait=true", json={"rating": 4}, headers=partner_c.headers)

    assert again.status_code == 200, again.text
    assert again.json()["id"] != failed["id"] and again.json()["status"] == "confirmed"


def test_failure_recorded_by_an_older_worker_does_not_block_a_new_attempt(
    consortium: Consortium,
) -> None:
    """Workers of older releases left a failed operation holding its action; opening the
    store frees those, and the API frees one a still-running old worker writes later."""
    c = consortium
    member, url, body = _endorse(c)
    services = c.client.app.state.services  # type: ignore[attr-defined]
    services.worker.stop()
    try:
        first = c.client.post(url, json=body, headers=member.headers)
        assert first.status_code == 202
        failure = {"status": "failed", "error_code": "unknown_revert", "error_message": "0x"}
        c.store.outbox.update_operations([(first.json()["id"], failure)])
    finally:
        services.worker.start()

    again = c.client.post(f"{url}?wait=true", json=body, headers=member.headers)

    assert again.status_code == 200, again.text
    assert again.json()["id"] != first.json()["id"] and again.json()["status"] == "confirmed"


def test_custodial_repeat_of_a_pending_action_returns_it(consortium: Consortium) -> None:
    c = consortium
    member, url, body = _endorse(c)
    services = c.client.app.state.services  # type: ignore[attr-defined]
    services.worker.stop()
    try:
        first = c.client.post(url, json=body, headers=member.headers)
        again = c.client.post(url, json=body, headers=member.headers)
        other = c.client.post(url, json={"rating": 1}, headers=member.headers)
    finally:
        services.worker.start()
    assert first.status_code == 202
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert other.status_code == 409 and other.json()["code"] == "conflict"
    assert "under way" in other.json()["message"]


# ------------------------------------------------------------------------------ registrations


FIELD_CHANGES: dict[str, dict[str, Any]] = {
    "value": {"value": 41},
    "category": {"category": 1},
    "origin": {"origin": "background"},
    "parents": {"parents": ["0x" + "77" * 32]},
    "uri": {"uri": "https://example.org/other"},
}


@pytest.mark.parametrize("field", FIELD_CHANGES)
def test_register_same_commitment_with_another_field_is_409_naming_it(
    consortium: Consortium, field: str
) -> None:
    c = consortium
    member, url, body = _register(c)
    write(c, member, url, body)

    changed = c.client.post(url, json={**body, **FIELD_CHANGES[field]}, headers=member.headers)

    assert changed.status_code == 409, changed.text
    error = changed.json()
    assert error["code"] == "conflict"
    assert field in error["message"]
    assert [d["location"] for d in error["details"]] == [f"body.{field}"]
    # Unchanged, it is the repeat it always was.
    same = c.client.post(url, json=body, headers=member.headers)
    assert same.status_code == 200 and same.json()["status"] == "confirmed"


def test_register_same_commitment_with_several_fields_changed_names_each(
    consortium: Consortium,
) -> None:
    c = consortium
    member, url, body = _register(c)
    write(c, member, url, body)

    changed = c.client.post(
        url, json={**body, "value": 99, "uri": "ipfs://x"}, headers=member.headers
    )

    assert changed.status_code == 409
    assert [d["location"] for d in changed.json()["details"]] == ["body.value", "body.uri"]


def test_supersede_with_a_commitment_already_registered_is_409_naming_supersedes(
    consortium: Consortium,
) -> None:
    c = consortium
    member, url, body = _register(c)
    write(c, member, url, body)
    older = api_contribution(c, member, int(url.split("/")[3]), "older")

    superseding = c.client.post(
        f"/v1/contributions/{older}/supersede", json=body, headers=member.headers
    )

    assert superseding.status_code == 409, superseding.text
    assert superseding.json()["code"] == "conflict"
    assert [d["location"] for d in superseding.json()["details"]] == ["supersedes"]


def test_register_non_custodial_resigned_with_another_value_is_409(
    consortium: Consortium,
) -> None:
    c = consortium
    member, url, body = _register(c)
    first = c.client.post(url, json=_signed(c, member, url, body), headers=member.headers)
    assert first.status_code == 202

    changed = {**body, "value": 400}
    other = c.client.post(url, json=_signed(c, member, url, changed), headers=member.headers)

    assert other.status_code == 409 and other.json()["code"] == "conflict"
    assert "value" in other.json()["message"]


def test_other_action_signed_with_a_nonce_spent_on_chain_is_422_nonce_used(
    consortium: Consortium,
) -> None:
    """A client that picks its own nonces and reuses one: the dry run refuses it before anything
    is stored. Sent, its revert (nonce used) would read as this signature having landed."""
    c = consortium
    member, url, body = _register(c)
    signed = _signed(c, member, url, body)
    first = c.client.post(f"{url}?wait=true", json=signed, headers=member.headers)
    assert first.status_code == 200 and first.json()["status"] == "confirmed", first.text
    services = c.client.app.state.services  # type: ignore[attr-defined]
    operations_before = services.store.outbox.count_operations()

    other = registration(member, int(url.split("/")[3]), "another piece of work")
    prepared = c.client.post(f"{url}/prepare", json=other, headers=member.headers).json()
    typed = prepared["typedData"]
    typed["message"]["nonce"] = signed["nonce"]
    reused = {
        **other,
        "signature": "0x" + sign_typed_data(member.account.key, typed).hex(),
        "nonce": signed["nonce"],
        "deadline": int(typed["message"]["deadline"]),
    }
    refused = c.client.post(url, json=reused, headers=member.headers)

    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "nonce_used"
    assert services.store.outbox.count_operations() == operations_before
    # The first signature posted again is still its own repeat, not a refusal.
    again = c.client.post(url, json=signed, headers=member.headers)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]


def _reusing_nonce(
    c: Consortium, member: Member, url: str, body: dict[str, Any], nonce: str
) -> dict[str, Any]:
    """`body` signed by `member` with a nonce it chose itself (`nonce`), not the prepared one."""
    typed = c.client.post(f"{url}/prepare", json=body, headers=member.headers).json()["typedData"]
    typed["message"]["nonce"] = nonce
    return {
        **body,
        "signature": "0x" + sign_typed_data(member.account.key, typed).hex(),
        "nonce": nonce,
        "deadline": int(typed["message"]["deadline"]),
    }


@dataclass(frozen=True)
class NonceTwins:
    """Two different registrations one partner signed with one nonce; the first is posted."""

    member: Member
    url: str
    signed: dict[str, Any]
    other: dict[str, Any]
    first_id: str


@contextmanager
def _first_of_nonce_twins_pending(c: Consortium) -> Iterator[NonceTwins]:
    """The first twin accepted (202) and left pending: the outbox worker is stopped until the
    block ends."""
    member, url, body = _register(c)
    signed = _signed(c, member, url, body)
    project_id = int(url.split("/")[3])
    other = _reusing_nonce(
        c, member, url, registration(member, project_id, "other work"), signed["nonce"]
    )
    services = c.client.app.state.services  # type: ignore[attr-defined]
    services.worker.stop()
    try:
        first = c.client.post(url, json=signed, headers=member.headers)
        assert first.status_code == 202, first.text
        yield NonceTwins(member, url, signed, other, first.json()["id"])
    finally:
        services.worker.start()


def test_other_action_signed_with_the_nonce_of_a_pending_one_is_409_nonce_taken(
    consortium: Consortium,
) -> None:
    """While the first signed action waits in the outbox (no dry run then: it may depend on the
    pending one), a second action signed with the same nonce is refused at the door. Accepted,
    only one of the two could land, and the other's "nonce used" revert would be counted as an
    earlier landing of itself: an accepted write reported done that never happened."""
    c = consortium
    services = c.client.app.state.services  # type: ignore[attr-defined]
    with _first_of_nonce_twins_pending(c) as twins:
        before = services.store.outbox.count_operations()
        refused = c.client.post(twins.url, json=twins.other, headers=twins.member.headers)
        # The first posted again is still its own repeat.
        again = c.client.post(twins.url, json=twins.signed, headers=twins.member.headers)

    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "nonce_taken"
    assert twins.first_id in refused.json()["message"]
    assert services.store.outbox.count_operations() == before
    assert again.status_code == 200 and again.json()["id"] == twins.first_id
    assert _settled(c, twins.member, twins.first_id)["status"] == "confirmed"


def test_nonce_of_a_failed_operation_can_sign_another_action(consortium: Consortium) -> None:
    """A failed operation never landed (here: its signature expired before it was sent): it
    lets go of its nonce as of its action, and the nonce is free for another signature."""
    c = consortium
    member, url, body = _register(c)
    project_id = int(url.split("/")[3])
    expiring = _signed(c, member, url, body, deadline=_expiring_deadline(c))
    accepted = c.client.post(url, json=expiring, headers=member.headers)
    assert accepted.status_code == 202, accepted.text
    failed = _settled(c, member, accepted.json()["id"])
    assert failed["status"] == "failed" and failed["error"]["code"] == "signature_expired"
    other = _reusing_nonce(
        c, member, url, registration(member, project_id, "other work"), expiring["nonce"]
    )

    second = c.client.post(f"{url}?wait=true", json=other, headers=member.headers)

    assert second.status_code == 200, second.text
    assert second.json()["status"] == "confirmed" and second.json()["id"] != failed["id"]


def test_nonce_held_by_a_failure_an_older_worker_recorded_is_let_go(
    consortium: Consortium,
) -> None:
    """Workers of older releases record a failure without letting go of its nonce: the API
    frees it when a new signature with that nonce arrives."""
    c = consortium
    with _first_of_nonce_twins_pending(c) as twins:
        failure = {"status": "failed", "error_code": "unknown_revert", "error_message": "0x"}
        c.store.outbox.update_operations([(twins.first_id, failure)])
        held = c.store.outbox.operation(twins.first_id)
        assert held is not None and held.nonce_key is not None

    second = c.client.post(f"{twins.url}?wait=true", json=twins.other, headers=twins.member.headers)

    assert second.status_code == 200, second.text
    assert second.json()["status"] == "confirmed" and second.json()["id"] != twins.first_id


def test_register_commitment_on_chain_with_another_value_is_409(consortium: Consortium) -> None:
    """Registered without this service (straight to the contract), the contribution is still
    compared field by field once the index has it; an equal one is 'already done'."""
    c = consortium
    member = c.partner_b
    project_id = c.project_on_chain()
    commitment = c.register_on_chain(member, project_id)  # value 40, category 0, a result
    c.sync()
    url = f"/v1/projects/{project_id}/contributions"
    body = {"commitment": "0x" + commitment.hex(), "origin": "result", "category": 0}

    other = c.client.post(url, json={**body, "value": 41}, headers=member.headers)
    same = c.client.post(url, json={**body, "value": 40}, headers=member.headers)

    assert other.status_code == 409 and other.json()["code"] == "conflict"
    assert [d["location"] for d in other.json()["details"]] == ["body.value"]
    assert same.status_code == 200, same.text
    assert same.json()["result"]["alreadyDone"] is True
    # With the first registration's date and id, for "already registered on <date>".
    first = c.client.get(f"/v1/contributions/{same.json()['resourceId']}", headers=member.headers)
    assert same.json()["result"]["registeredAt"] == first.json()["registeredAt"] > 0


# ------------------------------------------------------------------------------ Idempotency-Key


def test_idempotency_key_repeats_a_failed_operation_and_refuses_another_body(
    consortium: Consortium,
) -> None:
    c = consortium
    member, url, body = _endorse(c)
    expiring = _signed(c, member, url, body, deadline=_expiring_deadline(c))
    headers = {**member.headers, "Idempotency-Key": "endorse-1"}
    accepted = c.client.post(url, json=expiring, headers=headers)
    assert accepted.status_code == 202
    assert _settled(c, member, accepted.json()["id"])["status"] == "failed"

    same = c.client.post(url, json=expiring, headers=headers)
    fresh = _signed(c, member, url, body)
    resigned = c.client.post(url, json=fresh, headers=headers)
    new_key = c.client.post(
        f"{url}?wait=true", json=fresh, headers={**member.headers, "Idempotency-Key": "endorse-2"}
    )

    assert same.status_code == 200 and same.json()["id"] == accepted.json()["id"]
    assert resigned.status_code == 409 and resigned.json()["code"] == "idempotency_key_reused"
    assert new_key.status_code == 200 and new_key.json()["status"] == "confirmed"


# ------------------------------------------------------------------------------ error codes


def test_expired_signature_has_one_code_at_the_api_at_preflight_and_on_chain(
    consortium: Consortium,
) -> None:
    """The API's own deadline check, the contract's refusal in the dry run and the failure of
    the sent transaction all answer `signature_expired` (422 where it is refused at once)."""
    c = consortium
    member, url, body = _endorse(c)
    past = _signed(c, member, url, body, deadline=1_000_000)
    own_check = c.client.post(url, json=past, headers=member.headers)
    # Ahead of the wall clock by an hour, the chain has passed a deadline the wall has not.
    c.chain.increase_time(3_600)
    wall_deadline = int(c.chain.w3.eth.get_block("latest")["timestamp"]) - 1_800
    preflight = c.client.post(
        url, json=_signed(c, member, url, body, deadline=wall_deadline), headers=member.headers
    )
    on_chain = c.client.post(
        url,
        json=_signed(c, member, url, body, deadline=_expiring_deadline(c)),
        headers=member.headers,
    )

    assert (own_check.status_code, own_check.json()["code"]) == (422, "signature_expired")
    assert (preflight.status_code, preflight.json()["code"]) == (422, "signature_expired")
    assert preflight.json()["message"].startswith("SignatureExpired(")
    assert on_chain.status_code == 202
    assert _settled(c, member, on_chain.json()["id"])["error"]["code"] == "signature_expired"


def test_unreadable_signature_is_422_signature_malformed(consortium: Consortium) -> None:
    c = consortium
    member, url, body = _endorse(c)
    signed = _signed(c, member, url, body)
    signed["signature"] = signed["signature"][:-2] + "05"  # no valid recovery id

    response = c.client.post(url, json=signed, headers=member.headers)

    assert response.status_code == 422 and response.json()["code"] == "signature_malformed"
