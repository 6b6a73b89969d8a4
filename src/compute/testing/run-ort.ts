// Runs one generated graph once on ORT-wasm in Node (a fresh session each time): how tests compare a graph's
// outputs on the real engine with the float64 reference interpreter.
import * as ort from 'onnxruntime-web'
import { exportOnnx } from '../../graph/onnx/export.ts'
import type { Graph } from '../../graph/graph.ts'
import { createOrtSession } from '../train-session.ts'

export async function runOrt(graph: Graph, feeds: Record<string, Float32Array>): Promise<Record<string, Float32Array>> {
  const session = await createOrtSession(ort, exportOnnx(graph), { backend: 'wasm' })
  // Inputs an output does not depend on (e.g. "step" for SGD) are pruned from the exported model.
  const tensors = Object.fromEntries(
    [...graph.inputsOfKind('input'), ...graph.inputsOfKind('param')]
      .filter(({ name }) => session.inputNames.includes(name))
      .map(({ name, value }) => [name, new ort.Tensor('float32', feeds[name]!, [...value.shape])]),
  )
  const out = await session.run(tensors)
  await session.release()
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]))
}
