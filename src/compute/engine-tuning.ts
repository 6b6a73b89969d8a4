// Which engine setting the volunteer's compute worker runs a job with. The first unit never waits for
// calibration: it runs on the remembered setting, or on the device check's safe default. A device with no
// remembered setting measures one (auto-tune.ts) once its first verdict is in (so the measurement competes
// neither with the first unit nor with its check), while the next unit is asked for and downloaded, and
// remembers it: once per device and job shape.
import { autoTune, rememberedTuning, untunedEngine, type CalibrationStore, type Calibrator } from './auto-tune.ts'
import type { BackendChoice } from './backend-choice.ts'
import type { TunedEngine } from './calibration.ts'
import type { TrainSpec } from './worker-protocol.ts'
import { errorMessage } from '../errors.ts'
import type { JobSpec } from '../training/job.ts'
import { jobTrainSpec } from './job-train-spec.ts'

/** What tuning needs of the volunteer's compute worker (ComputeClient in the app). */
export interface Compilable {
  init(spec: TrainSpec, engine: TunedEngine): Promise<{ flopsPerStep: number }>
}

export interface EngineTuningOptions {
  /** Throwaway workers for calibration. */
  spawn: () => Calibrator
  store: CalibrationStore | null
  log: (line: string) => void
  /** Whether measuring may start now (the app: once the first verdict is in); until then units run on the default. */
  mayMeasure?: () => boolean
}

interface Compiled {
  key: string
  engine: TunedEngine
  flopsPerStep: Promise<number>
  /** Null until this job shape's measurement starts (never, when a remembered setting was used). */
  tuning: Promise<number> | null
}

const same = (a: TunedEngine, b: TunedEngine) => a.backend === b.backend && a.wasmThreads === b.wasmThreads && a.microBatch === b.microBatch

/** Returns `prepare(job)`: compiles (or reuses) the job's train step in `compute` and resolves to its FLOPs per step. */
export function engineTuning(compute: Compilable, choice: BackendChoice, options: EngineTuningOptions): (job: JobSpec) => Promise<number> {
  const { store, log } = options
  let current: Compiled | null = null
  const compile = (key: string, spec: TrainSpec, engine: TunedEngine, tuned: boolean): Compiled => {
    const flopsPerStep = compute.init(spec, engine).then((ready) => ready.flopsPerStep)
    current = { key, engine, flopsPerStep, tuning: tuned ? flopsPerStep : null }
    return current
  }
  return (job) => {
    const spec = jobTrainSpec(job)
    const key = `${JSON.stringify(spec.model)}/${spec.batchSize}/${JSON.stringify(spec.lrScale ?? null)}`
    if (current?.key !== key) {
      const remembered = rememberedTuning(spec, choice, { store, onNotice: log })
      return compile(key, spec, remembered?.engine ?? untunedEngine(choice, spec), remembered !== null).flopsPerStep
    }
    const compiled: Compiled = current
    if (compiled.tuning === null && options.mayMeasure?.() === false) return compiled.flopsPerStep
    // The first unit ran on the default; now is the moment to measure, once.
    compiled.tuning ??= compiled.flopsPerStep.then(async () => {
      try {
        const measured = await autoTune(spec, choice, { spawn: options.spawn, store, onNotice: log })
        if (!same(measured.engine, compiled.engine)) return compile(key, spec, measured.engine, true).flopsPerStep
      } catch (error) {
        log(`keeping the default setting: ${errorMessage(error)}`)
      }
      return compiled.flopsPerStep
    })
    return compiled.tuning
  }
}
