"""PocExchange: access-rights requests and answers, deadlines and overdue requests, and the
per-project settings with their governance."""

from __future__ import annotations

from eth_utils.crypto import keccak

from tests.contracts.exchange_world import (
    CARRYING_OUT_PROJECT,
    DEFAULT_ANSWER_PERIOD,
    DEFAULT_REQUEST_PERIOD_AFTER_END,
    EXPLOITING_OWN_RESULTS,
    FAIR_AND_REASONABLE,
    Q_GRANTED,
    Q_OPEN,
    Q_REFUSED,
    Q_WITHDRAWN,
    REASON,
    ROYALTY_FREE,
    TERMS,
    ExchangeWorld,
)
from tests.contracts.support import (
    ADD_PARTNER,
    BACKGROUND,
    DAY,
    REMOVE_PARTNER,
    ZERO_BYTES32,
    covers,
    event,
    events,
    reverts,
)
from tests.contracts.world import address_data

GRANTED_TERMS = keccak(text="licence: fair and reasonable, 2% of net sales")

# ----------------------------------------------------------------------------- requests


def test_request_access_records_request_with_deadline(xworld: ExchangeWorld) -> None:
    w = xworld.world
    background = w.register(w.alice, origin=BACKGROUND)
    at = xworld.chain.next_timestamp()
    receipt = xworld.chain.send(
        xworld.exchange.functions.requestAccess(
            w.project, background, EXPLOITING_OWN_RESULTS, FAIR_AND_REASONABLE, TERMS
        ),
        w.bob,
    )
    assert event(xworld.exchange, "AccessRequested", receipt) == {
        "projectId": w.project,
        "requestId": 1,
        "contributionId": background,
        "requester": w.bob.address,
        "owner": w.alice.address,
        "purpose": EXPLOITING_OWN_RESULTS,
        "terms": FAIR_AND_REASONABLE,
        "termsHash": TERMS,
        "answerDeadline": at + DEFAULT_ANSWER_PERIOD,
    }
    assert xworld.access_request(1) == {
        "requester": w.bob.address,
        "projectId": w.project,
        "requestedAt": at,
        "purpose": EXPLOITING_OWN_RESULTS,
        "proposedTerms": FAIR_AND_REASONABLE,
        "status": Q_OPEN,
        "owner": w.alice.address,
        "answerDeadline": at + DEFAULT_ANSWER_PERIOD,
        "answeredAt": 0,
        "grantedTerms": ROYALTY_FREE,
        "contributionId": background,
        "overdue": False,
    }
    assert xworld.exchange.functions.accessRequestCount().call() == 1


def test_request_without_terms_document_is_allowed(xworld: ExchangeWorld) -> None:
    w = xworld.world
    result = w.register(w.carol)
    request_id = xworld.request(w.dave, result, terms_hash=ZERO_BYTES32)
    assert xworld.access_request(request_id)["status"] == Q_OPEN


def test_unanswered_request_past_deadline_reads_overdue(xworld: ExchangeWorld) -> None:
    w = xworld.world
    request_id = xworld.request(w.bob, w.register(w.alice))
    deadline = xworld.access_request(request_id)["answerDeadline"]
    xworld.chain.set_next_timestamp(deadline)
    xworld.chain.send(xworld.exchange.functions.publishEncryptionKey(TERMS), w.eve)  # a block
    assert xworld.access_request(request_id)["overdue"] is False
    xworld.chain.travel(1)
    xworld.chain.send(xworld.exchange.functions.publishEncryptionKey(REASON), w.eve)
    assert xworld.access_request(request_id)["overdue"] is True


