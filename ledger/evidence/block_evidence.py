"""Block headers, receipts and transactions as Ethereum commits to them, with trie proofs.

A block hash is keccak256 of the RLP block header; the header holds the roots of the block's
transactions trie and receipts trie (Merkle-Patricia tries keyed by rlp(transaction index)).
So a receipt plus its trie proof plus the header prove, against nothing but the block hash,
that a transaction emitted exactly these logs. This module:

- encodes a header from a node's block fields (`encode_header`), fork by fork: London base fee,
  Shanghai withdrawalsRoot, Cancun blobGasUsed/excessBlobGas/parentBeaconBlockRoot, Prague
  requestsHash; each present field is appended in that order, so a node's fork decides;
- decodes a header back into the few fields a verifier needs (`BlockHeader`);
- encodes receipts (`encode_receipt`) and signed transactions (`encode_transaction`) exactly
  as the tries hold them: EIP-2718 typed envelopes are the type byte followed by the RLP list;
- builds proofs with the `trie` library's HexaryTrie (`BlockTries`) and checks them
  (`prove_inclusion`), the proof nodes being RLP-encoded so they can travel as hex;
- bounds where a log can sit in its block from its own receipt alone (`log_index_bounds`):
  exactly for a block's first transaction, by the gas the earlier transactions used otherwise;
- fetches what a block needs from a node (`fetch_block_evidence`): `eth_getBlockReceipts` when
  the node has it, per-transaction receipts otherwise; raw transactions by
  `eth_getRawTransactionByHash` when available, re-encoded from their fields otherwise.

Everything fetched is checked while building (tries against the header's roots, header against
the block hash, raw transactions against their hashes), so a node that returns inconsistent
data makes `ProofError`, never a proof that does not verify. Everything decoded from a bundle
(headers, receipts, transactions, proof nodes) may be hostile: every failure to decode it,
whatever the RLP or trie library raised, comes out as `ProofError`. Proof bundles:
`ledger.evidence.bundle`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

import rlp
from eth_bloom.bloom import BloomFilter
from eth_utils.address import to_canonical_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from trie.exceptions import (
    BadTrieProof,
    InvalidKeyError,
    InvalidNibbles,
    InvalidNode,
    MissingTrieNode,
)
from trie.exceptions import ValidationError as TrieValidationError
from trie.hexary import HexaryTrie
from web3 import Web3
from web3.exceptions import MethodUnavailable, Web3Exception, Web3RPCError

from ledger.chain.translate import translating
from ledger.domain.codec import from_hex
from ledger.errors import ProofError

# Header fields up to Paris, then one group per fork; a node returns a group iff its fork has it.
_BASE_HEADER_FIELDS = (
    "parentHash",
    "sha3Uncles",
    "miner",
    "stateRoot",
    "transactionsRoot",
    "receiptsRoot",
    "logsBloom",
    "difficulty",
    "number",
    "gasLimit",
    "gasUsed",
    "timestamp",
    "extraData",
    "mixHash",
    "nonce",
)
_FORK_HEADER_FIELDS = (
    "baseFeePerGas",  # London
    "withdrawalsRoot",  # Shanghai
    "blobGasUsed",  # Cancun
    "excessBlobGas",  # Cancun
    "parentBeaconBlockRoot",  # Cancun
    "requestsHash",  # Prague
)
_INT_HEADER_FIELDS = frozenset(
    {
        "difficulty",
        "number",
        "gasLimit",
        "gasUsed",
        "timestamp",
        "baseFeePerGas",
        "blobGasUsed",
        "excessBlobGas",
    }
)
_BLOOM_BYTES = 256
# Positions in the decoded header list (fixed since Frontier).
_TX_ROOT, _RECEIPTS_ROOT, _NUMBER, _TIMESTAMP, _EXTRA_DATA = 4, 5, 8, 11, 12


# ------------------------------------------------------------------------------ headers


def _as_bytes(value: Any) -> bytes:
    """A byte field of a node's answer (web3 gives HexBytes, a raw answer 0x-hex)."""
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        try:
            return from_hex(value)
        except ValueError as exc:
            raise ProofError(f"expected bytes or hex, got {value!r:.80}") from exc
    raise ProofError(f"expected bytes or hex, got {value!r:.80}")


