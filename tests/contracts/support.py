"""Test support for the contract suite: an in-process chain, actors, revert and EIP-712 helpers.

Everything here is written independently of the library under test: revert data is decoded
against the compiled ABIs by hand, EIP-712 payloads are built from the type strings published in
the interfaces' NatSpec and signed with eth-account, and commitments and ids are recomputed with
eth-abi. Only the compiled artifacts are shared with the library. The typed client lives in
`ledger/chain/clients/`; nothing here is imported by it.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_tester import EthereumTester
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import EthereumTesterProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD
from web3.types import TxParams, TxReceipt, Wei

from ledger.chain.artifacts import ContractArtifact, load_artifact, read_artifact

ZERO_ADDRESS = "0x" + "00" * 20
ZERO_BYTES32 = b"\x00" * 32
BPS = 10_000
DAY = 86_400
TX_GAS = 8_000_000

# ContributionStatus, DisputeOutcome, ProposalKind, Origin (docs/design.md, "Enums").
NONE, ACTIVE, WITHDRAWN, SUPERSEDED, INVALIDATED = range(5)
OPEN, UPHELD, REJECTED, DISPUTE_WITHDRAWN = range(4)
ADD_PARTNER, REMOVE_PARTNER, CHANGE_POLICY, AMEND_AGREEMENT = range(4)
BACKGROUND, RESULT = range(2)

# ---------------------------------------------------------------------------------- artifacts

#: The mocks of contracts/test/, compiled beside the tests (`make compile`), not shipped.
MOCK_ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@cache
def artifact(name: str) -> ContractArtifact:
    """A compiled contract: one of the library's (`ledger/artifacts/`) or a test mock."""
    mock = MOCK_ARTIFACTS / f"{name}.json"
    return read_artifact(mock) if mock.is_file() else load_artifact(name)


def mock_names() -> tuple[str, ...]:
    """The names of the test mocks' artifacts, sorted."""
    return tuple(sorted(path.stem for path in MOCK_ARTIFACTS.glob("*.json")))


@cache
def abi_of(name: str) -> tuple[dict[str, Any], ...]:
    return tuple(artifact(name).abi)  # type: ignore[arg-type]


def error_names(contract: str) -> frozenset[str]:
    """The custom errors in a contract's ABI (its own and every inherited or library error)."""
    return frozenset(entry["name"] for entry in abi_of(contract) if entry["type"] == "error")


