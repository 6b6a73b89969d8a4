// Held-out metrics for every task kind on ORT wasm, checked against the same metrics computed by hand from the
// float64 reference's logits: classes (accuracy, cross-entropy, predictions), values (close share, squared
// error) and text (next-token accuracy, cross-entropy per token).
import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { evaluateTask, predictOutputs } from './evaluate.ts'
import { recipeModel, type ModelRecipe } from '../graph/model-recipe.ts'
import { initParams, type Model } from '../graph/model.ts'
import { buildInference, PARAM_PREFIX } from '../graph/train-step.ts'
import { evaluateNamed } from '../graph/reference.ts'
import { taskInput, taskOutputs, type TaskSpec } from '../data/task.ts'
import { makeBlock, type TaskBlock } from '../data/task-block.ts'
import { taskBatch } from '../data/task-batch.ts'
import { UNKNOWN } from '../data/text.ts'

ort.env.wasm.numThreads = 1

const TABLE: TaskSpec = {
  kind: 'tabular',
  schema: { kind: 'tabular', features: [{ name: 'a', kind: 'numeric' }, { name: 'b', kind: 'numeric' }, { name: 'c', kind: 'categorical', categories: ['x', 'y'] }], label: 'k', target: { kind: 'classification', classes: ['p', 'q', 'r'] } },
  stats: { features: [{ mean: 1, std: 2 }, { mean: -1, std: 0.5 }, null] },
  target: null,
}
const PRICE: TaskSpec = { ...TABLE, schema: { ...TABLE.schema, target: { kind: 'regression' } }, target: { mean: 3, std: 2 } }
const TEXT: TaskSpec = { kind: 'text', schema: { kind: 'text', tokens: 'characters', vocab: [UNKNOWN, 'a', 'b', 'c', 'd'], context: 4 } }

function rows(task: TaskSpec, count: number): TaskBlock {
  const wave = (i: number) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453)
  if (task.kind === 'text') return makeBlock(task, Uint16Array.from({ length: count * 5 }, (_, i) => Math.floor(wave(i) * 5)), null)
  if (task.kind !== 'tabular') throw new Error('rows are table rows or text')
  const x = Float32Array.from({ length: count * 3 }, (_, i) => (i % 3 === 2 ? Math.floor(wave(i) * 3) - 1 : wave(i) * 4 - 2))
  const y = Float32Array.from({ length: count }, (_, i) => (task.schema.target.kind === 'classification' ? Math.floor(wave(i + 99) * 3) : wave(i + 99) * 6))
  return makeBlock(task, x, y)
}

function modelFor(task: TaskSpec, spec: ModelRecipe['spec']): Model {
  return recipeModel({ spec, input: taskInput(task), ...taskOutputs(task) })
}

/** The metrics by hand from the float64 reference's logits, over the first `count` samples. */
function byHand(model: Model, params: Map<string, Float32Array>, task: TaskSpec, block: TaskBlock, count: number) {
  const graph = buildInference(model, count)
  const { x, y } = taskBatch(task, block, Array.from({ length: count }, (_, i) => i))
  const logits = evaluateNamed(graph, { x, ...Object.fromEntries([...params].map(([k, v]) => [PARAM_PREFIX + k, v])) }).logits!
  const width = model.classes
  let hits = 0
  let loss = 0
  const n = logits.length / width
  for (let r = 0; r < n; r++) {
    const row = Array.from(logits.subarray(r * width, (r + 1) * width))
    const target = Array.from(y.subarray(r * width, (r + 1) * width))
    if (model.objective === 'values') {
      const d = (row[0]! - target[0]!) ** 2
      loss += d
      if (d < 0.25) hits++
      continue
    }
    const label = target.indexOf(1)
    const best = row.indexOf(Math.max(...row))
    loss += Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[label]!
    if (best === label) hits++
  }
  return { accuracy: hits / n, loss: loss / n }
}

describe('held-out metrics for every task', () => {
  const cases: Array<[string, TaskSpec, ModelRecipe['spec']]> = [
    ['table rows, 3 classes', TABLE, { kind: 'mlp', hidden: [6] }],
    ['table rows, a value', PRICE, { kind: 'mlp', hidden: [6] }],
    ['text, next token', TEXT, { kind: 'transformer', layers: 1, width: 8, heads: 2 }],
  ]
  for (const [name, task, spec] of cases) {
    it(`${name}: the engine's metrics equal the reference's, over whole batches only`, async () => {
      const model = modelFor(task, spec)
      const params = initParams(model, 3)
      const block = rows(task, 50)
      // Batches of 20: samples 40..49 do not fill one and are left out, as the predictions say.
      const result = await evaluateTask(ort, model, params, task, block, { batchSize: 20 })
      const expected = byHand(model, params, task, block, 40)
      expect(result.accuracy).toBeCloseTo(expected.accuracy, 10)
      expect(result.loss).toBeCloseTo(expected.loss, 4)
      expect(result.predictions.length).toBe(task.kind === 'tabular' && task.target === null ? 40 : 0)
    })
  }

  it('gives a few inputs\' outputs as the reference computes them, and refuses inputs of another shape', async () => {
    const model = modelFor(TABLE, { kind: 'mlp', hidden: [5] })
    const params = initParams(model, 4)
    const { x } = taskBatch(TABLE, rows(TABLE, 2), [0, 1])
    const expected = evaluateNamed(buildInference(model, 2), { x, ...Object.fromEntries([...params].map(([k, v]) => [PARAM_PREFIX + k, v])) }).logits!
    const outputs = await predictOutputs(ort, model, params, x, 2)
    expect(outputs.length).toBe(6)
    outputs.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5))
    await expect(predictOutputs(ort, model, params, x, 3)).rejects.toThrow('8 input values are not 3 samples of 4')
  })

  it('predicts each row\'s arg-max class', async () => {
    const model = modelFor(TABLE, { kind: 'mlp', hidden: [] })
    const params = initParams(model, 1)
    const block = rows(TABLE, 10)
    const result = await evaluateTask(ort, model, params, TABLE, block, { batchSize: 10 })
    const logits = evaluateNamed(buildInference(model, 10), { x: taskBatch(TABLE, block, [...Array(10).keys()]).x, ...Object.fromEntries([...params].map(([k, v]) => [PARAM_PREFIX + k, v])) }).logits!
    expect(Array.from(result.predictions)).toEqual(Array.from({ length: 10 }, (_, r) => { const row = Array.from(logits.subarray(r * 3, r * 3 + 3)); return row.indexOf(Math.max(...row)) }))
    await expect(evaluateTask(ort, model, params, TABLE, block, { limit: 0 })).rejects.toThrow('there are no samples to evaluate on')
  })
})
