// Static shapes: every tensor's shape is known when the graph is built, so emitted ONNX needs no Shape/Gather
// chains (which the WebGPU EP would run on the CPU) and FLOPs can be counted exactly.
export type Shape = readonly number[]

export class ShapeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ShapeError'
  }
}

export function numel(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1)
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i])
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`
}

/** NumPy broadcasting of two shapes, or a ShapeError naming both. */
export function broadcastShapes(a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length)
  const out: number[] = []
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1
    const db = b[b.length - rank + i] ?? 1
    if (da !== db && da !== 1 && db !== 1) throw new ShapeError(`cannot broadcast ${formatShape(a)} with ${formatShape(b)}`)
    out.push(Math.max(da, db))
  }
  return out
}

export function strides(shape: Shape): number[] {
  const s = new Array<number>(shape.length)
  let acc = 1
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc
    acc *= shape[i]!
  }
  return s
}

/** For each element of `outShape`, the flat index of the element of `inShape` it broadcasts from. */
export function broadcastIndex(inShape: Shape, outShape: Shape): Int32Array {
  const total = numel(outShape)
  const map = new Int32Array(total)
  const rank = outShape.length
  const inStrides = strides(inShape)
  const offset = rank - inShape.length
  const idx = new Array<number>(rank).fill(0)
  for (let flat = 0; flat < total; flat++) {
    let src = 0
    for (let d = offset; d < rank; d++) {
      if (inShape[d - offset] !== 1) src += idx[d]! * inStrides[d - offset]!
    }
    map[flat] = src
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break
      idx[d] = 0
    }
  }
  return map
}