def test_grant_access_records_terms_and_ends_overdue(xworld: ExchangeWorld) -> None:
    w = xworld.world
    background = w.register(w.alice, origin=BACKGROUND)
    request_id = xworld.request(w.bob, background)
    xworld.chain.travel(DEFAULT_ANSWER_PERIOD + DAY)  # a late answer is still recorded
    receipt = xworld.chain.send(
        xworld.exchange.functions.grantAccess(
            w.project, request_id, FAIR_AND_REASONABLE, GRANTED_TERMS
        ),
        w.alice,
    )
    assert event(xworld.exchange, "AccessGranted", receipt) == {
        "projectId": w.project,
        "requestId": request_id,
        "contributionId": background,
        "owner": w.alice.address,
        "requester": w.bob.address,
        "terms": FAIR_AND_REASONABLE,
        "termsHash": GRANTED_TERMS,
    }
    state = xworld.access_request(request_id)
    assert (state["status"], state["grantedTerms"], state["overdue"]) == (
        Q_GRANTED,
        FAIR_AND_REASONABLE,
        False,
    )
    assert state["answeredAt"] == xworld.chain.now() > state["answerDeadline"]


def test_refuse_access_records_reason(xworld: ExchangeWorld) -> None:
    w = xworld.world
    result = w.register(w.carol)
    request_id = xworld.request(w.dave, result, purpose=CARRYING_OUT_PROJECT)
    receipt = xworld.chain.send(
        xworld.exchange.functions.refuseAccess(w.project, request_id, REASON), w.carol
    )
    assert event(xworld.exchange, "AccessRefused", receipt) == {
        "projectId": w.project,
        "requestId": request_id,
        "contributionId": result,
        "owner": w.carol.address,
        "requester": w.dave.address,
        "reasonHash": REASON,
    }
    assert xworld.access_request(request_id)["status"] == Q_REFUSED


def test_owner_who_left_may_still_answer(xworld: ExchangeWorld) -> None:
    w = xworld.world
    background = w.register(w.carol, origin=BACKGROUND)
    request_id = xworld.request(w.bob, background)
    proposal = w.propose(w.alice, REMOVE_PARTNER, address_data(w.carol.address))
    for who in (w.bob, w.dave):
        if w.ledger.functions.member(w.project, w.carol.address).call()[0]:
            xworld.chain.send(w.ledger.functions.approveProposal(w.project, proposal), who)
    xworld.chain.send(
        xworld.exchange.functions.grantAccess(w.project, request_id, ROYALTY_FREE, TERMS), w.carol
    )
    assert xworld.access_request(request_id)["status"] == Q_GRANTED


def test_withdraw_access_request_closes_it(xworld: ExchangeWorld) -> None:
    w = xworld.world
    contribution = w.register(w.alice)
    request_id = xworld.request(w.bob, contribution)
    receipt = xworld.chain.send(
        xworld.exchange.functions.withdrawAccessRequest(w.project, request_id), w.bob
    )
    assert event(xworld.exchange, "AccessRequestWithdrawn", receipt) == {
        "projectId": w.project,
        "requestId": request_id,
        "contributionId": contribution,
        "requester": w.bob.address,
    }
    state = xworld.access_request(request_id)
    assert (state["status"], state["answeredAt"]) == (Q_WITHDRAWN, xworld.chain.now())


@covers("PocExchange.ExchangeNotParticipant")
def test_request_by_outsider_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    contribution = w.register(w.alice)
    with reverts("PocExchange", "ExchangeNotParticipant", w.project, w.eve.address):
        xworld.request(w.eve, contribution)


@covers("PocExchange.ExchangeSelfRequest")
def test_request_for_own_contribution_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    contribution = w.register(w.alice)
    with reverts("PocExchange", "ExchangeSelfRequest", contribution, w.alice.address):
        xworld.request(w.alice, contribution)


@covers("PocExchange.ExchangeContributionNotFound")
def test_request_for_unknown_contribution_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    unknown = keccak(text="unregistered")
    with reverts("PocExchange", "ExchangeContributionNotFound", w.project, unknown):
        xworld.request(w.bob, unknown)
    assert xworld.exchange.functions.accessRequestCount().call() == 0


