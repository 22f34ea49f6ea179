"""PocExchangeClient on eth-tester: every write, direct and relayed (typed data from
`ledger.chain.exchange_signing`, signed locally), every view, reverts as their classes, events
typed, and the default gas limits against what the calls use."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ledger.chain import exchange_signing, signing
from ledger.chain.clients import PocExchangeClient, TxResult
from ledger.chain.connection import Chain
from ledger.chain.deploy import deploy_exchange, deploy_ledger, exchange_client_for
from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.reverts import (
    ExchangeAlreadyAnswered,
    ExchangeContentMismatch,
    ExchangeNotRecipient,
    ExchangeRecipientNotPartner,
    ExchangeRequestNotFound,
    SignatureInvalid,
)
from ledger.chain.signing import SignedAuth, TypedData
from ledger.chain.transactions import TxSender
from ledger.domain import hashing
from ledger.domain.events import (
    AccessGranted,
    AccessRequested,
    Disclosed,
    DisclosureAcknowledged,
    EncryptionKeyPublished,
    ExchangeSettingsSet,
)
from ledger.domain.exchange import (
    DEFAULT_ANSWER_PERIOD,
    NEVER,
    AccessPurpose,
    AccessTerms,
    ExchangeSettings,
    ReceiptStatus,
    RequestStatus,
)
from ledger.domain.values import Origin
from ledger.errors import ChainError
from tests.ledger.conftest import Env

DAY = 86_400
PUBLIC_KEY = bytes(range(1, 33))
TERMS = hashing.document_hash(hashing.text_hash("royalty-free for the project"), bytes(32))
REASON = hashing.reason_hash(hashing.text_hash("excluded Background"), bytes(32))


@pytest.fixture(scope="session")
def _exchange_record(
    _memory_chain_session: Chain, _client_deployment_memory: DeploymentRecord
) -> DeploymentRecord:
    # Deployed once, before the first test's snapshot: the reverts between tests keep it.
    return deploy_exchange(_memory_chain_session, _client_deployment_memory)


@dataclass
class XEnv:
    env: Env
    exchange: PocExchangeClient

    def sign(self, who: TxSender, data: TypedData) -> SignedAuth:
        return signing.sign_auth(who.account.key, data)

    def auth(self, who: TxSender, nonce: int) -> dict[str, Any]:
        return {"signer": who.address, "nonce": nonce, "deadline": self.env.deadline()}


@pytest.fixture
def xenv(_exchange_record: DeploymentRecord, memory_env: Env) -> Iterator[XEnv]:
    yield XEnv(memory_env, exchange_client_for(memory_env.chain, _exchange_record))


def _within(result: TxResult[Any], limit: int) -> None:
    """The default limit covers the call, and is not far above it."""
    assert result.gas_used <= limit
    assert limit <= result.gas_used * 1.6 + 25_000, (limit, result.gas_used)


def _document(env: Env, sharer: TxSender, project_id: int, text: str) -> tuple[bytes, bytes]:
    """(content commitment, its disclosure id) of a fresh document."""
    content = hashing.sha256_bytes(text.encode())
    commitment = hashing.commitment(sharer.address, project_id, content, hashing.new_salt())
    return commitment, hashing.disclosure_id(project_id, sharer.address, commitment)


def test_disclose_and_answer_directly(xenv: XEnv) -> None:
    env, ex = xenv.env, xenv.exchange
    project = env.create_project()
    registration = dataclasses.replace(
        env.registration(env.alice, project), origin=Origin.BACKGROUND
    )
    background = env.ledger.register(env.alice, registration).value

    published = ex.publish_encryption_key(env.bob, PUBLIC_KEY)
    _within(published, ex.gas_limit("publishEncryptionKey"))
    assert published.value == 1
    assert published.events_of(EncryptionKeyPublished)[0].public_key == PUBLIC_KEY
    assert ex.encryption_key(env.bob.address).public_key == PUBLIC_KEY

    commitment, expected_id = _document(env, env.alice, project, "retting know-how")
    recipients = [env.bob.address, env.carol.address]
    disclosed = ex.disclose(env.alice, project, commitment, recipients, [background])
    _within(disclosed, ex.gas_limit("disclose", items=3))
    assert (
        disclosed.value
        == expected_id
        == ex.disclosure_id_of(project, env.alice.address, commitment)
    )
    event = disclosed.events_of(Disclosed)[0]
    assert (event.recipients, event.contribution_ids) == (tuple(recipients), (background,))
    info = ex.disclosure(expected_id)
    assert (info.sharer, info.project_id, info.agreement_version, info.recipient_count) == (
        env.alice.address,
        project,
        1,
        2,
    )

    acknowledged = ex.acknowledge(env.bob, project, expected_id, commitment, env.alice.address)
    _within(acknowledged, ex.gas_limit("acknowledge"))
    receipt = acknowledged.events_of(DisclosureAcknowledged)[0]
    assert (receipt.recipient, receipt.sharer, receipt.content_commitment) == (
        env.bob.address,
        env.alice.address,
        commitment,
    )
    declined = ex.decline(env.carol, project, expected_id, REASON)
    _within(declined, ex.gas_limit("decline"))
    assert ex.receipt(expected_id, env.bob.address).status is ReceiptStatus.ACKNOWLEDGED
    assert ex.receipt(expected_id, env.carol.address).status is ReceiptStatus.DECLINED
    assert ex.receipt(expected_id, env.dave.address).status is ReceiptStatus.NONE


def test_access_requests_and_answers_directly(xenv: XEnv) -> None:
    env, ex = xenv.env, xenv.exchange
    project = env.create_project()
    contribution = env.register(env.alice, project)
    requested = ex.request_access(
        env.bob,
        project,
        contribution,
        AccessPurpose.EXPLOITING_OWN_RESULTS,
        AccessTerms.FAIR_AND_REASONABLE,
        TERMS,
    )
    _within(requested, ex.gas_limit("requestAccess"))
    event = requested.events_of(AccessRequested)[0]
    assert (event.owner, event.purpose, event.terms) == (
        env.alice.address,
        AccessPurpose.EXPLOITING_OWN_RESULTS,
        AccessTerms.FAIR_AND_REASONABLE,
    )
    granted = ex.grant_access(env.alice, project, requested.value, AccessTerms.ROYALTY_FREE, TERMS)
    _within(granted, ex.gas_limit("grantAccess"))
    assert granted.events_of(AccessGranted)[0].terms is AccessTerms.ROYALTY_FREE
    info = ex.access_request(project, requested.value)
    assert (info.status, info.granted_terms, info.overdue) == (
        RequestStatus.GRANTED,
        AccessTerms.ROYALTY_FREE,
        False,
    )
    assert info.answer_deadline == info.requested_at + DEFAULT_ANSWER_PERIOD

    second = ex.request_access(
        env.carol,
        project,
        contribution,
        AccessPurpose.CARRYING_OUT_PROJECT,
        AccessTerms.ROYALTY_FREE,
    ).value
    _within(ex.refuse_access(env.alice, project, second, REASON), ex.gas_limit("refuseAccess"))
    third = ex.request_access(
        env.carol,
        project,
        contribution,
        AccessPurpose.CARRYING_OUT_PROJECT,
        AccessTerms.ROYALTY_FREE,
    ).value
    withdrawn = ex.withdraw_access_request(env.carol, project, third)
    _within(withdrawn, ex.gas_limit("withdrawAccessRequest"))
    statuses = [ex.access_request(project, n).status for n in (second, third)]
    assert statuses == [RequestStatus.REFUSED, RequestStatus.WITHDRAWN]
    assert ex.access_request_count() == third


def test_settings_directly_and_through_governance(xenv: XEnv) -> None:
    env, ex = xenv.env, xenv.exchange
    draft = env.create_project(accept=False)
    assert ex.exchange_settings(draft) == (ExchangeSettings(), 0)
    assert ex.requests_close_at(draft) == NEVER
    end = env.now() + 365 * DAY
    chosen = ExchangeSettings(14 * DAY, 180 * DAY, end)
    applied = ex.set_exchange_settings(env.alice, draft, chosen)
    _within(applied, ex.gas_limit("setExchangeSettings"))
    assert applied.events_of(ExchangeSettingsSet)[0].version == 1
    assert ex.exchange_settings(draft) == (chosen, 1)
    assert ex.requests_close_at(draft) == chosen.requests_close_at == end + 180 * DAY

    # alice, bob, carol; governance 6,667 bps: 2 of 3 (the ledger's rule), the proposer's
    # approval counting at once.
    project = env.create_project()
    proposed = ex.propose_exchange_settings(env.bob, project, ExchangeSettings(7 * DAY, 0, 0))
    _within(proposed, ex.gas_limit("proposeExchangeSettings"))
    assert not ex.settings_proposal(project, proposed.value).executed
    assert ex.exchange_settings(project)[1] == 0
    applying = ex.approve_exchange_settings(env.carol, project, proposed.value)
    _within(applying, ex.gas_limit("approveExchangeSettings"))
    proposal = ex.settings_proposal(project, proposed.value)
    assert (proposal.executed, proposal.approvals, proposal.required) == (True, 2, 2)
    assert ex.has_approved_settings(proposed.value, env.carol.address)
    assert not ex.has_approved_settings(proposed.value, env.alice.address)
    assert ex.exchange_settings(project) == (ExchangeSettings(7 * DAY, 0, 0), 1)


def test_every_action_relayed_with_locally_signed_typed_data(xenv: XEnv) -> None:
    env, ex = xenv.env, xenv.exchange
    domain = ex.domain
    assert domain.separator() == ex.domain_separator()
    project = env.create_project()
    contribution = env.register(env.alice, project)
    nonces = iter(range(500, 600))

    def auth(who: TxSender) -> dict[str, Any]:
        return xenv.auth(who, next(nonces))

    data = exchange_signing.publish_encryption_key_data(
        domain, public_key=PUBLIC_KEY, **auth(env.carol)
    )
    assert (
        ex.publish_encryption_key_by_sig(env.relayer, PUBLIC_KEY, xenv.sign(env.carol, data)).value
        == 1
    )

    commitment, disclosure_id = _document(env, env.alice, project, "relayed")
    data = exchange_signing.disclose_data(
        domain,
        project_id=project,
        content_commitment=commitment,
        recipients=[env.bob.address, env.carol.address],
        contribution_ids=[contribution],
        **auth(env.alice),
    )
    result = ex.disclose_by_sig(
        env.relayer,
        project,
        commitment,
        [env.bob.address, env.carol.address],
        [contribution],
        xenv.sign(env.alice, data),
    )
    assert result.value == disclosure_id

    data = exchange_signing.acknowledge_data(
        domain,
        project_id=project,
        disclosure_id=disclosure_id,
        content_commitment=commitment,
        sharer=env.alice.address,
        **auth(env.bob),
    )
    ex.acknowledge_by_sig(
        env.relayer, project, disclosure_id, commitment, env.alice.address, xenv.sign(env.bob, data)
    )
    data = exchange_signing.decline_data(
        domain, project_id=project, disclosure_id=disclosure_id, **auth(env.carol)
    )
    ex.decline_by_sig(env.relayer, project, disclosure_id, bytes(32), xenv.sign(env.carol, data))
    assert [ex.receipt(disclosure_id, who.address).status for who in (env.bob, env.carol)] == [
        ReceiptStatus.ACKNOWLEDGED,
        ReceiptStatus.DECLINED,
    ]

    requests = []
    for requester in (env.bob, env.carol, env.bob):
        data = exchange_signing.request_access_data(
            domain,
            project_id=project,
            contribution_id=contribution,
            purpose=AccessPurpose.CARRYING_OUT_PROJECT,
            terms=AccessTerms.ROYALTY_FREE,
            terms_hash=TERMS,
            **auth(requester),
        )
        requests.append(
            ex.request_access_by_sig(
                env.relayer,
                project,
                contribution,
                AccessPurpose.CARRYING_OUT_PROJECT,
                AccessTerms.ROYALTY_FREE,
                TERMS,
                xenv.sign(requester, data),
            ).value
        )
    data = exchange_signing.grant_access_data(
        domain,
        project_id=project,
        request_id=requests[0],
        terms=AccessTerms.ROYALTY_FREE,
        terms_hash=TERMS,
        **auth(env.alice),
    )
    ex.grant_access_by_sig(
        env.relayer,
        project,
        requests[0],
        AccessTerms.ROYALTY_FREE,
        TERMS,
        xenv.sign(env.alice, data),
    )
    data = exchange_signing.refuse_access_data(
        domain, project_id=project, request_id=requests[1], reason_hash=REASON, **auth(env.alice)
    )
    ex.refuse_access_by_sig(env.relayer, project, requests[1], REASON, xenv.sign(env.alice, data))
    data = exchange_signing.withdraw_access_request_data(
        domain, project_id=project, request_id=requests[2], **auth(env.bob)
    )
    ex.withdraw_access_request_by_sig(env.relayer, project, requests[2], xenv.sign(env.bob, data))
    assert [ex.access_request(project, n).status for n in requests] == [
        RequestStatus.GRANTED,
        RequestStatus.REFUSED,
        RequestStatus.WITHDRAWN,
    ]

    draft = env.create_project(accept=False)
    settings = ExchangeSettings(3 * DAY, 0, 0)
    data = exchange_signing.exchange_settings_data(
        domain, proposal=False, project_id=draft, settings=settings, **auth(env.alice)
    )
    ex.set_exchange_settings_by_sig(env.relayer, draft, settings, xenv.sign(env.alice, data))
    assert ex.exchange_settings(draft) == (settings, 1)
    data = exchange_signing.exchange_settings_data(
        domain, proposal=True, project_id=project, settings=settings, **auth(env.carol)
    )
    proposal_id = ex.propose_exchange_settings_by_sig(
        env.relayer, project, settings, xenv.sign(env.carol, data)
    ).value
    # 2 of 3: carol proposed, bob's approval applies the settings.
    data = exchange_signing.approve_exchange_settings_data(
        domain, project_id=project, proposal_id=proposal_id, **auth(env.bob)
    )
    ex.approve_exchange_settings_by_sig(env.relayer, project, proposal_id, xenv.sign(env.bob, data))
    assert ex.exchange_settings(project) == (settings, 1)


def test_reverts_surface_as_their_classes(xenv: XEnv) -> None:
    env, ex = xenv.env, xenv.exchange
    project = env.create_project()
    commitment, disclosure_id = _document(env, env.alice, project, "guarded")
    with pytest.raises(ExchangeRecipientNotPartner) as refused:
        ex.disclose(env.alice, project, commitment, [env.dave.address])
    assert (refused.value.project_id, refused.value.recipient) == (project, env.dave.address)
    ex.disclose(env.alice, project, commitment, [env.bob.address])
    with pytest.raises(ExchangeNotRecipient) as intruder:
        ex.acknowledge(env.carol, project, disclosure_id, commitment, env.alice.address)
    assert intruder.value.code == "not_recipient"
    other, _ = _document(env, env.alice, project, "another document")
    with pytest.raises(ExchangeContentMismatch) as mismatch:
        ex.acknowledge(env.bob, project, disclosure_id, other, env.alice.address)
    assert mismatch.value.content_commitment == other
    ex.acknowledge(env.bob, project, disclosure_id, commitment, env.alice.address)
    with pytest.raises(ExchangeAlreadyAnswered) as again:
        ex.acknowledge(env.bob, project, disclosure_id, commitment, env.alice.address)
    assert again.value.status is ReceiptStatus.ACKNOWLEDGED
    with pytest.raises(ExchangeRequestNotFound):
        ex.access_request(project, 99)
    # Typed data signed by someone else than the signer it names.
    data = exchange_signing.publish_encryption_key_data(
        ex.domain, public_key=PUBLIC_KEY, **xenv.auth(env.bob, 1)
    )
    signature = signing.sign_typed_data(env.carol.account.key, data)
    forged = SignedAuth.from_typed_data(data, signature)
    with pytest.raises(SignatureInvalid):
        ex.publish_encryption_key_by_sig(env.relayer, PUBLIC_KEY, forged)


def test_project_events_of_the_exchange_are_found_by_project(xenv: XEnv) -> None:
    env, ex = xenv.env, xenv.exchange
    start = int(env.chain.w3.eth.block_number)
    first, second = env.create_project(), env.create_project()
    ex.publish_encryption_key(env.bob, PUBLIC_KEY)
    for project in (first, second):
        commitment, _ = _document(env, env.alice, project, f"in {project}")
        ex.disclose(env.alice, project, commitment, [env.bob.address])
    found = ex.get_events(start, project_id=second)
    assert [type(e) for e in found] == [Disclosed]
    assert isinstance(found[0], Disclosed) and found[0].project_id == second
    everything = ex.get_events(start)
    assert [type(e) for e in everything] == [EncryptionKeyPublished, Disclosed, Disclosed]
    assert ex.version() == "1.0.0" and ex.ledger() == env.ledger.address


def test_deploy_exchange_adds_it_to_the_record_once(
    _exchange_record: DeploymentRecord, memory_env: Env, tmp_path: Path
) -> None:
    record = _exchange_record
    assert list(record.addresses) == ["PocLedger", "RoyaltyVault", "PocExchange"]
    assert exchange_client_for(memory_env.chain, record).ledger() == record.address("PocLedger")
    with pytest.raises(ChainError, match="already"):
        deploy_exchange(memory_env.chain, record)
    # A deployment made before the exchange existed gets one, written where asked.
    older = deploy_ledger(memory_env.chain)
    path = tmp_path / "deployment.json"
    extended = deploy_exchange(memory_env.chain, older, path=path)
    assert DeploymentRecord.read(path) == extended
    assert extended.contracts[:2] == older.contracts
