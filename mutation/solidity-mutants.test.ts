import { describe, expect, it } from 'vitest'
import { solidityMutants } from './solidity-mutants.ts'

const CONTRACT = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @notice Pays x < y "quoted" (not code).
contract Pool is Ownable {
    uint256 public constant LIMIT = 10_000;
    mapping(address => uint256) public paid;
    uint256 total;

    modifier onlyPositive(uint256 a) {
        require(a > 0, "zero");
        _;
    }

    function pay(address to, uint256 amount) external onlyOwner onlyPositive(amount) returns (uint256 left) {
        if (total + amount > LIMIT) revert("over");
        uint256 before = paid[to];
        paid[to] = before + amount;
        total += amount;
        emit Paid(to, amount);
        _send(to, amount);
        left = LIMIT - total;
        // mutation-ignore-next-line: the flag is only read off-chain
        bool flag = !(amount == 1) && true;
    }
}
`

const mutants = solidityMutants(CONTRACT)
const at = (line: number) => mutants.filter((m) => m.line === line).map((m) => `${m.operator}:${m.original}→${m.replacement}`)

describe('Solidity mutants', () => {
  it('flips comparisons in code, never in comments, strings, pragmas or mapping arrows', () => {
    expect(at(12)).toEqual(expect.arrayContaining(['relational:>→>=', 'relational:>→<=', 'condition:a > 0→true']))
    expect(at(5)).toEqual([])
    expect(at(2)).toEqual([])
    expect(at(8)).toEqual([])
  })

  it('removes a guard by making its condition false, and only false: forcing it true reverts every call', () => {
    expect(at(17)).toContain('condition:total + amount > LIMIT→false')
    expect(at(17)).not.toContain('condition:total + amount > LIMIT→true')
    expect(at(17)).toEqual(expect.arrayContaining(['arithmetic:+→-', 'relational:>→<=']))
  })

  it('removes each modifier of a function, arguments included, but not keywords or the returns clause', () => {
    expect(at(16).filter((m) => m.startsWith('modifier'))).toEqual(['modifier:onlyOwner→', 'modifier:onlyPositive(amount)→'])
  })

  it('changes numeric constants one up and one down, reading digit separators', () => {
    expect(at(7)).toEqual(['constant:10_000→10001', 'constant:10_000→9999'])
  })

  it('deletes assignments, compound assignments, emits and calls, but not declarations or the placeholder', () => {
    expect(at(19)).toContain('statement:paid[to] = before + amount;→')
    expect(at(20)).toContain('statement:total += amount;→')
    expect(at(20)).toContain('arithmetic:+=→-=')
    expect(at(21)).toEqual(['statement:emit Paid(to, amount);→'])
    expect(at(22)).toEqual(['statement:_send(to, amount);→'])
    expect(at(18).some((m) => m.startsWith('statement'))).toBe(false)
    expect(at(13)).toEqual([])
  })

  it('skips a line marked mutation-ignore-next-line', () => {
    expect(at(25)).toEqual([])
    expect(at(23)).toEqual(expect.arrayContaining(['arithmetic:-→+', 'statement:left = LIMIT - total;→']))
  })

  it('applies each mutant at its own offsets', () => {
    for (const m of mutants) expect(CONTRACT.slice(m.start, m.end)).toBe(m.original)
    expect(new Set(mutants.map((m) => `${m.start}/${m.end}/${m.replacement}`)).size).toBe(mutants.length)
  })
})