def _abi_type(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return str(param["type"])


@cache
def _error_table(contract: str) -> dict[bytes, tuple[str, tuple[str, ...]]]:
    table: dict[bytes, tuple[str, tuple[str, ...]]] = {}
    for entry in abi_of(contract):
        if entry["type"] != "error":
            continue
        types = tuple(_abi_type(p) for p in entry["inputs"])
        selector = keccak(text=f"{entry['name']}({','.join(types)})")[:4]
        table[selector] = (entry["name"], types)
    return table


def decode_error(contract: str, data: bytes) -> tuple[str, tuple[Any, ...]]:
    """Decode revert `data` against `contract`'s ABI errors; raise AssertionError if unknown."""
    if len(data) < 4:
        raise AssertionError(f"revert without a custom error (data {data.hex() or 'empty'})")
    if data[:4] not in _error_table(contract):
        raise AssertionError(f"revert data 0x{data.hex()} is not an error of {contract}")
    name, types = _error_table(contract)[data[:4]]
    return name, tuple(abi_decode(list(types), data[4:]))


_BYTES_REPR = re.compile(r"b(['\"]).*\1", re.S)


def revert_data(exc: BaseException) -> bytes:
    """The raw revert bytes carried by a failed call, from eth-tester or from a JSON-RPC node.

    eth-tester raises `TransactionFailed("execution reverted: b'...'")` (the bytes' repr) from
    gas estimation and eth_call; web3 raises `ContractLogicError(data="0x...")` for a node.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        data = getattr(current, "data", None)
        if isinstance(data, str) and data.startswith("0x"):
            return bytes.fromhex(data[2:])
        for arg in current.args:
            if isinstance(arg, bytes):
                return arg
            if isinstance(arg, str):
                text = arg.removeprefix("execution reverted: ").strip()
                if _BYTES_REPR.fullmatch(text):
                    value = ast.literal_eval(text)
                    if isinstance(value, bytes):
                        return value
        current = current.__cause__ or current.__context__
    raise AssertionError(f"no revert data in {exc!r}") from exc


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, str) and value.startswith("0x"):
        return value.lower()
    if isinstance(value, list | tuple):
        return tuple(_norm(v) for v in value)
    return value


class _Any:
    def __eq__(self, other: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()
"""Matches any decoded argument (e.g. a timestamp the test cannot know exactly)."""


@dataclass(frozen=True)
class _Above:
    bound: int

    def __eq__(self, other: object) -> bool:
        return isinstance(other, int) and other > self.bound

    def __repr__(self) -> str:
        return f"above({self.bound})"


def above(bound: int) -> Any:
    """Matches a decoded integer greater than `bound` (e.g. the block time of a late call)."""
    return _Above(bound)


# ------------------------------------------------------------------------- error coverage

COVERAGE: dict[str, list[str]] = {}
"""`Contract.Error` -> tests that declare (with @covers) and assert (with `reverts`) it."""

UNREACHABLE: dict[str, str] = {
    "PocLedger.InvalidShortString": "OpenZeppelin ShortStrings: the EIP-712 name is a constant",
    "PocLedger.StringTooLong": "OpenZeppelin ShortStrings: 'PocLedger' and '1' fit in 31 bytes",
    "RoyaltyVault.InvalidShortString": "OpenZeppelin ShortStrings: the EIP-712 name is a constant",
    "RoyaltyVault.StringTooLong": "OpenZeppelin ShortStrings: 'RoyaltyVault' fits in 31 bytes",
    "PocExchange.InvalidShortString": "OpenZeppelin ShortStrings: the EIP-712 name is a constant",
    "PocExchange.StringTooLong": "OpenZeppelin ShortStrings: 'PocExchange' fits in 31 bytes",
}
"""Errors in the ABIs that no input can trigger, each with the reason."""

_asserted: set[str] = set()


def covers(*errors: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare that a test asserts the custom errors `errors` ("Contract.Error").

    The declaration is checked twice: the meta-test requires every ABI error to be declared by
    some test, and an autouse fixture fails a test that declared an error it never asserted.
    """

    def mark(test: Callable[..., Any]) -> Callable[..., Any]:
        for error in errors:
            contract, _, name = error.partition(".")
            if name not in error_names(contract):
                raise ValueError(f"{error} is not an error of {contract}")
            COVERAGE.setdefault(error, []).append(f"{test.__module__}.{test.__name__}")
        test.__covers__ = errors  # type: ignore[attr-defined]
        return test

    return mark


def reset_asserted() -> None:
    _asserted.clear()


def asserted() -> frozenset[str]:
    return frozenset(_asserted)


@contextmanager
def reverts(contract: str, error: str, *args: Any) -> Iterator[None]:
    """Assert that the block reverts with custom `error` of `contract` and exactly `args`."""
    try:
        yield
    except AssertionError:
        raise
    except Exception as exc:
        data = revert_data(exc)
        name, decoded = decode_error(contract, data)
        assert name == error, f"expected {error}{args}, got {name}{decoded}"
        assert _norm(decoded) == _norm(args), f"{error}: expected args {args}, got {decoded}"
        _asserted.add(f"{contract}.{error}")
    else:
        raise AssertionError(f"expected revert {contract}.{error}{args}, but the call succeeded")


# ---------------------------------------------------------------------------------- actors


@dataclass(frozen=True)
class Actor:
    """An externally owned account whose key the test holds."""

    name: str
    key: bytes

    @property
    def address(self) -> str:
        return str(Account.from_key(self.key).address)

    def __repr__(self) -> str:
        return f"Actor({self.name})"


def actor(name: str) -> Actor:
    """A deterministic actor: the key is the hash of its name."""
    return Actor(name, keccak(text=f"poc-ledger test actor {name}"))


# ---------------------------------------------------------------------------------- EIP-712

SIGNED_TYPES = {
    # PocLedger, as published in IPocLedger's NatSpec.
    "CreateProject": "bytes32 agreementHash,address[] partners,bytes32 policyHash",
    "AcceptAgreement": "uint32 projectId,uint32 version,bytes32 agreementHash",
    "SetIdentity": "string name,string companyNumber",
    "Propose": "uint32 projectId,uint8 kind,bytes data",
    "ApproveProposal": "uint32 projectId,uint64 proposalId",
    "Register": "uint32 projectId,bytes32 commitment,bytes32 cardHash,uint8 origin,uint8 category,"
    "uint64 value,bytes32[] parents,bytes32 supersedes,string uri",
    "AnchorBatch": "uint32 projectId,bytes32 root,uint32 count,string uri",
    "WithdrawContribution": "uint32 projectId,bytes32 contributionId",
    "Endorse": "uint32 projectId,bytes32 contributionId,uint8 rating",
    "OpenDispute": "uint32 projectId,bytes32 contributionId,bytes32 reasonHash",
    "VoteDispute": "uint32 projectId,bytes32 contributionId,bool uphold",
    "WithdrawDispute": "uint32 projectId,bytes32 contributionId",
    # RoyaltyVault, as published in IRoyaltyVault's NatSpec.
    "ProposeSplit": "uint32 projectId,address[] partners,uint16[] bps,uint32 policyVersion,"
    "uint64 computedAtBlock,bytes32 inputSetHash",
    "ApproveSplit": "uint32 projectId,uint64 proposalId",
    "ReleaseTo": "uint32 projectId,address token,address recipient",
    # PocExchange, as published in IPocExchange's NatSpec.
    "PublishEncryptionKey": "bytes32 publicKey",
    "Disclose": "uint32 projectId,bytes32 contentCommitment,address[] recipients,"
    "bytes32[] contributionIds",
    "Acknowledge": "uint32 projectId,bytes32 disclosureId,bytes32 contentCommitment,address sharer",
    "Decline": "uint32 projectId,bytes32 disclosureId,bytes32 reasonHash",
    "RequestAccess": "uint32 projectId,bytes32 contributionId,uint8 purpose,uint8 terms,"
    "bytes32 termsHash",
    "GrantAccess": "uint32 projectId,uint64 requestId,uint8 terms,bytes32 termsHash",
    "RefuseAccess": "uint32 projectId,uint64 requestId,bytes32 reasonHash",
    "WithdrawAccessRequest": "uint32 projectId,uint64 requestId",
    "SetExchangeSettings": "uint32 projectId,uint32 answerPeriod,uint32 requestPeriodAfterEnd,"
    "uint40 projectEnd",
    "ProposeExchangeSettings": "uint32 projectId,uint32 answerPeriod,uint32 requestPeriodAfterEnd,"
    "uint40 projectEnd",
    "ApproveExchangeSettings": "uint32 projectId,uint64 proposalId",
}
_AUTH_FIELDS = "address signer,uint256 nonce,uint256 deadline"

DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def _fields(primary: str) -> list[dict[str, str]]:
    spec = f"{SIGNED_TYPES[primary]},{_AUTH_FIELDS}"
    return [dict(zip(("type", "name"), f.split(" "), strict=True)) for f in spec.split(",")]


def typed_message(
    primary: str, domain_name: str, chain_id: int, verifying: str, message: dict[str, Any]
) -> dict[str, Any]:
    """The full EIP-712 message for eth-account, built from the published type string."""
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, primary: _fields(primary)},
        "primaryType": primary,
        "domain": {
            "name": domain_name,
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": verifying,
        },
        "message": message,
    }


