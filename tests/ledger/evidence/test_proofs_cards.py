"""Proof bundles and contribution cards (format 2), and format 1 bundles still verifying.

- Format 2 carries `contribution.cardHash` (what the contributor signed, in the registration
  log, the signature and the calldata) and `card`: the verifier checks that the card hashes to
  it, and a changed card fails naming `card`. A batched contribution's card hash is in its leaf.
- A contribution registered on a deployment of release 1.1.0 gets a format 1 bundle from
  today's builder, which verifies offline and online.
- Format 1 bundles, made by release 1.1.0 (before cards) with the code of that release, are
  kept in fixtures/format1 (the proof scenario: direct, relayed, batched by signature and by
  transaction, endorsed, disputed, withdrawn, superseded) and verify offline with every check:
  the old event decodes, the old Register type and leaf recompute.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hexbytes import HexBytes

from ledger.chain import signing
from ledger.chain.events import DEFAULT_DECODER
from ledger.chain.transactions import TxRequest
from ledger.domain import hashing
from ledger.domain.cards import ContributionCard
from ledger.domain.events import ContributionRegistered
from ledger.domain.values import Origin, Policy, Registration
from ledger.errors import ProofError
from ledger.evidence.builder import ProofBuilder
from ledger.evidence.bundle import BUNDLE_VERSION
from ledger.evidence.verifier import verify_document
from tests.ledger.chain.test_earlier_release import _deploy_1_1_0
from tests.ledger.conftest import Env, default_policy

FORMAT1 = Path(__file__).with_name("fixtures") / "format1"
CARD = ContributionCard.create(
    title="Vlasroot v2: enzymatische roting",
    description="40 uur labowerk, proef Kortrijk.",
    file_name="roting.pdf",
    media_type="application/pdf",
    size=48_213,
    keywords=["vlas"],
)


def _failed(report: Any) -> dict[str, Any]:
    return {check.name: check for check in report.checks if not check.passed}


@pytest.mark.parametrize("name", ["a", "a2", "b", "c", "d", "e"])
def test_format1_bundle_of_release_1_1_verifies_offline(name: str) -> None:
    document = json.loads((FORMAT1 / f"{name}.json").read_text())
    assert document["version"] == 1 and "cardHash" not in document["contribution"]
    report = verify_document(document, file=(FORMAT1 / f"{name}.content").read_bytes())
    assert report.ok, report.lines()
    names = {check.name for check in report.checks}
    assert {"format", "commitment", "registration", "authorisation", "status"} <= names
    assert "card" not in names
    assert report.checks[0].detail.startswith("proof bundle version 1")


def test_format1_bundle_with_a_card_hash_added_fails_its_format() -> None:
    document = json.loads((FORMAT1 / "b.json").read_text())
    document["contribution"]["cardHash"] = "0x" + "00" * 32
    report = verify_document(document)
    assert not report.ok and "contribution.cardHash" in report.failed_fields()


def test_format1_bundle_relabelled_format2_fails_naming_the_missing_card() -> None:
    document = json.loads((FORMAT1 / "b.json").read_text())
    document["version"] = 2
    report = verify_document(document)
    assert not report.ok
    assert report.failed_fields() & {"contribution", "contribution.cardHash", "(document)"}


def _register_with_card(env: Env, card: ContributionCard | None) -> tuple[bytes, bytes, bytes]:
    project = env.create_project()
    content = b"retting trial report"
    content_hash, salt = hashing.sha256_bytes(content), hashing.new_salt()
    commit = hashing.commitment(env.bob.address, project, content_hash, salt)
    registration = Registration(
        project_id=project,
        commitment=commit,
        origin=Origin.RESULT,
        category=0,
        value=40,
        card_hash=card.hash() if card else bytes(32),
    )
    data = signing.register_data(
        env.ledger.domain,
        registration=registration,
        signer=env.bob.address,
        nonce=11,
        deadline=env.deadline(),
    )
    result = env.ledger.register_by_sig(env.relayer, registration, env.sign(env.bob, data))
    return result.value, content_hash, salt


def test_bundle_carries_the_card_and_verifies_it(memory_env: Env) -> None:
    cid, content_hash, salt = _register_with_card(memory_env, CARD)
    builder = ProofBuilder(memory_env.chain.w3, memory_env.ledger.address)
    bundle = builder.build(cid, content_hash=content_hash, salt=salt, card=CARD).to_json()
    assert bundle["version"] == BUNDLE_VERSION == 3
    assert bundle["contribution"]["cardHash"] == CARD.hash_hex()
    assert bundle["card"] == CARD.to_json()
    report = verify_document(bundle, w3=memory_env.chain.w3)
    assert report.ok, report.lines()
    card_check = next(c for c in report.checks if c.name == "card")
    assert "Vlasroot v2" in card_check.detail


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda card: card.update(title="Vlasroot v3"), "card"),
        (lambda card: card.update(description=card["description"] + " (revised)"), "card"),
        (lambda card: card["keywords"].append("extra"), "card"),
        (lambda card: card.update(salt="0x" + "00" * 32), "card"),
        (lambda card: card.update(title="two\nlines"), "card.title"),
        (lambda card: card.update(owner="someone"), "card"),
    ],
)
def test_bundle_with_a_changed_card_fails_naming_it(
    memory_env: Env, change: Any, field: str
) -> None:
    cid, content_hash, salt = _register_with_card(memory_env, CARD)
    builder = ProofBuilder(memory_env.chain.w3, memory_env.ledger.address)
    bundle = builder.build(cid, content_hash=content_hash, salt=salt, card=CARD).to_json()
    tampered = copy.deepcopy(bundle)
    change(tampered["card"])
    report = verify_document(tampered)
    failed = _failed(report)
    assert failed, "a changed card verified"
    assert any(f == field or f.startswith(field) for f in report.failed_fields()), report.lines()


def test_bundle_with_another_signed_card_hash_fails_signature_and_log(memory_env: Env) -> None:
    cid, content_hash, salt = _register_with_card(memory_env, CARD)
    builder = ProofBuilder(memory_env.chain.w3, memory_env.ledger.address)
    bundle = builder.build(cid, content_hash=content_hash, salt=salt).to_json()
    other = ContributionCard.create(title="Another card")
    bundle["contribution"]["cardHash"] = other.hash_hex()
    bundle["card"] = other.to_json()
    failed = _failed(verify_document(bundle))
    # The card matches the stated hash, but the chain and the signature hold the real one.
    assert {"registration", "authorisation"} <= set(failed)
    assert "contribution.cardHash" in failed["registration"].fields


def test_bundle_without_the_card_verifies_and_says_so(memory_env: Env) -> None:
    cid, content_hash, salt = _register_with_card(memory_env, CARD)
    builder = ProofBuilder(memory_env.chain.w3, memory_env.ledger.address)
    bundle = builder.build(cid, content_hash=content_hash, salt=salt).to_json()
    assert bundle["card"] is None
    report = verify_document(bundle)
    assert report.ok, report.lines()
    assert "not in the bundle" in next(c for c in report.checks if c.name == "card").detail


def test_bundle_of_a_registration_without_card_refuses_a_card(memory_env: Env) -> None:
    cid, content_hash, salt = _register_with_card(memory_env, None)
    builder = ProofBuilder(memory_env.chain.w3, memory_env.ledger.address)
    with pytest.raises(ProofError):
        builder.build(cid, content_hash=content_hash, salt=salt, card=CARD)
    bundle = builder.build(cid, content_hash=content_hash, salt=salt).to_json()
    assert verify_document(bundle).ok
    bundle["card"] = CARD.to_json()
    assert "card" in _failed(verify_document(bundle))


def test_builder_refuses_a_card_that_is_not_the_signed_one(memory_env: Env) -> None:
    cid, content_hash, salt = _register_with_card(memory_env, CARD)
    builder = ProofBuilder(memory_env.chain.w3, memory_env.ledger.address)
    with pytest.raises(ProofError, match="cardHash"):
        builder.build(
            cid, content_hash=content_hash, salt=salt, card=ContributionCard.create(title="x")
        )


def test_bundle_of_a_release_1_1_deployment_is_built_in_format_1_and_verifies(
    memory_env: Env,
) -> None:
    # A deployment of release 1.1.0 stays in use after the sources move on: its registration
    # has the event without cardHash (another topic0), so its bundle is format 1, as that
    # release wrote them, and verifies offline and online (its code is a kept release's).
    env = memory_env
    ledger = _deploy_1_1_0(env)

    def send(sender: Any, function: str, *args: Any) -> None:
        data = bytes(HexBytes(ledger.encode_abi(function, list(args))))
        receipt = sender.transact(TxRequest(to=ledger.address, data=data, gas=3_000_000))
        assert receipt.status == 1, function

    agreement = b"\x44" * 32
    legacy = Policy(**{**default_policy().__dict__, "parent_share_bps": None})
    send(
        env.alice, "createProject", agreement, [env.alice.address, env.bob.address], legacy.as_abi()
    )
    for partner in (env.alice, env.bob):
        send(partner, "acceptAgreement", 1, 1, agreement)
    content = b"retting trial on the old contracts"
    content_hash, salt = hashing.sha256_bytes(content), hashing.new_salt()
    commit = hashing.commitment(env.bob.address, 1, content_hash, salt)
    send(env.bob, "register", (1, commit, int(Origin.RESULT), 0, 40, [], bytes(32), ""))
    cid = hashing.contribution_id(1, env.bob.address, commit)

    builder = ProofBuilder(env.chain.w3, ledger.address)
    with pytest.raises(ProofError, match="before contribution cards"):
        builder.build(cid, content_hash=content_hash, salt=salt, card=CARD)
    document = builder.build(cid, content_hash=content_hash, salt=salt).to_json()

    assert document["version"] == 1
    assert "cardHash" not in document["contribution"] and "card" not in document
    registered = DEFAULT_DECODER.topics_of(ContributionRegistered)
    assert len(registered) == 2  # the current event, and that of releases 1.x
    assert "parentShareBps" not in document["policy"]["evidence"]["args"]["policy"]
    report = verify_document(document, file=content, w3=env.chain.w3)
    assert report.ok, report.lines()
    assert "card" not in {check.name for check in report.checks}