@covers("PocExchange.ExchangeRequestNotFound")
def test_unknown_request_or_other_project_is_not_found(xworld: ExchangeWorld) -> None:
    w = xworld.world
    with reverts("PocExchange", "ExchangeRequestNotFound", w.project, 7):
        xworld.chain.send(
            xworld.exchange.functions.grantAccess(w.project, 7, ROYALTY_FREE, TERMS), w.alice
        )
    request_id = xworld.request(w.bob, w.register(w.alice))
    other = w.project_in_force([w.alice, w.bob])
    with reverts("PocExchange", "ExchangeRequestNotFound", other, request_id):
        xworld.chain.send(
            xworld.exchange.functions.refuseAccess(other, request_id, REASON), w.alice
        )
    with reverts("PocExchange", "ExchangeRequestNotFound", other, request_id):
        xworld.exchange.functions.accessRequest(other, request_id).call()


@covers("PocExchange.ExchangeNotOwner")
def test_answer_by_someone_other_than_owner_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    request_id = xworld.request(w.bob, w.register(w.alice))
    for intruder in (w.bob, w.carol, w.eve):
        with reverts("PocExchange", "ExchangeNotOwner", request_id, intruder.address):
            xworld.chain.send(
                xworld.exchange.functions.grantAccess(w.project, request_id, ROYALTY_FREE, TERMS),
                intruder,
            )
    with reverts("PocExchange", "ExchangeNotOwner", request_id, w.carol.address):
        xworld.chain.send(
            xworld.exchange.functions.refuseAccess(w.project, request_id, REASON), w.carol
        )
    assert xworld.access_request(request_id)["status"] == Q_OPEN


@covers("PocExchange.ExchangeNotRequester")
def test_withdraw_by_someone_other_than_requester_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    request_id = xworld.request(w.bob, w.register(w.alice))
    with reverts("PocExchange", "ExchangeNotRequester", request_id, w.alice.address):
        xworld.chain.send(
            xworld.exchange.functions.withdrawAccessRequest(w.project, request_id), w.alice
        )


@covers("PocExchange.ExchangeRequestNotOpen")
def test_answer_or_withdraw_of_closed_request_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    request_id = xworld.request(w.bob, w.register(w.alice))
    xworld.chain.send(
        xworld.exchange.functions.grantAccess(w.project, request_id, ROYALTY_FREE, TERMS), w.alice
    )
    with reverts("PocExchange", "ExchangeRequestNotOpen", request_id, Q_GRANTED):
        xworld.chain.send(
            xworld.exchange.functions.refuseAccess(w.project, request_id, REASON), w.alice
        )
    with reverts("PocExchange", "ExchangeRequestNotOpen", request_id, Q_GRANTED):
        xworld.chain.send(
            xworld.exchange.functions.withdrawAccessRequest(w.project, request_id), w.bob
        )
    withdrawn = xworld.request(w.bob, w.register(w.alice))
    xworld.chain.send(xworld.exchange.functions.withdrawAccessRequest(w.project, withdrawn), w.bob)
    with reverts("PocExchange", "ExchangeRequestNotOpen", withdrawn, Q_WITHDRAWN):
        xworld.chain.send(
            xworld.exchange.functions.grantAccess(w.project, withdrawn, ROYALTY_FREE, TERMS),
            w.alice,
        )


@covers("PocExchange.ExchangeZeroTermsHash")
def test_grant_without_terms_document_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    request_id = xworld.request(w.bob, w.register(w.alice))
    with reverts("PocExchange", "ExchangeZeroTermsHash"):
        xworld.chain.send(
            xworld.exchange.functions.grantAccess(
                w.project, request_id, ROYALTY_FREE, ZERO_BYTES32
            ),
            w.alice,
        )


@covers("PocExchange.ExchangeZeroReasonHash")
def test_refuse_without_reason_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    request_id = xworld.request(w.bob, w.register(w.alice))
    with reverts("PocExchange", "ExchangeZeroReasonHash"):
        xworld.chain.send(
            xworld.exchange.functions.refuseAccess(w.project, request_id, ZERO_BYTES32), w.alice
        )