def domain_separator(domain_name: str, chain_id: int, verifying: str) -> bytes:
    """EIP-712 domain separator computed from first principles."""
    type_hash = keccak(
        text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    )
    return keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [type_hash, keccak(text=domain_name), keccak(text="1"), chain_id, verifying],
        )
    )


# ------------------------------------------------------------------- policies and records


@dataclass(frozen=True)
class Category:
    name: str
    unit: str
    unit_scale: int = 1
    weight_bps: int = BPS

    def as_tuple(self) -> tuple[bytes, bytes, int, int]:
        return (
            self.name.encode().ljust(32, b"\0"),
            self.unit.encode().ljust(32, b"\0"),
            self.unit_scale,
            self.weight_bps,
        )


@dataclass(frozen=True)
class Policy:
    background_weight_bps: int = 5_000
    result_weight_bps: int = 10_000
    endorsement_quorum: int = 1
    dispute_window: int = 7 * DAY
    split_approval_bps: int = 7_500
    governance_bps: int = 6_000
    partner_cap_bps: int = 0
    partner_floor_bps: int = 0
    categories: tuple[Category, ...] = (
        Category("person-hours", "hour"),
        Category("funding", "EUR-cent", 100_00, 5_000),
        Category("design", "document"),
    )
    parent_share_bps: int = 0

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.background_weight_bps,
            self.result_weight_bps,
            self.endorsement_quorum,
            self.dispute_window,
            self.split_approval_bps,
            self.governance_bps,
            self.partner_cap_bps,
            self.partner_floor_bps,
            self.parent_share_bps,
            [c.as_tuple() for c in self.categories],
        )


