import { describe, expect, it } from 'vitest'
import { flatLayout, packFlat, unpackFlat } from './flat-params.ts'
import { initParams, paramsOf } from './model.ts'
import { cnn } from './zoo.ts'
import type { NamedParam } from './model.ts'

const param = (name: string, shape: number[]): NamedParam => ({ name, shape, init: { kind: 'zeros' }, layer: 0 })

describe('flat parameter layout', () => {
  it('packs tensors back to back and starts a new bucket when the next would not fit', () => {
    const layout = flatLayout([param('a', [2, 3]), param('b', [4]), param('c', [5]), param('d', [20]), param('e', [1])], 10)
    expect(layout.bucketSizes).toEqual([10, 5, 20, 1])
    expect(layout.entries.map((e) => [e.name, e.bucket, e.offset])).toEqual([['a', 0, 0], ['b', 0, 6], ['c', 1, 0], ['d', 2, 0], ['e', 3, 0]])
  })

  it('round-trips every parameter of a model through its buckets', () => {
    const model = cnn([2, 4], 8)
    const params = initParams(model, 4)
    for (const max of [undefined, 50]) {
      const layout = flatLayout(paramsOf(model), max)
      const back = unpackFlat(layout, packFlat(layout, params))
      expect([...back.keys()]).toEqual([...params.keys()])
      for (const [name, values] of params) expect(back.get(name)).toEqual(values)
      // One new buffer, the tensors back to back in layout order (what flatten takes without a copy).
      const views = [...back.values()]
      expect(views.every((v) => v.buffer === views[0]!.buffer)).toBe(true)
      expect(views.map((v) => v.byteOffset / 4)).toEqual(views.map((_, i) => views.slice(0, i).reduce((n, v) => n + v.length, 0)))
      expect(views[0]!.buffer.byteLength).toBe(views.reduce((n, v) => n + v.byteLength, 0))
    }
  })

  it('names the missing or misshapen parameter', () => {
    const layout = flatLayout([param('w', [2, 2]), param('b', [2])])
    expect(() => packFlat(layout, new Map([['w', new Float32Array(4)]]))).toThrow(/no value for parameter "b"/)
    expect(() => packFlat(layout, new Map([['w', new Float32Array(3)], ['b', new Float32Array(2)]]))).toThrow(/"w" needs 4 values for \[2, 2\], got 3/)
  })
})
