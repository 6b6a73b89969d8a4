// Parameters travel and aggregate as one flat float32 vector in the model's declared parameter order, so a
// delta is a plain vector and every peer agrees on where each tensor starts without sending names.
import type { Model } from '../graph/model.ts'
import { paramsOf } from '../graph/model.ts'
import { numel } from '../graph/shape.ts'
import { TesseraeError } from '../errors.ts'

export interface ParamLayout {
  names: string[]
  offsets: number[]
  sizes: number[]
  total: number
}

/** The whole model's layout, or (with a layer range) a pipeline stage's own, in the same declared order. */
export function paramLayout(model: Model, from = 0, to = model.layers.length): ParamLayout {
  const names: string[] = []
  const offsets: number[] = []
  const sizes: number[] = []
  let total = 0
  for (const p of paramsOf(model, from, to)) {
    names.push(p.name)
    offsets.push(total)
    sizes.push(numel(p.shape))
    total += numel(p.shape)
  }
  return { names, offsets, sizes, total }
}

/**
 * The parameters as one vector. When they already are consecutive views of one buffer in layout order (as an
 * engine's `read` hands them over), that buffer is the vector, without a copy: the caller owns what it passes.
 */
export function flatten(layout: ParamLayout, params: ReadonlyMap<string, Float32Array>): Float32Array {
  const whole = wholeBuffer(layout, params)
  if (whole !== null) return whole
  const flat = new Float32Array(layout.total)
  layout.names.forEach((name, i) => {
    const values = params.get(name)
    if (values === undefined) throw new TesseraeError('MISSING_PARAM', `no value for parameter "${name}"`)
    if (values.length !== layout.sizes[i]) throw new TesseraeError('SHAPE_MISMATCH', `"${name}" has ${values.length} values, the model needs ${layout.sizes[i]}`)
    flat.set(values, layout.offsets[i])
  })
  return flat
}

/** The buffer `params` already fill exactly, tensor after tensor in layout order; else null. */
function wholeBuffer(layout: ParamLayout, params: ReadonlyMap<string, Float32Array>): Float32Array | null {
  const first = params.get(layout.names[0] ?? '')
  if (first === undefined || first.byteOffset !== 0 || first.buffer.byteLength !== layout.total * 4) return null
  for (const [i, name] of layout.names.entries()) {
    const values = params.get(name)
    if (values === undefined || values.buffer !== first.buffer || values.byteOffset !== layout.offsets[i]! * 4 || values.length !== layout.sizes[i]) return null
  }
  return new Float32Array(first.buffer, 0, layout.total)
}

/** Views into `flat` (no copy): callers that keep them must not mutate `flat` afterwards. */
export function unflatten(layout: ParamLayout, flat: Float32Array): Map<string, Float32Array> {
  if (flat.length !== layout.total) throw new TesseraeError('SHAPE_MISMATCH', `a parameter vector of ${flat.length} values does not fit a model of ${layout.total}`)
  return new Map(layout.names.map((name, i) => [name, flat.subarray(layout.offsets[i], layout.offsets[i]! + layout.sizes[i]!)]))
}

export function l2(v: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!
  return Math.sqrt(sum)
}
