// Parameters packed into a few flat buffers ("buckets") instead of one tensor each. A train step reads its
// parameter tensors as views cut out of the buckets and runs the optimiser once per bucket, so an update is a
// dozen large nodes instead of a dozen small ones per tensor, and only a few buffers cross the session boundary.
import type { Graph, Value } from './graph.ts'
import type { NamedParam } from './model.ts'
import { concat, slice } from './ops/concat.ts'
import { reshape } from './ops/reshape.ts'
import { formatShape, numel, type Shape } from './shape.ts'
import { TesseraeError } from '../errors.ts'

/**
 * Largest bucket, in floats (64 MiB). WebGPU guarantees storage-buffer bindings of 128 MiB; staying under it
 * keeps every bucket bindable on any adapter. A single tensor larger than this gets a bucket of its own.
 */
export const MAX_BUCKET_FLOATS = 1 << 24

export interface FlatEntry {
  name: string
  shape: Shape
  bucket: number
  offset: number
  size: number
}

export interface FlatLayout {
  entries: FlatEntry[]
  bucketSizes: number[]
}

/** Packs parameters in declaration order, starting a new bucket when the next one would not fit. */
export function flatLayout(params: readonly NamedParam[], maxBucketFloats = MAX_BUCKET_FLOATS): FlatLayout {
  const entries: FlatEntry[] = []
  const bucketSizes: number[] = []
  for (const p of params) {
    const size = numel(p.shape)
    const last = bucketSizes.length - 1
    if (last < 0 || (bucketSizes[last]! > 0 && bucketSizes[last]! + size > maxBucketFloats)) bucketSizes.push(0)
    const bucket = bucketSizes.length - 1
    entries.push({ name: p.name, shape: p.shape, bucket, offset: bucketSizes[bucket]!, size })
    bucketSizes[bucket]! += size
  }
  return { entries, bucketSizes }
}

/** One flat buffer per bucket holding the named tensors; throws naming the first missing or misshapen one. */
export function packFlat(layout: FlatLayout, values: ReadonlyMap<string, Float32Array>): Float32Array[] {
  const buckets = layout.bucketSizes.map((size) => new Float32Array(size))
  for (const e of layout.entries) {
    const v = values.get(e.name)
    if (v === undefined) throw new TesseraeError('MISSING_PARAM', `no value for parameter "${e.name}"`)
    if (v.length !== e.size) throw new TesseraeError('SHAPE_MISMATCH', `"${e.name}" needs ${e.size} values for ${formatShape(e.shape)}, got ${v.length}`)
    buckets[e.bucket]!.set(v, e.offset)
  }
  return buckets
}

/**
 * The named tensors of a set of bucket buffers, copied (so the buckets can be released) into one new buffer
 * in layout order, each tensor a view of it: one buffer to transfer between threads, and `flatten` in
 * training/vector.ts takes it whole instead of copying the tensors again.
 */
export function unpackFlat(layout: FlatLayout, buckets: readonly Float32Array[]): Map<string, Float32Array> {
  const all = new Float32Array(layout.entries.reduce((n, e) => n + e.size, 0))
  let at = 0
  return new Map(
    layout.entries.map((e) => {
      const view = all.subarray(at, at + e.size)
      view.set(buckets[e.bucket]!.subarray(e.offset, e.offset + e.size))
      at += e.size
      return [e.name, view]
    }),
  )
}

/** Each parameter's tensor as a view of its bucket input: one Slice (and a free Reshape) per tensor. */
export function bucketViews(layout: FlatLayout, buckets: readonly Value[]): Map<string, Value> {
  return new Map(
    layout.entries.map((e) => {
      const whole = layout.bucketSizes[e.bucket] === e.size
      const flat = whole ? buckets[e.bucket]! : slice(buckets[e.bucket]!, e.offset, e.offset + e.size)
      return [e.name, e.shape.length === 1 ? flat : reshape(flat, e.shape)]
    }),
  )
}

/** Per-tensor values (gradients) joined into one flat value per bucket, in layout order. */
export function joinBuckets(layout: FlatLayout, perTensor: ReadonlyMap<string, Value>): Value[] {
  return layout.bucketSizes.map((_, b) => {
    const parts = layout.entries.filter((e) => e.bucket === b).map((e) => {
      const v = perTensor.get(e.name)!
      return v.shape.length === 1 ? v : reshape(v, [e.size])
    })
    return parts.length === 1 ? parts[0]! : concat(parts)
  })
}

/** Declares one flat graph input per bucket, named `<prefix>.<bucket>`. */
export function declareBuckets(graph: Graph, layout: FlatLayout, prefix: string, kind: 'input' | 'param'): Value[] {
  return layout.bucketSizes.map((size, b) => (kind === 'param' ? graph.param(bucketName(prefix, b), [size]) : graph.input(bucketName(prefix, b), [size])))
}

export const bucketName = (prefix: string, bucket: number) => `${prefix}.${bucket}`

