// The benchmark page. bench/run.ts drives it through window.bench: the real compute worker (ComputeClient, so
// batches and progress cross postMessage as in the app) on a zoo model or a task family's recipe, calibration,
// TensorFlow.js training the same models in this page, and the GEMM and SIMD peaks the train steps are
// compared against.
import * as tf from '@tensorflow/tfjs'
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import '@tensorflow/tfjs-backend-webgpu'
import tfjsWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url'
import tfjsWasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url'
import tfjsWasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url'
import { ComputeClient } from '../src/compute/compute-client.ts'
import { chooseBackend, type BackendChoice } from '../src/compute/backend-choice.ts'
import { autoTune, type AutoTuned } from '../src/compute/auto-tune.ts'
import { syntheticBatch } from '../src/compute/synthetic-batch.ts'
import type { ExecutionBackend } from '../src/compute/train-session.ts'
import type { DeviceReport } from '../src/compute/device-report.ts'
import { MODEL_ZOO, type ZooModelName } from '../src/graph/zoo.ts'
import { errorMessage } from '../src/errors.ts'
import { tfjsStepTimes } from './tfjs-models.ts'
import type { StepTimes } from './node-session.ts'
import { ZOO_RECIPES, type ModelRecipe } from '../src/graph/model-recipe.ts'
import type { Batch } from '../src/data/task-batch.ts'
import { familyBatches, familyRecipe, type TaskFamilyName } from './task-families.ts'
import { tfjsRecipeModel, tfjsRecipeStepTimes } from './tfjs-task-models.ts'

export interface BenchPage {
  device(): Promise<{ report: DeviceReport; choice: BackendChoice }>
  /** Starts a compute worker for `id`, compiles the job's step and runs `warmup` steps. */
  open(id: string, model: ZooModelName, batchSize: number, engine: EngineChoice, warmup: number): Promise<Opened>
  /** The same for a task family's recipe, trained on batches its task encodes (bench/task-families.ts). */
  openTask(id: string, family: TaskFamilyName, batchSize: number, engine: EngineChoice, warmup: number): Promise<Opened>
  /** Runs `steps` steps in that worker, timed on the page: the product's real path, posting batches and progress included. */
  steps(id: string, steps: number): Promise<StepTimes>
  close(id: string): void
  autoTune(model: ZooModelName, batchSize: number, backend: ExecutionBackend): Promise<AutoTuned>
  /** TensorFlow.js (single-threaded wasm, or WebGPU) training the same model in this page; a string says why it cannot. */
  tfjs(model: ZooModelName, batchSize: number, warmup: number, steps: number): Promise<StepTimes | string>
  /** TensorFlow.js training the task family's model on one batch its task encodes; a string says why it cannot. */
  tfjsTask(family: TaskFamilyName, batchSize: number, warmup: number, steps: number): Promise<StepTimes | string>
  /** Parameters of the task family's TensorFlow.js model (built, never trained). */
  tfjsTaskParameters(family: TaskFamilyName): Promise<number>
  gemm(n: number, runs: number, backend: ExecutionBackend, threads: number): Promise<number>
  simdPeak(threads: number, durationMs: number): Promise<number>
}

type EngineChoice = { backend: ExecutionBackend; wasmThreads: number; microBatch: number | null }
/** What the worker reports once the step is compiled and warm: the step's FLOPs and the model's parameters. */
type Opened = { flopsPerStep: number; parameters: number; backend: ExecutionBackend }

declare global {
  interface Window { bench?: BenchPage }
}

const tfjsBackend = (new URLSearchParams(location.search).get('tfjs') ?? 'wasm') as 'wasm' | 'webgpu'

// Workers are created at the call sites (new Worker(new URL(...))) so Vite bundles them.
function inWorker<T>(worker: Worker, message: unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<T & { error?: string }>) => (event.data.error ? reject(new Error(event.data.error)) : resolve(event.data))
    worker.onerror = (event) => reject(new Error(event.message))
    worker.postMessage(message)
  }).finally(() => worker.terminate())
}

