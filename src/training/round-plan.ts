// Planning a round: which shards each unit trains on (least used first, so new data is trained on in the
// next round and every shard is used evenly; a contributed chunk only while someone serves it), each unit's
// seed, and the hash of the round's audit secret.
import type { CoordinatorState, RoundState, UnitState } from './coordinator-state.ts'
import type { JobSpec } from './job.ts'
import { pickShards } from './datasets.ts'
import { activeShards } from './availability.ts'
import { roundSecret, secretCommitment } from './audit-draw.ts'
import { unitSeed } from './unit.ts'

export function planUnits(job: JobSpec, state: CoordinatorState, round: number): UnitState[] {
  const use = state.shardUse
  const picks = pickShards(activeShards(job, state), use, job.unitsPerRound)
  for (const p of picks) use[p] = (use[p] ?? 0) + 1
  return picks.map((shard, index) => ({ id: `${round}.${index}`, index, shards: [shard], seed: unitSeed(job.seed, round, index), holders: [], outcome: 'open' as const }))
}

export async function planRound(job: JobSpec, state: CoordinatorState, fields: Omit<RoundState, 'units' | 'secretCommitment' | 'deadlineMs'>): Promise<RoundState> {
  return {
    ...fields,
    deadlineMs: fields.startedAtMs + job.roundMs,
    secretCommitment: await secretCommitment(await roundSecret(state.secret, fields.round)),
    units: planUnits(job, state, fields.round),
  }
}
