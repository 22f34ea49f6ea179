// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FalseReturnToken
/// @notice TEST ONLY — never deploy outside a test chain. An ERC-20 whose `transfer` and/or
/// `transferFrom` can be switched to return `false` without moving anything, like some legacy
/// tokens do instead of reverting. It tests that the vault treats `false` as failure.
contract FalseReturnToken is ERC20 {
    /// @notice Whether `transfer` returns false.
    bool public failTransfer;
    /// @notice Whether `transferFrom` returns false.
    bool public failTransferFrom;

    constructor() ERC20("False Return", "FALSE") {}

    /// @notice Mints `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Switches the failure modes.
    function setFailures(bool transfer_, bool transferFrom_) external {
        failTransfer = transfer_;
        failTransferFrom = transferFrom_;
    }

    /// @inheritdoc ERC20
    function transfer(address to, uint256 value) public override returns (bool) {
        if (failTransfer) return false;
        return super.transfer(to, value);
    }

    /// @inheritdoc ERC20
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (failTransferFrom) return false;
        return super.transferFrom(from, to, value);
    }
}
