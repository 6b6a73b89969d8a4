// Tasks as data: each kind decodes strictly and names the model input it needs; its samples travel as blocks
// decoded against the task value by value; and batches encode every kind exactly as the rules say.
import { describe, expect, it } from 'vitest'
import { decodeTask, describeTask, taskClasses, taskInput, taskOutputs, type ImageTask, type TabularTask, type TaskSpec, type TextTask } from './task.ts'
import { concatBlocks, decodeBlock, encodeBlock, makeBlock, MAX_BLOCK_BYTES, samplesPerBlock, valuesPerSample, type TaskBlock } from './task-block.ts'
import { batchWidths, taskBatch } from './task-batch.ts'
import { sliceBlock, tabularBlock, tabularTask, textBlock } from './task-samples.ts'
import { readNamedTable } from './tabular-read.ts'
import { inferTabularSchema } from './tabular-schema.ts'
import { tabularSamples } from './tabular-samples.ts'
import { characterVocab, tokenize, UNKNOWN } from './text.ts'
import { readSharedFile } from './testing/shared-files.ts'
import { DataFormatError } from './errors.ts'
import { decodeTaskShard } from './task-shard.ts'
import { encodeShard } from './shard-block.ts'

const IMAGE: ImageTask = { kind: 'image', height: 4, width: 4, channels: 3, classes: ['blue_stripes', 'red_dots'], fit: 'crop', normalisation: { mean: 0.5, std: 0.25 } }
const TABLE: TabularTask = {
  kind: 'tabular',
  schema: { kind: 'tabular', features: [{ name: 'size', kind: 'numeric' }, { name: 'colour', kind: 'categorical', categories: ['red', 'green', 'blue'] }], label: 'kind', target: { kind: 'classification', classes: ['a', 'b'] } },
  stats: { features: [{ mean: 10, std: 2 }, null] },
  target: null,
}
const PRICE: TabularTask = { ...TABLE, schema: { ...TABLE.schema, label: 'price', target: { kind: 'regression' } }, target: { mean: 100, std: 20 } }
const TEXT: TextTask = { kind: 'text', schema: { kind: 'text', tokens: 'characters', vocab: [UNKNOWN, 'a', 'b', 'c'], context: 3 } }
const roundTrip = (task: TaskSpec) => decodeTask(JSON.parse(JSON.stringify(task)))

describe('a task as data', () => {
  it('names the model input, outputs and classes each kind needs', () => {
    expect([taskInput(IMAGE), taskOutputs(IMAGE), taskClasses(IMAGE)]).toEqual([{ kind: 'image', height: 4, width: 4, channels: 3 }, { outputs: 2, objective: 'classes' }, ['blue_stripes', 'red_dots']])
    // One number and three one-hot categories.
    expect([taskInput(TABLE), taskOutputs(TABLE), taskClasses(TABLE)]).toEqual([{ kind: 'vector', width: 4 }, { outputs: 2, objective: 'classes' }, ['a', 'b']])
    expect([taskOutputs(PRICE), taskClasses(PRICE)]).toEqual([{ outputs: 1, objective: 'values' }, null])
    expect([taskInput(TEXT), taskOutputs(TEXT), taskClasses(TEXT)]).toEqual([{ kind: 'tokens', vocab: 4, context: 3 }, { outputs: 4, objective: 'classes' }, null])
    expect(taskInput({ kind: 'text', schema: { ...TEXT.schema, tokens: 'bytes', vocab: [] } })).toEqual({ kind: 'tokens', vocab: 256, context: 3 })
    expect([IMAGE, TABLE, PRICE, TEXT].map(describeTask)).toEqual([
      '4×4 RGB images, 2 classes',
      'table rows of 2 features predicting "kind" (2 classes)',
      'table rows of 2 features predicting "price" (a number)',
      'character-level text, 4 tokens, context 3',
    ])
  })

  it('decodes what it encodes for every kind', () => {
    for (const task of [IMAGE, TABLE, PRICE, TEXT]) expect(roundTrip(task)).toEqual(task)
  })

  it('refuses each malformed part by name', () => {
    const bad = (value: unknown, message: string) => expect(() => decodeTask(value), message).toThrow(message)
    bad({ ...IMAGE, kind: 'audio' }, 'task: "kind" must be "image", "tabular" or "text"')
    bad({ ...IMAGE, height: 3 }, 'task: "height" must be between 4 and 256')
    bad({ ...IMAGE, height: 4, width: 257 }, 'task: "width" must be between 4 and 256')
    const ok = { ...IMAGE, height: 4, width: 256 }
    expect(decodeTask(ok)).toEqual(ok)
    bad({ ...ok, channels: 2 }, 'task: "channels" must be 1 (grayscale) or 3 (RGB)')
    bad({ ...ok, fit: 'squash' }, 'task: "fit" must be one of crop, pad, stretch')
    bad({ ...ok, classes: ['one'] }, 'task: "classes" must name at least 2 classes')
    bad({ ...ok, classes: ['one', 'one'] }, 'task: "classes" repeats a name')
    bad({ ...ok, classes: ['one', ' '] }, 'task: "classes" has an empty name')
    bad({ ...ok, classes: Array.from({ length: 257 }, (_, i) => `c${i}`) }, 'task: "classes" has more than 256 entries')
    expect(decodeTask({ ...ok, classes: Array.from({ length: 256 }, (_, i) => `c${i}`) }).kind).toBe('image')
    bad({ ...ok, normalisation: { mean: 0.5, std: 0 } }, 'task normalisation: "std" must be between 1e-12 and 1000000000000')
    bad({ ...TABLE, target: { mean: 0, std: 1 } }, 'task: a classification task has no "target" statistics')
    bad({ ...PRICE, target: null }, 'task: a regression task needs its label\'s "target" statistics')
    bad({ ...TABLE, stats: { features: [{ mean: 10, std: 2 }] } }, 'task stats: "features" must hold one entry per feature (2)')
    bad({ ...TABLE, stats: { features: [null, null] } }, 'task stats feature 0')
    bad({ ...TABLE, stats: { features: [{ mean: 10, std: 2 }, { mean: 0, std: 1 }] } }, 'task stats: feature 1 is categorical, so its statistics must be null')
    bad({ ...TABLE, schema: { ...TABLE.schema, label: 'size' } }, 'tabular schema: label "size" is empty or also a feature')
    bad({ ...TEXT, schema: { ...TEXT.schema, vocab: ['a', 'b'] } }, 'text schema')
  })
})

