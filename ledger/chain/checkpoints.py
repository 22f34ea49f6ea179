"""The public checkpoint contract (`ChainCheckpoints`) on the public chain: deploy it, post a
checkpoint, read an anchorer's latest one and its `Checkpointed` logs.

The contract lives on another chain than the ledger (a public L2 in production, a second anvil
in the sandbox and the tests), so this client takes its own `Web3` and `TxSender`. What a
checkpoint covers and how a bundle proves with it: `ledger.evidence.checkpoints`. Reverts are
the classes of `ledger.chain.reverts` (`CheckpointNotContiguous`, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from eth_abi.abi import decode as abi_decode
from eth_typing import ChecksumAddress
from eth_utils.abi import event_abi_to_log_topic
from hexbytes import HexBytes
from web3 import Web3
from web3.types import FilterParams

from ledger.chain.artifacts import load_artifact
from ledger.chain.deploy import deploy_contract
from ledger.chain.receipts import TxReceipt
from ledger.chain.reverts import decoding_reverts
from ledger.chain.transactions import TxRequest, TxSender
from ledger.chain.translate import translating
from ledger.domain.values import checksum, require_bytes32

CHECKPOINTS_CONTRACT: Final = "ChainCheckpoints"
CHECKPOINTED_EVENT: Final = "Checkpointed"
# Measured on anvil (cancun; scripts/bench_chain.py): 48.8 k for an anchorer's first checkpoint
# of a chain (a fresh storage slot), 31.8 k after, whatever the number of blocks covered; ~50 %
# headroom. Creation: 0.25 M.
CHECKPOINT_GAS: Final = 75_000
DEPLOY_GAS: Final = 400_000
# Data part of the Checkpointed log: fromBlock, toBlock, lastBlockHash, root.
_LOG_DATA_TYPES: Final = ("uint64", "uint64", "bytes32", "bytes32")


@dataclass(frozen=True)
class Checkpoint:
    """One posted checkpoint, as its `Checkpointed` log says."""

    anchorer: ChecksumAddress
    source_chain_id: int
    sequence: int
    from_block: int
    to_block: int
    last_block_hash: bytes
    root: bytes

    def covers(self, block_number: int) -> bool:
        return self.from_block <= block_number <= self.to_block


@dataclass(frozen=True)
class CheckpointLog:
    """A `Checkpointed` log and where it is on the public chain."""

    checkpoint: Checkpoint
    tx_hash: bytes
    tx_index: int
    block_number: int
    block_hash: bytes
    log_index: int


def checkpointed_topic() -> bytes:
    """topic0 of `Checkpointed`."""
    abi = next(
        entry
        for entry in load_artifact(CHECKPOINTS_CONTRACT).abi
        if entry.get("type") == "event" and entry.get("name") == CHECKPOINTED_EVENT
    )
    return event_abi_to_log_topic(abi)  # type: ignore[arg-type]


def decode_checkpointed(topics: Sequence[bytes], data: bytes) -> Checkpoint:
    """A `Checkpointed` log's values; ValueError if it is not one."""
    if len(topics) != 4 or bytes(topics[0]) != checkpointed_topic():
        raise ValueError("not a Checkpointed log")
    try:
        from_block, to_block, last_hash, root = abi_decode(list(_LOG_DATA_TYPES), bytes(data))
    except Exception as exc:  # eth_abi's own error family
        raise ValueError(f"Checkpointed log data does not decode: {exc}") from exc
    return Checkpoint(
        anchorer=checksum("0x" + bytes(topics[1])[12:].hex()),
        source_chain_id=int.from_bytes(topics[2], "big"),
        sequence=int.from_bytes(topics[3], "big"),
        from_block=int(from_block),
        to_block=int(to_block),
        last_block_hash=bytes(last_hash),
        root=bytes(root),
    )


def deploy_checkpoints(sender: TxSender) -> tuple[ChecksumAddress, TxReceipt]:
    """Deploy ChainCheckpoints from `sender`; its address and creation receipt."""
    artifact = load_artifact(CHECKPOINTS_CONTRACT)
    return deploy_contract(sender, artifact.abi, artifact.bytecode, gas=DEPLOY_GAS)


class ChainCheckpointsClient:
    """The checkpoint contract at `address` on the chain `w3` talks to."""

    def __init__(self, w3: Web3, address: str) -> None:
        self.w3 = w3
        self.address = checksum(address)
        self.contract = w3.eth.contract(
            address=self.address, abi=load_artifact(CHECKPOINTS_CONTRACT).abi
        )

    def __repr__(self) -> str:
        return f"ChainCheckpointsClient({self.address})"

    def version(self) -> str:
        with decoding_reverts():
            return str(self.contract.functions.version().call())

    def latest(self, anchorer: str, source_chain_id: int) -> tuple[int, int]:
        """(sequence, last block covered) of `anchorer`'s latest checkpoint of the chain;
        (0, 0) when it has none."""
        with decoding_reverts():
            sequence, to_block = self.contract.functions.latest(
                checksum(anchorer), source_chain_id
            ).call()
        return int(sequence), int(to_block)

    def post(
        self,
        sender: TxSender,
        *,
        source_chain_id: int,
        from_block: int,
        to_block: int,
        last_block_hash: bytes,
        root: bytes,
        gas: int = CHECKPOINT_GAS,
    ) -> TxReceipt:
        """Post `sender`'s next checkpoint and wait for it to be mined; reverts raise their
        `ledger.chain.reverts` class (e.g. `CheckpointNotContiguous`)."""
        data = self.contract.encode_abi(
            "checkpoint",
            args=[
                source_chain_id,
                from_block,
                to_block,
                require_bytes32(last_block_hash, "last block hash"),
                require_bytes32(root, "root"),
            ],
        )
        request = TxRequest(to=self.address, data=bytes(HexBytes(data)), gas=gas)
        with decoding_reverts():
            return sender.transact(request, estimate=True)

    def logs(
        self,
        anchorer: str,
        source_chain_id: int,
        *,
        from_block: int = 0,
        to_block: int | None = None,
    ) -> list[CheckpointLog]:
        """Every `Checkpointed` log of `anchorer` for the chain, in order."""
        with translating():
            last = int(self.w3.eth.block_number) if to_block is None else to_block
            params: FilterParams = {
                "address": self.address,
                "fromBlock": from_block,
                "toBlock": last,
                "topics": [
                    "0x" + checkpointed_topic().hex(),
                    "0x" + bytes(HexBytes(checksum(anchorer))).rjust(32, b"\0").hex(),
                    "0x" + source_chain_id.to_bytes(32, "big").hex(),
                ],
            }
            raw: list[Any] = list(self.w3.eth.get_logs(params))
        found = [
            CheckpointLog(
                checkpoint=decode_checkpointed(
                    [bytes(t) for t in log["topics"]], bytes(log["data"])
                ),
                tx_hash=bytes(log["transactionHash"]),
                tx_index=int(log["transactionIndex"]),
                block_number=int(log["blockNumber"]),
                block_hash=bytes(log["blockHash"]),
                log_index=int(log["logIndex"]),
            )
            for log in raw
        ]
        found.sort(key=lambda item: item.checkpoint.sequence)
        return found
