// Models from specs: the zoo's three models come back layer for layer from their specs; other inputs (RGB images
// of the owner's size, table rows, token windows) get the shapes their task needs; costs are computed from the
// graph (checked here against hand counts); every bound is refused by name, exactly at and one past.
import { describe, expect, it } from 'vitest'
import { buildModel, checkFitsPhone, decodeModelSpec, modelCost, PHONE_TAB_BYTES, SPEC_LIMITS, type InputSpec, type ModelSpec } from './model-spec.ts'
import { paramsOf, shapeAt, type Model } from './model.ts'
import { cnn, mlp, tinyTransformer } from './zoo.ts'

const FASHION: InputSpec = { kind: 'image', height: 28, width: 28, channels: 1 }
const shapes = (m: Model) => paramsOf(m).map((p) => [p.name, p.shape])

describe('building a model from a spec', () => {
  it('gives back the zoo\'s models from their specs, parameter for parameter', () => {
    expect(shapes(buildModel({ kind: 'mlp', hidden: [256, 128] }, FASHION, 10))).toEqual(shapes(mlp()))
    expect(shapes(buildModel({ kind: 'cnn', channels: [16, 32], dense: 128 }, FASHION, 10))).toEqual(shapes(cnn()))
    expect(shapes(buildModel({ kind: 'transformer', layers: 1, width: 16, heads: 2 }, { kind: 'tokens', vocab: 16, context: 8 }, 16))).toEqual(shapes(tinyTransformer()))
    expect(modelCost(buildModel({ kind: 'cnn', channels: [16, 32], dense: 128 }, FASHION, 10), 32)).toEqual(modelCost(cnn(), 32))
  })

  it('fits RGB images of any size its blocks divide, table rows and token windows', () => {
    const rgb = buildModel({ kind: 'cnn', channels: [8, 16, 32], dense: 64 }, { kind: 'image', height: 48, width: 64, channels: 3 }, 7)
    expect(rgb.inputShape).toEqual([3, 48, 64])
    expect(shapeAt(rgb, 9)).toEqual([32, 6, 8])
    expect(shapeAt(rgb, rgb.layers.length)).toEqual([7])
    const tabular = buildModel({ kind: 'mlp', hidden: [32] }, { kind: 'vector', width: 13 }, 3)
    expect(tabular.inputShape).toEqual([13])
    expect(shapes(tabular)).toEqual([['1.linear.weight', [13, 32]], ['1.linear.bias', [32]], ['3.linear.weight', [32, 3]], ['3.linear.bias', [3]]])
    // No hidden layer: a linear (softmax regression) model.
    expect(buildModel({ kind: 'mlp', hidden: [] }, { kind: 'vector', width: 30 }, 2).layers.map((l) => l.kind)).toEqual(['flatten', 'linear'])
    const text = buildModel({ kind: 'transformer', layers: 4, width: 128, heads: 4 }, { kind: 'tokens', vocab: 96, context: 128 }, 96)
    expect(text.inputShape).toEqual([128, 96])
    expect(shapeAt(text, text.layers.length)).toEqual([128, 96])
  })

  it('refuses a spec its input cannot take, saying what would', () => {
    const bad = (spec: ModelSpec, input: InputSpec, outputs = 10) => () => buildModel(spec, input, outputs)
    expect(bad({ kind: 'cnn', channels: [8, 8, 8], dense: 16 }, { kind: 'image', height: 30, width: 30, channels: 3 })).toThrow('3 pooling blocks halve the image 3 times, so its sides must be multiples of 8; 30×30 is not (pick 32×32 or fewer blocks)')
    expect(bad({ kind: 'cnn', channels: [8], dense: 16 }, { kind: 'vector', width: 13 })).toThrow('a CNN reads images; a feature vector has no pixels to convolve (use an MLP)')
    expect(bad({ kind: 'transformer', layers: 1, width: 16, heads: 2 }, FASHION)).toThrow("a transformer reads tokens; this task's input is an image")
    expect(bad({ kind: 'mlp', hidden: [8] }, { kind: 'tokens', vocab: 16, context: 8 })).toThrow('an MLP reads an image or a feature vector; a language model is a transformer')
    expect(bad({ kind: 'transformer', layers: 1, width: 16, heads: 2 }, { kind: 'tokens', vocab: 16, context: 8 }, 10)).toThrow('a language model predicts one of its 16 tokens, not 10 outputs')
    expect(bad({ kind: 'transformer', layers: 1, width: 18, heads: 4 }, { kind: 'tokens', vocab: 16, context: 8 }, 16)).toThrow("a transformer's width is 8 to 1024 and a multiple of its 4 heads, not 18")
    expect(bad({ kind: 'mlp', hidden: [8] }, { kind: 'image', height: 28, width: 28, channels: 2 as 1 })).toThrow('an image has 1 (grayscale) or 3 (RGB) channels, not 2')
  })

  it('takes every bound exactly and refuses one past it', () => {
    const L = SPEC_LIMITS
    const ok = (spec: ModelSpec, input: InputSpec, outputs: number) => expect(() => buildModel(spec, input, outputs)).not.toThrow()
    const no = (spec: ModelSpec, input: InputSpec, outputs: number, message: string) => expect(() => buildModel(spec, input, outputs)).toThrow(message)
    const vec: InputSpec = { kind: 'vector', width: 4 }
    ok({ kind: 'mlp', hidden: new Array(L.hiddenLayers).fill(2) }, vec, 2)
    no({ kind: 'mlp', hidden: new Array(L.hiddenLayers + 1).fill(2) }, vec, 2, `an MLP has at most ${L.hiddenLayers} hidden layers, not ${L.hiddenLayers + 1}`)
    ok({ kind: 'mlp', hidden: [L.width] }, { kind: 'vector', width: 1 }, 2)
    // One output is a regression model's; a classifier needs two classes.
    expect(() => buildModel({ kind: 'mlp', hidden: [2] }, vec, 1, 'values')).not.toThrow()
    no({ kind: 'mlp', hidden: [2] }, vec, 1, 'a classifier needs at least 2 classes, not 1')
    no({ kind: 'mlp', hidden: [L.width + 1] }, vec, 2, `a hidden layer is 1 to ${L.width} wide, not ${L.width + 1}`)
    no({ kind: 'mlp', hidden: [0] }, vec, 2, 'a hidden layer is 1 to 4096 wide, not 0')
    ok({ kind: 'mlp', hidden: [] }, { kind: 'vector', width: L.vectorWidth }, L.outputs)
    no({ kind: 'mlp', hidden: [] }, { kind: 'vector', width: L.vectorWidth + 1 }, 2, `a feature vector has 1 to ${L.vectorWidth} values, not ${L.vectorWidth + 1}`)
    no({ kind: 'mlp', hidden: [] }, vec, L.outputs + 1, `a model has 1 to ${L.outputs} outputs, not ${L.outputs + 1}`)
    no({ kind: 'mlp', hidden: [] }, vec, 0, 'a model has 1 to 1024 outputs, not 0')
    ok({ kind: 'mlp', hidden: [] }, { kind: 'image', height: 4, width: L.imageSide, channels: 1 }, 2)
    no({ kind: 'mlp', hidden: [] }, { kind: 'image', height: 3, width: 8, channels: 1 }, 2, 'an image is 4 to 256 pixels a side, not 3×8')
    no({ kind: 'mlp', hidden: [] }, { kind: 'image', height: 8, width: L.imageSide + 1, channels: 1 }, 2, 'an image is 4 to 256 pixels a side, not 8×257')
    const img: InputSpec = { kind: 'image', height: 32, width: 32, channels: 3 }
    ok({ kind: 'cnn', channels: new Array(L.cnnBlocks).fill(1), dense: 1 }, img, 2)
    no({ kind: 'cnn', channels: new Array(L.cnnBlocks + 1).fill(1), dense: 1 }, { kind: 'image', height: 64, width: 64, channels: 1 }, 2, `a CNN has 1 to ${L.cnnBlocks} blocks, not ${L.cnnBlocks + 1}`)
    no({ kind: 'cnn', channels: [], dense: 1 }, img, 2, 'a CNN has 1 to 5 blocks, not 0')
    ok({ kind: 'cnn', channels: [L.channels], dense: L.width }, { kind: 'image', height: 4, width: 4, channels: 1 }, 2)
    no({ kind: 'cnn', channels: [L.channels + 1], dense: 1 }, img, 2, `a CNN block has 1 to ${L.channels} channels, not ${L.channels + 1}`)
    no({ kind: 'cnn', channels: [1], dense: L.width + 1 }, img, 2, `a CNN's dense layer is 1 to ${L.width} wide, not ${L.width + 1}`)
    const tokens = (vocab: number, context: number): InputSpec => ({ kind: 'tokens', vocab, context })
    ok({ kind: 'transformer', layers: 1, width: 8, heads: 1 }, tokens(2, 2), 2)
    no({ kind: 'transformer', layers: 1, width: 8, heads: 1 }, tokens(1, 2), 1, 'a vocabulary has 2 to 1024 tokens, not 1')
    no({ kind: 'transformer', layers: 1, width: 8, heads: 1 }, tokens(L.vocab + 1, 2), L.vocab + 1, `a vocabulary has 2 to ${L.vocab} tokens, not ${L.vocab + 1}`)
    no({ kind: 'transformer', layers: 1, width: 8, heads: 1 }, tokens(4, 1), 4, 'a context is 2 to 1024 tokens, not 1')
    no({ kind: 'transformer', layers: 1, width: 8, heads: 1 }, tokens(4, L.context + 1), 4, `a context is 2 to ${L.context} tokens, not ${L.context + 1}`)
    no({ kind: 'transformer', layers: 0, width: 8, heads: 1 }, tokens(4, 4), 4, 'a transformer has 1 to 24 layers, not 0')
    no({ kind: 'transformer', layers: L.transformerLayers + 1, width: 8, heads: 1 }, tokens(4, 4), 4, `a transformer has 1 to ${L.transformerLayers} layers, not ${L.transformerLayers + 1}`)
    no({ kind: 'transformer', layers: 1, width: 16, heads: L.heads + 1 }, tokens(4, 4), 4, `a transformer has 1 to ${L.heads} heads, not ${L.heads + 1}`)
    no({ kind: 'transformer', layers: 1, width: 4, heads: 1 }, tokens(4, 4), 4, "a transformer's width is 8 to 1024")
    no({ kind: 'transformer', layers: 1, width: L.transformerWidth + 16, heads: 16 }, tokens(4, 4), 4, "a transformer's width is 8 to 1024")
  })
})

