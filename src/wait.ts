// Leaf utility for the roles' waiting: an abortable sleep, a wake-up a waiting loop can be nudged with (so a
// loop reacts to an event at once instead of polling for it), and the capped exponential backoff every retry uses.

/** Resolves after `ms`, or at once when `signal` aborts (never rejects: the caller checks the signal). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

/** Something a loop waits on: `wake()` releases every current `wait`, which otherwise ends after its timeout. */
export class Wake {
  private waiters = new Set<() => void>()

  wake(): void {
    const waiters = this.waiters
    this.waiters = new Set()
    for (const release of waiters) release()
  }

  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const controller = new AbortController()
    const release = () => controller.abort()
    this.waiters.add(release)
    const onAbort = () => controller.abort()
    signal?.addEventListener('abort', onAbort, { once: true })
    return sleep(timeoutMs, controller.signal).finally(() => {
      this.waiters.delete(release)
      signal?.removeEventListener('abort', onAbort)
    })
  }
}

export interface Backoff {
  firstMs: number
  maxMs: number
}

/** The wait before retry number `failures` (1 for the first retry): doubling from `firstMs`, capped at `maxMs`. */
export function backoffMs(failures: number, { firstMs, maxMs }: Backoff): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, failures - 1))
}

/**
 * Runs `task` on request, never twice within `minGapMs`: requests in between join the one run at the end of the
 * gap. A publisher that must stay inside its receivers' rate limit however often something changes uses it.
 */
export class Paced {
  private readonly minGapMs: number
  private readonly task: () => void
  private lastMs = -Infinity
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(minGapMs: number, task: () => void) {
    this.minGapMs = minGapMs
    this.task = task
  }

  /** Runs the task after `delayMs` (to gather a burst of changes into one run), and no sooner than the gap allows. */
  request(delayMs = 0): void {
    if (this.timer !== undefined) return
    const waitMs = Math.max(delayMs, this.lastMs + this.minGapMs - Date.now())
    if (waitMs <= 0) return this.run()
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.run()
    }, waitMs)
  }

  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private run(): void {
    this.lastMs = Date.now()
    this.task()
  }
}
