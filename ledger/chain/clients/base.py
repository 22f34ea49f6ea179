"""What the contract clients share: gas limits, results, ABI plumbing and `ContractClient`.

`ContractClient` encodes calldata with eth_abi from the artifact's ABI (selectors precomputed),
sends through a `TxSender` with the function's default gas limit (`GAS_LIMITS`) or an
estimate, decodes the receipt's events into typed events and wraps the outcome in a `TxResult`;
views read any past block. The two clients are in `ledger.chain.clients.poc_ledger` and
`ledger.chain.clients.royalty_vault`.
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
    ContractEvent,
    E,
    first_event,
)
from ledger.domain.values import (
    checksum,
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
# tests/ledger/chain/test_gas.py checks every limit against fresh measurements, worst cases
# included.
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


class ContractClient:
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


def auth_args(auth: SignedAuth) -> tuple[Any, ...]:
    return auth.as_tuple()


def signature_items(auth: SignedAuth) -> int:
    # A signature is 65 bytes for an EOA but can be longer for an ERC-1271 wallet.
    return len(auth.signature)


# ------------------------------------------------------------------------------ helpers


def checksummed(addresses: Sequence[str]) -> list[ChecksumAddress]:
    return [checksum(a) for a in addresses]


def has_event(events: Sequence[ContractEvent], cls: type[ContractEvent]) -> bool:
    return any(isinstance(e, cls) for e in events)
