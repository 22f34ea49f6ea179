"""Typed clients of the deployed contracts: `PocLedgerClient` and `RoyaltyVaultClient`.

One method per contract function. A write takes the `TxSender` that acts (the partner itself,
or for a `..._by_sig` method the relayer that carries the partner's `SignedAuth`), waits for the
receipt and returns a `TxResult`: the receipt, the typed events our contract emitted, and the
call's primary result read from those events (project id, contribution id, proposal id, …).
A view returns a `ledger.domain.values` dataclass and can read any past block.

Reverts surface as the classes of `ledger.chain.reverts` (e.g. `PocNotPartner`), on every backend.

Gas: every write has a fixed default limit (`GAS_LIMITS`, measured on the contracts with about
30 % headroom, growing with list and string sizes) so the hot path makes no estimate round
trip; a caller may pass `gas=` per call, or build the client with `use_estimates=True` on chains
whose gas accounting differs (some L2s). `preflight=True` estimates before each send anyway, so
a revert is reported before anything is paid for.

Calldata is encoded with eth_abi from the artifact's ABI (selectors precomputed): faster than
web3's contract layer on the hot path. `client.contract` is the web3 `Contract` for anything
else. Domain values live in `ledger.domain.values`; signed typed data in `ledger.chain.signing`;
events in `ledger.chain.events`; deployment in `ledger.chain.deploy`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Generic, TypeVar

from eth_abi.abi import decode, encode
from eth_typing import ChecksumAddress
from eth_utils.abi import (
    collapse_if_tuple,
    function_abi_to_4byte_selector,
)
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.types import BlockIdentifier, TxParams

from ledger.chain.artifacts import load_artifact
from ledger.chain.events import decode_receipt, get_events
from ledger.chain.receipts import TxReceipt
from ledger.chain.reverts import decoding_reverts
from ledger.chain.signing import Eip712Domain, SignedAuth
from ledger.chain.transactions import TxRequest, TxSender
from ledger.domain.codec import ZERO_ADDRESS
from ledger.domain.events import (
    AgreementInForce,
    BatchAnchored,
    ContractEvent,
    ContributionRegistered,
    DisputeOpened,
    DisputeResolved,
    E,
    ProjectCreated,
    ProposalCreated,
    ProposalExecuted,
    Released,
    SplitFinalized,
    SplitProposed,
    first_event,
)
from ledger.domain.hashing import encode_policy
from ledger.domain.values import (
    BatchInfo,
    BatchLeaf,
    Category,
    ContributionInfo,
    ContributionStatus,
    DisputeInfo,
    DisputeOutcome,
    MemberInfo,
    Origin,
    Policy,
    ProjectInfo,
    ProposalInfo,
    ProposalKind,
    Registration,
    SplitInfo,
    SplitInput,
    checksum,
    require_bytes32,
)

T = TypeVar("T")

LEDGER_CONTRACT: Final = "PocLedger"
VAULT_CONTRACT: Final = "RoyaltyVault"
#: `token` argument of the vault for ETH.
ETH: Final = ZERO_ADDRESS


# ------------------------------------------------------------------------------ gas


@dataclass(frozen=True)
class GasLimit:
    """A gas limit that grows with the sizes of an operation's lists and strings:
    `base + per_item * items + per_byte * bytes`."""

    base: int
    per_item: int = 0
    per_byte: int = 0

    def limit(self, items: int = 0, size: int = 0) -> int:
        return self.base + self.per_item * items + self.per_byte * size


# Measured on eth-tester (cancun, solc 0.8.28 viaIR, 200 runs) with cold storage (the first
# write of every slot), then 20-30 % added. What "items" and "bytes" count per operation:
#   createProject  partners, ABI-encoded policy       propose        -, proposal data
#   approveProposal -, proposal data (executing it)   register       parents (+3 if it
#   revealBatched  proof nodes + parents              supersedes), uri
#   proposeSplit   split partners                     deposit(Token) partners of the split
#   setIdentity    -, name + company number           anchorBatch    -, uri
# tests/ledger/test_gas.py checks every limit against fresh measurements, worst cases included.
GAS_LIMITS: Final[Mapping[str, GasLimit]] = {
    # PocLedger
    "createProject": GasLimit(base=200_000, per_item=60_000, per_byte=30),
    "addPartner": GasLimit(base=125_000),
    "removePartner": GasLimit(base=60_000),
    "acceptAgreement": GasLimit(base=55_000),
    "setIdentity": GasLimit(base=35_000, per_byte=40),
    "propose": GasLimit(base=180_000, per_byte=800),
    "approveProposal": GasLimit(base=160_000, per_byte=110),
    "register": GasLimit(base=75_000, per_item=4_000, per_byte=40),
    "anchorBatch": GasLimit(base=125_000, per_byte=40),
    "revealBatched": GasLimit(base=85_000, per_item=4_000),
    "withdrawContribution": GasLimit(base=40_000),
    "endorse": GasLimit(base=70_000),
    "openDispute": GasLimit(base=85_000),
    "voteDispute": GasLimit(base=110_000),
    "withdrawDispute": GasLimit(base=45_000),
    "cancelNonce": GasLimit(base=60_000),
    # RoyaltyVault
    "proposeSplit": GasLimit(base=260_000, per_item=33_000),
    "approveSplit": GasLimit(base=145_000),
    # Allocation is quadratic in the worst case (leftover units each scan the split), so the
    # per-partner figure is taken at 64 partners, the contract's maximum.
    "deposit": GasLimit(base=60_000, per_item=48_000),
    "depositToken": GasLimit(base=110_000, per_item=48_000),
    # ETH goes out with a plain call: leave room for a contract wallet's receive().
    "release": GasLimit(base=100_000),
    "releaseTo": GasLimit(base=100_000),
}
# Signed variants: ecrecover, two hashes, more calldata, and the nonce bit, which costs a fresh
# storage write when it opens a new bitmap word (measured +32 k then, +17 k otherwise).
BY_SIG_EXTRA: Final = 45_000


# ------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class TxResult(Generic[T]):
    """A mined call: its receipt, its primary result and the events our contract emitted."""

    receipt: TxReceipt
    value: T
    events: tuple[ContractEvent, ...]

    @property
    def tx_hash(self) -> str:
        return self.receipt.tx_hash

    @property
    def gas_used(self) -> int:
        return self.receipt.gas_used

    def events_of(self, cls: type[E]) -> tuple[E, ...]:
        """The events of type `cls` this call emitted."""
        return tuple(e for e in self.events if isinstance(e, cls))


@dataclass(frozen=True)
class RevenueTotals:
    """What a project received and released of one token (the difference is claimable)."""

    received: int
    released: int

    @property
    def held(self) -> int:
        return self.received - self.released


# ------------------------------------------------------------------------------ ABI plumbing


@dataclass(frozen=True)
class _Function:
    name: str
    selector: bytes
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]

    def encode(self, args: Sequence[Any]) -> bytes:
        return self.selector + encode(list(self.input_types), list(args))

    def decode(self, data: bytes) -> tuple[Any, ...]:
        return tuple(decode(list(self.output_types), data))


def _functions(contract_name: str) -> dict[str, _Function]:
    functions: dict[str, _Function] = {}
    for entry in load_artifact(contract_name).abi:
        if entry["type"] != "function":
            continue
        # Our contracts overload nothing; a duplicate name would make calls ambiguous.
        if entry["name"] in functions:
            raise TypeError(f"{contract_name}.{entry['name']} is overloaded")
        functions[entry["name"]] = _Function(
            name=entry["name"],
            selector=function_abi_to_4byte_selector(entry),
            input_types=tuple(collapse_if_tuple(dict(i)) for i in entry.get("inputs", [])),
            output_types=tuple(collapse_if_tuple(dict(o)) for o in entry.get("outputs", [])),
        )
    return functions


class _ContractClient:
    """Shared mechanics: calldata, eth_call, sending, gas limits, receipts to events."""

    CONTRACT: ClassVar[str]

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
        self.w3 = w3
        self.address = checksum(address)
        self.use_estimates = use_estimates
        self.preflight = preflight
        self._chain_id = chain_id
        self._gas_limits = {**GAS_LIMITS, **(gas_limits or {})}
        self._functions = _functions(self.CONTRACT)
        self._contract: Contract | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.address})"

    @property
    def contract(self) -> Contract:
        """The web3 contract object at this address (for anything this client lacks)."""
        if self._contract is None:
            abi = load_artifact(self.CONTRACT).abi
            self._contract = self.w3.eth.contract(address=self.address, abi=abi)
        return self._contract

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            with decoding_reverts():
                self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    @property
    def domain(self) -> Eip712Domain:
        """The EIP-712 domain partners sign this contract's actions under."""
        raise NotImplementedError

    def gas_limit(
        self, function: str, *, items: int = 0, size: int = 0, by_sig: bool = False
    ) -> int:
        """The default gas limit of `function` for lists of `items` and strings of `size` bytes."""
        limit = self._gas_limits[function].limit(items, size)
        return limit + BY_SIG_EXTRA if by_sig else limit

    # -- views shared by both contracts -----------------------------------------------------

    def is_nonce_used(self, signer: str, nonce: int, *, block: BlockIdentifier = "latest") -> bool:
        """Whether `signer` used or cancelled `nonce` on this contract."""
        return bool(self._call("isNonceUsed", [checksum(signer), nonce], block)[0])

    def domain_separator(self, *, block: BlockIdentifier = "latest") -> bytes:
        """The contract's EIP-712 domain separator (`domainSeparator()`)."""
        return bytes(self._call("domainSeparator", [], block)[0])

    def version(self, *, block: BlockIdentifier = "latest") -> str:
        """The release of the contract's code, e.g. "1.1.0" (`version()`). Contracts of release
        1.0.0 have no such function: the call raises."""
        return str(self._call("version", [], block)[0])

    def cancel_nonce(
        self, sender: TxSender, nonce: int, *, gas: int | None = None
    ) -> TxResult[None]:
        """Cancel one of the sender's nonces so a signature made with it can never be relayed."""
        receipt, events = self._send(
            sender, "cancelNonce", [nonce], gas, self.gas_limit("cancelNonce")
        )
        return TxResult(receipt, None, events)

    # -- plumbing ---------------------------------------------------------------------------

    def _call(self, function: str, args: Sequence[Any], block: BlockIdentifier) -> tuple[Any, ...]:
        fn = self._functions[function]
        params: TxParams = {"to": self.address, "data": HexBytes(fn.encode(args))}
        with decoding_reverts():
            raw = self.w3.eth.call(params, block)
        return fn.decode(bytes(raw))

    def _send(
        self,
        sender: TxSender,
        function: str,
        args: Sequence[Any],
        gas: int | None,
        default_gas: int,
        *,
        value: int = 0,
    ) -> tuple[TxReceipt, tuple[ContractEvent, ...]]:
        if gas is None and not self.use_estimates:
            gas = default_gas
        request = TxRequest(
            to=self.address, data=self._functions[function].encode(args), value=value, gas=gas
        )
        with decoding_reverts():
            receipt = sender.transact(request, estimate=self.preflight)
        return receipt, decode_receipt(receipt, address=self.address)

    def _events(self, cls: type[E], events: Sequence[ContractEvent]) -> E:
        return first_event(events, cls)

    def get_events(
        self,
        from_block: int,
        to_block: int | None = None,
        *,
        event_types: Sequence[type[ContractEvent]] | None = None,
        project_id: int | None = None,
    ) -> list[ContractEvent]:
        """This contract's events in a block range (see `ledger.chain.events.get_events`)."""
        return get_events(
            self.w3,
            self.address,
            from_block,
            to_block,
            event_types=event_types,
            project_id=project_id,
        )


