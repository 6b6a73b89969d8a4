// A tab's stage engine: the compute worker's stage messages (what ComputeClient.stageEngine sends) give exactly
// what the stage engine gives in this process, checked as a peer's messages would be, and a closed or never
// opened stage is a clear error.
import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { WorkerRuntime } from './worker-runtime.ts'
import { decodeFromWorker, decodeToWorker as decodeAny, type FromWorker, type ToWorker } from './worker-protocol.ts'
import { createLossHead, createStageEngine } from './stage-engine.ts'
import { recipeModel, type ModelRecipe } from '../graph/model-recipe.ts'
import { initParams, shapeAt } from '../graph/model.ts'
import { buildShard } from '../graph/shard.ts'
import { numel } from '../graph/shape.ts'
import { seededRandom } from '../random.ts'

ort.env.wasm.numThreads = 1
/** Messages as the worker decodes them (none of these is a probe, which the worker's global handles). */
const decodeToWorker = (data: unknown) => decodeAny(data) as Exclude<ToWorker, { type: 'probe' }>
const recipe: ModelRecipe = { spec: { kind: 'transformer', layers: 2, width: 16, heads: 4 }, input: { kind: 'tokens', vocab: 12, context: 6 }, outputs: 12, objective: 'classes' }
const model = recipeModel(recipe)
const ROWS = 2

