// FLOPs of a graph, summed from each live op's own count: the unit volunteers are credited in, so it must be
// a deterministic function of the graph alone.
import type { Graph } from './graph.ts'

export function countFlops(graph: Graph): number {
  let total = 0
  for (const id of graph.liveNodeIds()) {
    const node = graph.nodes[id]!
    if (node.kind === 'op') total += node.op.flops(node.inputs.map((v) => v.shape), node.shape, node.attrs)
  }
  return total
}
