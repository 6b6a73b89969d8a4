// Verification of a model with dropout, on real ORT engines: the referee's probes and replay draw the masks
// the volunteer drew (graph/dropout.ts: from each batch and its step's number), so an honest unit with
// dropout passes the loss checks and its replay lands where the volunteer's run did.
import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { buildModel } from '../graph/model-spec.ts'
import { initParams } from '../graph/model.ts'
import { windowBatch } from '../data/text.ts'
import { seededRandom } from '../random.ts'
import { SessionInnerEngine } from './inner-engine.ts'
import { Referee } from '../training/referee.ts'
import { runUnit, unitBatches } from '../training/unit-runner.ts'
import { flatten, paramLayout, unflatten } from '../training/vector.ts'
import { measureLosses } from '../training/verification.ts'
import type { UnitAssignment } from '../training/unit.ts'

/** The loss checks' suspicion alone. */
const lossChecks = async (...args: Parameters<typeof measureLosses>) => (await measureLosses(...args)).suspicion

ort.env.wasm.numThreads = 1
const VOCAB = 12
const CONTEXT = 6
const model = buildModel({ kind: 'transformer', layers: 2, width: 16, heads: 4, dropout: 0.3 }, { kind: 'tokens', vocab: VOCAB, context: CONTEXT }, VOCAB)
const layout = paramLayout(model)
const random = seededRandom(4)
const tokens = Uint16Array.from({ length: 400 }, () => Math.floor(random() * VOCAB))
const makeBatch = (indices: Uint32Array) => windowBatch(tokens, Array.from(indices, (i) => i * CONTEXT), CONTEXT, VOCAB)
const TOTAL = Math.floor((tokens.length - 1) / CONTEXT)
const unit: UnitAssignment = { unitId: '0.0', jobId: 'j', round: 0, version: 0, paramsCid: 'p', shards: [], seed: 9, innerSteps: 20, batchSize: 4, lr: 3e-3 }

describe('verifying a unit of a model with dropout', () => {
  it('probes each batch with the masks of its own step: the losses of an lr-0 run through every step', async () => {
    const engine = await SessionInnerEngine.create(ort, model, unit.batchSize)
    const start = flatten(layout, initParams(model, 2))
    await engine.load(unflatten(layout, start))
    const all = (await engine.train(unitBatches(unit, TOTAL, makeBatch), 0, 1)).losses
    const referee = new Referee({ engine, layout, data: async () => ({ count: TOTAL, makeBatch }) })
    const probed = await referee.probe(unit, start, [1, 7, unit.innerSteps])
    expect(probed[0]).toBeCloseTo(all[0]!, 5)
    expect(probed[1]).toBeCloseTo(all[6]!, 5)
    expect(probed[2]).toBeCloseTo(all[unit.innerSteps - 1]!, 5)
    // The masks matter: the same batch as another step's gives another loss.
    const asStepTwo = await engine.train(unitBatches(unit, TOTAL, makeBatch, unit.innerSteps, unit.innerSteps), 0, 2)
    expect(Math.abs(asStepTwo.losses[0]! - probed[2]!)).toBeGreaterThan(1e-4)
    await engine.release()
  })

  it('passes an honest unit\'s loss checks, and its replay reaches the volunteer\'s checkpoints', async () => {
    const volunteer = await SessionInnerEngine.create(ort, model, unit.batchSize)
    const start = flatten(layout, initParams(model, 2))
    const checkpoints: Float32Array[] = []
    const { delta, result } = await runUnit({
      unit, start, layout, totalSamples: TOTAL, makeBatch, engine: volunteer, flopsPerStep: volunteer.flopsPerStep,
      commit: async (params) => {
        checkpoints.push(Float32Array.from(params))
        return `cp-${checkpoints.length}`
      },
    })
    await volunteer.release()
    const engine = await SessionInnerEngine.create(ort, model, unit.batchSize)
    const referee = new Referee({ engine, layout, data: async () => ({ count: TOTAL, makeBatch }) })
    expect(await lossChecks(referee, { unit, result: { ...result, deltaCid: 'd' }, delta, start })).toBeNull()
    const segments = await referee.replay(unit, start, checkpoints, result.segmentLosses)
    for (const s of segments) expect(s.relativeError, `segment ${s.segment}`).toBeLessThan(1e-5)
    await engine.release()
  })
})