def _as_int(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value, 16) if value.startswith("0x") else int(value)
    if isinstance(value, bytes | bytearray):
        return int.from_bytes(value, "big")
    raise ProofError(f"expected an integer, got {value!r}")


def header_fields(block: Mapping[str, Any]) -> list[bytes | int]:
    """The header's RLP items from a block as web3 returns it (camelCase keys)."""
    items: list[bytes | int] = []
    for name in _BASE_HEADER_FIELDS + _FORK_HEADER_FIELDS:
        if name not in block or block[name] is None:
            if name in _FORK_HEADER_FIELDS:
                break  # forks are cumulative: a missing field ends the header
            raise ProofError(f"the node's block has no {name!r}; cannot rebuild its header")
        value = block[name]
        if name in _INT_HEADER_FIELDS:
            items.append(_as_int(value))
        elif name == "miner":
            items.append(to_canonical_address(value))
        elif name == "logsBloom":
            # Some nodes (eth-tester) print the bloom as a minimal integer; the header holds
            # all 256 bytes.
            items.append(_as_bytes(value).rjust(_BLOOM_BYTES, b"\x00"))
        else:
            items.append(_as_bytes(value))
    return items


def _rlp(item: Any) -> bytes:
    # rlp is untyped; every encoding goes through here so the rest stays typed.
    encoded: bytes = rlp.encode(item)
    return encoded


# pyrlp decodes lists recursively and rebuilds each list's encoding by concatenation, so its
# time grows with the square of a list's item count and of the nesting depth (a 340 KB list
# nested 90,000 deep took 20 s; a list of a million one-byte items, hours). Untrusted RLP is
# measured first, without recursing: no header, receipt, transaction or trie node nests deeper
# than `_MAX_RLP_DEPTH` (an inlined trie node is under 32 bytes), and the bytes pyrlp would
# copy (each list's size times its items) must stay under `_MAX_RLP_WORK` (a fraction of a
# second; a receipt of a thousand 200-byte logs needs a fifth of it). Small items cannot cost
# much and are not measured.
_MAX_RLP_DEPTH: Final = 32
_MAX_RLP_WORK: Final = 2**30
_MEASURE_RLP_FROM: Final = 1_024


def _measure_rlp(data: bytes, what: str) -> None:
    """Raise ProofError if decoding `data` would nest too deep or cost too much. Reads only
    the length prefixes (a malformed one ends the walk: pyrlp then says what is wrong)."""
    list_ends: list[int] = []
    list_sizes: list[int] = []
    work = 0
    position, size = 0, len(data)
    while position < size:
        while list_ends and position >= list_ends[-1]:
            list_ends.pop()
            list_sizes.pop()
        if list_sizes:
            work += list_sizes[-1]
            if work > _MAX_RLP_WORK:
                raise ProofError(f"{what} has lists too long to decode")
        first = data[position]
        if first < 0xC0:  # a byte string: skip it
            if first < 0x80:
                length, header = 1, 0
            elif first < 0xB8:
                length, header = first - 0x80, 1
            else:
                width = first - 0xB7
                length = int.from_bytes(data[position + 1 : position + 1 + width], "big")
                header = 1 + width
            position += header + length
            continue
        if first < 0xF8:
            length, header = first - 0xC0, 1
        else:
            width = first - 0xF7
            length = int.from_bytes(data[position + 1 : position + 1 + width], "big")
            header = 1 + width
        list_ends.append(position + header + length)
        list_sizes.append(length)
        if len(list_ends) > _MAX_RLP_DEPTH:
            raise ProofError(f"{what} nests RLP lists deeper than {_MAX_RLP_DEPTH}")
        position += header


