// Spent training batches kept for reuse. A tab makes a unit's batches, hands their buffers to the compute
// worker and gets them back when the steps are done; refilling those instead of allocating new ones takes the
// largest stream of short-lived buffers (6 MB per demo unit, 150 MB a minute) off the page's heap, whose
// collector otherwise lets dead ArrayBuffers pile up to its external-memory limit before it frees them.
import { spansItsBuffer } from '../bytes.ts'

export interface PooledBatch {
  x: Float32Array
  y: Float32Array
}

/** Enough for the largest segment of steps a unit sends at once, with room for a second in flight. */
export const DEFAULT_POOLED_BATCHES = 64

export class BatchPool {
  private readonly free = new Map<string, PooledBatch[]>()
  /** Buffers in the pool: the same batch given twice must not be handed to two steps. */
  private readonly held = new WeakSet<ArrayBufferLike>()
  private readonly max: number
  private count = 0

  constructor(max = DEFAULT_POOLED_BATCHES) {
    this.max = max
  }

  get size(): number {
    return this.count
  }

  /**
   * Keeps batches for reuse, up to the cap. Skipped: arrays whose buffers moved elsewhere (detached, empty),
   * views into a larger buffer or one shared by x and y (refilling one would overwrite another), and a batch
   * already kept.
   */
  give(batches: Iterable<PooledBatch>): void {
    for (const batch of batches) {
      if (this.count >= this.max) return
      if (!spansItsBuffer(batch.x) || !spansItsBuffer(batch.y) || batch.x.buffer === batch.y.buffer) continue
      if (this.held.has(batch.x.buffer) || this.held.has(batch.y.buffer)) continue
      const key = keyOf(batch.x.length, batch.y.length)
      const list = this.free.get(key) ?? []
      list.push(batch)
      this.free.set(key, list)
      this.held.add(batch.x.buffer)
      this.held.add(batch.y.buffer)
      this.count++
    }
  }

  /** A kept batch of exactly these sizes (its old contents still in it), or undefined. */
  take(xLength: number, yLength: number): PooledBatch | undefined {
    const batch = this.free.get(keyOf(xLength, yLength))?.pop()
    if (batch === undefined) return undefined
    this.held.delete(batch.x.buffer)
    this.held.delete(batch.y.buffer)
    this.count--
    return batch
  }
}

const keyOf = (xLength: number, yLength: number) => `${xLength}/${yLength}`