describe('task blocks', () => {
  const images = makeBlock(IMAGE, Uint8Array.from({ length: 2 * 48 }, (_, i) => i * 7), Uint8Array.of(1, 0))
  const rows = makeBlock(TABLE, Float32Array.of(12, 2, NaN, -1, 8, 0), Float32Array.of(1, 0, 1))
  const windows = makeBlock(TEXT, Uint16Array.of(1, 2, 3, 0, 3, 2, 1, 1), null)

  it('decode back to what was encoded, for every kind', () => {
    for (const [task, block] of [[IMAGE, images], [TABLE, rows], [TEXT, windows]] as const) {
      const back = decodeBlock(encodeBlock(task, block), task, 'b')
      expect(back).toEqual(block)
      // A peer's bytes need not be aligned: a copy at an odd offset decodes the same.
      const bytes = encodeBlock(task, block)
      const odd = new Uint8Array(bytes.length + 1)
      odd.set(bytes, 1)
      expect(decodeBlock(odd.subarray(1), task)).toEqual(block)
    }
    expect(decodeBlock(encodeBlock(TABLE, rows, 1, 2), TABLE)).toEqual(sliceBlock(rows, 1, 2))
    expect(Number.isNaN(decodeBlock(encodeBlock(TABLE, rows), TABLE).x[2])).toBe(true)
  })

  it('refuse a block that is not this task\'s, naming the file, the sample and the value', () => {
    const bytes = encodeBlock(TABLE, rows)
    const patched = (at: number, write: (v: DataView) => void) => {
      const copy = bytes.slice()
      write(new DataView(copy.buffer))
      return () => decodeBlock(copy, TABLE, 'rows.bin')
    }
    expect(() => decodeBlock(bytes, TEXT, 'rows.bin')).toThrow('rows.bin holds tabular samples, not this job\'s text samples')
    expect(patched(0, (v) => v.setUint32(0, 0x31485354, true))).toThrow('rows.bin wrong magic number (not a Tesserae sample block)')
    expect(patched(0, (v) => v.setUint8(8, 9))).toThrow('rows.bin holds kind 9 samples, not this job\'s tabular samples')
    expect(patched(0, (v) => v.setUint8(9, 1))).toThrow('rows.bin has non-zero reserved header bytes')
    expect(patched(0, (v) => v.setUint16(10, 1, true))).toThrow('rows.bin has non-zero reserved header bytes')
    expect(patched(0, (v) => v.setUint32(12, 3, true))).toThrow('rows.bin holds 3 values per sample; this job\'s samples hold 2')
    expect(patched(0, (v) => v.setUint32(4, 0, true))).toThrow('rows.bin holds no samples')
    expect(patched(0, (v) => v.setUint32(4, 4, true))).toThrow(`rows.bin is ${bytes.length} bytes; 4 samples of 2 values need ${16 + 4 * 12}`)
    expect(() => decodeBlock(bytes.subarray(0, 15), TABLE, 'rows.bin')).toThrow('rows.bin is 15 bytes, shorter than its 16-byte header')
    expect(() => decodeBlock(new Uint8Array(MAX_BLOCK_BYTES + 1), TABLE, 'rows.bin')).toThrow(`rows.bin is ${MAX_BLOCK_BYTES + 1} bytes, over the ${MAX_BLOCK_BYTES}-byte block limit`)
    // Values: a category the feature does not have, a fractional one, an infinite number, a label outside the classes.
    expect(patched(0, (v) => v.setFloat32(16 + 3 * 4, 3, true))).toThrow('rows.bin sample 1 feature "colour" holds 3, which is not one of its 3 categories or missing')
    expect(patched(0, (v) => v.setFloat32(16 + 1 * 4, 0.5, true))).toThrow('rows.bin sample 0 feature "colour" holds 0.5')
    expect(patched(0, (v) => v.setFloat32(16 + 3 * 4, -2, true))).toThrow('rows.bin sample 1 feature "colour" holds -2')
    expect(patched(0, (v) => v.setFloat32(16 + 4 * 4, Infinity, true))).toThrow('rows.bin sample 2 feature "size" holds Infinity, which is not a finite number or missing')
    expect(patched(0, (v) => v.setFloat32(16 + 6 * 4 + 8, 2, true))).toThrow('rows.bin sample 2 label "kind" holds 2, which is not one of the 2 classes')
    expect(patched(0, (v) => v.setFloat32(16 + 6 * 4, -1, true))).toThrow('rows.bin sample 0 label "kind" holds -1')
    const price = encodeBlock(PRICE, rows)
    const nan = price.slice()
    new DataView(nan.buffer).setFloat32(16 + 6 * 4 + 4, NaN, true)
    expect(() => decodeBlock(nan, PRICE, 'p')).toThrow('p sample 1 label "price" holds NaN, which is not a finite number')
    expect(decodeBlock(price, PRICE).y).toEqual(rows.y)
    const text = encodeBlock(TEXT, windows)
    text[16 + 2 * 5] = 4
    expect(() => decodeBlock(text, TEXT, 't')).toThrow('t sample 1 has token 4, outside the 4-token vocabulary')
    const pics = encodeBlock(IMAGE, images)
    pics[pics.length - 1] = 2
    expect(() => decodeBlock(pics, IMAGE, 'i')).toThrow('i sample 1 has label 2, outside the 2 classes')
    try {
      decodeBlock(pics, IMAGE, 'i')
    } catch (error) {
      expect(error).toBeInstanceOf(DataFormatError)
    }
  })

  it('hold as many samples as fit one block, and no more', () => {
    const big: ImageTask = { ...IMAGE, height: 256, width: 256 }
    const per = samplesPerBlock(big)
    expect(per).toBe(Math.floor((MAX_BLOCK_BYTES - 16) / (3 * 256 * 256 + 1)))
    const block = makeBlock(big, new Uint8Array((per + 1) * valuesPerSample(big)), new Uint8Array(per + 1))
    expect(encodeBlock(big, block, 0, per).length).toBeLessThanOrEqual(MAX_BLOCK_BYTES)
    expect(() => encodeBlock(big, block, 0, per + 1)).toThrow(`over the ${MAX_BLOCK_BYTES}-byte block limit (at most ${per} per block)`)
    expect(samplesPerBlock(TABLE)).toBe(1024)
    expect(samplesPerBlock(TABLE, 100)).toBe(100)
  })

  it('take a block of exactly the limit and refuse one byte more; a bare header is a block of no samples', () => {
    // 2,056 windows of 255 tokens (2 bytes each) after the 16-byte header are 2^20 bytes exactly.
    const wide: TextTask = { kind: 'text', schema: { ...TEXT.schema, context: 254 } }
    const exact = makeBlock(wide, new Uint16Array(2056 * 255).fill(2), null)
    const bytes = encodeBlock(wide, exact)
    expect(bytes.length).toBe(MAX_BLOCK_BYTES)
    expect(decodeBlock(bytes, wide).count).toBe(2056)
    const over = new Uint8Array(MAX_BLOCK_BYTES + 1)
    over.set(bytes)
    expect(() => decodeBlock(over, wide, 'w')).toThrow(`w is ${MAX_BLOCK_BYTES + 1} bytes, over the ${MAX_BLOCK_BYTES}-byte block limit`)
    const header = encodeBlock(TEXT, makeBlock(TEXT, Uint16Array.of(1, 2, 3, 0), null)).subarray(0, 16).slice()
    new DataView(header.buffer).setUint32(4, 0, true)
    expect(() => decodeBlock(header, TEXT, 'h')).toThrow('h holds no samples')
  })

  it('hold the most whole samples that fit one block, for every kind and size', () => {
    const bytesFor = (task: TaskSpec, count: number) => {
      const per = valuesPerSample(task)
      const x = task.kind === 'image' ? new Uint8Array(count * per) : task.kind === 'tabular' ? new Float32Array(count * per) : new Uint16Array(count * per)
      return encodeBlock(task, makeBlock(task, x, task.kind === 'image' ? new Uint8Array(count) : task.kind === 'tabular' ? new Float32Array(count) : null)).length
    }
    const tasks: TaskSpec[] = [
      ...[1, 7, 28, 61, 200].flatMap((side) => ([1, 3] as const).map((channels) => ({ ...IMAGE, height: side, width: side + 3, channels }))),
      ...[1, 2, 5, 13, 40, 255].map((n) => ({ ...TABLE, schema: { ...TABLE.schema, features: Array.from({ length: n }, (_, k) => ({ name: `f${k}`, kind: 'numeric' as const })) }, stats: { features: Array.from({ length: n }, () => ({ mean: 0, std: 1 })) } })),
      ...[2, 31, 64, 127, 500, 1024].map((context) => ({ kind: 'text' as const, schema: { ...TEXT.schema, context } })),
    ]
    for (const task of tasks) {
      const n = samplesPerBlock(task, Infinity)
      const perSample = bytesFor(task, 2) - bytesFor(task, 1)
      const header = bytesFor(task, 1) - perSample
      expect(header, describeTask(task)).toBe(16)
      expect(header + n * perSample, describeTask(task)).toBeLessThanOrEqual(MAX_BLOCK_BYTES)
      expect(header + (n + 1) * perSample, describeTask(task)).toBeGreaterThan(MAX_BLOCK_BYTES)
    }
  })

  it('encode from a start to the end of the block unless told how many', () => {
    const rows = makeBlock(TEXT, Uint16Array.of(1, 2, 3, 0, 0, 1, 1, 1, 2, 2, 2, 3), null)
    const tail = decodeBlock(encodeBlock(TEXT, rows, 1), TEXT)
    expect(tail.count).toBe(2)
    expect(Array.from(tail.x)).toEqual([0, 1, 1, 1, 2, 2, 2, 3])
  })

  it('are made only from the typed arrays and labels their task stores', () => {
    expect(() => makeBlock(TABLE, Float32Array.of(1, 0, 2), Float32Array.of(0))).toThrow('3 values are not whole samples of 2')
    expect(() => makeBlock(TABLE, Uint8Array.of(1, 0), Float32Array.of(0))).toThrow('a tabular block\'s inputs are a Float32Array')
    expect(() => makeBlock(TABLE, Float32Array.of(1, 0), Float32Array.of(0, 1))).toThrow('a tabular block needs one label per sample (1) in a Float32Array')
    expect(() => makeBlock(TEXT, Uint16Array.of(1, 2, 3, 0), Float32Array.of(0))).toThrow('a text block has no labels')
    expect(() => makeBlock(IMAGE, new Uint8Array(48), Uint8Array.of(2))).toThrow('sample 0 has label 2, outside the 2 classes')
    expect(() => encodeBlock(TEXT, rows)).toThrow('the samples hold 2 values each; this task\'s hold 4')
  })

  it('join in order, as a unit\'s sample indices address them', () => {
    const a = sliceBlock(rows, 0, 1)
    const b = sliceBlock(rows, 1, 2)
    expect(concatBlocks(TABLE, [a, b])).toEqual({ ...rows, x: Float32Array.from(rows.x), y: Float32Array.from(rows.y!) })
    expect(concatBlocks(TABLE, [a])).toBe(a)
    expect(concatBlocks(TEXT, [windows, windows]).x).toEqual(Uint16Array.of(1, 2, 3, 0, 3, 2, 1, 1, 1, 2, 3, 0, 3, 2, 1, 1))
    expect(concatBlocks(TEXT, [windows, windows]).y).toBeNull()
    expect(() => concatBlocks(TABLE, [])).toThrow('unit data has no blocks')
    expect(() => concatBlocks(TABLE, [a, { ...b, perSample: 3 }])).toThrow('unit data mixes samples of 2 and 3 values')
  })
})

