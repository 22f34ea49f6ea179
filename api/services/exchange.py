"""The exchange's rules on the API side: who reads a disclosure, its document and its wrapped
keys; what an upload must be; the chain's clock for "overdue".

| what                                  | who reads it                                          |
| ------------------------------------- | ----------------------------------------------------- |
| a disclosure, its receipts            | whoever reads its project (partners, granted auditors) |
| an access-rights request, its answer  | whoever reads its project                             |
| the sealed document                   | the sharer and the recipients the chain names         |
| a wrapped key                         | only the recipient it is wrapped to                   |
| a partner's encryption keys           | whoever may see that partner                          |

Anything else is answered as if it did not exist: 404 with the code of the missing thing
(`disclosure_not_found`, `wrapped_key_not_found`, `access_request_not_found`), so ids do not
leak. The service holds no plaintext and no file key: a document arrives sealed and the keys
arrive wrapped to the recipients' public keys; what it can check of them without keys
(`ledger.exchange.envelope.check_sealed_shape`, `check_wrapped_shape`) it checks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from api.auth import Principal
from api.deps import EXCHANGE, Services
from api.errors import NotFoundError
from api.services.access import can_read
from api.services.writes import SignedAction, Writes, signed_call
from ledger.chain.signing import Eip712Domain, TypedData
from ledger.chain.translate import translating
from ledger.domain.values import checksum
from ledger.errors import ChainError
from ledger.store.exchange_index import AccessRequestRecord, DisclosureRecord


def exchange_action(
    writes: Writes,
    *,
    kind: str,
    function: str,
    project_id: int | None,
    builder: Callable[..., TypedData],
    fields: dict[str, Any],
    args: tuple[Any, ...],
    items: int = 0,
    dedupe_key: str | None = None,
) -> SignedAction:
    """A signed PocExchange action: what is signed is `builder(domain, **fields, signer=,
    nonce=, deadline=)` (`ledger.chain.exchange_signing`), what is relayed `function(*args,
    auth)`, with the gas limit of `function` for `items` recipients and references."""
    exchange = writes.services.require_chain().require_exchange()
    gas = exchange.gas_limit(function.removesuffix("BySig"), items=items, by_sig=True)

    def typed(domain: Eip712Domain, signer: str, nonce: int, deadline: int) -> TypedData:
        return builder(domain, **fields, signer=signer, nonce=nonce, deadline=deadline)

    return SignedAction(
        kind=kind,
        contract=EXCHANGE,
        project_id=project_id,
        typed_data=typed,
        call=lambda auth: signed_call(EXCHANGE, function, args, auth, gas),
        dedupe_key=dedupe_key,
    )


def _no_disclosure(disclosure_id: str) -> NotFoundError:
    return NotFoundError(f"no disclosure {disclosure_id}", code="disclosure_not_found")


def readable_disclosure(
    services: Services, principal: Principal, disclosure_id: str
) -> DisclosureRecord:
    """The disclosure, or 404 `disclosure_not_found` when there is none or the caller may not
    read its project (one answer for both)."""
    record = services.store.index.exchange.disclosure(disclosure_id)
    if record is None or not can_read(services.store, principal, record.project_id):
        raise _no_disclosure(disclosure_id)
    return record


def party_disclosure(
    services: Services, principal: Principal, disclosure_id: str
) -> DisclosureRecord:
    """The disclosure, if the caller's partner is its sharer or one of its recipients; else
    404 `disclosure_not_found` (auditors and other partners read its record, not its
    document)."""
    record = readable_disclosure(services, principal, disclosure_id)
    actor = None if principal.partner is None else checksum(principal.partner)
    if actor is None or (actor != record.sharer and record.receipt_of(actor) is None):
        raise _no_disclosure(disclosure_id)
    return record


def readable_request(
    services: Services, principal: Principal, request_id: int
) -> AccessRequestRecord:
    """The access-rights request, or 404 `access_request_not_found` (none, or unreadable)."""
    record = services.store.index.exchange.access_request(request_id)
    if record is None or not can_read(services.store, principal, record.project_id):
        raise NotFoundError(
            f"no access-rights request {request_id}", code="access_request_not_found"
        )
    return record


def chain_now(services: Services) -> int:
    """The chain's time (the latest block's), which answer deadlines are measured by; the
    wall clock when the node does not answer."""
    access = services.chain
    if access is not None:
        try:
            with translating():
                return int(access.chain.w3.eth.get_block("latest")["timestamp"])
        except ChainError:
            pass
    return int(time.time())
