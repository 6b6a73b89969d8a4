// Threads and micro-batch chosen by measurement, not by core count: which candidates to time, which one wins,
// and the remembered result, keyed by device, backend and job shape so each device measures each job once.
import { DecodeError } from '../errors.ts'
import { asObject, parseJsonLimited, readInteger, readNumber, readString } from '../schema.ts'
import type { DeviceReport } from './device-report.ts'
import type { ExecutionBackend } from './train-session.ts'
import type { TrainSpec } from './worker-protocol.ts'

/** Bumped when the engine changes enough that remembered measurements no longer hold. */
export const CALIBRATION_VERSION = 1
/** Remembered settings are re-measured after this long (browser and driver updates change speed). */
export const CALIBRATION_MAX_AGE_MS = 30 * 24 * 3600 * 1000
/** Micro-batches below this many rows leave the engine mostly idle between runs. */
export const MIN_MICRO_BATCH = 8
/** Micro-batch candidates per thread count: each costs a session and a few steps of calibration time. */
export const MAX_MICRO_BATCH_CANDIDATES = 3
/** Fewer threads win unless more are this much faster: the spare core keeps the page and browser responsive. */
export const THREAD_PREFERENCE = 0.05

export interface TunedEngine {
  backend: ExecutionBackend
  wasmThreads: number
  microBatch: number
}

export interface CalibrationSample {
  wasmThreads: number
  microBatch: number
  samplesPerSecond: number
}

export interface CalibrationRecord {
  key: string
  engine: TunedEngine
  samples: CalibrationSample[]
  measuredAt: number
}

/** 1, 2, 4, … up to `maxThreads`, and `maxThreads` itself. */
export function threadCandidates(maxThreads: number): number[] {
  const out: number[] = []
  for (let t = 1; t < maxThreads; t *= 2) out.push(t)
  out.push(Math.max(1, maxThreads))
  return out
}

/** The batch and its halvings down to MIN_MICRO_BATCH rows, as long as they divide the batch evenly. */
export function microBatchCandidates(batchSize: number): number[] {
  const out = [batchSize]
  for (let m = batchSize / 2; Number.isInteger(m) && m >= MIN_MICRO_BATCH && out.length < MAX_MICRO_BATCH_CANDIDATES; m /= 2) out.push(m)
  return out
}

/** The fastest measured setting; among settings within THREAD_PREFERENCE of it, the one with fewest threads. */
export function fastest(samples: readonly CalibrationSample[]): CalibrationSample | null {
  if (samples.length === 0) return null
  const top = Math.max(...samples.map((s) => s.samplesPerSecond))
  const close = samples.filter((s) => s.samplesPerSecond >= top * (1 - THREAD_PREFERENCE))
  const fewest = Math.min(...close.map((s) => s.wasmThreads))
  return close.filter((s) => s.wasmThreads === fewest).reduce((a, b) => (b.samplesPerSecond > a.samplesPerSecond ? b : a))
}

/** What makes two devices time alike: cores, wasm features and the GPU adapter. */
export function deviceFingerprint(report: DeviceReport): string {
  const gpu = report.webgpu.available ? [report.webgpu.adapter.vendor, report.webgpu.adapter.architecture, report.webgpu.adapter.device, report.webgpu.adapter.description].join('/') : 'no-webgpu'
  const wasm = report.wasm
  return `${wasm.hardwareConcurrency}c/${wasm.simd ? 'simd' : 'scalar'}/${wasm.crossOriginIsolated && wasm.sharedArrayBuffer ? 'threads' : 'single'}/${gpu}`
}

/** The job shape that decides speed: everything in the spec but the seed, in a fixed key order. */
export function calibrationKey(device: string, backend: ExecutionBackend, spec: TrainSpec): string {
  const shape = Object.fromEntries(Object.entries(spec).filter(([k]) => k !== 'seed').sort(([a], [b]) => a.localeCompare(b)))
  return `v${CALIBRATION_VERSION}|${device}|${backend}|${JSON.stringify(shape)}`
}

const WHAT = 'remembered calibration'
const MAX_RECORD_BYTES = 16 * 1024

export function encodeCalibration(record: CalibrationRecord): string {
  return JSON.stringify(record)
}

/** Decodes a stored record; anything malformed, stale or for another key is a DecodeError (re-measure). */
export function decodeCalibration(text: string, key: string, now: number): CalibrationRecord {
  const obj = asObject(parseJsonLimited(text, MAX_RECORD_BYTES, WHAT), WHAT)
  if (readString(obj, 'key', WHAT, 4096) !== key) throw new DecodeError(WHAT, 'it was measured for another device or job')
  const measuredAt = readNumber(obj, 'measuredAt', WHAT, 0)
  if (now - measuredAt > CALIBRATION_MAX_AGE_MS || measuredAt > now) throw new DecodeError(WHAT, 'it is out of date')
  const engine = asObject(obj.engine, `${WHAT} engine`)
  const backend = readString(engine, 'backend', WHAT, 16)
  if (backend !== 'wasm' && backend !== 'webgpu') throw new DecodeError(WHAT, `unknown backend "${backend}"`)
  if (!Array.isArray(obj.samples) || obj.samples.length > 64) throw new DecodeError(WHAT, '"samples" must be an array of at most 64 entries')
  const samples = obj.samples.map((value: unknown) => {
    const s = asObject(value, `${WHAT} sample`)
    return { wasmThreads: readInteger(s, 'wasmThreads', WHAT, 1, 64), microBatch: readInteger(s, 'microBatch', WHAT, 1, 4096), samplesPerSecond: readNumber(s, 'samplesPerSecond', WHAT, 0) }
  })
  return { key, engine: { backend, wasmThreads: readInteger(engine, 'wasmThreads', WHAT, 1, 64), microBatch: readInteger(engine, 'microBatch', WHAT, 1, 4096) }, samples, measuredAt }
}
