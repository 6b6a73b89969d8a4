// Picks the engine setting for a job on this device: the remembered calibration if there is a fresh one, else a
// short measurement in throwaway workers, one per wasm thread count (ORT fixes a worker's thread count when it
// loads), each timing the job's full-batch step at every micro-batch candidate.
import { errorMessage, TesseraeError } from '../errors.ts'
import type { BackendChoice } from './backend-choice.ts'
import { calibrationKey, decodeCalibration, encodeCalibration, fastest, microBatchCandidates, threadCandidates, type CalibrationRecord, type CalibrationSample, type TunedEngine } from './calibration.ts'
import type { CalibrationResult, TrainSpec } from './worker-protocol.ts'

/** Where calibrations are remembered: localStorage in the app (per browser profile, so per device). */
export interface CalibrationStore {
  get(key: string): string | null
  set(key: string, value: string): void
}

/** What calibration needs from a fresh compute worker (ComputeClient in the app). */
export interface Calibrator {
  calibrate(spec: TrainSpec, backend: BackendChoice['backend'], wasmThreads: number, microBatches: number[]): Promise<CalibrationResult[]>
  terminate(): void
}

export interface AutoTuneOptions {
  spawn: () => Calibrator
  store: CalibrationStore | null
  now?: () => number
  /** Progress, and why a remembered setting was not used or a new one could not be remembered. */
  onNotice?: (text: string) => void
}

export interface AutoTuned extends CalibrationRecord {
  /** True when the setting came from an earlier measurement on this device. */
  remembered: boolean
}

const STORAGE_PREFIX = 'tesserae.calibration:'

/** This device's fresh remembered calibration for the job shape, or null (never measured, stale or unreadable). */
export function rememberedTuning(spec: TrainSpec, choice: BackendChoice, options: Pick<AutoTuneOptions, 'store' | 'now' | 'onNotice'>): AutoTuned | null {
  const key = calibrationKey(choice.device, choice.backend, spec)
  const stored = options.store?.get(STORAGE_PREFIX + key) ?? null
  if (stored === null) return null
  try {
    return { ...decodeCalibration(stored, key, (options.now ?? Date.now)()), remembered: true }
  } catch (error) {
    options.onNotice?.(`measuring again: ${errorMessage(error)}`)
    return null
  }
}

/** What runs before any calibration: the device check's thread count and whole batches, safe on every device. */
export function untunedEngine(choice: BackendChoice, spec: TrainSpec): TunedEngine {
  return { backend: choice.backend, wasmThreads: choice.wasmThreads, microBatch: spec.batchSize }
}

export async function autoTune(spec: TrainSpec, choice: BackendChoice, options: AutoTuneOptions): Promise<AutoTuned> {
  const now = options.now ?? (() => Date.now())
  const key = calibrationKey(choice.device, choice.backend, spec)
  const remembered = rememberedTuning(spec, choice, options)
  if (remembered !== null) return remembered
  // Wasm threads only matter to the wasm engine; on WebGPU only the micro-batch is measured.
  const threads = choice.backend === 'webgpu' ? [choice.wasmThreads] : threadCandidates(choice.maxWasmThreads)
  const microBatches = microBatchCandidates(spec.batchSize)
  const samples: CalibrationSample[] = []
  const failures: string[] = []
  for (const wasmThreads of threads) {
    options.onNotice?.(`measuring ${wasmThreads} thread${wasmThreads === 1 ? '' : 's'} × micro-batches of ${microBatches.join(', ')} rows…`)
    const client = options.spawn()
    try {
      for (const r of await client.calibrate(spec, choice.backend, wasmThreads, microBatches)) {
        if (r.samplesPerSecond !== null) samples.push({ wasmThreads, microBatch: r.microBatch, samplesPerSecond: r.samplesPerSecond })
        else failures.push(`${wasmThreads} threads, micro-batch ${r.microBatch}: ${r.error}`)
      }
    } finally {
      client.terminate()
    }
  }
  const best = fastest(samples)
  if (best === null) throw new TesseraeError('CALIBRATION_FAILED', `no engine setting could run this job: ${failures.join('; ')}`)
  const record: CalibrationRecord = { key, engine: { backend: choice.backend, wasmThreads: best.wasmThreads, microBatch: best.microBatch }, samples, measuredAt: now() }
  try {
    options.store?.set(STORAGE_PREFIX + key, encodeCalibration(record))
  } catch (error) {
    options.onNotice?.(`the setting could not be remembered, so the next run measures again: ${errorMessage(error)}`)
  }
  return { ...record, remembered: false }
}

/** localStorage as a calibration store; null where storage is unavailable (private modes, quota). */
export function browserCalibrationStore(): CalibrationStore | null {
  try {
    const storage = globalThis.localStorage
    return { get: (key) => storage.getItem(key), set: (key, value) => storage.setItem(key, value) }
  } catch {
    return null
  }
}
