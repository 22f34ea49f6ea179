"""An independent public anchor: proving that a consortium block hash existed by the time of a
public chain's block, and checking that proof.

Now and then the service posts a checkpoint of the consortium chain on a public chain through
`ChainCheckpoints` (`ledger.evidence.anchor_job` does it; `ledger.chain.checkpoints` talks to the
contract). A checkpoint covers the blocks since the previous one, `fromBlock` to `toBlock`, by
the root of an OpenZeppelin StandardMerkleTree over one leaf per block::

    leaf(n) = keccak256(keccak256(abi.encode(uint256 n, bytes32 blockHash(n))))

(`ledger.domain.merkle`'s layout: leaves sorted, inner nodes hash their children in ascending
order), and names the last block's hash too. Block numbers are in the leaves so that a proof
shows *which* block had the hash.

A bundle whose registration block is covered carries (`CheckpointProof`, JSON below) the
`Checkpointed` log as a log proof against the public chain's block header (header, receipt and
transaction with their Merkle-Patricia proofs, exactly as the bundle's own logs), and the Merkle
proof from the registration block's leaf to the checkpoint's root. Checked (`check_checkpoint`):

offline, from the bundle alone
- `log`: keccak256 of the header is the public block hash; the receipt and transaction lie in
  the header's tries at the transaction's index; the transaction was signed for the public
  chain id; the receipt succeeded and holds a `Checkpointed` log of `contract` whose topics and
  data decode to the stated arguments (anchorer, sourceChainId, sequence, fromBlock, toBlock,
  lastBlockHash, root);
- `sourceChainId` is the bundle's chain; the registration block lies in fromBlock..toBlock;
- `leafHash` is leaf(registration block number, registration block hash);
- `merkleProof` leads from `leafHash` to the checkpoint's `root`.

online, against any node of the public chain (`check_checkpoint_online`)
- its chain id; the node's block at that height has that hash and its receiptsRoot proves the
  receipt (the node's header, not the bundle's); the log sits at the stated index;
- the code at `contract` is ChainCheckpoints' runtime code (no immutables: byte for byte), so a
  look-alike contract cannot claim a checkpoint for someone else;
- the contract's `latest(anchorer, sourceChainId)` has reached that sequence.

What it proves: the public chain holds, since that public block's time, a root that only the
consortium block hashes of that range produce. A consortium chain rewritten later (every node)
has other hashes: a bundle of the rewritten chain cannot show its block under that root, and
the genuine bundle still verifies against the public chain.

JSON form (the bundle's `checkpoint` section)::

    {"chainId": <public chain id>, "contract": "0x…" (ChainCheckpoints),
     "leafEncoding": ["uint256", "bytes32"], "leafHash": "0x…",
     "merkleProof": ["0x…", …],   (siblings, bottom up; empty for a one-block checkpoint)
     "log": {<log proof: "event": "Checkpointed", "args": {"anchorer", "sourceChainId",
             "sequence", "fromBlock", "toBlock", "lastBlockHash", "root"}, "txHash", "txIndex",
             "blockNumber", "blockHash", "blockTimestamp", "logIndex", "header", "receipt",
             "receiptProof", "transaction", "transactionProof">}}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_canonical_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3

from ledger.chain.artifacts import load_artifact
from ledger.chain.checkpoints import (
    CHECKPOINTED_EVENT,
    CHECKPOINTS_CONTRACT,
    ChainCheckpointsClient,
    Checkpoint,
    CheckpointLog,
    checkpointed_topic,
    decode_checkpointed,
)
from ledger.chain.receipts import block_hashes
from ledger.chain.translate import translating
from ledger.domain.codec import from_hex as unhex
from ledger.domain.codec import to_hex as hex0x
from ledger.domain.merkle import process_proof, standard_layout, standard_proof
from ledger.domain.values import checksum
from ledger.errors import LedgerError, NotAnchoredError, ProofError
from ledger.evidence.block_evidence import (
    BlockEvidence,
    BlockHeader,
    decode_receipt,
    decode_transaction,
    fetch_block_evidence,
    prove_inclusion,
)
from ledger.evidence.bundle import LogProof, iso_utc

BLOCK_LEAF_TYPES: Final = ("uint256", "bytes32")
# A proof longer than this would need a tree of more than 2^64 blocks.
MAX_PROOF_NODES: Final = 64
CHECKPOINT_ARGS: Final = (
    "anchorer",
    "sourceChainId",
    "sequence",
    "fromBlock",
    "toBlock",
    "lastBlockHash",
    "root",
)


def block_leaf_hash(number: int, block_hash: bytes) -> bytes:
    """The StandardMerkleTree leaf of block `number` with hash `block_hash`."""
    return keccak(keccak(abi_encode(list(BLOCK_LEAF_TYPES), [number, bytes(block_hash)])))


@dataclass(frozen=True)
class BlockHashTree:
    """The tree of a checkpoint: blocks `from_block` .. `from_block + len(hashes) - 1`."""

    from_block: int
    hashes: tuple[bytes, ...]
    nodes: tuple[bytes, ...]
    tree_indices: tuple[int, ...]

    @classmethod
    def of(cls, from_block: int, hashes: Sequence[bytes]) -> BlockHashTree:
        leaves = [block_leaf_hash(from_block + i, h) for i, h in enumerate(hashes)]
        nodes, indices = standard_layout(leaves)
        return cls(from_block, tuple(bytes(h) for h in hashes), nodes, indices)

    @property
    def root(self) -> bytes:
        return self.nodes[0]

    @property
    def to_block(self) -> int:
        return self.from_block + len(self.hashes) - 1

    def proof(self, number: int) -> tuple[bytes, ...]:
        """The Merkle proof of block `number`'s leaf."""
        if not self.from_block <= number <= self.to_block:
            raise IndexError(f"block {number} is not in {self.from_block}..{self.to_block}")
        return standard_proof(self.nodes, self.tree_indices[number - self.from_block])


