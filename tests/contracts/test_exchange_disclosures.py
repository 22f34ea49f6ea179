"""PocExchange: encryption keys, disclosures and their receipts (acknowledge, decline), each
refusal with its custom error and nothing written."""

from __future__ import annotations

import hashlib

from eth_utils.crypto import keccak

from tests.contracts.exchange_world import (
    PUBLIC_KEY,
    R_ACKNOWLEDGED,
    R_DECLINED,
    R_NONE,
    R_PENDING,
    REASON,
    ExchangeWorld,
    content_commitment,
    disclosure_id_of,
)
from tests.contracts.support import (
    AMEND_AGREEMENT,
    REMOVE_PARTNER,
    ZERO_BYTES32,
    actor,
    covers,
    event,
    reverts,
)
from tests.contracts.world import address_data

# ------------------------------------------------------------------------- encryption keys


def test_publish_encryption_key_records_key_and_counts_rotations(xworld: ExchangeWorld) -> None:
    ex, alice = xworld.exchange, xworld.world.alice
    first = xworld.chain.send(ex.functions.publishEncryptionKey(PUBLIC_KEY), alice)
    rotated_key = keccak(text="the rotated key")
    second = xworld.chain.send(ex.functions.publishEncryptionKey(rotated_key), alice)

    assert event(ex, "EncryptionKeyPublished", first) == {
        "account": alice.address,
        "keyVersion": 1,
        "publicKey": PUBLIC_KEY,
    }
    assert event(ex, "EncryptionKeyPublished", second)["keyVersion"] == 2
    key, version, published_at = ex.functions.encryptionKey(alice.address).call()
    assert (key, version) == (rotated_key, 2)
    assert published_at == xworld.chain.now()


def test_encryption_key_of_silent_account_is_zero(xworld: ExchangeWorld) -> None:
    key = xworld.exchange.functions.encryptionKey(xworld.world.eve.address).call()
    assert tuple(key) == (ZERO_BYTES32, 0, 0)


@covers("PocExchange.ExchangeZeroPublicKey")
def test_publish_encryption_key_refuses_zero(xworld: ExchangeWorld) -> None:
    with reverts("PocExchange", "ExchangeZeroPublicKey"):
        xworld.chain.send(
            xworld.exchange.functions.publishEncryptionKey(ZERO_BYTES32), xworld.world.alice
        )
    assert xworld.exchange.functions.encryptionKey(xworld.world.alice.address).call()[1] == 0


# ----------------------------------------------------------------------------- disclosures


def test_disclose_records_disclosure_and_pending_receipts(xworld: ExchangeWorld) -> None:
    w = xworld.world
    contribution = w.register(w.alice)
    commitment = content_commitment(w.alice.address, w.project, b"%PDF-1.7 know-how", b"\x07" * 32)
    receipt = xworld.chain.send(
        xworld.exchange.functions.disclose(
            w.project, commitment, [w.bob.address, w.carol.address], [contribution]
        ),
        w.alice,
    )

    disclosure_id = disclosure_id_of(w.project, w.alice.address, commitment)
    assert event(xworld.exchange, "Disclosed", receipt) == {
        "projectId": w.project,
        "disclosureId": disclosure_id,
        "sharer": w.alice.address,
        "contentCommitment": commitment,
        "recipients": [w.bob.address, w.carol.address],
        "contributionIds": [contribution],
        "agreementVersion": 1,
    }
    assert (
        xworld.exchange.functions.disclosureIdOf(w.project, w.alice.address, commitment).call()
        == disclosure_id
    )
    assert tuple(xworld.exchange.functions.disclosure(disclosure_id).call()) == (
        w.alice.address,
        w.project,
        1,
        2,
    )
    assert xworld.receipt(disclosure_id, w.bob) == (R_PENDING, 0, 0)
    assert xworld.receipt(disclosure_id, w.carol) == (R_PENDING, 0, 0)
    assert xworld.receipt(disclosure_id, w.dave)[0] == R_NONE


def test_disclose_without_references_is_allowed(xworld: ExchangeWorld) -> None:
    w = xworld.world
    disclosure_id, _ = xworld.disclose(w.bob, [w.alice])
    assert xworld.receipt(disclosure_id, w.alice)[0] == R_PENDING


def test_disclose_same_document_again_with_fresh_salt_is_new_disclosure(
    xworld: ExchangeWorld,
) -> None:
    w = xworld.world
    document = b"the same drawing"
    first = content_commitment(w.alice.address, w.project, document, b"\x01" * 32)
    second = content_commitment(w.alice.address, w.project, document, b"\x02" * 32)
    id_first, _ = xworld.disclose(w.alice, [w.bob], commitment=first)
    id_second, _ = xworld.disclose(w.alice, [w.dave], commitment=second)
    assert id_first != id_second


