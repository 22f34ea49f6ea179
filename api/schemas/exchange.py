"""Knowledge exchange: encryption keys, disclosures with their receipts, access-rights requests
and their answers (docs/exchange.md)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field

from api.schemas.base import ApiModel
from api.schemas.common import (
    EXAMPLE_ADDRESS,
    EXAMPLE_ADDRESS_2,
    EXAMPLE_HASH,
    Address,
    Bytes32,
    SafeInt,
)
from api.schemas.operations import SignatureFields
from ledger.domain.exchange import MAX_RECIPIENTS, MAX_REFERENCES, AccessPurpose, AccessTerms
from ledger.store.exchange_index import (
    AccessRequestRecord,
    DisclosureRecord,
    EncryptionKeyRecord,
    ReceiptRecord,
)

PurposeName = Literal["carrying_out_project", "exploiting_own_results"]
TermsName = Literal["royalty_free", "fair_and_reasonable"]
ReceiptName = Literal["pending", "acknowledged", "declined"]
RequestName = Literal["open", "granted", "refused", "withdrawn"]


def purpose_of(name: PurposeName) -> AccessPurpose:
    return AccessPurpose[name.upper()]


def terms_of(name: TermsName) -> AccessTerms:
    return AccessTerms[name.upper()]


def _base64(value: str) -> str:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not standard base64") from exc
    return value


# 32 bytes of HPKE `enc`, then an envelope's ciphertext and tag (shortened).
EXAMPLE_WRAPPED = base64.b64encode(bytes(range(96))).decode()

Base64 = Annotated[str, Field(min_length=4, max_length=4096), AfterValidator(_base64)]


# ------------------------------------------------------------------------------ keys


class EncryptionKeyFields(ApiModel):
    """An X25519 public key (HPKE) under which sharers wrap document keys for this partner."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"publicKey": EXAMPLE_HASH}]})

    public_key: Bytes32 = Field(description="The 32-byte X25519 public key, 0x-hex.")


class EncryptionKeyCreate(EncryptionKeyFields, SignatureFields):
    """Publish the partner's encryption key, signed by its partner key (signature fields in
    non-custodial mode only)."""


class EncryptionKeyPublic(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account": EXAMPLE_ADDRESS,
                    "keyVersion": 1,
                    "publicKey": EXAMPLE_HASH,
                    "blockNumber": 12,
                    "txHash": EXAMPLE_HASH,
                }
            ]
        }
    )

    account: str
    key_version: SafeInt = Field(description="1 for the first key; each rotation adds one.")
    public_key: str
    block_number: SafeInt
    tx_hash: str

    @classmethod
    def of(cls, record: EncryptionKeyRecord) -> EncryptionKeyPublic:
        return cls(
            account=record.account,
            key_version=record.key_version,
            public_key=record.public_key,
            block_number=record.block_number,
            tx_hash=record.tx_hash,
        )


# ------------------------------------------------------------------------------ disclosures


class DisclosureFields(ApiModel):
    """What the sharer signs: the document's salted commitment, who receives it, and the
    registered contributions it concerns."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contentCommitment": EXAMPLE_HASH,
                    "recipients": [EXAMPLE_ADDRESS_2],
                    "contributionIds": [],
                }
            ]
        }
    )

    content_commitment: Bytes32 = Field(
        description="keccak256(abi.encode(sharer, projectId, sha256(document), salt))."
    )
    recipients: list[Address] = Field(min_length=1, max_length=MAX_RECIPIENTS)
    contribution_ids: list[Bytes32] = Field(default_factory=list, max_length=MAX_REFERENCES)


class DisclosureCreate(DisclosureFields, SignatureFields):
    """Disclose a document uploaded before (`PUT .../documents/{content_commitment}`), with
    its key envelope wrapped to each recipient's current encryption key."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contentCommitment": EXAMPLE_HASH,
                    "recipients": [EXAMPLE_ADDRESS_2],
                    "contributionIds": [],
                    "wrappedKeys": {EXAMPLE_ADDRESS_2: EXAMPLE_WRAPPED},
                }
            ]
        }
    )

    wrapped_keys: dict[Address, Base64] = Field(
        description="Per recipient, base64 of its wrapped key envelope (docs/exchange.md)."
    )