# ----------------------------------------------------------------------------- settings


def test_settings_default_until_set(xworld: ExchangeWorld) -> None:
    assert xworld.settings() == ((DEFAULT_ANSWER_PERIOD, DEFAULT_REQUEST_PERIOD_AFTER_END, 0), 0)
    assert xworld.exchange.functions.requestsCloseAt(xworld.project).call() == 2**256 - 1


def test_coordinator_sets_settings_before_agreement_in_force(xworld: ExchangeWorld) -> None:
    w = xworld.world
    draft = xworld.draft_project(w.bob, [w.bob, w.carol])
    end = xworld.chain.now() + 365 * DAY
    receipt = xworld.chain.send(
        xworld.exchange.functions.setExchangeSettings(draft, (14 * DAY, 180 * DAY, end)), w.bob
    )
    assert event(xworld.exchange, "ExchangeSettingsSet", receipt) == {
        "projectId": draft,
        "version": 1,
        "answerPeriod": 14 * DAY,
        "requestPeriodAfterEnd": 180 * DAY,
        "projectEnd": end,
    }
    assert xworld.settings(draft) == ((14 * DAY, 180 * DAY, end), 1)
    assert xworld.exchange.functions.requestsCloseAt(draft).call() == end + 180 * DAY


def test_request_deadline_follows_settings_in_force_when_made(xworld: ExchangeWorld) -> None:
    w = xworld.world
    draft = xworld.draft_project(w.alice, [w.alice, w.bob])
    xworld.chain.send(
        xworld.exchange.functions.setExchangeSettings(draft, (7 * DAY, 0, 0)), w.alice
    )
    for who in (w.alice, w.bob):
        w.accept(draft, who)
    contribution = w.register(w.alice, project_id=draft)
    at = xworld.chain.next_timestamp()
    receipt = xworld.chain.send(
        xworld.exchange.functions.requestAccess(
            draft, contribution, CARRYING_OUT_PROJECT, ROYALTY_FREE, TERMS
        ),
        w.bob,
    )
    assert event(xworld.exchange, "AccessRequested", receipt)["answerDeadline"] == at + 7 * DAY


@covers("PocExchange.ExchangeRequestPeriodClosed")
def test_request_after_project_end_and_request_period_is_refused(
    xworld: ExchangeWorld,
) -> None:
    w = xworld.world
    draft = xworld.draft_project(w.alice, [w.alice, w.bob])
    end = xworld.chain.next_timestamp() + 10 * DAY
    xworld.chain.send(
        xworld.exchange.functions.setExchangeSettings(draft, (7 * DAY, 30 * DAY, end)), w.alice
    )
    for who in (w.alice, w.bob):
        w.accept(draft, who)
    contribution = w.register(w.alice, project_id=draft)
    closes = end + 30 * DAY
    xworld.chain.set_next_timestamp(closes)
    xworld.chain.send(
        xworld.exchange.functions.requestAccess(
            draft, contribution, EXPLOITING_OWN_RESULTS, ROYALTY_FREE, TERMS
        ),
        w.bob,
    )
    xworld.chain.set_next_timestamp(closes + 1)
    with reverts("PocExchange", "ExchangeRequestPeriodClosed", draft, closes):
        xworld.chain.send(
            xworld.exchange.functions.requestAccess(
                draft, contribution, EXPLOITING_OWN_RESULTS, ROYALTY_FREE, TERMS
            ),
            w.bob,
        )


@covers("PocExchange.ExchangeInvalidSettings")
def test_settings_out_of_range_are_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    draft = xworld.draft_project(w.alice, [w.alice, w.bob])
    for values, field in (
        ((DAY - 1, 0, 0), "answerPeriod"),
        ((365 * DAY + 1, 0, 0), "answerPeriod"),
        ((DAY, 3650 * DAY + 1, 0), "requestPeriodAfterEnd"),
    ):
        with reverts("PocExchange", "ExchangeInvalidSettings", field):
            xworld.chain.send(xworld.exchange.functions.setExchangeSettings(draft, values), w.alice)
    assert xworld.settings(draft)[1] == 0