@covers("PocExchange.ExchangeNotParticipant")
def test_disclose_by_outsider_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    with reverts("PocExchange", "ExchangeNotParticipant", w.project, w.eve.address):
        xworld.disclose(w.eve, [w.bob])


@covers("PocExchange.ExchangeRecipientNotPartner")
def test_disclose_to_non_partner_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    commitment = xworld.commitment(w.alice)
    with reverts("PocExchange", "ExchangeRecipientNotPartner", w.project, w.eve.address):
        xworld.disclose(w.alice, [w.bob, w.eve], commitment=commitment)
    # Nothing was written: the same disclosure to partners goes through afterwards.
    disclosure_id, _ = xworld.disclose(w.alice, [w.bob], commitment=commitment)
    assert xworld.receipt(disclosure_id, w.bob)[0] == R_PENDING


@covers("PocExchange.ExchangeRecipientNotPartner")
def test_disclose_to_partner_of_another_project_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    other = w.project_in_force([w.eve, w.alice])
    with reverts("PocExchange", "ExchangeRecipientNotPartner", w.project, w.eve.address):
        xworld.disclose(w.alice, [w.eve])
    # In the other project eve is a partner.
    disclosure_id, _ = xworld.disclose(w.alice, [w.eve], project_id=other)
    assert xworld.receipt(disclosure_id, w.eve)[0] == R_PENDING


@covers("PocExchange.ExchangeRecipientNotPartner")
def test_disclose_to_partner_who_has_not_accepted_amendment_is_refused(
    xworld: ExchangeWorld,
) -> None:
    w = xworld.world
    amended = keccak(text="consortium agreement v2")
    proposal = w.propose(w.alice, AMEND_AGREEMENT, amended)
    for who in (w.bob, w.carol):
        xworld.chain.send(w.ledger.functions.approveProposal(w.project, proposal), who)
    for who in (w.alice, w.bob):
        xworld.chain.send(w.ledger.functions.acceptAgreement(w.project, 2, amended), who)
    with reverts("PocExchange", "ExchangeRecipientNotPartner", w.project, w.carol.address):
        xworld.disclose(w.alice, [w.carol])
    disclosure_id, _ = xworld.disclose(w.alice, [w.bob])
    assert xworld.exchange.functions.disclosure(disclosure_id).call()[2] == 2


@covers("PocExchange.ExchangeZeroCommitment")
def test_disclose_refuses_zero_commitment(xworld: ExchangeWorld) -> None:
    w = xworld.world
    with reverts("PocExchange", "ExchangeZeroCommitment"):
        xworld.chain.send(
            xworld.exchange.functions.disclose(w.project, ZERO_BYTES32, [w.bob.address], []),
            w.alice,
        )


@covers("PocExchange.ExchangeInvalidRecipientCount")
def test_disclose_refuses_empty_or_oversized_recipient_list(xworld: ExchangeWorld) -> None:
    w = xworld.world
    with reverts("PocExchange", "ExchangeInvalidRecipientCount", 0, 64):
        xworld.disclose(w.alice, [])
    many = [actor(f"recipient {i}").address for i in range(65)]
    with reverts("PocExchange", "ExchangeInvalidRecipientCount", 65, 64):
        xworld.disclose(w.alice, many)


@covers("PocExchange.ExchangeSelfDisclosure")
def test_disclose_to_oneself_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    with reverts("PocExchange", "ExchangeSelfDisclosure", w.alice.address):
        xworld.disclose(w.alice, [w.bob, w.alice])


@covers("PocExchange.ExchangeDuplicateRecipient")
def test_disclose_refuses_repeated_recipient(xworld: ExchangeWorld) -> None:
    w = xworld.world
    with reverts("PocExchange", "ExchangeDuplicateRecipient", w.bob.address):
        xworld.disclose(w.alice, [w.bob, w.carol, w.bob])


@covers("PocExchange.ExchangeTooManyReferences")
def test_disclose_refuses_more_than_sixteen_references(xworld: ExchangeWorld) -> None:
    w = xworld.world
    contribution = w.register(w.alice)
    with reverts("PocExchange", "ExchangeTooManyReferences", 17, 16):
        xworld.disclose(w.alice, [w.bob], references=[contribution] * 17)