def checkpoint_args(checkpoint: Checkpoint) -> dict[str, Any]:
    """A checkpoint's `Checkpointed` arguments as a bundle states them (ABI order)."""
    return {
        "anchorer": checksum(checkpoint.anchorer),
        "sourceChainId": checkpoint.source_chain_id,
        "sequence": checkpoint.sequence,
        "fromBlock": checkpoint.from_block,
        "toBlock": checkpoint.to_block,
        "lastBlockHash": hex0x(checkpoint.last_block_hash),
        "root": hex0x(checkpoint.root),
    }


# ------------------------------------------------------------------------------ the model


@dataclass(frozen=True)
class CheckpointProof:
    """A registration block's public checkpoint (see the module docstring for the JSON)."""

    chain_id: int
    contract: str
    leaf_hash: bytes
    merkle_proof: tuple[bytes, ...]
    log: LogProof

    def to_json(self) -> dict[str, Any]:
        return {
            "chainId": self.chain_id,
            "contract": checksum(self.contract),
            "leafEncoding": list(BLOCK_LEAF_TYPES),
            "leafHash": hex0x(self.leaf_hash),
            "merkleProof": [hex0x(node) for node in self.merkle_proof],
            "log": self.log.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CheckpointProof:
        """Parse (KeyError/ValueError/TypeError on malformed input; `check_checkpoint` reports
        those as problems instead)."""
        return cls(
            chain_id=int(data["chainId"]),
            contract=checksum(str(data["contract"])),
            leaf_hash=unhex(data["leafHash"]),
            merkle_proof=tuple(unhex(node) for node in data["merkleProof"]),
            log=LogProof.from_json(data["log"]),
        )

    @property
    def sequence(self) -> int:
        return int(self.log.args["sequence"])

    @property
    def root(self) -> bytes:
        return unhex(self.log.args["root"])


# ------------------------------------------------------------------------------ proving


class CheckpointProver:
    """Finds the checkpoint covering a consortium block and builds its proof.

    `source` is a node of the consortium chain, `public` one of the public chain; `anchorer`
    the account that posts the checkpoints; `public_from_block` where to start looking for them
    (the contract's deployment block). Trees and public blocks are cached per prover.
    """

    def __init__(
        self,
        source: Web3,
        public: Web3,
        contract: str,
        *,
        anchorer: str,
        source_chain_id: int,
        public_from_block: int = 0,
    ) -> None:
        self.source = source
        self.public = public
        self.client = ChainCheckpointsClient(public, contract)
        self.anchorer = checksum(anchorer)
        self.source_chain_id = source_chain_id
        self.public_from_block = public_from_block
        self._logs: list[CheckpointLog] = []
        self._trees: dict[int, BlockHashTree] = {}
        self._blocks: dict[bytes, BlockEvidence] = {}
        with translating():
            self.public_chain_id = int(public.eth.chain_id)

    def covering(self, block_number: int) -> CheckpointLog:
        """The `Checkpointed` log covering `block_number`; NotAnchoredError if none does yet."""
        for log in self._logs:
            if log.checkpoint.covers(block_number):
                return log
        self._logs = self.client.logs(
            self.anchorer, self.source_chain_id, from_block=self.public_from_block
        )
        for log in self._logs:
            if log.checkpoint.covers(block_number):
                return log
        if not self._logs:
            raise NotAnchoredError(
                f"block {block_number} is not anchored: {self.anchorer} has posted no checkpoint "
                f"of chain {self.source_chain_id} on chain {self.public_chain_id} yet"
            )
        last = self._logs[-1].checkpoint
        if block_number > last.to_block:
            raise NotAnchoredError(
                f"block {block_number} is not anchored yet: the latest checkpoint "
                f"({last.sequence}) covers blocks up to {last.to_block}"
            )
        raise NotAnchoredError(
            f"block {block_number} is not anchored: the checkpoints start at block "
            f"{self._logs[0].checkpoint.from_block}"
        )

    def tree(self, log: CheckpointLog) -> BlockHashTree:
        """The checkpoint's tree rebuilt from the consortium node; ProofError when the node's
        block hashes no longer give the posted root (the chain was rewritten since)."""
        sequence = log.checkpoint.sequence
        if sequence not in self._trees:
            numbers = list(range(log.checkpoint.from_block, log.checkpoint.to_block + 1))
            found = block_hashes(self.source, numbers)
            missing = [n for n in numbers if found.get(n) is None]
            if missing:
                raise ProofError(
                    f"the consortium node lacks blocks {missing[0]}..{missing[-1]} of checkpoint "
                    f"{sequence}"
                )
            hashes = [bytes(HexBytes(str(found[n]))) for n in numbers]
            tree = BlockHashTree.of(log.checkpoint.from_block, hashes)
            if tree.root != log.checkpoint.root:
                raise ProofError(
                    f"the consortium chain's blocks {numbers[0]}..{numbers[-1]} no longer give "
                    f"the root of public checkpoint {sequence} (posted in public block "
                    f"{log.block_number}): the chain was rewritten since it was anchored"
                )
            self._trees[sequence] = tree
        return self._trees[sequence]

    def prove(self, block_number: int, block_hash: bytes) -> CheckpointProof:
        """The checkpoint proof of consortium block `block_number` with hash `block_hash`.

        Raises NotAnchoredError when no checkpoint covers the block yet, ProofError when the
        block hash is not the one the checkpoint anchored."""
        log = self.covering(block_number)
        tree = self.tree(log)
        anchored = tree.hashes[block_number - tree.from_block]
        if anchored != bytes(block_hash):
            raise ProofError(
                f"block {block_number} had hash {hex0x(anchored)} when checkpoint "
                f"{log.checkpoint.sequence} anchored it, not {hex0x(block_hash)}"
            )
        return CheckpointProof(
            chain_id=self.public_chain_id,
            contract=self.client.address,
            leaf_hash=block_leaf_hash(block_number, block_hash),
            merkle_proof=tree.proof(block_number),
            log=self._log_proof(log),
        )

    def _log_proof(self, log: CheckpointLog) -> LogProof:
        block = self._blocks.get(log.block_hash)
        if block is None:
            block = fetch_block_evidence(self.public, log.block_hash)
            self._blocks[log.block_hash] = block
        return LogProof(
            event=CHECKPOINTED_EVENT,
            args=checkpoint_args(log.checkpoint),
            tx_hash=log.tx_hash,
            tx_index=log.tx_index,
            block_number=log.block_number,
            block_hash=log.block_hash,
            block_timestamp=block.timestamp,
            log_index=log.log_index,
            header=block.header,
            receipt=block.receipts[log.tx_index],
            receipt_proof=block.receipt_proof(log.tx_index),
            transaction=block.transactions[log.tx_index],
            transaction_proof=block.transaction_proof(log.tx_index),
        )


# ------------------------------------------------------------------------------ checking


@dataclass(frozen=True)
class CheckpointProblem:
    """One reason a checkpoint proof fails, and the JSON paths (under `path`) it blames."""

    message: str
    fields: tuple[str, ...]


@dataclass
class _Problems:
    path: str
    items: list[CheckpointProblem] = field(default_factory=list)

    def add(self, message: str, *fields: str) -> None:
        self.items.append(CheckpointProblem(message, tuple(f"{self.path}.{f}" for f in fields)))

    def expect(self, ok: bool, message: str, *fields: str) -> bool:
        if not ok:
            self.add(message, *fields)
        return ok


def _diff(stated: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    def norm(value: Any) -> Any:
        return value.lower() if isinstance(value, str) and value.startswith("0x") else value

    keys = list(stated) + [k for k in actual if k not in stated]
    return [
        k
        for k in keys
        if k not in stated
        or k not in actual
        or type(stated[k]) is not type(actual[k])
        or norm(stated[k]) != norm(actual[k])
    ]


def _check_log(p: _Problems, proof: CheckpointProof) -> BlockHeader | None:
    """The log proof against its own header; returns the header when it decodes."""
    log = proof.log
    header: BlockHeader | None = None
    try:
        header = BlockHeader.decode(log.header)
    except ProofError as exc:
        p.add(f"header: {exc}", "log.header")
    if header is not None:
        p.expect(
            header.hash == log.block_hash,
            f"the public header hashes to {hex0x(header.hash)}, not to the stated block hash",
            "log.header",
            "log.blockHash",
        )
        p.expect(
            header.number == log.block_number,
            f"the public header is block {header.number}, not {log.block_number}",
            "log.blockNumber",
        )
        p.expect(
            header.timestamp == log.block_timestamp,
            f"the public header's time is {iso_utc(header.timestamp)}, not the stated time",
            "log.blockTimestamp",
        )
        for name, root, value, nodes in (
            ("transaction", header.transactions_root, log.transaction, log.transaction_proof),
            ("receipt", header.receipts_root, log.receipt, log.receipt_proof),
        ):
            try:
                p.expect(
                    prove_inclusion(root, log.tx_index, nodes) == value,
                    f"the {name} is not the one the proof shows at that index",
                    f"log.{name}",
                    "log.txIndex",
                )
            except ProofError as exc:
                p.add(f"{name} proof: {exc}", f"log.{name}Proof", "log.txIndex")
    p.expect(
        keccak(log.transaction) == log.tx_hash,
        "keccak256 of the checkpoint transaction is not the stated tx hash",
        "log.txHash",
        "log.transaction",
    )
    try:
        tx = decode_transaction(log.transaction)
        p.expect(
            tx.chain_id == proof.chain_id,
            f"the checkpoint transaction was signed for chain {tx.chain_id}, not {proof.chain_id}",
            "chainId",
        )
    except ProofError as exc:
        p.add(f"transaction: {exc}", "log.transaction")
    try:
        receipt = decode_receipt(log.receipt)
        p.expect(receipt.status == 1, "the checkpoint transaction failed", "log.receipt")
        p.expect(log.event == CHECKPOINTED_EVENT, f"{log.event!r} is not Checkpointed", "log.event")
        topic = checkpointed_topic()
        address = to_canonical_address(proof.contract)
        candidates = [
            (position, entry)
            for position, entry in enumerate(receipt.logs)
            if entry.address == address and entry.topics and entry.topics[0] == topic
        ]
        if not candidates:
            p.add("the receipt has no Checkpointed log of that contract", "contract", "log.receipt")
        else:
            best: tuple[int, list[str]] | None = None
            for position, entry in candidates:
                try:
                    decoded = checkpoint_args(decode_checkpointed(entry.topics, entry.data))
                except ValueError as exc:
                    raise ProofError(str(exc)) from exc
                differing = _diff(log.args, decoded)
                if best is None or len(differing) < len(best[1]):
                    best = (position, differing)
            assert best is not None
            position, differing = best
            if differing:
                p.add(
                    "the Checkpointed log in the receipt says otherwise",
                    *(f"log.args.{name}" for name in differing),
                )
            p.expect(
                log.log_index >= position,
                f"log index {log.log_index} is below the log's position {position}",
                "log.logIndex",
            )
    except ProofError as exc:
        p.add(f"receipt: {exc}", "log.receipt")
    return header


def check_checkpoint(
    document: Mapping[str, Any],
    *,
    chain_id: int,
    block_number: int,
    block_hash: bytes,
    path: str = "checkpoint",
) -> list[CheckpointProblem]:
    """Every offline problem of the checkpoint section `document` for the consortium block
    (`chain_id`, `block_number`, `block_hash`) of a bundle; empty when it holds. Field paths
    start with `path`. Never raises on malformed input."""
    p = _Problems(path)
    try:
        proof = CheckpointProof.from_json(document)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        p.add(f"the checkpoint section is malformed: {exc}")
        return p.items
    try:
        _check_log(p, proof)
        args = proof.log.args
        if list(document.get("leafEncoding", ())) != list(BLOCK_LEAF_TYPES):
            p.add("the leaf encoding is not (uint256, bytes32)", "leafEncoding")
        p.expect(
            int(args["sourceChainId"]) == chain_id,
            f"the checkpoint is of chain {args['sourceChainId']}, not of the bundle's {chain_id}",
            "log.args.sourceChainId",
        )
        p.expect(
            int(args["fromBlock"]) <= block_number <= int(args["toBlock"]),
            f"block {block_number} is outside the checkpoint's blocks "
            f"{args['fromBlock']}..{args['toBlock']}",
            "log.args.fromBlock",
            "log.args.toBlock",
        )
        p.expect(
            proof.leaf_hash == block_leaf_hash(block_number, block_hash),
            "the leaf hash is not that of the bundle's block number and hash",
            "leafHash",
        )
        if p.expect(
            len(proof.merkle_proof) <= MAX_PROOF_NODES
            and all(len(node) == 32 for node in proof.merkle_proof),
            "the Merkle proof's nodes must be at most 64 of 32 bytes each",
            "merkleProof",
        ):
            reached = process_proof(proof.leaf_hash, proof.merkle_proof)
            p.expect(
                reached == unhex(args["root"]),
                "the Merkle proof does not lead from the block's leaf to the checkpoint's root",
                "merkleProof",
                "log.args.root",
            )
    except (LedgerError, KeyError, ValueError, TypeError, IndexError) as exc:
        p.add(f"cannot check the checkpoint: {exc}")
    return p.items


def runtime_code_matches(actual: bytes) -> bool:
    """Whether `actual` is ChainCheckpoints' runtime code (it has no immutables)."""
    return actual == bytes(HexBytes(load_artifact(CHECKPOINTS_CONTRACT).deployed_bytecode))


def check_checkpoint_online(
    document: Mapping[str, Any], public: Web3, *, path: str = "checkpoint"
) -> list[CheckpointProblem]:
    """Every problem the public chain's node `public` finds with the checkpoint section (the
    offline checks are `check_checkpoint`'s). Never raises: an unreachable node is a problem."""
    p = _Problems(path)
    try:
        proof = CheckpointProof.from_json(document)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        p.add(f"the checkpoint section is malformed: {exc}")
        return p.items
    log = proof.log
    try:
        with translating():
            actual_chain = int(public.eth.chain_id)
            if not p.expect(
                actual_chain == proof.chain_id,
                f"the node is on chain {actual_chain}, not {proof.chain_id}",
                "chainId",
            ):
                return p.items
            block = public.eth.get_block(log.block_number)
            if p.expect(
                bytes(block["hash"]) == log.block_hash,
                f"the public chain's block {log.block_number} has another hash",
                "log.blockHash",
            ):
                try:
                    p.expect(
                        prove_inclusion(
                            bytes(block["receiptsRoot"]), log.tx_index, log.receipt_proof
                        )
                        == log.receipt,
                        "the receipt is not the one the node's receiptsRoot holds",
                        "log.receipt",
                    )
                except ProofError as exc:
                    p.add(f"receipt proof against the node: {exc}", "log.receiptProof")
            receipt = public.eth.get_transaction_receipt(HexBytes(log.tx_hash))
            at_index = [
                entry for entry in receipt["logs"] if int(entry["logIndex"]) == log.log_index
            ]
            p.expect(
                len(at_index) == 1
                and checksum(at_index[0]["address"]) == proof.contract
                and bytes(at_index[0]["topics"][0]) == checkpointed_topic(),
                f"the node has no Checkpointed log at index {log.log_index}",
                "log.logIndex",
            )
            code = bytes(public.eth.get_code(checksum(proof.contract)))
            p.expect(
                runtime_code_matches(code),
                "the contract at that address is not ChainCheckpoints",
                "contract",
            )
            if not p.items:
                sequence, _ = ChainCheckpointsClient(public, proof.contract).latest(
                    str(log.args["anchorer"]), int(log.args["sourceChainId"])
                )
                p.expect(
                    sequence >= proof.sequence,
                    f"the contract's latest checkpoint of that anchorer is {sequence}, "
                    f"before {proof.sequence}",
                    "log.args.sequence",
                )
    except (LedgerError, KeyError, ValueError, TypeError, IndexError) as exc:
        p.add(f"cannot check against the public chain's node: {exc}")
    return p.items