@covers("PocExchange.ExchangeProjectNotFound")
def test_settings_of_unknown_project_are_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    for project_id in (0, 99):
        with reverts("PocExchange", "ExchangeProjectNotFound", project_id):
            xworld.chain.send(
                xworld.exchange.functions.setExchangeSettings(project_id, (DAY, 0, 0)), w.alice
            )


@covers("PocExchange.ExchangeNotCoordinator")
def test_settings_by_partner_who_is_not_coordinator_are_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    draft = xworld.draft_project(w.alice, [w.alice, w.bob])
    with reverts("PocExchange", "ExchangeNotCoordinator", draft, w.bob.address):
        xworld.chain.send(xworld.exchange.functions.setExchangeSettings(draft, (DAY, 0, 0)), w.bob)


@covers("PocExchange.ExchangeAgreementInForce")
def test_coordinator_alone_cannot_change_settings_once_in_force(xworld: ExchangeWorld) -> None:
    w = xworld.world
    with reverts("PocExchange", "ExchangeAgreementInForce", w.project):
        xworld.chain.send(
            xworld.exchange.functions.setExchangeSettings(w.project, (DAY, 0, 0)), w.alice
        )


def test_settings_proposal_applies_when_governance_threshold_reached(
    xworld: ExchangeWorld,
) -> None:
    # Four partners, governanceBps 6000: three approvals.
    w = xworld.world
    end = xworld.chain.now() + 200 * DAY
    receipt = xworld.chain.send(
        xworld.exchange.functions.proposeExchangeSettings(w.project, (10 * DAY, 90 * DAY, end)),
        w.bob,
    )
    proposed = event(xworld.exchange, "ExchangeSettingsProposed", receipt)
    assert (proposed["proposer"], proposed["required"]) == (w.bob.address, 3)
    proposal_id = proposed["proposalId"]
    assert events(xworld.exchange, "ExchangeSettingsSet", receipt) == []
    xworld.chain.send(
        xworld.exchange.functions.approveExchangeSettings(w.project, proposal_id), w.carol
    )
    assert xworld.settings()[1] == 0
    receipt = xworld.chain.send(
        xworld.exchange.functions.approveExchangeSettings(w.project, proposal_id), w.dave
    )
    assert event(xworld.exchange, "ExchangeSettingsSet", receipt)["version"] == 1
    assert xworld.settings() == ((10 * DAY, 90 * DAY, end), 1)
    info = xworld.exchange.functions.settingsProposal(w.project, proposal_id).call()
    assert (info[0], info[1], info[2], info[3]) == (w.project, True, 3, 3)
    assert xworld.exchange.functions.hasApprovedSettings(proposal_id, w.carol.address).call()
    assert not xworld.exchange.functions.hasApprovedSettings(proposal_id, w.alice.address).call()


@covers("PocExchange.ExchangeAgreementNotInForce")
def test_settings_proposal_before_agreement_in_force_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    draft = xworld.draft_project(w.alice, [w.alice, w.bob])
    w.accept(draft, w.alice)
    with reverts("PocExchange", "ExchangeAgreementNotInForce", draft):
        xworld.chain.send(
            xworld.exchange.functions.proposeExchangeSettings(draft, (DAY, 0, 0)), w.alice
        )


@covers("PocExchange.ExchangeNotParticipant")
def test_settings_proposal_or_approval_by_outsider_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    with reverts("PocExchange", "ExchangeNotParticipant", w.project, w.eve.address):
        xworld.chain.send(
            xworld.exchange.functions.proposeExchangeSettings(w.project, (DAY, 0, 0)), w.eve
        )
    receipt = xworld.chain.send(
        xworld.exchange.functions.proposeExchangeSettings(w.project, (DAY, 0, 0)), w.alice
    )
    proposal_id = event(xworld.exchange, "ExchangeSettingsProposed", receipt)["proposalId"]
    with reverts("PocExchange", "ExchangeNotParticipant", w.project, w.eve.address):
        xworld.chain.send(
            xworld.exchange.functions.approveExchangeSettings(w.project, proposal_id), w.eve
        )


