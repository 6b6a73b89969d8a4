// Hostile volunteers for tests and benchmarks, as a table: each attack decides what to submit for a unit,
// given the honest run it could have done, and records which units it cheated on so a test can count them.
// Both harnesses use them: the coordinator's unit tests (a quadratic engine) and the swarm tests (real ORT
// training over libp2p). Attacks keep the honest result's fields, trajectory hash included, wherever a real
// cheater could, so no check passes by accident.
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
  /** The peer is gone (its tab closed) right after submitting. */
  leaves?: boolean
  /** Units it submitted something other than its honest work for. */
  readonly cheats: string[]
}

type Step = (unit: UnitAssignment, honest: UnitRun, run: RunUnit) => Promise<{ output: UnitOutput; cheated: boolean }>

function attack(step: Step, options: { withholds?: boolean; leaves?: boolean } = {}): Attack {
  const cheats: string[] = []
  return {
    cheats,
    ...options,
    async work(unit, honest, run) {
      const { output, cheated } = await step(unit, honest, run)
      if (cheated || options.withholds) cheats.push(unit.unitId)
      return output
    },
  }
}

/** Runs honestly, then changes what is sent. */
const tamper = (f: (q: QuantizedDelta) => QuantizedDelta): Step => async (_, honest, run) => ({ output: mapOutput(await run(honest), f), cheated: true })

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
  honest: () => attack(async (_, honest, run) => ({ output: await run(honest), cheated: false })),
  /** Sends the opposite of its work. */
  flip: () => attack(tamper((q) => ({ ...q, values: q.values.map((v) => -v) }))),
  /** Sends eight times its work. */
  scale: () => attack(tamper((q) => ({ ...q, scales: q.scales.map((s) => s * 8) }))),
  /** Does no work: an all-zero delta, checkpoints that never move, plausible losses. */
  zero: () =>
    attack(async (unit, honest) => {
      const checkpoints: string[] = []
      for (const step of checkpointSteps(unit.innerSteps)) checkpoints.push(await honest.commit(Float32Array.from(honest.start), step))
      const losses = Array.from({ length: unit.innerSteps }, (_, i) => 2.3 - i * 0.01)
      return { output: { delta: quantizeInt8(new Float32Array(honest.start.length)), result: await madeUpResult(unit, honest, losses, checkpoints) }, cheated: true }
    }),
  /** Trains once, then sends that same work again for every later unit. */
  replay: () => {
    // One per unit length: a probe's work replayed as a full unit would only be refused as malformed.
    const first = new Map<number, UnitOutput>()
    return attack(async (unit, honest, run) => {
      const earlier = first.get(unit.innerSteps)
      if (earlier) return { output: relabel(earlier, unit), cheated: true }
      const output = await run(honest)
      first.set(unit.innerSteps, output)
      return { output, cheated: false }
    })
  },
  /** Trains every unit from the parameters it was given two units earlier, saving the download. */
  stale: () => {
    const seen: Float32Array[] = []
    return attack(async (_, honest, run) => {
      seen.push(honest.start)
      const old = seen.length > 2 ? seen[seen.length - 3]! : null
      return { output: await run({ ...honest, start: old ?? honest.start }), cheated: old !== null }
    })
  },
  /** Honest work plus a consistent push (30 % of the delta's size) in one direction. */
  bias: () => attack(tamper((q) => biased(q, 0.3))),
  /** The same push, spread over the checkpoints too, so every segment looks a little off rather than the last a lot. */
  smoothBias: () =>
    attack(async (_, honest, run) => {
      const pattern = signPattern(honest.start.length)
      const size = (0.3 * l2(dequantize((await run({ ...honest, commit: async () => '' })).delta))) / Math.sqrt(honest.start.length)
      const segments = checkpointSteps(honest.unit.innerSteps).length
      let j = 0
      const shifted = await run({
        ...honest,
        commit: (params, step) => {
          j++
          return honest.commit(Float32Array.from(params, (p, i) => p - (size * pattern[i]! * j) / segments), step)
        },
      })
      return { output: mapOutput(shifted, (q) => biased(q, 0.3)), cheated: true }
    }),
  /** Sends a delta with a NaN scale. */
  nan: () => attack(tamper((q) => ({ ...q, scales: Float32Array.from(q.scales, (s, i) => (i === 0 ? NaN : s)) }))),
  /** Trains half the steps and doubles the delta, committing checkpoints extrapolated along that half. */
  lazy: () =>
    attack(async (unit, honest, run) => {
      const half = Math.max(1, Math.floor(unit.innerSteps / 2))
      const out = await run({ ...honest, unit: { ...unit, innerSteps: half }, commit: async () => '' })
      const checkpoints: string[] = []
      for (const step of checkpointSteps(unit.innerSteps)) checkpoints.push(await honest.commit(extrapolate(honest.start, out.delta, step / half), step))
      const losses = Array.from({ length: unit.innerSteps }, (_, i) => (i === 0 ? out.result.lossBefore : out.result.lossAfter))
      return { output: { delta: mapValues(out.delta, (x) => 2 * x), result: await madeUpResult(unit, honest, losses, checkpoints) }, cheated: true }
    }),
  /** Honest delta, but checkpoints made up by interpolating between the start and the end. */
  fabricate: () =>
    attack(async (unit, honest, run) => {
      const out = await run({ ...honest, commit: async () => '' })
      const checkpoints: string[] = []
      for (const step of checkpointSteps(unit.innerSteps)) checkpoints.push(await honest.commit(extrapolate(honest.start, out.delta, step / unit.innerSteps), step))
      return { output: { delta: out.delta, result: { ...out.result, checkpoints } }, cheated: checkpoints.length > 0 }
    }),
  /** Honest work, but it will not show its checkpoints when audited. */
  withhold: () => attack(async (_, honest, run) => ({ output: await run(honest), cheated: false }), { withholds: true }),
  /** Honest work, then its tab closes before anything can be fetched from it: not an attack, but it must cost nothing. */
  leaver: () => attack(async (_, honest, run) => ({ output: await run(honest), cheated: false }), { leaves: true }),
  /** Cheats (the biased delta) on a third of its units, chosen at random, and works honestly on the rest. */
  sometimes: () => {
    const coin = seededRandom(0x5eed)
    return attack(async (_, honest, run) => (coin() < 1 / 3 ? { output: mapOutput(await run(honest), (q) => biased(q, 0.3)), cheated: true } : { output: await run(honest), cheated: false }))
  },
} satisfies Record<string, () => Attack>

