// Samples of any task as one content-addressed block ("TSB2"): a 16-byte header, every sample's inputs as
// stored (image bytes, table values as read, or a text window's tokens), then the labels. A block arrives
// from a peer, so it is decoded against the job's task and checked value by value: a wrong shape, a label
// outside the classes, a category or token the task does not have, or a non-finite number is refused by name.
import { DataFormatError } from './errors.ts'
import type { TaskSpec } from './task.ts'
import { vocabSize } from './text.ts'

const MAGIC = 0x32425354 // "TSB2"
const HEADER = 16
/** A block is one unit on the exchange, as a shard is. */
export const MAX_BLOCK_BYTES = 2 ** 20
const KIND_CODES = { image: 1, tabular: 2, text: 3 } as const

export interface TaskBlock {
  count: number
  /** Stored input values per sample: channels × height × width, the table's features, or context + 1 tokens. */
  perSample: number
  /** count × perSample: pixel bytes, feature values (NaN: missing number, −1: missing category), or tokens. */
  x: Uint8Array | Float32Array | Uint16Array
  /** Per sample: a class index (image: bytes; table: float), a value to predict, or null for text. */
  y: Uint8Array | Float32Array | null
}

/** Stored values one sample of the task has. */
export function valuesPerSample(task: TaskSpec): number {
  if (task.kind === 'image') return task.channels * task.height * task.width
  if (task.kind === 'tabular') return task.schema.features.length
  return task.schema.context + 1
}

const xBytes = (task: TaskSpec) => (task.kind === 'image' ? 1 : task.kind === 'tabular' ? 4 : 2)
const yBytes = (task: TaskSpec) => (task.kind === 'image' ? 1 : task.kind === 'tabular' ? 4 : 0)

/** Samples that fit one block, at most `cap`. */
export function samplesPerBlock(task: TaskSpec, cap = 1024): number {
  return Math.max(1, Math.min(cap, Math.floor((MAX_BLOCK_BYTES - HEADER) / (valuesPerSample(task) * xBytes(task) + yBytes(task)))))
}

function emptyX(task: TaskSpec, length: number): TaskBlock['x'] {
  return task.kind === 'image' ? new Uint8Array(length) : task.kind === 'tabular' ? new Float32Array(length) : new Uint16Array(length)
}

function emptyY(task: TaskSpec, count: number): TaskBlock['y'] {
  return task.kind === 'image' ? new Uint8Array(count) : task.kind === 'tabular' ? new Float32Array(count) : null
}

/** Samples start..start+count of `block` as one encoded block. */
export function encodeBlock(task: TaskSpec, block: TaskBlock, start = 0, count = block.count - start): Uint8Array {
  const per = valuesPerSample(task)
  if (block.perSample !== per) throw new RangeError(`the samples hold ${block.perSample} values each; this task's hold ${per}`)
  const x = block.x.subarray(start * per, (start + count) * per)
  const y = block.y?.subarray(start, start + count)
  const bytes = new Uint8Array(HEADER + x.byteLength + (y?.byteLength ?? 0))
  const view = new DataView(bytes.buffer)
  view.setUint32(0, MAGIC, true)
  view.setUint32(4, count, true)
  view.setUint8(8, KIND_CODES[task.kind])
  view.setUint32(12, per, true)
  bytes.set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength), HEADER)
  if (y) bytes.set(new Uint8Array(y.buffer, y.byteOffset, y.byteLength), HEADER + x.byteLength)
  if (bytes.length > MAX_BLOCK_BYTES) throw new RangeError(`${count} samples make ${bytes.length} bytes, over the ${MAX_BLOCK_BYTES}-byte block limit (at most ${samplesPerBlock(task)} per block)`)
  return bytes
}

/** Copies `length` values of the given width from `bytes` (a peer's buffer need not be aligned). */
function copyOut<T extends TaskBlock['x'] | Float32Array>(bytes: Uint8Array, offset: number, into: T): T {
  new Uint8Array(into.buffer, into.byteOffset, into.byteLength).set(bytes.subarray(offset, offset + into.byteLength))
  return into
}