@covers("PocExchange.ExchangeProposalNotFound")
def test_unknown_settings_proposal_is_not_found(xworld: ExchangeWorld) -> None:
    w = xworld.world
    with reverts("PocExchange", "ExchangeProposalNotFound", w.project, 5):
        xworld.chain.send(xworld.exchange.functions.approveExchangeSettings(w.project, 5), w.bob)
    with reverts("PocExchange", "ExchangeProposalNotFound", w.project, 5):
        xworld.exchange.functions.settingsProposal(w.project, 5).call()


@covers("PocExchange.ExchangeAlreadyApproved", "PocExchange.ExchangeProposalExecuted")
def test_settings_approval_twice_or_after_execution_is_refused(xworld: ExchangeWorld) -> None:
    w = xworld.world
    receipt = xworld.chain.send(
        xworld.exchange.functions.proposeExchangeSettings(w.project, (2 * DAY, 0, 0)), w.alice
    )
    proposal_id = event(xworld.exchange, "ExchangeSettingsProposed", receipt)["proposalId"]
    with reverts("PocExchange", "ExchangeAlreadyApproved", proposal_id, w.alice.address):
        xworld.chain.send(
            xworld.exchange.functions.approveExchangeSettings(w.project, proposal_id), w.alice
        )
    for who in (w.bob, w.carol):
        xworld.chain.send(
            xworld.exchange.functions.approveExchangeSettings(w.project, proposal_id), who
        )
    with reverts("PocExchange", "ExchangeProposalExecuted", proposal_id):
        xworld.chain.send(
            xworld.exchange.functions.approveExchangeSettings(w.project, proposal_id), w.dave
        )


@covers("PocExchange.ExchangeNotEligibleApprover")
def test_partner_who_joined_after_settings_proposal_cannot_approve(xworld: ExchangeWorld) -> None:
    w = xworld.world
    receipt = xworld.chain.send(
        xworld.exchange.functions.proposeExchangeSettings(w.project, (2 * DAY, 0, 0)), w.alice
    )
    settings_proposal = event(xworld.exchange, "ExchangeSettingsProposed", receipt)["proposalId"]
    xworld.chain.travel(60)
    add = w.propose(w.alice, ADD_PARTNER, address_data(w.eve.address))
    for who in (w.bob, w.carol):
        xworld.chain.send(w.ledger.functions.approveProposal(w.project, add), who)
    w.accept(w.project, w.eve)
    with reverts("PocExchange", "ExchangeNotEligibleApprover", settings_proposal, w.eve.address):
        xworld.chain.send(
            xworld.exchange.functions.approveExchangeSettings(w.project, settings_proposal), w.eve
        )


def test_settings_changed_later_do_not_move_an_open_request_deadline(
    xworld: ExchangeWorld,
) -> None:
    w = xworld.world
    request_id = xworld.request(w.bob, w.register(w.alice))
    deadline = xworld.access_request(request_id)["answerDeadline"]
    receipt = xworld.chain.send(
        xworld.exchange.functions.proposeExchangeSettings(w.project, (DAY, 0, 0)), w.alice
    )
    proposal_id = event(xworld.exchange, "ExchangeSettingsProposed", receipt)["proposalId"]
    for who in (w.carol, w.dave):
        xworld.chain.send(
            xworld.exchange.functions.approveExchangeSettings(w.project, proposal_id), who
        )
    assert xworld.settings() == ((DAY, 0, 0), 1)
    assert xworld.access_request(request_id)["answerDeadline"] == deadline
    later = xworld.request(w.dave, w.register(w.alice))
    assert xworld.access_request(later)["answerDeadline"] == xworld.chain.now() + DAY
