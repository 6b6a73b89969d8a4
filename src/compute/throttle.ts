// Keeps the volunteer's machine usable: after each step that took t ms, rest t·(1−d)/d ms so the engine is
// busy a fraction d of the time, and hold between steps while paused (e.g. the tab is hidden).
export interface ThrottleClock {
  sleep(ms: number): Promise<void>
}

export class Throttle {
  private dutyCycle = 1
  private paused = false
  private resume: (() => void) | null = null
  private readonly clock: ThrottleClock

  constructor(clock: ThrottleClock) {
    this.clock = clock
  }

  set(dutyCycle: number, paused: boolean): void {
    if (!(dutyCycle > 0 && dutyCycle <= 1)) throw new RangeError(`duty cycle must be in (0, 1], got ${dutyCycle}`)
    this.dutyCycle = dutyCycle
    this.paused = paused
    if (!paused) {
      this.resume?.()
      this.resume = null
    }
  }

  get isPaused(): boolean {
    return this.paused
  }

  static restMs(busyMs: number, dutyCycle: number): number {
    return (busyMs * (1 - dutyCycle)) / dutyCycle
  }

  /** Call after each unit of work that took busyMs. */
  async afterWork(busyMs: number): Promise<void> {
    const rest = Throttle.restMs(busyMs, this.dutyCycle)
    if (rest > 0) await this.clock.sleep(rest)
    while (this.paused) await new Promise<void>((resolve) => (this.resume = resolve))
  }
}
