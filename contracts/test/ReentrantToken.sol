// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

interface IEscrowTopUp {
    function topUp(bytes32 key, uint256 amount) external payable;
}

/// @notice A hostile ERC-20 for the escrow's reentrancy tests, compiled by the test itself (never shipped): once
/// armed, its next transferFrom first tops up `key` from its own balance, re-entering the escrow mid-deposit.
contract ReentrantToken is ERC20 {
    IEscrowTopUp private _escrow;
    bytes32 private _key;
    uint256 private _amount;

    constructor() ERC20("Reentrant", "RE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(IEscrowTopUp escrow, bytes32 key, uint256 amount) external {
        _escrow = escrow;
        _key = key;
        _amount = amount;
        _approve(address(this), address(escrow), amount);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (_amount != 0 && from != address(this)) {
            uint256 amount = _amount;
            _amount = 0;
            _escrow.topUp(_key, amount);
        }
        return super.transferFrom(from, to, value);
    }
}
