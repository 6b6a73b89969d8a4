// Dropout as train-step inputs: the masks a step draws, the sites a spec's model has, and what a rate of 0
// leaves unchanged.
import { describe, expect, it } from 'vitest'
import { dropoutMasks, maskSeed } from './dropout.ts'
import { buildModel, decodeModelSpec, type ModelSpec } from './model-spec.ts'
import { decodeModelRecipe } from './model-recipe.ts'
import { maskInputs, paramsOf } from './model.ts'
import { buildTrainStep } from './train-step.ts'
import { DEFAULT_ADAMW } from './optimizer.ts'
import { exportOnnx } from './onnx/export.ts'
import { exportTrainLoop } from './train-loop.ts'
import { numel } from './shape.ts'
import { DecodeError, TesseraeError } from '../errors.ts'

const tokens = { kind: 'tokens', vocab: 12, context: 6 } as const
const transformer = (dropout?: number): ModelSpec => ({ kind: 'transformer', layers: 2, width: 16, heads: 4, ...(dropout === undefined ? {} : { dropout }) })

function batchX(seed: number, length = 4 * 6 * 12): Float32Array {
  const x = new Float32Array(length)
  for (let i = 0; i < length; i += 12) x[i + ((i / 12) * 7 + seed) % 12] = 1
  return x
}

describe('dropout masks', () => {
  const step = buildTrainStep(buildModel(transformer(0.3), tokens, 12), 4, DEFAULT_ADAMW)
  const dropout = step.dropout!

  it('drop about the rate of each site and scale the rest by 1 / (1 − rate)', () => {
    const masks = dropoutMasks(dropout, 4, batchX(1), 1)
    expect(masks).toHaveLength(dropout.masks.length)
    let zeros = 0
    let total = 0
    masks.forEach((mask, i) => {
      expect(mask.length).toBe(4 * numel(dropout.masks[i]!.shape))
      for (const v of mask) expect(v === 0 || v === Math.fround(1 / 0.7)).toBe(true)
      zeros += mask.filter((v) => v === 0).length
      total += mask.length
    })
    // 1,920 draws: the share dropped is within 4 standard deviations of 0.3.
    expect(Math.abs(zeros / total - 0.3)).toBeLessThan(4 * Math.sqrt((0.3 * 0.7) / total))
  })

  it('are the same for the same batch and step, and new for another step or another batch', () => {
    const a = dropoutMasks(dropout, 4, batchX(1), 3)
    expect(dropoutMasks(dropout, 4, batchX(1), 3)).toEqual(a)
    expect(dropoutMasks(dropout, 4, batchX(1), 4)).not.toEqual(a)
    const other = batchX(1)
    other[5] = 1
    expect(dropoutMasks(dropout, 4, other, 3)).not.toEqual(a)
    // A batch that is a view into a larger buffer hashes its own values only.
    const big = new Float32Array(10 + batchX(1).length)
    big.set(batchX(1), 10)
    expect(dropoutMasks(dropout, 4, big.subarray(10), 3)).toEqual(a)
    expect(maskSeed(batchX(1), 3)).not.toBe(maskSeed(batchX(1), 2))
  })

  it('reuse the arrays they are given and draw the same values into them', () => {
    const into = dropoutMasks(dropout, 4, batchX(2), 1)
    const again = dropoutMasks(dropout, 4, batchX(1), 1, into)
    expect(again[0]).toBe(into[0])
    expect(again).toEqual(dropoutMasks(dropout, 4, batchX(1), 1))
  })
})

describe('dropout sites from a spec', () => {
  it('a transformer drops its embedding and both residual branches of every block; parameters are unchanged', () => {
    const model = buildModel(transformer(0.2), tokens, 12)
    expect(model.dropout).toBe(0.2)
    expect(maskInputs(model).map((m) => m.name)).toEqual(['drop/0.0', 'drop/1.0', 'drop/1.1', 'drop/2.0', 'drop/2.1'])
    for (const m of maskInputs(model)) expect(m.shape).toEqual([6, 16])
    expect(paramsOf(model)).toEqual(paramsOf(buildModel(transformer(), tokens, 12)))
    // A layer range (a pipeline stage) has only its own sites.
    expect(maskInputs(model, 2, 4).map((m) => m.name)).toEqual(['drop/2.0', 'drop/2.1'])
  })

  it('an MLP drops after each hidden ReLU and a CNN after its dense ReLU', () => {
    const mlp = buildModel({ kind: 'mlp', hidden: [8, 6], dropout: 0.5 }, { kind: 'vector', width: 5 }, 3)
    expect(maskInputs(mlp).map((m) => [m.name, m.shape])).toEqual([['drop/2.0', [8]], ['drop/4.0', [6]]])
    const cnn = buildModel({ kind: 'cnn', channels: [2], dense: 7, dropout: 0.1 }, { kind: 'image', height: 4, width: 4, channels: 1 }, 3)
    expect(maskInputs(cnn).map((m) => [m.name, m.shape])).toEqual([['drop/5.0', [7]]])
  })

  it('a rate of 0, or none, builds the very train step a model without dropout has', () => {
    const plain = buildTrainStep(buildModel(transformer(), tokens, 12), 4, DEFAULT_ADAMW, { microBatch: 2 })
    const zero = buildTrainStep(buildModel(transformer(0), tokens, 12), 4, DEFAULT_ADAMW, { microBatch: 2 })
    expect(zero.dropout).toBeNull()
    expect(exportTrainLoop(zero)).toEqual(exportTrainLoop(plain))
    expect(exportOnnx(zero.graph)).toEqual(exportOnnx(plain.graph))
    const dropped = buildTrainStep(buildModel(transformer(0.1), tokens, 12), 4, DEFAULT_ADAMW, { microBatch: 2 })
    expect(dropped.graph.inputsOfKind('input').map((i) => [i.name, i.value.shape]).filter(([n]) => String(n).startsWith('drop/'))).toEqual(
      ['drop/0.0', 'drop/1.0', 'drop/1.1', 'drop/2.0', 'drop/2.1'].map((n) => [n, [2, 6, 16]]),
    )
    expect(dropped.flopsPerStep).toBeGreaterThan(plain.flopsPerStep)
  })

  it('decodes a rate, leaves a spec without one as it was, and refuses a rate out of range', () => {
    expect(decodeModelSpec({ kind: 'mlp', hidden: [4], dropout: 0.25 })).toEqual({ kind: 'mlp', hidden: [4], dropout: 0.25 })
    expect(decodeModelSpec({ kind: 'mlp', hidden: [4] })).toEqual({ kind: 'mlp', hidden: [4] })
    expect(decodeModelSpec({ kind: 'mlp', hidden: [4], dropout: 0 })).toEqual({ kind: 'mlp', hidden: [4] })
    for (const bad of [-0.1, 0.81, 1, '0.2', null, Number.NaN]) expect(() => decodeModelSpec({ kind: 'mlp', hidden: [4], dropout: bad }), String(bad)).toThrow(DecodeError)
    expect(() => buildModel({ kind: 'mlp', hidden: [4], dropout: 0.9 }, { kind: 'vector', width: 3 }, 2)).toThrow(TesseraeError)
    const recipe = decodeModelRecipe({ spec: transformer(0.2), input: tokens, outputs: 12 })
    expect(recipe.spec.dropout).toBe(0.2)
  })
})
