// A headless peer's compute thread: it trains exactly as the engine on the peer's own thread would, while the
// peer's own thread (libp2p's) stays free. Before it, a transformer's engine run held a Node volunteer's and the
// referee's event loop for a minute, libp2p's pings timed out after 5 s, and half of a text job's results
// ended UNVERIFIED because their volunteers looked disconnected.
import { afterAll, describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import * as ortNode from 'onnxruntime-node'
import { nodeComputeClient, type HeadlessEngine } from './node-compute.ts'
import { nativeOrt } from './ort-native.ts'
import { recipeModel, type ModelRecipe } from '../../src/graph/model-recipe.ts'
import { initParams } from '../../src/graph/model.ts'
import { syntheticBatch } from '../../src/compute/synthetic-batch.ts'
import { SessionInnerEngine, WorkerInnerEngine } from '../../src/compute/inner-engine.ts'

ort.env.wasm.numThreads = 1
const recipe: ModelRecipe = { spec: { kind: 'transformer', layers: 4, width: 128, heads: 4 }, input: { kind: 'tokens', vocab: 96, context: 64 }, outputs: 96, objective: 'classes' }
const model = recipeModel(recipe)
const BATCH = 32
/** What `task` returns, how long it took, and this thread's longest wait between two 20 ms ticks meanwhile. */
async function longestWait<T>(task: () => Promise<T>): Promise<{ result: T; ms: number; gap: number }> {
  let gap = 0
  let last = performance.now()
  const tick = setInterval(() => {
    const now = performance.now()
    gap = Math.max(gap, now - last)
    last = now
  }, 20)
  const started = performance.now()
  try {
    const result = await task()
    return { result, ms: performance.now() - started, gap: Math.max(gap, performance.now() - last) }
  } finally {
    clearInterval(tick)
  }
}
const batches = () => Array.from({ length: 4 }, (_, i) => syntheticBatch(model, BATCH, i + 1))

/** The ORT build each headless engine runs, loaded on this thread. */
const BUILDS: Record<HeadlessEngine, typeof ort> = { wasm: ort, native: nativeOrt(ortNode) }
BUILDS.native.env.wasm.numThreads = 1

describe.each(['native', 'wasm'] as const)('the %s compute thread of a headless peer', (kind) => {
  const compute = nodeComputeClient(kind)
  afterAll(() => compute.terminate())

  it('trains the same steps as an engine of its build on this thread, without ever holding this thread', async () => {
    const ready = await compute.init({ model: recipe, batchSize: BATCH, optimizer: 'adamw', seed: 3 }, { backend: 'wasm', wasmThreads: 1 })
    expect(ready).toMatchObject({ backend: 'wasm', wasmThreads: 1, microBatch: BATCH })
    const params = initParams(model, 3)
    const engine = new WorkerInnerEngine(compute)
    await engine.load(params)

    const threaded = await longestWait(() => engine.train(batches(), 1e-3, 1))
    const local = await SessionInnerEngine.create(BUILDS[kind], model, BATCH)
    await local.load(params)
    const here = await longestWait(() => local.train(batches(), 1e-3, 1))
    const hereParams = await local.read()
    await local.release()

    expect(threaded.result.losses).toEqual(here.result.losses)
    expect(await engine.read()).toEqual(hereParams)
    const msPerStep = threaded.ms / 4
    console.info(`${msPerStep.toFixed(0)} ms per step; longest wait of this thread: ${threaded.gap.toFixed(0)} ms with the compute thread, ${here.gap.toFixed(0)} ms with the engine on it`)
    // The engine on this thread holds it for whole runs of steps; the compute thread never for one step.
    expect(here.gap).toBeGreaterThan(msPerStep)
    // Natively a step takes 200–300 ms, so half of one is within a loaded machine's own timer jitter: 300 ms is the floor.
    expect(threaded.gap).toBeLessThan(Math.max(msPerStep / 2, 300))
  }, 120_000)

  it('answers a request it cannot read with a typed error, and keeps serving', async () => {
    await expect(compute.init({ model: { ...recipe, objective: 'pixels' } as never, batchSize: BATCH, optimizer: 'adamw', seed: 3 }, { backend: 'wasm', wasmThreads: 1 })).rejects.toMatchObject({ code: 'DECODE' })
    await expect(compute.readParams()).resolves.toBeDefined()
  }, 60_000)

  it('fails what is in flight when stopped, instead of leaving it waiting', async () => {
    const other = nodeComputeClient(kind)
    const pending = other.init({ model: recipe, batchSize: BATCH, optimizer: 'adamw', seed: 3 }, { backend: 'wasm', wasmThreads: 1 })
    other.terminate()
    await expect(pending).rejects.toMatchObject({ code: 'WORKER_STOPPED' })
  })

  it('stopped in the middle of training, lets its run end instead of taking the process down with it', async () => {
    // Ending a thread inside a native ORT run aborted the whole process ("terminate called after throwing an
    // instance of 'Napi::Error'"): this test's own process would not have lived to see the next line.
    const other = nodeComputeClient(kind)
    await other.init({ model: recipe, batchSize: BATCH, optimizer: 'adamw', seed: 3 }, { backend: 'wasm', wasmThreads: 1 })
    const engine = new WorkerInnerEngine(other)
    await engine.load(initParams(model, 3))
    const training = engine.train([...batches(), ...batches()], 1e-3, 1)
    await new Promise((resolve) => setTimeout(resolve, 300))
    other.terminate()
    await expect(training).rejects.toMatchObject({ code: 'WORKER_STOPPED' })
    await new Promise((resolve) => setTimeout(resolve, 3000))
    expect(await compute.readParams()).toBeDefined()
  }, 60_000)
})

describe('the native and wasm engines', () => {
  // A tab trains on wasm and a Node peer natively, and each replays the other's units: they must agree to the
  // float rounding verification's tolerances were measured on (DEFAULT_THRESHOLDS.lossTolerance is 1e-3).
  it('train the same steps to the same losses and parameters, within float rounding', async () => {
    const params = initParams(model, 4)
    const runs = await Promise.all((['native', 'wasm'] as const).map(async (kind) => {
      const engine = await SessionInnerEngine.create(BUILDS[kind], model, BATCH)
      await engine.load(params)
      const { losses } = await engine.train(batches(), 1e-3, 1)
      const end = await engine.read()
      await engine.release()
      return { losses, end }
    }))
    const [native, wasm] = runs as [typeof runs[0], typeof runs[0]]
    native.losses.forEach((loss, i) => expect(Math.abs(loss - wasm.losses[i]!) / wasm.losses[i]!).toBeLessThan(1e-4))
    let off = 0
    let norm = 0
    for (const [name, value] of wasm.end) {
      const other = native.end.get(name)!
      value.forEach((v, i) => {
        off += (v - other[i]!) ** 2
        norm += v ** 2
      })
    }
    expect(Math.sqrt(off / norm)).toBeLessThan(1e-4)
    expect(native.losses).not.toEqual(wasm.losses) // two builds: were they the same, this test would show nothing
  }, 120_000)
})
