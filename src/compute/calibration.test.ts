import { describe, expect, it } from 'vitest'
import { calibrationKey, CALIBRATION_MAX_AGE_MS, decodeCalibration, deviceFingerprint, encodeCalibration, fastest, microBatchCandidates, threadCandidates, type CalibrationRecord } from './calibration.ts'
import type { DeviceReport } from './device-report.ts'
import type { TrainSpec } from './worker-protocol.ts'
import { ZOO_RECIPES } from '../graph/model-recipe.ts'

const spec: TrainSpec = { model: ZOO_RECIPES.mlp, batchSize: 64, optimizer: 'adamw', seed: 1 }
const report: DeviceReport = { webgpu: { available: false, reason: 'none' }, wasm: { crossOriginIsolated: true, sharedArrayBuffer: true, simd: true, hardwareConcurrency: 8 } }

describe('calibration candidates', () => {
  it('tries powers of two up to every core', () => {
    expect(threadCandidates(1)).toEqual([1])
    expect(threadCandidates(2)).toEqual([1, 2])
    expect(threadCandidates(6)).toEqual([1, 2, 4, 6])
    expect(threadCandidates(8)).toEqual([1, 2, 4, 8])
  })

  it('tries the batch and its even halvings, not below 8 rows', () => {
    expect(microBatchCandidates(64)).toEqual([64, 32, 16])
    expect(microBatchCandidates(48)).toEqual([48, 24, 12])
    expect(microBatchCandidates(20)).toEqual([20, 10])
    expect(microBatchCandidates(15)).toEqual([15])
    expect(microBatchCandidates(4)).toEqual([4])
  })
})

describe('choosing a setting', () => {
  it('takes the fastest, but fewer threads when they are within 5 %', () => {
    expect(fastest([])).toBeNull()
    expect(fastest([{ wasmThreads: 1, microBatch: 64, samplesPerSecond: 100 }, { wasmThreads: 2, microBatch: 64, samplesPerSecond: 180 }])).toMatchObject({ wasmThreads: 2 })
    expect(fastest([{ wasmThreads: 1, microBatch: 64, samplesPerSecond: 100 }, { wasmThreads: 2, microBatch: 64, samplesPerSecond: 104 }])).toMatchObject({ wasmThreads: 1 })
    expect(fastest([{ wasmThreads: 2, microBatch: 32, samplesPerSecond: 120 }, { wasmThreads: 2, microBatch: 64, samplesPerSecond: 119 }])).toMatchObject({ microBatch: 32 })
  })
})

describe('remembered calibrations', () => {
  const key = calibrationKey(deviceFingerprint(report), 'wasm', spec)
  const record: CalibrationRecord = { key, engine: { backend: 'wasm', wasmThreads: 2, microBatch: 32 }, samples: [{ wasmThreads: 2, microBatch: 32, samplesPerSecond: 5000 }], measuredAt: 1_000 }

  it('are keyed by device, backend and job shape but not the seed', () => {
    expect(calibrationKey('d', 'wasm', spec)).toBe(calibrationKey('d', 'wasm', { ...spec, seed: 99 }))
    expect(calibrationKey('d', 'wasm', spec)).not.toBe(calibrationKey('d', 'wasm', { ...spec, batchSize: 32 }))
    expect(calibrationKey('d', 'wasm', spec)).not.toBe(calibrationKey('d', 'webgpu', spec))
    expect(calibrationKey('d', 'wasm', spec)).not.toBe(calibrationKey('d', 'wasm', { ...spec, model: ZOO_RECIPES.cnn }))
    expect(calibrationKey('d', 'wasm', spec)).not.toBe(calibrationKey('e', 'wasm', spec))
    expect(deviceFingerprint(report)).not.toBe(deviceFingerprint({ ...report, wasm: { ...report.wasm, hardwareConcurrency: 4 } }))
  })

  it('round-trip, and are refused when stale, for another key or malformed', () => {
    expect(decodeCalibration(encodeCalibration(record), key, 2_000)).toEqual(record)
    expect(() => decodeCalibration(encodeCalibration(record), key, 1_000 + CALIBRATION_MAX_AGE_MS + 1)).toThrow(/out of date/)
    expect(() => decodeCalibration(encodeCalibration(record), `${key}x`, 2_000)).toThrow(/another device or job/)
    expect(() => decodeCalibration('{"key":', key, 2_000)).toThrow(/not valid JSON/)
    expect(() => decodeCalibration(encodeCalibration({ ...record, engine: { ...record.engine, wasmThreads: 0 } }), key, 2_000)).toThrow(/"wasmThreads" must be between 1 and 64/)
  })
})
