// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {OwnedForwarder} from "./OwnedForwarder.sol";

/// @title ERC1271Wallet
/// @notice TEST ONLY — never deploy outside a test chain. A minimal Safe-like contract wallet
/// with one owner: it validates signatures by ERC-1271 (the owner's ECDSA signature over the
/// digest itself) and forwards the owner's calls, so it can be a project partner that both acts
/// directly and signs relayed actions.
contract ERC1271Wallet is IERC1271, OwnedForwarder {
    constructor(address owner_) OwnedForwarder(owner_) {}

    /// @notice Accepts ETH, e.g. royalty payouts.
    receive() external payable {}

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(hash, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == owner) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }
}
