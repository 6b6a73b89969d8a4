// Emits a graph as an ONNX ModelProto (opset 18, float32 only). Int64 appears only in constant initializers
// for shapes and axes, which ORT reads on the CPU at session creation; no int64 tensor flows at run time.
// Emission produces plain GraphParts, so a graph can also become the body of a control-flow node (loop.ts).
import type { Graph, OnnxAttribute, OnnxEmitter } from '../graph.ts'
import type { Shape } from '../shape.ts'
import { ProtoWriter } from './protobuf-writer.ts'
import { TesseraeError } from '../../errors.ts'

export const ONNX_OPSET = 18
const IR_VERSION = 8
export const ONNX_FLOAT = 1
export const ONNX_INT64 = 7
export const ONNX_BOOL = 9

export type NodeAttribute = OnnxAttribute | { graph: GraphParts }
export interface NodeRecord { opType: string; inputs: string[]; outputs: string[]; attributes: Record<string, NodeAttribute> }
export interface Initializer { name: string; dataType: number; dims: Shape; raw: Uint8Array }
/** A graph input or output; a string dimension is symbolic (its size is fixed at run time). */
export interface ValueInfo { name: string; dataType: number; shape: ReadonlyArray<number | string> }

export interface GraphParts {
  name: string
  nodes: NodeRecord[]
  initializers: Initializer[]
  inputs: ValueInfo[]
  outputs: ValueInfo[]
}

export interface ExportOptions {
  name?: string
  /** Values for params (or inputs) to bake in as initializers; everything else stays a graph input. */
  initializers?: Record<string, ArrayLike<number>>
  /** ModelProto metadata_props: free-form key/value pairs that tools such as Netron show. */
  metadata?: Record<string, string>
  symbolicBatch?: SymbolicBatch
}

/**
 * The graph was built with `size` rows standing for any number: its inputs and outputs get the symbolic first
 * dimension `name`, and each Reshape or Expand to a shape led by `size` copies that dimension from its input
 * instead. Any other constant that mentions `size` is refused: the graph would only run at that size.
 */
export interface SymbolicBatch {
  size: number
  name: string
}

export interface EmitOptions {
  name?: string
  initializers?: Record<string, ArrayLike<number>>
  /** Prepended to every name the graph defines, so it can live inside another graph without clashes. */
  prefix?: string
  /** Graph inputs read from values defined elsewhere (by the enclosing graph), instead of declared as inputs. */
  bind?: ReadonlyMap<string, string>
  symbolicBatch?: SymbolicBatch
}

export function exportOnnx(graph: Graph, options: ExportOptions = {}): Uint8Array {
  return writeModel(emitGraph(graph, options), options.metadata)
}

