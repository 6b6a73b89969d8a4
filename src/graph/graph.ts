// The graph language: a DAG of single-output nodes with static shapes. Node ids are assigned in creation
// order, which is therefore a topological order; autodiff appends backward nodes to the same graph.
import { formatShape, type Shape } from './shape.ts'

export interface Tensor64 {
  data: Float64Array
  shape: Shape
}

export interface OnnxEmitter {
  node(opType: string, inputs: string[], outputs: string[], attributes?: Record<string, OnnxAttribute>): void
  /** A new unique value name for multi-node expansions. */
  fresh(hint: string): string
  /** An int64 initializer (shapes, axes, perms): constants, never data flowing through the GPU. */
  int64s(values: readonly number[]): string
  /** A float32 scalar or tensor initializer. */
  floats(values: readonly number[], shape: Shape): string
}

export type OnnxAttribute = { int: number } | { float: number } | { ints: readonly number[] } | { floats: readonly number[] } | { string: string }

export interface BackwardContext<A> {
  inputs: readonly Value[]
  output: Value
  grad: Value
  attrs: A
  /** needs[i] is false when input i's gradient is not wanted; skip building it. */
  needs: readonly boolean[]
}

/** One op: its forward semantics (shape, float64 reference, ONNX) and its backward rule, kept together. */
export interface OpDef<A = unknown> {
  type: string
  inferShape(inputs: readonly Shape[], attrs: A): Shape
  evaluate(inputs: readonly Tensor64[], attrs: A, outShape: Shape): Float64Array
  /** Absent for ops used only inside backward passes or as stop-gradient stabilisers. */
  backward?(ctx: BackwardContext<A>): (Value | null)[]
  emit(e: OnnxEmitter, inputs: readonly string[], output: string, attrs: A, inShapes: readonly Shape[], outShape: Shape): void
  flops(inShapes: readonly Shape[], outShape: Shape, attrs: A): number
  /** Zero gradient by definition (e.g. max used only to stabilise a log-sum-exp). */
  stopGradient?: boolean
}

export type GraphNode =
  | { id: number; shape: Shape; kind: 'input'; name: string }
  | { id: number; shape: Shape; kind: 'param'; name: string }
  | { id: number; shape: Shape; kind: 'const'; data: Float64Array }
  | { id: number; shape: Shape; kind: 'op'; op: OpDef<unknown>; inputs: Value[]; attrs: unknown }

export class Value {
  readonly graph: Graph
  readonly id: number
  readonly shape: Shape

  constructor(graph: Graph, id: number, shape: Shape) {
    this.graph = graph
    this.id = id
    this.shape = shape
  }

  get node(): GraphNode {
    return this.graph.nodes[this.id]!
  }

  toString(): string {
    return `v${this.id}${formatShape(this.shape)}`
  }
}

export class Graph {
  readonly nodes: GraphNode[] = []
  readonly outputs = new Map<string, Value>()
  private readonly names = new Set<string>()

  input(name: string, shape: Shape): Value {
    this.claim(name)
    return this.push({ id: this.nodes.length, shape, kind: 'input', name })
  }

  param(name: string, shape: Shape): Value {
    this.claim(name)
    return this.push({ id: this.nodes.length, shape, kind: 'param', name })
  }

  constant(data: ArrayLike<number>, shape: Shape): Value {
    const values = Float64Array.from(data)
    const expected = shape.reduce((a, b) => a * b, 1)
    if (values.length !== expected) throw new Error(`constant has ${values.length} values for shape ${formatShape(shape)}`)
    return this.push({ id: this.nodes.length, shape, kind: 'const', data: values })
  }

  scalar(value: number): Value {
    return this.constant([value], [])
  }

  apply<A>(op: OpDef<A>, inputs: Value[], attrs: A): Value {
    for (const v of inputs) if (v.graph !== this) throw new Error(`${op.type}: input ${v} belongs to another graph`)
    const shape = op.inferShape(inputs.map((v) => v.shape), attrs)
    return this.push({ id: this.nodes.length, shape, kind: 'op', op: op as OpDef<unknown>, inputs, attrs })
  }

  output(name: string, value: Value): void {
    if (this.outputs.has(name)) throw new Error(`output "${name}" is defined twice`)
    this.outputs.set(name, value)
  }

  inputsOfKind(kind: 'input' | 'param'): Array<{ name: string; value: Value }> {
    return this.nodes.filter((n) => n.kind === kind).map((n) => ({ name: (n as { name: string }).name, value: new Value(this, n.id, n.shape) }))
  }

  /** Ids of the nodes the named outputs depend on, in topological order. */
  liveNodeIds(outputs: Iterable<Value> = this.outputs.values()): number[] {
    const live = new Uint8Array(this.nodes.length)
    const stack = [...outputs].map((v) => v.id)
    while (stack.length > 0) {
      const id = stack.pop()!
      if (live[id]) continue
      live[id] = 1
      const node = this.nodes[id]!
      if (node.kind === 'op') for (const v of node.inputs) stack.push(v.id)
    }
    const ids: number[] = []
    live.forEach((isLive, id) => isLive && ids.push(id))
    return ids
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`graph input "${name}" is defined twice`)
    this.names.add(name)
  }

  private push(node: GraphNode): Value {
    this.nodes.push(node)
    return new Value(this, node.id, node.shape)
  }
}