def _unrlp(data: bytes, what: str) -> Any:
    """Decode untrusted RLP; every failure is a ProofError naming `what`."""
    if len(data) >= _MEASURE_RLP_FROM:
        _measure_rlp(data, what)
    try:
        return rlp.decode(data)
    except rlp.exceptions.RLPException as exc:
        raise ProofError(f"{what} is not valid RLP: {exc}") from exc
    except RecursionError as exc:
        # pyrlp decodes nested lists recursively: a hostile input nested a few thousand
        # levels deep exhausts the stack. Nothing Ethereum encodes nests more than 4 levels.
        raise ProofError(f"{what} nests RLP lists too deeply") from exc


def _all_bytes(items: Any) -> bool:
    return isinstance(items, list) and all(isinstance(item, bytes) for item in items)


def encode_header(block: Mapping[str, Any]) -> bytes:
    """The RLP block header whose keccak256 is the block hash.

    eth-tester prints an empty extraData as 32 zero bytes; when the header as printed does not
    hash to the block hash and extraData is all zeros, the empty value is tried instead.
    """
    items = header_fields(block)
    encoded = _rlp(items)
    expected = _as_bytes(block["hash"]) if block.get("hash") else None
    extra = items[_EXTRA_DATA]
    if expected and keccak(encoded) != expected and isinstance(extra, bytes) and not any(extra):
        items[_EXTRA_DATA] = b""
        candidate = _rlp(items)
        if keccak(candidate) == expected:
            return candidate
    return encoded


@dataclass(frozen=True)
class BlockHeader:
    """The parts of a decoded RLP header a verifier uses; `hash` is keccak256 of `raw`."""

    raw: bytes
    hash: bytes
    number: int
    timestamp: int
    transactions_root: bytes
    receipts_root: bytes

    @classmethod
    def decode(cls, raw: bytes) -> BlockHeader:
        """Decode an RLP header; raise ProofError if it is not one."""
        items = _unrlp(raw, "the header")
        if not isinstance(items, list) or len(items) < len(_BASE_HEADER_FIELDS):
            raise ProofError("the header has too few fields")
        if not _all_bytes(items):
            raise ProofError("a header field is a list, not bytes")
        return cls(
            raw=bytes(raw),
            hash=keccak(raw),
            number=int.from_bytes(items[_NUMBER], "big"),
            timestamp=int.from_bytes(items[_TIMESTAMP], "big"),
            transactions_root=items[_TX_ROOT],
            receipts_root=items[_RECEIPTS_ROOT],
        )


# ------------------------------------------------------------------------------ receipts


def _log_items(log: Mapping[str, Any]) -> list[Any]:
    return [
        to_canonical_address(log["address"]),
        [_as_bytes(topic) for topic in log["topics"]],
        _as_bytes(log["data"]),
    ]


def _bloom(logs: Sequence[Mapping[str, Any]]) -> bytes:
    bloom = BloomFilter()
    for log in logs:
        bloom.add(to_canonical_address(log["address"]))
        for topic in log["topics"]:
            bloom.add(_as_bytes(topic))
    return int(bloom).to_bytes(_BLOOM_BYTES, "big")


def encode_receipt(receipt: Mapping[str, Any]) -> bytes:
    """A receipt as the receipts trie holds it: rlp([status, cumulativeGasUsed, logsBloom,
    logs]), prefixed by the EIP-2718 type byte for typed transactions.

    The bloom is recomputed from the logs: some nodes omit it or print it shortened, and it is
    a pure function of the logs anyway. Pre-Byzantium receipts (a state root instead of a
    status) are encoded with their root.
    """
    status: bytes | int
    if receipt.get("status") is not None:
        status = _as_int(receipt["status"])
    else:
        status = _as_bytes(receipt.get("root"))
    logs = list(receipt["logs"])
    body = _rlp(
        [status, _as_int(receipt["cumulativeGasUsed"]), _bloom(logs), [_log_items(x) for x in logs]]
    )
    tx_type = _as_int(receipt.get("type", 0) or 0)
    return body if tx_type == 0 else bytes([tx_type]) + body


