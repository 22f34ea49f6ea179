"""The index's projections: each contract event folded into the tables reads are served from.

One function per event type, found by the event's type (`PROJECTIONS`), never by its name.
Projections are only ever derived from `index_events`, in chain order: `apply_event` folds a new
event in; `replay` empties the projection tables and folds every kept event in again (after a
reorganisation dropped some). Events without a projection (a nonce cancelled, the EIP-712
domain) are kept in `index_events` only.

The tables hold the events' values in their JSON form (`ledger.domain.events`): ids and hashes
as 0x-hex, addresses EIP-55, amounts above 2^63 as decimal text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final, TypeVar, cast

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ledger.domain.codec import ZERO_HASH, to_hex
from ledger.domain.events import (
    AccessGranted,
    AccessRefused,
    AccessRequested,
    AccessRequestWithdrawn,
    AgreementAccepted,
    AgreementInForce,
    AgreementSet,
    BatchAnchored,
    ContractEvent,
    ContributionRegistered,
    ContributionSuperseded,
    ContributionWithdrawn,
    Disclosed,
    DisclosureAcknowledged,
    DisclosureDeclined,
    DisputeOpened,
    DisputeResolved,
    DisputeVoted,
    EncryptionKeyPublished,
    Endorsed,
    IdentitySet,
    PartnerAdded,
    PartnerRemoved,
    PolicySet,
    ProjectCreated,
    ProposalApproved,
    ProposalCreated,
    ProposalExecuted,
    Released,
    RevenueReceived,
    SplitApproved,
    SplitFinalized,
    SplitProposed,
)
from ledger.domain.exchange import ReceiptStatus, RequestStatus
from ledger.domain.values import ContributionStatus, DisputeOutcome
from ledger.store.index_tables import (
    PROJECTION_TABLES,
    AccessRequestRow,
    AgreementRow,
    BatchRow,
    ContributionRow,
    DisclosureReceiptRow,
    DisclosureRow,
    DisputeRow,
    EncryptionKeyRow,
    EndorsementRow,
    EventRow,
    IdentityRow,
    MoneyRow,
    PartnerRow,
    PolicyRow,
    ProjectRow,
    ProposalRow,
    SplitRow,
)
from ledger.store.records import StoredEvent

E = TypeVar("E", bound=ContractEvent)
Projection = Callable[[Session, Any], None]

PROJECTIONS: Final[dict[type[ContractEvent], Projection]] = {}
"""The projection of each event type that has one."""


def projects(
    cls: type[E],
) -> Callable[[Callable[[Session, E], None]], Callable[[Session, E], None]]:
    """Register the decorated function as the projection of events of type `cls`."""

    def register(function: Callable[[Session, E], None]) -> Callable[[Session, E], None]:
        PROJECTIONS[cls] = cast(Projection, function)
        return function

    return register


def apply_event(session: Session, event: ContractEvent) -> None:
    """Fold one event into the projections. Events arrive in chain order."""
    projection = PROJECTIONS.get(type(event))
    if projection is not None:
        projection(session, event)


def replay(session: Session) -> None:
    """Empty the projections and fold every event the index keeps into them again."""
    for table in PROJECTION_TABLES:
        session.execute(delete(cast(Any, table)))
    session.flush()
    last = 0
    while True:
        rows = session.scalars(
            select(EventRow).where(EventRow.seq > last).order_by(EventRow.seq).limit(5000)
        ).all()
        if not rows:
            break
        for row in rows:
            apply_event(session, stored_event(row).typed())
        session.flush()
        last = rows[-1].seq


def stored_event(row: EventRow) -> StoredEvent:
    """The record of an `index_events` row."""
    return StoredEvent(
        seq=row.seq,
        block_number=row.block_number,
        block_hash=row.block_hash,
        tx_hash=row.tx_hash,
        log_index=row.log_index,
        contract=row.contract,
        name=row.name,
        project_id=row.project_id,
        args_json=row.args_json,
    )


def _json_list(raw: str) -> list[Any]:
    value = json.loads(raw)
    assert isinstance(value, list)
    return value


# ------------------------------------------------------------------------ projects


@projects(ProjectCreated)
def _project_created(session: Session, e: ProjectCreated) -> None:
    session.add(
        ProjectRow(
            project_id=e.project_id,
            coordinator=e.coordinator,
            agreement_version=0,
            agreement_hash=to_hex(e.agreement_hash),
            policy_version=0,
            policy_hash=ZERO_HASH,
            in_force=False,
            created_block=e.block_number,
            created_tx=e.tx_hash,
        )
    )
    session.flush()


@projects(PolicySet)
def _policy_set(session: Session, e: PolicySet) -> None:
    policy_hash = to_hex(e.policy_hash)
    session.add(
        PolicyRow(
            project_id=e.project_id,
            version=e.version,
            policy_hash=policy_hash,
            policy_json=json.dumps(e.policy.to_json()),
            block_number=e.block_number,
        )
    )
    session.execute(
        update(ProjectRow)
        .where(ProjectRow.project_id == e.project_id)
        .values(policy_version=e.version, policy_hash=policy_hash)
    )


@projects(AgreementSet)
def _agreement_set(session: Session, e: AgreementSet) -> None:
    agreement_hash = to_hex(e.agreement_hash)
    session.add(
        AgreementRow(
            project_id=e.project_id,
            version=e.version,
            agreement_hash=agreement_hash,
            block_number=e.block_number,
        )
    )
    session.execute(
        update(ProjectRow)
        .where(ProjectRow.project_id == e.project_id)
        .values(agreement_version=e.version, agreement_hash=agreement_hash)
    )


@projects(AgreementAccepted)
def _agreement_accepted(session: Session, e: AgreementAccepted) -> None:
    session.execute(
        update(PartnerRow)
        .where(PartnerRow.project_id == e.project_id, PartnerRow.address == e.partner)
        .values(accepted_version=e.version)
    )


@projects(AgreementInForce)
def _agreement_in_force(session: Session, e: AgreementInForce) -> None:
    session.execute(
        update(ProjectRow).where(ProjectRow.project_id == e.project_id).values(in_force=True)
    )


@projects(PartnerAdded)
def _partner_added(session: Session, e: PartnerAdded) -> None:
    session.merge(
        PartnerRow(
            project_id=e.project_id,
            address=e.partner,
            active=True,
            accepted_version=0,
            joined_block=e.block_number,
        )
    )


@projects(PartnerRemoved)
def _partner_removed(session: Session, e: PartnerRemoved) -> None:
    session.execute(
        update(PartnerRow)
        .where(PartnerRow.project_id == e.project_id, PartnerRow.address == e.partner)
        .values(active=False)
    )


@projects(IdentitySet)
def _identity_set(session: Session, e: IdentitySet) -> None:
    session.merge(
        IdentityRow(
            address=e.account,
            name=e.name,
            company_number=e.company_number,
            block_number=e.block_number,
        )
    )


# ------------------------------------------------------------------------ governance


@projects(ProposalCreated)
def _proposal_created(session: Session, e: ProposalCreated) -> None:
    session.add(
        ProposalRow(
            proposal_id=e.proposal_id,
            project_id=e.project_id,
            proposer=e.proposer,
            kind=int(e.kind),
            data=to_hex(e.data),
            approvals_json="[]",
            executed=False,
            block_number=e.block_number,
        )
    )
    session.flush()


@projects(ProposalApproved)
def _proposal_approved(session: Session, e: ProposalApproved) -> None:
    proposal = session.get(ProposalRow, e.proposal_id)
    if proposal is not None:
        proposal.approvals_json = json.dumps([*_json_list(proposal.approvals_json), e.approver])


@projects(ProposalExecuted)
def _proposal_executed(session: Session, e: ProposalExecuted) -> None:
    session.execute(
        update(ProposalRow).where(ProposalRow.proposal_id == e.proposal_id).values(executed=True)
    )


# ------------------------------------------------------------------------ contributions


@projects(ContributionRegistered)
def _contribution_registered(session: Session, e: ContributionRegistered) -> None:
    session.add(
        ContributionRow(
            contribution_id=to_hex(e.contribution_id),
            project_id=e.project_id,
            contributor=e.contributor,
            commitment=to_hex(e.commitment),
            card_hash=to_hex(e.card_hash),
            origin=int(e.origin),
            category=e.category,
            value=str(e.value),
            parents_json=json.dumps([to_hex(parent) for parent in e.parents]),
            supersedes=to_hex(e.supersedes),
            superseded_by=None,
            batch_id=to_hex(e.batch_id),
            registered_at=e.registered_at,
            uri=e.uri,
            status=int(ContributionStatus.ACTIVE),
            block_number=e.block_number,
            block_hash=e.block_hash,
            tx_hash=e.tx_hash,
            log_index=e.log_index,
        )
    )


@projects(ContributionWithdrawn)
def _contribution_withdrawn(session: Session, e: ContributionWithdrawn) -> None:
    _set_status(session, to_hex(e.contribution_id), ContributionStatus.WITHDRAWN)


@projects(ContributionSuperseded)
def _contribution_superseded(session: Session, e: ContributionSuperseded) -> None:
    session.flush()
    session.execute(
        update(ContributionRow)
        .where(ContributionRow.contribution_id == to_hex(e.contribution_id))
        .values(status=int(ContributionStatus.SUPERSEDED), superseded_by=to_hex(e.replacement_id))
    )


@projects(BatchAnchored)
def _batch_anchored(session: Session, e: BatchAnchored) -> None:
    session.add(
        BatchRow(
            batch_id=to_hex(e.batch_id),
            project_id=e.project_id,
            contributor=e.contributor,
            root=to_hex(e.root),
            count=e.count,
            uri=e.uri,
            block_number=e.block_number,
            tx_hash=e.tx_hash,
        )
    )


@projects(Endorsed)
def _endorsed(session: Session, e: Endorsed) -> None:
    session.add(
        EndorsementRow(
            contribution_id=to_hex(e.contribution_id),
            endorser=e.endorser,
            project_id=e.project_id,
            rating=e.rating,
            block_number=e.block_number,
        )
    )


@projects(DisputeOpened)
def _dispute_opened(session: Session, e: DisputeOpened) -> None:
    session.add(
        DisputeRow(
            contribution_id=to_hex(e.contribution_id),
            number=e.dispute_number,
            project_id=e.project_id,
            disputer=e.disputer,
            reason_hash=to_hex(e.reason_hash),
            eligible_voters=e.eligible_voters,
            votes_json="[]",
            outcome=int(DisputeOutcome.OPEN),
            block_number=e.block_number,
        )
    )
    session.flush()


@projects(DisputeVoted)
def _dispute_voted(session: Session, e: DisputeVoted) -> None:
    dispute = session.get(DisputeRow, (to_hex(e.contribution_id), e.dispute_number))
    if dispute is not None:
        vote = {"voter": e.voter, "uphold": bool(e.uphold)}
        dispute.votes_json = json.dumps([*_json_list(dispute.votes_json), vote])


@projects(DisputeResolved)
def _dispute_resolved(session: Session, e: DisputeResolved) -> None:
    contribution_id = to_hex(e.contribution_id)
    session.execute(
        update(DisputeRow)
        .where(
            DisputeRow.contribution_id == contribution_id,
            DisputeRow.number == e.dispute_number,
        )
        .values(outcome=int(e.outcome))
    )
    if e.outcome == DisputeOutcome.UPHELD:
        _set_status(session, contribution_id, ContributionStatus.INVALIDATED)


def _set_status(session: Session, contribution_id: str, status: ContributionStatus) -> None:
    session.flush()
    session.execute(
        update(ContributionRow)
        .where(ContributionRow.contribution_id == contribution_id)
        .values(status=int(status))
    )


# ------------------------------------------------------------------------ the vault


@projects(SplitProposed)
def _split_proposed(session: Session, e: SplitProposed) -> None:
    session.add(
        SplitRow(
            proposal_id=e.proposal_id,
            project_id=e.project_id,
            proposer=e.proposer,
            partners_json=json.dumps(list(e.partners)),
            bps_json=json.dumps(list(e.bps)),
            policy_version=e.policy_version,
            computed_at_block=e.computed_at_block,
            input_set_hash=to_hex(e.input_set_hash),
            approvals_json="[]",
            split_version=None,
            block_number=e.block_number,
        )
    )
    session.flush()


@projects(SplitApproved)
def _split_approved(session: Session, e: SplitApproved) -> None:
    split = session.get(SplitRow, e.proposal_id)
    if split is not None:
        split.approvals_json = json.dumps([*_json_list(split.approvals_json), e.approver])


@projects(SplitFinalized)
def _split_finalized(session: Session, e: SplitFinalized) -> None:
    session.execute(
        update(SplitRow)
        .where(SplitRow.proposal_id == e.proposal_id)
        .values(split_version=e.split_version)
    )


@projects(RevenueReceived)
def _revenue_received(session: Session, e: RevenueReceived) -> None:
    session.add(
        MoneyRow(
            project_id=e.project_id,
            kind="revenue",
            token=e.token,
            party=e.from_,
            recipient=None,
            amount=str(e.amount),
            split_version=e.split_version,
            block_number=e.block_number,
            tx_hash=e.tx_hash,
        )
    )


@projects(Released)
def _released(session: Session, e: Released) -> None:
    session.add(
        MoneyRow(
            project_id=e.project_id,
            kind="release",
            token=e.token,
            party=e.partner,
            recipient=e.recipient,
            amount=str(e.amount),
            split_version=None,
            block_number=e.block_number,
            tx_hash=e.tx_hash,
        )
    )


# ------------------------------------------------------------------------ PocExchange


@projects(EncryptionKeyPublished)
def _encryption_key_published(session: Session, e: EncryptionKeyPublished) -> None:
    session.add(
        EncryptionKeyRow(
            account=e.account,
            key_version=e.key_version,
            public_key=to_hex(e.public_key),
            block_number=e.block_number,
            tx_hash=e.tx_hash,
        )
    )


@projects(Disclosed)
def _disclosed(session: Session, e: Disclosed) -> None:
    disclosure_id = to_hex(e.disclosure_id)
    session.add(
        DisclosureRow(
            disclosure_id=disclosure_id,
            project_id=e.project_id,
            sharer=e.sharer,
            content_commitment=to_hex(e.content_commitment),
            contribution_ids_json=json.dumps([to_hex(c) for c in e.contribution_ids]),
            agreement_version=e.agreement_version,
            block_number=e.block_number,
            tx_hash=e.tx_hash,
        )
    )
    for position, recipient in enumerate(e.recipients):
        session.add(
            DisclosureReceiptRow(
                disclosure_id=disclosure_id,
                recipient=recipient,
                position=position,
                project_id=e.project_id,
                status=int(ReceiptStatus.PENDING),
            )
        )
    session.flush()


def _answer_receipt(
    session: Session,
    e: DisclosureAcknowledged | DisclosureDeclined,
    status: ReceiptStatus,
    reason_hash: str | None,
) -> None:
    row = session.get(DisclosureReceiptRow, (to_hex(e.disclosure_id), e.recipient))
    if row is not None:
        row.status = int(status)
        row.reason_hash = reason_hash
        row.answered_block = e.block_number
        row.answered_tx = e.tx_hash


@projects(DisclosureAcknowledged)
def _disclosure_acknowledged(session: Session, e: DisclosureAcknowledged) -> None:
    _answer_receipt(session, e, ReceiptStatus.ACKNOWLEDGED, None)


@projects(DisclosureDeclined)
def _disclosure_declined(session: Session, e: DisclosureDeclined) -> None:
    _answer_receipt(session, e, ReceiptStatus.DECLINED, to_hex(e.reason_hash))


@projects(AccessRequested)
def _access_requested(session: Session, e: AccessRequested) -> None:
    session.add(
        AccessRequestRow(
            request_id=e.request_id,
            project_id=e.project_id,
            contribution_id=to_hex(e.contribution_id),
            requester=e.requester,
            owner=e.owner,
            purpose=int(e.purpose),
            terms=int(e.terms),
            terms_hash=to_hex(e.terms_hash),
            answer_deadline=e.answer_deadline,
            status=int(RequestStatus.OPEN),
            block_number=e.block_number,
            tx_hash=e.tx_hash,
        )
    )
    session.flush()


def _answer_request(
    session: Session,
    e: AccessGranted | AccessRefused | AccessRequestWithdrawn,
    status: RequestStatus,
) -> AccessRequestRow | None:
    row = session.get(AccessRequestRow, e.request_id)
    if row is not None:
        row.status = int(status)
        row.answered_block = e.block_number
        row.answered_tx = e.tx_hash
    return row


@projects(AccessGranted)
def _access_granted(session: Session, e: AccessGranted) -> None:
    row = _answer_request(session, e, RequestStatus.GRANTED)
    if row is not None:
        row.granted_terms = int(e.terms)
        row.granted_terms_hash = to_hex(e.terms_hash)


@projects(AccessRefused)
def _access_refused(session: Session, e: AccessRefused) -> None:
    row = _answer_request(session, e, RequestStatus.REFUSED)
    if row is not None:
        row.reason_hash = to_hex(e.reason_hash)


@projects(AccessRequestWithdrawn)
def _access_request_withdrawn(session: Session, e: AccessRequestWithdrawn) -> None:
    _answer_request(session, e, RequestStatus.WITHDRAWN)
