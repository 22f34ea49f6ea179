"""PocExchange's signed (relayed) variants: every partner action through `…BySig`, EIP-712 built
from the type strings published in IPocExchange's NatSpec, and the attacks on them (someone
else's signature, replay, another domain, expiry, a cancelled nonce)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.contracts.exchange_world import (
    CARRYING_OUT_PROJECT,
    PUBLIC_KEY,
    Q_GRANTED,
    Q_REFUSED,
    Q_WITHDRAWN,
    R_ACKNOWLEDGED,
    R_DECLINED,
    REASON,
    ROYALTY_FREE,
    TERMS,
    ExchangeWorld,
)
from tests.contracts.support import (
    _AUTH_FIELDS,
    DAY,
    SIGNED_TYPES,
    Actor,
    actor,
    covers,
    domain_separator,
    event,
    reverts,
)
from tests.contracts.world import AGREEMENT

ROOT = Path(__file__).resolve().parents[2]
EXCHANGE_TYPES = (
    "PublishEncryptionKey",
    "Disclose",
    "Acknowledge",
    "Decline",
    "RequestAccess",
    "GrantAccess",
    "RefuseAccess",
    "WithdrawAccessRequest",
    "SetExchangeSettings",
    "ProposeExchangeSettings",
    "ApproveExchangeSettings",
)


def _sign(xw: ExchangeWorld, who: Actor, primary: str, message: dict[str, Any], **kw: Any) -> Any:
    return xw.world.sign(who, primary, message, contract=kw.pop("contract", xw.exchange), **kw)


def _used(xw: ExchangeWorld, auth: tuple[str, int, int, bytes]) -> bool:
    return bool(xw.exchange.functions.isNonceUsed(auth[0], auth[1]).call())


# ------------------------------------------------------------------------- published types


def _solidity_type_strings() -> dict[str, str]:
    source = (ROOT / "contracts/libraries/ExchangeStructHashes.sol").read_text(encoding="utf-8")
    return dict(re.findall(r'"(\w+)\(([^)]*)\)"', source))


def _natspec_type_strings() -> dict[str, str]:
    source = (ROOT / "contracts/interfaces/IPocExchange.sol").read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for block in re.findall(r"Signed type:(.*?)`\.", source, flags=re.S):
        text = re.sub(r"\s*///\s*", "", block).strip().lstrip("`")
        name, _, fields = text.partition("(")
        found[name] = fields.rstrip(")").replace(", ", ",")
    return found


def test_signed_types_match_contract_and_natspec() -> None:
    contract, natspec = _solidity_type_strings(), _natspec_type_strings()
    for name in EXCHANGE_TYPES:
        published = f"{SIGNED_TYPES[name]},{_AUTH_FIELDS}"
        assert contract[name] == published, name
        assert natspec[name] == published, name
    assert set(contract) == set(natspec) == set(EXCHANGE_TYPES)


def test_domain_separator_matches_eip712_from_first_principles(xworld: ExchangeWorld) -> None:
    assert xworld.exchange.functions.domainSeparator().call() == domain_separator(
        "PocExchange", xworld.chain.chain_id, xworld.exchange.address
    )
    assert xworld.exchange.functions.version().call() == "1.0.0"
    assert xworld.exchange.functions.ledger().call() == xworld.world.ledger.address


# ----------------------------------------------------------------- every action, relayed


def test_publish_encryption_key_by_sig_publishes_for_signer(xworld: ExchangeWorld) -> None:
    w = xworld.world
    auth = _sign(xworld, w.bob, "PublishEncryptionKey", {"publicKey": PUBLIC_KEY})
    receipt = xworld.chain.send(
        xworld.exchange.functions.publishEncryptionKeyBySig(PUBLIC_KEY, auth), w.relayer
    )
    assert event(xworld.exchange, "EncryptionKeyPublished", receipt)["account"] == w.bob.address
    assert xworld.exchange.functions.encryptionKey(w.bob.address).call()[0] == PUBLIC_KEY
    assert _used(xworld, auth)


def _disclose_by_sig(xw: ExchangeWorld, sharer: Actor, recipients: list[Actor]) -> Any:
    w = xw.world
    contribution = w.register(sharer)
    commitment = xw.commitment(sharer)
    addresses = [r.address for r in recipients]
    message = {
        "projectId": w.project,
        "contentCommitment": commitment,
        "recipients": addresses,
        "contributionIds": [contribution],
    }
    auth = _sign(xw, sharer, "Disclose", message)
    receipt = xw.chain.send(
        xw.exchange.functions.discloseBySig(w.project, commitment, addresses, [contribution], auth),
        w.relayer,
    )
    return event(xw.exchange, "Disclosed", receipt), commitment


def test_disclose_by_sig_discloses_for_signer(xworld: ExchangeWorld) -> None:
    w = xworld.world
    disclosed, _ = _disclose_by_sig(xworld, w.alice, [w.bob, w.carol])
    assert disclosed["sharer"] == w.alice.address
    assert disclosed["recipients"] == [w.bob.address, w.carol.address]


def _ack_message(xw: ExchangeWorld, disclosure_id: bytes, commitment: bytes, sharer: str) -> Any:
    return {
        "projectId": xw.project,
        "disclosureId": disclosure_id,
        "contentCommitment": commitment,
        "sharer": sharer,
    }


def test_acknowledge_by_sig_records_signer_receipt(xworld: ExchangeWorld) -> None:
    w = xworld.world
    disclosed, commitment = _disclose_by_sig(xworld, w.alice, [w.bob])
    disclosure_id = disclosed["disclosureId"]
    auth = _sign(
        xworld,
        w.bob,
        "Acknowledge",
        _ack_message(xworld, disclosure_id, commitment, w.alice.address),
    )
    receipt = xworld.chain.send(
        xworld.exchange.functions.acknowledgeBySig(
            w.project, disclosure_id, commitment, w.alice.address, auth
        ),
        w.relayer,
    )
    assert event(xworld.exchange, "DisclosureAcknowledged", receipt)["recipient"] == w.bob.address
    assert xworld.receipt(disclosure_id, w.bob)[0] == R_ACKNOWLEDGED


def test_decline_by_sig_records_signer_answer(xworld: ExchangeWorld) -> None:
    w = xworld.world
    disclosure_id, _ = xworld.disclose(w.alice, [w.bob])
    message = {"projectId": w.project, "disclosureId": disclosure_id, "reasonHash": REASON}
    auth = _sign(xworld, w.bob, "Decline", message)
    xworld.chain.send(
        xworld.exchange.functions.declineBySig(w.project, disclosure_id, REASON, auth), w.relayer
    )
    assert xworld.receipt(disclosure_id, w.bob)[0] == R_DECLINED


def _request_by_sig(xw: ExchangeWorld, requester: Actor, contribution: bytes) -> int:
    w = xw.world
    message = {
        "projectId": w.project,
        "contributionId": contribution,
        "purpose": CARRYING_OUT_PROJECT,
        "terms": ROYALTY_FREE,
        "termsHash": TERMS,
    }
    auth = _sign(xw, requester, "RequestAccess", message)
    receipt = xw.chain.send(
        xw.exchange.functions.requestAccessBySig(
            w.project, contribution, CARRYING_OUT_PROJECT, ROYALTY_FREE, TERMS, auth
        ),
        w.relayer,
    )
    requested = event(xw.exchange, "AccessRequested", receipt)
    assert requested["requester"] == requester.address
    return int(requested["requestId"])


def test_request_and_grant_by_sig_act_for_signers(xworld: ExchangeWorld) -> None:
    w = xworld.world
    request_id = _request_by_sig(xworld, w.bob, w.register(w.alice))
    message = {
        "projectId": w.project,
        "requestId": request_id,
        "terms": ROYALTY_FREE,
        "termsHash": TERMS,
    }
    auth = _sign(xworld, w.alice, "GrantAccess", message)
    receipt = xworld.chain.send(
        xworld.exchange.functions.grantAccessBySig(
            w.project, request_id, ROYALTY_FREE, TERMS, auth
        ),
        w.relayer,
    )
    assert event(xworld.exchange, "AccessGranted", receipt)["owner"] == w.alice.address
    assert xworld.access_request(request_id)["status"] == Q_GRANTED


def test_refuse_by_sig_acts_for_signer(xworld: ExchangeWorld) -> None:
    w = xworld.world
    request_id = _request_by_sig(xworld, w.bob, w.register(w.alice))
    message = {"projectId": w.project, "requestId": request_id, "reasonHash": REASON}
    auth = _sign(xworld, w.alice, "RefuseAccess", message)
    xworld.chain.send(
        xworld.exchange.functions.refuseAccessBySig(w.project, request_id, REASON, auth),
        w.relayer,
    )
    assert xworld.access_request(request_id)["status"] == Q_REFUSED


def test_withdraw_by_sig_acts_for_signer(xworld: ExchangeWorld) -> None:
    w = xworld.world
    request_id = _request_by_sig(xworld, w.bob, w.register(w.alice))
    auth = _sign(
        xworld, w.bob, "WithdrawAccessRequest", {"projectId": w.project, "requestId": request_id}
    )
    xworld.chain.send(
        xworld.exchange.functions.withdrawAccessRequestBySig(w.project, request_id, auth),
        w.relayer,
    )
    assert xworld.access_request(request_id)["status"] == Q_WITHDRAWN


def _settings_message(project_id: int, values: tuple[int, int, int]) -> dict[str, Any]:
    return {
        "projectId": project_id,
        "answerPeriod": values[0],
        "requestPeriodAfterEnd": values[1],
        "projectEnd": values[2],
    }


def test_settings_by_sig_set_propose_and_approve_for_signers(xworld: ExchangeWorld) -> None:
    w = xworld.world
    draft = xworld.draft_project(w.carol, [w.carol, w.dave])
    values = (5 * DAY, 60 * DAY, xworld.chain.now() + 100 * DAY)
    auth = _sign(xworld, w.carol, "SetExchangeSettings", _settings_message(draft, values))
    xworld.chain.send(
        xworld.exchange.functions.setExchangeSettingsBySig(draft, values, auth), w.relayer
    )
    assert xworld.settings(draft) == (values, 1)

    changed = (9 * DAY, 0, 0)
    auth = _sign(xworld, w.alice, "ProposeExchangeSettings", _settings_message(w.project, changed))
    receipt = xworld.chain.send(
        xworld.exchange.functions.proposeExchangeSettingsBySig(w.project, changed, auth),
        w.relayer,
    )
    proposed = event(xworld.exchange, "ExchangeSettingsProposed", receipt)
    assert proposed["proposer"] == w.alice.address
    for who in (w.bob, w.dave):
        auth = _sign(
            xworld,
            who,
            "ApproveExchangeSettings",
            {"projectId": w.project, "proposalId": proposed["proposalId"]},
        )
        receipt = xworld.chain.send(
            xworld.exchange.functions.approveExchangeSettingsBySig(
                w.project, proposed["proposalId"], auth
            ),
            w.relayer,
        )
        assert event(xworld.exchange, "ExchangeSettingsApproved", receipt)["approver"] == (
            who.address
        )
    assert xworld.settings() == (changed, 1)


# ------------------------------------------------------------------------------- attacks


@covers("PocExchange.SignatureInvalid")
def test_acknowledge_signed_by_someone_else_is_refused(xworld: ExchangeWorld) -> None:
    # Carol signs an acknowledgement that claims to be bob's.
    w = xworld.world
    disclosure_id, commitment = xworld.disclose(w.alice, [w.bob])
    message = _ack_message(xworld, disclosure_id, commitment, w.alice.address)
    forged = _sign(xworld, w.carol, "Acknowledge", message, signer=w.bob.address)
    with reverts("PocExchange", "SignatureInvalid", w.bob.address):
        xworld.chain.send(
            xworld.exchange.functions.acknowledgeBySig(
                w.project, disclosure_id, commitment, w.alice.address, forged
            ),
            w.relayer,
        )
    assert xworld.receipt(disclosure_id, w.bob)[0] != R_ACKNOWLEDGED


@covers("PocExchange.ExchangeNotRecipient")
def test_acknowledge_signed_by_non_recipient_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    disclosure_id, commitment = xworld.disclose(w.alice, [w.bob])
    message = _ack_message(xworld, disclosure_id, commitment, w.alice.address)
    auth = _sign(xworld, w.carol, "Acknowledge", message)
    with reverts("PocExchange", "ExchangeNotRecipient", disclosure_id, w.carol.address):
        xworld.chain.send(
            xworld.exchange.functions.acknowledgeBySig(
                w.project, disclosure_id, commitment, w.alice.address, auth
            ),
            w.relayer,
        )


@covers("PocExchange.SignatureNonceUsed")
def test_acknowledge_by_sig_replayed_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    disclosure_id, commitment = xworld.disclose(w.alice, [w.bob])
    message = _ack_message(xworld, disclosure_id, commitment, w.alice.address)
    auth = _sign(xworld, w.bob, "Acknowledge", message)
    call = xworld.exchange.functions.acknowledgeBySig(
        w.project, disclosure_id, commitment, w.alice.address, auth
    )
    xworld.chain.send(call, w.relayer)
    with reverts("PocExchange", "SignatureNonceUsed", w.bob.address, auth[1]):
        xworld.chain.send(call, w.relayer)


@covers("PocExchange.SignatureInvalid")
def test_acknowledge_signature_for_another_content_hash_does_not_verify(
    xworld: ExchangeWorld,
) -> None:
    # A signature over one commitment, relayed with another: the digest differs.
    w = xworld.world
    disclosure_id, commitment = xworld.disclose(w.alice, [w.bob])
    other = xworld.commitment(w.alice)
    auth = _sign(
        xworld, w.bob, "Acknowledge", _ack_message(xworld, disclosure_id, other, w.alice.address)
    )
    with reverts("PocExchange", "SignatureInvalid", w.bob.address):
        xworld.chain.send(
            xworld.exchange.functions.acknowledgeBySig(
                w.project, disclosure_id, commitment, w.alice.address, auth
            ),
            w.relayer,
        )


@covers("PocExchange.SignatureInvalid")
def test_signature_for_the_ledger_domain_is_refused_by_exchange(xworld: ExchangeWorld) -> None:
    w = xworld.world
    auth = _sign(
        xworld, w.bob, "PublishEncryptionKey", {"publicKey": PUBLIC_KEY}, contract=w.ledger
    )
    with reverts("PocExchange", "SignatureInvalid", w.bob.address):
        xworld.chain.send(
            xworld.exchange.functions.publishEncryptionKeyBySig(PUBLIC_KEY, auth), w.relayer
        )


@covers("PocExchange.SignatureInvalid")
def test_signature_for_another_chain_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    auth = _sign(xworld, w.bob, "PublishEncryptionKey", {"publicKey": PUBLIC_KEY}, chain_id=1)
    with reverts("PocExchange", "SignatureInvalid", w.bob.address):
        xworld.chain.send(
            xworld.exchange.functions.publishEncryptionKeyBySig(PUBLIC_KEY, auth), w.relayer
        )


@covers("PocExchange.SignatureExpired")
def test_expired_signature_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    deadline = xworld.chain.next_timestamp() + 10
    auth = _sign(
        xworld, w.bob, "PublishEncryptionKey", {"publicKey": PUBLIC_KEY}, deadline=deadline
    )
    at = xworld.chain.set_next_timestamp(deadline + 1)
    with reverts("PocExchange", "SignatureExpired", deadline, at):
        xworld.chain.send(
            xworld.exchange.functions.publishEncryptionKeyBySig(PUBLIC_KEY, auth), w.relayer
        )


@covers("PocExchange.SignatureNonceUsed")
def test_cancelled_nonce_cannot_be_relayed(xworld: ExchangeWorld) -> None:
    w = xworld.world
    auth = _sign(xworld, w.bob, "PublishEncryptionKey", {"publicKey": PUBLIC_KEY})
    receipt = xworld.chain.send(xworld.exchange.functions.cancelNonce(auth[1]), w.bob)
    assert event(xworld.exchange, "NonceCancelled", receipt) == {
        "signer": w.bob.address,
        "nonce": auth[1],
    }
    with reverts("PocExchange", "SignatureNonceUsed", w.bob.address, auth[1]):
        xworld.chain.send(
            xworld.exchange.functions.publishEncryptionKeyBySig(PUBLIC_KEY, auth), w.relayer
        )


@pytest.mark.parametrize("field", ["projectId", "disclosureId", "sharer"])
@covers("PocExchange.SignatureInvalid")
def test_acknowledge_signature_altered_in_transit_is_refused(
    xworld: ExchangeWorld, field: str
) -> None:
    w = xworld.world
    disclosure_id, commitment = xworld.disclose(w.alice, [w.bob])
    second_id, _ = xworld.disclose(w.alice, [w.bob])
    auth = _sign(
        xworld,
        w.bob,
        "Acknowledge",
        _ack_message(xworld, disclosure_id, commitment, w.alice.address),
    )
    args: dict[str, Any] = {
        "projectId": w.project,
        "disclosureId": disclosure_id,
        "sharer": w.alice.address,
    }
    args[field] = {"projectId": 2, "disclosureId": second_id, "sharer": w.carol.address}[field]
    with reverts("PocExchange", "SignatureInvalid", w.bob.address):
        xworld.chain.send(
            xworld.exchange.functions.acknowledgeBySig(
                args["projectId"], args["disclosureId"], commitment, args["sharer"], auth
            ),
            w.relayer,
        )
    assert xworld.receipt(disclosure_id, w.bob)[0] != R_ACKNOWLEDGED
    assert not _used(xworld, auth)


@covers("PocExchange.SignatureInvalid")
def test_contract_wallet_partner_acknowledges_through_erc1271(xworld: ExchangeWorld) -> None:
    # A partner that is a contract wallet (a Safe, say) acknowledges by its owner's signature,
    # checked through ERC-1271; anyone else's signature is not the wallet's.
    w = xworld.world
    owner = actor("wallet owner")
    xworld.chain.add(owner)
    wallet = xworld.chain.deploy("ERC1271Wallet", owner.address, sender=owner)
    project_id = w.create_project(w.alice, [w.alice, wallet.address])
    w.accept(project_id, w.alice)
    message = {"projectId": project_id, "version": 1, "agreementHash": AGREEMENT}
    accept = w.sign(owner, "AcceptAgreement", message, signer=wallet.address)
    xworld.chain.send(
        w.ledger.functions.acceptAgreementBySig(project_id, 1, AGREEMENT, accept), w.relayer
    )
    disclosure_id, commitment = xworld.disclose(w.alice, [wallet.address], project_id=project_id)
    message = {
        "projectId": project_id,
        "disclosureId": disclosure_id,
        "contentCommitment": commitment,
        "sharer": w.alice.address,
    }
    forged = _sign(xworld, w.eve, "Acknowledge", message, signer=wallet.address)
    call = xworld.exchange.functions.acknowledgeBySig
    with reverts("PocExchange", "SignatureInvalid", wallet.address):
        xworld.chain.send(
            call(project_id, disclosure_id, commitment, w.alice.address, forged), w.relayer
        )
    auth = _sign(xworld, owner, "Acknowledge", message, signer=wallet.address)
    receipt = xworld.chain.send(
        call(project_id, disclosure_id, commitment, w.alice.address, auth), w.relayer
    )
    assert event(xworld.exchange, "DisclosureAcknowledged", receipt)["recipient"] == (
        wallet.address
    )