describe('task batches', () => {
  it('standardise pixels, one-hot the label', () => {
    const block = makeBlock(IMAGE, Uint8Array.from({ length: 96 }, (_, i) => (i === 48 ? 255 : 0)), Uint8Array.of(0, 1))
    const { x, y } = taskBatch(IMAGE, block, [1, 0])
    expect(batchWidths(IMAGE)).toEqual({ x: 48, y: 2 })
    expect(x[0]).toBe((1 - 0.5) / 0.25)
    expect(x[1]).toBe(-2)
    expect(Array.from(y)).toEqual([0, 1, 1, 0])
  })

  it('encode table rows with the job\'s statistics: missing number → 0, missing category → no input set, class one-hot or value standardised', () => {
    const block = makeBlock(TABLE, Float32Array.of(12, 2, NaN, -1), Float32Array.of(1, 0))
    const { x, y } = taskBatch(TABLE, block, [0, 1])
    expect(Array.from(x)).toEqual([1, 0, 0, 1, 0, 0, 0, 0])
    expect(Array.from(y)).toEqual([0, 1, 1, 0])
    const prices = makeBlock(PRICE, Float32Array.of(12, 2, NaN, -1), Float32Array.of(140, 90))
    expect(Array.from(taskBatch(PRICE, prices, [0, 1]).y)).toEqual([2, -0.5])
    expect(batchWidths(PRICE)).toEqual({ x: 4, y: 1 })
  })

  it('turn a text window into one-hot inputs and the next token at every position', () => {
    const block = makeBlock(TEXT, Uint16Array.of(1, 2, 3, 0), null)
    const { x, y } = taskBatch(TEXT, block, [0])
    expect(batchWidths(TEXT)).toEqual({ x: 12, y: 12 })
    expect(Array.from(x)).toEqual([0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
    expect(Array.from(y)).toEqual([0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0])
  })

  it('reuse a spent batch\'s arrays only when the sizes match, and refuse an index outside the block', () => {
    const block = makeBlock(TEXT, Uint16Array.of(1, 2, 3, 0, 3, 2, 1, 1), null)
    const first = taskBatch(TEXT, block, [0])
    const again = taskBatch(TEXT, block, [1], first)
    expect(again.x).toBe(first.x)
    expect(Array.from(again.x)).toEqual(Array.from(taskBatch(TEXT, block, [1]).x))
    expect(taskBatch(TEXT, block, [0, 1], first).x).not.toBe(first.x)
    expect(taskBatch(TEXT, block, [0], { x: first.x, y: new Float32Array(11) }).x).not.toBe(first.x)
    expect(() => taskBatch(TEXT, block, [2])).toThrow('sample 2 is outside the 2 samples')
    expect(() => taskBatch(TEXT, block, [-1])).toThrow('sample -1 is outside the 2 samples')
    expect(() => taskBatch(TEXT, block, [0.5])).toThrow('sample 0.5 is outside the 2 samples')
  })
})

describe('the shared datasets as task blocks', () => {
  it('Wine: a tabular task from the owner\'s file, every feature standardised to mean 0, std 1 in its batches', async () => {
    const table = readNamedTable({ name: 'wine.csv', bytes: await readSharedFile('tabular/wine.csv') })
    const schema = inferTabularSchema(table, { label: 'cultivar' })
    const samples = tabularSamples(table, schema)
    const task = tabularTask(schema, [samples])
    expect(roundTrip(task)).toEqual(task)
    const block = decodeBlock(encodeBlock(task, tabularBlock(task, samples)), task)
    const { x, y } = taskBatch(task, block, Array.from({ length: 178 }, (_, i) => i))
    for (let f = 0; f < 13; f++) {
      const column = Array.from({ length: 178 }, (_, r) => x[r * 13 + f]!)
      const mean = column.reduce((a, b) => a + b, 0) / 178
      expect(Math.abs(mean)).toBeLessThan(1e-5)
      expect(Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / 178)).toBeCloseTo(1, 4)
    }
    expect(y.reduce((a, b) => a + b, 0)).toBe(178)
  })

  it('a regression task standardises its label', async () => {
    const table = readNamedTable({ name: 'wine.csv', bytes: await readSharedFile('tabular/wine.csv') })
    const schema = inferTabularSchema(table, { label: 'alcohol', ignore: ['cultivar'], target: 'regression' })
    const samples = tabularSamples(table, schema)
    const task = tabularTask(schema, [samples])
    expect(taskOutputs(task)).toEqual({ outputs: 1, objective: 'values' })
    const { y } = taskBatch(task, tabularBlock(task, samples), Array.from({ length: 178 }, (_, i) => i))
    const mean = y.reduce((a, b) => a + b, 0) / 178
    expect(Math.abs(mean)).toBeLessThan(1e-5)
    expect(Math.sqrt(y.reduce((a, b) => a + (b - mean) ** 2, 0) / 178)).toBeCloseTo(1, 4)
    // A label that never varies standardises to 0, not to a division by zero.
    const flat = tabularTask(schema, [{ ...samples, labels: new Float32Array(178).fill(13) }])
    expect(flat.target).toEqual({ mean: 13, std: 1 })
  })

  it('The Devil\'s Dictionary: windows of context + 1 tokens, one every context tokens, sharing one token', async () => {
    const bytes = await readSharedFile('text/devils-dictionary.txt')
    const text = new TextDecoder().decode(bytes)
    const task: TextTask = { kind: 'text', schema: { kind: 'text', tokens: 'characters', vocab: characterVocab([text], 96), context: 64 } }
    const samples = tokenize([text], task.schema, 'devils-dictionary.txt')
    const block = textBlock(task, samples)
    expect(block.count).toBe(Math.floor((samples.tokens.length - 1) / 64))
    expect(Array.from(block.x.subarray(0, 65))).toEqual(Array.from(samples.tokens.subarray(0, 65)))
    expect(block.x[65]).toBe(samples.tokens[64])
    const blocks: TaskBlock[] = []
    const per = samplesPerBlock(task)
    for (let at = 0; at < block.count; at += per) blocks.push(decodeBlock(encodeBlock(task, block, at, Math.min(per, block.count - at)), task))
    expect(concatBlocks(task, blocks)).toEqual(block)
  })
})

describe('shards as task samples', () => {
  it('decode a TSB2 block, or a TSH1 shard from before tasks for a grayscale image task of its size and classes', () => {
    const gray: ImageTask = { ...IMAGE, channels: 1, height: 4, width: 5, classes: ['a', 'b', 'c'] }
    const old = encodeShard({ count: 2, height: 4, width: 5, pixels: Uint8Array.from({ length: 40 }, (_, i) => i), labels: Uint8Array.of(2, 0), classes: 3 }, 0, 2)
    expect(decodeTaskShard(old, gray)).toEqual({ count: 2, perSample: 20, x: Uint8Array.from({ length: 40 }, (_, i) => i), y: Uint8Array.of(2, 0) })
    expect(() => decodeTaskShard(old, { ...gray, width: 4 }, 's')).toThrow('s holds 4×5 images of 3 classes; this job\'s are 4×4 with 3')
    // As many pixels in another shape is another picture.
    expect(() => decodeTaskShard(old, { ...gray, height: 5, width: 4 }, 's')).toThrow('s holds 4×5 images of 3 classes; this job\'s are 5×4 with 3')
    expect(() => decodeTaskShard(old, { ...gray, height: 2, width: 10 }, 's')).toThrow('s holds 4×5 images of 3 classes; this job\'s are 2×10 with 3')
    expect(() => decodeTaskShard(old, { ...gray, classes: ['a', 'b'] }, 's')).toThrow('s holds 4×5 images of 3 classes; this job\'s are 4×5 with 2')
    expect(() => decodeTaskShard(old, { ...gray, channels: 3 }, 's')).toThrow('s holds grayscale images; this job\'s samples are RGB images')
    expect(() => decodeTaskShard(old, TABLE, 's')).toThrow('s holds grayscale images; this job\'s samples are table rows')
    expect(() => decodeTaskShard(old, TEXT, 's')).toThrow('s holds grayscale images; this job\'s samples are text')
    const rows = makeBlock(TABLE, Float32Array.of(12, 2), Float32Array.of(1))
    expect(decodeTaskShard(encodeBlock(TABLE, rows), TABLE)).toEqual(rows)
    expect(() => decodeTaskShard(Uint8Array.of(1, 2), TABLE, 's')).toThrow('s is 2 bytes, shorter than its 16-byte header')
  })
})
