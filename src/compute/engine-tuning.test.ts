// The first unit never waits for calibration; the measurement runs once, before the second unit, and is
// remembered, so the next session starts on the measured setting without measuring again.
import { describe, expect, it } from 'vitest'
import { engineTuning, type Compilable } from './engine-tuning.ts'
import { chooseBackend } from './backend-choice.ts'
import type { CalibrationStore, Calibrator } from './auto-tune.ts'
import type { TunedEngine } from './calibration.ts'
import type { DeviceReport } from './device-report.ts'
import { testJob } from '../training/testing/job-fixture.ts'

const report: DeviceReport = { webgpu: { available: false, reason: 'none' }, wasm: { crossOriginIsolated: true, sharedArrayBuffer: true, simd: true, hardwareConcurrency: 4 } }
const choice = chooseBackend(report)
const job = testJob({ model: 'mlp', batchSize: 16 })

function world() {
  const data = new Map<string, string>()
  const store: CalibrationStore = { get: (key) => data.get(key) ?? null, set: (key, value) => void data.set(key, value) }
  const compiled: TunedEngine[] = []
  const compute: Compilable = { init: async (_spec, engine) => (compiled.push(engine), { flopsPerStep: 1000 }) }
  let calibrations = 0
  // One thread is measured fastest, at micro-batch 8.
  const spawn = (): Calibrator => ({
    calibrate: async (_spec, _backend, wasmThreads, microBatches) => (calibrations++, microBatches.map((microBatch) => ({ microBatch, samplesPerSecond: wasmThreads === 1 && microBatch === 8 ? 900 : 500, error: null }))),
    terminate: () => undefined,
  })
  return { store, compiled, compute, spawn, calibrations: () => calibrations, data }
}

describe('engine tuning', () => {
  it('runs the first units on the default, measures once after the first verdict, and remembers the result', async () => {
    const w = world()
    let verdictIn = false
    const prepare = engineTuning(w.compute, choice, { spawn: w.spawn, store: w.store, log: () => undefined, mayMeasure: () => verdictIn })
    expect(await prepare(job)).toBe(1000)
    expect(await prepare(job)).toBe(1000)
    expect(w.calibrations()).toBe(0)
    expect(w.compiled).toEqual([{ backend: 'wasm', wasmThreads: choice.wasmThreads, microBatch: 16 }])
    verdictIn = true
    // Two requests for the next unit at once (a wait reply, then a unit) share one measurement.
    await Promise.all([prepare(job), prepare(job)])
    const perThreadCount = w.calibrations()
    expect(perThreadCount).toBeGreaterThan(0)
    expect(w.compiled.at(-1)).toEqual({ backend: 'wasm', wasmThreads: 1, microBatch: 8 })
    await prepare(job)
    expect(w.calibrations()).toBe(perThreadCount)
    expect(w.data.size).toBe(1)

    // A new session on the same device starts on the remembered setting and never measures.
    const again = world()
    for (const [k, v] of w.data) again.data.set(k, v)
    const next = engineTuning(again.compute, choice, { spawn: again.spawn, store: again.store, log: () => undefined })
    await next(job)
    await next(job)
    expect(again.calibrations()).toBe(0)
    expect(again.compiled).toEqual([{ backend: 'wasm', wasmThreads: 1, microBatch: 8 }])
  })
})
