// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {OwnedForwarder} from "./OwnedForwarder.sol";

/// @title RejectingReceiver
/// @notice TEST ONLY — never deploy outside a test chain. A partner contract that cannot receive
/// ETH: every plain transfer to it reverts. It tests that one such partner neither loses its
/// royalties (it can `releaseTo` elsewhere) nor blocks the other partners' releases.
contract RejectingReceiver is OwnedForwarder {
    /// @notice Raised on every attempt to send ETH here.
    error RejectingReceiverRefused(address sender, uint256 value);

    constructor(address owner_) OwnedForwarder(owner_) {}

    receive() external payable {
        revert RejectingReceiverRefused(msg.sender, msg.value);
    }
}
