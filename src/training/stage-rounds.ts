// A staged job's rounds (issue 19), as pure logic: which volunteer holds which stage, where each stage's
// parameters lie in the model's flat vector, and how a stage group's replicas are merged DiLoCo-style (each
// replica's change since the version, int8 as every delta is, combined by the job's robust aggregation rule;
// the outer Nesterov step then applies to the whole vector).
import { paramsOf, type Model } from '../graph/model.ts'
import { TesseraeError } from '../errors.ts'
import { AGGREGATORS, type AggregatorName } from './aggregators/index.ts'
import type { QuantizedDelta } from './quantize.ts'
import { DeltaSketcher } from './robust-aggregate.ts'
import { stageRanges } from './job-stages.ts'
import type { ParamLayout } from './vector.ts'

/**
 * Stages for this round's volunteers: everyone keeps the stage they held (their replica's engine is built);
 * newcomers go to the stage with the fewest peers; then, while some stage has none and another has two or more,
 * the latest to join the fuller one moves. `candidates` are in the order they joined.
 */
export function assignStages(candidates: readonly string[], previous: ReadonlyMap<string, number>, stages: number): Map<string, number> {
  const assigned = new Map<string, number>()
  const count = new Array<number>(stages).fill(0)
  for (const peer of candidates) {
    const held = previous.get(peer)
    if (held !== undefined && held >= 0 && held < stages) {
      assigned.set(peer, held)
      count[held]!++
    }
  }
  for (const peer of candidates) {
    if (assigned.has(peer)) continue
    const stage = count.indexOf(Math.min(...count))
    assigned.set(peer, stage)
    count[stage]!++
  }
  for (;;) {
    const empty = count.indexOf(0)
    const fullest = count.indexOf(Math.max(...count))
    if (empty === -1 || count[fullest]! < 2) break
    const mover = [...assigned].filter(([, s]) => s === fullest).at(-1)![0]
    assigned.set(mover, empty)
    count[fullest]!--
    count[empty]!++
  }
  return assigned
}

/** Where stage s's parameters lie in the flat vector: one contiguous range, since layers are laid out in order. */
export function stageSlices(model: Model, cuts: readonly number[], layout: ParamLayout): Array<{ start: number; end: number }> {
  return stageRanges(model, cuts).map(([from, to], s) => {
    const names = paramsOf(model, from, to).map((p) => p.name)
    if (names.length === 0) return { start: 0, end: 0 }
    const first = layout.names.indexOf(names[0]!)
    for (const [i, name] of names.entries()) if (layout.names[first + i] !== name) throw new TesseraeError('BAD_STAGE_PLAN', `stage ${s}'s parameters are not laid out together ("${name}")`)
    const last = first + names.length - 1
    return { start: layout.offsets[first]!, end: layout.offsets[last]! + layout.sizes[last]! }
  })
}

/**
 * One stage group's pseudo-gradient for the outer step: its replicas' changes since the version (version −
 * replica, int8), combined by `rule` around last round's result for this stage (`centre`). No replica: zeros
 * (the stage keeps its version).
 */
export function mergeStage(rule: AggregatorName, deltas: readonly QuantizedDelta[], dim: number, centre: Float32Array | null, seed: number): Float32Array {
  if (deltas.length === 0) return new Float32Array(dim)
  for (const d of deltas) if (d.length !== dim) throw new TesseraeError('SHAPE_MISMATCH', `a stage delta of ${d.length} values does not fit a stage of ${dim}`)
  const sketcher = new DeltaSketcher(dim, seed)
  const stats = deltas.map((d) => sketcher.stats(d, centre))
  const aggregation = AGGREGATORS[rule].begin({ dim, centre, stats })
  deltas.forEach((d, i) => aggregation.add(d, stats[i]!))
  return aggregation.result()
}
