// Models from a spec, not a zoo: a job names its input (an image of the owner's size and channels, a vector of
// encoded table features, or a window of tokens) and a few choices per family (MLP widths; CNN channels per
// block; transformer layers, width and heads), and gets a Model built from the same layers the zoo uses, so
// every op keeps its checked gradient and every train step its float64 reference. What a model costs (its
// parameters, training FLOPs per sample, and a tab's memory for a batch) is computed from the graph itself,
// and a model a phone's tab could not hold is refused before anyone trains it.
import { DecodeError, TesseraeError } from '../errors.ts'
import { asObject, readInteger } from '../schema.ts'
import { flatten, layerNorm, linear, relu } from './layers/basic.ts'
import { conv2d, maxPool } from './layers/spatial.ts'
import { embedding, transformerBlock } from './layers/attention.ts'
import { paramsOf, type Model } from './model.ts'
import { numel } from './shape.ts'
import { buildTrainStep } from './train-step.ts'
import { DEFAULT_ADAMW } from './optimizer.ts'
import { opFloats } from './flops.ts'

export type InputSpec =
  | { kind: 'image'; height: number; width: number; channels: 1 | 3 }
  /** Encoded table features (data/tabular-schema.ts encodedWidth). */
  | { kind: 'vector'; width: number }
  /** A window of `context` tokens from a vocabulary of `vocab`; the model predicts each next token. */
  | { kind: 'tokens'; vocab: number; context: number }

/**
 * `dropout` (absent: none) is the training dropout rate: after each hidden ReLU of an MLP, after a CNN's dense
 * ReLU, and on a transformer's embedding and each residual branch (GPT-2's sites). It changes no parameter.
 */
export type ModelSpec = (
  | { kind: 'mlp'; hidden: number[] }
  /** One block per entry: a 3×3 convolution to that many channels, ReLU, 2×2 max-pool; then one dense layer. */
  | { kind: 'cnn'; channels: number[]; dense: number }
  | { kind: 'transformer'; layers: number; width: number; heads: number }
) & { dropout?: number }

/** Bounds a spec must keep (the decoder's and the builder's). */
export const SPEC_LIMITS = {
  hiddenLayers: 8,
  width: 4096,
  cnnBlocks: 5,
  channels: 256,
  transformerLayers: 24,
  transformerWidth: 1024,
  heads: 16,
  /** The largest dropout rate: past it, a layer's output is mostly noise. */
  dropout: 0.8,
  imageSide: 256,
  vectorWidth: 65_536,
  vocab: 1024,
  context: 1024,
  outputs: 1024,
} as const

/** A phone's tab: what one volunteer on the smallest device the product serves can give a model. */
export const PHONE_TAB_BYTES = 256 * 2 ** 20

function check(ok: boolean, problem: string): void {
  if (!ok) throw new TesseraeError('BAD_MODEL_SPEC', problem)
}

const inRange = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi

function checkInput(input: InputSpec): void {
  if (input.kind === 'image') {
    check(inRange(input.height, 4, SPEC_LIMITS.imageSide) && inRange(input.width, 4, SPEC_LIMITS.imageSide), `an image is 4 to ${SPEC_LIMITS.imageSide} pixels a side, not ${input.height}×${input.width}`)
    check(input.channels === 1 || input.channels === 3, `an image has 1 (grayscale) or 3 (RGB) channels, not ${String(input.channels)}`)
  } else if (input.kind === 'vector') check(inRange(input.width, 1, SPEC_LIMITS.vectorWidth), `a feature vector has 1 to ${SPEC_LIMITS.vectorWidth} values, not ${input.width}`)
  else {
    check(inRange(input.vocab, 2, SPEC_LIMITS.vocab), `a vocabulary has 2 to ${SPEC_LIMITS.vocab} tokens, not ${input.vocab}`)
    check(inRange(input.context, 2, SPEC_LIMITS.context), `a context is 2 to ${SPEC_LIMITS.context} tokens, not ${input.context}`)
  }
}

/**
 * The model `spec` describes for `input`, with `outputs` class scores (or, with `objective` "values", values
 * to predict) per sample or per token.
 */
export function buildModel(spec: ModelSpec, input: InputSpec, outputs: number, objective: 'classes' | 'values' = 'classes'): Model {
  const model = buildLayers(spec, input, outputs)
  if (objective === 'values') {
    check(input.kind !== 'tokens', 'a language model predicts tokens, not values')
    return { ...model, objective }
  }
  check(outputs >= 2, `a classifier needs at least 2 classes, not ${outputs}`)
  return model
}