class DocumentStored(ApiModel):
    """A sealed document the service now holds, under the disclosure id it will have."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "disclosureId": EXAMPLE_HASH,
                    "projectId": 1,
                    "sharer": EXAMPLE_ADDRESS,
                    "size": 4_136,
                    "sealedSha256": EXAMPLE_HASH[2:],
                }
            ]
        }
    )

    disclosure_id: str
    project_id: SafeInt
    sharer: str
    size: SafeInt
    sealed_sha256: str


class ReceiptPublic(ApiModel):
    """One recipient's answer; `answered_*` are null while it is pending."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recipient": EXAMPLE_ADDRESS_2,
                    "status": "acknowledged",
                    "reasonHash": None,
                    "answeredBlock": 43,
                    "answeredTx": EXAMPLE_HASH,
                }
            ]
        }
    )

    recipient: str
    status: ReceiptName
    reason_hash: str | None = None
    answered_block: SafeInt | None = None
    answered_tx: str | None = None

    @classmethod
    def of(cls, record: ReceiptRecord) -> ReceiptPublic:
        return cls(
            recipient=record.recipient,
            status=record.status.name.lower(),  # type: ignore[arg-type]
            reason_hash=record.reason_hash,
            answered_block=record.answered_block,
            answered_tx=record.answered_tx,
        )


class DisclosurePublic(ApiModel):
    """A disclosure as the chain recorded it, with every recipient's answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "disclosureId": EXAMPLE_HASH,
                    "projectId": 1,
                    "sharer": EXAMPLE_ADDRESS,
                    "contentCommitment": EXAMPLE_HASH,
                    "contributionIds": [],
                    "agreementVersion": 1,
                    "blockNumber": 42,
                    "txHash": EXAMPLE_HASH,
                    "receipts": [{"recipient": EXAMPLE_ADDRESS_2, "status": "acknowledged"}],
                    "documentStored": True,
                }
            ]
        }
    )

    disclosure_id: str
    project_id: SafeInt
    sharer: str
    content_commitment: str
    contribution_ids: list[str]
    agreement_version: SafeInt
    block_number: SafeInt
    tx_hash: str
    receipts: list[ReceiptPublic]
    document_stored: bool = Field(
        description="Whether this service holds the sealed document (to download)."
    )

    @classmethod
    def of(cls, record: DisclosureRecord, *, document_stored: bool) -> DisclosurePublic:
        return cls(
            disclosure_id=record.disclosure_id,
            project_id=record.project_id,
            sharer=record.sharer,
            content_commitment=record.content_commitment,
            contribution_ids=list(record.contribution_ids),
            agreement_version=record.agreement_version,
            block_number=record.block_number,
            tx_hash=record.tx_hash,
            receipts=[ReceiptPublic.of(r) for r in record.receipts],
            document_stored=document_stored,
        )


class WrappedKeyPublic(ApiModel):
    """The caller's wrapped key of a disclosure."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "disclosureId": EXAMPLE_HASH,
                    "recipient": EXAMPLE_ADDRESS_2,
                    "keyVersion": 1,
                    "wrappedKey": EXAMPLE_WRAPPED,
                }
            ]
        }
    )

    disclosure_id: str
    recipient: str
    key_version: SafeInt = Field(description="The version of the recipient's key it is wrapped to.")
    wrapped_key: str = Field(description="base64 of HPKE enc || ciphertext.")


class AcknowledgeFields(ApiModel):
    """The commitment the recipient recomputed from the document it opened: signed, so the
    receipt says what the recipient checked."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"contentCommitment": EXAMPLE_HASH}]})

    content_commitment: Bytes32


class AcknowledgeCreate(AcknowledgeFields, SignatureFields):
    """Acknowledge (signature fields in non-custodial mode only)."""


class DeclineFields(ApiModel):
    """Why the recipient declines: the hash of a reason the partners keep, or none."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reasonHash": EXAMPLE_HASH}]})

    reason_hash: Bytes32 | None = Field(default=None, description="SHA-256 of the reason.")


class DeclineCreate(DeclineFields, SignatureFields):
    """Decline (signature fields in non-custodial mode only)."""


# ------------------------------------------------------------------------------ access rights


class AccessRequestFields(ApiModel):
    """Why access rights are asked for and on which terms."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "purpose": "carrying_out_project",
                    "terms": "royalty_free",
                    "termsHash": EXAMPLE_HASH,
                }
            ]
        }
    )

    purpose: PurposeName
    terms: TermsName
    terms_hash: Bytes32 | None = Field(
        default=None, description="SHA-256 of the proposed terms document, if any."
    )


class AccessRequestCreate(AccessRequestFields, SignatureFields):
    """Request access rights (signature fields in non-custodial mode only)."""


class GrantFields(ApiModel):
    """The terms the owner grants on, with the hash of the terms document."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"terms": "royalty_free", "termsHash": EXAMPLE_HASH}]}
    )

    terms: TermsName
    terms_hash: Bytes32


class GrantCreate(GrantFields, SignatureFields):
    """Grant (signature fields in non-custodial mode only)."""


class RefuseFields(ApiModel):
    """Why the owner refuses: the hash of its reason, kept off chain like a dispute's."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reasonHash": EXAMPLE_HASH}]})

    reason_hash: Bytes32


class RefuseCreate(RefuseFields, SignatureFields):
    """Refuse (signature fields in non-custodial mode only)."""


class WithdrawRequestCreate(SignatureFields):
    """Withdraw one's own open request (signature fields in non-custodial mode only)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}]})


