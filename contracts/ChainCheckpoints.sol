// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IChainCheckpoints} from "./interfaces/IChainCheckpoints.sol";
import {Semver} from "./Semver.sol";

/// @title ChainCheckpoints
/// @notice Implementation of {IChainCheckpoints}; see the interface for the rules and NatSpec.
/// @dev No owner, no upgrade: a checkpoint, once posted, stays. One storage slot per anchorer and
/// source chain; everything else lives in the events, which receipts prove.
contract ChainCheckpoints is IChainCheckpoints, Semver {
    // ---------------------------------------------------------------- storage

    /// @dev The latest checkpoint of an anchorer for a source chain, in one slot.
    struct Head {
        uint64 sequence;
        uint64 toBlock;
    }

    mapping(address anchorer => mapping(uint256 sourceChainId => Head)) private _heads;

    // ---------------------------------------------------------------- external

    /// @inheritdoc IChainCheckpoints
    function checkpoint(uint256 sourceChainId, uint64 fromBlock, uint64 toBlock, bytes32 lastBlockHash, bytes32 root)
        external
        returns (uint64 sequence)
    {
        if (toBlock < fromBlock) revert CheckpointEmptyRange(fromBlock, toBlock);
        if (lastBlockHash == bytes32(0) || root == bytes32(0)) revert CheckpointZeroHash();
        Head memory head = _heads[msg.sender][sourceChainId];
        if (head.sequence != 0 && fromBlock != head.toBlock + 1) {
            revert CheckpointNotContiguous(sourceChainId, head.toBlock + 1, fromBlock);
        }
        sequence = head.sequence + 1;
        _heads[msg.sender][sourceChainId] = Head({sequence: sequence, toBlock: toBlock});
        emit Checkpointed({
            anchorer: msg.sender,
            sourceChainId: sourceChainId,
            sequence: sequence,
            fromBlock: fromBlock,
            toBlock: toBlock,
            lastBlockHash: lastBlockHash,
            root: root
        });
    }

    /// @inheritdoc IChainCheckpoints
    function latest(address anchorer, uint256 sourceChainId) external view returns (uint64 sequence, uint64 toBlock) {
        Head memory head = _heads[anchorer][sourceChainId];
        return (head.sequence, head.toBlock);
    }

    // ---------------------------------------------------------------- internal

    function _codeVersion() internal pure override returns (string memory) {
        return "1.0.0";
    }
}
