// Runs one generated graph once on ORT-wasm in Node (a fresh session each time): how tests compare a graph's
// outputs on the real engine with the float64 reference interpreter.
import * as ort from 'onnxruntime-web'
import { exportOnnx } from '../../graph/onnx/export.ts'
import type { Graph } from '../../graph/graph.ts'
import { createOrtSession } from '../train-session.ts'
import { runGraph } from '../run-graph.ts'

export async function runOrt(graph: Graph, feeds: Record<string, Float32Array>): Promise<Record<string, Float32Array>> {
  const session = await createOrtSession(ort, exportOnnx(graph), { backend: 'wasm' })
  try {
    return await runGraph(ort, session, graph, feeds, 'the graph')
  } finally {
    await session.release()
  }
}
