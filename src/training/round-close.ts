// Closing a round: units nobody delivered a verified result for are dropped, the accepted deltas are combined
// by the job's aggregation rule (streamed one at a time from the block store), and the outer Nesterov step
// makes the next version. Verification already happened as results arrived: nothing is rejected here.
import { allUnits } from './probe.ts'
import type { JobSpec } from './job.ts'
import type { AuditSummary, HolderState, RoundReport, RoundState } from './coordinator-state.ts'
import type { VectorStore } from './stores.ts'
import { AGGREGATORS } from './aggregators/index.ts'
import { outerStep } from './outer-optimizer.ts'
import { AUDIT_REASONS } from './audit-draw.ts'
import type { RejectionCode } from './verdicts.ts'

export interface CloseInput {
  job: JobSpec
  round: RoundState
  params: Float32Array
  momentum: Float32Array
  centre: Float32Array | null
  dim: number
  vectors: VectorStore
  now: () => number
}

export interface CloseOutput {
  params: Float32Array
  momentum: Float32Array
  centre: Float32Array
  report: Pick<RoundReport, 'round' | 'version' | 'startedAtMs' | 'closedAtMs' | 'accepted' | 'probes' | 'rejected' | 'dropped' | 'audits' | 'rejections' | 'bytesIn' | 'meanLossBefore' | 'meanLossAfter' | 'aggregationMs'>
}

export async function closeRound(input: CloseInput): Promise<CloseOutput> {
  const { round } = input
  const started = input.now()
  const accepted: HolderState[] = []
  let probes = 0
  for (const unit of allUnits(round)) {
    const winner = unit.holders.find((h) => h.status === 'accepted')
    if (!winner) unit.outcome = 'dropped'
    // Probes are credited, never aggregated.
    else if (unit.probe) probes++
    else accepted.push(winner)
    for (const h of unit.holders) if (h.status === 'assigned') h.status = 'released'
  }
  const rule = AGGREGATORS[input.job.aggregator]
  const aggregation = rule.begin({ dim: input.dim, centre: input.centre, stats: accepted.map((h) => statsOf(h)) })
  for (const h of accepted) aggregation.add(await input.vectors.getDelta(h.result!.deltaCid), statsOf(h))
  const gradient = aggregation.result()
  const params = Float32Array.from(input.params)
  const momentum = Float32Array.from(input.momentum)
  if (accepted.length > 0) outerStep(params, momentum, gradient, { lr: input.job.outerLr, momentum: input.job.outerMomentum })
  // Rejections, audits and bytes count probes' holders too: a failed probe is a rejection like any other.
  const holders = allUnits(round).flatMap((u) => u.holders.map((h) => ({ unitId: u.id, h })))
  const rejected = holders.filter(({ h }) => h.status === 'rejected')
  const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length)
  return {
    params,
    momentum,
    centre: accepted.length > 0 ? gradient : (input.centre ?? new Float32Array(input.dim)),
    report: {
      round: round.round,
      version: round.version + (accepted.length > 0 ? 1 : 0),
      startedAtMs: round.startedAtMs,
      closedAtMs: input.now(),
      accepted: accepted.length,
      probes,
      rejected: rejected.length,
      dropped: round.units.filter((u) => u.outcome === 'dropped').length,
      audits: summariseAudits(holders.map(({ h }) => h)),
      rejections: rejected.map(({ unitId, h }) => ({ peer: h.peer, unitId, code: h.verdict!.code as RejectionCode, params: h.verdict!.params })),
      bytesIn: holders.reduce((n, { h }) => n + (h.result?.deltaBytes ?? 0), 0),
      meanLossBefore: mean(accepted.map((h) => h.result!.lossBefore)),
      meanLossAfter: mean(accepted.map((h) => h.result!.lossAfter)),
      aggregationMs: input.now() - started,
    },
  }
}

const statsOf = (h: HolderState) => ({ norm: h.stats!.norm, distance: h.stats!.distance, sketch: Float32Array.from(h.stats!.sketch) })

export function summariseAudits(holders: readonly HolderState[]): AuditSummary {
  const summary: AuditSummary = { run: 0, passed: 0, failed: 0, incomplete: 0, byReason: Object.fromEntries(AUDIT_REASONS.map((r) => [r, 0])) as AuditSummary['byReason'], bySuspicion: {} }
  for (const h of holders) {
    if (!h.audit) continue
    summary.run++
    summary.byReason[h.audit.reason]++
    const suspicion = h.audit.suspicion?.code
    if (suspicion) summary.bySuspicion[suspicion] = (summary.bySuspicion[suspicion] ?? 0) + 1
    if (h.audit.outcome === 'passed') summary.passed++
    else if (h.audit.outcome === 'failed' || h.audit.outcome === 'unavailable') summary.failed++
    else summary.incomplete++
  }
  return summary
}
