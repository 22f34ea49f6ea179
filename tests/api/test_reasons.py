"""Disputes with their reasons through the API: the reason's hash is what goes on chain, the text
is kept sealed and shown to the project with the dispute (who disputed, the tally, how many
votes decide), a resolved dispute keeps it; bad reasons are refused with their code and leave
nothing behind; the database never holds the words; an altered reason is never served.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient

from ledger.chain.signing import sign_typed_data
from ledger.domain.cards import DisputeReason
from tests.api.flows import api_contribution, api_project, write
from tests.api.support import Consortium, contract

REASON = "Dezelfde rotingsmethode werd in 2019 door Lab Gent gepubliceerd — zie bijlage."


def _disputed(consortium: Consortium, reason: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """C's contribution, disputed by the coordinator with `reason`; its dispute as read."""
    project = api_project(consortium)
    cid = api_contribution(consortium, consortium.partner_c, project, "c-work")
    write(consortium, consortium.coordinator, f"/v1/contributions/{cid}/disputes", reason)
    disputes = consortium.client.get(
        f"/v1/contributions/{cid}/disputes", headers=consortium.partner_b.headers
    )
    assert disputes.status_code == 200, disputes.text
    [dispute] = disputes.json()
    return cid, dispute


def _dispute_event_hash(consortium: Consortium, cid: str) -> str:
    ledger = contract(consortium.chain, consortium.record, "PocLedger")
    logs = ledger.events.DisputeOpened().get_logs(
        from_block=0, argument_filters={"contributionId": bytes.fromhex(cid[2:])}
    )
    return "0x" + bytes(logs[-1]["args"]["reasonHash"]).hex()


def test_dispute_with_reason_puts_its_hash_on_chain_and_shows_the_text(
    consortium: Consortium,
) -> None:
    cid, dispute = _disputed(consortium, {"reason": {"text": f"  {REASON}\r\n"}})
    reason = dispute["reason"]
    assert reason["status"] == "valid"
    assert reason["reason"]["text"] == REASON  # tidied: trimmed, NFC
    # What the chain holds is the SHA-256 of the reason's canonical form, salt included.
    stored = DisputeReason.from_json(reason["reason"])
    assert dispute["reasonHash"] == reason["reasonHash"] == stored.hash_hex()
    assert _dispute_event_hash(consortium, cid) == stored.hash_hex()
    assert dispute["disputer"] == consortium.coordinator.address
    assert dispute["eligibleVoters"] == 1 and dispute["votesNeeded"] == 1
    assert (dispute["upholdVotes"], dispute["rejectVotes"]) == (0, 0)
    assert dispute["outcome"] == "open" and isinstance(dispute["openedAt"], int)


def test_resolved_dispute_keeps_its_reason_tally_and_outcome(consortium: Consortium) -> None:
    cid, _ = _disputed(consortium, {"reason": {"text": REASON}})
    write(
        consortium,
        consortium.partner_b,
        f"/v1/contributions/{cid}/disputes/1/votes",
        {"uphold": False},
    )
    single = consortium.client.get(
        f"/v1/contributions/{cid}/disputes/1", headers=consortium.partner_c.headers
    )
    assert single.status_code == 200, single.text
    dispute = single.json()
    assert dispute["outcome"] == "rejected"
    assert (dispute["upholdVotes"], dispute["rejectVotes"]) == (0, 1)
    assert dispute["votes"] == [{"voter": consortium.partner_b.address, "uphold": False}]
    assert dispute["reason"]["reason"]["text"] == REASON
    missing = consortium.client.get(
        f"/v1/contributions/{cid}/disputes/2", headers=consortium.partner_c.headers
    )
    assert missing.status_code == 404 and missing.json()["code"] == "dispute_not_found"


def test_dispute_reason_with_a_file_reference(consortium: Consortium) -> None:
    file = {"name": "paper-2019.pdf", "sha256": "0x" + "AB" * 32}
    _, dispute = _disputed(consortium, {"reason": {"text": REASON, "file": file}})
    assert dispute["reason"]["reason"]["file"] == {
        "name": "paper-2019.pdf",
        "sha256": "0x" + "ab" * 32,
    }


def test_dispute_with_bare_reason_hash_shows_no_text(consortium: Consortium) -> None:
    _, dispute = _disputed(consortium, {"reasonHash": "0x" + "cd" * 32})
    assert dispute["reason"] == {
        "reasonHash": "0x" + "cd" * 32,
        "status": "not_kept",
        "reason": None,
    }


def _post_dispute(consortium: Consortium, cid: str, body: dict[str, Any]) -> Any:
    return consortium.client.post(
        f"/v1/contributions/{cid}/disputes", json=body, headers=consortium.coordinator.headers
    )