@covers("PocExchange.ExchangeContributionNotFound")
def test_disclose_refuses_reference_outside_project(xworld: ExchangeWorld) -> None:
    w = xworld.world
    other = w.project_in_force([w.alice, w.bob])
    foreign = w.register(w.alice, project_id=other)
    with reverts("PocExchange", "ExchangeContributionNotFound", w.project, foreign):
        xworld.disclose(w.alice, [w.bob], references=[foreign])
    unknown = keccak(text="no such contribution")
    with reverts("PocExchange", "ExchangeContributionNotFound", w.project, unknown):
        xworld.disclose(w.alice, [w.bob], references=[unknown])


@covers("PocExchange.ExchangeDisclosureExists")
def test_disclose_same_commitment_twice_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    disclosure_id, commitment = xworld.disclose(w.alice, [w.bob])
    with reverts("PocExchange", "ExchangeDisclosureExists", disclosure_id):
        xworld.disclose(w.alice, [w.carol], commitment=commitment)
    assert xworld.receipt(disclosure_id, w.carol)[0] == R_NONE


# --------------------------------------------------------------------------- receipts


def test_acknowledge_records_receipt_with_time_and_agreement_version(
    xworld: ExchangeWorld,
) -> None:
    w = xworld.world
    disclosure_id, commitment = xworld.disclose(w.alice, [w.bob, w.carol])
    at = xworld.chain.travel(3_600)
    receipt = xworld.acknowledge(w.bob, disclosure_id, commitment, w.alice)

    assert event(xworld.exchange, "DisclosureAcknowledged", receipt) == {
        "projectId": w.project,
        "disclosureId": disclosure_id,
        "recipient": w.bob.address,
        "sharer": w.alice.address,
        "contentCommitment": commitment,
        "agreementVersion": 1,
    }
    assert xworld.receipt(disclosure_id, w.bob) == (R_ACKNOWLEDGED, at, 1)
    # The other recipient has not answered: its silence stays visible.
    assert xworld.receipt(disclosure_id, w.carol) == (R_PENDING, 0, 0)


def test_acknowledge_by_recipient_who_left_the_project_is_recorded(
    xworld: ExchangeWorld,
) -> None:
    # A receipt is a statement against one's own interest: leaving does not take it away.
    w = xworld.world
    disclosure_id, commitment = xworld.disclose(w.alice, [w.carol])
    proposal = w.propose(w.alice, REMOVE_PARTNER, address_data(w.carol.address))
    for who in (w.bob, w.dave):
        if w.ledger.functions.member(w.project, w.carol.address).call()[0]:
            xworld.chain.send(w.ledger.functions.approveProposal(w.project, proposal), who)
    assert not w.ledger.functions.member(w.project, w.carol.address).call()[0]
    xworld.acknowledge(w.carol, disclosure_id, commitment, w.alice)
    assert xworld.receipt(disclosure_id, w.carol)[:2] == (R_ACKNOWLEDGED, xworld.chain.now())


@covers("PocExchange.ExchangeNotRecipient")
def test_acknowledge_by_someone_else_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    disclosure_id, commitment = xworld.disclose(w.alice, [w.bob])
    for intruder in (w.carol, w.eve, w.alice):
        with reverts("PocExchange", "ExchangeNotRecipient", disclosure_id, intruder.address):
            xworld.acknowledge(intruder, disclosure_id, commitment, w.alice)
    assert xworld.receipt(disclosure_id, w.bob)[0] == R_PENDING


@covers("PocExchange.ExchangeAlreadyAnswered")
def test_acknowledge_replayed_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    disclosure_id, commitment = xworld.disclose(w.alice, [w.bob])
    xworld.acknowledge(w.bob, disclosure_id, commitment, w.alice)
    answered = xworld.receipt(disclosure_id, w.bob)
    xworld.chain.travel(60)
    with reverts(
        "PocExchange", "ExchangeAlreadyAnswered", disclosure_id, w.bob.address, R_ACKNOWLEDGED
    ):
        xworld.acknowledge(w.bob, disclosure_id, commitment, w.alice)
    assert xworld.receipt(disclosure_id, w.bob) == answered


@covers("PocExchange.ExchangeContentMismatch")
def test_acknowledge_for_another_content_hash_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    disclosure_id, _ = xworld.disclose(w.alice, [w.bob])
    tampered = content_commitment(w.alice.address, w.project, b"a tampered document", b"\x00" * 32)
    with reverts("PocExchange", "ExchangeContentMismatch", disclosure_id, tampered):
        xworld.acknowledge(w.bob, disclosure_id, tampered, w.alice)
    assert xworld.receipt(disclosure_id, w.bob)[0] == R_PENDING


