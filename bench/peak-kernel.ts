// A hand-assembled wasm SIMD kernel that measures this machine's peak f32 throughput for the instructions
// ORT's wasm GEMM uses (f32x4 mul + add): 8 independent accumulators, no memory traffic. Returns GFLOP/s.
const leb = (n: number): number[] => {
  const out: number[] = []
  do {
    let byte = n & 0x7f
    n >>>= 7
    if (n !== 0) byte |= 0x80
    out.push(byte)
  } while (n !== 0)
  return out
}
const f32 = (x: number): number[] => [...new Uint8Array(new Float32Array([x]).buffer)]
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body]

const ACCUMULATORS = 8
const FLOPS_PER_ITERATION = ACCUMULATORS * 4 * 2

function kernelModule(): Uint8Array {
  // locals: 0 = iterations (param), 1..8 = accumulators, 9 = multiplier, 10 = addend (all v128 but 0)
  const body: number[] = [1, ACCUMULATORS + 2, 0x7b]
  const get = (i: number) => [0x20, i]
  const set = (i: number) => [0x21, i]
  body.push(0x43, ...f32(0.999999), 0xfd, 0x13, ...set(9))
  body.push(0x43, ...f32(0.000001), 0xfd, 0x13, ...set(10))
  for (let a = 1; a <= ACCUMULATORS; a++) body.push(0x43, ...f32(a), 0xfd, 0x13, ...set(a))
  body.push(0x03, 0x40) // loop
  for (let a = 1; a <= ACCUMULATORS; a++) body.push(...get(a), ...get(9), 0xfd, 0xe6, 0x01, ...get(10), 0xfd, 0xe4, 0x01, ...set(a))
  body.push(...get(0), 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b) // iterations -= 1; br_if loop
  body.push(...get(1))
  for (let a = 2; a <= ACCUMULATORS; a++) body.push(...get(a), 0xfd, 0xe4, 0x01)
  body.push(0xfd, 0x1f, 0, 0x0b) // f32x4.extract_lane 0; end
  const code = [1, ...leb(body.length), ...body]
  return new Uint8Array([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7d]),
    ...section(3, [1, 0]),
    ...section(7, [1, 3, ...new TextEncoder().encode('run'), 0, 0]),
    ...section(10, code),
  ])
}

/** Runs the kernel for about `durationMs` on this thread; returns achieved GFLOP/s. */
export async function measurePeakGflops(durationMs: number): Promise<number> {
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(kernelModule() as Uint8Array<ArrayBuffer>))
  const run = instance.exports.run as (iterations: number) => number
  run(1_000_000)
  let iterations = 0
  const started = performance.now()
  let sink = 0
  while (performance.now() - started < durationMs) {
    sink += run(5_000_000)
    iterations += 5_000_000
  }
  const seconds = (performance.now() - started) / 1000
  if (Number.isNaN(sink)) throw new Error('peak kernel produced NaN')
  return (iterations * FLOPS_PER_ITERATION) / seconds / 1e9
}