def _auth(auth: SignedAuth) -> tuple[Any, ...]:
    return auth.as_tuple()


def _sig_items(auth: SignedAuth) -> int:
    # A signature is 65 bytes for an EOA but can be longer for an ERC-1271 wallet.
    return len(auth.signature)


# ------------------------------------------------------------------------------ PocLedger


class PocLedgerClient(_ContractClient):
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
            _addresses(partners),
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
            _addresses(partners),
            policy.as_abi(),
            _auth(auth),
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
        return TxResult(receipt, _has(events, AgreementInForce), events)

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
        return TxResult(receipt, _has(events, AgreementInForce), events)

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
        args = [project_id, version, require_bytes32(agreement_hash, "agreement_hash"), _auth(auth)]
        default = self.gas_limit("acceptAgreement", by_sig=True)
        receipt, events = self._send(relayer, "acceptAgreementBySig", args, gas, default)
        return TxResult(receipt, _has(events, AgreementInForce), events)

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
        size = len(name.encode()) + len(company_number.encode()) + _sig_items(auth)
        default = self.gas_limit("setIdentity", size=size, by_sig=True)
        receipt, events = self._send(
            relayer, "setIdentityBySig", [name, company_number, _auth(auth)], gas, default
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
        args = [project_id, int(ProposalKind(kind)), bytes(data), _auth(auth)]
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
        return TxResult(receipt, _has(events, ProposalExecuted), events)

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
            relayer, "approveProposalBySig", [project_id, proposal_id, _auth(auth)], gas, default
        )
        return TxResult(receipt, _has(events, ProposalExecuted), events)

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
            relayer, "registerBySig", [registration.as_abi(), _auth(auth)], gas, default
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
        args = [project_id, require_bytes32(root, "root"), count, uri, _auth(auth)]
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
        args = [project_id, require_bytes32(contribution_id, "contribution_id"), _auth(auth)]
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
            _auth(auth),
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
            _auth(auth),
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
            _auth(auth),
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
        args = [project_id, require_bytes32(contribution_id, "contribution_id"), _auth(auth)]
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


