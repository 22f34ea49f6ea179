"""`RoyaltyVaultClient`: one method per RoyaltyVault function (splits, deposits, releases).

Writes return a `TxResult` (the split version a finalising approval made, ...); views return
`ledger.domain.values` dataclasses and `RevenueTotals`.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_typing import ChecksumAddress
from web3.types import BlockIdentifier

from ledger.chain.clients.base import (
    VAULT_CONTRACT,
    ContractClient,
    RevenueTotals,
    TxResult,
    auth_args,
)
from ledger.chain.signing import Eip712Domain, SignedAuth
from ledger.chain.transactions import TxSender
from ledger.domain.events import (
    ContractEvent,
    Released,
    SplitFinalized,
    SplitProposed,
)
from ledger.domain.values import (
    SplitInfo,
    SplitInput,
    checksum,
)

# ------------------------------------------------------------------------------ RoyaltyVault


class RoyaltyVaultClient(ContractClient):
    """Typed access to one RoyaltyVault deployment."""

    CONTRACT = VAULT_CONTRACT

    @property
    def domain(self) -> Eip712Domain:
        return Eip712Domain.vault(self.chain_id, self.address)

    def propose_split(
        self, sender: TxSender, project_id: int, split: SplitInput, *, gas: int | None = None
    ) -> TxResult[int]:
        """Propose a royalty split; returns the split proposal id."""
        default = self.gas_limit("proposeSplit", items=len(split.partners))
        receipt, events = self._send(
            sender, "proposeSplit", [project_id, split.as_abi()], gas, default
        )
        return TxResult(receipt, self._events(SplitProposed, events).proposal_id, events)

    def propose_split_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        split: SplitInput,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[int]:
        """Relay `proposeSplit` signed by the partner."""
        default = self.gas_limit("proposeSplit", items=len(split.partners), by_sig=True)
        args = [project_id, split.as_abi(), auth_args(auth)]
        receipt, events = self._send(relayer, "proposeSplitBySig", args, gas, default)
        return TxResult(receipt, self._events(SplitProposed, events).proposal_id, events)

    def approve_split(
        self, sender: TxSender, project_id: int, proposal_id: int, *, gas: int | None = None
    ) -> TxResult[int | None]:
        """Approve a split proposal; the value is the split version it became, if it did."""
        receipt, events = self._send(
            sender, "approveSplit", [project_id, proposal_id], gas, self.gas_limit("approveSplit")
        )
        return TxResult(receipt, _split_version(events), events)

    def approve_split_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        proposal_id: int,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[int | None]:
        """Relay `approveSplit` signed by the partner."""
        default = self.gas_limit("approveSplit", by_sig=True)
        receipt, events = self._send(
            relayer, "approveSplitBySig", [project_id, proposal_id, auth_args(auth)], gas, default
        )
        return TxResult(receipt, _split_version(events), events)

    def deposit(
        self,
        sender: TxSender,
        project_id: int,
        amount: int,
        *,
        split_partners: int = 64,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Pay `amount` wei of revenue into the project, allocated by the split in force.

        The allocation loop costs gas per partner of the split: pass `split_partners` (the
        split's size) for a tighter default limit than the contract's maximum of 64.
        """
        default = self.gas_limit("deposit", items=split_partners)
        receipt, events = self._send(sender, "deposit", [project_id], gas, default, value=amount)
        return TxResult(receipt, None, events)

    def deposit_token(
        self,
        sender: TxSender,
        project_id: int,
        token: str,
        amount: int,
        *,
        split_partners: int = 64,
        gas: int | None = None,
    ) -> TxResult[None]:
        """Pull `amount` of an ERC-20 (approved to the vault beforehand) as project revenue."""
        default = self.gas_limit("depositToken", items=split_partners)
        args = [project_id, checksum(token), amount]
        receipt, events = self._send(sender, "depositToken", args, gas, default)
        return TxResult(receipt, None, events)

    def release(
        self,
        sender: TxSender,
        project_id: int,
        token: str,
        partner: str,
        *,
        gas: int | None = None,
    ) -> TxResult[int]:
        """Pay `partner` its whole balance of `token` (ETH: `ETH`); returns the amount."""
        args = [project_id, checksum(token), checksum(partner)]
        receipt, events = self._send(sender, "release", args, gas, self.gas_limit("release"))
        return TxResult(receipt, self._events(Released, events).amount, events)

    def release_to(
        self,
        sender: TxSender,
        project_id: int,
        token: str,
        recipient: str,
        *,
        gas: int | None = None,
    ) -> TxResult[int]:
        """Pay the sender's whole balance of `token` to `recipient`; returns the amount."""
        args = [project_id, checksum(token), checksum(recipient)]
        receipt, events = self._send(sender, "releaseTo", args, gas, self.gas_limit("releaseTo"))
        return TxResult(receipt, self._events(Released, events).amount, events)

    def release_to_by_sig(
        self,
        relayer: TxSender,
        project_id: int,
        token: str,
        recipient: str,
        auth: SignedAuth,
        *,
        gas: int | None = None,
    ) -> TxResult[int]:
        """Relay `releaseTo` signed by the partner whose balance is paid out."""
        args = [project_id, checksum(token), checksum(recipient), auth_args(auth)]
        default = self.gas_limit("releaseTo", by_sig=True)
        receipt, events = self._send(relayer, "releaseToBySig", args, gas, default)
        return TxResult(receipt, self._events(Released, events).amount, events)

    # -- views --------------------------------------------------------------------------------

    def ledger(self, *, block: BlockIdentifier = "latest") -> ChecksumAddress:
        """The PocLedger this vault serves."""
        return checksum(self._call("ledger", [], block)[0])

    def current_split_version(self, project_id: int, *, block: BlockIdentifier = "latest") -> int:
        """The project's split version in force (0 if none)."""
        return int(self._call("currentSplitVersion", [project_id], block)[0])

    def split_proposal_of(
        self, project_id: int, version: int, *, block: BlockIdentifier = "latest"
    ) -> int:
        """The proposal id of split `version` (0 if none)."""
        return int(self._call("splitProposalOf", [project_id, version], block)[0])

    def split_proposal(
        self, project_id: int, proposal_id: int, *, block: BlockIdentifier = "latest"
    ) -> SplitInfo:
        """A split proposal; raises `VaultSplitNotFound`."""
        raw = self._call("splitProposal", [project_id, proposal_id], block)[0]
        return SplitInfo(
            proposal_id=proposal_id,
            project_id=int(raw[0]),
            finalized=bool(raw[1]),
            approvals=int(raw[2]),
            required=int(raw[3]),
            created_at=int(raw[4]),
            policy_version=int(raw[5]),
            computed_at_block=int(raw[6]),
            input_set_hash=bytes(raw[7]),
            proposer=checksum(raw[8]),
            partners=tuple(checksum(a) for a in raw[9]),
            bps=tuple(int(b) for b in raw[10]),
        )

    def has_approved_split(
        self, proposal_id: int, account: str, *, block: BlockIdentifier = "latest"
    ) -> bool:
        """Whether `account` approved the split proposal."""
        return bool(self._call("hasApprovedSplit", [proposal_id, checksum(account)], block)[0])

    def balance_of(
        self, project_id: int, token: str, partner: str, *, block: BlockIdentifier = "latest"
    ) -> int:
        """What `partner` can release of `token` (ETH: `ETH`) in the project."""
        args = [project_id, checksum(token), checksum(partner)]
        return int(self._call("balanceOf", args, block)[0])

    def totals(
        self, project_id: int, token: str, *, block: BlockIdentifier = "latest"
    ) -> RevenueTotals:
        """What the project received and released of `token`."""
        received, released = self._call("totals", [project_id, checksum(token)], block)
        return RevenueTotals(received=int(received), released=int(released))


def _split_version(events: Sequence[ContractEvent]) -> int | None:
    for event in events:
        if isinstance(event, SplitFinalized):
            return event.split_version
    return None