function buildLayers(spec: ModelSpec, input: InputSpec, outputs: number): Model {
  const rate = spec.dropout ?? 0
  check(typeof rate === 'number' && rate >= 0 && rate <= SPEC_LIMITS.dropout, `a dropout rate is 0 to ${SPEC_LIMITS.dropout}, not ${String(rate)}`)
  const model = buildPlain(spec, input, outputs, rate > 0)
  return rate > 0 ? { ...model, dropout: rate } : model
}

function buildPlain(spec: ModelSpec, input: InputSpec, outputs: number, dropout: boolean): Model {
  checkInput(input)
  check(inRange(outputs, 1, SPEC_LIMITS.outputs), `a model has 1 to ${SPEC_LIMITS.outputs} outputs, not ${outputs}`)
  if (spec.kind === 'transformer') {
    check(input.kind === 'tokens', `a transformer reads tokens; this task's input is ${input.kind === 'image' ? 'an image' : 'a feature vector'}`)
    const tokens = input as Extract<InputSpec, { kind: 'tokens' }>
    check(outputs === tokens.vocab, `a language model predicts one of its ${tokens.vocab} tokens, not ${outputs} outputs`)
    check(inRange(spec.layers, 1, SPEC_LIMITS.transformerLayers), `a transformer has 1 to ${SPEC_LIMITS.transformerLayers} layers, not ${spec.layers}`)
    check(inRange(spec.heads, 1, SPEC_LIMITS.heads), `a transformer has 1 to ${SPEC_LIMITS.heads} heads, not ${spec.heads}`)
    check(inRange(spec.width, 8, SPEC_LIMITS.transformerWidth) && spec.width % spec.heads === 0, `a transformer's width is 8 to ${SPEC_LIMITS.transformerWidth} and a multiple of its ${spec.heads} heads, not ${spec.width}`)
    return {
      name: 'transformer',
      inputShape: [tokens.context, tokens.vocab],
      classes: tokens.vocab,
      layers: [
        embedding(tokens.vocab, spec.width, tokens.context, { dropout }),
        ...Array.from({ length: spec.layers }, () => transformerBlock(spec.width, spec.heads, tokens.context, { dropout })),
        layerNorm(spec.width),
        linear(spec.width, tokens.vocab),
      ],
    }
  }
  check(input.kind !== 'tokens', `a${spec.kind === 'mlp' ? 'n MLP' : ' CNN'} reads an image or a feature vector; a language model is a transformer`)
  if (spec.kind === 'mlp') {
    check(spec.hidden.length <= SPEC_LIMITS.hiddenLayers, `an MLP has at most ${SPEC_LIMITS.hiddenLayers} hidden layers, not ${spec.hidden.length}`)
    for (const h of spec.hidden) check(inRange(h, 1, SPEC_LIMITS.width), `a hidden layer is 1 to ${SPEC_LIMITS.width} wide, not ${h}`)
    const inputShape = input.kind === 'image' ? [input.channels, input.height, input.width] : [(input as { width: number }).width]
    const widths = [numel(inputShape), ...spec.hidden]
    return {
      name: 'mlp',
      inputShape,
      classes: outputs,
      layers: [flatten(), ...spec.hidden.flatMap((h, i) => [linear(widths[i]!, h), relu({ dropout })]), linear(widths.at(-1)!, outputs)],
    }
  }
  check(input.kind === 'image', 'a CNN reads images; a feature vector has no pixels to convolve (use an MLP)')
  const image = input as Extract<InputSpec, { kind: 'image' }>
  const blocks = spec.channels.length
  check(inRange(blocks, 1, SPEC_LIMITS.cnnBlocks), `a CNN has 1 to ${SPEC_LIMITS.cnnBlocks} blocks, not ${blocks}`)
  for (const c of spec.channels) check(inRange(c, 1, SPEC_LIMITS.channels), `a CNN block has 1 to ${SPEC_LIMITS.channels} channels, not ${c}`)
  check(inRange(spec.dense, 1, SPEC_LIMITS.width), `a CNN's dense layer is 1 to ${SPEC_LIMITS.width} wide, not ${spec.dense}`)
  const scale = 2 ** blocks
  check(image.height % scale === 0 && image.width % scale === 0, `${blocks} pooling blocks halve the image ${blocks} times, so its sides must be multiples of ${scale}; ${image.height}×${image.width} is not (pick ${Math.max(scale, Math.round(image.height / scale) * scale)}×${Math.max(scale, Math.round(image.width / scale) * scale)} or fewer blocks)`)
  const ins = [image.channels, ...spec.channels]
  const flat = spec.channels.at(-1)! * (image.height / scale) * (image.width / scale)
  return {
    name: 'cnn',
    inputShape: [image.channels, image.height, image.width],
    classes: outputs,
    layers: [...spec.channels.flatMap((c, i) => [conv2d(ins[i]!, c, 3), relu(), maxPool(2)]), flatten(), linear(flat, spec.dense), relu({ dropout }), linear(spec.dense, outputs)],
  }
}

