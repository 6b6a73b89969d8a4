// The benchmark page: runs one suite (wasm or webgpu, from ?suite=) and leaves its results on window.__bench
// for bench/run.ts. Tesserae trains in its real compute worker; TensorFlow.js trains the same models.
import * as tf from '@tensorflow/tfjs'
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import '@tensorflow/tfjs-backend-webgpu'
import tfjsWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url'
import tfjsWasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url'
import tfjsWasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url'
import { ComputeClient } from '../src/compute/compute-client.ts'
import { MODEL_ZOO } from '../src/graph/zoo.ts'
import { tfjsThroughput } from './tfjs-models.ts'

type Suite = 'wasm' | 'webgpu'
interface Row { model: string; batchSize: number; tesserae: number; tfjs: number | null; ratio: number | null; tfjsError: string | null }
export interface BenchResult { suite: Suite; threads: number; rows: Row[]; gemmGflops: number; gemmN: number; peakGflops: number | null; errors: string[] }

const suite = (new URLSearchParams(location.search).get('suite') ?? 'wasm') as Suite
// TensorFlow.js's threaded wasm binary fails once bundled (its pthread worker blob references a minified
// symbol), so both engines run single-threaded on wasm: the comparison stays like for like.
const threads = 1
const log = (line: string) => {
  const el = document.getElementById('log')!
  el.textContent = el.textContent === 'running…' ? line : `${el.textContent}\n${line}`
  console.log(line)
}

function randomBatch(model: 'mlp' | 'cnn', batchSize: number, seed: number) {
  const x = Float32Array.from({ length: batchSize * 784 }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5)
  const y = new Float32Array(batchSize * 10)
  for (let b = 0; b < batchSize; b++) y[b * 10 + ((b * 7 + seed) % 10)] = 1
  return { x, y }
}

async function tesseraeThroughput(model: 'mlp' | 'cnn', batchSize: number, warmup: number, steps: number): Promise<number> {
  const client = ComputeClient.spawn()
  try {
    const ready = await client.init({ model, batchSize, optimizer: 'adamw', seed: 1 }, suite, threads)
    if (ready.backend !== suite) throw new Error(`Tesserae fell back to ${ready.backend}`)
    await client.train(Array.from({ length: warmup }, (_, i) => randomBatch(model, batchSize, i)), 0.001, 1)
    const summary = await client.train(Array.from({ length: steps }, (_, i) => randomBatch(model, batchSize, 100 + i)), 0.001, warmup + 1)
    return summary.samplesPerSecond
  } finally {
    client.terminate()
  }
}

// Workers are created at the call sites (new Worker(new URL(...))) so Vite bundles them.
function inWorker<T>(worker: Worker, message: unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<T & { error?: string }>) => (event.data.error ? reject(new Error(event.data.error)) : resolve(event.data))
    worker.onerror = (event) => reject(new Error(event.message))
    worker.postMessage(message)
  }).finally(() => worker.terminate())
}

async function run(): Promise<BenchResult> {
  const errors: string[] = []
  if (suite === 'wasm') {
    setWasmPaths({ 'tfjs-backend-wasm.wasm': tfjsWasm, 'tfjs-backend-wasm-simd.wasm': tfjsWasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': tfjsWasmThreaded })
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false)
    setThreadsCount(threads)
  }
  if (!(await tf.setBackend(suite))) throw new Error(`TensorFlow.js could not start its ${suite} backend`)
  await tf.ready()
  log(`suite ${suite}, ${threads} threads, tfjs backend ${tf.getBackend()}`)

  let peakGflops: number | null = null
  if (suite === 'wasm') {
    const peaks = await Promise.all(Array.from({ length: threads }, () => inWorker<{ gflops: number }>(new Worker(new URL('./peak.worker.ts', import.meta.url), { type: 'module' }), { durationMs: 2000 })))
    peakGflops = peaks.reduce((a, p) => a + p.gflops, 0)
    log(`wasm SIMD peak: ${peakGflops.toFixed(2)} GFLOP/s over ${threads} threads`)
  }
  const gemmN = suite === 'wasm' ? 1024 : 512
  const gemm = await inWorker<{ gflops: number }>(new Worker(new URL('./gemm.worker.ts', import.meta.url), { type: 'module' }), { n: gemmN, runs: suite === 'wasm' ? 8 : 3, backend: suite, threads })
  log(`ORT GEMM ${gemmN}³ on ${suite}: ${gemm.gflops.toFixed(2)} GFLOP/s`)

  const plans = suite === 'wasm'
    ? [{ model: 'mlp' as const, batchSize: 64, warmup: 3, steps: 40 }, { model: 'cnn' as const, batchSize: 64, warmup: 2, steps: 8 }]
    : [{ model: 'mlp' as const, batchSize: 64, warmup: 2, steps: 8 }, { model: 'cnn' as const, batchSize: 32, warmup: 1, steps: 2 }]
  const rows: Row[] = []
  for (const plan of plans) {
    // Alternate the engines over two rounds so drift in machine load affects both alike.
    const ours: number[] = []
    const theirs: number[] = []
    let tfjsError: string | null = null
    for (let round = 0; round < 2; round++) {
      ours.push(await tesseraeThroughput(plan.model, plan.batchSize, plan.warmup, plan.steps))
      // TensorFlow.js may be unable to train a model on a backend at all (missing kernels): record why.
      if (tfjsError === null) theirs.push(await tfjsThroughput(plan.model, plan.batchSize, plan.warmup, plan.steps).catch((error: unknown) => ((tfjsError = String(error)), NaN)))
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    const tfjs = tfjsError === null ? mean(theirs) : null
    const row = { model: `${plan.model} (${MODEL_ZOO[plan.model]().layers.length} layers)`, batchSize: plan.batchSize, tesserae: mean(ours), tfjs, ratio: tfjs === null ? null : mean(ours) / tfjs, tfjsError }
    rows.push(row)
    log(`${row.model} batch ${row.batchSize}: Tesserae ${row.tesserae.toFixed(0)} samples/s, TensorFlow.js ${tfjs === null ? `cannot train (${tfjsError})` : `${tfjs.toFixed(0)} samples/s, ratio ${row.ratio!.toFixed(2)}×`}`)
  }
  return { suite, threads, rows, gemmGflops: gemm.gflops, gemmN, peakGflops, errors }
}

declare global {
  interface Window { __bench?: BenchResult | { error: string } }
}

run().then(
  (result) => (window.__bench = result),
  (error: unknown) => {
    log(`failed: ${String(error)}`)
    window.__bench = { error: String(error) }
  },
)
