// Hostile volunteers for tests and benchmarks, as a table: each attack decides what to submit for a unit,
// given the honest run it could have done. Both harnesses use them: the coordinator's unit tests (a quadratic
// engine) and the swarm tests (real ORT training over libp2p). Attacks keep the honest result's fields,
// trajectory hash included, wherever a real cheater could, so no check passes by accident.
import { dequantize, quantizeInt8, type QuantizedDelta } from '../quantize.ts'
import { seededRandom } from '../../random.ts'
import { checkpointSteps, trajectoryHash, type UnitAssignment, type UnitResult } from '../unit.ts'
import type { UnitOutput, UnitRun } from '../unit-runner.ts'

export type RunUnit = (run: UnitRun) => Promise<UnitOutput>

export interface Attack {
  /** What the peer submits for `unit`. */
  work(unit: UnitAssignment, honest: UnitRun, run: RunUnit): Promise<UnitOutput>
  /** The peer refuses to serve its checkpoints once it has submitted. */
  withholds?: boolean
}

const mapValues = (q: QuantizedDelta, f: (x: number, i: number) => number): QuantizedDelta => quantizeInt8(Float32Array.from(dequantize(q), f), q.blockSize)

/** A fixed ±1 pattern: the same direction in every unit, which is what makes a bias worth an attacker's while. */
function signPattern(length: number, seed = 0xb1a5): Float32Array {
  const r = seededRandom(seed)
  return Float32Array.from({ length }, () => (r() < 0.5 ? -1 : 1))
}

function l2(v: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!
  return Math.sqrt(s)
}

/** Adds `fraction` of the delta's norm along the fixed pattern. */
function biased(q: QuantizedDelta, fraction: number): QuantizedDelta {
  const d = dequantize(q)
  const pattern = signPattern(d.length)
  const size = (fraction * l2(d)) / Math.sqrt(d.length)
  return quantizeInt8(Float32Array.from(d, (x, i) => x + size * pattern[i]!), q.blockSize)
}

/** Re-labels an output computed for another unit as this unit's (what a replaying peer sends). */
function relabel(output: UnitOutput, unit: UnitAssignment): UnitOutput {
  return { delta: output.delta, result: { ...output.result, unitId: unit.unitId, jobId: unit.jobId, round: unit.round, version: unit.version } }
}