@covers("PocExchange.ExchangeSharerMismatch")
def test_acknowledge_naming_another_sharer_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    disclosure_id, commitment = xworld.disclose(w.alice, [w.bob])
    with reverts("PocExchange", "ExchangeSharerMismatch", disclosure_id, w.carol.address):
        xworld.acknowledge(w.bob, disclosure_id, commitment, w.carol)


@covers("PocExchange.ExchangeDisclosureNotFound")
def test_acknowledge_unknown_disclosure_or_other_project_is_refused(
    xworld: ExchangeWorld,
) -> None:
    w = xworld.world
    unknown = keccak(text="no such disclosure")
    with reverts("PocExchange", "ExchangeDisclosureNotFound", w.project, unknown):
        xworld.acknowledge(w.bob, unknown, unknown, w.alice)
    disclosure_id, commitment = xworld.disclose(w.alice, [w.bob])
    other = w.project_in_force([w.alice, w.bob])
    with reverts("PocExchange", "ExchangeDisclosureNotFound", other, disclosure_id):
        xworld.chain.send(
            xworld.exchange.functions.acknowledge(
                other, disclosure_id, commitment, w.alice.address
            ),
            w.bob,
        )
    with reverts("PocExchange", "ExchangeDisclosureNotFound", other, disclosure_id):
        xworld.chain.send(xworld.exchange.functions.decline(other, disclosure_id, REASON), w.bob)


def test_decline_records_answer_and_reason(xworld: ExchangeWorld) -> None:
    w = xworld.world
    disclosure_id, _ = xworld.disclose(w.alice, [w.bob])
    receipt = xworld.chain.send(
        xworld.exchange.functions.decline(w.project, disclosure_id, REASON), w.bob
    )
    assert event(xworld.exchange, "DisclosureDeclined", receipt) == {
        "projectId": w.project,
        "disclosureId": disclosure_id,
        "recipient": w.bob.address,
        "reasonHash": REASON,
    }
    status, answered_at, _ = xworld.receipt(disclosure_id, w.bob)
    assert (status, answered_at) == (R_DECLINED, xworld.chain.now())


@covers("PocExchange.ExchangeAlreadyAnswered", "PocExchange.ExchangeNotRecipient")
def test_decline_after_answer_or_by_non_recipient_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    disclosure_id, commitment = xworld.disclose(w.alice, [w.bob, w.carol])
    xworld.chain.send(xworld.exchange.functions.decline(w.project, disclosure_id, REASON), w.bob)
    with reverts(
        "PocExchange", "ExchangeAlreadyAnswered", disclosure_id, w.bob.address, R_DECLINED
    ):
        xworld.acknowledge(w.bob, disclosure_id, commitment, w.alice)
    xworld.acknowledge(w.carol, disclosure_id, commitment, w.alice)
    with reverts(
        "PocExchange", "ExchangeAlreadyAnswered", disclosure_id, w.carol.address, R_ACKNOWLEDGED
    ):
        xworld.chain.send(
            xworld.exchange.functions.decline(w.project, disclosure_id, ZERO_BYTES32), w.carol
        )
    with reverts("PocExchange", "ExchangeNotRecipient", disclosure_id, w.dave.address):
        xworld.chain.send(
            xworld.exchange.functions.decline(w.project, disclosure_id, ZERO_BYTES32), w.dave
        )


def test_failed_disclosure_emits_nothing(xworld: ExchangeWorld) -> None:
    w = xworld.world
    before = xworld.chain.w3.eth.block_number
    with reverts("PocExchange", "ExchangeSelfDisclosure", w.alice.address):
        xworld.disclose(w.alice, [w.alice])
    logs = xworld.chain.w3.eth.get_logs(
        {"fromBlock": before + 1, "toBlock": "latest", "address": xworld.exchange.address}
    )
    assert logs == []


def test_disclosure_puts_no_plain_document_hash_on_chain(xworld: ExchangeWorld) -> None:
    # Only the salted commitment is on chain: an outsider holding a guess of the document
    # finds its SHA-256 neither in the transaction nor in the logs.
    w = xworld.world
    document = b"%PDF-1.7 the retting temperature is 34 C"
    sha = hashlib.sha256(document).digest()
    commitment = content_commitment(w.alice.address, w.project, document, b"\x42" * 32)
    receipt = xworld.chain.send(
        xworld.exchange.functions.disclose(w.project, commitment, [w.bob.address], []), w.alice
    )
    tx = xworld.chain.w3.eth.get_transaction(receipt["transactionHash"])
    on_chain = bytes(tx["input"]) + b"".join(
        bytes(log["data"]) + b"".join(bytes(t) for t in log["topics"]) for log in receipt["logs"]
    )
    assert commitment in on_chain
    assert sha not in on_chain
