// Packs the GPU harness (harness.ts) for a Linux x64 machine that has a GPU but neither Node nor a browser: the
// harness bundled into one file, this Node binary, dawn.node, onnxruntime-web's WebGPU build and its wasm, the
// Vulkan loader, Chromium's SwiftShader (to check the pack on a CPU) and run.sh, as one .tar.xz of at most
// 64 MiB (what the GPU machines here accept). `--dir-only` leaves the unpacked folder (for the test).
import { execFileSync } from 'node:child_process'
import { access, chmod, copyFile, mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { build } from 'rolldown'

export const PACK_LIMIT_BYTES = 64 * 2 ** 20
const root = fileURLToPath(new URL('../..', import.meta.url))

const { values: args } = parseArgs({ options: { out: { type: 'string', default: join(root, 'dist-gpu') }, 'dir-only': { type: 'boolean', default: false } } })

/** The first of `paths` that exists, or a clear error naming what to install. */
async function firstExisting(what: string, paths: string[], hint: string): Promise<string> {
  for (const path of paths) if (await access(path).then(() => true, () => false)) return path
  throw new Error(`${what} not found (looked in ${paths.join(', ')}): ${hint}`)
}

async function copyInto(stage: string, from: string, to: string): Promise<void> {
  await mkdir(dirname(join(stage, to)), { recursive: true })
  await copyFile(from, join(stage, to))
}

if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`the pack targets linux-x64 machines and takes this machine's Node binary; this is ${process.platform}-${process.arch}`)
const out = resolve(args.out)
const stage = join(out, 'tesserae-gpu')
await rm(stage, { recursive: true, force: true })
await mkdir(stage, { recursive: true })

// The harness and our graph compiler in one file; the two packages with native or wasm parts stay outside.
await build({
  input: join(root, 'bench/gpu/harness.ts'),
  platform: 'node',
  external: ['webgpu', /^onnxruntime-web/],
  logLevel: 'warn',
  output: { file: join(stage, 'harness.mjs'), format: 'esm' },
})
await copyInto(stage, process.execPath, 'bin/node')
const webgpu = join(root, 'node_modules/webgpu')
for (const file of ['package.json', 'index.js', 'LICENSE.md', 'dist/linux-x64/dawn.node']) await copyInto(stage, join(webgpu, file), `node_modules/webgpu/${file}`)
const ort = join(root, 'node_modules/onnxruntime-web')
for (const file of ['package.json', 'dist/ort.webgpu.bundle.min.mjs', 'dist/ort-wasm-simd-threaded.asyncify.wasm']) await copyInto(stage, join(ort, file), `node_modules/onnxruntime-web/${file}`)
const loader = await firstExisting('The Vulkan loader (libvulkan.so.1)', ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/chromium/libvulkan.so.1'], 'apt-get install libvulkan1')
await copyInto(stage, loader, 'lib/libvulkan.so.1')
const swiftshader = await firstExisting('SwiftShader (libvk_swiftshader.so)', ['/usr/lib/chromium/libvk_swiftshader.so'], 'apt-get install chromium')
await copyInto(stage, swiftshader, 'swiftshader/libvk_swiftshader.so')
await writeFile(join(stage, 'swiftshader/vk_swiftshader_icd.json'), `${JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: './libvk_swiftshader.so', api_version: '1.0.5' } })}\n`)
await writeFile(join(stage, 'run.sh'), `#!/bin/sh
# Tesserae's WebGPU train steps on this machine's GPU, without a browser or an installed Node.
#   ./run.sh [--swiftshader] [--models mlp,cnn,transformer] [--batch 64] [--steps 50] [--gemm 2048] [--out report.json]
# --swiftshader runs on the CPU (Chromium's SwiftShader) to check the pack itself; figures then mean nothing.
# Exit 0: figures printed and every model's first steps matched the wasm engine; 1: a mismatch; 2: no adapter.
here=$(cd "$(dirname "$0")" && pwd)
if [ "$1" = "--swiftshader" ]; then shift; export VK_ICD_FILENAMES="$here/swiftshader/vk_swiftshader_icd.json"; fi
export LD_LIBRARY_PATH="$here/lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export XDG_RUNTIME_DIR="\${XDG_RUNTIME_DIR:-/tmp}"
exec "$here/bin/node" "$here/harness.mjs" "$@"
`)
await chmod(join(stage, 'run.sh'), 0o755)

if (!args['dir-only']) {
  const archive = join(out, 'tesserae-gpu.tar.xz')
  execFileSync('tar', ['-C', out, '-cf', archive, '--use-compress-program=xz -T0 -9', 'tesserae-gpu'], { stdio: 'inherit' })
  const bytes = (await stat(archive)).size
  if (bytes > PACK_LIMIT_BYTES) throw new Error(`${archive} is ${(bytes / 2 ** 20).toFixed(1)} MiB, over the ${PACK_LIMIT_BYTES / 2 ** 20} MiB a GPU machine accepts`)
  console.log(`${archive}: ${(bytes / 2 ** 20).toFixed(1)} MiB. On the GPU machine: tar xJf tesserae-gpu.tar.xz && tesserae-gpu/run.sh --out report.json`)
} else console.log(`${stage}: run ${join(stage, 'run.sh')}`)
