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

  it('hands out copies: changing a returned total changes nothing in the ledger', () => {
    const ledger = new CreditsLedger()
    ledger.creditVolunteer('u1', 'a', 10, 2, { verified: true, submittedAtMs: 0 })
    ledger.creditData('u1#0', 'o', 2)
    ledger.volunteer('a').flops = 999
    ledger.forfeited('a').flops = 999
    ledger.dataOwner('o').samples = 999
    ledger.allVolunteers().get('a')!.flops = 999
    ledger.allDataOwners().get('o')!.samples = 999
    expect(ledger.volunteer('a')).toEqual({ flops: 10, units: 1, samples: 2 })
    expect(ledger.forfeited('a')).toEqual({ flops: 0, units: 0, samples: 0 })
    expect(ledger.dataOwner('o')).toEqual({ flops: 0, units: 1, samples: 2 })
    expect([...ledger.allVolunteers()]).toEqual([['a', { flops: 10, units: 1, samples: 2 }]])
    expect([...ledger.allDataOwners()]).toEqual([['o', { flops: 0, units: 1, samples: 2 }]])
    expect(ledger.entries).toBe(2)
  })

  it('pays epochs only verified credit, and keeps volunteer and data keys apart', () => {
    const ledger = new CreditsLedger()
    ledger.creditVolunteer('u1', 'a', 10, 1, pending)
    expect([...ledger.allVolunteers()]).toEqual([['a', { flops: 0, units: 0, samples: 0 }]])
    // The same key for data and for work are two different credits.
    expect(ledger.creditData('u1', 'o', 1)).toBe(true)
    expect(ledger.creditData('u1', 'o', 1)).toBe(false)
    expect(ledger.dataOwner('o')).toEqual({ flops: 0, units: 1, samples: 1 })
    ledger.creditData('u2', 'o', 3)
    expect(ledger.dataOwner('o')).toEqual({ flops: 0, units: 2, samples: 4 })
  })

  it('does nothing for a vouch or a pending total of a peer it never credited', () => {
    const ledger = new CreditsLedger()
    ledger.vouch('nobody', 1e12)
    expect(ledger.pending('nobody')).toEqual({ flops: 0, units: 0, samples: 0 })
    expect(ledger.volunteer('nobody')).toEqual({ flops: 0, units: 0, samples: 0 })
    expect(ledger.forfeit('nobody', true)).toBe(0)
    expect(ledger.forfeited('nobody')).toEqual({ flops: 0, units: 0, samples: 0 })
  })

  it('keeps pending credit with its submission time across a JSON round trip, so a later audit vouches the same', () => {
    const ledger = new CreditsLedger()
    ledger.creditVolunteer('u1', 'a', 10, 1, { verified: false, submittedAtMs: 100 })
    ledger.creditVolunteer('u2', 'a', 20, 2, { verified: false, submittedAtMs: 300 })
    ledger.forfeit('b', false)
    const restored = CreditsLedger.fromJSON(JSON.parse(JSON.stringify(ledger.toJSON())))
    restored.vouch('a', 200)
    expect(restored.volunteer('a')).toEqual({ flops: 10, units: 1, samples: 1 })
    expect(restored.pending('a')).toEqual({ flops: 20, units: 1, samples: 2 })
  })

  it('refuses a saved ledger that is malformed, naming the part', () => {
    const good = { volunteers: { a: { verified: { flops: 1, units: 1, samples: 1 }, pending: [{ key: 'k', flops: 1, samples: 1, submittedAtMs: 0 }], forfeited: { flops: 0, units: 0, samples: 0 } } }, dataOwners: { o: { flops: 0, units: 1, samples: 1 } }, keys: ['v:k'] }
    expect(CreditsLedger.fromJSON(good).pending('a').units).toBe(1)
    expect(() => CreditsLedger.fromJSON(null)).toThrow('credits ledger: expected an object')
    expect(() => CreditsLedger.fromJSON({ ...good, keys: [1] })).toThrow('"keys[0]" must be a string')
    expect(() => CreditsLedger.fromJSON({ ...good, keys: ['k'.repeat(257)] })).toThrow('"keys[0]" is longer than 256')
    expect(() => CreditsLedger.fromJSON({ ...good, volunteers: [] })).toThrow('credits ledger volunteers: expected an object')
    expect(() => CreditsLedger.fromJSON({ ...good, volunteers: { a: 5 } })).toThrow('credits ledger volunteers.a: expected an object')
    expect(() => CreditsLedger.fromJSON({ ...good, volunteers: { a: { ...good.volunteers.a, pending: {} } } })).toThrow('credits ledger: "pending" must be an array')
    expect(() => CreditsLedger.fromJSON({ ...good, volunteers: { a: { ...good.volunteers.a, pending: [{ key: 'k', flops: -1, samples: 1, submittedAtMs: 0 }] } } })).toThrow('"flops" must be between 0')
    expect(() => CreditsLedger.fromJSON({ ...good, volunteers: { a: { ...good.volunteers.a, verified: { flops: 1, units: -1, samples: 0 } } } })).toThrow('"units" must be between 0')
    expect(() => CreditsLedger.fromJSON({ ...good, dataOwners: { o: { flops: 0, units: 1, samples: -1 } } })).toThrow('"samples" must be between 0')
    expect(() => CreditsLedger.fromJSON({ ...good, dataOwners: { o: null } })).toThrow('credits ledger dataOwners.o: expected an object')
    expect(() => CreditsLedger.fromJSON({ ...good, dataOwners: 'o' })).toThrow('credits ledger dataOwners: expected an object')
    expect(() => CreditsLedger.fromJSON({ volunteers: {}, dataOwners: { o: { flops: 0, units: 1, samples: 1 } }, keys: [] })).toThrow('credits ledger: has totals but no credited keys')
    expect(CreditsLedger.fromJSON({ volunteers: {}, dataOwners: {}, keys: [] }).entries).toBe(0)
  })

  it('conserves credit under any sequence: verified + pending + forfeited is exactly what was granted, none negative, data credit only forfeited with a failed audit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('credit', 'data', 'vouch', 'forfeit-pending', 'forfeit-all'), fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 1000 })), { maxLength: 80 }),
        (ops) => {
          const ledger = new CreditsLedger()
          const granted = new Map<string, number>()
          const data = new Map<string, number>()
          for (const [i, [op, peer, n, flops]] of ops.entries()) {
            if (op === 'credit') {
              if (ledger.creditVolunteer(`u${n}`, peer, flops, 2, { verified: flops % 2 === 0, submittedAtMs: i })) granted.set(peer, (granted.get(peer) ?? 0) + flops)
            } else if (op === 'data') {
              if (ledger.creditData(`u${n}#0`, peer, flops)) data.set(peer, (data.get(peer) ?? 0) + flops)
            } else if (op === 'vouch') ledger.vouch(peer, i - n)
            else if (op === 'forfeit-all') {
              ledger.forfeit(peer, true)
              data.delete(peer)
            } else ledger.forfeit(peer, false)
          }
          for (const peer of ['a', 'b', 'c']) {
            const [v, p, f] = [ledger.volunteer(peer), ledger.pending(peer), ledger.forfeited(peer)]
            for (const t of [v, p, f]) for (const x of [t.flops, t.units, t.samples]) expect(x).toBeGreaterThanOrEqual(0)
            expect(v.flops + p.flops + f.flops).toBe(granted.get(peer) ?? 0)
            expect(ledger.dataOwner(peer).samples).toBe(data.get(peer) ?? 0)
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})