POLICY_ABI_TYPE = (
    "(uint16,uint16,uint16,uint32,uint16,uint16,uint16,uint16,uint16,"
    "(bytes32,bytes32,uint64,uint16)[])"
)


def policy_bytes(policy: Policy) -> bytes:
    """abi.encode(policy): the ChangePolicy proposal data, and what policyHash hashes."""
    return abi_encode([POLICY_ABI_TYPE], [policy.as_tuple()])


def policy_hash(policy: Policy) -> bytes:
    return keccak(policy_bytes(policy))


def commitment_of(contributor: str, project_id: int, content: bytes, salt: bytes) -> bytes:
    """keccak256(abi.encode(contributor, projectId, sha256(content), salt)) per the design card."""
    content_hash = hashlib.sha256(content).digest()
    return keccak(
        abi_encode(
            ["address", "uint32", "bytes32", "bytes32"],
            [contributor, project_id, content_hash, salt],
        )
    )


def contribution_id_of(project_id: int, contributor: str, commitment: bytes) -> bytes:
    return keccak(
        abi_encode(["uint32", "address", "bytes32"], [project_id, contributor, commitment])
    )


def batch_id_of(project_id: int, contributor: str, root: bytes) -> bytes:
    return keccak(abi_encode(["uint32", "address", "bytes32"], [project_id, contributor, root]))


@dataclass(frozen=True)
class Registration:
    project_id: int
    commitment: bytes
    origin: int = RESULT
    category: int = 0
    value: int = 8
    parents: tuple[bytes, ...] = ()
    supersedes: bytes = ZERO_BYTES32
    uri: str = ""
    card_hash: bytes = ZERO_BYTES32

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.project_id,
            self.commitment,
            self.card_hash,
            self.origin,
            self.category,
            self.value,
            list(self.parents),
            self.supersedes,
            self.uri,
        )

    def message(self) -> dict[str, Any]:
        return {
            "projectId": self.project_id,
            "commitment": self.commitment,
            "cardHash": self.card_hash,
            "origin": self.origin,
            "category": self.category,
            "value": self.value,
            "parents": list(self.parents),
            "supersedes": self.supersedes,
            "uri": self.uri,
        }


# ---------------------------------------------------------------------------------- chain

_DECODABLE = ("PocLedger", "RoyaltyVault", "PocExchange", "ERC1271Wallet", "RejectingReceiver")