class AccessRequestPublic(ApiModel):
    """An access-rights request, its answer, and whether it is overdue."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "requestId": 1,
                    "projectId": 1,
                    "contributionId": EXAMPLE_HASH,
                    "requester": EXAMPLE_ADDRESS_2,
                    "owner": EXAMPLE_ADDRESS,
                    "purpose": "carrying_out_project",
                    "terms": "royalty_free",
                    "termsHash": EXAMPLE_HASH,
                    "answerDeadline": 1767229200,
                    "status": "open",
                    "overdue": False,
                    "blockNumber": 42,
                    "txHash": EXAMPLE_HASH,
                }
            ]
        }
    )

    request_id: SafeInt
    project_id: SafeInt
    contribution_id: str
    requester: str
    owner: str
    purpose: PurposeName
    terms: TermsName
    terms_hash: str
    answer_deadline: SafeInt = Field(description="Unix time by which the owner is to answer.")
    status: RequestName
    overdue: bool = Field(description="Open past its answer deadline (chain time).")
    granted_terms: TermsName | None = None
    granted_terms_hash: str | None = None
    reason_hash: str | None = None
    answered_block: SafeInt | None = None
    answered_tx: str | None = None
    block_number: SafeInt
    tx_hash: str

    @classmethod
    def of(cls, record: AccessRequestRecord, *, now: int) -> AccessRequestPublic:
        return cls(
            request_id=record.request_id,
            project_id=record.project_id,
            contribution_id=record.contribution_id,
            requester=record.requester,
            owner=record.owner,
            purpose=record.purpose.name.lower(),  # type: ignore[arg-type]
            terms=record.terms.name.lower(),  # type: ignore[arg-type]
            terms_hash=record.terms_hash,
            answer_deadline=record.answer_deadline,
            status=record.status.name.lower(),  # type: ignore[arg-type]
            overdue=record.overdue_at(now),
            granted_terms=(
                None if record.granted_terms is None else record.granted_terms.name.lower()  # type: ignore[arg-type]
            ),
            granted_terms_hash=record.granted_terms_hash,
            reason_hash=record.reason_hash,
            answered_block=record.answered_block,
            answered_tx=record.answered_tx,
            block_number=record.block_number,
            tx_hash=record.tx_hash,
        )


class InboxPublic(ApiModel):
    """What waits for the caller's partner: disclosures it is a recipient of, and requests to
    its contributions, each with its state; its own requests and their answers."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"disclosures": [], "requestsToAnswer": [], "myRequests": []}]
        }
    )

    disclosures: list[DisclosurePublic]
    requests_to_answer: list[AccessRequestPublic]
    my_requests: list[AccessRequestPublic]


class ExchangeSettingsInForcePublic(ApiModel):
    """A project's access-rights settings on PocExchange, as the chain holds them now
    (seconds, Unix timestamps; version 0: nobody set any, the contract's defaults apply)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "projectId": 1,
                    "version": 1,
                    "answerPeriod": 2592000,
                    "requestPeriodAfterEnd": 31536000,
                    "projectEnd": 1835481600,
                    "requestsCloseAt": "1867017600",
                }
            ]
        }
    )

    project_id: SafeInt
    version: SafeInt = Field(description="Settings version; 0: the contract's defaults.")
    answer_period: SafeInt = Field(description="Seconds an owner has to answer a request.")
    request_period_after_end: SafeInt = Field(
        description="Seconds after the project's end during which requests stay possible."
    )
    project_end: SafeInt = Field(description="The project's end (Unix time); 0: no end set.")
    requests_close_at: str = Field(
        description="The last time a request is possible (Unix time, a decimal string: "
        "2**256-1 while no end is set)."
    )


class ExchangeSettingsProposalPublic(ApiModel):
    """A proposal of new access-rights settings (an amendment's `change_exchange_settings`),
    as the index read it from PocExchange's events: who approved it so far, and whether the
    approvals reached the count it needs (then the settings were applied)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "proposalId": 1,
                    "projectId": 1,
                    "proposer": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                    "answerPeriod": 3888000,
                    "requestPeriodAfterEnd": 63072000,
                    "projectEnd": 1835481600,
                    "required": 2,
                    "approvals": ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"],
                    "executed": False,
                    "blockNumber": 42,
                    "txHash": "0x" + "ab" * 32,
                }
            ]
        }
    )

    proposal_id: SafeInt
    project_id: SafeInt
    proposer: str
    answer_period: SafeInt
    request_period_after_end: SafeInt
    project_end: SafeInt
    required: SafeInt = Field(description="Approvals that apply the settings.")
    approvals: list[str] = Field(description="Who approved, the proposer first.")
    executed: bool
    block_number: SafeInt
    tx_hash: str
