// Float64 reference interpreter: the ground truth that gradient checks and ORT results are compared against.
import type { Graph, Value } from './graph.ts'
import { formatShape, numel } from './shape.ts'

export type Feeds = Record<string, ArrayLike<number>>

export function evaluate(graph: Graph, feeds: Feeds, outputs: readonly Value[] = [...graph.outputs.values()]): Float64Array[] {
  const values = new Map<number, Float64Array>()
  for (const id of graph.liveNodeIds(outputs)) {
    const node = graph.nodes[id]!
    switch (node.kind) {
      case 'input':
      case 'param': {
        const fed = feeds[node.name]
        if (fed === undefined) throw new Error(`no value fed for "${node.name}"`)
        if (fed.length !== numel(node.shape)) throw new Error(`"${node.name}" needs ${numel(node.shape)} values for shape ${formatShape(node.shape)}, got ${fed.length}`)
        values.set(id, Float64Array.from(fed))
        break
      }
      case 'const':
        values.set(id, node.data)
        break
      case 'op':
        values.set(id, node.op.evaluate(node.inputs.map((v) => ({ data: values.get(v.id)!, shape: v.shape })), node.attrs, node.shape))
        break
    }
  }
  return outputs.map((v) => values.get(v.id)!)
}

export function evaluateNamed(graph: Graph, feeds: Feeds): Record<string, Float64Array> {
  const names = [...graph.outputs.keys()]
  const results = evaluate(graph, feeds, [...graph.outputs.values()])
  return Object.fromEntries(names.map((n, i) => [n, results[i]!]))
}
