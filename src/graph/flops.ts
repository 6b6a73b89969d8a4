// FLOPs of a graph, summed from each live op's own count: the unit volunteers are credited in, so it must be
// a deterministic function of the graph alone.
import type { Graph, Value } from './graph.ts'
import { numel } from './shape.ts'

export function countFlops(graph: Graph): number {
  let total = 0
  for (const id of graph.liveNodeIds()) {
    const node = graph.nodes[id]!
    if (node.kind === 'op') total += node.op.flops(node.inputs.map((v) => v.shape), node.shape, node.attrs)
  }
  return total
}

/** Floats of every value the graph's ops compute for `outputs` (default: all its outputs): what a run holds. */
export function opFloats(graph: Graph, outputs?: Iterable<Value>): number {
  let floats = 0
  for (const id of graph.liveNodeIds(outputs)) {
    const node = graph.nodes[id]!
    if (node.kind === 'op') floats += numel(node.shape)
  }
  return floats
}
