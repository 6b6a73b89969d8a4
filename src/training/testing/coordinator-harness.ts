// A coordinator driven by simulated volunteers on a quadratic: honest ones agree exactly, Byzantine ones
// flip or scale their deltas. Shared by the coordinator's tests and the settlement tests that need rounds.
import { Coordinator, type WorkReply } from '../coordinator.ts'
import { MemoryVectorStore } from './memory-stores.ts'
import { MemoryCheckpointStore } from '../memory-checkpoints.ts'
import { quantizeInt8 } from '../quantize.ts'
import { seededRandom } from '../../random.ts'
import type { JobSpec } from '../job.ts'
import type { UnitAssignment, UnitResult } from '../unit.ts'

export const DIM = 512
export const target = Float32Array.from({ length: DIM }, (_, i) => Math.sin(i))

/** A stand-in for H inner steps on a quadratic: deterministic per unit, so honest replicas agree exactly. */
function honestDelta(params: Float32Array, unit: UnitAssignment): Float32Array {
  const r = seededRandom(unit.seed)
  return Float32Array.from(params, (p, i) => 0.1 * (p - target[i]!) + 0.002 * (r() * 2 - 1))
}

export const distance = (p: Float32Array) => Math.hypot(...Array.from(p, (x, i) => x - target[i]!))

export type Behaviour = 'honest' | 'flip' | 'scale'

export class Harness {
  clock = 0
  readonly vectors = new MemoryVectorStore()
  readonly checkpoints = new MemoryCheckpointStore()
  coordinator!: Coordinator
  readonly job: JobSpec
  constructor(job: JobSpec) {
    this.job = job
  }

  async open(): Promise<Coordinator> {
    this.coordinator = await Coordinator.open({
      job: this.job,
      dim: DIM,
      initialParams: () => new Float32Array(DIM),
      flopsPerStep: 1000,
      vectors: this.vectors,
      checkpoints: this.checkpoints,
      evaluate: async (p) => ({ accuracy: 1 / (1 + distance(p)), loss: distance(p) }),
      now: () => this.clock,
      secret: 7,
    })
    return this.coordinator
  }

  async work(peer: string, behaviour: Behaviour): Promise<{ reply: WorkReply; result?: UnitResult; accepted?: boolean }> {
    const reply = await this.coordinator.requestWork(peer)
    if (reply.kind !== 'unit') return { reply }
    const unit = reply.unit
    const params = await this.vectors.getParams(unit.paramsCid)
    let delta = honestDelta(params, unit)
    if (behaviour === 'flip') delta = delta.map((x) => -x)
    if (behaviour === 'scale') delta = delta.map((x) => 8 * x)
    const q = quantizeInt8(delta)
    const deltaCid = this.vectors.putDelta(q)
    const result: UnitResult = {
      unitId: unit.unitId, jobId: unit.jobId, round: unit.round, version: unit.version, deltaCid, deltaBytes: q.length + 4 * q.scales.length,
      lossBefore: 2, lossAfter: 1, samples: unit.batchSize * unit.innerSteps, flops: 4000, trajectoryHash: `h-${unit.unitId}-${behaviour}`, backend: 'wasm', elapsedMs: 5,
    }
    const submitted = await this.coordinator.submit(peer, result, q)
    return { reply, result, accepted: submitted.accepted }
  }
}

export async function runRounds(h: Harness, peers: Array<[string, Behaviour]>, rounds: number): Promise<void> {
  const target = h.coordinator.view.current.round + rounds
  for (let guard = 0; h.coordinator.view.current.round < target && guard < 10_000; guard++) {
    let progressed = false
    for (const [peer, behaviour] of peers) {
      const { reply } = await h.work(peer, behaviour)
      if (reply.kind === 'unit') progressed = true
    }
    if (!progressed) {
      h.clock += h.job.roundMs + 1
      await h.coordinator.tick()
    }
  }
}

