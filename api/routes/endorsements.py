"""Endorsements: a partner vouches for another partner's contribution with an impact rating.

Endorsing is a signed partner action relayed through `endorseBySig`. The contract refuses an
endorsement of one's own contribution, a second one by the same partner, and one of a
contribution that is not active; the scoring counts the lower median of the ratings once the
policy's quorum of endorsements by other partners is reached (docs/scoring.md).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from api.deps import LEDGER, ReaderDep, Services, ServicesDep
from api.errors import ERROR_RESPONSES
from api.schemas.endorsements import EndorsementCreate, EndorsementFields, EndorsementPublic
from api.schemas.operations import OperationPublic, PreparedPublic
from api.services.access import readable_contribution
from api.services.writes import ACCEPTED_RESPONSES, SignedAction, Writes, WritesDep, signed_call
from ledger.chain.signing import endorse_data
from ledger.errors import ChainError
from ledger.evidence.splits import block_time

router = APIRouter(tags=["endorsements"], responses=ERROR_RESPONSES)

ContributionIdPath = Annotated[
    str,
    Path(
        alias="contributionId",
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="Contribution id (bytes32 hex).",
    ),
]


def _block_times(services: Services, blocks: set[int]) -> dict[int, int]:
    """Timestamps of `blocks` from the chain node; those it cannot give are left out."""
    access = services.chain
    times: dict[int, int] = {}
    if access is None:
        return times
    for number in sorted(blocks):
        try:
            times[number] = block_time(access.chain.w3, number)
        except ChainError:
            break  # node down: the dates stay unknown, the endorsements are still served
    return times


@router.get(
    "/contributions/{contributionId}/endorsements",
    response_model=list[EndorsementPublic],
    summary="List endorsements",
)
def list_endorsements(
    services: ServicesDep, principal: ReaderDep, contribution_id: ContributionIdPath
) -> list[EndorsementPublic]:
    """The contribution's endorsements in chain order."""
    readable_contribution(services, principal, contribution_id)
    records = services.store.index.endorsements(contribution_id)
    times = _block_times(services, {e.block_number for e in records})
    return [EndorsementPublic.of(e, times.get(e.block_number)) for e in records]


def _endorse_action(writes: Writes, contribution_id: str, rating: int) -> SignedAction:
    record = readable_contribution(writes.services, writes.principal, contribution_id)
    project_id, cid = record.project_id, bytes.fromhex(contribution_id[2:])
    gas = writes.services.require_chain().ledger.gas_limit("endorse", by_sig=True)
    return SignedAction(
        kind="endorse",
        contract=LEDGER,
        project_id=project_id,
        typed_data=lambda domain, signer, nonce, deadline: endorse_data(
            domain,
            project_id=project_id,
            contribution_id=cid,
            rating=rating,
            signer=signer,
            nonce=nonce,
            deadline=deadline,
        ),
        call=lambda auth: signed_call(LEDGER, "endorseBySig", (project_id, cid, rating), auth, gas),
        dedupe_key=f"endorse:{contribution_id.lower()}:{writes.actor}",
    )


@router.post(
    "/contributions/{contributionId}/endorsements",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Endorse a contribution",
)
def endorse(
    writes: WritesDep, contribution_id: ContributionIdPath, body: EndorsementCreate
) -> JSONResponse:
    """Endorse another partner's active contribution with a rating of 1..5 (once)."""
    action = _endorse_action(writes, contribution_id, body.rating)
    return writes.submit(action, body, body)


@router.post(
    "/contributions/{contributionId}/endorsements/prepare",
    response_model=PreparedPublic,
    summary="Prepare an endorsement for signing",
)
def prepare_endorsement(
    writes: WritesDep, contribution_id: ContributionIdPath, body: EndorsementFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign."""
    return writes.prepare(_endorse_action(writes, contribution_id, body.rating))
