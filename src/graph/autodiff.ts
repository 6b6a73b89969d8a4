// Reverse-mode autodiff over the graph: walk nodes in reverse creation order, ask each op's backward rule for
// its inputs' gradients, and sum contributions. Backward nodes are ordinary graph nodes, so they are emitted
// to ONNX and checked by the reference interpreter like any other.
import { Value } from './graph.ts'
import { add } from './ops/binary.ts'
import { formatShape, sameShape } from './shape.ts'

export function gradients(loss: Value, wrt: readonly Value[]): Value[] {
  const graph = loss.graph
  if (loss.shape.length !== 0) throw new Error(`gradients() needs a scalar loss, got shape ${formatShape(loss.shape)}`)
  // Only nodes between a wanted leaf and the loss need gradients; everything else is skipped.
  const needs = new Uint8Array(graph.nodes.length)
  for (const v of wrt) needs[v.id] = 1
  for (const node of graph.nodes) {
    if (node.kind === 'op' && !node.op.stopGradient && node.inputs.some((v) => needs[v.id])) needs[node.id] = 1
  }
  const grads = new Map<number, Value>([[loss.id, graph.scalar(1)]])
  for (let id = loss.id; id >= 0; id--) {
    const node = graph.nodes[id]!
    const grad = grads.get(id)
    if (grad === undefined || node.kind !== 'op' || !needs[id] || node.op.stopGradient) continue
    const inputNeeds = node.inputs.map((v) => needs[v.id] === 1)
    // A wanted value computed from constants or other graph inputs (a parameter view cut from a flat bucket)
    // passes its gradient nowhere: building its backward would only add dead nodes.
    if (!inputNeeds.some(Boolean)) continue
    if (node.op.backward === undefined) throw new Error(`op ${node.op.type} has no backward rule but a gradient flows through it`)
    const inputGrads = node.op.backward({ inputs: node.inputs, output: new Value(graph, id, node.shape), grad, attrs: node.attrs, needs: inputNeeds })
    node.inputs.forEach((input, i) => {
      const g = inputGrads[i]
      if (!inputNeeds[i] || g === null || g === undefined) return
      if (!sameShape(g.shape, input.shape)) throw new Error(`${node.op.type} backward produced ${formatShape(g.shape)} for input ${formatShape(input.shape)}`)
      const previous = grads.get(input.id)
      grads.set(input.id, previous === undefined ? g : add(previous, g))
    })
  }
  return wrt.map((v) => grads.get(v.id) ?? zerosLike(v))
}

function zerosLike(v: Value): Value {
  return v.graph.constant(new Float64Array(v.shape.reduce((a, b) => a * b, 1)), v.shape)
}