/** The nodes, initializers, inputs and outputs of a graph, in ONNX terms. */
export function emitGraph(graph: Graph, options: EmitOptions = {}): GraphParts {
  const prefix = options.prefix ?? ''
  const nodes: NodeRecord[] = []
  const initializers: Initializer[] = []
  const int64Cache = new Map<string, string>()
  const int64Values = new Map<string, readonly number[]>()
  const batch = options.symbolicBatch
  let counter = 0
  /** A batch-led shape constant of a Reshape (0: copy the input's dimension) or an Expand (1: keep it). */
  const batchFree = (opType: string, inputs: string[]): string[] =>
    inputs.map((name, i) => {
      const values = int64Values.get(name)
      if (!batch || !values?.includes(batch.size)) return name
      const keep = opType === 'Reshape' ? 0 : opType === 'Expand' ? 1 : null
      if (keep === null || i !== 1 || values[0] !== batch.size || values.slice(1).includes(batch.size)) {
        throw new TesseraeError('BATCH_NOT_SYMBOLIC', `${opType} takes the constant [${values.join(', ')}], which depends on the batch of ${batch.size}: this graph cannot run at other batch sizes`)
      }
      return emitter.int64s([keep, ...values.slice(1)])
    })
  const emitter: OnnxEmitter = {
    node: (opType, inputs, outputs, attributes = {}) => void nodes.push({ opType, inputs: batchFree(opType, inputs), outputs, attributes }),
    fresh: (hint) => `${prefix}${hint}_${counter++}`,
    int64s(values) {
      const key = values.join(',')
      let name = int64Cache.get(key)
      if (name === undefined) {
        name = `${prefix}i64_${int64Cache.size}`
        int64Cache.set(key, name)
        int64Values.set(name, [...values])
        const raw = new Uint8Array(values.length * 8)
        const view = new DataView(raw.buffer)
        values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true))
        initializers.push({ name, dataType: ONNX_INT64, dims: [values.length], raw })
      }
      return name
    },
    floats(values, shape) {
      const name = `${prefix}f32_${counter++}`
      initializers.push({ name, dataType: ONNX_FLOAT, dims: shape, raw: float32Bytes(values) })
      return name
    },
  }

  // Each op writes straight into its output's name where it is a graph output, saving an Identity copy.
  const outputNameOf = new Map<number, string>()
  for (const [name, value] of graph.outputs) if (!outputNameOf.has(value.id) && graph.nodes[value.id]!.kind === 'op') outputNameOf.set(value.id, name)
  const nameOf = (id: number): string => {
    const node = graph.nodes[id]!
    if (node.kind === 'input' || node.kind === 'param') return options.bind?.get(node.name) ?? `${prefix}${node.name}`
    if (node.kind === 'const') return `${prefix}c${id}`
    return `${prefix}${outputNameOf.get(id) ?? `v${id}`}`
  }

  /** A graph input's or output's shape, its batch dimension named. */
  const outer = (what: string, shape: Shape): ReadonlyArray<number | string> => {
    if (!batch || !shape.includes(batch.size)) return shape
    if (shape[0] !== batch.size || shape.slice(1).includes(batch.size)) throw new TesseraeError('BATCH_NOT_SYMBOLIC', `${what} has shape [${shape.join(', ')}]: only its first dimension may be the batch`)
    return [batch.name, ...shape.slice(1)]
  }
  const inputs: ValueInfo[] = []
  for (const id of graph.liveNodeIds()) {
    const node = graph.nodes[id]!
    if (node.kind === 'input' || node.kind === 'param') {
      const baked = options.initializers?.[node.name]
      if (baked !== undefined) initializers.push({ name: nameOf(id), dataType: ONNX_FLOAT, dims: node.shape, raw: float32Bytes(baked) })
      else if (!options.bind?.has(node.name)) inputs.push({ name: nameOf(id), dataType: ONNX_FLOAT, shape: outer(`input "${node.name}"`, node.shape) })
    } else if (node.kind === 'const') {
      if (batch && node.shape.includes(batch.size)) throw new TesseraeError('BATCH_NOT_SYMBOLIC', `a constant of shape [${node.shape.join(', ')}] depends on the batch of ${batch.size}: this graph cannot run at other batch sizes`)
      initializers.push({ name: nameOf(id), dataType: ONNX_FLOAT, dims: node.shape, raw: float32Bytes(node.data) })
    } else {
      node.op.emit(emitter, node.inputs.map((v) => nameOf(v.id)), nameOf(id), node.attrs, node.inputs.map((v) => v.shape), node.shape)
    }
  }
  const outputs: ValueInfo[] = []
  for (const [name, value] of graph.outputs) {
    const target = `${prefix}${name}`
    if (nameOf(value.id) !== target) nodes.push({ opType: 'Identity', inputs: [nameOf(value.id)], outputs: [target], attributes: {} })
    outputs.push({ name: target, dataType: ONNX_FLOAT, shape: outer(`output "${name}"`, value.shape) })
  }
  // A shape constant replaced by its batch-free twin is no longer read by any node.
  const readBy = (list: NodeRecord[]): string[] => list.flatMap((n) => [...n.inputs, ...Object.values(n.attributes).flatMap((a) => ('graph' in a ? readBy(a.graph.nodes) : []))])
  const read = new Set(readBy(nodes))
  const used = batch ? initializers.filter((init) => init.dataType !== ONNX_INT64 || read.has(init.name)) : initializers
  return { name: options.name ?? 'tesserae_graph', nodes, initializers: used, inputs, outputs }
}

export function writeModel(graph: GraphParts, metadata: Record<string, string> = {}): Uint8Array {
  const model = new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, 'tesserae')
    .string(3, '0.1')
    .message(7, (g) => writeGraph(g, graph))
    .message(8, (w) => w.string(1, '').int(2, ONNX_OPSET))
  for (const [key, value] of Object.entries(metadata)) model.message(14, (entry) => entry.string(1, key).string(2, value))
  return model.finish()
}

function writeGraph(g: ProtoWriter, graph: GraphParts): void {
  graph.nodes.forEach((n, i) => g.message(1, (w) => writeNode(w, n, `${graph.name}/${n.opType}_${i}`)))
  g.string(2, graph.name)
  for (const init of graph.initializers) g.message(5, (w) => writeTensor(w, init))
  for (const input of graph.inputs) g.message(11, (w) => writeValueInfo(w, input))
  for (const output of graph.outputs) g.message(12, (w) => writeValueInfo(w, output))
}

export function float32Bytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer)
}

function writeNode(w: ProtoWriter, node: NodeRecord, name: string): void {
  for (const i of node.inputs) w.string(1, i)
  for (const o of node.outputs) w.string(2, o)
  w.string(3, name)
  w.string(4, node.opType)
  for (const [key, attr] of Object.entries(node.attributes)) {
    w.message(5, (a) => {
      a.string(1, key)
      if ('int' in attr) a.int(3, attr.int).int(20, 2)
      else if ('float' in attr) a.float(2, attr.float).int(20, 1)
      else if ('ints' in attr) a.packedInts(8, attr.ints).int(20, 7)
      else if ('floats' in attr) a.packedFloats(7, attr.floats).int(20, 6)
      else if ('graph' in attr) a.message(6, (body) => writeGraph(body, attr.graph)).int(20, 5)
      else a.string(4, attr.string).int(20, 3)
    })
  }
}

function writeTensor(w: ProtoWriter, t: Initializer): void {
  w.packedInts(1, t.dims).int(2, t.dataType).string(8, t.name).bytes(9, t.raw)
}

function writeValueInfo(w: ProtoWriter, info: ValueInfo): void {
  w.string(1, info.name).message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, info.dataType)
      tensor.message(2, (s) => {
        for (const d of info.shape) s.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)))
      })
    }),
  )
}
