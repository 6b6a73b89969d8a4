import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CreditsLedger } from './credits.ts'

const pending = { verified: false, submittedAtMs: 0 }

describe('credits ledger', () => {
  it('credits each key once, across a JSON round trip', () => {
    const ledger = new CreditsLedger()
    expect(ledger.creditVolunteer('1.0', 'a', 100, 8, { verified: true, submittedAtMs: 1 })).toBe(true)
    expect(ledger.creditVolunteer('1.0', 'a', 100, 8, { verified: true, submittedAtMs: 1 })).toBe(false)
    expect(ledger.creditVolunteer('1.1', 'a', 50, 8, { verified: false, submittedAtMs: 2 })).toBe(true)
    expect(ledger.creditData('1.0#0', 'owner', 8)).toBe(true)
    const restored = CreditsLedger.fromJSON(JSON.parse(JSON.stringify(ledger.toJSON())))
    expect(restored.creditVolunteer('1.0', 'a', 100, 8, pending)).toBe(false)
    expect(restored.creditVolunteer('1.1', 'a', 100, 8, pending)).toBe(false)
    expect(restored.creditData('1.0#0', 'owner', 8)).toBe(false)
    expect(restored.volunteer('a')).toEqual({ flops: 100, units: 1, samples: 8 })
    expect(restored.pending('a')).toEqual({ flops: 50, units: 1, samples: 8 })
    expect(restored.dataOwner('owner')).toEqual({ flops: 0, units: 1, samples: 8 })
  })

  it('verifies pending credit only up to the submission an audit passed, never later work', () => {
    const ledger = new CreditsLedger()
    ledger.creditVolunteer('u1', 'a', 10, 1, { verified: false, submittedAtMs: 100 })
    ledger.creditVolunteer('u2', 'a', 20, 1, { verified: false, submittedAtMs: 200 })
    ledger.creditVolunteer('u3', 'a', 40, 1, { verified: false, submittedAtMs: 300 })
    ledger.vouch('a', 200)
    expect(ledger.volunteer('a').flops).toBe(30)
    expect(ledger.pending('a').flops).toBe(40)
    ledger.vouch('a', 299)
    expect(ledger.pending('a').flops).toBe(40)
    ledger.vouch('a', 300)
    expect(ledger.volunteer('a')).toEqual({ flops: 70, units: 3, samples: 3 })
    expect(ledger.pending('a').units).toBe(0)
  })

  it('forfeits pending credit for withheld evidence, and everything unpaid (data credit included) for a failed audit', () => {
    const ledger = new CreditsLedger()
    ledger.creditVolunteer('u1', 'a', 10, 1, { verified: true, submittedAtMs: 1 })
    ledger.creditVolunteer('u2', 'a', 20, 1, { verified: false, submittedAtMs: 2 })
    ledger.creditData('u1#0', 'a', 5)
    expect(ledger.forfeit('a', false)).toBe(20)
    expect(ledger.volunteer('a').flops).toBe(10)
    expect(ledger.dataOwner('a').samples).toBe(5)
    ledger.creditVolunteer('u3', 'a', 40, 1, { verified: false, submittedAtMs: 3 })
    expect(ledger.forfeit('a', true)).toBe(50)
    expect(ledger.volunteer('a').flops + ledger.pending('a').flops).toBe(0)
    expect(ledger.dataOwner('a').samples).toBe(0)
    expect(ledger.forfeited('a').flops).toBe(70)
    // A later credit under a used key is still refused.
    expect(ledger.creditVolunteer('u2', 'a', 20, 1, pending)).toBe(false)
  })

  it('never counts a unit twice and never loses one, for any order of credits, vouches and forfeits', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('credit', 'vouch', 'forfeit-pending', 'forfeit-all'), fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 20 })), { maxLength: 60 }), (ops) => {
        const ledger = new CreditsLedger()
        const granted = new Map<string, number>()
        for (const [i, [op, peer, n]] of ops.entries()) {
          if (op === 'credit') {
            if (ledger.creditVolunteer(`u${n}`, peer, 1, 1, { verified: n % 3 === 0, submittedAtMs: i })) granted.set(peer, (granted.get(peer) ?? 0) + 1)
          } else if (op === 'vouch') ledger.vouch(peer, i)
          else ledger.forfeit(peer, op === 'forfeit-all')
        }
        for (const peer of ['a', 'b']) {
          const units = ledger.volunteer(peer).units + ledger.pending(peer).units + ledger.forfeited(peer).units
          expect(units).toBe(granted.get(peer) ?? 0)
          expect(ledger.volunteer(peer).flops).toBeGreaterThanOrEqual(0)
        }
      }),
    )
  })

  it('reads ledgers written before audits as verified credit, and refuses one with totals but no keys', () => {
    const old = CreditsLedger.fromJSON({ volunteers: { a: { flops: 7, units: 1, samples: 2 } }, dataOwners: {}, keys: ['v:1.0/a'] })
    expect(old.volunteer('a')).toEqual({ flops: 7, units: 1, samples: 2 })
    expect(() => CreditsLedger.fromJSON({ volunteers: { a: { flops: 1, units: 1, samples: 1 } }, dataOwners: {}, keys: [] })).toThrow(/no credited keys/)
  })
})
