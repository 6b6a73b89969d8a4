// The credits ledger: verified FLOPs per volunteer and consumed samples per data owner. Every entry has a
// key (unit and replica), and a key is credited at most once, so replaying a checkpoint or a late duplicate
// never double-counts.
import { DecodeError } from '../errors.ts'
import { asObject, readNumber, readStringArray } from '../schema.ts'

export interface CreditTotals {
  flops: number
  units: number
  samples: number
}

export interface LedgerJson {
  volunteers: Record<string, CreditTotals>
  dataOwners: Record<string, CreditTotals>
  keys: string[]
}

const empty = (): CreditTotals => ({ flops: 0, units: 0, samples: 0 })

export class CreditsLedger {
  private readonly volunteers = new Map<string, CreditTotals>()
  private readonly dataOwners = new Map<string, CreditTotals>()
  private readonly keys = new Set<string>()

  /** Credits a volunteer for one accepted replica; false if this key was already credited. */
  creditVolunteer(key: string, peer: string, flops: number, samples: number): boolean {
    return this.credit(this.volunteers, `v:${key}`, peer, flops, samples)
  }

  /** Credits a data owner for the samples one accepted unit consumed; false if already credited. */
  creditData(key: string, owner: string, samples: number): boolean {
    return this.credit(this.dataOwners, `d:${key}`, owner, 0, samples)
  }

  volunteer(peer: string): CreditTotals {
    return { ...(this.volunteers.get(peer) ?? empty()) }
  }

  dataOwner(owner: string): CreditTotals {
    return { ...(this.dataOwners.get(owner) ?? empty()) }
  }

  get entries(): number {
    return this.keys.size
  }

  allVolunteers(): Map<string, CreditTotals> {
    return new Map([...this.volunteers].map(([k, v]) => [k, { ...v }]))
  }

  allDataOwners(): Map<string, CreditTotals> {
    return new Map([...this.dataOwners].map(([k, v]) => [k, { ...v }]))
  }

  toJSON(): LedgerJson {
    return { volunteers: Object.fromEntries(this.volunteers), dataOwners: Object.fromEntries(this.dataOwners), keys: [...this.keys] }
  }

  static fromJSON(value: unknown): CreditsLedger {
    const what = 'credits ledger'
    const obj = asObject(value, what)
    const ledger = new CreditsLedger()
    for (const key of readStringArray(obj, 'keys', what, 10_000_000, 256)) ledger.keys.add(key)
    for (const [field, map] of [['volunteers', ledger.volunteers], ['dataOwners', ledger.dataOwners]] as const) {
      for (const [id, totals] of Object.entries(asObject(obj[field], `${what} ${field}`))) {
        const t = asObject(totals, `${what} ${field}.${id}`)
        map.set(id, { flops: readNumber(t, 'flops', what, 0), units: readNumber(t, 'units', what, 0), samples: readNumber(t, 'samples', what, 0) })
      }
    }
    if (ledger.keys.size === 0 && (ledger.volunteers.size > 0 || ledger.dataOwners.size > 0)) throw new DecodeError(what, 'has totals but no credited keys')
    return ledger
  }

  private credit(map: Map<string, CreditTotals>, key: string, id: string, flops: number, samples: number): boolean {
    if (this.keys.has(key)) return false
    this.keys.add(key)
    const totals = map.get(id) ?? empty()
    totals.flops += flops
    totals.units += 1
    totals.samples += samples
    map.set(id, totals)
    return true
  }
}
