// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title OwnedForwarder
/// @notice TEST ONLY — never deploy outside a test chain. Lets the deployer make the contract
/// call anything, so that a test contract can act as a project partner (accept the agreement,
/// approve splits, release) while also misbehaving in the way its subclass defines.
abstract contract OwnedForwarder {
    /// @notice Only the owner may make the contract call out.
    error ForwarderNotOwner(address account);

    /// @notice The account allowed to call {execute}.
    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    /// @notice Calls `target` with `data` and `value` from this contract; bubbles up a revert.
    /// @return result The call's return data.
    function execute(address target, uint256 value, bytes calldata data)
        external
        payable
        returns (bytes memory result)
    {
        if (msg.sender != owner) revert ForwarderNotOwner(msg.sender);
        bool ok;
        (ok, result) = target.call{value: value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }
}