class TxReverted(Exception):
    """Raised when a test transaction reverts; the message names the decoded custom error."""

    def __init__(self, data: bytes) -> None:
        self.data = "0x" + data.hex()
        super().__init__(_describe(data))


def _describe(data: bytes) -> str:
    for contract in _DECODABLE:
        if data[:4] in _error_table(contract):
            name, args = decode_error(contract, data)
            return f"reverted with {contract}.{name}{args}"
    return f"reverted with data 0x{data.hex()}"


@dataclass
class Chain:
    """An eth-tester chain driven through web3, with snapshots and time travel."""

    w3: Web3
    tester: EthereumTester | None
    funder: str
    names: dict[str, str] = field(default_factory=dict)

    @property
    def _tester(self) -> EthereumTester:
        assert self.tester is not None
        return self.tester

    @classmethod
    def start(cls) -> Chain:
        tester = EthereumTester()
        w3 = Web3(EthereumTesterProvider(tester))
        funder = w3.eth.accounts[0]
        # A default sender spares every eth_call web3's guess of one (it lists all accounts).
        w3.eth.default_account = funder
        return cls(w3=w3, tester=tester, funder=funder)

    @property
    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    def add(self, who: Actor, ether: int = 1_000) -> None:
        """Unlock `who` in eth-tester and fund it."""
        self._tester.add_account("0x" + who.key.hex())
        self.w3.eth.send_transaction(
            {"from": self.funder, "to": who.address, "value": Wei(ether * 10**18)}
        )

    def deploy(self, name: str, *args: Any, sender: Actor) -> Contract:
        art = artifact(name)
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        tx = factory.constructor(*args).transact({"from": sender.address})
        # Waiting, not reading at once: anvil answers eth_sendTransaction before it has mined
        # the block when the machine is busy, so the receipt may lag by a few milliseconds.
        receipt = self.w3.eth.wait_for_transaction_receipt(tx, poll_latency=0.005)
        address = receipt["contractAddress"]
        assert address is not None
        self.names[address] = name
        return self.w3.eth.contract(address=address, abi=art.abi)

    def send(self, fn: ContractFunction, sender: Actor | str, value: int = 0) -> TxReceipt:
        """Transact and return the receipt; a revert raises with its data (see `reverts`).

        The gas is fixed because eth-tester estimates by binary search, running the call a dozen
        times. A reverted transaction is mined, then replayed as eth_call for its revert data.
        """
        address = sender.address if isinstance(sender, Actor) else sender
        params: TxParams = {"from": address, "value": Wei(value), "gas": TX_GAS}
        tx_hash = fn.transact(params)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.005)
        if receipt["status"] != 1:
            try:
                fn.call({"from": address, "value": Wei(value)})
            except Exception as exc:
                raise TxReverted(revert_data(exc)) from exc
            raise AssertionError(f"transaction reverted but its replay did not: {receipt}")
        return receipt

    def pay(self, sender: Actor, to: str, value: int) -> TxReceipt:
        tx_hash = self.w3.eth.send_transaction(
            {"from": sender.address, "to": to, "value": Wei(value)}
        )
        return self.w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.005)

    def balance(self, address: str) -> int:
        return int(self.w3.eth.get_balance(to_checksum_address(address)))

    def now(self) -> int:
        """Timestamp of the latest block."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def next_timestamp(self) -> int:
        """Timestamp the next transaction will execute at."""
        return int(self.w3.eth.get_block("pending")["timestamp"])

    def travel(self, seconds: int) -> int:
        """Move the clock `seconds` forward; returns the next transaction's timestamp."""
        return self.set_next_timestamp(self.next_timestamp() + seconds)

    def set_next_timestamp(self, timestamp: int) -> int:
        """Make the next transaction execute at `timestamp` (eth-tester mines a block before)."""
        self._tester.time_travel(timestamp)
        assert self.next_timestamp() == timestamp
        return timestamp

    def snapshot(self) -> int:
        return int(self._tester.take_snapshot())

    def revert(self, snapshot_id: int) -> None:
        self._tester.revert_to_snapshot(snapshot_id)


