import { readFileSync } from 'node:fs'
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

describe('Solidity mutants of the escrow and the governor', () => {
  const contract = (name: string) => readFileSync(new URL(`../contracts/${name}`, import.meta.url), 'utf8')
  /** The mutants made on the first line of `name` that contains `snippet`, as operator:original→replacement. */
  const on = (name: string, snippet: string) => {
    const source = contract(name)
    const line = source.split('\n').findIndex((l) => l.includes(snippet)) + 1
    if (line === 0) throw new Error(`${name} has no line with ${snippet}`)
    return solidityMutants(source).filter((m) => m.line === line).map((m) => `${m.operator}:${m.original}→${m.replacement}`)
  }

  it('reach every check the settlement relies on', () => {
    // Challenge period: claims before it, vetoes after it.
    expect(on('JobEscrow.sol', 'revert NotFinal(')).toEqual(expect.arrayContaining(['relational:<→<=', 'arithmetic:+→-', 'condition:block.timestamp < uint256(e.postedAt) + j.challengePeriod→false']))
    expect(on('JobEscrow.sol', 'revert ChallengeOver(')).toEqual(expect.arrayContaining(['relational:>=→>']))
    // Epochs one after another, and the cumulative bookkeeping.
    expect(on('JobEscrow.sol', 'revert WrongEpoch(')).toEqual(expect.arrayContaining(['relational:!=→==', 'constant:1→2', 'constant:1→0', 'condition:epoch != j.epoch + 1→false']))
    expect(on('JobEscrow.sol', 'revert CumulativeMismatch(')).toEqual(expect.arrayContaining(['relational:!=→==', 'arithmetic:+→-']))
    expect(on('JobEscrow.sol', 'j.reserved = cumulative;')).toEqual(['statement:j.reserved = cumulative;→'])
    expect(on('JobEscrow.sol', 'e.claimed += amount;')).toEqual(expect.arrayContaining(['arithmetic:+=→-=', 'statement:e.claimed += amount;→']))
    expect(on('JobEscrow.sol', 'j.reserved = e.cumulative - e.amount;')).toEqual(expect.arrayContaining(['arithmetic:-→+']))
    // Who may veto, pause, reclaim and change the coordinator.
    expect(on('JobEscrow.sol', 'revert NotOwnerOrGovernor(')).toEqual(expect.arrayContaining(['logical:&&→||', 'relational:!=→==']))
    for (const header of ['function setPaused(', 'function proposeCoordinator(', 'function reclaim(']) expect(on('JobEscrow.sol', header)).toContain('modifier:onlyOwner(key)→')
    expect(on('JobEscrow.sol', 'function reclaim(')).toContain('modifier:nonReentrant→')
    // Pause, claim window, coordinator timelock.
    expect(on('JobEscrow.sol', 'return _job(key).pausedUntil > block.timestamp;')).toEqual(expect.arrayContaining(['relational:>→>=']))
    expect(on('JobEscrow.sol', 'uint256 opens = uint256(deadlineOf(j)) + claimWindow;')).toEqual(['arithmetic:+→-'])
    expect(on('JobEscrow.sol', 'j.nextCoordinatorAt = uint64(block.timestamp) + coordinatorDelay;')).toEqual(expect.arrayContaining(['arithmetic:+→-']))
    expect(on('JobEscrow.sol', 'revert CoordinatorNotReady(')).toEqual(expect.arrayContaining(['relational:<→<=']))
    // The governor's quorum, majority and caps.
    expect(on('JobGovernor.sol', 'return p.forVotes + p.againstVotes >= Math.mulDiv(')).toEqual(expect.arrayContaining(['relational:>=→>', 'constant:10_000→10001']))
    expect(on('JobGovernor.sol', 'uint256 weight = Math.min(')).toEqual(expect.arrayContaining(['arithmetic:-→+']))
    expect(on('JobGovernor.sol', 'bool decided = p.forVotes > p.snapshotTotal / 2;')).toEqual(expect.arrayContaining(['relational:>→>=', 'arithmetic:/→*']))
    expect(on('JobGovernor.sol', 'if (credit > total) revert CreditAboveTotal(')).toEqual(expect.arrayContaining(['relational:>→>=']))
  })
})