export const ATTACKS = {
  honest: (): Attack => ({ work: (_, honest, run) => run(honest) }),
  /** Sends the opposite of its work. */
  flip: (): Attack => ({ work: async (_, honest, run) => mapOutput(await run(honest), (q) => ({ ...q, values: q.values.map((v) => -v) })) }),
  /** Sends eight times its work. */
  scale: (): Attack => ({ work: async (_, honest, run) => mapOutput(await run(honest), (q) => ({ ...q, scales: q.scales.map((s) => s * 8) })) }),
  /** Does no work: an all-zero delta, checkpoints that never move, plausible losses. */
  zero: (): Attack => ({
    async work(unit, honest) {
      const steps = checkpointSteps(unit.innerSteps)
      const checkpoints: string[] = []
      for (const step of steps) checkpoints.push(await honest.commit(Float32Array.from(honest.start), step))
      const losses = Array.from({ length: unit.innerSteps }, (_, i) => 2.3 - i * 0.01)
      return { delta: quantizeInt8(new Float32Array(honest.start.length)), result: await madeUpResult(unit, honest, losses, checkpoints) }
    },
  }),
  /** Trains once, then sends that same work again for every later unit. */
  replay: (): Attack => {
    let first: UnitOutput | null = null
    return { work: async (unit, honest, run) => (first === null ? (first = await run(honest)) : relabel(first, unit)) }
  },
  /** Trains every unit from the parameters it was given two units earlier, saving the download. */
  stale: (): Attack => {
    const seen: Float32Array[] = []
    return {
      async work(_, honest, run) {
        seen.push(honest.start)
        return run({ ...honest, start: seen.length > 2 ? seen[seen.length - 3]! : honest.start })
      },
    }
  },
  /** Honest work plus a consistent push (30 % of the delta's size) in one direction. */
  bias: (): Attack => ({ work: async (_, honest, run) => mapOutput(await run(honest), (q) => biased(q, 0.3)) }),
  /** The same push, spread over the checkpoints too, so every segment looks a little off rather than the last a lot. */
  smoothBias: (): Attack => ({
    async work(_, honest, run) {
      const pattern = signPattern(honest.start.length)
      const honestOut = await run(honest)
      const size = (0.3 * l2(dequantize(honestOut.delta))) / Math.sqrt(honest.start.length)
      const segments = honestOut.result.checkpoints.length + 1
      let j = 0
      const shifted = await run({
        ...honest,
        commit: (params, step) => {
          j++
          return honest.commit(Float32Array.from(params, (p, i) => p - (size * pattern[i]! * j) / segments), step)
        },
      })
      return mapOutput(shifted, (q) => biased(q, 0.3))
    },
  }),
  /** Sends a delta with a NaN scale. */
  nan: (): Attack => ({ work: async (_, honest, run) => mapOutput(await run(honest), (q) => ({ ...q, scales: Float32Array.from(q.scales, (s, i) => (i === 0 ? NaN : s)) })) }),
  /** Trains half the steps and doubles the delta, committing checkpoints extrapolated along that half. */
  lazy: (): Attack => ({
    async work(unit, honest, run) {
      const half = Math.max(1, Math.floor(unit.innerSteps / 2))
      const out = await run({ ...honest, unit: { ...unit, innerSteps: half }, commit: async () => '' })
      const steps = checkpointSteps(unit.innerSteps)
      const checkpoints: string[] = []
      for (const step of steps) checkpoints.push(await honest.commit(extrapolate(honest.start, out.delta, step / half), step))
      const losses = Array.from({ length: unit.innerSteps }, (_, i) => (i === 0 ? out.result.lossBefore : out.result.lossAfter))
      return { delta: mapValues(out.delta, (x) => 2 * x), result: await madeUpResult(unit, honest, losses, checkpoints) }
    },
  }),
  /** Honest delta, but checkpoints made up by interpolating between the start and the end. */
  fabricate: (): Attack => ({
    async work(unit, honest, run) {
      const out = await run({ ...honest, commit: async () => '' })
      const checkpoints: string[] = []
      for (const step of checkpointSteps(unit.innerSteps)) checkpoints.push(await honest.commit(extrapolate(honest.start, out.delta, step / unit.innerSteps), step))
      return { delta: out.delta, result: { ...out.result, checkpoints } }
    },
  }),
  /** Honest work, but it will not show its checkpoints when audited. */
  withhold: (): Attack => ({ work: (_, honest, run) => run(honest), withholds: true }),
  /** Cheats (the biased delta) on a third of its units, chosen at random, and works honestly on the rest. */
  sometimes: (): Attack => {
    const coin = seededRandom(0x5eed)
    return { work: async (_, honest, run) => (coin() < 1 / 3 ? mapOutput(await run(honest), (q) => biased(q, 0.3)) : run(honest)) }
  },
} satisfies Record<string, () => Attack>

export type AttackName = keyof typeof ATTACKS

/**
 * Two peers of one person: the first to get a unit works (with a bias), the other sends that same work for
 * its own unit. Call once per pair; give each member the returned attack.
 */
export function colludingPair(): Attack {
  let shared: UnitOutput | null = null
  return {
    async work(unit, honest, run) {
      if (shared === null || shared.result.round !== unit.round) {
        shared = mapOutput(await run(honest), (q) => biased(q, 0.3))
        return shared
      }
      return relabel(shared, unit)
    },
  }
}

function mapOutput(out: UnitOutput, f: (q: QuantizedDelta) => QuantizedDelta): UnitOutput {
  return { ...out, delta: f(out.delta) }
}

/** A result for work not done, filled in as plausibly as the peer can without running the unit. */
async function madeUpResult(unit: UnitAssignment, honest: UnitRun, losses: number[], checkpoints: string[]): Promise<Omit<UnitResult, 'deltaCid'>> {
  const n = honest.start.length
  return {
    unitId: unit.unitId, jobId: unit.jobId, round: unit.round, version: unit.version, deltaBytes: 12 + 4 * Math.ceil(n / 256) + n,
    lossBefore: losses[0]!, lossAfter: losses.at(-1)!, samples: unit.innerSteps * unit.batchSize, flops: honest.flopsPerStep * unit.innerSteps,
    trajectoryHash: await trajectoryHash(losses), checkpoints, segmentLosses: [losses[0]!, ...checkpointSteps(unit.innerSteps).map((s) => losses[s]!)], backend: 'wasm', elapsedMs: 1,
  }
}

/** start − factor × delta */
function extrapolate(start: Float32Array, delta: QuantizedDelta, factor: number): Float32Array {
  const d = dequantize(delta)
  return Float32Array.from(start, (p, i) => p - factor * d[i]!)
}