# ------------------------------------------------------------------------------ RoyaltyVault


class RoyaltyVaultClient(_ContractClient):
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
        args = [project_id, split.as_abi(), _auth(auth)]
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
            relayer, "approveSplitBySig", [project_id, proposal_id, _auth(auth)], gas, default
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
        args = [project_id, checksum(token), checksum(recipient), _auth(auth)]
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


# ------------------------------------------------------------------------------ helpers


def _addresses(addresses: Sequence[str]) -> list[ChecksumAddress]:
    return [checksum(a) for a in addresses]


def _has(events: Sequence[ContractEvent], cls: type[ContractEvent]) -> bool:
    return any(isinstance(e, cls) for e in events)


def _outcome(events: Sequence[ContractEvent]) -> DisputeOutcome:
    for event in events:
        if isinstance(event, DisputeResolved):
            return event.outcome
    return DisputeOutcome.OPEN


def _split_version(events: Sequence[ContractEvent]) -> int | None:
    for event in events:
        if isinstance(event, SplitFinalized):
            return event.split_version
    return None


__all__ = [
    "BY_SIG_EXTRA",
    "ETH",
    "GAS_LIMITS",
    # Domain values, re-exported so that callers of the clients need one import.
    "BatchInfo",
    "BatchLeaf",
    "Category",
    "ContributionInfo",
    "ContributionStatus",
    "DisputeInfo",
    "DisputeOutcome",
    "GasLimit",
    "MemberInfo",
    "Origin",
    "PocLedgerClient",
    "Policy",
    "ProjectInfo",
    "ProposalInfo",
    "ProposalKind",
    "Registration",
    "RevenueTotals",
    "RoyaltyVaultClient",
    "SignedAuth",
    "SplitInfo",
    "SplitInput",
    "TxResult",
    "encode_add_partner",
    "encode_amend_agreement",
    "encode_change_policy",
    "encode_remove_partner",
]