describe('stages in the compute worker', () => {
  it('runs a stage forward and backward as the stage engine does, and refuses a stage not open', async () => {
    const replies: FromWorker[] = []
    const runtime = new WorkerRuntime(async () => ort, (m) => void replies.push(decodeFromWorker(m)))
    const params = initParams(model, 4)
    const random = seededRandom(8)
    const activation = Float32Array.from({ length: ROWS * numel(shapeAt(model, 1)) }, () => random() - 0.5)
    const gradOut = Float32Array.from({ length: ROWS * numel(shapeAt(model, 3)) }, () => random() - 0.5)
    const record = Object.fromEntries(params)
    await runtime.handle(decodeToWorker({ type: 'stage-open', id: 1, handle: 7, model: recipe, from: 1, to: 3, rows: ROWS, backend: 'wasm', wasmThreads: 1 }))
    await runtime.handle(decodeToWorker({ type: 'stage-run', id: 2, handle: 7, pass: 'forward', params: record, activation, gradOut: null }))
    await runtime.handle(decodeToWorker({ type: 'stage-run', id: 3, handle: 7, pass: 'backward', params: record, activation, gradOut }))
    const local = await createStageEngine(ort, buildShard(model, 1, 3, ROWS), 'wasm')
    const forward = replies.find((r) => r.id === 2) as Extract<FromWorker, { type: 'stage-ran' }>
    expect(forward.output).toEqual(await local.forward(params, activation))
    const backward = replies.find((r) => r.id === 3) as Extract<FromWorker, { type: 'stage-ran' }>
    const expected = await local.backward(params, activation, gradOut)
    expect(backward.output).toEqual(expected.gradIn)
    expect(new Map(Object.entries(backward.grads!))).toEqual(expected.grads)
    // Parameters not sent again: the ones the handle was last given.
    await runtime.handle(decodeToWorker({ type: 'stage-run', id: 6, handle: 7, pass: 'forward', params: null, activation, gradOut: null }))
    expect((replies.find((r) => r.id === 6) as Extract<FromWorker, { type: 'stage-ran' }>).output).toEqual(forward.output)
    await runtime.handle(decodeToWorker({ type: 'stage-open', id: 8, handle: 9, model: recipe, from: 1, to: 3, rows: ROWS, backend: 'wasm', wasmThreads: 1 }))
    await expect(runtime.handle(decodeToWorker({ type: 'stage-run', id: 10, handle: 9, pass: 'forward', params: null, activation, gradOut: null }))).rejects.toThrow('stage 9 was sent no parameters yet')
    await local.release()
    await runtime.handle(decodeToWorker({ type: 'stage-close', id: 4, handle: 7 }))
    await expect(runtime.handle(decodeToWorker({ type: 'stage-run', id: 5, handle: 7, pass: 'forward', params: record, activation, gradOut: null }))).rejects.toThrow('no stage is open under handle 7')
  })

  it('decodes stage messages strictly', () => {
    const open = { type: 'stage-open', id: 1, handle: 1, model: recipe, from: 1, to: 3, rows: ROWS, backend: 'wasm', wasmThreads: 1 }
    expect(() => decodeToWorker({ ...open, to: 1 })).toThrow(/"to" must be between 2/)
    expect(() => decodeToWorker({ ...open, to: model.layers.length + 1 })).toThrow(/"to" must be between/)
    expect(() => decodeToWorker({ ...open, backend: 'cuda' })).toThrow(/backend/)
    const run = { type: 'stage-run', id: 2, handle: 1, pass: 'backward', params: {}, activation: new Float32Array(1), gradOut: null }
    expect(() => decodeToWorker(run)).toThrow(/"gradOut" must be a Float32Array/)
    expect(() => decodeToWorker({ ...run, pass: 'sideways' })).toThrow(/"pass" must be one of forward, backward/)
    expect(() => decodeFromWorker({ type: 'stage-ran', id: 1, output: [1], grads: null })).toThrow(/"output" must be a Float32Array or null/)
    expect(() => decodeFromWorker({ type: 'stage-ran', id: 1, output: null, grads: { a: [1] } })).toThrow(/"grads" must be null/)
  })

  it('runs a loss head as this process\'s own does, releases it with its handle, and decodes its messages strictly', async () => {
    const replies: FromWorker[] = []
    const runtime = new WorkerRuntime(async () => ort, (m) => void replies.push(decodeFromWorker(m)))
    const random = seededRandom(3)
    const out = numel(shapeAt(model, model.layers.length))
    const output = Float32Array.from({ length: ROWS * out }, () => random() * 4 - 2)
    // One-hot targets: each position's class is drawn.
    const y = new Float32Array(ROWS * out)
    for (let i = 0; i < y.length; i += 12) y[i + Math.floor(random() * 12)] = 1
    await runtime.handle(decodeToWorker({ type: 'head-open', id: 1, handle: 3, model: recipe, rows: ROWS, backend: 'wasm', wasmThreads: 1 }))
    await runtime.handle(decodeToWorker({ type: 'head-run', id: 2, handle: 3, output, y }))
    const local = await createLossHead(ort, model, ROWS, 'wasm')
    const expected = await local.run(output, y)
    await local.release()
    const ran = replies.find((r) => r.id === 2) as Extract<FromWorker, { type: 'head-ran' }>
    expect(ran.type).toBe('head-ran')
    expect(ran.loss).toBeCloseTo(expected.loss, 6)
    expect(ran.loss).toBeGreaterThan(0)
    expect(ran.grad).toEqual(expected.grad)
    // A wrong-shaped output is an error naming the head, not a silent answer.
    await expect(runtime.handle(decodeToWorker({ type: 'head-run', id: 4, handle: 3, output: output.subarray(1), y }))).rejects.toThrow(/loss head/)
    await runtime.handle(decodeToWorker({ type: 'stage-close', id: 5, handle: 3 }))
    await expect(runtime.handle(decodeToWorker({ type: 'head-run', id: 6, handle: 3, output, y }))).rejects.toThrow('no loss head is open under handle 3')
    expect(() => decodeToWorker({ type: 'head-run', id: 7, handle: 3, output: [1], y })).toThrow(/"output" must be a Float32Array/)
    expect(() => decodeToWorker({ type: 'head-open', id: 8, handle: 3, model: recipe, rows: 0, backend: 'wasm', wasmThreads: 1 })).toThrow(/"rows"/)
    expect(() => decodeFromWorker({ type: 'head-ran', id: 1, loss: '1', grad: new Float32Array(1) })).toThrow(/"loss" must be a number/)
    expect(() => decodeFromWorker({ type: 'head-ran', id: 1, loss: 1, grad: [1] })).toThrow(/"grad" must be a Float32Array/)
  })
})