class AnvilChain(Chain):
    """The same operations on a real anvil node: impersonated actors, evm_* snapshots."""

    def __init__(self, w3: Web3) -> None:
        super().__init__(w3=w3, tester=None, funder=w3.eth.accounts[0])
        # anvil consumes a snapshot on revert: logical id -> the node's current snapshot id.
        self._snapshots: dict[int, str] = {}

    @classmethod
    def connect(cls, url: str) -> AnvilChain:
        return cls(Web3(Web3.HTTPProvider(url)))

    def _rpc(self, method: str, *params: Any) -> Any:
        response = self.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        assert "error" not in response, response
        return response["result"]

    def add(self, who: Actor, ether: int = 1_000) -> None:
        self._rpc("anvil_impersonateAccount", who.address)
        self._rpc("anvil_setBalance", who.address, hex(ether * 10**18))

    def set_next_timestamp(self, timestamp: int) -> int:
        self._rpc("evm_setNextBlockTimestamp", timestamp)
        return timestamp

    def snapshot(self) -> int:
        logical = len(self._snapshots) + 1
        self._snapshots[logical] = self._rpc("evm_snapshot")
        return logical

    def revert(self, snapshot_id: int) -> None:
        assert self._rpc("evm_revert", self._snapshots[snapshot_id]) is True
        self._snapshots[snapshot_id] = self._rpc("evm_snapshot")


def events(contract: Contract, name: str, receipt: TxReceipt) -> list[dict[str, Any]]:
    """Decoded arguments of every `name` event `contract` emitted in `receipt`, in order."""
    logs = getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD)
    return [dict(log["args"]) for log in logs if log["address"].lower() == contract.address.lower()]


def event(contract: Contract, name: str, receipt: TxReceipt) -> dict[str, Any]:
    """The single `name` event of `contract` in `receipt`."""
    found = events(contract, name, receipt)
    assert len(found) == 1, f"expected one {name}, got {len(found)}"
    return found[0]


def hexb(value: bytes | HexBytes | str) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return bytes(value)


def sorted_addresses(addresses: Sequence[str]) -> list[str]:
    return sorted(addresses, key=lambda a: int(a, 16))


# ---------------------------------------------------------------------------------- Merkle

_REPO_ROOT = Path(__file__).resolve().parents[2]
_OZ_MERKLE = Path(__file__).with_name("oz_merkle.cjs")


@dataclass(frozen=True)
class BatchLeaf:
    commitment: bytes
    origin: int = RESULT
    category: int = 0
    value: int = 1
    parents: tuple[bytes, ...] = ()
    card_hash: bytes = ZERO_BYTES32

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.commitment,
            self.card_hash,
            self.origin,
            self.category,
            self.value,
            list(self.parents),
        )


@dataclass(frozen=True)
class MerkleTree:
    root: bytes
    proofs: tuple[tuple[bytes, ...], ...]
    leaf_hashes: tuple[bytes, ...]


def oz_merkle_tree(leaves: Sequence[BatchLeaf]) -> MerkleTree:
    """Build the batch tree with OpenZeppelin's StandardMerkleTree through Node."""
    payload = {
        "leaves": [
            [
                "0x" + leaf.commitment.hex(),
                "0x" + leaf.card_hash.hex(),
                leaf.origin,
                leaf.category,
                str(leaf.value),
                ["0x" + p.hex() for p in leaf.parents],
            ]
            for leaf in leaves
        ]
    }
    done = subprocess.run(
        ["node", str(_OZ_MERKLE)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=_REPO_ROOT,
        check=True,
    )
    out = json.loads(done.stdout)
    return MerkleTree(
        root=hexb(out["root"]),
        proofs=tuple(tuple(hexb(h) for h in proof) for proof in out["proofs"]),
        leaf_hashes=tuple(hexb(h) for h in out["leafHashes"]),
    )
