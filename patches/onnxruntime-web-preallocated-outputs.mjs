// Run by `npm install` (postinstall, after patch-package): onnxruntime-web's plain wasm build takes a
// pre-allocated output tensor but never copies the run's values into it (its own comment: "output tensor is
// pre-allocated. no need to copy data", true only of GPU and WebNN outputs). This adds the copy, so a training
// session can write parameters and optimiser state into arrays it reuses instead of receiving three new
// model-sized arrays per run (src/compute/train-session.ts, which checks on its first run that the copy
// happened and otherwise runs the usual way). The files are minified, so the patch names each one's local
// variables; an ORT upgrade that moves them fails here, loudly, rather than silently.
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

const MARK = "Can't access pre-allocated output data."
// npm runs postinstall in the project root; the package does not export its package.json to resolve.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'onnxruntime-web')
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version

// Per file: wasm module, pointer size, output tensors' metadata, output index, output handle, error helper,
// the handles passed in, and the list of pre-allocated handles.
const FILES = {
  'dist/ort.wasm.bundle.min.mjs': { wasm: 'c', ptr: 'l', outputs: 'o', i: 'O', handle: 'K', fail: 'G', passed: 'P', pre: 'w' },
  'dist/ort.node.min.mjs': { wasm: 's', ptr: 'i', outputs: 'r', i: 'd', handle: 'W', fail: 'g', passed: 'y', pre: '_' },
}

for (const [file, v] of Object.entries(FILES)) {
  const path = join(root, file)
  const source = readFileSync(path, 'utf8')
  if (source.includes(MARK)) continue
  const anchor = `if(${v.handle}===${v.passed}[${v.i}]||${v.pre}.includes(${v.passed}[${v.i}])){`
  const found = source.split(anchor).length - 1
  if (found !== 1) {
    throw new Error(`onnxruntime-web ${version}, ${file}: the pre-allocated output branch was found ${found} times, not once; update ${import.meta.url} for this version`)
  }
  const { wasm: w, ptr: p, outputs: o, i, handle: h, fail: f } = v
  const meta = `${o}[${i}]`
  const copy =
    `if(${meta}[3]==="cpu"&&ArrayBuffer.isView(${meta}[2])){let __tessS=${w}.stackSave(),__tessE=${w}.stackAlloc(4*${p});` +
    `try{${w}._OrtGetTensorData(${h},__tessE,__tessE+${p},__tessE+2*${p},__tessE+3*${p})!==0&&${f}("${MARK}");` +
    `let __tessD=Number(${w}.getValue(__tessE+${p},"*")),__tessV=${meta}[2];${w}._OrtFree(${w}.getValue(__tessE+2*${p},"*"));` +
    `new Uint8Array(__tessV.buffer,__tessV.byteOffset,__tessV.byteLength).set(${w}.HEAPU8.subarray(__tessD,__tessD+__tessV.byteLength))}` +
    `finally{${w}.stackRestore(__tessS)}}`
  writeFileSync(path, source.replace(anchor, anchor + copy))
  process.stdout.write(`onnxruntime-web ${version}: ${file} copies pre-allocated wasm outputs back\n`)
}
