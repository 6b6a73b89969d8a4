// When a many-block transfer has failed. A deadline per block, all started together, fails a peer that is
// sending steadily but has more to send than fits the deadline: a 4-checkpoint audit of an 823k-parameter
// transformer is 800 pieces (13 MB), which a busy tab's WebRTC channel did not deliver within 20 s, so an
// honest tab was judged to be withholding. A transfer here fails only when nothing arrives for `stallMs`, or
// when, taken as a whole, it falls below a floor rate, so a peer cannot hold a fetch open for hours by
// trickling one block per `stallMs`.
import { TesseraeError } from '../errors.ts'

/** The slowest a whole transfer may be (512 kbit/s: a poor mobile uplink) after its first `stallMs`. */
export const MIN_BYTES_PER_SECOND = 64 * 1024

export class TransferWatchdog {
  /** Aborts when the transfer has failed; pass it to every fetch that belongs to the transfer. */
  readonly signal: AbortSignal
  private readonly controller = new AbortController()
  private readonly what: string
  private readonly stallMs: number
  private readonly startedAt = Date.now()
  private stall: ReturnType<typeof setTimeout>
  private overall: ReturnType<typeof setTimeout> | null = null
  private received = 0
  private expected = 0
  private reason: string | null = null
  private closed = false
  /** How long a peer may send nothing: `stallMs`, or longer once a payload's size shows a message takes longer. */
  private quietMs: number

  constructor(what: string, stallMs: number, outer?: AbortSignal) {
    this.what = what
    this.stallMs = stallMs
    this.signal = outer ? AbortSignal.any([outer, this.controller.signal]) : this.controller.signal
    this.quietMs = stallMs
    this.stall = setTimeout(() => this.fail(`no peer delivered any of it within ${stallMs / 1000} s`), stallMs)
  }

  /**
   * The transfer's size is known (a payload's root was read): the floor rate now bounds it as a whole, counted
   * from now at the latest, so time spent waiting for the root does not eat the payload's grace. Blocks come in
   * messages of up to `messageBytes` (Bitswap packs what is wanted into one), and a message counts only once
   * whole, so the stall time grows to what one message takes at the floor rate.
   */
  expect(bytes: number, messageBytes = 0): void {
    if (this.closed || this.reason !== null) return
    this.expected = bytes
    this.quietMs = Math.max(this.stallMs, (1000 * Math.min(bytes, messageBytes)) / MIN_BYTES_PER_SECOND)
    if (this.overall) clearTimeout(this.overall)
    const floorMs = (1000 * bytes) / MIN_BYTES_PER_SECOND
    const deadline = Math.max(this.startedAt + this.stallMs + floorMs, Date.now() + this.quietMs)
    this.overall = setTimeout(() => this.fail(`its peers delivered it slower than ${MIN_BYTES_PER_SECOND / 1024} KiB/s`), deadline - Date.now())
    this.rearm()
  }

  /** A block arrived: the stall clock starts again. */
  progress(bytes: number): void {
    this.received += bytes
    this.rearm()
  }

  private rearm(): void {
    if (this.closed || this.reason !== null) return
    clearTimeout(this.stall)
    this.stall = setTimeout(() => this.fail(`no peer delivered more of it for ${this.quietMs / 1000} s`), this.quietMs)
  }

  /** The error a fetch that failed because of this watchdog should end with (else the fetch's own error). */
  explain(error: unknown): unknown {
    if (this.reason === null) return error
    const got = this.expected > 0 ? `${this.received} of ${this.expected} bytes` : `${this.received} bytes`
    return new TesseraeError('BLOCK_TIMEOUT', `${this.what}: ${this.reason} (${got} in ${((Date.now() - this.startedAt) / 1000).toFixed(1)} s)`, { cause: error })
  }

  /** The transfer is over: fetches still open (the rest of a payload one bad block already failed) are dropped. */
  close(): void {
    this.closed = true
    this.clearTimers()
    if (!this.controller.signal.aborted) this.controller.abort(new TesseraeError('BLOCK_TIMEOUT', `${this.what}: the transfer ended`))
  }

  private clearTimers(): void {
    clearTimeout(this.stall)
    if (this.overall) clearTimeout(this.overall)
  }

  private fail(reason: string): void {
    if (this.reason !== null) return
    this.reason = reason
    this.clearTimers()
    this.controller.abort(new TesseraeError('BLOCK_TIMEOUT', `${this.what}: ${reason}`))
  }
}
