"""Typed client of a PocExchange deployment: `PocExchangeClient` (docs/exchange.md).

The same mechanics as the other clients (`ledger.chain.clients.base`): one method per contract
function; a write takes the `TxSender` that acts (the partner, or for a `..._by_sig` method the
relayer carrying the partner's `SignedAuth`), waits for the receipt and returns a `TxResult`
with the typed events and the call's primary result (disclosure id, request id, …); a view
returns a `ledger.domain.exchange` dataclass and can read any past block. Reverts surface as the
classes of `ledger.chain.reverts` (`ExchangeNotRecipient`, …).

Gas limits (`EXCHANGE_GAS_LIMITS`) were measured on anvil and eth-tester with cold storage
(`scripts/bench_exchange.py`), with about 30 % added; a disclosure's grows with its recipients
and references. Signed typed data is built by `ledger.chain.exchange_signing`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import BlockIdentifier

from ledger.chain.clients.base import ContractClient, GasLimit, TxResult, auth_args
from ledger.chain.signing import Eip712Domain, SignedAuth
from ledger.chain.transactions import TxSender
from ledger.domain.events import (
    AccessRequested,
    Disclosed,
    EncryptionKeyPublished,
    ExchangeSettingsProposed,
)
from ledger.domain.exchange import (
    AccessPurpose,
    AccessRequestInfo,
    AccessTerms,
    DisclosureInfo,
    EncryptionKeyInfo,
    ExchangeSettings,
    ReceiptInfo,
    ReceiptStatus,
    RequestStatus,
    SettingsProposalInfo,
)
from ledger.domain.values import checksum, require_bytes32

EXCHANGE_CONTRACT: Final = "PocExchange"

# What "items" counts: disclose — recipients plus references (a recipient costs a fresh slot
# and a membership look-up, ~28 k; a reference a contribution look-up, ~5 k).
EXCHANGE_GAS_LIMITS: Final[Mapping[str, GasLimit]] = {
    "publishEncryptionKey": GasLimit(base=90_000),
    "disclose": GasLimit(base=85_000, per_item=36_000),
    "acknowledge": GasLimit(base=60_000),
    "decline": GasLimit(base=50_000),
    "requestAccess": GasLimit(base=175_000),
    "grantAccess": GasLimit(base=60_000),
    "refuseAccess": GasLimit(base=60_000),
    "withdrawAccessRequest": GasLimit(base=55_000),
    "setExchangeSettings": GasLimit(base=100_000),
    "proposeExchangeSettings": GasLimit(base=210_000),
    "approveExchangeSettings": GasLimit(base=125_000),
}


class PocExchangeClient(ContractClient):
    """Typed access to one PocExchange deployment."""

    CONTRACT = EXCHANGE_CONTRACT

    def __init__(
        self,
        w3: Web3,
        address: str,
        *,
        chain_id: int | None = None,
        use_estimates: bool = False,
        preflight: bool = False,
        gas_limits: Mapping[str, GasLimit] | None = None,
    ) -> None:
        super().__init__(
            w3,
            address,
            chain_id=chain_id,
            use_estimates=use_estimates,
            preflight=preflight,
            gas_limits={**EXCHANGE_GAS_LIMITS, **(gas_limits or {})},
        )

    @property
    def domain(self) -> Eip712Domain:
        return Eip712Domain.exchange(self.chain_id, self.address)

    # -- encryption keys ----------------------------------------------------------------------

    def publish_encryption_key(
        self, sender: TxSender, public_key: bytes, *, gas: int | None = None
    ) -> TxResult[int]:
        """Publish the sender's X25519 public key; returns its key version."""
        args = [require_bytes32(public_key, "public_key")]
        default = self.gas_limit("publishEncryptionKey")
        receipt, events = self._send(sender, "publishEncryptionKey", args, gas, default)
        return TxResult(receipt, self._events(EncryptionKeyPublished, events).key_version, events)

    def publish_encryption_key_by_sig(
        self, relayer: TxSender, public_key: bytes, auth: SignedAuth, *, gas: int | None = None
    ) -> TxResult[int]:
        """Relay `publishEncryptionKey` signed by the key's owner."""
        args = [require_bytes32(public_key, "public_key"), auth_args(auth)]
        default = self.gas_limit("publishEncryptionKey", by_sig=True)
        receipt, events = self._send(relayer, "publishEncryptionKeyBySig", args, gas, default)
        return TxResult(receipt, self._events(EncryptionKeyPublished, events).key_version, events)

    # -- disclosures ---------------------------------------------------------------------------

    def disclose(
        self,
        sender: TxSender,
        project_id: int,
        content_commitment: bytes,
        recipients: Sequence[str],
        contribution_ids: Sequence[bytes] = (),
        *,
        gas: int | None = None,
    ) -> TxResult[bytes]:
        """Record that the sender disclosed a document to `recipients`; returns its id."""
        args = self._disclose_args(project_id, content_commitment, recipients, contribution_ids)
        default = self.gas_limit("disclose", items=len(recipients) + len(contribution_ids))
        receipt, events = self._send(sender, "disclose", args, gas, default)
        return TxResult(receipt, self._events(Disclosed, events).disclosure_id, events)

    def disclose_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        content_commitment: bytes,
        recipients: Sequence[str],
        contribution_ids: Sequence[bytes],
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[bytes]:
        """Relay `disclose` signed by the sharer."""
        args = self._disclose_args(project_id, content_commitment, recipients, contribution_ids)
        items = len(recipients) + len(contribution_ids)
        default = self.gas_limit("disclose", items=items, by_sig=True)
        receipt, events = self._send(
            relayer, "discloseBySig", [*args, auth_args(auth)], gas, default
        )
        return TxResult(receipt, self._events(Disclosed, events).disclosure_id, events)

    @staticmethod
    def _disclose_args(
        project_id: int,
        content_commitment: bytes,
        recipients: Sequence[str],
        contribution_ids: Sequence[bytes],
    ) -> list[object]:
        return [
            project_id,
            require_bytes32(content_commitment, "content_commitment"),
            [checksum(r) for r in recipients],
            [require_bytes32(c, "contribution_id") for c in contribution_ids],
        ]

    def acknowledge(
        self,
        sender: TxSender,
        project_id: int,
        disclosure_id: bytes,
        content_commitment: bytes,
        sharer: str,
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Acknowledge, as a recipient, receiving the disclosed document from `sharer`."""
        args = self._ack_args(project_id, disclosure_id, content_commitment, sharer)
        receipt, events = self._send(
            sender, "acknowledge", args, gas, self.gas_limit("acknowledge")
        )
        return TxResult(receipt, None, events)

    def acknowledge_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        disclosure_id: bytes,
        content_commitment: bytes,
        sharer: str,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Relay `acknowledge` signed by the recipient."""
        args = [
            *self._ack_args(project_id, disclosure_id, content_commitment, sharer),
            auth_args(auth),
        ]
        default = self.gas_limit("acknowledge", by_sig=True)
        receipt, events = self._send(relayer, "acknowledgeBySig", args, gas, default)
        return TxResult(receipt, None, events)

    @staticmethod
    def _ack_args(
        project_id: int, disclosure_id: bytes, content_commitment: bytes, sharer: str
    ) -> list[object]:
        return [
            project_id,
            require_bytes32(disclosure_id, "disclosure_id"),
            require_bytes32(content_commitment, "content_commitment"),
            checksum(sharer),
        ]

    def decline(
        self,
        sender: TxSender,
        project_id: int,
        disclosure_id: bytes,
        reason_hash: bytes = bytes(32),
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Decline, as a recipient, a disclosure (reason hash zero: no reason given)."""
        args = [
            project_id,
            require_bytes32(disclosure_id, "disclosure_id"),
            require_bytes32(reason_hash, "reason_hash"),
        ]
        receipt, events = self._send(sender, "decline", args, gas, self.gas_limit("decline"))
        return TxResult(receipt, None, events)

    def decline_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        disclosure_id: bytes,
        reason_hash: bytes,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Relay `decline` signed by the recipient."""
        args = [
            project_id,
            require_bytes32(disclosure_id, "disclosure_id"),
            require_bytes32(reason_hash, "reason_hash"),
            auth_args(auth),
        ]
        default = self.gas_limit("decline", by_sig=True)
        receipt, events = self._send(relayer, "declineBySig", args, gas, default)
        return TxResult(receipt, None, events)

    # -- access rights -------------------------------------------------------------------------

    def request_access(
        self,
        sender: TxSender,
        project_id: int,
        contribution_id: bytes,
        purpose: AccessPurpose,
        terms: AccessTerms,
        terms_hash: bytes = bytes(32),
        *,
        gas: int | None = None,
    ) -> TxResult[int]:
        """Request access rights to another partner's contribution; returns the request id."""
        args = self._request_args(project_id, contribution_id, purpose, terms, terms_hash)
        default = self.gas_limit("requestAccess")
        receipt, events = self._send(sender, "requestAccess", args, gas, default)
        return TxResult(receipt, self._events(AccessRequested, events).request_id, events)

    def request_access_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        contribution_id: bytes,
        purpose: AccessPurpose,
        terms: AccessTerms,
        terms_hash: bytes,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[int]:
        """Relay `requestAccess` signed by the requester."""
        args = self._request_args(project_id, contribution_id, purpose, terms, terms_hash)
        default = self.gas_limit("requestAccess", by_sig=True)
        receipt, events = self._send(
            relayer, "requestAccessBySig", [*args, auth_args(auth)], gas, default
        )
        return TxResult(receipt, self._events(AccessRequested, events).request_id, events)

    @staticmethod
    def _request_args(
        project_id: int,
        contribution_id: bytes,
        purpose: AccessPurpose,
        terms: AccessTerms,
        terms_hash: bytes,
    ) -> list[object]:
        return [
            project_id,
            require_bytes32(contribution_id, "contribution_id"),
            int(AccessPurpose(purpose)),
            int(AccessTerms(terms)),
            require_bytes32(terms_hash, "terms_hash"),
        ]

    def grant_access(
        self,
        sender: TxSender,
        project_id: int,
        request_id: int,
        terms: AccessTerms,
        terms_hash: bytes,
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Grant, as the owner, an open request on `terms` described by `terms_hash`."""
        args = [
            project_id,
            request_id,
            int(AccessTerms(terms)),
            require_bytes32(terms_hash, "terms_hash"),
        ]
        receipt, events = self._send(
            sender, "grantAccess", args, gas, self.gas_limit("grantAccess")
        )
        return TxResult(receipt, None, events)

    def grant_access_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        request_id: int,
        terms: AccessTerms,
        terms_hash: bytes,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Relay `grantAccess` signed by the owner."""
        args = [
            project_id,
            request_id,
            int(AccessTerms(terms)),
            require_bytes32(terms_hash, "terms_hash"),
            auth_args(auth),
        ]
        default = self.gas_limit("grantAccess", by_sig=True)
        receipt, events = self._send(relayer, "grantAccessBySig", args, gas, default)
        return TxResult(receipt, None, events)

    def refuse_access(
        self,
        sender: TxSender,
        project_id: int,
        request_id: int,
        reason_hash: bytes,
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Refuse, as the owner, an open request for the reason hashed as `reason_hash`."""
        args = [project_id, request_id, require_bytes32(reason_hash, "reason_hash")]
        default = self.gas_limit("refuseAccess")
        receipt, events = self._send(sender, "refuseAccess", args, gas, default)
        return TxResult(receipt, None, events)

    def refuse_access_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        request_id: int,
        reason_hash: bytes,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Relay `refuseAccess` signed by the owner."""
        args = [
            project_id,
            request_id,
            require_bytes32(reason_hash, "reason_hash"),
            auth_args(auth),
        ]
        default = self.gas_limit("refuseAccess", by_sig=True)
        receipt, events = self._send(relayer, "refuseAccessBySig", args, gas, default)
        return TxResult(receipt, None, events)

    def withdraw_access_request(
        self, sender: TxSender, project_id: int, request_id: int, *, gas: int | None = None
    ) -> TxResult[None]:
        """Withdraw, as the requester, an open request."""
        default = self.gas_limit("withdrawAccessRequest")
        receipt, events = self._send(
            sender, "withdrawAccessRequest", [project_id, request_id], gas, default
        )
        return TxResult(receipt, None, events)

    def withdraw_access_request_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        request_id: int,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Relay `withdrawAccessRequest` signed by the requester."""
        args = [project_id, request_id, auth_args(auth)]
        default = self.gas_limit("withdrawAccessRequest", by_sig=True)
        receipt, events = self._send(relayer, "withdrawAccessRequestBySig", args, gas, default)
        return TxResult(receipt, None, events)

    # -- settings ------------------------------------------------------------------------------

    def set_exchange_settings(
        self,
        sender: TxSender,
        project_id: int,
        settings: ExchangeSettings,
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Set the project's settings as its coordinator, before the agreement is in force."""
        default = self.gas_limit("setExchangeSettings")
        receipt, events = self._send(
            sender, "setExchangeSettings", [project_id, settings.as_abi()], gas, default
        )
        return TxResult(receipt, None, events)

    def set_exchange_settings_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        settings: ExchangeSettings,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Relay `setExchangeSettings` signed by the coordinator."""
        args = [project_id, settings.as_abi(), auth_args(auth)]
        default = self.gas_limit("setExchangeSettings", by_sig=True)
        receipt, events = self._send(relayer, "setExchangeSettingsBySig", args, gas, default)
        return TxResult(receipt, None, events)

    def propose_exchange_settings(
        self,
        sender: TxSender,
        project_id: int,
        settings: ExchangeSettings,
        *,
        gas: int | None = None,
    ) -> TxResult[int]:
        """Propose new settings once the agreement is in force; returns the proposal id."""
        default = self.gas_limit("proposeExchangeSettings")
        receipt, events = self._send(
            sender, "proposeExchangeSettings", [project_id, settings.as_abi()], gas, default
        )
        proposal_id = self._events(ExchangeSettingsProposed, events).proposal_id
        return TxResult(receipt, proposal_id, events)

    def propose_exchange_settings_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        settings: ExchangeSettings,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[int]:
        """Relay `proposeExchangeSettings` signed by the proposer."""
        args = [project_id, settings.as_abi(), auth_args(auth)]
        default = self.gas_limit("proposeExchangeSettings", by_sig=True)
        receipt, events = self._send(relayer, "proposeExchangeSettingsBySig", args, gas, default)
        proposal_id = self._events(ExchangeSettingsProposed, events).proposal_id
        return TxResult(receipt, proposal_id, events)

    def approve_exchange_settings(
        self, sender: TxSender, project_id: int, proposal_id: int, *, gas: int | None = None
    ) -> TxResult[None]:
        """Approve a settings proposal; the approval that reaches the threshold applies it."""
        default = self.gas_limit("approveExchangeSettings")
        receipt, events = self._send(
            sender, "approveExchangeSettings", [project_id, proposal_id], gas, default
        )
        return TxResult(receipt, None, events)

    def approve_exchange_settings_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        proposal_id: int,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Relay `approveExchangeSettings` signed by the approver."""
        args = [project_id, proposal_id, auth_args(auth)]
        default = self.gas_limit("approveExchangeSettings", by_sig=True)
        receipt, events = self._send(relayer, "approveExchangeSettingsBySig", args, gas, default)
        return TxResult(receipt, None, events)

    # -- views -----------------------------------------------------------------------------

    def ledger(self, *, block: BlockIdentifier = "latest") -> ChecksumAddress:
        """The PocLedger this exchange reads."""
        return checksum(self._call("ledger", [], block)[0])

    def version(self, *, block: BlockIdentifier = "latest") -> str:
        """The release of the deployed code (`version()`)."""
        return str(self._call("version", [], block)[0])

    def encryption_key(
        self, account: str, *, block: BlockIdentifier = "latest"
    ) -> EncryptionKeyInfo:
        """The current X25519 public key of `account` (key version 0 if none)."""
        address = checksum(account)
        raw = self._call("encryptionKey", [address], block)[0]
        return EncryptionKeyInfo(
            account=address,
            public_key=bytes(raw[0]),
            key_version=int(raw[1]),
            published_at=int(raw[2]),
        )

    def disclosure_id_of(
        self,
        project_id: int,
        sharer: str,
        content_commitment: bytes,
        *,
        block: BlockIdentifier = "latest",
    ) -> bytes:
        """The id the contract gives a disclosure (`disclosureIdOf`)."""
        args = [project_id, checksum(sharer), require_bytes32(content_commitment, "commitment")]
        return bytes(self._call("disclosureIdOf", args, block)[0])

    def disclosure(
        self, disclosure_id: bytes, *, block: BlockIdentifier = "latest"
    ) -> DisclosureInfo:
        """The stored part of a disclosure (sharer zero if unknown)."""
        did = require_bytes32(disclosure_id, "disclosure_id")
        raw = self._call("disclosure", [did], block)[0]
        return DisclosureInfo(
            disclosure_id=did,
            sharer=checksum(raw[0]),
            project_id=int(raw[1]),
            agreement_version=int(raw[2]),
            recipient_count=int(raw[3]),
        )

    def receipt(
        self, disclosure_id: bytes, recipient: str, *, block: BlockIdentifier = "latest"
    ) -> ReceiptInfo:
        """What `recipient` answered to a disclosure (status NONE if not a recipient)."""
        did, address = require_bytes32(disclosure_id, "disclosure_id"), checksum(recipient)
        raw = self._call("receipt", [did, address], block)[0]
        return ReceiptInfo(
            disclosure_id=did,
            recipient=address,
            status=ReceiptStatus(raw[0]),
            answered_at=int(raw[1]),
            agreement_version=int(raw[2]),
        )

    def access_request_count(self, *, block: BlockIdentifier = "latest") -> int:
        """How many access-rights requests were made (ids run from 1 to this)."""
        return int(self._call("accessRequestCount", [], block)[0])

    def access_request(
        self, project_id: int, request_id: int, *, block: BlockIdentifier = "latest"
    ) -> AccessRequestInfo:
        """An access-rights request; raises `ExchangeRequestNotFound` if the project has none
        with this id. `overdue` is as of `block`."""
        raw = self._call("accessRequest", [project_id, request_id], block)[0]
        return AccessRequestInfo(
            request_id=request_id,
            requester=checksum(raw[0]),
            project_id=int(raw[1]),
            requested_at=int(raw[2]),
            purpose=AccessPurpose(raw[3]),
            proposed_terms=AccessTerms(raw[4]),
            status=RequestStatus(raw[5]),
            owner=checksum(raw[6]),
            answer_deadline=int(raw[7]),
            answered_at=int(raw[8]),
            granted_terms=AccessTerms(raw[9]),
            contribution_id=bytes(raw[10]),
            overdue=bool(raw[11]),
        )

    def exchange_settings(
        self, project_id: int, *, block: BlockIdentifier = "latest"
    ) -> tuple[ExchangeSettings, int]:
        """The project's settings in force and their version (0: the defaults)."""
        raw, version = self._call("exchangeSettings", [project_id], block)
        return ExchangeSettings(int(raw[0]), int(raw[1]), int(raw[2])), int(version)

    def requests_close_at(self, project_id: int, *, block: BlockIdentifier = "latest") -> int:
        """The last timestamp at which access rights can be requested (2**256-1: never)."""
        return int(self._call("requestsCloseAt", [project_id], block)[0])

    def settings_proposal(
        self, project_id: int, proposal_id: int, *, block: BlockIdentifier = "latest"
    ) -> SettingsProposalInfo:
        """A settings proposal; raises `ExchangeProposalNotFound` if the project has none."""
        raw = self._call("settingsProposal", [project_id, proposal_id], block)[0]
        settings = raw[6]
        return SettingsProposalInfo(
            proposal_id=proposal_id,
            project_id=int(raw[0]),
            executed=bool(raw[1]),
            approvals=int(raw[2]),
            required=int(raw[3]),
            created_at=int(raw[4]),
            proposer=checksum(raw[5]),
            settings=ExchangeSettings(int(settings[0]), int(settings[1]), int(settings[2])),
        )

    def has_approved_settings(
        self, proposal_id: int, account: str, *, block: BlockIdentifier = "latest"
    ) -> bool:
        """Whether `account` approved the settings proposal."""
        return bool(self._call("hasApprovedSettings", [proposal_id, checksum(account)], block)[0])
