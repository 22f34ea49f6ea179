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
- fetches what a block needs from a node (`fetch_block_evidence`): `eth_getBlockReceipts` when
  the node has it, per-transaction receipts otherwise; raw transactions by
  `eth_getRawTransactionByHash` when available, re-encoded from their fields otherwise.

Everything fetched is checked while building (tries against the header's roots, header against
the block hash, raw transactions against their hashes), so a node that returns inconsistent
data makes `ProofError`, never a proof that does not verify. Proof bundles:
`ledger.evidence.bundle`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import rlp
from eth_bloom.bloom import BloomFilter
from eth_utils.address import to_canonical_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from trie.exceptions import MissingTrieNode
from trie.hexary import HexaryTrie
from web3 import Web3
from web3.exceptions import MethodUnavailable, Web3Exception, Web3RPCError

from ledger.chain.translate import translating
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
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return bytes(HexBytes(value))
    raise ProofError(f"expected bytes or hex, got {value!r}")


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
        try:
            items = rlp.decode(raw)
        except rlp.exceptions.DecodingError as exc:
            raise ProofError(f"the header is not valid RLP: {exc}") from exc
        if not isinstance(items, list) or len(items) < len(_BASE_HEADER_FIELDS):
            raise ProofError("the header has too few fields")
        if not all(isinstance(item, bytes) for item in items):
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


def decode_receipt_logs(encoded: bytes) -> tuple[ReceiptLog, ...]:
    """The logs of a receipt encoded as in the trie; raise ProofError if it does not decode."""
    body = encoded[1:] if encoded and encoded[0] < 0x7F else encoded
    try:
        items = rlp.decode(body)
        return tuple(
            ReceiptLog(address=bytes(log[0]), topics=tuple(bytes(t) for t in log[1]), data=log[2])
            for log in items[3]
        )
    except (rlp.exceptions.DecodingError, IndexError, TypeError) as exc:
        raise ProofError(f"the receipt does not decode: {exc}") from exc


def receipt_status(encoded: bytes) -> int:
    """Status (1 success, 0 failure) of an encoded post-Byzantium receipt."""
    body = encoded[1:] if encoded and encoded[0] < 0x7F else encoded
    try:
        return int.from_bytes(rlp.decode(body)[0], "big")
    except (rlp.exceptions.DecodingError, IndexError, TypeError) as exc:
        raise ProofError(f"the receipt does not decode: {exc}") from exc


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
    try:
        if raw and raw[0] >= 0xC0:
            items = rlp.decode(raw)
            v = int.from_bytes(items[6], "big")
            chain = (v - 35) // 2 if v >= 35 else None
            return DecodedTransaction(0, chain, items[3], items[5])
        kind = raw[0]
        items = rlp.decode(raw[1:])
        chain_id = int.from_bytes(items[0], "big")
        if kind == 1:
            return DecodedTransaction(1, chain_id, items[4], items[6])
        if kind in (2, 3, 4):
            return DecodedTransaction(kind, chain_id, items[5], items[7])
    except (rlp.exceptions.DecodingError, IndexError, TypeError) as exc:
        raise ProofError(f"the transaction does not decode: {exc}") from exc
    raise ProofError(f"unknown transaction type {raw[:1].hex()}")


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


def prove_inclusion(root: bytes, index: int, nodes: Sequence[bytes]) -> bytes:
    """The value the proof `nodes` show at rlp(index) under `root`.

    The nodes go into a HexaryTrie's database under their keccak256, exactly as
    `HexaryTrie.get_from_proof` stores them, but without decoding and re-encoding each one
    first (that doubled the cost of a check). An altered node no longer hashes to the reference
    its parent holds, so the walk finds it missing. Raises ProofError if a node on the path is
    missing, malformed or the key is absent.
    """
    database = {keccak(node): bytes(node) for node in nodes}
    try:
        value = HexaryTrie(database, root_hash=root).get(trie_key(index))
    except MissingTrieNode as exc:
        raise ProofError(f"the proof does not lead to the root: {exc}") from exc
    except (rlp.exceptions.DecodingError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise ProofError(f"a proof node is malformed: {exc}") from exc
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
