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

export function paramLayout(model: Model): ParamLayout {
  const names: string[] = []
  const offsets: number[] = []
  const sizes: number[] = []
  let total = 0
  for (const p of paramsOf(model)) {
    names.push(p.name)
    offsets.push(total)
    sizes.push(numel(p.shape))
    total += numel(p.shape)
  }
  return { names, offsets, sizes, total }
}

export function flatten(layout: ParamLayout, params: ReadonlyMap<string, Float32Array>): Float32Array {
  const flat = new Float32Array(layout.total)
  layout.names.forEach((name, i) => {
    const values = params.get(name)
    if (values === undefined) throw new TesseraeError('MISSING_PARAM', `no value for parameter "${name}"`)
    if (values.length !== layout.sizes[i]) throw new TesseraeError('SHAPE_MISMATCH', `"${name}" has ${values.length} values, the model needs ${layout.sizes[i]}`)
    flat.set(values, layout.offsets[i])
  })
  return flat
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