def test_bad_reason_is_refused_with_its_code_and_nothing_is_kept(consortium: Consortium) -> None:
    project = api_project(consortium)
    cid = api_contribution(consortium, consortium.partner_c, project, "c-work")
    cases: list[tuple[dict[str, Any], str, str | None]] = [
        ({"reason": {"text": ""}}, "reason_empty", "reason.text"),
        ({"reason": {"text": "x" * 20_001}}, "reason_too_long", "reason.text"),
        ({"reason": {"text": "bell \u0007"}}, "reason_control_character", "reason.text"),
        ({"reason": {"text": "ok", "why": "x"}}, "reason_unknown_field", "reason.why"),
        (
            {"reason": {"text": "ok", "file": {"name": "a", "sha256": "0x" + "00" * 32, "x": 1}}},
            "reason_unknown_field",
            "reason.file.x",
        ),
        ({"reason": {"text": "ok"}, "reasonHash": "0x" + "00" * 32}, "reason_hash_mismatch", None),
    ]
    for body, code, location in cases:
        response = _post_dispute(consortium, cid, body)
        assert response.status_code == 422, response.text
        error = response.json()
        assert error["code"] == code, error
        if location:
            assert error["details"][0]["location"] == location, error
    empty = _post_dispute(consortium, cid, {})
    assert empty.status_code == 422 and empty.json()["code"] == "invalid_request"
    assert consortium.store.sealed.about(cid) == ()
    assert consortium.store.index.disputes(cid) == ()


def test_dispute_the_chain_would_refuse_keeps_no_reason(consortium: Consortium) -> None:
    # A reason is kept only for a dispute that is accepted: the contributor disputing its own
    # contribution is refused by the dry run, and its words are not kept.
    project = api_project(consortium)
    cid = api_contribution(consortium, consortium.partner_c, project, "c-work")
    response = consortium.client.post(
        f"/v1/contributions/{cid}/disputes",
        json={"reason": {"text": REASON}},
        headers=consortium.partner_c.headers,
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["code"] == "self_dispute"
    assert consortium.store.sealed.about(cid) == ()
    assert consortium.store.index.disputes(cid) == ()


def test_reason_prepared_then_signed_lands_with_the_same_hash(consortium: Consortium) -> None:
    # Non-custodial: no salt given, so the service derives it; prepare and submit agree.
    project = api_project(consortium)
    cid = api_contribution(consortium, consortium.partner_c, project, "c-work")
    body = {"reason": {"text": REASON}}
    prepared = consortium.client.post(
        f"/v1/contributions/{cid}/disputes/prepare",
        json=body,
        headers=consortium.coordinator.headers,
    )
    assert prepared.status_code == 200, prepared.text
    data = prepared.json()
    signature = sign_typed_data(consortium.coordinator.account.key, data["typedData"])
    signed = {
        **body,
        "signature": "0x" + signature.hex(),
        "nonce": data["nonce"],
        "deadline": data["deadline"],
    }
    response = consortium.client.post(
        f"/v1/contributions/{cid}/disputes?wait=true",
        json=signed,
        headers=consortium.coordinator.headers,
    )
    assert response.status_code == 200, response.text
    consortium.sync()
    [dispute] = consortium.client.get(
        f"/v1/contributions/{cid}/disputes", headers=consortium.partner_b.headers
    ).json()
    assert dispute["reasonHash"] == data["typedData"]["message"]["reasonHash"]
    assert dispute["reason"]["status"] == "valid"


def test_custodial_dispute_sent_again_is_the_same_dispute(consortium: Consortium) -> None:
    # No salt given: the service derives it, so the same words make the same request.
    project = api_project(consortium)
    cid = api_contribution(consortium, consortium.partner_c, project, "c-work")
    first = write(
        consortium,
        consortium.coordinator,
        f"/v1/contributions/{cid}/disputes",
        {"reason": {"text": REASON}},
    )
    again = _post_dispute(consortium, cid, {"reason": {"text": REASON}})
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first["id"]
    other = _post_dispute(consortium, cid, {"reason": {"text": "another reason"}})
    assert other.status_code == 409 and other.json()["code"] == "dispute_already_open", other.text
    assert len(consortium.store.index.disputes(cid)) == 1


def test_outbox_and_index_hold_no_word_of_the_reason(
    consortium: Consortium, tmp_path: Path
) -> None:
    _disputed(consortium, {"reason": {"text": REASON}})
    consortium.store.close()
    needle = b"Lab Gent gepubliceerd"
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "records.key":
            blob = path.read_bytes()
            assert needle not in blob and needle.decode().encode("utf-16-le") not in blob, path


def test_reason_altered_in_the_database_is_not_served(consortium: Consortium) -> None:
    cid, dispute = _disputed(consortium, {"reason": {"text": REASON}})
    path = consortium.store.outbox_path
    assert path is not None
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE sealed_records SET nonce = :n"), {"n": keccak(b"x")[:12]})
    engine.dispose()
    response = consortium.client.get(
        f"/v1/contributions/{cid}/disputes/1", headers=consortium.partner_b.headers
    )
    assert response.status_code == 200
    assert response.json()["reason"] == {
        "reasonHash": dispute["reasonHash"],
        "status": "altered",
        "reason": None,
    }


def test_outsider_reads_neither_dispute_nor_reason(
    consortium: Consortium, client: TestClient
) -> None:
    cid, _ = _disputed(consortium, {"reason": {"text": REASON}})
    for path in (f"/v1/contributions/{cid}/disputes", f"/v1/contributions/{cid}/disputes/1"):
        response = client.get(path, headers=consortium.outsider.headers)
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "contribution_not_found"
        assert "Gent" not in response.text
