// Handing out a round's units. Nothing here depends on which units will be audited (that is drawn after each
// result is committed), so the order, timing and ids of assignments tell a volunteer nothing. A peer holds one
// unit at a time and at most its fair share of the round's fresh units; a unit whose holder left or whose
// result was refused is open again at once, to anyone (the peers who took their share should not wait for a
// deadline because someone else walked away); near the end of a round a unit held for much longer than units
// usually take goes to a second peer as well, and the first result that verifies wins.
import { allUnits, PROBE_HOLD_MS } from './probe.ts'
import type { HolderState, PeerState, RoundState, UnitState } from './coordinator-state.ts'
import type { JobSpec } from './job.ts'
import { median } from '../median.ts'
import { verdict, type Verdict, type WaitCode } from './verdicts.ts'

/** A peer counts towards the fair share while it was heard from this recently and has not disconnected. */
export const ACTIVE_WINDOW_MS = 30_000
/**
 * A unit is copied to a second peer once held this many times longer than this round's typical unit (a
 * device a few times slower than the median still gets its work in first)…
 */
export const SPECULATE_AFTER_TYPICAL = 3
/** …and never sooner than this. */
export const MIN_SPECULATE_MS = 2_000

export type Assignment = { unit: UnitState; speculative: boolean } | { wait: Verdict<WaitCode> }

/** Holds that still count: working on it, being checked, or accepted. */
const live = (h: HolderState) => h.status === 'assigned' || h.status === 'verifying' || h.status === 'accepted'

export function activePeers(peers: Readonly<Record<string, PeerState>>, now: number): number {
  return Object.values(peers).filter((p) => !p.banned && !p.left && now - p.lastSeenMs < ACTIVE_WINDOW_MS).length
}

/** A unit nobody is working on or being checked for, that `peer` has not already failed. */
export function isOpen(unit: UnitState, peer: string): boolean {
  return unit.outcome === 'open' && !unit.holders.some(live) && !unit.holders.some((h) => h.peer === peer && h.status === 'rejected')
}

/**
 * Releases holds older than the round's length (a probe's after PROBE_HOLD_MS): their results are still taken
 * while the unit is open.
 */
export function expireHolds(round: RoundState, now: number, roundMs: number): void {
  for (const unit of allUnits(round)) {
    const limit = unit.probe ? PROBE_HOLD_MS : roundMs
    for (const h of unit.holders) if (h.status === 'assigned' && now - h.assignedAtMs > limit) h.status = 'released'
  }
}

/** How long this round's units have taken from assignment to result (ms), or null before any result. */
export function typicalUnitMs(round: RoundState): number | null {
  const times = round.units.flatMap((u) => u.holders.flatMap((h) => (h.submittedAtMs === undefined ? [] : [h.submittedAtMs - h.assignedAtMs])))
  return times.length === 0 ? null : median(times)
}

export function assign(job: JobSpec, round: RoundState, peers: Readonly<Record<string, PeerState>>, peer: string, now: number, typicalMs: number | null): Assignment {
  const mine = round.units.find((u) => u.holders.some((h) => h.peer === peer && h.status === 'assigned'))
  if (mine) return { unit: mine, speculative: mine.holders.find((h) => h.peer === peer && h.status === 'assigned')!.speculative === true }
  const open = round.units.filter((u) => isOpen(u, peer))
  const reopened = open.find((u) => u.holders.length > 0)
  if (reopened) return { unit: reopened, speculative: false }
  if (open.length > 0) {
    // Fair share: one fast peer must not hold most of a round, or its deltas would dominate the aggregate.
    const share = Math.ceil(round.units.length / Math.max(1, activePeers(peers, now)))
    const held = round.units.filter((u) => u.holders.some((h) => h.peer === peer && live(h))).length
    if (held >= share) return { wait: verdict('FAIR_SHARE', { share, round: round.round }) }
    return { unit: open[0]!, speculative: false }
  }
  const straggler = stragglerFor(round, peer, now, typicalMs)
  if (straggler) return { unit: straggler, speculative: true }
  return { wait: verdict('NO_OPEN_UNITS', { round: round.round }) }
}

/** The unit held longest past the typical time by someone else, with no result yet and no second copy. */
function stragglerFor(round: RoundState, peer: string, now: number, typicalMs: number | null): UnitState | null {
  if (typicalMs === null) return null
  const after = Math.max(MIN_SPECULATE_MS, SPECULATE_AFTER_TYPICAL * typicalMs)
  let best: UnitState | null = null
  let bestSince = Infinity
  for (const unit of round.units) {
    if (unit.outcome !== 'open' || unit.holders.some((h) => h.peer === peer || h.status === 'verifying' || h.speculative)) continue
    const holding = unit.holders.filter((h) => h.status === 'assigned')
    if (holding.length !== 1) continue
    const since = holding[0]!.assignedAtMs
    if (now - since >= after && since < bestSince) {
      best = unit
      bestSince = since
    }
  }
  return best
}

/** A peer's connection closed: its units are open again now, not at the deadline. */
export function releasePeer(round: RoundState, peer: string): number {
  let released = 0
  for (const unit of allUnits(round)) {
    for (const h of unit.holders) {
      if (h.peer === peer && h.status === 'assigned') {
        h.status = 'released'
        released++
      }
    }
  }
  return released
}
