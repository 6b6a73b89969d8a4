// Times train steps of several sessions side by side: the candidates take turns, round after round, each round
// one engine run of several steps as training runs them, and each is judged by its median round, so bursts of
// load elsewhere on the machine (other tabs, other processes) cannot pick the winner.
import { errorMessage } from '../errors.ts'
import { median } from '../median.ts'
import type { Batch, TrainSession } from './train-session.ts'

export interface StepTimerOptions {
  now: () => number
  /** Steps before timing: compiles kernels, warms caches, lets wasm tier up. */
  warmupSteps?: number
  rounds?: number
  /** Each round is one engine run of about this long per candidate (at least one step, at most maxStepsPerRound), sized as the worker sizes training runs. */
  roundMs?: number
  maxStepsPerRound?: number
}

export type StepTiming = { msPerStep: number } | { error: string }

export async function timeSteps(sessions: ReadonlyArray<TrainSession | null>, batch: Batch, options: StepTimerOptions): Promise<StepTiming[]> {
  const { now, warmupSteps = 2, rounds = 5, roundMs = 250, maxStepsPerRound = 32 } = options
  const errors = sessions.map((s): string | null => (s === null ? 'no session' : null))
  const times = sessions.map((): number[] => [])
  const stepsPerRound = sessions.map(() => 1)
  let stepNumber = 1
  const run = async (i: number, steps: number, record: boolean): Promise<number> => {
    const started = now()
    await sessions[i]!.runSteps(Array.from({ length: steps }, () => batch), 1e-4, stepNumber)
    stepNumber += steps
    const ms = (now() - started) / steps
    if (record) times[i]!.push(ms)
    return ms
  }
  const guarded = async (i: number, body: () => Promise<void>) => {
    if (errors[i] !== null) return
    try {
      await body()
    } catch (error) {
      errors[i] = errorMessage(error)
    }
  }
  for (let i = 0; i < sessions.length; i++) {
    await guarded(i, async () => {
      // The first run pays one-off costs (kernel set-up, wasm tier-up); a second one sizes the rounds.
      await run(i, warmupSteps, false)
      const msPerStep = await run(i, warmupSteps, false)
      stepsPerRound[i] = Math.max(1, Math.min(maxStepsPerRound, Math.floor(roundMs / Math.max(msPerStep, 1e-3))))
    })
  }
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < sessions.length; i++) await guarded(i, async () => void (await run(i, stepsPerRound[i]!, true)))
  }
  return sessions.map((_, i) => (errors[i] !== null ? { error: errors[i]! } : { msPerStep: median(times[i]!) }))
}
