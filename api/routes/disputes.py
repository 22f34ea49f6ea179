"""Disputes: open one on another partner's contribution, vote on it, or withdraw it.

All three are signed partner actions (`openDisputeBySig`, `voteDisputeBySig`,
`withdrawDisputeBySig`). Only the hash of the reason goes on chain (`reasonHash`, the SHA-256 of
its canonical form, docs/proofs.md); the service keeps its text sealed for the project's
partners and granted auditors (`api.services.records`), and a read shows it with the dispute
only while it still hashes to the signed value. The contract votes on the contribution's open
dispute, so the routes name the dispute number too and refuse (409 `no_open_dispute`, the code
the contract's own refusal gets) when the index says that dispute is not the open one: a
partner must not cast a vote it believes to be on another dispute.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from api.deps import LEDGER, ReaderDep, Services, ServicesDep
from api.errors import (
    ERROR_RESPONSES,
    ConflictError,
    ErrorBody,
    NotFoundError,
    UnprocessableError,
    WrongActorError,
)
from api.schemas.disputes import (
    DisputeCreate,
    DisputeFields,
    DisputePublic,
    DisputeWithdrawCreate,
    VoteCreate,
    VoteFields,
)
from api.schemas.operations import OperationPublic, PreparedPublic
from api.services.access import readable_contribution
from api.services.writes import ACCEPTED_RESPONSES, SignedAction, Writes, WritesDep, signed_call
from ledger.chain.signing import (
    Eip712Domain,
    TypedData,
    open_dispute_data,
    vote_dispute_data,
    withdraw_dispute_data,
)
from ledger.chain.translate import translating
from ledger.domain.values import DisputeOutcome
from ledger.errors import ChainError
from ledger.store.records import ContributionRecord, DisputeRecord

router = APIRouter(tags=["disputes"], responses=ERROR_RESPONSES)

ContributionIdPath = Annotated[
    str,
    Path(
        alias="contributionId",
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="Contribution id (bytes32 hex).",
    ),
]
DisputeNumberPath = Annotated[int, Path(ge=1, le=2**32 - 1, description="Dispute number.")]


@router.get(
    "/contributions/{contributionId}/disputes",
    response_model=list[DisputePublic],
    summary="List disputes",
)
def list_disputes(
    services: ServicesDep, principal: ReaderDep, contribution_id: ContributionIdPath
) -> list[DisputePublic]:
    """The contribution's disputes, oldest first, each with its reason (if the service keeps
    it and it is unaltered), who disputed, the tally and the outcome. Resolved disputes stay."""
    readable_contribution(services, principal, contribution_id)
    return [_public(services, d) for d in services.store.index.disputes(contribution_id)]


@router.get(
    "/contributions/{contributionId}/disputes/{number}",
    response_model=DisputePublic,
    summary="Get a dispute",
    responses={404: {"model": ErrorBody, "description": "Unknown contribution or dispute."}},
)
def get_dispute(
    services: ServicesDep,
    principal: ReaderDep,
    contribution_id: ContributionIdPath,
    number: DisputeNumberPath,
) -> DisputePublic:
    """One dispute of the contribution, with its reason."""
    readable_contribution(services, principal, contribution_id)
    for dispute in services.store.index.disputes(contribution_id):
        if dispute.number == number:
            return _public(services, dispute)
    raise NotFoundError(f"no dispute {number} of {contribution_id}", code="dispute_not_found")


def _public(services: Services, dispute: DisputeRecord) -> DisputePublic:
    reason = services.records.reason_public(dispute.contribution_id, dispute.reason_hash)
    return DisputePublic.of(dispute, reason, _block_time(services, dispute.block_number))


def _block_time(services: Services, block_number: int) -> int | None:
    """The timestamp of an indexed block, asked of the node (None while it is away)."""
    access = services.chain
    if access is None:
        return None
    with contextlib.suppress(ChainError), translating():
        return int(access.chain.w3.eth.get_block(block_number)["timestamp"])
    return None


ContributionAction = Callable[..., TypedData]


def _action(
    writes: Writes,
    contribution_id: str,
    *,
    kind: str,
    function: str,
    builder: ContributionAction,
    extra: dict[str, Any],
    dedupe_key: str | None = None,
    keep: Callable[[], object] | None = None,
) -> SignedAction:
    """A signed action on one contribution: `builder(domain, project_id=, contribution_id=,
    **extra, signer=, nonce=, deadline=)` and `function(projectId, contributionId, *extra)`."""
    record = readable_contribution(writes.services, writes.principal, contribution_id)
    project_id, cid = record.project_id, bytes.fromhex(contribution_id[2:])
    gas = writes.services.require_chain().ledger.gas_limit(
        function.removesuffix("BySig"), by_sig=True
    )

    def typed(domain: Eip712Domain, signer: str, nonce: int, deadline: int) -> TypedData:
        return builder(
            domain,
            project_id=project_id,
            contribution_id=cid,
            **extra,
            signer=signer,
            nonce=nonce,
            deadline=deadline,
        )

    return SignedAction(
        kind=kind,
        contract=LEDGER,
        project_id=project_id,
        typed_data=typed,
        call=lambda auth: signed_call(
            LEDGER, function, (project_id, cid, *extra.values()), auth, gas
        ),
        dedupe_key=dedupe_key,
        keep=keep,
    )


def _open_dispute(writes: Writes, contribution_id: str, number: int) -> DisputeRecord:
    for dispute in writes.services.store.index.disputes(contribution_id):
        if dispute.number == number:
            if dispute.outcome != DisputeOutcome.OPEN:
                raise ConflictError(
                    f"dispute {number} of {contribution_id} is closed", code="no_open_dispute"
                )
            return dispute
    raise NotFoundError(f"no dispute {number} of {contribution_id}", code="dispute_not_found")


def _dispute_action(
    writes: Writes, contribution_id: str, body: DisputeFields
) -> tuple[SignedAction, DisputeFields]:
    """The signed `openDisputeBySig` action, and the body as the outbox may keep it (the
    reason's words replaced by its salted hash: the database holds no plaintext)."""
    record = readable_contribution(writes.services, writes.principal, contribution_id)
    reason_hash, keep = _reason(writes, record, body)
    action = _action(
        writes,
        contribution_id,
        kind="open_dispute",
        function="openDisputeBySig",
        builder=open_dispute_data,
        extra={"reason_hash": reason_hash},
        dedupe_key=_dispute_key(writes, record, reason_hash),
        keep=keep,
    )
    return action, body.model_copy(update={"reason": None, "reason_hash": "0x" + reason_hash.hex()})


def _dispute_key(writes: Writes, record: ContributionRecord, reason_hash: bytes) -> str:
    """The same partner disputing with the same reason, while the disputes before it are as
    they are, is one request (sent twice, it is one dispute); once a dispute is closed, the
    same words may open a new one."""
    closed = sum(
        1
        for d in writes.services.store.index.disputes(record.contribution_id)
        if d.outcome != DisputeOutcome.OPEN
    )
    return f"dispute:{record.contribution_id.lower()}:{closed}:{writes.actor}:0x{reason_hash.hex()}"


def _reason(
    writes: Writes, record: ContributionRecord, body: DisputeFields
) -> tuple[bytes, Callable[[], object] | None]:
    if body.reason is None:
        assert body.reason_hash is not None
        return bytes.fromhex(body.reason_hash[2:]), None
    records = writes.services.records
    reason = body.reason.to_reason(records.reason_salt(record.contribution_id, writes.actor))
    if body.reason_hash is not None and body.reason_hash != reason.hash_hex():
        raise UnprocessableError(
            f"reason_hash {body.reason_hash} is not the hash of the reason given "
            f"({reason.hash_hex()}; docs/proofs.md says how it is computed)",
            code="reason_hash_mismatch",
        )

    def keep() -> object:
        return records.keep_reason(
            project_id=record.project_id,
            contribution_id=record.contribution_id,
            reason=reason,
            author=writes.actor,
        )

    return reason.hash(), keep


@router.post(
    "/contributions/{contributionId}/disputes",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Open a dispute",
)
def open_dispute(
    writes: WritesDep, contribution_id: ContributionIdPath, body: DisputeCreate
) -> JSONResponse:
    """Dispute another partner's active contribution within the policy's dispute window, with
    the reason in the disputer's words (`reason`): the partners who vote read it here."""
    action, kept = _dispute_action(writes, contribution_id, body)
    return writes.submit(action, body, kept)


@router.post(
    "/contributions/{contributionId}/disputes/prepare",
    response_model=PreparedPublic,
    summary="Prepare a dispute for signing",
)
def prepare_dispute(
    writes: WritesDep, contribution_id: ContributionIdPath, body: DisputeFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign (its `reasonHash` is the reason's hash; post
    the same body with the signature, and the same `salt` if you gave one)."""
    return writes.prepare(_dispute_action(writes, contribution_id, body)[0])


def _vote_action(
    writes: Writes, contribution_id: str, number: int, body: VoteFields
) -> SignedAction:
    _open_dispute(writes, contribution_id, number)
    return _action(
        writes,
        contribution_id,
        kind="vote_dispute",
        function="voteDisputeBySig",
        builder=vote_dispute_data,
        extra={"uphold": body.uphold},
        dedupe_key=f"vote:{contribution_id.lower()}:{number}:{writes.actor}",
    )


@router.post(
    "/contributions/{contributionId}/disputes/{number}/votes",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Vote on a dispute",
)
def vote(
    writes: WritesDep,
    contribution_id: ContributionIdPath,
    number: DisputeNumberPath,
    body: VoteCreate,
) -> JSONResponse:
    """Vote to uphold (invalidate the contribution) or reject the open dispute; a strict
    majority of the eligible voters decides."""
    return writes.submit(_vote_action(writes, contribution_id, number, body), body, body)


@router.post(
    "/contributions/{contributionId}/disputes/{number}/votes/prepare",
    response_model=PreparedPublic,
    summary="Prepare a vote for signing",
)
def prepare_vote(
    writes: WritesDep,
    contribution_id: ContributionIdPath,
    number: DisputeNumberPath,
    body: VoteFields,
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_vote_action(writes, contribution_id, number, body))


def _withdraw_action(writes: Writes, contribution_id: str, number: int) -> SignedAction:
    dispute = _open_dispute(writes, contribution_id, number)
    if dispute.disputer != writes.actor:
        raise WrongActorError(
            f"dispute {number} was opened by {dispute.disputer}, "
            f"this API key acts for {writes.actor}"
        )
    return _action(
        writes,
        contribution_id,
        kind="withdraw_dispute",
        function="withdrawDisputeBySig",
        builder=withdraw_dispute_data,
        extra={},
        dedupe_key=f"withdraw_dispute:{contribution_id.lower()}:{number}",
    )


@router.post(
    "/contributions/{contributionId}/disputes/{number}/withdraw",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Withdraw a dispute",
)
def withdraw_dispute(
    writes: WritesDep,
    contribution_id: ContributionIdPath,
    number: DisputeNumberPath,
    body: DisputeWithdrawCreate,
) -> JSONResponse:
    """The disputer withdraws its own open dispute."""
    return writes.submit(_withdraw_action(writes, contribution_id, number), body, body)


@router.post(
    "/contributions/{contributionId}/disputes/{number}/withdraw/prepare",
    response_model=PreparedPublic,
    summary="Prepare a dispute withdrawal for signing",
)
def prepare_withdraw_dispute(
    writes: WritesDep, contribution_id: ContributionIdPath, number: DisputeNumberPath
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_withdraw_action(writes, contribution_id, number))
