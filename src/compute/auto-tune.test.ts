// Calibration end to end in Node: the real worker runtime times real ORT-wasm sessions in-process (standing
// in for the throwaway browser workers), and the chosen setting is remembered in a store.
import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { autoTune, type CalibrationStore, type Calibrator } from './auto-tune.ts'
import { chooseBackend } from './backend-choice.ts'
import { WorkerRuntime, type OrtLoader } from './worker-runtime.ts'
import type { DeviceReport } from './device-report.ts'
import type { FromWorker, TrainSpec } from './worker-protocol.ts'
import type { OrtModule } from './train-session.ts'
import { ZOO_RECIPES } from '../graph/model-recipe.ts'

ort.env.wasm.numThreads = 1
const spec: TrainSpec = { model: ZOO_RECIPES.mlp, batchSize: 16, optimizer: 'adamw', seed: 1 }
const report: DeviceReport = { webgpu: { available: false, reason: 'none' }, wasm: { crossOriginIsolated: true, sharedArrayBuffer: true, simd: true, hardwareConcurrency: 2 } }

/** Short timing rounds: these tests check the choice and the memory, not the measurement's precision. */
const QUICK = { warmupSteps: 1, rounds: 2, roundMs: 20 }

function memoryStore(): CalibrationStore & { data: Map<string, string> } {
  const data = new Map<string, string>()
  return { data, get: (key) => data.get(key) ?? null, set: (key, value) => void data.set(key, value) }
}

/** A calibrator running the worker runtime in this process; counts how many "workers" were started. */
function inProcess(loadOrt: OrtLoader = async () => ort) {
  const spawned: number[] = []
  const spawn = (): Calibrator => {
    const events: FromWorker[] = []
    const runtime = new WorkerRuntime(loadOrt, (e) => events.push(e), { calibration: QUICK })
    return {
      async calibrate(s, backend, wasmThreads, microBatches) {
        spawned.push(wasmThreads)
        await runtime.handle({ type: 'calibrate', id: 1, spec: s, backend, wasmThreads, microBatches })
        return (events.find((e) => e.type === 'calibrated') as Extract<FromWorker, { type: 'calibrated' }>).results
      },
      terminate: () => undefined,
    }
  }
  return { spawn, spawned }
}

describe('auto-tuning threads and micro-batch', () => {
  it('measures every thread count and micro-batch once, then remembers the fastest', async () => {
    const store = memoryStore()
    const choice = chooseBackend(report, 'wasm')
    const first = inProcess()
    const tuned = await autoTune(spec, choice, { spawn: first.spawn, store })
    expect(first.spawned).toEqual([1, 2])
    expect(tuned.remembered).toBe(false)
    expect(tuned.samples.map((s) => `${s.wasmThreads}/${s.microBatch}`).sort()).toEqual(['1/16', '1/8', '2/16', '2/8'])
    const best = Math.max(...tuned.samples.map((s) => s.samplesPerSecond))
    const chosen = tuned.samples.find((s) => s.wasmThreads === tuned.engine.wasmThreads && s.microBatch === tuned.engine.microBatch)!
    expect(chosen.samplesPerSecond).toBeGreaterThanOrEqual(best * 0.95)
    expect(store.data.size).toBe(1)

    const again = inProcess()
    const recalled = await autoTune({ ...spec, seed: 5 }, choice, { spawn: again.spawn, store })
    expect(again.spawned).toEqual([])
    expect(recalled).toMatchObject({ remembered: true, engine: tuned.engine })
  })

  it('measures again when the remembered record is unusable, and says why', async () => {
    const store = memoryStore()
    const choice = chooseBackend(report, 'wasm')
    await autoTune(spec, choice, { spawn: inProcess().spawn, store })
    const [key] = [...store.data.keys()]
    store.set(key!, '{"key": "garbage"')
    const notices: string[] = []
    const again = inProcess()
    const tuned = await autoTune(spec, choice, { spawn: again.spawn, store, onNotice: (text) => notices.push(text) })
    expect(tuned.remembered).toBe(false)
    expect(notices[0]).toMatch(/measuring again: .*not valid JSON/)
    expect(again.spawned).toEqual([1, 2])
  })

  it('measures only the micro-batch on WebGPU, where wasm threads do not matter', async () => {
    const gpuReport: DeviceReport = { ...report, webgpu: { available: true, adapter: { vendor: 'v', architecture: 'a', device: 'd', description: 'test', isFallbackAdapter: false }, limits: {} as never, features: [], selfTestMs: 1 } }
    const choice = chooseBackend(gpuReport)
    expect(choice.backend).toBe('webgpu')
    // Node has no WebGPU: the "webgpu" build here runs wasm sessions, which is all this test needs.
    const gpuAsWasm = { ...ort, InferenceSession: { create: (model: Uint8Array) => ort.InferenceSession.create(model, { executionProviders: ['wasm'] }) } } as unknown as OrtModule
    const tuned = await autoTune(spec, choice, { spawn: inProcess(async () => gpuAsWasm).spawn, store: null })
    expect(new Set(tuned.samples.map((s) => s.wasmThreads))).toEqual(new Set([choice.wasmThreads]))
    expect(tuned.engine.backend).toBe('webgpu')
  })

  it('fails with the reasons when no setting can run', async () => {
    const broken = { ...ort, InferenceSession: { create: async () => { throw new Error('out of memory') } } } as unknown as OrtModule
    await expect(autoTune(spec, chooseBackend(report, 'wasm'), { spawn: inProcess(async () => broken).spawn, store: memoryStore() })).rejects.toThrow(/no engine setting could run this job: 1 threads, micro-batch 16: could not create a wasm session: out of memory/)
  })
})
