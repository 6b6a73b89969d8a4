// The credits ledger: verified FLOPs per volunteer and consumed samples per data owner. Every entry has a key
// (one per unit), and a key is credited at most once, so replaying a checkpoint or a late duplicate never
// double-counts. A volunteer's credit is pending until the peer passes a referee audit of a unit submitted at
// or after it; only verified credit is paid into epochs. A peer caught cheating forfeits what is pending, and
// with a failed audit also what is verified but not yet paid (the settlement layer knows what was paid and
// never takes that back).
import { DecodeError } from '../errors.ts'
import { asObject, readNumber, readString, readStringArray, type JsonObject } from '../schema.ts'

export interface CreditTotals {
  flops: number
  units: number
  samples: number
}

interface PendingEntry {
  key: string
  flops: number
  samples: number
  /** When the work was submitted: an audit only vouches for what was submitted before its own unit. */
  submittedAtMs: number
}

interface PeerCredit {
  verified: CreditTotals
  pending: PendingEntry[]
  forfeited: CreditTotals
}

export interface LedgerJson {
  volunteers: Record<string, PeerCredit>
  dataOwners: Record<string, CreditTotals>
  keys: string[]
}

const empty = (): CreditTotals => ({ flops: 0, units: 0, samples: 0 })
const emptyPeer = (): PeerCredit => ({ verified: empty(), pending: [], forfeited: empty() })
const add = (a: CreditTotals, b: CreditTotals): CreditTotals => ({ flops: a.flops + b.flops, units: a.units + b.units, samples: a.samples + b.samples })
const total = (entries: readonly PendingEntry[]): CreditTotals => entries.reduce((t, e) => add(t, { flops: e.flops, units: 1, samples: e.samples }), empty())

export class CreditsLedger {
  private readonly volunteers = new Map<string, PeerCredit>()
  private readonly dataOwners = new Map<string, CreditTotals>()
  private readonly keys = new Set<string>()

  /** Credits a volunteer for one accepted unit, pending or already verified; false if this key was credited. */
  creditVolunteer(key: string, peer: string, flops: number, samples: number, options: { verified: boolean; submittedAtMs: number }): boolean {
    if (!this.claim(`v:${key}`)) return false
    const credit = this.peer(peer)
    if (options.verified) credit.verified = add(credit.verified, { flops, units: 1, samples })
    else credit.pending.push({ key, flops, samples, submittedAtMs: options.submittedAtMs })
    return true
  }

  /** Credits a data owner for the samples one accepted unit consumed; false if already credited. */
  creditData(key: string, owner: string, samples: number): boolean {
    if (!this.claim(`d:${key}`)) return false
    this.dataOwners.set(owner, add(this.dataOwners.get(owner) ?? empty(), { flops: 0, units: 1, samples }))
    return true
  }

  /** A passed audit of work submitted at `submittedAtMs` vouches for everything the peer submitted before it. */
  vouch(peer: string, submittedAtMs: number): void {
    const credit = this.volunteers.get(peer)
    if (!credit) return
    const vouched = credit.pending.filter((e) => e.submittedAtMs <= submittedAtMs)
    credit.verified = add(credit.verified, total(vouched))
    credit.pending = credit.pending.filter((e) => e.submittedAtMs > submittedAtMs)
  }

  /**
   * Takes back a caught peer's unpaid credit: always what is pending, and with `verifiedToo` (a failed audit)
   * also what is verified, and its data credit. Returns the FLOPs forfeited.
   */
  forfeit(peer: string, verifiedToo: boolean): number {
    const credit = this.peer(peer)
    let taken = total(credit.pending)
    credit.pending = []
    if (verifiedToo) {
      taken = add(taken, credit.verified)
      credit.verified = empty()
      this.dataOwners.delete(peer)
    }
    credit.forfeited = add(credit.forfeited, taken)
    return taken.flops
  }

  /** Verified (payable) credit. */
  volunteer(peer: string): CreditTotals {
    return { ...(this.volunteers.get(peer)?.verified ?? empty()) }
  }

  pending(peer: string): CreditTotals {
    return total(this.volunteers.get(peer)?.pending ?? [])
  }

  forfeited(peer: string): CreditTotals {
    return { ...(this.volunteers.get(peer)?.forfeited ?? empty()) }
  }

  dataOwner(owner: string): CreditTotals {
    return { ...(this.dataOwners.get(owner) ?? empty()) }
  }

  get entries(): number {
    return this.keys.size
  }

  /** Verified credit of every volunteer: what epochs pay from. */
  allVolunteers(): Map<string, CreditTotals> {
    return new Map([...this.volunteers].map(([k, v]) => [k, { ...v.verified }]))
  }

  allDataOwners(): Map<string, CreditTotals> {
    return new Map([...this.dataOwners].map(([k, v]) => [k, { ...v }]))
  }

  /** A copy that later credits do not change (it is kept as the snapshot epochs pay from). */
  toJSON(): LedgerJson {
    return structuredClone({ volunteers: Object.fromEntries(this.volunteers), dataOwners: Object.fromEntries(this.dataOwners), keys: [...this.keys] })
  }

  static fromJSON(value: unknown): CreditsLedger {
    const what = 'credits ledger'
    const obj = asObject(value, what)
    const ledger = new CreditsLedger()
    for (const key of readStringArray(obj, 'keys', what, 10_000_000, 256)) ledger.keys.add(key)
    for (const [id, entry] of Object.entries(asObject(obj.volunteers, `${what} volunteers`))) {
      const e = asObject(entry, `${what} volunteers.${id}`)
      // Ledgers written before audits held one total per volunteer, all of it verified by replicas.
      ledger.volunteers.set(id, 'flops' in e ? { ...emptyPeer(), verified: readTotals(e, what) } : { verified: readTotals(asObject(e.verified, what), what), pending: readPending(e.pending, what), forfeited: readTotals(asObject(e.forfeited, what), what) })
    }
    for (const [id, totals] of Object.entries(asObject(obj.dataOwners, `${what} dataOwners`))) ledger.dataOwners.set(id, readTotals(asObject(totals, `${what} dataOwners.${id}`), what))
    if (ledger.keys.size === 0 && (ledger.volunteers.size > 0 || ledger.dataOwners.size > 0)) throw new DecodeError(what, 'has totals but no credited keys')
    return ledger
  }

  private claim(key: string): boolean {
    if (this.keys.has(key)) return false
    this.keys.add(key)
    return true
  }

  private peer(id: string): PeerCredit {
    let credit = this.volunteers.get(id)
    if (!credit) {
      credit = emptyPeer()
      this.volunteers.set(id, credit)
    }
    return credit
  }
}

function readTotals(t: JsonObject, what: string): CreditTotals {
  return { flops: readNumber(t, 'flops', what, 0), units: readNumber(t, 'units', what, 0), samples: readNumber(t, 'samples', what, 0) }
}

function readPending(value: unknown, what: string): PendingEntry[] {
  if (!Array.isArray(value)) throw new DecodeError(what, '"pending" must be an array')
  return value.map((v: unknown) => {
    const e = asObject(v, what)
    return { key: readString(e, 'key', what, 256), flops: readNumber(e, 'flops', what, 0), samples: readNumber(e, 'samples', what, 0), submittedAtMs: readNumber(e, 'submittedAtMs', what, 0) }
  })
}
