"""Payouts: what each partner can release from the RoyaltyVault, and releasing it.

Balances are read from the vault itself (the money is there, not in the index); the tokens
listed are ETH, every token the index saw revenue in, and the one asked for. Releasing to the
partner's own address needs no signature: the vault's `release` pays only the partner itself,
so the relayer sends it for anyone. Paying another recipient is a signed partner action
(`releaseToBySig`), like every other.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from api.deps import VAULT, ReaderDep, ServicesDep
from api.errors import ERROR_RESPONSES, UnprocessableError
from api.schemas.operations import OperationPublic, PreparedPublic
from api.schemas.payouts import (
    BalancesPublic,
    PartnerBalancePublic,
    PayoutCreate,
    PayoutFields,
    TokenBalancesPublic,
)
from api.services.access import readable_project
from api.services.writes import (
    ACCEPTED_RESPONSES,
    SignedAction,
    Writes,
    WritesDep,
    relayer_call,
    signed_call,
)
from ledger.chain.clients import ETH
from ledger.chain.signing import release_to_data
from ledger.domain.values import checksum

router = APIRouter(prefix="/projects", tags=["payouts"], responses=ERROR_RESPONSES)

ProjectIdPath = Annotated[int, Path(ge=1, le=2**32 - 1, description="Project id.")]


@router.get("/{project_id}/balances", response_model=BalancesPublic, summary="Vault balances")
def get_balances(
    services: ServicesDep,
    principal: ReaderDep,
    project_id: ProjectIdPath,
    token: Annotated[
        str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$", description="Also this token.")
    ] = None,
) -> BalancesPublic:
    """Revenue received and released per token, and every partner's releasable balance."""
    project = readable_project(services, principal, project_id)
    access = services.require_chain()
    tokens = {ETH, *services.store.index.revenue_tokens(project_id)}
    if token is not None:
        tokens.add(checksum(token))
    partners = sorted({p.address for p in project.partners}, key=str.lower)
    result: list[TokenBalancesPublic] = []
    for address in sorted(tokens, key=str.lower):
        totals = access.vault.totals(project_id, address)
        result.append(
            TokenBalancesPublic(
                token=address,
                received=str(totals.received),
                released=str(totals.released),
                balances=[
                    PartnerBalancePublic(
                        partner=p, amount=str(access.vault.balance_of(project_id, address, p))
                    )
                    for p in partners
                ],
            )
        )
    return BalancesPublic(project_id=project_id, tokens=result)


def _release_to_action(writes: Writes, project_id: int, token: str, recipient: str) -> SignedAction:
    gas = writes.services.require_chain().vault.gas_limit("releaseTo", by_sig=True)
    return SignedAction(
        kind="release",
        contract=VAULT,
        project_id=project_id,
        typed_data=lambda domain, signer, nonce, deadline: release_to_data(
            domain,
            project_id=project_id,
            token=token,
            recipient=recipient,
            signer=signer,
            nonce=nonce,
            deadline=deadline,
        ),
        call=lambda auth: signed_call(
            VAULT, "releaseToBySig", (project_id, token, recipient), auth, gas
        ),
    )


@router.post(
    "/{project_id}/payouts",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Release the partner's balance",
)
def release(writes: WritesDep, project_id: ProjectIdPath, body: PayoutCreate) -> JSONResponse:
    """Pay the key's partner its whole balance of `token`, to itself or to `recipient`."""
    signed = (body.signature, body.nonce, body.deadline) != (None, None, None)
    if (body.recipient is None or body.recipient == writes.actor) and not signed:
        gas = writes.services.require_chain().vault.gas_limit("release")
        call = relayer_call(VAULT, "release", (project_id, body.token, writes.actor), gas)
        return writes.accept("release", call, body, project_id=project_id)
    recipient = body.recipient or writes.actor
    action = _release_to_action(writes, project_id, body.token, recipient)
    return writes.submit(action, body, body)


@router.post(
    "/{project_id}/payouts/prepare",
    response_model=PreparedPublic,
    summary="Prepare a release for signing",
)
def prepare_release(
    writes: WritesDep, project_id: ProjectIdPath, body: PayoutFields
) -> PreparedPublic:
    """Non-custodial mode, paying another recipient: the typed data to sign."""
    if body.recipient is None:
        raise UnprocessableError(
            "releasing to the partner itself needs no signature: POST /payouts directly",
            code="nothing_to_sign",
        )
    return writes.prepare(_release_to_action(writes, project_id, body.token, body.recipient))
