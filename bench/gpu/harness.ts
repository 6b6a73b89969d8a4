// Real-GPU figures without a browser: the same generated train steps the compute worker runs on WebGPU, here in
// Node through Dawn (the `webgpu` package's dawn.node) and onnxruntime-web's WebGPU build. It reports the
// adapter, each zoo model's train-step samples/s and GFLOP/s, ORT's own GEMM on the same device as the peak
// to compare with, and whether the first steps' losses match the wasm engine (so a fast figure is a correct
// one). `npm run bench:gpu` runs it from the repository; `npm run bench:gpu:pack` packs it with a Node binary
// for a machine that has neither Node nor a browser (pack.ts, run.sh).
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { create, globals } from 'webgpu'
import * as ort from 'onnxruntime-web/webgpu'
import { buildTrainStep } from '../../src/graph/train-step.ts'
import { DEFAULT_ADAMW } from '../../src/graph/optimizer.ts'
import { initParams } from '../../src/graph/model.ts'
import { MODEL_ZOO, type ZooModelName } from '../../src/graph/zoo.ts'
import { Graph } from '../../src/graph/graph.ts'
import { matmul } from '../../src/graph/ops/matmul.ts'
import { exportOnnx } from '../../src/graph/onnx/export.ts'
import { TrainSession, type ExecutionBackend } from '../../src/compute/train-session.ts'
import { syntheticBatch } from '../../src/compute/synthetic-batch.ts'
import { errorMessage } from '../../src/errors.ts'

export interface ModelFigure {
  model: ZooModelName
  batchSize: number
  steps: number
  samplesPerSecond: number
  gflopsPerSecond: number
  /** Train-step GFLOP/s over the GEMM's. */
  shareOfGemm: number
  /** Largest relative difference of the first steps' losses between WebGPU and wasm. */
  lossRelDiff: number
  matchesWasm: boolean
}

export interface GpuReport {
  date: string
  adapter: { vendor: string; architecture: string; device: string; description: string; fallback: boolean }
  gemm: { n: number; gflopsPerSecond: number }
  models: ModelFigure[]
}

const CHECK_STEPS = 3
/** fp32 on two engines whose reductions run in different orders: losses agree to about 1e-5 relative. */
const LOSS_TOLERANCE = 1e-3

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'mlp,cnn,transformer' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '50' },
    gemm: { type: 'string', default: '2048' },
    out: { type: 'string' },
    wasm: { type: 'string' },
    dawn: { type: 'string', multiple: true, default: [] },
  },
})

function fail(message: string): never {
  process.stderr.write(`${message}\n`)
  process.exit(2)
}

async function adapterOrExplain() {
  Object.assign(globalThis, globals)
  const gpu = create(args.dawn)
  // ORT reaches WebGPU through navigator.gpu, as in a browser; Node's own navigator has none.
  Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true })
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' })
  if (adapter === null) {
    fail('No WebGPU adapter: Dawn found no usable Vulkan device. On Linux it needs the Vulkan loader (bundled in the pack) '
      + 'and the GPU driver\'s Vulkan ICD (for NVIDIA: libGLX_nvidia.so.0 and nvidia_icd.json, which a container gets only '
      + 'with NVIDIA_DRIVER_CAPABILITIES including "graphics"). `run.sh --swiftshader` checks the harness on the CPU instead.')
  }
  const info = adapter.info
  return { adapter, report: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, fallback: (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false } }
}

async function loadOrt(adapter: GPUAdapter): Promise<void> {
  // Read the wasm ourselves: ORT would fetch() it, and Node's fetch has no file: URLs.
  const wasmPath = args.wasm ?? fileURLToPath(import.meta.resolve('onnxruntime-web/webgpu').replace(/ort\.webgpu\.bundle\.min\.mjs$/, 'ort-wasm-simd-threaded.asyncify.wasm'))
  ort.env.wasm.wasmBinary = await readFile(wasmPath).catch((error: unknown) => fail(`cannot read ORT's wasm at ${wasmPath}: ${errorMessage(error)}`))
  ort.env.wasm.numThreads = 1
  ort.env.webgpu.adapter = adapter
}

