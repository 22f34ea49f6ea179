"""The errors of ChainCheckpoints, one class each."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.chain.reverts.base import (
    ConflictRevertError,
    InvalidArgumentRevertError,
)

# ------------------------------------------------------------------------------ ChainCheckpoints


@dataclass(eq=False)
class CheckpointEmptyRange(InvalidArgumentRevertError, code="checkpoint_empty_range"):
    """Raised when a checkpoint's last block is before its first."""

    from_block: int
    to_block: int


@dataclass(eq=False)
class CheckpointNotContiguous(ConflictRevertError, code="checkpoint_not_contiguous"):
    """Raised when a checkpoint does not start right after the anchorer's previous one."""

    source_chain_id: int
    expected_from_block: int
    from_block: int


@dataclass(eq=False)
class CheckpointZeroHash(InvalidArgumentRevertError, code="checkpoint_zero_hash"):
    """Raised when a checkpoint's Merkle root or last block hash is zero."""