@dataclass(frozen=True)
class ReceiptLog:
    """One log inside an encoded receipt."""

    address: bytes
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True)
class DecodedReceipt:
    """What a verifier needs from a receipt encoded as in the receipts trie."""

    status: int  # 1 success, 0 failure (a pre-Byzantium state root reads as neither)
    cumulative_gas_used: int  # gas of this and every earlier transaction of the block
    logs: tuple[ReceiptLog, ...]


def decode_receipt(encoded: bytes) -> DecodedReceipt:
    """Decode a receipt as the trie holds it; raise ProofError unless it has the shape
    [status, cumulativeGasUsed, logsBloom, [[address, [topic, ...], data], ...]]."""
    # A typed receipt starts with its type byte (< 0x80); an RLP list starts at 0xc0.
    body = encoded[1:] if encoded and encoded[0] < 0x7F else encoded
    items = _unrlp(body, "the receipt")
    if not (isinstance(items, list) and len(items) == 4 and _all_bytes(items[:3])):
        raise ProofError("the receipt is not [status, cumulativeGasUsed, logsBloom, logs]")
    if not isinstance(items[3], list):
        raise ProofError("the receipt's logs are not a list")
    logs = []
    for position, log in enumerate(items[3]):
        if not (
            isinstance(log, list)
            and len(log) == 3
            and isinstance(log[0], bytes)
            and len(log[0]) == 20
            and _all_bytes(log[1])
            and all(len(topic) == 32 for topic in log[1])
            and isinstance(log[2], bytes)
        ):
            raise ProofError(f"log {position} of the receipt is not [address, topics, data]")
        logs.append(ReceiptLog(address=log[0], topics=tuple(log[1]), data=log[2]))
    return DecodedReceipt(
        status=int.from_bytes(items[0], "big"),
        cumulative_gas_used=int.from_bytes(items[1], "big"),
        logs=tuple(logs),
    )


# ------------------------------------------------------------------------------ log positions

# EVM gas, unchanged since Frontier: what a LOGn costs (memory expansion comes on top)...
LOG_GAS: Final = 375
LOG_TOPIC_GAS: Final = 375
LOG_DATA_BYTE_GAS: Final = 8
# ... and the least a transaction pays before it runs (calldata cost lowest since Istanbul;
# contract creation and access lists add to it, EIP-7623's floor only raises what is charged).
TX_BASE_GAS: Final = 21_000
TX_ZERO_BYTE_GAS: Final = 4
TX_NONZERO_BYTE_GAS: Final = 16
# A refund never returns more than half the gas a transaction used (a fifth since London), so
# a receipt charges at least half of what the transaction burnt.
REFUND_QUOTIENT: Final = 2


def log_gas(log: ReceiptLog) -> int:
    """The least gas the LOG instruction that emitted `log` cost."""
    return LOG_GAS + LOG_TOPIC_GAS * len(log.topics) + LOG_DATA_BYTE_GAS * len(log.data)


def intrinsic_gas_floor(calldata: bytes) -> int:
    """The least intrinsic gas of a transaction carrying `calldata`, on any fork."""
    zeros = calldata.count(0)
    return TX_BASE_GAS + TX_ZERO_BYTE_GAS * zeros + TX_NONZERO_BYTE_GAS * (len(calldata) - zeros)


