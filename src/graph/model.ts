// A model is a sequence of layers with a per-sample input shape. This module names parameters
// ("<index>.<kind>.<param>"), builds forward passes over any layer range (whole model or one shard), and
// initialises parameters deterministically from a seed.
import type { Graph, Value } from './graph.ts'
import type { Layer, ParamSpec } from './layers/layer.ts'
import { numel, type Shape } from './shape.ts'
import { seededRandom } from '../random.ts'

export interface Model {
  name: string
  /** Per-sample input shape, e.g. [1, 28, 28] for a grey image or [T, V] for one-hot tokens. */
  inputShape: Shape
  /** Size of the last axis of the output (classes or vocabulary). */
  classes: number
  layers: Layer[]
  /**
   * What the outputs are trained to be: class scores (softmax cross-entropy against one-hot labels; the
   * default) or values (squared error against standardised targets).
   */
  objective?: 'classes' | 'values'
  /**
   * Dropout rate while training, in [0, 1): the layers' dropout sites (Layer.maskShapes) get masks of that
   * rate in the train step. Absent or 0: no sites, and the train step is the one a model without dropout has.
   */
  dropout?: number
}

/** One dropout site of a layer range: its graph input's name and per-sample shape. */
export interface MaskInput {
  name: string
  shape: Shape
}

export const MASK_PREFIX = 'drop/'

/** The dropout masks a layer range's training forward pass takes, in layer and site order. */
export function maskInputs(model: Model, from = 0, to = model.layers.length): MaskInput[] {
  if (!(model.dropout !== undefined && model.dropout > 0)) return []
  const masks: MaskInput[] = []
  let shape = shapeAt(model, from)
  for (let i = from; i < to; i++) {
    const layer = model.layers[i]!
    layer.maskShapes?.(shape).forEach((site, s) => masks.push({ name: `${MASK_PREFIX}${i}.${s}`, shape: site }))
    shape = layer.outShape(shape)
  }
  return masks
}

export interface NamedParam extends ParamSpec {
  layer: number
}

export function paramsOf(model: Model, from = 0, to = model.layers.length): NamedParam[] {
  return model.layers.slice(from, to).flatMap((layer, offset) =>
    layer.params.map((spec) => ({ ...spec, layer: from + offset, name: `${from + offset}.${layer.kind}.${spec.name}` })),
  )
}

/** Per-sample shape entering layer `index` (index = layers.length gives the output shape). */
export function shapeAt(model: Model, index: number): Shape {
  let shape = model.inputShape
  for (const layer of model.layers.slice(0, index)) shape = layer.outShape(shape)
  return shape
}

/** The forward pass of layers [from, to); with `masks` (keyed as maskInputs names them), a training one. */
export function forwardRange(model: Model, x: Value, params: ReadonlyMap<string, Value>, from = 0, to = model.layers.length, masks?: ReadonlyMap<string, Value>): Value {
  let h = x
  for (let i = from; i < to; i++) {
    const layer = model.layers[i]!
    h = layer.forward(
      h,
      (name) => {
        const value = params.get(`${i}.${layer.kind}.${name}`)
        if (value === undefined) throw new Error(`layer ${i} (${layer.kind}) has no parameter "${name}"`)
        return value
      },
      masks === undefined ? undefined : (site) => masks.get(`${MASK_PREFIX}${i}.${site}`),
    )
  }
  return h
}

/** Declares the layer range's parameters as graph params, named with `prefix`. */
export function declareParams(graph: Graph, model: Model, prefix: string, from = 0, to = model.layers.length): Map<string, Value> {
  return new Map(paramsOf(model, from, to).map((p) => [p.name, graph.param(`${prefix}${p.name}`, p.shape)]))
}

export function initParams(model: Model, seed: number): Map<string, Float32Array> {
  const random = seededRandom(seed)
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  return new Map(
    paramsOf(model).map((p) => {
      const values = new Float32Array(numel(p.shape))
      const init = p.init
      if (init.kind === 'ones') values.fill(1)
      else if (init.kind === 'uniform') for (let i = 0; i < values.length; i++) values[i] = (random() * 2 - 1) * init.bound
      else if (init.kind === 'normal') for (let i = 0; i < values.length; i++) values[i] = gaussian() * init.std
      return [p.name, values]
    }),
  )
}

export function parameterCount(model: Model): number {
  return paramsOf(model).reduce((n, p) => n + numel(p.shape), 0)
}
