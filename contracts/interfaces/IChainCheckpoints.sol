// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ISemver} from "./ISemver.sol";

/// @title IChainCheckpoints
/// @notice Public checkpoints of another chain: an anchorer (the poc-ledger service) posts, now
/// and then, the Merkle root of the block hashes of a range of blocks of a consortium chain.
/// Deployed on a public chain, it shows to anyone, without the consortium's nodes, that those
/// block hashes existed no later than the public block holding the checkpoint: rewriting the
/// consortium chain afterwards cannot change what was posted here.
///
/// Each anchorer keeps, per source chain, one unbroken sequence of checkpoints: the first may
/// start at any block, every later one starts right after the previous one ends. The contract
/// cannot see the source chain; it records who posted what, in order.
///
/// The root is that of an OpenZeppelin StandardMerkleTree (npm openzeppelin/merkle-tree) whose
/// leaves are `(uint256 blockNumber, bytes32 blockHash)` for every block of the range:
/// leaf = keccak256(bytes.concat(keccak256(abi.encode(blockNumber, blockHash)))), inner nodes
/// hash their two children in ascending order. docs/proofs.md describes the checking.
interface IChainCheckpoints is ISemver {
    // ---------------------------------------------------------------- errors

    /// @notice `toBlock` is before `fromBlock`: a checkpoint covers at least one block.
    error CheckpointEmptyRange(uint64 fromBlock, uint64 toBlock);
    /// @notice The range does not start right after the anchorer's previous checkpoint of
    /// `sourceChainId`, which ended at `expectedFromBlock - 1`.
    error CheckpointNotContiguous(uint256 sourceChainId, uint64 expectedFromBlock, uint64 fromBlock);
    /// @notice The Merkle root and the last block hash must not be zero.
    error CheckpointZeroHash();

    // ---------------------------------------------------------------- events

    /// @notice `anchorer` posted checkpoint `sequence` (1, 2, ...) of chain `sourceChainId`:
    /// blocks `fromBlock` to `toBlock`, the last of which has hash `lastBlockHash`, with the
    /// Merkle root `root` of all their block hashes.
    event Checkpointed(
        address indexed anchorer,
        uint256 indexed sourceChainId,
        uint64 indexed sequence,
        uint64 fromBlock,
        uint64 toBlock,
        bytes32 lastBlockHash,
        bytes32 root
    );

    // ---------------------------------------------------------------- writing

    /// @notice Posts the caller's next checkpoint of chain `sourceChainId`.
    /// @dev Requires `fromBlock <= toBlock`, non-zero `lastBlockHash` and `root`, and, after the
    /// caller's first checkpoint of that chain, `fromBlock` equal to the previous `toBlock + 1`.
    /// Emits {Checkpointed}.
    /// @param sourceChainId The chain id of the checkpointed (consortium) chain.
    /// @param fromBlock The first block number the checkpoint covers.
    /// @param toBlock The last block number the checkpoint covers (inclusive).
    /// @param lastBlockHash The hash of block `toBlock`.
    /// @param root The StandardMerkleTree root over (number, hash) of blocks `fromBlock`..`toBlock`.
    /// @return sequence The checkpoint's number in the caller's sequence for that chain (from 1).
    function checkpoint(uint256 sourceChainId, uint64 fromBlock, uint64 toBlock, bytes32 lastBlockHash, bytes32 root)
        external
        returns (uint64 sequence);

    // ---------------------------------------------------------------- reading

    /// @notice The latest checkpoint of `anchorer` for chain `sourceChainId`.
    /// @param anchorer The account that posts the checkpoints.
    /// @param sourceChainId The chain id of the checkpointed chain.
    /// @return sequence Its number (0: none yet).
    /// @return toBlock The last block it covers (0 when there is none).
    function latest(address anchorer, uint256 sourceChainId) external view returns (uint64 sequence, uint64 toBlock);
}
