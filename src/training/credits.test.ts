import { describe, expect, it } from 'vitest'
import { CreditsLedger } from './credits.ts'

describe('credits ledger', () => {
  it('credits each key once, across a JSON round trip', () => {
    const ledger = new CreditsLedger()
    expect(ledger.creditVolunteer('1.0/a', 'a', 100, 8)).toBe(true)
    expect(ledger.creditVolunteer('1.0/a', 'a', 100, 8)).toBe(false)
    expect(ledger.creditData('1.0#0', 'owner', 8)).toBe(true)
    const restored = CreditsLedger.fromJSON(JSON.parse(JSON.stringify(ledger.toJSON())))
    expect(restored.creditVolunteer('1.0/a', 'a', 100, 8)).toBe(false)
    expect(restored.creditData('1.0#0', 'owner', 8)).toBe(false)
    expect(restored.volunteer('a')).toEqual({ flops: 100, units: 1, samples: 8 })
    expect(restored.dataOwner('owner')).toEqual({ flops: 0, units: 1, samples: 8 })
  })

  it('refuses a ledger with totals but no keys', () => {
    expect(() => CreditsLedger.fromJSON({ volunteers: { a: { flops: 1, units: 1, samples: 1 } }, dataOwners: {}, keys: [] })).toThrow(/no credited keys/)
  })
})
