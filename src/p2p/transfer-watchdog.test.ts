// The watchdog fails a transfer that stalls or trickles, never one that is slow but steady.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MIN_BYTES_PER_SECOND, TransferWatchdog } from './transfer-watchdog.ts'

describe('TransferWatchdog', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('fails a transfer that never starts, after exactly its stall time', () => {
    const w = new TransferWatchdog('checkpoint x', 20_000)
    vi.advanceTimersByTime(19_999)
    expect(w.signal.aborted).toBe(false)
    vi.advanceTimersByTime(1)
    expect(w.signal.aborted).toBe(true)
    const error = w.explain(new Error('aborted')) as Error & { code: string }
    expect(error.code).toBe('BLOCK_TIMEOUT')
    expect(error.message).toMatch(/^checkpoint x: no peer delivered any of it within 20 s \(0 bytes in 20\.0 s\)$/)
  })

  it('lets a steady transfer run far past its stall time (13 MB at 200 KiB/s: 65 s against 20 s)', () => {
    const started = Date.now()
    const w = new TransferWatchdog('audit', 20_000)
    const total = 800 * 16 * 1024
    w.expect(total)
    for (let sent = 0; sent < total; sent += 16 * 1024) {
      vi.advanceTimersByTime(80)
      w.progress(16 * 1024)
    }
    expect(Date.now() - started).toBe(64_000)
    expect(w.signal.aborted).toBe(false)
    w.close()
    vi.advanceTimersByTime(10 * 60_000)
    expect(w.explain('kept')).toBe('kept')
  })

  it('fails a stall in the middle, counting what came', () => {
    const w = new TransferWatchdog('delta', 5000)
    w.expect(4 << 20)
    vi.advanceTimersByTime(4000)
    w.progress(1024)
    vi.advanceTimersByTime(4999)
    expect(w.signal.aborted).toBe(false)
    vi.advanceTimersByTime(1)
    expect((w.explain(null) as Error).message).toBe('delta: no peer delivered more of it for 5 s (1024 of 4194304 bytes in 9.0 s)')
  })

  it('fails a peer that trickles one block per stall time, at the floor rate\'s deadline', () => {
    const w = new TransferWatchdog('checkpoint', 20_000)
    const total = 100 * MIN_BYTES_PER_SECOND
    w.expect(total)
    let t = 0
    while (!w.signal.aborted && t < 1_000_000) {
      vi.advanceTimersByTime(19_000)
      t += 19_000
      w.progress(1024)
    }
    // 20 s of grace plus 100 s at the floor rate: far sooner than the 100 × 64 blocks a trickle would take.
    expect(t).toBeGreaterThanOrEqual(120_000)
    expect(t).toBeLessThan(120_000 + 19_000)
    expect((w.explain(null) as Error).message).toMatch(/slower than 64 KiB\/s/)
  })

  it('gives a payload its whole grace however long its root took, and waits for a whole message', () => {
    const w = new TransferWatchdog('spot check', 20_000)
    vi.advanceTimersByTime(18_000)
    w.progress(300)
    // 64 KiB of pieces: at the floor rate 1 s, but counted from now, and a message may take 20 s to come whole.
    w.expect(64 * 1024, 2 << 20)
    vi.advanceTimersByTime(19_999)
    expect(w.signal.aborted).toBe(false)
    vi.advanceTimersByTime(1)
    expect(w.signal.aborted).toBe(true)
    expect(w.explain(null)).toMatchObject({ code: 'BLOCK_TIMEOUT' })
    // A big payload: one 2 MiB message at 64 KiB/s takes 32 s, so that is how long silence is allowed.
    const big = new TransferWatchdog('checkpoint', 20_000)
    big.expect(3 << 20, 2 << 20)
    vi.advanceTimersByTime(31_999)
    expect(big.signal.aborted).toBe(false)
    vi.advanceTimersByTime(1)
    expect((big.explain(null) as Error).message).toMatch(/for 32 s/)
  })

  it('arms no timer once closed, whatever arrives after', () => {
    const w = new TransferWatchdog('params', 1000)
    w.close()
    w.progress(10)
    w.expect(10)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('follows the caller\'s signal without taking the blame', () => {
    const outer = new AbortController()
    const w = new TransferWatchdog('params', 20_000, outer.signal)
    outer.abort(new Error('peer left'))
    expect(w.signal.aborted).toBe(true)
    const own = new Error('peer left')
    expect(w.explain(own)).toBe(own)
    w.close()
  })

  it('aborts fetches still open when the transfer is closed early', () => {
    const w = new TransferWatchdog('params', 20_000)
    w.close()
    expect(w.signal.aborted).toBe(true)
    vi.advanceTimersByTime(60_000)
    expect(w.explain('own')).toBe('own')
  })
})