def log_index_bounds(
    *, tx_index: int, position: int, receipt: DecodedReceipt, calldata: bytes
) -> tuple[int, int]:
    """The smallest and largest block-wide index the `position`-th log of this receipt can
    have, from the receipt and its transaction's calldata alone.

    The index counts the logs of the block's earlier transactions first. In the block's first
    transaction there are none: the index is the position. Otherwise their number is bounded
    by the gas they used: `cumulativeGasUsed` minus this transaction's own gas, of which the
    receipt charged at least half of its intrinsic gas plus its own logs' cost. The earlier
    transactions burnt at most `REFUND_QUOTIENT` times what they were charged, and each of
    their logs burnt at least `LOG_GAS`. Their intrinsic gas is not counted: some L2s open
    every block with a system transaction that is charged no gas at all.
    """
    if tx_index == 0:
        return position, position
    own = intrinsic_gas_floor(calldata) + sum(log_gas(log) for log in receipt.logs)
    charged_own = own - own // REFUND_QUOTIENT
    earlier = max(0, receipt.cumulative_gas_used - charged_own)
    return position, position + REFUND_QUOTIENT * earlier // LOG_GAS


# ------------------------------------------------------------------------------ transactions


def _access_list(tx: Mapping[str, Any]) -> list[Any]:
    return [
        [to_canonical_address(entry["address"]), [_as_bytes(k) for k in entry["storageKeys"]]]
        for entry in tx.get("accessList") or ()
    ]


def _signature(tx: Mapping[str, Any]) -> list[int]:
    parity = tx.get("yParity")
    if parity is None:
        parity = tx["v"]
    return [_as_int(parity), _as_int(tx["r"]), _as_int(tx["s"])]


def _to(tx: Mapping[str, Any]) -> bytes:
    return to_canonical_address(tx["to"]) if tx.get("to") else b""


def encode_transaction(tx: Mapping[str, Any]) -> bytes:
    """Re-encode a signed transaction from its JSON-RPC fields (types 0 to 4), for nodes
    without `eth_getRawTransactionByHash`. Its keccak256 must be the transaction hash."""
    kind = _as_int(tx.get("type", 0) or 0)
    common = [
        _as_int(tx["nonce"]),
    ]
    data = _as_bytes(tx.get("input", tx.get("data", b"")))
    value = _as_int(tx["value"])
    gas = _as_int(tx["gas"])
    if kind == 0:
        return _rlp(
            [
                *common,
                _as_int(tx["gasPrice"]),
                gas,
                _to(tx),
                value,
                data,
                _as_int(tx["v"]),
                _as_int(tx["r"]),
                _as_int(tx["s"]),
            ]
        )
    chain = _as_int(tx["chainId"])
    if kind == 1:
        fields: list[Any] = [chain, *common, _as_int(tx["gasPrice"]), gas, _to(tx), value, data]
        fields.append(_access_list(tx))
    elif kind in (2, 3, 4):
        fields = [chain, *common, _as_int(tx["maxPriorityFeePerGas"]), _as_int(tx["maxFeePerGas"])]
        fields += [gas, _to(tx), value, data, _access_list(tx)]
        if kind == 3:
            fields.append(_as_int(tx["maxFeePerBlobGas"]))
            fields.append([_as_bytes(h) for h in tx["blobVersionedHashes"]])
        if kind == 4:
            fields.append(
                [
                    [
                        _as_int(a["chainId"]),
                        to_canonical_address(a["address"]),
                        _as_int(a["nonce"]),
                        _as_int(a["yParity"]),
                        _as_int(a["r"]),
                        _as_int(a["s"]),
                    ]
                    for a in tx["authorizationList"]
                ]
            )
    else:
        raise ProofError(f"cannot encode transaction type {kind}")
    return bytes([kind]) + _rlp(fields + _signature(tx))


@dataclass(frozen=True)
class DecodedTransaction:
    """What a verifier needs from a raw signed transaction."""

    tx_type: int
    chain_id: int | None  # None: a pre-EIP-155 legacy transaction names no chain
    to: bytes
    data: bytes