async function startTfjs(): Promise<void> {
  if (tfjsBackend === 'wasm') {
    setWasmPaths({ 'tfjs-backend-wasm.wasm': tfjsWasm, 'tfjs-backend-wasm-simd.wasm': tfjsWasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': tfjsWasmThreaded })
    // TensorFlow.js's threaded wasm binary fails once bundled (its pthread worker blob references a minified
    // symbol), so it runs on one thread: compare it with Tesserae's one-thread row.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false)
    setThreadsCount(1)
  }
  if (!(await tf.setBackend(tfjsBackend))) throw new Error(`TensorFlow.js could not start its ${tfjsBackend} backend`)
  await tf.ready()
}

const tfjsReady = startTfjs()
/** An open worker and the batches it trains on: `batches(steps)` makes that many, untimed. */
const workers = new Map<string, { client: ComputeClient; batches: (steps: number) => Batch[]; step: number }>()

async function openWorker(id: string, recipe: ModelRecipe, batchSize: number, engine: EngineChoice, warmup: number, batches: (steps: number) => Batch[]): Promise<Opened> {
  const client = ComputeClient.spawn()
  workers.set(id, { client, batches, step: 1 })
  const ready = await client.init({ model: recipe, batchSize, optimizer: 'adamw', seed: 1 }, engine)
  const summary = await client.train(batches(warmup), 1e-3, 1, { handOver: true })
  workers.get(id)!.step += warmup
  return { flopsPerStep: ready.flopsPerStep, parameters: ready.parameters, backend: summary.backend }
}

window.bench = {
  async device() {
    const client = ComputeClient.spawn()
    try {
      const report = await client.probe()
      return { report, choice: chooseBackend(report) }
    } finally {
      client.terminate()
    }
  },

  open(id, model, batchSize, engine, warmup) {
    const m = MODEL_ZOO[model]()
    return openWorker(id, ZOO_RECIPES[model as keyof typeof ZOO_RECIPES], batchSize, engine, warmup, (steps) => Array.from({ length: steps }, (_, i) => syntheticBatch(m, batchSize, i)))
  },

  openTask(id, family, batchSize, engine, warmup) {
    let seed = 1
    return openWorker(id, familyRecipe(family), batchSize, engine, warmup, (steps) => familyBatches(family, batchSize, steps, seed++))
  },

  async steps(id, steps) {
    const entry = workers.get(id)!
    const batches = entry.batches(steps)
    const started = performance.now()
    const summary = await entry.client.train(batches, 1e-3, entry.step, { handOver: true })
    entry.step += steps
    return { steps, wallMs: performance.now() - started, engineMs: summary.elapsedMs }
  },

  close(id) {
    workers.get(id)?.client.terminate()
    workers.delete(id)
  },

  async autoTune(model, batchSize, backend) {
    const { report } = await window.bench!.device()
    // A null store: the benchmark measures every run afresh instead of recalling an earlier run's choice.
    return autoTune({ model: ZOO_RECIPES[model as keyof typeof ZOO_RECIPES], batchSize, optimizer: 'adamw', seed: 1 }, chooseBackend(report, backend === 'wasm' ? 'wasm' : 'auto'), { spawn: ComputeClient.spawn, store: null })
  },

  async tfjs(model, batchSize, warmup, steps) {
    await tfjsReady
    if (model !== 'mlp' && model !== 'cnn') return 'no TensorFlow.js version of this model'
    return tfjsStepTimes(model, batchSize, warmup, steps).catch((error: unknown) => `cannot train: ${errorMessage(error)}`)
  },

  async tfjsTask(family, batchSize, warmup, steps) {
    await tfjsReady
    const [batch] = familyBatches(family, batchSize, 1)
    return tfjsRecipeStepTimes(familyRecipe(family), batch!, batchSize, warmup, steps).catch((error: unknown) => `cannot train: ${errorMessage(error)}`)
  },

  async tfjsTaskParameters(family) {
    await tfjsReady
    const model = tfjsRecipeModel(familyRecipe(family))
    try {
      return model.countParams()
    } finally {
      model.dispose()
    }
  },

  gemm: (n, runs, backend, threads) => inWorker<{ gflops: number }>(new Worker(new URL('./gemm.worker.ts', import.meta.url), { type: 'module' }), { n, runs, backend, threads }).then((r) => r.gflops),

  async simdPeak(threads, durationMs) {
    const peaks = await Promise.all(Array.from({ length: threads }, () => inWorker<{ gflops: number }>(new Worker(new URL('./peak.worker.ts', import.meta.url), { type: 'module' }), { durationMs })))
    return peaks.reduce((a, p) => a + p.gflops, 0)
  },
}
