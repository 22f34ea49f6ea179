"""The shared starting state of the contract tests and the operations tests build on.

`build_world()` deploys one PocLedger, one RoyaltyVault and a mintable ERC-20 on an eth-tester
chain, and sets up project 1: coordinator alice, partners alice, bob, carol and dave, the default
policy (3 of 4 approvals for governance and for splits), agreement accepted by all (in force).
eve is never a partner; relayer only relays signed actions. Tests revert to this state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_utils.crypto import keccak
from web3.contract import Contract

from tests.contracts.support import (
    ZERO_BYTES32,
    Actor,
    Chain,
    Policy,
    Registration,
    actor,
    commitment_of,
    event,
    hexb,
    sorted_addresses,
    typed_message,
)

AGREEMENT = keccak(text="consortium agreement v1")
SIGNATURE_TTL = 3_600


@dataclass
class World:
    chain: Chain
    ledger: Contract
    vault: Contract
    token: Contract
    deployer: Actor
    alice: Actor
    bob: Actor
    carol: Actor
    dave: Actor
    eve: Actor
    relayer: Actor
    project: int = 0
    policy: Policy = field(default_factory=Policy)
    _nonces: count[int] = field(default_factory=lambda: count(1_000))
    _labels: count[int] = field(default_factory=count)

    @property
    def partners(self) -> list[Actor]:
        return [self.alice, self.bob, self.carol, self.dave]

    # ------------------------------------------------------------------------ projects

    def create_project(
        self,
        coordinator: Actor,
        partners: Sequence[Actor | str],
        policy: Policy | None = None,
        agreement: bytes = AGREEMENT,
    ) -> int:
        addresses = [p.address if isinstance(p, Actor) else p for p in partners]
        receipt = self.chain.send(
            self.ledger.functions.createProject(
                agreement, addresses, (policy or self.policy).as_tuple()
            ),
            coordinator,
        )
        return int(event(self.ledger, "ProjectCreated", receipt)["projectId"])

    def accept(self, project_id: int, who: Actor, version: int = 1, agreement: bytes = AGREEMENT):
        return self.chain.send(
            self.ledger.functions.acceptAgreement(project_id, version, agreement), who
        )

    def project_in_force(self, partners: list[Actor], policy: Policy | None = None) -> int:
        project_id = self.create_project(partners[0], partners, policy)
        for partner in partners:
            self.accept(project_id, partner)
        return project_id

    def info(self, project_id: int | None = None) -> Any:
        return self.ledger.functions.project(project_id or self.project).call()

    # ------------------------------------------------------------------- contributions

    def commitment(self, who: Actor | str, project_id: int | None = None, label: str = "") -> bytes:
        address = who.address if isinstance(who, Actor) else who
        label = label or f"document {next(self._labels)}"
        return commitment_of(
            address, project_id or self.project, label.encode(), keccak(text=f"salt {label}")
        )

    def registration(self, who: Actor | str, **fields: Any) -> Registration:
        project_id = fields.pop("project_id", self.project)
        commitment = fields.pop("commitment", None) or self.commitment(who, project_id)
        return Registration(project_id=project_id, commitment=commitment, **fields)

    def register(self, who: Actor, **fields: Any) -> bytes:
        reg = self.registration(who, **fields)
        receipt = self.chain.send(self.ledger.functions.register(reg.as_tuple()), who)
        return hexb(event(self.ledger, "ContributionRegistered", receipt)["contributionId"])

    def status(self, contribution_id: bytes) -> int:
        return int(self.ledger.functions.contribution(contribution_id).call()[3])

    # ------------------------------------------------------------------------ signing

    def sign(
        self,
        who: Actor,
        primary: str,
        message: dict[str, Any],
        *,
        contract: Contract | None = None,
        chain_id: int | None = None,
        signer: str | None = None,
        nonce: int | None = None,
        deadline: int | None = None,
    ) -> tuple[str, int, int, bytes]:
        """Sign `message` as `who` and return the SignedAuth tuple (signer, nonce, deadline, sig).

        `signer` defaults to `who`'s address; an ERC-1271 wallet passes its own address and has
        its owner sign. The domain is `contract`'s (the ledger unless told) on this chain unless
        `chain_id` says otherwise.
        """
        contract = contract or self.ledger
        domain_name = self.chain.names[contract.address]  # the contract name is the EIP-712 name
        auth_signer = signer or who.address
        auth_nonce = next(self._nonces) if nonce is None else nonce
        if deadline is None:
            deadline = self.chain.next_timestamp() + SIGNATURE_TTL
        full = typed_message(
            primary,
            domain_name,
            self.chain.chain_id if chain_id is None else chain_id,
            contract.address,
            {**message, "signer": auth_signer, "nonce": auth_nonce, "deadline": deadline},
        )
        signed = Account.sign_typed_data(who.key, full_message=full)
        return (auth_signer, auth_nonce, deadline, bytes(signed.signature))

    # ---------------------------------------------------------------------- governance

    def propose(self, who: Actor, kind: int, data: bytes, project_id: int | None = None) -> int:
        receipt = self.chain.send(
            self.ledger.functions.propose(project_id or self.project, kind, data), who
        )
        return int(event(self.ledger, "ProposalCreated", receipt)["proposalId"])

    # -------------------------------------------------------------------------- splits

    def split_input(
        self,
        partners: list[str],
        bps: list[int],
        policy_version: int = 1,
        computed_at_block: int | None = None,
        input_set_hash: bytes = ZERO_BYTES32,
    ) -> tuple[Any, ...]:
        block = self.chain.w3.eth.block_number if computed_at_block is None else computed_at_block
        return (partners, bps, policy_version, block, input_set_hash)

    def finalize_split(
        self,
        shares: dict[str, int],
        project_id: int | None = None,
        approvers: list[Actor] | None = None,
    ) -> int:
        """Propose `shares` (address -> bps), approve it until finalized; return the proposal."""
        project_id = project_id or self.project
        partners = sorted_addresses(list(shares))
        split = self.split_input(partners, [shares[p] for p in partners])
        approvers = approvers or self.partners
        receipt = self.chain.send(
            self.vault.functions.proposeSplit(project_id, split), approvers[0]
        )
        proposal_id = int(event(self.vault, "SplitProposed", receipt)["proposalId"])
        for who in approvers[1:]:
            if self.vault.functions.splitProposal(project_id, proposal_id).call()[1]:
                break
            self.chain.send(self.vault.functions.approveSplit(project_id, proposal_id), who)
        assert self.vault.functions.splitProposal(project_id, proposal_id).call()[1]
        return proposal_id

    def mint_and_approve(self, who: Actor, amount: int, token: Contract | None = None) -> None:
        token = token or self.token
        self.chain.send(token.functions.mint(who.address, amount), who)
        self.chain.send(token.functions.approve(self.vault.address, amount), who)


def address_data(address: str) -> bytes:
    """abi.encode(address): the data of an AddPartner or RemovePartner proposal."""
    return abi_encode(["address"], [address])


def build_world(chain: Chain | None = None) -> World:
    """The starting state on `chain` (a fresh eth-tester chain unless given)."""
    chain = chain or Chain.start()
    names = ("deployer", "alice", "bob", "carol", "dave", "eve", "relayer")
    actors = {name: actor(name) for name in names}
    for who in actors.values():
        chain.add(who)
    deployer = actors["deployer"]
    ledger = chain.deploy("PocLedger", sender=deployer)
    vault = chain.deploy("RoyaltyVault", ledger.address, sender=deployer)
    token = chain.deploy("MockERC20", "Royalty Token", "RYT", sender=deployer)
    world = World(
        chain=chain,
        ledger=ledger,
        vault=vault,
        token=token,
        deployer=deployer,
        alice=actors["alice"],
        bob=actors["bob"],
        carol=actors["carol"],
        dave=actors["dave"],
        eve=actors["eve"],
        relayer=actors["relayer"],
    )
    world.project = world.project_in_force(world.partners)
    return world