export type AttackName = keyof typeof ATTACKS

/**
 * Two peers of one person: the first to get a unit in a round works (with a bias), the other sends that same
 * work for its own unit. Returns one attack per member; they share what they send. The copy is only sent for
 * a unit of the same length: a probe's work copied onto a full unit (or back) would claim the wrong sample
 * count and be refused before any audit, which a careful pair does not risk.
 */
export function colludingPair(): [Attack, Attack] {
  let shared: UnitOutput | null = null
  const member = () =>
    attack(async (unit, honest, run) => {
      const copy = shared
      if (copy !== null && copy.result.round === unit.round && copy.result.samples === unit.innerSteps * unit.batchSize) return { output: relabel(copy, unit), cheated: true }
      shared = mapOutput(await run(honest), (q) => biased(q, 0.3))
      return { output: shared, cheated: true }
    })
  return [member(), member()]
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
    trajectoryHash: await trajectoryHash(losses), checkpoints, segmentLosses: [losses[0]!, ...checkpointSteps(unit.innerSteps).slice(0, -1).map((s) => losses[s]!)], backend: 'wasm', elapsedMs: 1,
  }
}

/** start − factor × delta */
function extrapolate(start: Float32Array, delta: QuantizedDelta, factor: number): Float32Array {
  const d = dequantize(delta)
  return Float32Array.from(start, (p, i) => p - factor * d[i]!)
}
