import { describe, expect, it } from 'vitest'
import { BatchPool } from './batch-pool.ts'
import { makeBatch } from './batches.ts'
import type { LabelledImages } from './labelled-images.ts'

const batch = (x: number, y: number) => ({ x: new Float32Array(x), y: new Float32Array(y) })

describe('batch pool', () => {
  it('hands back kept batches of exactly the asked sizes, each once', () => {
    const pool = new BatchPool()
    const a = batch(8, 2)
    const b = batch(8, 3)
    pool.give([a, b])
    expect(pool.size).toBe(2)
    expect(pool.take(8, 4)).toBeUndefined()
    expect(pool.take(4, 2)).toBeUndefined()
    expect(pool.take(8, 2)).toBe(a)
    expect(pool.take(8, 2)).toBeUndefined()
    expect(pool.take(8, 3)).toBe(b)
    expect(pool.size).toBe(0)
  })

  it('keeps at most its cap, and skips detached, shared-buffer, view and already-kept batches', () => {
    const pool = new BatchPool(2)
    const detached = batch(8, 2)
    structuredClone(detached.x.buffer, { transfer: [detached.x.buffer] })
    const shared = new Float32Array(10)
    const larger = new Float32Array(20)
    const twice = batch(8, 2)
    pool.give([detached, { x: shared.subarray(0, 8), y: shared.subarray(8) }, { x: larger.subarray(0, 8), y: new Float32Array(2) }, { x: new Float32Array(8), y: larger.subarray(10, 12) }, twice, twice])
    expect(pool.size).toBe(1)
    expect(pool.take(8, 2)).toBe(twice)
    expect(pool.take(8, 2)).toBeUndefined()
    // Taken out, it may be given again.
    pool.give([twice])
    expect(pool.take(8, 2)).toBe(twice)
    pool.give([batch(8, 2), batch(8, 2), batch(8, 2)])
    expect(pool.size).toBe(2)
    expect(pool.take(8, 2)?.x.length).toBe(8)
    expect(pool.take(8, 2)?.x.length).toBe(8)
    expect(pool.take(8, 2)).toBeUndefined()
  })
})

describe('makeBatch into spent arrays', () => {
  const set: LabelledImages = { count: 3, height: 1, width: 2, classes: 3, pixels: Uint8Array.of(0, 255, 51, 102, 255, 0), labels: Uint8Array.of(2, 0, 1) }
  const norm = { mean: 0, std: 1 }

  it('overwrites every value of a spent batch of the right sizes, one-hot labels included', () => {
    const fresh = makeBatch(set, [1, 2], norm)
    const spent = { x: new Float32Array(4).fill(7), y: new Float32Array(6).fill(1) }
    const reused = makeBatch(set, [1, 2], norm, spent)
    expect(reused.x).toBe(spent.x)
    expect(reused.y).toBe(spent.y)
    expect(reused).toEqual(fresh)
    expect([...reused.y]).toEqual([1, 0, 0, 0, 1, 0])
  })

  it('allocates when the spent arrays do not fit', () => {
    for (const spent of [{ x: new Float32Array(6), y: new Float32Array(6) }, { x: new Float32Array(4), y: new Float32Array(9) }]) {
      const made = makeBatch(set, [1, 2], norm, spent)
      expect(made.x).not.toBe(spent.x)
      expect(made).toEqual(makeBatch(set, [1, 2], norm))
    }
  })
})
