// A new volunteer's first unit: a probe. It is short (PROBE_STEPS steps from the round's parameters on one of
// the job's own shards, which the coordinator always serves), the referee re-executes it in full as soon as
// it arrives, and it is credited for the steps it ran. Its delta is not aggregated: a few steps would only
// add noise to the outer step, and it is work done to prove the device, not to train. It exists so that a
// volunteer sees verified credit seconds after opening the page rather than after a full unit and its full
// replay (the first unit of a new peer is always replayed), and it also works when the round has no open
// unit to give. It does not end probation: the peer's first full unit is still replayed in full, since
// passing a cheap probe says nothing about whether later, larger work is real.
import type { PeerState, RoundState, UnitState } from './coordinator-state.ts'
import type { JobSpec } from './job.ts'
import { unitSeed } from './unit.ts'

/** Steps in a probe: about half a second of a CNN on a laptop's wasm, and as long again for the referee. */
export const PROBE_STEPS = 4
/** Probes per round, whoever asks: a swarm of fresh identities cannot keep the referee busy with them. */
export const MAX_PROBES_PER_ROUND = 32
/** Probe seeds are drawn past any unit index a round plans. */
const PROBE_SEED_OFFSET = 1 << 20
/**
 * A probe not delivered within this long is released: it no longer counts towards the round's limit (throwaway
 * identities that never deliver cannot use up every newcomer's probe), and its peer gets ordinary units.
 */
export const PROBE_HOLD_MS = 60_000

/** Steps a unit runs: the job's inner steps, or fewer for a probe. */
export const unitSteps = (job: Pick<JobSpec, 'innerSteps'>, unit: Pick<UnitState, 'steps'>): number => unit.steps ?? job.innerSteps

/**
 * FLOPs credited for an accepted unit of `steps` steps when a full unit of `innerSteps` is worth
 * `flopsPerUnit`. The coordinator and the job log's replay both compute it here, so they agree to the bit.
 */
export const unitFlops = (flopsPerUnit: number, innerSteps: number, steps: number): number => (steps === innerSteps ? flopsPerUnit : (flopsPerUnit / innerSteps) * steps)

/**
 * The probe `peerId` should work on now: the one it holds in this round, or a new one if the peer has never
 * had a result decided and has not had a probe this round. Null when it gets an ordinary unit instead (a
 * known peer, a job whose units are already this short, a probe already submitted, or the round's limit).
 * A new probe is added to the round, assigned to the peer.
 */
export function probeFor(job: JobSpec, round: RoundState, peerId: string, peer: PeerState, now: number, steps = PROBE_STEPS): UnitState | null {
  const probes = round.probes ?? []
  const mine = probes.find((p) => p.holders.some((h) => h.peer === peerId))
  if (mine) return mine.holders.some((h) => h.peer === peerId && h.status === 'assigned') ? mine : null
  if (steps < 1 || peer.accepted > 0 || peer.rejected > 0 || job.innerSteps <= steps || job.train.length === 0) return null
  // Already working on a full unit (handed out before a restart, say): finish that first.
  if (round.units.some((u) => u.holders.some((h) => h.peer === peerId && h.status === 'assigned'))) return null
  const live = probes.filter((p) => p.holders.some((h) => h.status !== 'released' && h.status !== 'rejected')).length
  if (live >= MAX_PROBES_PER_ROUND) return null
  const n = probes.length
  const probe: UnitState = {
    id: `${round.round}.p${n}`,
    index: n,
    // Pool indices below job.train.length are the job's own shards, which never depend on a contributor.
    shards: [n % job.train.length],
    seed: unitSeed(job.seed, round.round, PROBE_SEED_OFFSET + n),
    holders: [{ peer: peerId, assignedAtMs: now, status: 'assigned' }],
    outcome: 'open',
    probe: true,
    steps,
  }
  ;(round.probes ??= []).push(probe)
  return probe
}


/** The round's units and its probes: everything a result may be for. */
export const allUnits = (round: RoundState): UnitState[] => [...round.units, ...(round.probes ?? [])]
