"""Payouts: what each partner can release from the RoyaltyVault, and releasing it.

Balances are read from the vault itself (the money is there, not in the index); the tokens
listed are ETH, every token the index saw revenue in, and the one asked for. Releasing to the
partner's own address needs no signature: the vault's `release` pays only the partner itself,
so the relayer sends it for anyone. Paying another recipient is a signed partner action
(`releaseToBySig`), like every other.
"""

from __future__ import annotations

from typing import Annotated

from eth_abi.abi import encode
from eth_utils.crypto import keccak
from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from web3.exceptions import BadFunctionCallOutput, ContractLogicError

from api.deps import VAULT, ReaderDep, ServicesDep
from api.errors import ERROR_RESPONSES, ConflictError, UnprocessableError
from api.schemas.operations import OperationPublic, PreparedPublic
from api.schemas.payouts import (
    BalancesPublic,
    PartnerBalancePublic,
    PayoutCreate,
    PayoutFields,
    RevenueFields,
    RevenueTransactionsPublic,
    TokenBalancesPublic,
    UnsignedTransactionPublic,
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
from ledger.chain.translate import translating
from ledger.domain.codec import to_hex
from ledger.domain.values import checksum
from ledger.sync.calls import ChainCall

router = APIRouter(prefix="/projects", tags=["payouts"], responses=ERROR_RESPONSES)

ProjectIdPath = Annotated[
    int, Path(alias="projectId", ge=1, le=2**32 - 1, description="Project id.")
]


@router.get("/{projectId}/balances", response_model=BalancesPublic, summary="Vault balances")
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
    "/{projectId}/payouts",
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
    "/{projectId}/payouts/prepare",
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


# ------------------------------------------------------------------------------ revenue in

# An ERC-20 `approve` costs ~46k gas on a fresh allowance; a token with hooks may need more.
_APPROVE_GAS = 100_000
_APPROVE = keccak(text="approve(address,uint256)")[:4]
_ERC20_ALLOWANCE_ABI = [
    {
        "type": "function",
        "name": "allowance",
        "stateMutability": "view",
        "inputs": [{"name": "owner", "type": "address"}, {"name": "spender", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
]


def _split_partners(writes: Writes, project_id: int, body: RevenueFields) -> int:
    """The partners of the split in force (the deposit's gas grows with them); 409
    `no_split_in_force` before the first split is finalized, as the vault would revert, and
    422 `zero_amount` for nothing to pay."""
    readable_project(writes.services, writes.principal, project_id)
    if body.amount == 0:
        raise UnprocessableError("the amount must be above zero", code="zero_amount")
    finalized = [
        r for r in writes.services.store.index.split_proposals(project_id) if r.split_version
    ]
    if not finalized:
        raise ConflictError(
            f"project {project_id} has no split in force yet: the vault takes revenue once "
            "the partners finalized a split (POST /v1/projects/{projectId}/splits, then its "
            "approvals)",
            code="no_split_in_force",
        )
    newest = max(finalized, key=lambda r: r.split_version or 0)
    return len(newest.partners)


def _deposit_call(writes: Writes, project_id: int, body: RevenueFields, partners: int) -> ChainCall:
    vault = writes.services.require_chain().vault
    if body.token == ETH:
        return ChainCall(
            contract=VAULT,
            function="deposit",
            args=(project_id,),
            gas=vault.gas_limit("deposit", items=partners),
            sender=writes.actor,
            value=body.amount,
        )
    return ChainCall(
        contract=VAULT,
        function="depositToken",
        args=(project_id, checksum(body.token), body.amount),
        gas=vault.gas_limit("depositToken", items=partners),
        sender=writes.actor,
    )


@router.post(
    "/{projectId}/revenue",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Pay revenue in (custodial payer)",
)
def pay_revenue(writes: WritesDep, project_id: ProjectIdPath, body: RevenueFields) -> JSONResponse:
    """Pay ETH revenue into the project's vault from the key's partner's custodial account;
    the vault splits it by the split in force at once. 409 `no_split_in_force` before a split
    is finalized. ERC-20 revenue, and any payer whose key the service does not hold: `POST
    …/revenue/prepare` gives the transactions to send from the payer's own wallet (422
    `not_custodial` here)."""
    partners = _split_partners(writes, project_id, body)
    custody = writes.services.custody
    if body.token != ETH or custody is None or not custody.holds(writes.actor):
        raise UnprocessableError(
            "the service pays in only ETH, and only from an account whose key it holds: POST "
            f"/v1/projects/{project_id}/revenue/prepare and send its transactions from your "
            "own wallet",
            code="not_custodial",
        )
    call = _deposit_call(writes, project_id, body, partners)
    # No dedupe key: paying twice is legitimate; retries use an Idempotency-Key.
    return writes.accept("deposit_revenue", call, body, project_id=project_id)


@router.post(
    "/{projectId}/revenue/prepare",
    response_model=RevenueTransactionsPublic,
    summary="Prepare paying revenue in (own wallet)",
)
def prepare_revenue(
    writes: WritesDep, project_id: ProjectIdPath, body: RevenueFields
) -> RevenueTransactionsPublic:
    """The transactions that pay the revenue in from the key's partner's own wallet, in order:
    for an ERC-20 token the `approve` of the vault (left out while the allowance already covers
    the amount), then the deposit. Each is checked against the chain when it is sent: a
    deposit after the split in force was replaced still splits by the newest."""
    partners = _split_partners(writes, project_id, body)
    access = writes.services.require_chain()
    call = _deposit_call(writes, project_id, body, partners)
    transactions: list[UnsignedTransactionPublic] = []
    if body.token != ETH:
        with translating():
            token = access.chain.w3.eth.contract(
                address=checksum(body.token),
                abi=_ERC20_ALLOWANCE_ABI,
            )
            try:
                allowance = int(
                    token.functions.allowance(writes.actor, access.vault_address).call()
                )
            except (ContractLogicError, BadFunctionCallOutput) as exc:
                raise UnprocessableError(
                    f"{checksum(body.token)} answers no ERC-20 allowance: not a token",
                    code="not_a_token",
                ) from exc
        if allowance < body.amount:
            approval = encode(["address", "uint256"], [access.vault_address, body.amount])
            transactions.append(
                UnsignedTransactionPublic.model_validate(
                    {
                        "purpose": "approve",
                        "from": writes.actor,
                        "to": checksum(body.token),
                        "data": to_hex(_APPROVE + approval),
                        "value": 0,
                        "gas": _APPROVE_GAS,
                        "chainId": access.chain.chain_id,
                    }
                )
            )
    transactions.append(
        UnsignedTransactionPublic.model_validate(
            {
                "purpose": "deposit",
                "from": writes.actor,
                "to": access.vault_address,
                "data": to_hex(call.calldata()),
                "value": call.value,
                "gas": call.gas,
                "chainId": access.chain.chain_id,
            }
        )
    )
    return RevenueTransactionsPublic(transactions=transactions)
