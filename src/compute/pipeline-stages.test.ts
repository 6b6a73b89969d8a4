// A character transformer split into 2, 3 and 4 stages: the parameter gradients the stages assemble, micro-batch
// by micro-batch (training/pipeline-step.ts), against the unsplit model's gradient from the float64 reference
// interpreter. On the float64 reference each stage's graphs must agree to float32 rounding; on ORT-wasm within
// 1e-4 relative (the bar).
import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { paramsOf } from '../graph/model.ts'
import { buildLossHead, buildShard, gradName } from '../graph/shard.ts'
import { evaluateNamed } from '../graph/reference.ts'
import type { Graph } from '../graph/graph.ts'
import { pipelineGradients, type Feeds } from '../training/pipeline-step.ts'
import { relativeL2 } from './compare-runs.ts'
import { runOrt } from './testing/run-ort.ts'
import { checkStages, checkStagesWith, STAGE_CHECK_MICRO, STAGE_COUNTS, STAGE_TOLERANCE, stageCheckModel, stageCheckReference } from './stage-check.ts'

ort.env.wasm.numThreads = 1

const model = stageCheckModel()
const MICRO = STAGE_CHECK_MICRO

const reference = async (graph: Graph, feeds: Feeds): Promise<Feeds> =>
  Object.fromEntries(Object.entries(evaluateNamed(graph, feeds)).map(([k, v]) => [k, Float32Array.from(v)]))

describe('a transformer split into stages', () => {
  // The unsplit model's gradient over the whole batch, in float64.
  const { params, data, expected } = stageCheckReference()

  // The device check's code (compute/stage-check.ts): cuts spread over the 7 layers (embedding, 4 blocks,
  // norm, head), checked by the stage planner.
  for (const [engine, run, tolerance] of [['the float64 reference', reference, 1e-6], ['ORT-wasm', runOrt, STAGE_TOLERANCE.wasm]] as const) {
    it(`gives the unsplit model's gradients in ${STAGE_COUNTS.join(', ')} stages on ${engine}`, async () => {
      const results = await checkStagesWith(run)
      expect(results.map((r) => r.stages)).toEqual([...STAGE_COUNTS])
      expect(results.map((r) => r.ranges.length)).toEqual([...STAGE_COUNTS])
      for (const r of results) {
        expect(r.lossRelative, `${r.stages} stages: loss`).toBeLessThan(tolerance)
        expect(r.maxRelative, `${r.stages} stages: ${r.worstParam}`).toBeLessThan(tolerance)
      }
    })
  }

  it('fails an engine that computes NaN, however little else differs', async () => {
    const broken = async (graph: Graph, feeds: Feeds, stage: number) => {
      const out = await reference(graph, feeds)
      if (stage === 1) for (const values of Object.values(out)) values.fill(Number.NaN)
      return out
    }
    for (const r of await checkStagesWith(broken)) expect(r.maxRelative, `${r.stages} stages`).toBe(Infinity)
  })

  it('checkStages runs the same check in sessions of its own on a device backend', async () => {
    const results = await checkStages(ort, 'wasm')
    expect(results).toHaveLength(STAGE_COUNTS.length)
    for (const r of results) expect(r.maxRelative, `${r.stages} stages`).toBeLessThan(STAGE_TOLERANCE.wasm)
  })

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
