// One run of a generated graph on an ORT session made from it: the graph's inputs and parameters as tensors
// of their declared shapes (each checked for its size), its outputs by name.
import type * as Ort from 'onnxruntime-web'
import type { Graph } from '../graph/graph.ts'
import { numel } from '../graph/shape.ts'
import { TesseraeError } from '../errors.ts'
import type { OrtModule } from './train-session.ts'

export async function runGraph(ort: OrtModule, session: Ort.InferenceSession, graph: Graph, feeds: Record<string, Float32Array>, what: string): Promise<Record<string, Float32Array>> {
  const tensors: Record<string, Ort.Tensor> = {}
  for (const { name, value } of [...graph.inputsOfKind('input'), ...graph.inputsOfKind('param')]) {
    // Inputs an output does not depend on (e.g. "step" for SGD) are pruned from the exported model.
    if (!session.inputNames.includes(name)) continue
    const data = feeds[name]
    if (!data || data.length !== numel(value.shape)) throw new TesseraeError('BAD_TENSOR', `${what} input "${name}" needs ${numel(value.shape)} values, got ${data?.length ?? 'none'}`)
    tensors[name] = new ort.Tensor('float32', data, [...value.shape])
  }
  const out = await session.run(tensors)
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]))
}