/** Decodes a block for `task`; throws DataFormatError naming `name`, the sample and what is wrong. */
export function decodeBlock(bytes: Uint8Array, task: TaskSpec, name = 'block'): TaskBlock {
  const fail = (problem: string): never => {
    throw new DataFormatError(name, problem)
  }
  if (bytes.length > MAX_BLOCK_BYTES) fail(`is ${bytes.length} bytes, over the ${MAX_BLOCK_BYTES}-byte block limit`)
  if (bytes.length < HEADER) fail(`is ${bytes.length} bytes, shorter than its ${HEADER}-byte header`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint32(0, true) !== MAGIC) fail('wrong magic number (not a Tesserae sample block)')
  const count = view.getUint32(4, true)
  const kind = view.getUint8(8)
  const per = view.getUint32(12, true)
  if (kind !== KIND_CODES[task.kind]) fail(`holds ${Object.keys(KIND_CODES).find((k) => KIND_CODES[k as TaskSpec['kind']] === kind) ?? `kind ${kind}`} samples, not this job's ${task.kind} samples`)
  if (view.getUint8(9) !== 0 || view.getUint16(10, true) !== 0) fail('has non-zero reserved header bytes')
  const expectedPer = valuesPerSample(task)
  if (per !== expectedPer) fail(`holds ${per} values per sample; this job's samples hold ${expectedPer}`)
  if (count === 0) fail('holds no samples')
  const expected = HEADER + count * (per * xBytes(task) + yBytes(task))
  if (bytes.length !== expected) fail(`is ${bytes.length} bytes; ${count} samples of ${per} values need ${expected}`)
  const x = copyOut(bytes, HEADER, emptyX(task, count * per))
  const yOffset = HEADER + x.byteLength
  const y = task.kind === 'text' ? null : copyOut(bytes, yOffset, emptyY(task, count) as Uint8Array | Float32Array)
  const block: TaskBlock = { count, perSample: per, x, y }
  const problem = firstProblem(task, block)
  if (problem) fail(problem)
  return block
}

/** What is wrong with the first bad value of `block` for `task`, or null when every value is one it can hold. */
export function firstProblem(task: TaskSpec, block: TaskBlock): string | null {
  const { count, x, y } = block
  if (task.kind === 'image') {
    for (let i = 0; i < count; i++) if (y![i]! >= task.classes.length) return `sample ${i} has label ${y![i]}, outside the ${task.classes.length} classes`
    return null
  }
  if (task.kind === 'text') {
    const vocab = vocabSize(task.schema)
    for (let i = 0; i < x.length; i++) if (x[i]! >= vocab) return `sample ${Math.floor(i / block.perSample)} has token ${x[i]}, outside the ${vocab}-token vocabulary`
    return null
  }
  const features = task.schema.features
  for (let i = 0; i < count; i++) {
    for (let f = 0; f < features.length; f++) {
      const v = x[i * features.length + f]!
      const feature = features[f]!
      if (feature.kind === 'numeric' ? !(Number.isFinite(v) || Number.isNaN(v)) : !(Number.isInteger(v) && v >= -1 && v < feature.categories.length)) {
        return `sample ${i} feature "${feature.name}" holds ${v}, which is not ${feature.kind === 'numeric' ? 'a finite number or missing' : `one of its ${feature.categories.length} categories or missing`}`
      }
    }
    const label = y![i]!
    const target = task.schema.target
    if (target.kind === 'classification' ? !(Number.isInteger(label) && label >= 0 && label < target.classes.length) : !Number.isFinite(label)) {
      return `sample ${i} label "${task.schema.label}" holds ${label}, which is not ${target.kind === 'classification' ? `one of the ${target.classes.length} classes` : 'a finite number'}`
    }
  }
  return null
}

/** Blocks in order as one block: a unit's sample indices address this concatenation. */
export function concatBlocks(task: TaskSpec, blocks: readonly TaskBlock[]): TaskBlock {
  if (blocks.length === 0) throw new DataFormatError('unit data', 'has no blocks')
  if (blocks.length === 1) return blocks[0]!
  const per = valuesPerSample(task)
  const count = blocks.reduce((n, b) => n + b.count, 0)
  const x = emptyX(task, count * per)
  const y = emptyY(task, count)
  let at = 0
  for (const b of blocks) {
    if (b.perSample !== per) throw new DataFormatError('unit data', `mixes samples of ${per} and ${b.perSample} values`)
    x.set(b.x as never, at * per)
    if (y && b.y) y.set(b.y as never, at)
    at += b.count
  }
  return { count, perSample: per, x, y }
}

/** A block of `count` samples from typed arrays the caller filled (the importer's output). */
export function makeBlock(task: TaskSpec, x: TaskBlock['x'], y: TaskBlock['y']): TaskBlock {
  const per = valuesPerSample(task)
  if (x.length % per !== 0) throw new RangeError(`${x.length} values are not whole samples of ${per}`)
  const count = x.length / per
  const kinds = { image: [Uint8Array, Uint8Array], tabular: [Float32Array, Float32Array], text: [Uint16Array, null] } as const
  const [xType, yType] = kinds[task.kind]
  if (!(x instanceof xType)) throw new RangeError(`a ${task.kind} block's inputs are a ${xType.name}`)
  if (yType === null ? y !== null : !(y instanceof yType) || y.length !== count) throw new RangeError(yType === null ? 'a text block has no labels' : `a ${task.kind} block needs one label per sample (${count}) in a ${yType.name}`)
  const block: TaskBlock = { count, perSample: per, x, y }
  const problem = firstProblem(task, block)
  if (problem) throw new RangeError(problem)
  return block
}