describe('what a model costs', () => {
  it('counts parameters, FLOPs per sample and a tab\'s memory from the graph', () => {
    const model = buildModel({ kind: 'mlp', hidden: [32] }, { kind: 'vector', width: 13 }, 3)
    const cost = modelCost(model, 64)
    expect(cost.parameters).toBe(13 * 32 + 32 + 32 * 3 + 3)
    // Forward matmuls 2·13·32 + 2·32·3; backward, both weight gradients and the hidden layer's input gradient
    // (nothing needs the input's): 2·13·32 + 2·2·32·3. Elementwise ops add a little.
    const matmuls = 2 * (2 * 13 * 32) + 3 * (2 * 32 * 3)
    expect(cost.flopsPerSample).toBeGreaterThan(matmuls)
    expect(cost.flopsPerSample).toBeLessThan(matmuls * 1.25)
    // Linear in the batch: doubling it adds exactly the per-sample activations once more.
    const double = modelCost(model, 128)
    expect(double.flopsPerSample).toBe(cost.flopsPerSample)
    const perSample = (double.bytesPerTab - cost.bytesPerTab) / 64
    expect(perSample).toBeGreaterThan(4 * (32 + 3))
    expect(cost.bytesPerTab - 64 * perSample).toBeGreaterThanOrEqual(16 * cost.parameters)
    expect(() => modelCost(model, 0)).toThrow('a batch is 1 to 4096 samples, not 0')
    expect(() => modelCost(model, 4097)).toThrow('a batch is 1 to 4096 samples, not 4097')
  })

  it('takes a 3M-parameter character model on a phone in micro-batches of 4, and refuses what a phone\'s tab cannot hold', () => {
    const text = buildModel({ kind: 'transformer', layers: 4, width: 240, heads: 4 }, { kind: 'tokens', vocab: 96, context: 128 }, 96)
    const cost = modelCost(text, 4)
    expect(cost.parameters).toBeGreaterThan(2.5e6)
    expect(cost.parameters).toBeLessThan(3e6)
    expect(() => checkFitsPhone(cost)).not.toThrow()
    const big = modelCost(buildModel({ kind: 'mlp', hidden: [4096, 4096, 4096, 4096] }, { kind: 'image', height: 64, width: 64, channels: 3 }, 10), 32)
    expect(big.bytesPerTab).toBeGreaterThan(PHONE_TAB_BYTES)
    expect(() => checkFitsPhone(big)).toThrow(/^training this model 32 rows at a time needs about \d+ MiB per tab, more than the 256 MiB a phone's tab can give/)
  })
})

describe('a spec as a file or a job carries it', () => {
  it('decodes each family and refuses each malformed part by name', () => {
    const specs: ModelSpec[] = [{ kind: 'mlp', hidden: [] }, { kind: 'mlp', hidden: [64, 32] }, { kind: 'cnn', channels: [8, 16], dense: 32 }, { kind: 'transformer', layers: 2, width: 64, heads: 4 }]
    for (const spec of specs) expect(decodeModelSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec)
    expect(() => decodeModelSpec({ kind: 'rnn' })).toThrow('"kind" must be "mlp", "cnn" or "transformer"')
    expect(() => decodeModelSpec({ kind: 'mlp' })).toThrow('"hidden" must list 0 to 8 sizes')
    expect(() => decodeModelSpec({ kind: 'mlp', hidden: new Array(9).fill(1) })).toThrow('"hidden" must list 0 to 8 sizes')
    expect(() => decodeModelSpec({ kind: 'mlp', hidden: [1, 2.5] })).toThrow('"hidden"[1] must be a whole number from 1 to 4096')
    expect(() => decodeModelSpec({ kind: 'mlp', hidden: ['8'] })).toThrow('"hidden"[0] must be a whole number')
    expect(() => decodeModelSpec({ kind: 'mlp', hidden: [4097] })).toThrow('"hidden"[0] must be a whole number from 1 to 4096')
    expect(() => decodeModelSpec({ kind: 'cnn', channels: [], dense: 8 })).toThrow('"channels" must list 1 to 5 sizes')
    expect(() => decodeModelSpec({ kind: 'cnn', channels: [257], dense: 8 })).toThrow('"channels"[0] must be a whole number from 1 to 256')
    expect(() => decodeModelSpec({ kind: 'cnn', channels: [8] })).toThrow('"dense"')
    expect(() => decodeModelSpec({ kind: 'transformer', layers: 2, width: 66, heads: 4 })).toThrow('"width" 66 is not a multiple of "heads" 4')
    expect(() => decodeModelSpec({ kind: 'transformer', layers: 25, width: 64, heads: 4 })).toThrow('"layers"')
    expect(() => decodeModelSpec({ kind: 'transformer', layers: 2, width: 64, heads: 0 })).toThrow('"heads"')
    expect(() => decodeModelSpec('mlp')).toThrow('model spec')
  })
})