export interface ModelCost {
  parameters: number
  /** Forward, loss and backward FLOPs one sample costs in training (the optimiser's update is per step). */
  flopsPerSample: number
  /**
   * A tab's memory for training `batch` rows per engine run (the job's micro-batch): parameters, gradients and AdamW's two moments, plus every value
   * the forward pass computes for the batch, which the backward pass reads (an upper bound: the engine frees
   * some early, and the backward pass's own temporaries come and go one layer at a time).
   */
  bytesPerTab: number
  batch: number
}

/** The train step's FLOPs, and the floats of every value its forward pass (what the loss depends on) computes. */
function stepCost(model: Model, batch: number): { floats: number; flops: number } {
  const step = buildTrainStep(model, batch, DEFAULT_ADAMW)
  return { floats: opFloats(step.graph, [step.graph.outputs.get('loss')!]), flops: step.flopsPerStep }
}

export function modelCost(model: Model, batch: number): ModelCost {
  check(inRange(batch, 1, 4096), `a batch is 1 to 4096 samples, not ${batch}`)
  const parameters = paramsOf(model).reduce((n, p) => n + numel(p.shape), 0)
  // FLOPs and activations grow linearly with the batch: two small graphs give the per-sample slope exactly.
  const one = stepCost(model, 1)
  const two = stepCost(model, 2)
  const perSampleFloats = two.floats - one.floats
  const fixedFloats = one.floats - perSampleFloats
  return {
    parameters,
    flopsPerSample: two.flops - one.flops,
    bytesPerTab: 4 * (4 * parameters + fixedFloats + perSampleFloats * batch),
    batch,
  }
}

/** Refuses a model whose training at its micro-batch would not fit a phone's tab, naming what it would need. */
export function checkFitsPhone(cost: ModelCost): void {
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`
  if (cost.bytesPerTab > PHONE_TAB_BYTES) {
    throw new TesseraeError('MODEL_TOO_BIG', `training this model ${cost.batch} rows at a time needs about ${mib(cost.bytesPerTab)} per tab, more than the ${mib(PHONE_TAB_BYTES)} a phone's tab can give; use smaller micro-batches, fewer or narrower layers`)
  }
}

/** Strict decoder for a spec a job carries or a researcher loads from a file. */
export function decodeModelSpec(value: unknown): ModelSpec {
  const what = 'model spec'
  const obj = asObject(value, what)
  const list = (key: string, max: number, least: number, most: number): number[] => {
    const items = obj[key]
    if (!Array.isArray(items) || items.length < least || items.length > most) throw new DecodeError(what, `"${key}" must list ${least} to ${most} sizes`)
    return items.map((item: unknown, i: number) => {
      if (typeof item !== 'number' || !inRange(item, 1, max)) throw new DecodeError(what, `"${key}"[${i}] must be a whole number from 1 to ${max}`)
      return item
    })
  }
  // A spec without dropout decodes to one without the key, so a job's recipe (and its hash) is what it was.
  let dropout: { dropout?: number } = {}
  if (obj.dropout !== undefined) {
    const rate = obj.dropout
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= SPEC_LIMITS.dropout)) throw new DecodeError(what, `"dropout" must be a rate from 0 to ${SPEC_LIMITS.dropout}`)
    if (rate > 0) dropout = { dropout: rate }
  }
  if (obj.kind === 'mlp') return { kind: 'mlp', hidden: list('hidden', SPEC_LIMITS.width, 0, SPEC_LIMITS.hiddenLayers), ...dropout }
  if (obj.kind === 'cnn') return { kind: 'cnn', channels: list('channels', SPEC_LIMITS.channels, 1, SPEC_LIMITS.cnnBlocks), dense: readInteger(obj, 'dense', what, 1, SPEC_LIMITS.width), ...dropout }
  if (obj.kind === 'transformer') {
    const spec = { kind: 'transformer' as const, layers: readInteger(obj, 'layers', what, 1, SPEC_LIMITS.transformerLayers), width: readInteger(obj, 'width', what, 8, SPEC_LIMITS.transformerWidth), heads: readInteger(obj, 'heads', what, 1, SPEC_LIMITS.heads), ...dropout }
    if (spec.width % spec.heads !== 0) throw new DecodeError(what, `"width" ${spec.width} is not a multiple of "heads" ${spec.heads}`)
    return spec
  }
  throw new DecodeError(what, '"kind" must be "mlp", "cnn" or "transformer"')
}
