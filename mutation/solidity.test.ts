import { describe, expect, it } from 'vitest'
import { testOrder } from './solidity.ts'

const TESTS = ['contracts/governor.test.ts', 'contracts/escrow-property.test.ts', 'contracts/escrow.test.ts', 'contracts/governor-limits.test.ts', 'contracts/escrow-limits.test.ts']

describe('the order contract tests run in against a mutant', () => {
  it('runs the contract\'s own example tests first, its property tests next, the other contracts\' last', () => {
    expect(testOrder('contracts/JobEscrow.sol', TESTS)).toEqual(['contracts/escrow-limits.test.ts', 'contracts/escrow.test.ts', 'contracts/escrow-property.test.ts', 'contracts/governor-limits.test.ts', 'contracts/governor.test.ts'])
    expect(testOrder('contracts/JobGovernor.sol', TESTS)).toEqual(['contracts/governor-limits.test.ts', 'contracts/governor.test.ts', 'contracts/escrow-limits.test.ts', 'contracts/escrow.test.ts', 'contracts/escrow-property.test.ts'])
  })
})
