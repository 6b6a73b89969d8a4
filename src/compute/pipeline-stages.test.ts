// A character transformer split into 2, 3 and 4 stages: the parameter gradients the stages assemble, micro-batch
// by micro-batch (training/pipeline-step.ts), against the unsplit model's gradient from the float64 reference
// interpreter. On the float64 reference each stage's graphs must agree to float32 rounding; on ORT-wasm within
// 1e-4 relative (the bar).
import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { buildModel } from '../graph/model-spec.ts'
import { initParams, paramsOf } from '../graph/model.ts'
import { buildGradientGraph, buildLossHead, buildShard, gradName } from '../graph/shard.ts'
import { planStages } from '../graph/stage-plan.ts'
import { evaluateNamed } from '../graph/reference.ts'
import { PARAM_PREFIX } from '../graph/train-step.ts'
import type { Graph } from '../graph/graph.ts'
import { seededRandom } from '../random.ts'
import { pipelineGradients, type Feeds } from '../training/pipeline-step.ts'
import { relativeL2 } from './compare-runs.ts'
import { runOrt } from './testing/run-ort.ts'

ort.env.wasm.numThreads = 1

const VOCAB = 12
const CONTEXT = 6
const model = buildModel({ kind: 'transformer', layers: 4, width: 16, heads: 4 }, { kind: 'tokens', vocab: VOCAB, context: CONTEXT }, VOCAB)
const ROWS = 4
const MICRO = 2

/** One-hot token windows and next-token targets, as the text task feeds them. */
function batch(seed: number) {
  const random = seededRandom(seed)
  const tokens = Array.from({ length: ROWS * (CONTEXT + 1) }, () => Math.floor(random() * VOCAB))
  const x = new Float32Array(ROWS * CONTEXT * VOCAB)
  const y = new Float32Array(ROWS * CONTEXT * VOCAB)
  for (let r = 0; r < ROWS; r++) {
    for (let t = 0; t < CONTEXT; t++) {
      x[(r * CONTEXT + t) * VOCAB + tokens[r * (CONTEXT + 1) + t]!] = 1
      y[(r * CONTEXT + t) * VOCAB + tokens[r * (CONTEXT + 1) + t + 1]!] = 1
    }
  }
  return { x, y, rows: ROWS }
}

const reference = async (graph: Graph, feeds: Feeds): Promise<Feeds> =>
  Object.fromEntries(Object.entries(evaluateNamed(graph, feeds)).map(([k, v]) => [k, Float32Array.from(v)]))

describe('a transformer split into stages', () => {
  const params = initParams(model, 3)
  const data = batch(11)
  // The unsplit model's gradient over the whole batch, in float64.
  const whole = buildGradientGraph(model, ROWS)
  const expected = evaluateNamed(whole, { x: data.x, y: data.y, ...Object.fromEntries([...params].map(([n, v]) => [`${PARAM_PREFIX}${n}`, v])) })

  for (const stageCount of [2, 3, 4]) {
    it(`gives the unsplit model's gradients in ${stageCount} stages, on the reference and on ORT-wasm`, async () => {
      // Cuts spread over the 7 layers (embedding, 4 blocks, norm, head), checked by the stage planner.
      const layers = model.layers.length
      const cuts = Array.from({ length: stageCount - 1 }, (_, i) => Math.round(((i + 1) * layers) / stageCount))
      const plan = planStages(model, { microBatch: MICRO, inFlight: 1, budgetBytes: 1e9, cuts })
      expect(plan.stages).toHaveLength(stageCount)
      const shards = plan.stages.map((s) => buildShard(model, s.from, s.to, MICRO))
      const head = buildLossHead(model, MICRO)
      for (const [engine, run] of [['reference', reference], ['ORT-wasm', runOrt]] as const) {
        const got = await pipelineGradients(shards, head, params, data, MICRO, run)
        const tolerance = engine === 'reference' ? 1e-6 : 1e-4
        expect(Math.abs(got.loss - expected.loss![0]!) / expected.loss![0]!, `${engine} loss`).toBeLessThan(tolerance)
        for (const { name } of paramsOf(model)) {
          expect(relativeL2(got.grads.get(name)!, expected[gradName(name)]!), `${engine} ${name}`).toBeLessThan(tolerance)
        }
      }
    })
  }

  it('keeps the gradients close with compressed boundaries (fp16, int8), measured against fp32 on ORT-wasm', async () => {
    const shards = [buildShard(model, 0, 2, MICRO), buildShard(model, 2, 4, MICRO), buildShard(model, 4, model.layers.length, MICRO)]
    const head = buildLossHead(model, MICRO)
    const errors: Record<string, number> = {}
    for (const format of ['fp16', 'int8'] as const) {
      const got = await pipelineGradients(shards, head, params, data, MICRO, runOrt, format)
      errors[format] = Math.max(...paramsOf(model).map(({ name }) => relativeL2(got.grads.get(name)!, expected[gradName(name)]!)))
    }
    // Measured (the worst parameter's relative L2 error): fp16 1.1e-3, int8 2.9e-2; float32 alone is ~1e-6.
    expect(errors.fp16).toBeLessThan(3e-3)
    expect(errors.int8).toBeLessThan(6e-2)
    expect(errors.int8).toBeGreaterThan(errors.fp16!)
    console.info(`worst parameter gradient error through 3 stages: fp16 ${errors.fp16!.toExponential(2)}, int8 ${errors.int8!.toExponential(2)}`)
  })

  it('refuses a batch that does not split into micro-batches, and stages that do not join', async () => {
    const shards = [buildShard(model, 0, 3, MICRO), buildShard(model, 4, model.layers.length, MICRO)]
    const head = buildLossHead(model, MICRO)
    await expect(pipelineGradients(shards, head, params, data, 3, reference)).rejects.toMatchObject({ code: 'BAD_BATCH' })
    await expect(pipelineGradients(shards, head, params, data, MICRO, reference)).rejects.toMatchObject({ code: 'BAD_STAGE_PLAN', message: expect.stringMatching(/stage 1 starts at layer 4, not where stage 0 ends \(3\)/) })
    const joined = [buildShard(model, 0, 3, MICRO), buildShard(model, 3, model.layers.length, MICRO)]
    const missing = new Map([...params].filter(([n]) => !n.startsWith('4.')))
    await expect(pipelineGradients(joined, head, missing, data, MICRO, reference)).rejects.toMatchObject({ code: 'BAD_STAGE_PLAN', message: expect.stringMatching(/no parameters given for "4\./) })
    const lossy = async (graph: Graph, feeds: Feeds, stage: number) => {
      const out = await reference(graph, feeds)
      if (stage === 1) delete out['activation:out']
      return out
    }
    await expect(pipelineGradients(joined, head, params, data, MICRO, lossy)).rejects.toMatchObject({ code: 'STAGE_OUTPUT_MISSING', message: 'stage 1 returned no "activation:out"' })
  })
})
