import { describe, expect, it } from 'vitest'
import { jobEscrowAbi, jobGovernorAbi } from './generated/contracts.ts'
import { REVERTS } from './explain-error.ts'

describe('explainChainError', () => {
  it('has a sentence for every named error the settlement contracts can revert with', () => {
    const names = [...jobEscrowAbi, ...jobGovernorAbi].filter((item) => item.type === 'error').map((item) => item.name)
    expect(names.length).toBeGreaterThan(30)
    expect(names.filter((name) => !(name in REVERTS))).toEqual([])
    // Every sentence renders with the error's arguments, whatever their types.
    for (const name of names) expect(REVERTS[name]!([1n, 2n, 3n])).toMatch(/^[a-z]/)
  })
})
