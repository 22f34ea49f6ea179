// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FeeOnTransferToken
/// @notice TEST ONLY — never deploy outside a test chain. An ERC-20 that burns `feeBps` of every
/// transfer between two holders, so the receiver gets less than the amount sent. It tests that the
/// vault allocates what actually arrived, not what was asked for.
contract FeeOnTransferToken is ERC20 {
    /// @notice Share of each transfer that is burnt, in basis points.
    uint16 public immutable feeBps;

    constructor(uint16 feeBps_) ERC20("Fee On Transfer", "FOT") {
        feeBps = feeBps_;
    }

    /// @notice Mints `amount` to `to`, free of fee.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @dev Mints and burns are free; transfers between holders lose the fee (rounded down).
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = value * feeBps / 10_000;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
