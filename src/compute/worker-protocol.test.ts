import { describe, expect, it } from 'vitest'
import { decodeFromWorker, decodeToWorker } from './worker-protocol.ts'

const spec = { model: 'cnn', batchSize: 32, optimizer: 'adamw', seed: 1 }

describe('worker protocol', () => {
  it('decodes every request type', () => {
    expect(decodeToWorker({ type: 'probe', id: 7 })).toEqual({ type: 'probe', id: 7 })
    expect(decodeToWorker({ type: 'warm', id: 6, backend: 'webgpu', wasmThreads: 2 })).toEqual({ type: 'warm', id: 6, backend: 'webgpu', wasmThreads: 2 })
    expect(decodeToWorker({ type: 'init', id: 1, spec, backend: 'wasm', wasmThreads: 2, microBatch: null, params: null })).toMatchObject({ spec, backend: 'wasm', microBatch: null })
    expect(decodeToWorker({ type: 'init', id: 1, spec, backend: 'wasm', wasmThreads: 2, microBatch: 8, params: null })).toMatchObject({ microBatch: 8 })
    expect(decodeToWorker({ type: 'calibrate', id: 5, spec, backend: 'webgpu', wasmThreads: 1, microBatches: [32, 16] })).toMatchObject({ microBatches: [32, 16] })
    const x = new Float32Array(4)
    expect(decodeToWorker({ type: 'train', id: 2, batches: [{ x, y: x }], lr: 0.01, firstStep: 1 })).toMatchObject({ batches: [{ x, y: x }] })
    expect(decodeToWorker({ type: 'throttle', id: 3, dutyCycle: 0.5, paused: false })).toMatchObject({ dutyCycle: 0.5 })
  })

  it('rejects malformed requests with the offending field named', () => {
    expect(() => decodeToWorker({ type: 'fly', id: 1 })).toThrow(/unknown message type "fly"/)
    expect(() => decodeToWorker({ type: 'probe', id: -1 })).toThrow(/"id" must be between/)
    expect(() => decodeToWorker('probe')).toThrow(/expected an object/)
    expect(() => decodeToWorker({ type: 'warm', id: 1, backend: 'cuda', wasmThreads: 1 })).toThrow(/"backend" must be one of webgpu, wasm/)
    expect(() => decodeToWorker({ type: 'warm', id: 1, backend: 'wasm', wasmThreads: 0 })).toThrow(/"wasmThreads" must be between 1 and 64/)
    expect(() => decodeToWorker({ type: 'init', id: 1, spec: { ...spec, model: 'resnet' }, backend: 'wasm', wasmThreads: 1, microBatch: null, params: null })).toThrow(/"model" must be one of mlp, cnn, transformer/)
    expect(() => decodeToWorker({ type: 'init', id: 1, spec, backend: 'wasm', wasmThreads: 1, microBatch: 12, params: null })).toThrow(/"microBatch" \(12\) must divide the batch size 32/)
    expect(() => decodeToWorker({ type: 'init', id: 1, spec, backend: 'wasm', wasmThreads: 1, microBatch: 64, params: null })).toThrow(/"microBatch" must be between 1 and 32/)
    expect(() => decodeToWorker({ type: 'calibrate', id: 1, spec, backend: 'wasm', wasmThreads: 1, microBatches: [] })).toThrow(/1 to 8 candidates/)
    expect(() => decodeToWorker({ type: 'calibrate', id: 1, spec, backend: 'wasm', wasmThreads: 1, microBatches: [32, 5] })).toThrow(/"microBatches\[1\]" \(5\) must divide/)
    expect(() => decodeToWorker({ type: 'train', id: 1, batches: [{ x: [1, 2], y: new Float32Array(1) }], lr: 0.1, firstStep: 1 })).toThrow(/batches\[0\].x must be a Float32Array/)
    expect(() => decodeToWorker({ type: 'train', id: 1, batches: [], lr: 0.1, firstStep: 1 })).toThrow(/1 to 4096 batches/)
    expect(() => decodeToWorker({ type: 'throttle', id: 1, dutyCycle: 0, paused: false })).toThrow(/"dutyCycle" must be between 0.05 and 1/)
  })

  it('decodes replies and rejects unknown or malformed ones', () => {
    expect(decodeFromWorker({ type: 'error', id: 1, code: 'X', message: 'broke' })).toEqual({ type: 'error', id: 1, code: 'X', message: 'broke' })
    expect(() => decodeFromWorker({ type: 'probe-result', id: 1 })).toThrow(/report: expected an object/)
    expect(() => decodeFromWorker({ type: 'bogus', id: 1 })).toThrow(/unknown message type/)
    const summary = { losses: [1], corrects: [0], samples: 2, elapsedMs: 1, samplesPerSecond: 2, gflopsPerSecond: 0, backend: 'wasm' }
    const spent = [{ x: new Float32Array(4), y: new Float32Array(2) }]
    expect(decodeFromWorker({ type: 'trained', id: 2, summary, spent })).toEqual({ type: 'trained', id: 2, summary, spent })
    for (const bad of [undefined, {}, [{ x: [1], y: new Float32Array(1) }], [{ x: new Float32Array(1) }], [null]]) {
      expect(() => decodeFromWorker({ type: 'trained', id: 2, summary, spent: bad })).toThrow('"spent" must be an array of batches of Float32Arrays')
    }
  })
})
