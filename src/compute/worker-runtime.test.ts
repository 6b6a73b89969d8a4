// The worker's recovery logic with the real ORT engine (wasm, in Node). Node has no WebGPU, so "webgpu"
// sessions here are real wasm sessions whose run() starts failing the way a lost GPU device does.
import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { WorkerRuntime } from './worker-runtime.ts'
import type { FromWorker, TrainSpec } from './worker-protocol.ts'
import { randomFeeds } from '../graph/testing/feeds.ts'
import { buildTrainStep } from '../graph/train-step.ts'
import { mlp } from '../graph/zoo.ts'
import { DEFAULT_ADAMW } from '../graph/optimizer.ts'
import { TrainSession, type OrtModule } from './train-session.ts'
import { initParams } from '../graph/model.ts'
import type { OrtLoader } from './worker-runtime.ts'
import { ZOO_RECIPES } from '../graph/model-recipe.ts'

ort.env.wasm.numThreads = 1
const spec: TrainSpec = { model: ZOO_RECIPES.mlp, batchSize: 4, optimizer: 'adamw', seed: 3 }

const plainOrt: OrtLoader = async () => ort

/** An ORT "WebGPU build" whose sessions fail after `healthyRuns` runs, or fail to be created at all. */
function ortWithFailingGpu(mode: { failCreate: boolean; healthyRuns: number }): OrtLoader {
  const create = async (model: Uint8Array, options: ort.InferenceSession.SessionOptions) => {
    const wantsGpu = options.executionProviders?.[0] === 'webgpu'
    if (wantsGpu && mode.failCreate) throw new Error('no available backend found: webgpu adapter lost')
    const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] })
    if (!wantsGpu) return session
    let runs = 0
    return new Proxy(session, {
      get(target, prop) {
        if (prop === 'run') {
          return async (...args: Parameters<typeof target.run>) => {
            if (++runs > mode.healthyRuns) throw new Error("Failed to execute 'mapAsync' on 'GPUBuffer': Device is lost")
            return target.run(...args)
          }
        }
        const value = Reflect.get(target, prop) as unknown
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
      },
    })
  }
  const gpuBuild = { ...ort, InferenceSession: { create } } as unknown as OrtModule
  return async (backend) => (backend === 'webgpu' ? gpuBuild : ort)
}

function batches(n: number) {
  const graph = buildTrainStep(mlp(), spec.batchSize, DEFAULT_ADAMW).graph
  return Array.from({ length: n }, (_, i) => {
    const feeds = randomFeeds(graph, 100 + i)
    return { x: feeds.x!, y: feeds.y! }
  })
}

async function runAll(runtime: WorkerRuntime, backend: 'webgpu' | 'wasm', events: FromWorker[]) {
  await runtime.handle({ type: 'init', id: 1, spec, backend, wasmThreads: 1, microBatch: null, params: null })
  await runtime.handle({ type: 'train', id: 2, batches: batches(5), lr: 0.01, firstStep: 1 })
  return events.find((e) => e.type === 'trained') as Extract<FromWorker, { type: 'trained' }>
}

describe('worker runtime recovery', () => {
  it('restarts a run on wasm from its checkpoint when the GPU is lost mid-run', async () => {
    const events: FromWorker[] = []
    const trained = await runAll(new WorkerRuntime(ortWithFailingGpu({ failCreate: false, healthyRuns: 2 }), (e) => events.push(e)), 'webgpu', events)
    expect(events.find((e) => e.type === 'ready')).toMatchObject({ backend: 'webgpu' })
    expect(events.find((e) => e.type === 'fallback')).toMatchObject({ from: 'webgpu', to: 'wasm', reason: expect.stringMatching(/Device is lost/) })
    expect(trained.summary.backend).toBe('wasm')
    expect(trained.summary.losses).toHaveLength(5)

    // The recovered run equals a clean wasm run: nothing from the failed half-run leaked into it.
    const cleanEvents: FromWorker[] = []
    const clean = await runAll(new WorkerRuntime(plainOrt, (e) => cleanEvents.push(e)), 'wasm', cleanEvents)
    expect(trained.summary.losses).toEqual(clean.summary.losses)
  })

  it('opens on wasm and says why when a WebGPU session cannot be created', async () => {
    const events: FromWorker[] = []
    const trained = await runAll(new WorkerRuntime(ortWithFailingGpu({ failCreate: true, healthyRuns: 0 }), (e) => events.push(e)), 'webgpu', events)
    expect(events.find((e) => e.type === 'fallback')).toMatchObject({ reason: expect.stringMatching(/could not create a webgpu session/) })
    expect(events.find((e) => e.type === 'ready')).toMatchObject({ backend: 'wasm' })
    expect(trained.summary.backend).toBe('wasm')
  })

  it('refuses to train before a model is loaded', async () => {
    await expect(new WorkerRuntime(plainOrt, () => {}).handle({ type: 'train', id: 1, batches: batches(1), lr: 0.1, firstStep: 1 })).rejects.toThrow(/send "init" first/)
  })
})

