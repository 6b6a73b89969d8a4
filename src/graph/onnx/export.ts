// Emits a graph as an ONNX ModelProto (opset 18, float32 only). Int64 appears only in constant initializers
// for shapes and axes, which ORT reads on the CPU at session creation; no int64 tensor flows at run time.
import type { Graph, OnnxAttribute, OnnxEmitter } from '../graph.ts'
import type { Shape } from '../shape.ts'
import { ProtoWriter } from './protobuf-writer.ts'

export const ONNX_OPSET = 18
const IR_VERSION = 8
const FLOAT = 1
const INT64 = 7

interface NodeRecord { opType: string; inputs: string[]; outputs: string[]; attributes: Record<string, OnnxAttribute> }
interface Initializer { name: string; dataType: number; dims: Shape; raw: Uint8Array }

export interface ExportOptions {
  name?: string
  /** Values for params (or inputs) to bake in as initializers; everything else stays a graph input. */
  initializers?: Record<string, ArrayLike<number>>
  /** ModelProto metadata_props: free-form key/value pairs that tools such as Netron show. */
  metadata?: Record<string, string>
}

export function exportOnnx(graph: Graph, options: ExportOptions = {}): Uint8Array {
  const nodes: NodeRecord[] = []
  const initializers: Initializer[] = []
  const int64Cache = new Map<string, string>()
  let counter = 0
  const emitter: OnnxEmitter = {
    node: (opType, inputs, outputs, attributes = {}) => void nodes.push({ opType, inputs, outputs, attributes }),
    fresh: (hint) => `${hint}_${counter++}`,
    int64s(values) {
      const key = values.join(',')
      let name = int64Cache.get(key)
      if (name === undefined) {
        name = `i64_${int64Cache.size}`
        int64Cache.set(key, name)
        const raw = new Uint8Array(values.length * 8)
        const view = new DataView(raw.buffer)
        values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true))
        initializers.push({ name, dataType: INT64, dims: [values.length], raw })
      }
      return name
    },
    floats(values, shape) {
      const name = `f32_${counter++}`
      initializers.push({ name, dataType: FLOAT, dims: shape, raw: float32Bytes(values) })
      return name
    },
  }

  // Each op writes straight into its output's name where it is a graph output, saving an Identity copy.
  const outputNameOf = new Map<number, string>()
  for (const [name, value] of graph.outputs) if (!outputNameOf.has(value.id) && graph.nodes[value.id]!.kind === 'op') outputNameOf.set(value.id, name)
  const nameOf = (id: number): string => {
    const node = graph.nodes[id]!
    if (node.kind === 'input' || node.kind === 'param') return node.name
    if (node.kind === 'const') return `c${id}`
    return outputNameOf.get(id) ?? `v${id}`
  }

  const graphInputs: Array<{ name: string; shape: Shape }> = []
  for (const id of graph.liveNodeIds()) {
    const node = graph.nodes[id]!
    if (node.kind === 'input' || node.kind === 'param') {
      const baked = options.initializers?.[node.name]
      if (baked !== undefined) initializers.push({ name: node.name, dataType: FLOAT, dims: node.shape, raw: float32Bytes(baked) })
      else graphInputs.push({ name: node.name, shape: node.shape })
    } else if (node.kind === 'const') {
      initializers.push({ name: `c${id}`, dataType: FLOAT, dims: node.shape, raw: float32Bytes(node.data) })
    } else {
      node.op.emit(emitter, node.inputs.map((v) => nameOf(v.id)), nameOf(id), node.attrs, node.inputs.map((v) => v.shape), node.shape)
    }
  }
  const graphOutputs: Array<{ name: string; shape: Shape }> = []
  for (const [name, value] of graph.outputs) {
    if (nameOf(value.id) !== name) nodes.push({ opType: 'Identity', inputs: [nameOf(value.id)], outputs: [name], attributes: {} })
    graphOutputs.push({ name, shape: value.shape })
  }

  const model = new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, 'tesserae')
    .string(3, '0.1')
    .message(7, (g) => {
      nodes.forEach((n, i) => g.message(1, (w) => writeNode(w, n, i)))
      g.string(2, options.name ?? 'tesserae_graph')
      for (const init of initializers) g.message(5, (w) => writeTensor(w, init))
      for (const input of graphInputs) g.message(11, (w) => writeValueInfo(w, input.name, input.shape))
      for (const output of graphOutputs) g.message(12, (w) => writeValueInfo(w, output.name, output.shape))
    })
    .message(8, (w) => w.string(1, '').int(2, ONNX_OPSET))
  for (const [key, value] of Object.entries(options.metadata ?? {})) model.message(14, (entry) => entry.string(1, key).string(2, value))
  return model.finish()
}

function float32Bytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer)
}

function writeNode(w: ProtoWriter, node: NodeRecord, index: number): void {
  for (const i of node.inputs) w.string(1, i)
  for (const o of node.outputs) w.string(2, o)
  w.string(3, `${node.opType}_${index}`)
  w.string(4, node.opType)
  for (const [name, attr] of Object.entries(node.attributes)) {
    w.message(5, (a) => {
      a.string(1, name)
      if ('int' in attr) a.int(3, attr.int).int(20, 2)
      else if ('float' in attr) a.float(2, attr.float).int(20, 1)
      else if ('ints' in attr) a.packedInts(8, attr.ints).int(20, 7)
      else if ('floats' in attr) a.packedFloats(7, attr.floats).int(20, 6)
      else a.string(4, attr.string).int(20, 3)
    })
  }
}

function writeTensor(w: ProtoWriter, t: Initializer): void {
  w.packedInts(1, t.dims).int(2, t.dataType).string(8, t.name).bytes(9, t.raw)
}

function writeValueInfo(w: ProtoWriter, name: string, shape: Shape): void {
  w.string(1, name).message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, FLOAT)
      tensor.message(2, (s) => {
        for (const d of shape) s.message(1, (dim) => dim.int(1, d))
      })
    }),
  )
}
