// The small pieces every round relies on: the outer Nesterov step (a fixed vector), flat parameter vectors,
// and the serial queue that keeps the coordinator's state changes from interleaving.
import { describe, expect, it } from 'vitest'
import { DEFAULT_OUTER, outerStep } from './outer-optimizer.ts'
import { flatten, l2, paramLayout, unflatten, type ParamLayout } from './vector.ts'
import { MODEL_ZOO } from '../graph/zoo.ts'
import { Serial } from './serial.ts'

describe('outer step', () => {
  it('applies m ← μm + g, θ ← θ − lr(g + μm), in place (worked by hand)', () => {
    const params = Float32Array.of(1, -2)
    const momentum = Float32Array.of(0.5, 0)
    outerStep(params, momentum, Float32Array.of(0.2, -1), { lr: 0.5, momentum: 0.9 })
    // m = 0.9·0.5 + 0.2 = 0.65; θ = 1 − 0.5(0.2 + 0.9·0.65) = 0.6075. m = −1; θ = −2 − 0.5(−1 − 0.9) = −1.05.
    expect(momentum[0]).toBeCloseTo(0.65, 6)
    expect(params[0]).toBeCloseTo(0.6075, 6)
    expect(momentum[1]).toBeCloseTo(-1, 6)
    expect(params[1]).toBeCloseTo(-1.05, 6)
    expect(DEFAULT_OUTER).toEqual({ lr: 0.7, momentum: 0.9 })
  })
})

describe('flat parameter vectors', () => {
  const layout: ParamLayout = { names: ['w', 'b'], offsets: [0, 3], sizes: [3, 2], total: 5 }

  it('flattens in the layout\'s order and back, as views', () => {
    const flat = flatten(layout, new Map([['b', Float32Array.of(4, 5)], ['w', Float32Array.of(1, 2, 3)]]))
    expect([...flat]).toEqual([1, 2, 3, 4, 5])
    const back = unflatten(layout, flat)
    expect([...back.get('w')!]).toEqual([1, 2, 3])
    expect([...back.get('b')!]).toEqual([4, 5])
    flat[3] = 9
    expect(back.get('b')![0]).toBe(9)
  })

  it('takes an engine\'s one buffer whole when the tensors fill it in layout order, else copies', () => {
    const buffer = Float32Array.of(1, 2, 3, 4, 5)
    const whole = flatten(layout, unflatten(layout, buffer))
    expect(whole.buffer).toBe(buffer.buffer)
    expect([...whole]).toEqual([1, 2, 3, 4, 5])
    // Views of one buffer but not in layout order, with a gap, or in a larger buffer: a fresh copy each time.
    const swapped = flatten(layout, new Map([['b', buffer.subarray(0, 2)], ['w', buffer.subarray(2, 5)]]))
    expect(swapped.buffer).not.toBe(buffer.buffer)
    expect([...swapped]).toEqual([3, 4, 5, 1, 2])
    const larger = Float32Array.of(1, 2, 3, 4, 5, 6)
    for (const params of [
      new Map([['w', larger.subarray(0, 3)], ['b', larger.subarray(3, 5)]]),
      new Map([['w', larger.subarray(0, 3)], ['b', larger.subarray(4, 6)]]),
      new Map([['w', larger.subarray(1, 4)], ['b', larger.subarray(4, 6)]]),
    ]) {
      const flat = flatten(layout, params)
      expect(flat.buffer).not.toBe(larger.buffer)
      expect([...flat]).toEqual([...params.get('w')!, ...params.get('b')!])
    }
  })

  it('refuses a missing tensor, a tensor of the wrong size, or a vector of the wrong length', () => {
    expect(() => flatten(layout, new Map([['w', Float32Array.of(1, 2, 3)]]))).toThrow(expect.objectContaining({ code: 'MISSING_PARAM', message: 'no value for parameter "b"' }))
    expect(() => flatten(layout, new Map([['w', Float32Array.of(1, 2)], ['b', Float32Array.of(4, 5)]]))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', message: '"w" has 2 values, the model needs 3' }))
    expect(() => unflatten(layout, new Float32Array(6))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', message: 'a parameter vector of 6 values does not fit a model of 5' }))
  })

  it('lays a model\'s tensors out one after another in declaration order', () => {
    // The zoo's MLP: 784→256→128→10, each layer's weight then its bias.
    expect(paramLayout(MODEL_ZOO.mlp())).toEqual({
      names: ['1.linear.weight', '1.linear.bias', '3.linear.weight', '3.linear.bias', '5.linear.weight', '5.linear.bias'],
      sizes: [784 * 256, 256, 256 * 128, 128, 128 * 10, 10],
      offsets: [0, 200_704, 200_960, 233_728, 233_856, 235_136],
      total: 235_146,
    })
  })

  it('copies tensors that share one buffer but do not start at its beginning or leave its end unused', () => {
    const buffer = Float32Array.of(0, 1, 2, 3, 4, 5)
    const offset = flatten(layout, new Map([['w', buffer.subarray(1, 4)], ['b', buffer.subarray(4, 6)]]))
    expect(offset.buffer).not.toBe(buffer.buffer)
    expect([...offset]).toEqual([1, 2, 3, 4, 5])
    // The right total size in one buffer, but the tensors overlap instead of following each other.
    const five = Float32Array.of(1, 2, 3, 4, 5)
    const overlapping = flatten(layout, new Map([['w', five.subarray(0, 3)], ['b', five.subarray(2, 4)]]))
    expect(overlapping.buffer).not.toBe(five.buffer)
    expect([...overlapping]).toEqual([1, 2, 3, 3, 4])
    // The second tensor sits where the layout puts it, but in another buffer: the first buffer is not the vector.
    const first = Float32Array.of(1, 2, 3, 9, 9)
    const other = Float32Array.of(0, 0, 0, 4, 5)
    expect([...flatten(layout, new Map([['w', first.subarray(0, 3)], ['b', other.subarray(3, 5)]]))]).toEqual([1, 2, 3, 4, 5])
    // Each tensor its own buffer.
    const separate = new Map([['w', Float32Array.of(1, 2, 3)], ['b', Float32Array.of(4, 5)]])
    expect([...flatten(layout, separate)]).toEqual([1, 2, 3, 4, 5])
    expect(flatten({ names: [], offsets: [], sizes: [], total: 0 }, new Map())).toHaveLength(0)
  })

  it('measures the Euclidean norm', () => {
    expect(l2([3, 4])).toBe(5)
    expect(l2([])).toBe(0)
  })
})

describe('serial queue', () => {
  it('runs tasks one at a time in order, and keeps going after one fails', async () => {
    const serial = new Serial()
    const log: string[] = []
    const task = (name: string, ms: number, fail = false) => () =>
      new Promise<string>((resolve, reject) => {
        log.push(`start ${name}`)
        setTimeout(() => {
          log.push(`end ${name}`)
          if (fail) reject(new Error(name))
          else resolve(name)
        }, ms)
      })
    const results = await Promise.allSettled([serial.run(task('a', 20)), serial.run(task('b', 1, true)), serial.run(task('c', 1))])
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(results[2]).toEqual({ status: 'fulfilled', value: 'c' })
  })
})
