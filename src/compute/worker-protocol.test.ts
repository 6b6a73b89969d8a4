import { describe, expect, it } from 'vitest'
import { decodeFromWorker, decodeToWorker } from './worker-protocol.ts'
import { ZOO_RECIPES } from '../graph/model-recipe.ts'
import type { TaskSpec } from '../data/task.ts'

const spec = { model: ZOO_RECIPES.cnn, batchSize: 32, optimizer: 'adamw', seed: 1 }
const TABLE: TaskSpec = {
  kind: 'tabular',
  schema: { kind: 'tabular', features: [{ name: 'a', kind: 'numeric' }, { name: 'c', kind: 'categorical', categories: ['x', 'y'] }], label: 'k', target: { kind: 'classification', classes: ['p', 'q'] } },
  stats: { features: [{ mean: 0, std: 1 }, null] },
  target: null,
}
const TABLE_MODEL = { spec: { kind: 'mlp', hidden: [4] }, input: { kind: 'vector', width: 3 }, outputs: 2, objective: 'classes' }
const evaluate = (overrides: Record<string, unknown>) => ({ type: 'evaluate', id: 4, model: TABLE_MODEL, params: {}, task: TABLE, block: { x: Float32Array.of(0.5, 1, 2, -1), y: Float32Array.of(0, 1) }, wasmThreads: 1, ...overrides })