def decode_transaction(raw: bytes) -> DecodedTransaction:
    """Decode a raw signed transaction (types 0 to 4); raise ProofError if it does not."""
    if not raw:
        raise ProofError("the transaction is empty")
    legacy = raw[0] >= 0xC0
    kind = 0 if legacy else raw[0]
    # Positions of (chain id, to, data) in each type's RLP list; a legacy transaction names
    # its chain through v (EIP-155).
    fields = {0: (6, 3, 5), 1: (0, 4, 6), 2: (0, 5, 7), 3: (0, 5, 7), 4: (0, 5, 7)}.get(kind)
    if fields is None:
        raise ProofError(f"unknown transaction type {raw[:1].hex()}")
    items = _unrlp(raw if legacy else raw[1:], "the transaction")
    chain_at, to_at, data_at = fields
    if not isinstance(items, list) or len(items) <= max(fields):
        raise ProofError("the transaction has too few fields")
    if not _all_bytes([items[chain_at], items[to_at], items[data_at]]):
        raise ProofError("a field of the transaction is a list, not bytes")
    number = int.from_bytes(items[chain_at], "big")
    chain: int | None = number
    if legacy:
        chain = (number - 35) // 2 if number >= 35 else None
    return DecodedTransaction(kind, chain, items[to_at], items[data_at])


# ------------------------------------------------------------------------------ tries


def trie_key(index: int) -> bytes:
    """The key of the `index`-th transaction or receipt in its trie: rlp(index)."""
    return _rlp(index)


def build_trie(values: Sequence[bytes]) -> HexaryTrie:
    """A trie holding `values[i]` at rlp(i), as a block's transactions or receipts trie."""
    tree = HexaryTrie({})
    with tree.squash_changes() as batch:
        for index, value in enumerate(values):
            batch[trie_key(index)] = value
    return tree


def proof_nodes(tree: HexaryTrie, index: int) -> tuple[bytes, ...]:
    """The RLP-encoded nodes proving the value at rlp(index), root first."""
    nodes = tree.get_proof(trie_key(index))  # type: ignore[no-untyped-call]
    return tuple(_rlp(node) for node in nodes)


# What the trie library (and the RLP library under it) raises on nodes that are not trie
# nodes; RecursionError for RLP nested deeper than the stack.
_MALFORMED_NODE: Final = (
    InvalidNode,
    InvalidNibbles,
    InvalidKeyError,
    BadTrieProof,
    TrieValidationError,
    rlp.exceptions.RLPException,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    RecursionError,
)


def prove_inclusion(root: bytes, index: int, nodes: Sequence[bytes]) -> bytes:
    """The value the proof `nodes` show at rlp(index) under `root`.

    The nodes go into a HexaryTrie's database under their keccak256, exactly as
    `HexaryTrie.get_from_proof` stores them, but without decoding and re-encoding each one
    first (that doubled the cost of a check). An altered node no longer hashes to the reference
    its parent holds, so the walk finds it missing. Raises ProofError if a node on the path is
    missing, malformed or the key is absent.
    """
    for node in nodes:
        if len(node) >= _MEASURE_RLP_FROM:
            _measure_rlp(node, "a proof node")
    database = {keccak(node): bytes(node) for node in nodes}
    try:
        value = HexaryTrie(database, root_hash=root).get(trie_key(index))
    except MissingTrieNode as exc:
        raise ProofError(f"the proof does not lead to the root: {exc}") from exc
    except _MALFORMED_NODE as exc:
        raise ProofError(f"a proof node is malformed: {type(exc).__name__}") from exc
    if not value:
        raise ProofError(f"the proof shows no value at index {index}")
    return bytes(value)


# ------------------------------------------------------------------------------ from a node


