// Run by `npm install` (postinstall): onnxruntime-web's Node build hands its Emscripten module only the thread
// count and where the .wasm is, so every worker thread that loads ORT compiles the 14 MB module again and
// tiers up its hot kernels again (about a second of CPU each). This passes `env.wasm.instantiateWasm` through to
// Emscripten's hook of that name, so headless peers' compute threads instantiate one module the process
// compiled once (server/compute/). Without the option the build behaves as before. The file is minified; an ORT
// upgrade that moves the anchor fails here, loudly.
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'onnxruntime-web')
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version
const file = 'dist/ort.node.min.mjs'
// `e` is env.wasm there (the same scope reads e.wasmPaths and e.wasmBinary); `m` is the Emscripten module's options.
const anchor = 'let m={numThreads:n};'
const added = 'if(e.instantiateWasm)m.instantiateWasm=e.instantiateWasm;'

const path = join(root, file)
const source = readFileSync(path, 'utf8')
if (!source.includes(anchor + added)) {
  const found = source.split(anchor).length - 1
  if (found !== 1) throw new Error(`onnxruntime-web ${version}, ${file}: the module options were found ${found} times, not once; update ${import.meta.url} for this version`)
  if (!source.includes('w=e.wasmBinary')) throw new Error(`onnxruntime-web ${version}, ${file}: env.wasm is no longer "e" beside the module options; update ${import.meta.url}`)
  writeFileSync(path, source.replace(anchor, anchor + added))
  process.stdout.write(`onnxruntime-web ${version}: ${file} takes env.wasm.instantiateWasm\n`)
}
