// ORT MatMul of two n×n matrices in a worker, on the backend the page names and the ORT build the compute
// worker uses for it: the GEMM figure train steps are compared against. The graph comes from our own compiler.
import { Graph } from '../src/graph/graph.ts'
import { matmul } from '../src/graph/ops/matmul.ts'
import { exportOnnx } from '../src/graph/onnx/export.ts'

interface Request { n: number; runs: number; backend: 'wasm' | 'webgpu'; threads: number }

self.addEventListener('message', (event: MessageEvent<Request>) => {
  const { n, runs, backend, threads } = event.data
  void (async () => {
    const ort = backend === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm')
    ort.env.wasm.numThreads = threads
    const g = new Graph()
    g.output('c', matmul(g.input('a', [n, n]), g.input('b', [n, n])))
    const session = await ort.InferenceSession.create(exportOnnx(g), { executionProviders: [backend] })
    const data = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000)
    const feeds = { a: new ort.Tensor('float32', data, [n, n]), b: new ort.Tensor('float32', data, [n, n]) }
    await session.run(feeds)
    const started = performance.now()
    for (let r = 0; r < runs; r++) await session.run(feeds)
    const seconds = (performance.now() - started) / 1000
    self.postMessage({ gflops: (2 * n ** 3 * runs) / seconds / 1e9 })
  })().catch((error: unknown) => self.postMessage({ error: String(error) }))
})