describe('worker runtime engine settings', () => {
  it('trains with micro-batches to the same losses as whole batches', async () => {
    const run = async (microBatch: number | null) => {
      const events: FromWorker[] = []
      const runtime = new WorkerRuntime(plainOrt, (e) => events.push(e))
      await runtime.handle({ type: 'init', id: 1, spec, backend: 'wasm', wasmThreads: 1, microBatch, params: null })
      await runtime.handle({ type: 'train', id: 2, batches: batches(3), lr: 0.01, firstStep: 1 })
      return { ready: events.find((e) => e.type === 'ready')!, trained: events.find((e) => e.type === 'trained') as Extract<FromWorker, { type: 'trained' }> }
    }
    const whole = await run(null)
    const micro = await run(2)
    expect(micro.ready).toMatchObject({ microBatch: 2, flopsPerStep: (whole.ready as { flopsPerStep: number }).flopsPerStep })
    micro.trained.summary.losses.forEach((loss, i) => expect(loss).toBeCloseTo(whole.trained.summary.losses[i]!, 5))
  })

  it('checks a model split into stages against the unsplit model on the asked backend', async () => {
    const events: FromWorker[] = []
    await new WorkerRuntime(plainOrt, (e) => events.push(e)).handle({ type: 'check-stages', id: 9, backend: 'wasm', wasmThreads: 1 })
    const reply = events.find((e) => e.type === 'stages-checked') as Extract<FromWorker, { type: 'stages-checked' }>
    expect(reply).toMatchObject({ id: 9, backend: 'wasm' })
    expect(reply.results.map((r) => r.stages)).toEqual([2, 3, 4])
    for (const r of reply.results) expect(r.maxRelative).toBeLessThan(1e-4)
  })

  it('times each micro-batch candidate and reports the ones that cannot run', async () => {
    const events: FromWorker[] = []
    const runtime = new WorkerRuntime(plainOrt, (e) => events.push(e), { calibration: { warmupSteps: 1, rounds: 1, roundMs: 10 } })
    await runtime.handle({ type: 'calibrate', id: 4, spec, backend: 'wasm', wasmThreads: 1, microBatches: [4, 2, 3] })
    const reply = events.find((e) => e.type === 'calibrated') as Extract<FromWorker, { type: 'calibrated' }>
    expect(reply.results.map((r) => r.microBatch)).toEqual([4, 2, 3])
    expect(reply.results[0]!.samplesPerSecond).toBeGreaterThan(0)
    expect(reply.results[1]!.samplesPerSecond).toBeGreaterThan(0)
    expect(reply.results[2]).toMatchObject({ samplesPerSecond: null, error: expect.stringMatching(/does not divide the batch of 4/) })
  })

  it('warms up before any job without leaving a trace: the first unit trains exactly as on a fresh session', async () => {
    const events: FromWorker[] = []
    const runtime = new WorkerRuntime(plainOrt, (e) => events.push(e))
    await runtime.handle({ type: 'warm', id: 1, backend: 'wasm', wasmThreads: 1 })
    expect(events).toEqual([{ type: 'ok', id: 1 }])
    // Warming loads no job: training still needs an init.
    await expect(runtime.handle({ type: 'train', id: 2, batches: batches(1), lr: 0.1, firstStep: 1 })).rejects.toThrow(/send "init" first/)
    await runtime.handle({ type: 'init', id: 3, spec, backend: 'wasm', wasmThreads: 1, microBatch: null, params: null })
    await runtime.handle({ type: 'train', id: 4, batches: batches(3), lr: 0.01, firstStep: 1 })
    await runtime.handle({ type: 'read-params', id: 5 })
    const trained = events.find((e) => e.type === 'trained') as Extract<FromWorker, { type: 'trained' }>
    const params = (events.find((e) => e.type === 'params') as Extract<FromWorker, { type: 'params' }>).params
    // The throwaway step did run (a failing one would be null), and sized the first engine run from its time.
    expect((events.find((e) => e.type === 'ready') as Extract<FromWorker, { type: 'ready' }>).firstStepMs).toBeGreaterThan(0)

    // The same steps on a session nobody warmed up: init's throwaway step must not move a parameter or an
    // optimiser moment.
    const session = await TrainSession.create(ort as unknown as OrtModule, buildTrainStep(mlp(), spec.batchSize, DEFAULT_ADAMW), { backend: 'wasm' })
    session.load(initParams(mlp(), spec.seed))
    const fresh = await session.runSteps(batches(3), 0.01, 1)
    const freshParams = (await session.read()).params
    await session.release()
    expect(trained.summary.losses).toEqual(fresh.map((r) => r.loss))
    for (const [name, values] of freshParams) expect(params[name], name).toEqual(values)
  })

  it('fixes its thread count when it warms up, as when it first compiles', async () => {
    const runtime = new WorkerRuntime(plainOrt, () => {})
    await runtime.handle({ type: 'warm', id: 1, backend: 'wasm', wasmThreads: 2 })
    await expect(runtime.handle({ type: 'init', id: 2, spec, backend: 'wasm', wasmThreads: 1, microBatch: null, params: null })).rejects.toThrow(/runs 2 wasm threads; start a new worker for 1/)
  })

  it('keeps the thread count its ORT loaded with and says so', async () => {
    const runtime = new WorkerRuntime(plainOrt, () => {})
    await runtime.handle({ type: 'init', id: 1, spec, backend: 'wasm', wasmThreads: 1, microBatch: null, params: null })
    await expect(runtime.handle({ type: 'init', id: 2, spec, backend: 'wasm', wasmThreads: 2, microBatch: null, params: null })).rejects.toThrow(/runs 1 wasm thread; start a new worker for 2/)
  })

  it('hands back what it has finished with: a run\'s batches with "trained", and on wasm the parameters it reads', async () => {
    const sent: Array<{ message: FromWorker; transfer: ArrayBuffer[] }> = []
    const runtime = new WorkerRuntime(plainOrt, (message, transfer = []) => sent.push({ message, transfer }))
    await runtime.handle({ type: 'init', id: 1, spec, backend: 'wasm', wasmThreads: 1, microBatch: null, params: null })
    const run = batches(3)
    await runtime.handle({ type: 'train', id: 2, batches: run, lr: 0.01, firstStep: 1 })
    const trained = sent.find((s) => s.message.type === 'trained')!
    expect(new Set(trained.transfer)).toEqual(new Set(run.flatMap((b) => [b.x.buffer, b.y.buffer])))
    // …and named in the reply, so the page gets them back as batches it can refill.
    expect((trained.message as Extract<FromWorker, { type: 'trained' }>).spent).toEqual(run)
    expect(sent.filter((s) => s.message.type === 'progress').every((s) => s.transfer.length === 0)).toBe(true)
    await runtime.handle({ type: 'read-params', id: 3 })
    const read = sent.find((s) => s.message.type === 'params')!
    const params = Object.values((read.message as Extract<FromWorker, { type: 'params' }>).params)
    // All tensors are views of one buffer, in layout order, so the page's flatten takes it without a copy.
    expect(read.transfer).toHaveLength(1)
    expect(params.every((p) => p.buffer === read.transfer[0])).toBe(true)
    expect(params.reduce((n, p) => n + p.length, 0) * 4).toBe(read.transfer[0]!.byteLength)
    // What moved to the page was a copy: training on from the same session is unaffected by it being detached.
    for (const buffer of read.transfer) structuredClone(buffer, { transfer: [buffer] })
    await runtime.handle({ type: 'train', id: 4, batches: batches(2), lr: 0.01, firstStep: 4 })
    await runtime.handle({ type: 'read-params', id: 5 })
    const again = (sent.filter((s) => s.message.type === 'params').at(-1)!.message as Extract<FromWorker, { type: 'params' }>).params
    expect(Object.values(again).every((p) => p.length > 0 && p.every(Number.isFinite))).toBe(true)
  })
})
