// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockERC20
/// @notice TEST ONLY — never deploy outside a test chain. A plain ERC-20 anyone can mint, used as
/// well-behaved revenue token for the royalty vault's tests and benchmarks.
contract MockERC20 is ERC20 {
    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {}

    /// @notice Mints `amount` to `to`. Unrestricted on purpose: this is a test token.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
