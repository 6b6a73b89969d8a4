// Closing a round: settle every unit (verified pair, single result, dispute or nothing), screen the round's
// candidate deltas for outliers, aggregate the accepted ones by centred clipping — streamed one delta at a
// time from the block store — and take the outer Nesterov step.
import type { JobSpec } from './job.ts'
import type { RoundReport, RoundState, ReplicaState } from './coordinator-state.ts'
import type { VectorStore } from './coordinator.ts'
import { CentredClipAggregator, clipRadius, screenOutliers, SKETCH_DIM, type DeltaStats, type ScreeningOptions } from './robust-aggregate.ts'
import { outerStep } from './outer-optimizer.ts'

export interface CloseInput {
  job: JobSpec
  round: RoundState
  params: Float32Array
  momentum: Float32Array
  centre: Float32Array | null
  dim: number
  vectors: VectorStore
  screening: ScreeningOptions
  now: () => number
}

export interface CloseOutput {
  params: Float32Array
  momentum: Float32Array
  centre: Float32Array
  outliers: Array<{ peer: string; unitId: string; reason: string }>
  report: Omit<RoundReport, 'flops' | 'samples' | 'testAccuracy' | 'testLoss'>
}

const key = (unitId: string, peer: string) => `${unitId}/${peer}`

export async function closeRound(input: CloseInput): Promise<CloseOutput> {
  const { round } = input
  const started = input.now()
  const candidates = new Map<string, DeltaStats>()
  const groups = new Map<string, { unitId: string; representative: ReplicaState; members: ReplicaState[] }>()
  let bytesIn = 0
  let verified = 0
  let disagreements = 0
  for (const unit of round.units) {
    for (const r of unit.replicas) {
      if (r.result && (r.status === 'submitted' || r.status === 'rejected')) bytesIn += r.result.deltaBytes
      if (r.status === 'assigned') r.status = 'expired'
      if (r.status === 'rejected' && r.agrees === false) disagreements++
    }
    const submitted = unit.replicas.filter((r) => r.status === 'submitted')
    if (submitted.length === 0) {
      unit.outcome = unit.replicas.some((r) => r.status === 'rejected') ? 'rejected' : 'dropped'
      continue
    }
    if (unit.replicas.filter((r) => r.result).length >= 2) verified++
    const agreeing = submitted.filter((r) => r.agrees === true)
    // A verified pair counts once in screening and aggregation: the replicas are the same work.
    const units = agreeing.length > 0 ? [agreeing] : submitted.map((r) => [r])
    for (const members of units) {
      const representative = members[0]!
      const k = key(unit.id, representative.peer)
      groups.set(k, { unitId: unit.id, representative, members })
      candidates.set(k, { norm: representative.stats!.norm, distance: representative.stats!.distance, sketch: Float32Array.from(representative.stats!.sketch) })
    }
  }
  // Deltas two volunteers agreed on are the yardstick. Without any, one vote per peer (its deltas averaged),
  // so a single fast attacker holding several units of a small round cannot move the median.
  const trusted = [...groups.values()].filter((g) => g.members.length >= 2).map((g) => candidates.get(key(g.unitId, g.representative.peer))!)
  const outlierReasons = screenOutliers(candidates, input.screening, trusted.length > 0 ? trusted : perPeer(groups, candidates))
  const outliers: CloseOutput['outliers'] = []
  const accepted: ReplicaState[] = []
  for (const unit of round.units) {
    const unitGroups = [...groups.values()].filter((g) => g.unitId === unit.id)
    if (unitGroups.length === 0) continue
    const passing = unitGroups.filter((g) => !outlierReasons.has(key(unit.id, g.representative.peer)))
    for (const g of unitGroups) {
      const reason = outlierReasons.get(key(unit.id, g.representative.peer))
      if (reason === undefined) continue
      for (const m of g.members) {
        m.status = 'rejected'
        m.reason = `statistical outlier: ${reason}`
        outliers.push({ peer: m.peer, unitId: unit.id, reason })
      }
    }
    if (passing.length === 1) {
      for (const m of passing[0]!.members) m.status = 'accepted'
      accepted.push(passing[0]!.representative)
      unit.outcome = 'accepted'
    } else {
      // Two plausible but different answers and no third replica in time: nobody can tell who is right, so
      // neither is used and neither is penalised.
      for (const g of passing) for (const m of g.members) Object.assign(m, { status: 'rejected', reason: 'unresolved disagreement between replicas' })
      unit.outcome = 'rejected'
    }
  }
  const tau = clipRadius(accepted.map((r) => r.stats!.distance))
  const aggregator = new CentredClipAggregator(input.centre, tau, input.dim)
  for (const r of accepted) aggregator.add(await input.vectors.getDelta(r.result!.deltaCid), r.stats!.distance)
  const gradient = aggregator.result()
  const params = Float32Array.from(input.params)
  const momentum = Float32Array.from(input.momentum)
  if (accepted.length > 0) outerStep(params, momentum, gradient, { lr: input.job.outerLr, momentum: input.job.outerMomentum })
  const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length)
  return {
    params,
    momentum,
    centre: accepted.length > 0 ? gradient : (input.centre ?? new Float32Array(input.dim)),
    outliers,
    report: {
      round: round.round,
      version: round.version + (accepted.length > 0 ? 1 : 0),
      startedAtMs: round.startedAtMs,
      closedAtMs: input.now(),
      accepted: round.units.filter((u) => u.outcome === 'accepted').length,
      rejected: round.units.reduce((n, u) => n + u.replicas.filter((r) => r.status === 'rejected').length, 0),
      dropped: round.units.filter((u) => u.outcome === 'dropped').length,
      verified,
      disagreements,
      outliers,
      rejections: round.units.flatMap((u) => u.replicas.filter((r) => r.status === 'rejected').map((r) => ({ peer: r.peer, unitId: u.id, reason: r.reason ?? 'rejected' }))),
      bytesIn,
      meanLossBefore: mean(accepted.map((r) => r.result!.lossBefore)),
      meanLossAfter: mean(accepted.map((r) => r.result!.lossAfter)),
      aggregationMs: input.now() - started,
    },
  }
}

function perPeer(groups: Map<string, { representative: ReplicaState }>, candidates: Map<string, DeltaStats>): DeltaStats[] {
  const byPeer = new Map<string, DeltaStats[]>()
  for (const [k, g] of groups) byPeer.set(g.representative.peer, [...(byPeer.get(g.representative.peer) ?? []), candidates.get(k)!])
  if (byPeer.size < 3) return []
  return [...byPeer.values()].map((list) => {
    const sketch = new Float32Array(SKETCH_DIM)
    for (const s of list) for (let k = 0; k < SKETCH_DIM; k++) sketch[k]! += s.sketch[k]! / (s.norm || 1) / list.length
    const norms = list.map((s) => s.norm).sort((a, b) => a - b)
    return { norm: norms[norms.length >> 1]!, distance: 0, sketch }
  })
}
