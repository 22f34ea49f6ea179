"""`PocLedgerClient`: one method per PocLedger function, and the proposals' `data` encoders.

Writes return a `TxResult` whose `value` is the call's primary result read from the events
(project id, contribution id, proposal id, ...); `..._by_sig` methods carry a partner's
`SignedAuth` from a relayer. Views return `ledger.domain.values` dataclasses.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_abi.abi import encode
from eth_typing import ChecksumAddress
from web3.types import BlockIdentifier

from ledger.chain.clients.base import (
    LEDGER_CONTRACT,
    ContractClient,
    TxResult,
    auth_args,
    checksummed,
    has_event,
    signature_items,
)
from ledger.chain.signing import Eip712Domain, SignedAuth
from ledger.chain.transactions import TxSender
from ledger.domain.events import (
    AgreementInForce,
    BatchAnchored,
    ContractEvent,
    ContributionRegistered,
    DisputeOpened,
    DisputeResolved,
    ProjectCreated,
    ProposalCreated,
    ProposalExecuted,
)
from ledger.domain.hashing import encode_policy
from ledger.domain.values import (
    BatchInfo,
    BatchLeaf,
    ContributionInfo,
    ContributionStatus,
    DisputeInfo,
    DisputeOutcome,
    MemberInfo,
    Policy,
    ProjectInfo,
    ProposalInfo,
    ProposalKind,
    Registration,
    checksum,
    require_bytes32,
)

# ------------------------------------------------------------------------------ PocLedger


class PocLedgerClient(ContractClient):
    """Typed access to one PocLedger deployment."""

    CONTRACT = LEDGER_CONTRACT

    @property
    def domain(self) -> Eip712Domain:
        return Eip712Domain.ledger(self.chain_id, self.address)

    # -- projects and membership ------------------------------------------------------------

    def create_project(
        self,
        sender: TxSender,
        agreement_hash: bytes,
        partners: Sequence[str],
        policy: Policy,
        *,
        gas: int | None = None,
    ) -> TxResult[int]:
        """Create a project coordinated by the sender; returns the new project id."""
        args = [
            require_bytes32(agreement_hash, "agreement_hash"),
            checksummed(partners),
            policy.as_abi(),
        ]
        default = self.gas_limit(
            "createProject", items=len(partners), size=len(encode_policy(policy))
        )
        receipt, events = self._send(sender, "createProject", args, gas, default)
        return TxResult(receipt, self._events(ProjectCreated, events).project_id, events)

    def create_project_by_sig(
        self,
        relayer: TxSender,
        agreement_hash: bytes,
        partners: Sequence[str],
        policy: Policy,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[int]:
        """Relay `createProject` signed by the coordinator (`auth.signer`)."""
        args = [
            require_bytes32(agreement_hash, "agreement_hash"),
            checksummed(partners),
            policy.as_abi(),
            auth_args(auth),
        ]
        default = self.gas_limit(
            "createProject", items=len(partners), size=len(encode_policy(policy)), by_sig=True
        )
        receipt, events = self._send(relayer, "createProjectBySig", args, gas, default)
        return TxResult(receipt, self._events(ProjectCreated, events).project_id, events)

    def add_partner(
        self, sender: TxSender, project_id: int, partner: str, *, gas: int | None = None
    ) -> TxResult[None]:
        """Coordinator adds `partner` before the agreement is in force."""
        receipt, events = self._send(
            sender, "addPartner", [project_id, checksum(partner)], gas, self.gas_limit("addPartner")
        )
        return TxResult(receipt, None, events)

    def remove_partner(
        self, sender: TxSender, project_id: int, partner: str, *, gas: int | None = None
    ) -> TxResult[bool]:
        """Coordinator removes `partner` before the agreement is in force; the value says
        whether the agreement came into force (everyone left had accepted)."""
        receipt, events = self._send(
            sender,
            "removePartner",
            [project_id, checksum(partner)],
            gas,
            self.gas_limit("removePartner"),
        )
        return TxResult(receipt, has_event(events, AgreementInForce), events)

    def accept_agreement(
        self,
        sender: TxSender,
        project_id: int,
        version: int,
        agreement_hash: bytes,
        *,
        gas: int | None = None,
    ) -> TxResult[bool]:
        """Accept agreement `version`; the value says whether it came into force with this."""
        args = [project_id, version, require_bytes32(agreement_hash, "agreement_hash")]
        receipt, events = self._send(
            sender, "acceptAgreement", args, gas, self.gas_limit("acceptAgreement")
        )
        return TxResult(receipt, has_event(events, AgreementInForce), events)

    def accept_agreement_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        version: int,
        agreement_hash: bytes,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[bool]:
        """Relay `acceptAgreement` signed by the partner."""
        args = [
            project_id,
            version,
            require_bytes32(agreement_hash, "agreement_hash"),
            auth_args(auth),
        ]
        default = self.gas_limit("acceptAgreement", by_sig=True)
        receipt, events = self._send(relayer, "acceptAgreementBySig", args, gas, default)
        return TxResult(receipt, has_event(events, AgreementInForce), events)

    def set_identity(
        self, sender: TxSender, name: str, company_number: str, *, gas: int | None = None
    ) -> TxResult[None]:
        """Declare the sender's organisation: legal name and company number."""
        size = len(name.encode()) + len(company_number.encode())
        receipt, events = self._send(
            sender,
            "setIdentity",
            [name, company_number],
            gas,
            self.gas_limit("setIdentity", size=size),
        )
        return TxResult(receipt, None, events)

    def set_identity_by_sig(
        self,
        relayer: TxSender,
        name: str,
        company_number: str,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Relay `setIdentity` signed by the account."""
        size = len(name.encode()) + len(company_number.encode()) + signature_items(auth)
        default = self.gas_limit("setIdentity", size=size, by_sig=True)
        receipt, events = self._send(
            relayer, "setIdentityBySig", [name, company_number, auth_args(auth)], gas, default
        )
        return TxResult(receipt, None, events)

    def propose(
        self,
        sender: TxSender,
        project_id: int,
        kind: ProposalKind,
        data: bytes,
        *,
        gas: int | None = None,
    ) -> TxResult[int]:
        """Propose a governance change (see `encode_*_change`); returns the proposal id.

        If one approval suffices the change executes in the same transaction.
        """
        args = [project_id, int(ProposalKind(kind)), bytes(data)]
        default = self.gas_limit("propose", size=len(data))
        receipt, events = self._send(sender, "propose", args, gas, default)
        return TxResult(receipt, self._events(ProposalCreated, events).proposal_id, events)

    def propose_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        kind: ProposalKind,
        data: bytes,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[int]:
        """Relay `propose` signed by the partner."""
        args = [project_id, int(ProposalKind(kind)), bytes(data), auth_args(auth)]
        default = self.gas_limit("propose", size=len(data), by_sig=True)
        receipt, events = self._send(relayer, "proposeBySig", args, gas, default)
        return TxResult(receipt, self._events(ProposalCreated, events).proposal_id, events)

    def approve_proposal(
        self,
        sender: TxSender,
        project_id: int,
        proposal_id: int,
        *,
        data_size: int | None = None,
        gas: int | None = None,
    ) -> TxResult[bool]:
        """Approve a proposal; the value says whether this approval executed it.

        Executing a policy change costs gas in proportion to the proposal's data: the default
        limit reads its length from the chain unless `data_size` (or `gas`) is given.
        """
        default = self.gas_limit(
            "approveProposal", size=self._proposal_size(project_id, proposal_id, data_size, gas)
        )
        receipt, events = self._send(
            sender, "approveProposal", [project_id, proposal_id], gas, default
        )
        return TxResult(receipt, has_event(events, ProposalExecuted), events)

    def approve_proposal_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        proposal_id: int,
        auth: SignedAuth,
        *,
        data_size: int | None = None,
        gas: int | None = None,
    ) -> TxResult[bool]:
        """Relay `approveProposal` signed by the partner (gas as in `approve_proposal`)."""
        size = self._proposal_size(project_id, proposal_id, data_size, gas)
        default = self.gas_limit("approveProposal", size=size, by_sig=True)
        receipt, events = self._send(
            relayer,
            "approveProposalBySig",
            [project_id, proposal_id, auth_args(auth)],
            gas,
            default,
        )
        return TxResult(receipt, has_event(events, ProposalExecuted), events)

    def _proposal_size(
        self, project_id: int, proposal_id: int, data_size: int | None, gas: int | None
    ) -> int:
        if data_size is not None or gas is not None or self.use_estimates:
            return data_size or 0
        return len(self.proposal(project_id, proposal_id).data)

    # -- contributions ----------------------------------------------------------------------

    def register(
        self, sender: TxSender, registration: Registration, *, gas: int | None = None
    ) -> TxResult[bytes]:
        """Register a contribution of the sender; returns its contribution id."""
        default = self._register_gas(registration, by_sig=False)
        receipt, events = self._send(sender, "register", [registration.as_abi()], gas, default)
        return TxResult(
            receipt, self._events(ContributionRegistered, events).contribution_id, events
        )

    def register_by_sig(
        self,
        relayer: TxSender,
        registration: Registration,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[bytes]:
        """Relay `register` signed by the contributor (`auth.signer`)."""
        default = self._register_gas(registration, by_sig=True)
        receipt, events = self._send(
            relayer, "registerBySig", [registration.as_abi(), auth_args(auth)], gas, default
        )
        return TxResult(
            receipt, self._events(ContributionRegistered, events).contribution_id, events
        )

    def _register_gas(self, r: Registration, *, by_sig: bool) -> int:
        # Superseding rewrites a second slot and emits a second event: three parents' worth.
        items = len(r.parents) + (3 if r.supersedes != bytes(32) else 0)
        return self.gas_limit("register", items=items, size=len(r.uri.encode()), by_sig=by_sig)

    def anchor_batch(
        self,
        sender: TxSender,
        project_id: int,
        root: bytes,
        count: int,
        uri: str = "",
        *,
        gas: int | None = None,
    ) -> TxResult[bytes]:
        """Anchor the Merkle root of `count` contributions of the sender; returns the batch id."""
        args = [project_id, require_bytes32(root, "root"), count, uri]
        default = self.gas_limit("anchorBatch", size=len(uri.encode()))
        receipt, events = self._send(sender, "anchorBatch", args, gas, default)
        return TxResult(receipt, self._events(BatchAnchored, events).batch_id, events)

    def anchor_batch_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        root: bytes,
        count: int,
        uri: str,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[bytes]:
        """Relay `anchorBatch` signed by the contributor."""
        args = [project_id, require_bytes32(root, "root"), count, uri, auth_args(auth)]
        default = self.gas_limit("anchorBatch", size=len(uri.encode()), by_sig=True)
        receipt, events = self._send(relayer, "anchorBatchBySig", args, gas, default)
        return TxResult(receipt, self._events(BatchAnchored, events).batch_id, events)

    def reveal_batched(
        self,
        sender: TxSender,
        project_id: int,
        batch_id: bytes,
        leaf: BatchLeaf,
        proof: Sequence[bytes],
        *,
        gas: int | None = None,
    ) -> TxResult[bytes]:
        """Bring a batched contribution into the lifecycle by its proof (anyone may send it);
        returns its contribution id."""
        args = [
            project_id,
            require_bytes32(batch_id, "batch_id"),
            leaf.as_abi(),
            [require_bytes32(p, "proof node") for p in proof],
        ]
        default = self.gas_limit("revealBatched", items=len(proof) + len(leaf.parents))
        receipt, events = self._send(sender, "revealBatched", args, gas, default)
        return TxResult(
            receipt, self._events(ContributionRegistered, events).contribution_id, events
        )

    def withdraw_contribution(
        self, sender: TxSender, project_id: int, contribution_id: bytes, *, gas: int | None = None
    ) -> TxResult[None]:
        """Withdraw the sender's active contribution (the record stays, marked Withdrawn)."""
        args = [project_id, require_bytes32(contribution_id, "contribution_id")]
        default = self.gas_limit("withdrawContribution")
        receipt, events = self._send(sender, "withdrawContribution", args, gas, default)
        return TxResult(receipt, None, events)

    def withdraw_contribution_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        contribution_id: bytes,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Relay `withdrawContribution` signed by the contributor."""
        args = [project_id, require_bytes32(contribution_id, "contribution_id"), auth_args(auth)]
        default = self.gas_limit("withdrawContribution", by_sig=True)
        receipt, events = self._send(relayer, "withdrawContributionBySig", args, gas, default)
        return TxResult(receipt, None, events)

    # -- endorsements and disputes ----------------------------------------------------------

    def endorse(
        self,
        sender: TxSender,
        project_id: int,
        contribution_id: bytes,
        rating: int,
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Endorse another partner's contribution with a rating from 1 to 5."""
        args = [project_id, require_bytes32(contribution_id, "contribution_id"), rating]
        receipt, events = self._send(sender, "endorse", args, gas, self.gas_limit("endorse"))
        return TxResult(receipt, None, events)

    def endorse_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        contribution_id: bytes,
        rating: int,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Relay `endorse` signed by the endorser."""
        args = [
            project_id,
            require_bytes32(contribution_id, "contribution_id"),
            rating,
            auth_args(auth),
        ]
        default = self.gas_limit("endorse", by_sig=True)
        receipt, events = self._send(relayer, "endorseBySig", args, gas, default)
        return TxResult(receipt, None, events)

    def open_dispute(
        self,
        sender: TxSender,
        project_id: int,
        contribution_id: bytes,
        reason_hash: bytes,
        *,
        gas: int | None = None,
    ) -> TxResult[int]:
        """Dispute another partner's contribution; returns the dispute number."""
        args = [
            project_id,
            require_bytes32(contribution_id, "contribution_id"),
            require_bytes32(reason_hash, "reason_hash"),
        ]
        receipt, events = self._send(
            sender, "openDispute", args, gas, self.gas_limit("openDispute")
        )
        return TxResult(receipt, self._events(DisputeOpened, events).dispute_number, events)

    def open_dispute_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        contribution_id: bytes,
        reason_hash: bytes,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[int]:
        """Relay `openDispute` signed by the disputer."""
        args = [
            project_id,
            require_bytes32(contribution_id, "contribution_id"),
            require_bytes32(reason_hash, "reason_hash"),
            auth_args(auth),
        ]
        default = self.gas_limit("openDispute", by_sig=True)
        receipt, events = self._send(relayer, "openDisputeBySig", args, gas, default)
        return TxResult(receipt, self._events(DisputeOpened, events).dispute_number, events)

    def vote_dispute(
        self,
        sender: TxSender,
        project_id: int,
        contribution_id: bytes,
        uphold: bool,
        *,
        gas: int | None = None,
    ) -> TxResult[DisputeOutcome]:
        """Vote on the open dispute; the value is the outcome (OPEN while undecided)."""
        args = [project_id, require_bytes32(contribution_id, "contribution_id"), bool(uphold)]
        receipt, events = self._send(
            sender, "voteDispute", args, gas, self.gas_limit("voteDispute")
        )
        return TxResult(receipt, _outcome(events), events)

    def vote_dispute_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        contribution_id: bytes,
        uphold: bool,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[DisputeOutcome]:
        """Relay `voteDispute` signed by the voter."""
        args = [
            project_id,
            require_bytes32(contribution_id, "contribution_id"),
            bool(uphold),
            auth_args(auth),
        ]
        default = self.gas_limit("voteDispute", by_sig=True)
        receipt, events = self._send(relayer, "voteDisputeBySig", args, gas, default)
        return TxResult(receipt, _outcome(events), events)

    def withdraw_dispute(
        self, sender: TxSender, project_id: int, contribution_id: bytes, *, gas: int | None = None
    ) -> TxResult[None]:
        """The disputer withdraws its open dispute."""
        args = [project_id, require_bytes32(contribution_id, "contribution_id")]
        default = self.gas_limit("withdrawDispute")
        receipt, events = self._send(sender, "withdrawDispute", args, gas, default)
        return TxResult(receipt, None, events)

    def withdraw_dispute_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        contribution_id: bytes,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Relay `withdrawDispute` signed by the disputer."""
        args = [project_id, require_bytes32(contribution_id, "contribution_id"), auth_args(auth)]
        default = self.gas_limit("withdrawDispute", by_sig=True)
        receipt, events = self._send(relayer, "withdrawDisputeBySig", args, gas, default)
        return TxResult(receipt, None, events)

    # -- views --------------------------------------------------------------------------------

    def governance(self, *, block: BlockIdentifier = "latest") -> ChecksumAddress:
        """The PocGovernance module this ledger created and runs its governance in by
        DELEGATECALL (`governance()`): part of the ledger's code, never called directly."""
        return checksum(self._call("governance", [], block)[0])

    def project_count(self, *, block: BlockIdentifier = "latest") -> int:
        """Number of projects created (ids run from 1 to this)."""
        return int(self._call("projectCount", [], block)[0])

    def project(self, project_id: int, *, block: BlockIdentifier = "latest") -> ProjectInfo:
        """Summary of a project; raises `PocProjectNotFound`."""
        raw = self._call("project", [project_id], block)[0]
        return ProjectInfo(
            project_id=project_id,
            coordinator=checksum(raw[0]),
            agreement_version=int(raw[1]),
            agreement_hash=bytes(raw[2]),
            policy_version=int(raw[3]),
            policy_hash=bytes(raw[4]),
            in_force=bool(raw[5]),
            partner_count=int(raw[6]),
            accepted_count=int(raw[7]),
            dispute_window=int(raw[8]),
            split_approval_bps=int(raw[9]),
            governance_bps=int(raw[10]),
            category_count=int(raw[11]),
        )

    def partners(
        self, project_id: int, *, block: BlockIdentifier = "latest"
    ) -> tuple[ChecksumAddress, ...]:
        """Active partners of the project, in no particular order."""
        return tuple(checksum(a) for a in self._call("partners", [project_id], block)[0])

    def member(
        self, project_id: int, account: str, *, block: BlockIdentifier = "latest"
    ) -> MemberInfo:
        """Membership of `account` in the project (all zero if it never joined)."""
        raw = self._call("member", [project_id, checksum(account)], block)[0]
        return MemberInfo(active=bool(raw[0]), accepted_version=int(raw[1]), joined_at=int(raw[2]))

    def is_participant(
        self, project_id: int, account: str, *, block: BlockIdentifier = "latest"
    ) -> bool:
        """Whether `account` is an active partner who accepted the current agreement."""
        return bool(self._call("isParticipant", [project_id, checksum(account)], block)[0])

    def policy_hash_at(
        self, project_id: int, version: int, *, block: BlockIdentifier = "latest"
    ) -> bytes:
        """Hash of policy `version` (zero bytes if none)."""
        return bytes(self._call("policyHashAt", [project_id, version], block)[0])

    def agreement_hash_at(
        self, project_id: int, version: int, *, block: BlockIdentifier = "latest"
    ) -> bytes:
        """Hash of agreement `version` (zero bytes if none)."""
        return bytes(self._call("agreementHashAt", [project_id, version], block)[0])

    def contribution(
        self, contribution_id: bytes, *, block: BlockIdentifier = "latest"
    ) -> ContributionInfo:
        """The stored part of a contribution (status NONE if unknown)."""
        cid = require_bytes32(contribution_id, "contribution_id")
        raw = self._call("contribution", [cid], block)[0]
        return ContributionInfo(
            contribution_id=cid,
            contributor=checksum(raw[0]),
            project_id=int(raw[1]),
            registered_at=int(raw[2]),
            status=ContributionStatus(raw[3]),
        )

    def contribution_id_of(
        self,
        project_id: int,
        contributor: str,
        commitment: bytes,
        *,
        block: BlockIdentifier = "latest",
    ) -> bytes:
        """The id the contract gives a contribution (`contributionIdOf`)."""
        args = [project_id, checksum(contributor), require_bytes32(commitment, "commitment")]
        return bytes(self._call("contributionIdOf", args, block)[0])

    def has_endorsed(
        self, contribution_id: bytes, endorser: str, *, block: BlockIdentifier = "latest"
    ) -> bool:
        """Whether `endorser` endorsed the contribution."""
        args = [require_bytes32(contribution_id, "contribution_id"), checksum(endorser)]
        return bool(self._call("hasEndorsed", args, block)[0])

    def dispute(self, contribution_id: bytes, *, block: BlockIdentifier = "latest") -> DisputeInfo:
        """The contribution's latest dispute (number 0 if never disputed)."""
        cid = require_bytes32(contribution_id, "contribution_id")
        raw = self._call("dispute", [cid], block)[0]
        return DisputeInfo(
            contribution_id=cid,
            disputer=checksum(raw[0]),
            opened_at=int(raw[1]),
            number=int(raw[2]),
            outcome=DisputeOutcome(raw[3]),
            eligible_voters=int(raw[4]),
            uphold_votes=int(raw[5]),
            reject_votes=int(raw[6]),
        )

    def batch(self, batch_id: bytes, *, block: BlockIdentifier = "latest") -> BatchInfo:
        """An anchored batch (contributor is the zero address if unknown)."""
        bid = require_bytes32(batch_id, "batch_id")
        raw = self._call("batch", [bid], block)[0]
        return BatchInfo(
            batch_id=bid,
            contributor=checksum(raw[0]),
            project_id=int(raw[1]),
            anchored_at=int(raw[2]),
            count=int(raw[3]),
            root=bytes(raw[4]),
        )

    def batch_leaf_hash(self, leaf: BatchLeaf, *, block: BlockIdentifier = "latest") -> bytes:
        """The contract's StandardMerkleTree hash of a batch leaf."""
        return bytes(self._call("batchLeafHash", [leaf.as_abi()], block)[0])

    def verify_batch_leaf(
        self,
        batch_id: bytes,
        leaf: BatchLeaf,
        proof: Sequence[bytes],
        *,
        block: BlockIdentifier = "latest",
    ) -> bool:
        """Whether `proof` shows `leaf` to be in batch `batch_id`."""
        args = [
            require_bytes32(batch_id, "batch_id"),
            leaf.as_abi(),
            [require_bytes32(p, "proof node") for p in proof],
        ]
        return bool(self._call("verifyBatchLeaf", args, block)[0])

    def proposal(
        self, project_id: int, proposal_id: int, *, block: BlockIdentifier = "latest"
    ) -> ProposalInfo:
        """A governance proposal; raises `PocProposalNotFound`."""
        raw = self._call("proposal", [project_id, proposal_id], block)[0]
        return ProposalInfo(
            proposal_id=proposal_id,
            project_id=int(raw[0]),
            kind=ProposalKind(raw[1]),
            executed=bool(raw[2]),
            created_at=int(raw[3]),
            approvals=int(raw[4]),
            required=int(raw[5]),
            proposer=checksum(raw[6]),
            data=bytes(raw[7]),
        )

    def has_approved(
        self, proposal_id: int, account: str, *, block: BlockIdentifier = "latest"
    ) -> bool:
        """Whether `account` approved the governance proposal."""
        return bool(self._call("hasApproved", [proposal_id, checksum(account)], block)[0])


# ------------------------------------------------------------------------------ proposal data


def encode_add_partner(partner: str) -> bytes:
    """`data` of an AddPartner proposal: abi.encode(address)."""
    return encode(["address"], [checksum(partner)])


def encode_remove_partner(partner: str) -> bytes:
    """`data` of a RemovePartner proposal: abi.encode(address)."""
    return encode(["address"], [checksum(partner)])


def encode_change_policy(policy: Policy) -> bytes:
    """`data` of a ChangePolicy proposal: abi.encode(Policy)."""
    return encode_policy(policy)


def encode_amend_agreement(agreement_hash: bytes) -> bytes:
    """`data` of an AmendAgreement proposal: abi.encode(bytes32)."""
    return encode(["bytes32"], [require_bytes32(agreement_hash, "agreement_hash")])


def _outcome(events: Sequence[ContractEvent]) -> DisputeOutcome:
    for event in events:
        if isinstance(event, DisputeResolved):
            return event.outcome
    return DisputeOutcome.OPEN
