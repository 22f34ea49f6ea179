"""EIP-712 typed data of PocExchange's signed (relayed) actions (docs/exchange.md).

The same shape as `ledger.chain.signing`'s builders, whose registry (`ACTION_TYPES`,
`ACTION_CONTRACT`) holds these actions' fields too: a JSON-serialisable dict in the shape of
`eth_signTypedData_v4`, bytes as 0x-hex, addresses checksummed, enums as their uint8. Sign it
with `ledger.chain.signing.sign_auth` (custodial mode, tests) or hand it to the partner.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.chain.signing import Eip712Domain, TypedData, typed_data
from ledger.domain.codec import to_hex
from ledger.domain.exchange import (
    MAX_RECIPIENTS,
    MAX_REFERENCES,
    AccessPurpose,
    AccessTerms,
    ExchangeSettings,
)
from ledger.domain.values import checksum, require_bytes32, require_uint


def _auth(signer: str, nonce: int, deadline: int) -> dict[str, Any]:
    return {
        "signer": checksum(signer),
        "nonce": require_uint(nonce, 256, "nonce"),
        "deadline": require_uint(deadline, 256, "deadline"),
    }


def _b32(value: bytes, what: str) -> str:
    return to_hex(require_bytes32(value, what))


def publish_encryption_key_data(
    domain: Eip712Domain, *, public_key: bytes, signer: str, nonce: int, deadline: int
) -> TypedData:
    """Typed data of `publishEncryptionKeyBySig`: the partner vouches for its X25519 key."""
    return typed_data(
        domain,
        "PublishEncryptionKey",
        {"publicKey": _b32(public_key, "public_key"), **_auth(signer, nonce, deadline)},
    )


def disclose_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    content_commitment: bytes,
    recipients: Sequence[str],
    contribution_ids: Sequence[bytes] = (),
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `discloseBySig`."""
    if not 1 <= len(recipients) <= MAX_RECIPIENTS:
        raise ValueError(f"a disclosure names 1 to {MAX_RECIPIENTS} recipients")
    if len(contribution_ids) > MAX_REFERENCES:
        raise ValueError(f"a disclosure references at most {MAX_REFERENCES} contributions")
    return typed_data(
        domain,
        "Disclose",
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "contentCommitment": _b32(content_commitment, "content_commitment"),
            "recipients": [checksum(r) for r in recipients],
            "contributionIds": [_b32(c, "contribution_id") for c in contribution_ids],
            **_auth(signer, nonce, deadline),
        },
    )


def acknowledge_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    disclosure_id: bytes,
    content_commitment: bytes,
    sharer: str,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `acknowledgeBySig`: "signer received the document committed as
    `content_commitment` from `sharer`" — useless for any other document or sender."""
    return typed_data(
        domain,
        "Acknowledge",
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "disclosureId": _b32(disclosure_id, "disclosure_id"),
            "contentCommitment": _b32(content_commitment, "content_commitment"),
            "sharer": checksum(sharer),
            **_auth(signer, nonce, deadline),
        },
    )


def decline_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    disclosure_id: bytes,
    reason_hash: bytes = bytes(32),
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `declineBySig` (reason hash zero: no reason given)."""
    return typed_data(
        domain,
        "Decline",
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "disclosureId": _b32(disclosure_id, "disclosure_id"),
            "reasonHash": _b32(reason_hash, "reason_hash"),
            **_auth(signer, nonce, deadline),
        },
    )


def request_access_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    contribution_id: bytes,
    purpose: AccessPurpose,
    terms: AccessTerms,
    terms_hash: bytes = bytes(32),
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `requestAccessBySig` (terms hash zero: no terms document proposed)."""
    return typed_data(
        domain,
        "RequestAccess",
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "contributionId": _b32(contribution_id, "contribution_id"),
            "purpose": int(AccessPurpose(purpose)),
            "terms": int(AccessTerms(terms)),
            "termsHash": _b32(terms_hash, "terms_hash"),
            **_auth(signer, nonce, deadline),
        },
    )


def grant_access_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    request_id: int,
    terms: AccessTerms,
    terms_hash: bytes,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `grantAccessBySig`."""
    return typed_data(
        domain,
        "GrantAccess",
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "requestId": require_uint(request_id, 64, "request_id"),
            "terms": int(AccessTerms(terms)),
            "termsHash": _b32(terms_hash, "terms_hash"),
            **_auth(signer, nonce, deadline),
        },
    )


def refuse_access_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    request_id: int,
    reason_hash: bytes,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `refuseAccessBySig`."""
    return typed_data(
        domain,
        "RefuseAccess",
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "requestId": require_uint(request_id, 64, "request_id"),
            "reasonHash": _b32(reason_hash, "reason_hash"),
            **_auth(signer, nonce, deadline),
        },
    )


def withdraw_access_request_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    request_id: int,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `withdrawAccessRequestBySig`."""
    return typed_data(
        domain,
        "WithdrawAccessRequest",
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "requestId": require_uint(request_id, 64, "request_id"),
            **_auth(signer, nonce, deadline),
        },
    )


def exchange_settings_data(
    domain: Eip712Domain,
    *,
    proposal: bool,
    project_id: int,
    settings: ExchangeSettings,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `proposeExchangeSettingsBySig` (`proposal`) or `setExchangeSettingsBySig`."""
    return typed_data(
        domain,
        "ProposeExchangeSettings" if proposal else "SetExchangeSettings",
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "answerPeriod": settings.answer_period,
            "requestPeriodAfterEnd": settings.request_period_after_end,
            "projectEnd": settings.project_end,
            **_auth(signer, nonce, deadline),
        },
    )


def approve_exchange_settings_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    proposal_id: int,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `approveExchangeSettingsBySig`."""
    return typed_data(
        domain,
        "ApproveExchangeSettings",
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "proposalId": require_uint(proposal_id, 64, "proposal_id"),
            **_auth(signer, nonce, deadline),
        },
    )