describe('worker protocol', () => {
  it('decodes every request type', () => {
    expect(decodeToWorker({ type: 'probe', id: 7 })).toEqual({ type: 'probe', id: 7 })
    expect(decodeToWorker({ type: 'warm', id: 6, backend: 'webgpu', wasmThreads: 2 })).toEqual({ type: 'warm', id: 6, backend: 'webgpu', wasmThreads: 2 })
    expect(decodeToWorker({ type: 'init', id: 1, spec, backend: 'wasm', wasmThreads: 2, microBatch: null, params: null })).toMatchObject({ spec, backend: 'wasm', microBatch: null })
    expect(decodeToWorker({ type: 'init', id: 1, spec, backend: 'wasm', wasmThreads: 2, microBatch: 8, params: null })).toMatchObject({ microBatch: 8 })
    expect(decodeToWorker({ type: 'calibrate', id: 5, spec, backend: 'webgpu', wasmThreads: 1, microBatches: [32, 16] })).toMatchObject({ microBatches: [32, 16] })
    const x = new Float32Array(4)
    expect(decodeToWorker({ type: 'train', id: 2, batches: [{ x, y: x }], lr: 0.01, firstStep: 1 })).toMatchObject({ batches: [{ x, y: x }] })
    expect(decodeToWorker({ type: 'throttle', id: 3, dutyCycle: 0.5, paused: false })).toMatchObject({ dutyCycle: 0.5 })
    expect(decodeToWorker(evaluate({}))).toMatchObject({ model: TABLE_MODEL, task: TABLE, block: { count: 2, perSample: 2 } })
    expect(decodeToWorker({ type: 'check-stages', id: 8, backend: 'webgpu', wasmThreads: 1 })).toEqual({ type: 'check-stages', id: 8, backend: 'webgpu', wasmThreads: 1 })
    expect(() => decodeToWorker({ type: 'check-stages', id: 8, backend: 'cuda', wasmThreads: 1 })).toThrow('"backend"')
  })

  it('checks the stage check\'s results on the way back', () => {
    const result = { stages: 2, ranges: [[0, 4], [4, 7]], maxRelative: 1e-6, worstParam: '0.embedding.tokens', lossRelative: 0 }
    expect(decodeFromWorker({ type: 'stages-checked', id: 1, backend: 'wasm', results: [result] })).toMatchObject({ results: [result] })
    expect(() => decodeFromWorker({ type: 'stages-checked', id: 1, backend: 'wasm', results: [{ ...result, maxRelative: 'tiny' }] })).toThrow('"results"')
    expect(() => decodeFromWorker({ type: 'stages-checked', id: 1, backend: 'wasm' })).toThrow('"results"')
  })

  it('carries a fine-tuning job\'s learning-rate scale, bounded', () => {
    const init = (lrScale: unknown) => decodeToWorker({ type: 'init', id: 1, spec: { ...spec, lrScale }, backend: 'wasm', wasmThreads: 1, microBatch: null, params: null })
    expect(init({ bodyLayers: 3, bodyScale: 0.1 })).toMatchObject({ spec: { lrScale: { bodyLayers: 3, bodyScale: 0.1 } } })
    expect(init(undefined)).not.toHaveProperty('spec.lrScale')
    expect(() => init({ bodyLayers: 3, bodyScale: 2 })).toThrow('"bodyScale"')
    expect(() => init({ bodyLayers: -1, bodyScale: 0 })).toThrow('"bodyLayers"')
    expect(() => init('all')).toThrow()
  })

  it('writes text only with a language model, from a prompt of at least its context', () => {
    const lm = { spec: { kind: 'transformer', layers: 1, width: 8, heads: 2 }, input: { kind: 'tokens', vocab: 5, context: 4 }, outputs: 5, objective: 'classes' }
    const generate = (overrides: Record<string, unknown>) => ({ type: 'generate', id: 9, model: lm, params: {}, prompt: Uint16Array.of(1, 2, 3, 4), length: 10, temperature: 0.8, seed: 3, wasmThreads: 1, ...overrides })
    expect(decodeToWorker(generate({}))).toMatchObject({ type: 'generate', length: 10, temperature: 0.8, seed: 3 })
    expect(() => decodeToWorker(generate({ model: TABLE_MODEL }))).toThrow('only a language model writes text')
    expect(() => decodeToWorker(generate({ prompt: Uint16Array.of(1, 2, 3) }))).toThrow('"prompt" must be a Uint16Array of the model\'s 4 to 4096 tokens')
    expect(() => decodeToWorker(generate({ prompt: [1, 2, 3, 4] }))).toThrow('"prompt" must be a Uint16Array')
    expect(() => decodeToWorker(generate({ prompt: new Uint16Array(4097) }))).toThrow('"prompt" must be a Uint16Array')
    expect(decodeToWorker(generate({ prompt: new Uint16Array(4096), length: 4096 }))).toMatchObject({ length: 4096 })
    expect(() => decodeToWorker(generate({ length: 0 }))).toThrow('"length" must be between 1 and 4096')
    expect(() => decodeToWorker(generate({ length: 4097 }))).toThrow('"length" must be between 1 and 4096')
    expect(() => decodeToWorker(generate({ temperature: -0.1 }))).toThrow('"temperature" must be between 0 and 10')
    expect(decodeFromWorker({ type: 'generated', id: 9, tokens: Uint16Array.of(1) })).toEqual({ type: 'generated', id: 9, tokens: Uint16Array.of(1) })
    expect(() => decodeFromWorker({ type: 'generated', id: 9, tokens: [1] })).toThrow('"tokens" must be a Uint16Array')
  })

  it('predicts from inputs of exactly the model\'s shape', () => {
    const predict = (overrides: Record<string, unknown>) => ({ type: 'predict', id: 8, model: TABLE_MODEL, params: {}, x: new Float32Array(6), rows: 2, wasmThreads: 1, ...overrides })
    expect(decodeToWorker(predict({}))).toMatchObject({ type: 'predict', rows: 2 })
    expect(() => decodeToWorker(predict({ rows: 3 }))).toThrow('"x" must hold 3 samples of 3 values')
    expect(() => decodeToWorker(predict({ rows: 0 }))).toThrow('"rows" must be between 1 and 4096')
    expect(() => decodeToWorker(predict({ x: [0, 0, 0, 0, 0, 0] }))).toThrow('"x" must be a Float32Array')
    expect(() => decodeFromWorker({ type: 'predicted', id: 8, outputs: [1] })).toThrow('"outputs" must be a Float32Array')
  })

  it('evaluates only a model that reads and predicts what the task\'s samples are, on samples the task can hold', () => {
    expect(() => decodeToWorker(evaluate({ model: { ...TABLE_MODEL, outputs: 3 } }))).toThrow('the model does not read or predict what the task\'s samples are')
    expect(() => decodeToWorker(evaluate({ model: { ...TABLE_MODEL, input: { kind: 'vector', width: 4 } } }))).toThrow('the model does not read or predict what the task\'s samples are')
    expect(() => decodeToWorker(evaluate({ model: { ...TABLE_MODEL, outputs: 1, objective: 'values' } }))).toThrow('the model does not read or predict what the task\'s samples are')
    expect(() => decodeToWorker(evaluate({ block: { x: [0.5, 1], y: Float32Array.of(0) } }))).toThrow('"block.x" must be a typed array of the task\'s inputs')
    expect(() => decodeToWorker(evaluate({ block: { x: Float32Array.of(0.5, 1), y: [0] } }))).toThrow('"block.y" must be null or a typed array of labels')
    expect(() => decodeToWorker(evaluate({ block: { x: Float32Array.of(0.5, 2), y: Float32Array.of(0) } }))).toThrow('"block": sample 0 feature "c" holds 2')
    expect(() => decodeToWorker(evaluate({ block: { x: Uint8Array.of(0, 1), y: Float32Array.of(0) } }))).toThrow('"block": a tabular block\'s inputs are a Float32Array')
    expect(() => decodeToWorker(evaluate({ params: null }))).toThrow('"params" must be an object of Float32Arrays')
    expect(() => decodeToWorker(evaluate({ task: { ...TABLE, kind: 'audio' } }))).toThrow('task: "kind" must be "image", "tabular" or "text"')
  })

  it('rejects malformed requests with the offending field named', () => {
    expect(() => decodeToWorker({ type: 'fly', id: 1 })).toThrow(/unknown message type "fly"/)
    expect(() => decodeToWorker({ type: 'probe', id: -1 })).toThrow(/"id" must be between/)
    expect(() => decodeToWorker('probe')).toThrow(/expected an object/)
    expect(() => decodeToWorker({ type: 'warm', id: 1, backend: 'cuda', wasmThreads: 1 })).toThrow(/"backend" must be one of webgpu, wasm/)
    expect(() => decodeToWorker({ type: 'warm', id: 1, backend: 'wasm', wasmThreads: 0 })).toThrow(/"wasmThreads" must be between 1 and 64/)
    expect(() => decodeToWorker({ type: 'init', id: 1, spec: { ...spec, model: 'resnet' }, backend: 'wasm', wasmThreads: 1, microBatch: null, params: null })).toThrow('model recipe: expected an object')
    expect(() => decodeToWorker({ type: 'init', id: 1, spec: { ...spec, model: { ...ZOO_RECIPES.cnn, outputs: 1 } }, backend: 'wasm', wasmThreads: 1, microBatch: null, params: null })).toThrow('model recipe: a classifier needs at least 2 classes, not 1')
    expect(() => decodeToWorker({ type: 'init', id: 1, spec, backend: 'wasm', wasmThreads: 1, microBatch: 12, params: null })).toThrow(/"microBatch" \(12\) must divide the batch size 32/)
    expect(() => decodeToWorker({ type: 'init', id: 1, spec, backend: 'wasm', wasmThreads: 1, microBatch: 64, params: null })).toThrow(/"microBatch" must be between 1 and 32/)
    expect(() => decodeToWorker({ type: 'calibrate', id: 1, spec, backend: 'wasm', wasmThreads: 1, microBatches: [] })).toThrow(/1 to 8 candidates/)
    expect(() => decodeToWorker({ type: 'calibrate', id: 1, spec, backend: 'wasm', wasmThreads: 1, microBatches: [32, 5] })).toThrow(/"microBatches\[1\]" \(5\) must divide/)
    expect(() => decodeToWorker({ type: 'train', id: 1, batches: [{ x: [1, 2], y: new Float32Array(1) }], lr: 0.1, firstStep: 1 })).toThrow(/batches\[0\].x must be a Float32Array/)
    expect(() => decodeToWorker({ type: 'train', id: 1, batches: [], lr: 0.1, firstStep: 1 })).toThrow(/1 to 4096 batches/)
    expect(() => decodeToWorker({ type: 'throttle', id: 1, dutyCycle: 0, paused: false })).toThrow(/"dutyCycle" must be between 0.05 and 1/)
  })

  it('decodes replies and rejects unknown or malformed ones', () => {
    expect(decodeFromWorker({ type: 'error', id: 1, code: 'X', message: 'broke' })).toEqual({ type: 'error', id: 1, code: 'X', message: 'broke' })
    expect(() => decodeFromWorker({ type: 'probe-result', id: 1 })).toThrow(/report: expected an object/)
    expect(() => decodeFromWorker({ type: 'bogus', id: 1 })).toThrow(/unknown message type/)
    const summary = { losses: [1], corrects: [0], samples: 2, elapsedMs: 1, samplesPerSecond: 2, gflopsPerSecond: 0, backend: 'wasm' }
    const spent = [{ x: new Float32Array(4), y: new Float32Array(2) }]
    expect(decodeFromWorker({ type: 'trained', id: 2, summary, spent })).toEqual({ type: 'trained', id: 2, summary, spent })
    for (const bad of [undefined, {}, [{ x: [1], y: new Float32Array(1) }], [{ x: new Float32Array(1) }], [null]]) {
      expect(() => decodeFromWorker({ type: 'trained', id: 2, summary, spent: bad })).toThrow('"spent" must be an array of batches of Float32Arrays')
    }
  })
})