@dataclass(frozen=True)
class BlockEvidence:
    """A block's header, receipts and transactions, encoded and checked against each other."""

    header: bytes
    block_hash: bytes
    number: int
    timestamp: int
    receipts: tuple[bytes, ...]
    transactions: tuple[bytes, ...]
    tx_hashes: tuple[bytes, ...]
    _tries: dict[str, HexaryTrie] = field(default_factory=dict, repr=False, compare=False)

    def _trie(self, which: str) -> HexaryTrie:
        if which not in self._tries:
            values = self.receipts if which == "receipts" else self.transactions
            self._tries[which] = build_trie(values)
        return self._tries[which]

    def receipt_proof(self, index: int) -> tuple[bytes, ...]:
        """Proof nodes of the receipt at `index` against the header's receiptsRoot."""
        return proof_nodes(self._trie("receipts"), index)

    def transaction_proof(self, index: int) -> tuple[bytes, ...]:
        """Proof nodes of the transaction at `index` against the header's transactionsRoot."""
        return proof_nodes(self._trie("transactions"), index)

    def check(self) -> None:
        """Raise ProofError unless both tries reproduce the header's roots."""
        header = BlockHeader.decode(self.header)
        if header.hash != self.block_hash:
            raise ProofError(
                f"rebuilt header of block {self.number} hashes to 0x{header.hash.hex()}, the "
                f"node says 0x{self.block_hash.hex()} (unsupported header fields?)"
            )
        if self._trie("receipts").root_hash != header.receipts_root:
            raise ProofError(f"re-encoded receipts of block {self.number} miss its receiptsRoot")
        if self._trie("transactions").root_hash != header.transactions_root:
            raise ProofError(f"re-encoded transactions of block {self.number} miss its root")


def _rpc(w3: Web3, method: str, params: list[Any]) -> Any:
    # Raw responses: web3's formatters differ between node types and would drop fields
    # (and eth-tester answers unknown methods in the result rather than raising).
    response = w3.provider.make_request(method, params)  # type: ignore[arg-type]
    if "error" in response:
        raise Web3RPCError(str(response["error"]))
    return response.get("result")


def _camel(value: Any) -> Any:
    # eth-tester leaves nested transactions in snake_case (`transaction_index`, `chain_id`);
    # real nodes and web3's top-level formatters use camelCase. One spelling downstream.
    if isinstance(value, Mapping):
        return {
            re.sub(r"_([a-z])", lambda m: m.group(1).upper(), str(k)): _camel(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_camel(v) for v in value]
    return value


def _raw_transaction(w3: Web3, tx_hash: bytes) -> bytes | None:
    try:
        raw = _rpc(w3, "eth_getRawTransactionByHash", ["0x" + tx_hash.hex()])
    except (Web3RPCError, MethodUnavailable):
        return None
    return _as_bytes(raw) if raw else None


def fetch_block_evidence(w3: Web3, block_hash: bytes) -> BlockEvidence:
    """Fetch and encode block `block_hash`: header, receipts, transactions; checked."""
    with translating():
        block = w3.eth.get_block(HexBytes(block_hash), full_transactions=True)
        receipts: list[Mapping[str, Any]]
        try:
            receipts = list(w3.eth.get_block_receipts(HexBytes(block_hash)))
        except (Web3Exception, ValueError):
            receipts = [
                w3.eth.get_transaction_receipt(cast(Mapping[str, Any], tx)["hash"])
                for tx in block["transactions"]
            ]
    receipts = sorted((_camel(r) for r in receipts), key=lambda r: int(r["transactionIndex"]))
    txs = sorted(_camel(block["transactions"]), key=lambda t: int(t["transactionIndex"]))
    raw_txs: list[bytes] = []
    raw_fetch = True
    for tx in txs:
        raw = _raw_transaction(w3, bytes(tx["hash"])) if raw_fetch else None
        if raw is None:
            raw_fetch = False  # the node lacks the method: do not ask again for every tx
            raw = encode_transaction(tx)
        if keccak(raw) != bytes(tx["hash"]):
            raise ProofError(f"cannot reproduce the raw transaction 0x{bytes(tx['hash']).hex()}")
        raw_txs.append(raw)
    evidence = BlockEvidence(
        header=encode_header(block),
        block_hash=bytes(block["hash"]),
        number=int(block["number"]),
        timestamp=int(block["timestamp"]),
        receipts=tuple(encode_receipt(r) for r in receipts),
        transactions=tuple(raw_txs),
        tx_hashes=tuple(bytes(t["hash"]) for t in txs),
    )
    evidence.check()
    return evidence