async function trainFigure(name: ZooModelName, batchSize: number, steps: number, gemmGflops: number): Promise<ModelFigure> {
  const model = MODEL_ZOO[name]()
  const step = buildTrainStep(model, batchSize, DEFAULT_ADAMW)
  const checkBatches = Array.from({ length: CHECK_STEPS }, (_, i) => syntheticBatch(model, batchSize, i))
  const open = async (backend: ExecutionBackend) => {
    const session = await TrainSession.create(ort, step, { backend })
    session.load(initParams(model, 1))
    return { session, losses: (await session.runSteps(checkBatches, 1e-3, 1)).map((r) => r.loss) }
  }
  const wasm = await open('wasm')
  await wasm.session.release()
  // The checked steps also warm the WebGPU session up for the timed ones that follow on it.
  const { session, losses: onGpu } = await open('webgpu')
  const lossRelDiff = Math.max(...onGpu.map((l, i) => Math.abs(l - wasm.losses[i]!) / Math.max(Math.abs(wasm.losses[i]!), 1e-6)))

  const batches = Array.from({ length: steps }, (_, i) => syntheticBatch(model, batchSize, i))
  const started = performance.now()
  // One step per run on WebGPU, each reading its loss back: the figure includes that round trip, as a unit's does.
  for (const [i, batch] of batches.entries()) await session.runSteps([batch], 1e-3, CHECK_STEPS + 1 + i)
  const seconds = (performance.now() - started) / 1000
  await session.release()
  const gflopsPerSecond = (step.flopsPerStep * steps) / seconds / 1e9
  return { model: name, batchSize, steps, samplesPerSecond: (batchSize * steps) / seconds, gflopsPerSecond, shareOfGemm: gflopsPerSecond / gemmGflops, lossRelDiff, matchesWasm: lossRelDiff <= LOSS_TOLERANCE }
}

/** ORT's MatMul of n×n matrices with inputs and output resident on the GPU: the peak train steps compare with. */
async function gemmFigure(n: number): Promise<number> {
  const g = new Graph()
  g.output('c', matmul(g.input('a', [n, n]), g.input('b', [n, n])))
  const session = await ort.InferenceSession.create(exportOnnx(g), { executionProviders: ['webgpu'], preferredOutputLocation: 'gpu-buffer' })
  const device = await ort.env.webgpu.device
  const data = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5)
  const buffer = device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST })
  device.queue.writeBuffer(buffer, 0, data)
  const input = ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims: [n, n] })
  const run = async () => (await session.run({ a: input, b: input })).c!.dispose()
  await run()
  await device.queue.onSubmittedWorkDone()
  // Enough runs for about a second of work at a warm run's pace, at least three.
  const trial = performance.now()
  await run()
  await device.queue.onSubmittedWorkDone()
  const runs = Math.max(3, Math.min(200, Math.round(1000 / Math.max(performance.now() - trial, 1))))
  const started = performance.now()
  for (let r = 0; r < runs; r++) await run()
  await device.queue.onSubmittedWorkDone()
  const seconds = (performance.now() - started) / 1000
  buffer.destroy()
  await session.release()
  return (2 * n ** 3 * runs) / seconds / 1e9
}

const { adapter, report: adapterReport } = await adapterOrExplain()
console.log(`adapter: ${adapterReport.vendor} ${adapterReport.architecture} ${adapterReport.device} ${adapterReport.description}${adapterReport.fallback ? ' (fallback: a CPU, not a GPU)' : ''}`)
await loadOrt(adapter)
const gemmN = Number(args.gemm)
const gemmGflops = await gemmFigure(gemmN)
console.log(`ORT GEMM ${gemmN}³ on WebGPU: ${gemmGflops.toFixed(1)} GFLOP/s`)
const models: ModelFigure[] = []
for (const name of args.models.split(',')) {
  if (!(name in MODEL_ZOO)) fail(`unknown model "${name}"; the zoo has ${Object.keys(MODEL_ZOO).join(', ')}`)
  const figure = await trainFigure(name as ZooModelName, Number(args.batch), Number(args.steps), gemmGflops)
  models.push(figure)
  console.log(`${name} batch ${figure.batchSize}: ${figure.samplesPerSecond.toFixed(0)} samples/s, ${figure.gflopsPerSecond.toFixed(1)} GFLOP/s (${(100 * figure.shareOfGemm).toFixed(0)} % of the GEMM), first ${CHECK_STEPS} losses ${figure.matchesWasm ? 'match' : 'DO NOT match'} wasm (max rel. diff ${figure.lossRelDiff.toExponential(1)})`)
}
const report: GpuReport = { date: new Date().toISOString(), adapter: adapterReport, gemm: { n: gemmN, gflopsPerSecond: gemmGflops }, models }
if (args.out !== undefined) await writeFile(args.out, `${JSON.stringify(report, null, 2)}\n`)
// Dawn's device threads would keep Node alive.
process.exit(models.every((m) => m.matchesWasm) ? 0 : 1)
