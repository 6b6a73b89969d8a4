// A sample format is a job's task without its statistics: it decodes strictly with the task's bounds, compares
// by value whatever a peer's key order, and encodes and decodes blocks exactly as the job's own task does.
import { describe, expect, it } from 'vitest'
import { blockTask, canonicalFormat, decodeSampleFormat, describeFormat, formatClasses, sameFormat, sampleFormat, type ImageFormat, type SampleFormat } from './sample-format.ts'
import { decodeTask, type ImageTask, type TextTask } from './task.ts'
import { decodeBlock, encodeBlock, makeBlock } from './task-block.ts'
import { tabularBlock, tabularTask } from './task-samples.ts'
import { readNamedTable } from './tabular-read.ts'
import { inferTabularSchema } from './tabular-schema.ts'
import { tabularSamples } from './tabular-samples.ts'
import { characterVocab, readTextFile, UNKNOWN } from './text.ts'
import { readSharedFile } from './testing/shared-files.ts'

const IMAGE: ImageTask = { kind: 'image', height: 24, width: 24, channels: 3, classes: ['cat', 'dog', 'fox'], fit: 'pad', normalisation: { mean: 0.4, std: 0.2 } }
const PICTURES: ImageFormat = { kind: 'image', height: 24, width: 24, channels: 3, classes: ['cat', 'dog', 'fox'] }
const TEXT: TextTask = { kind: 'text', schema: { kind: 'text', tokens: 'characters', vocab: [UNKNOWN, 'a', 'b', 'c'], context: 3 } }
const roundTrip = (f: SampleFormat) => decodeSampleFormat(JSON.parse(JSON.stringify(f)))

async function wine() {
  const table = readNamedTable({ name: 'wine.csv', bytes: await readSharedFile('tabular/wine.csv') })
  const schema = inferTabularSchema(table, { label: 'cultivar' })
  const samples = tabularSamples(table, schema)
  return { schema, samples, task: tabularTask(schema, [samples]) }
}

describe('a sample format', () => {
  it('is the job\'s task without fit, normalisation or statistics, and reads back from JSON', async () => {
    const image = sampleFormat(IMAGE)
    expect(image).toEqual(PICTURES)
    const { task, schema } = await wine()
    const table = sampleFormat(task)
    expect(table).toEqual({ kind: 'tabular', schema })
    const text = sampleFormat(TEXT)
    expect(text).toEqual({ kind: 'text', schema: TEXT.schema })
    for (const f of [image, table, text]) expect(roundTrip(f)).toEqual(f)
    expect(describeFormat(image)).toBe('24×24 RGB images, 3 classes')
    expect(describeFormat(table)).toBe('table rows of 13 features predicting "cultivar" (3 classes)')
    expect(describeFormat(text)).toBe('character-level text, 4 tokens, context 3')
  })

  it('refuses what a job\'s task refuses, by name', () => {
    const image = { kind: 'image', height: 24, width: 24, channels: 3, classes: ['cat', 'dog'] }
    const bad = (value: unknown, message: string) => expect(() => decodeSampleFormat(value)).toThrow(message)
    bad('image', 'sample format: expected an object')
    bad({ ...image, kind: 'audio' }, 'sample format: "kind" must be "image", "tabular" or "text"')
    bad({ ...image, channels: 2 }, 'sample format: "channels" must be 1 (grayscale) or 3 (RGB)')
    bad({ ...image, height: 3 }, 'sample format: "height" must be between 4 and 256')
    bad({ ...image, width: 257 }, 'sample format: "width" must be between 4 and 256')
    bad({ ...image, classes: ['cat'] }, 'sample format: "classes" must name at least 2 classes')
    bad({ ...image, classes: ['cat', 'cat'] }, 'sample format: "classes" repeats a name')
    bad({ kind: 'tabular', schema: { kind: 'tabular', features: [{ name: 'a', kind: 'date' }], label: 'y', target: { kind: 'regression' } } }, 'tabular schema feature 0: "kind" must be "numeric" or "categorical"')
    bad({ kind: 'text', schema: { kind: 'text', tokens: 'characters', vocab: ['a', 'b'], context: 8 } }, `text schema: "vocab" must start with "${UNKNOWN}"`)
    bad({ kind: 'text', schema: { kind: 'text', tokens: 'bytes', vocab: [], context: 1 } }, 'text schema: "context" must be between 2 and 1024')
  })

  it('is the same format whatever the key order, and another one when any size, name or order differs', async () => {
    const { schema } = await wine()
    const table: SampleFormat = { kind: 'tabular', schema }
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries({ ...table, schema: Object.fromEntries(Object.entries(schema).reverse()) }).reverse()))) as SampleFormat
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(table))
    expect(sameFormat(reordered, table)).toBe(true)
    expect(JSON.stringify(canonicalFormat(reordered))).toBe(JSON.stringify(canonicalFormat(table)))
    const image = PICTURES
    expect(sameFormat(image, sampleFormat({ ...IMAGE, fit: 'crop', normalisation: { mean: 0, std: 1 } }))).toBe(true)
    const others: SampleFormat[] = [
      { ...image, height: 25 },
      { ...image, width: 23 },
      { ...image, channels: 1 },
      { ...image, classes: ['dog', 'cat', 'fox'] },
      { ...image, classes: ['cat', 'dog'] },
      { kind: 'tabular', schema: { ...schema, features: schema.features.slice(1) } },
      { kind: 'tabular', schema: { ...schema, target: { kind: 'regression' } } },
      { kind: 'text', schema: TEXT.schema },
      { kind: 'text', schema: { ...TEXT.schema, context: 4 } },
      { kind: 'text', schema: { ...TEXT.schema, vocab: [UNKNOWN, 'a', 'c', 'b'] } },
      { kind: 'text', schema: { ...TEXT.schema, tokens: 'bytes', vocab: [] } },
    ]
    for (const f of others) expect(sameFormat(f, image) || sameFormat(f, table), JSON.stringify(f).slice(0, 80)).toBe(false)
    for (const [i, f] of others.entries()) for (const g of others.slice(i + 1)) expect(sameFormat(f, g)).toBe(false)
    // A categorical feature's categories are part of the format, in order.
    const colour: SampleFormat = { kind: 'tabular', schema: { kind: 'tabular', features: [{ name: 'colour', kind: 'categorical', categories: ['red', 'blue'] }], label: 'y', target: { kind: 'regression' } } }
    expect(sameFormat(colour, { kind: 'tabular', schema: { ...colour.schema, features: [{ name: 'colour', kind: 'categorical', categories: ['blue', 'red'] }] } })).toBe(false)
  })

  it('names its classes: an image\'s, a table\'s classification; none for a number or text', async () => {
    const { schema } = await wine()
    expect(formatClasses(sampleFormat(IMAGE))).toEqual(['cat', 'dog', 'fox'])
    expect(formatClasses({ kind: 'tabular', schema })).toEqual(['class_0', 'class_1', 'class_2'])
    expect(formatClasses({ kind: 'tabular', schema: { ...schema, target: { kind: 'regression' } } })).toBeNull()
    expect(formatClasses(sampleFormat(TEXT))).toBeNull()
  })
})

describe('a block task', () => {
  it('encodes and decodes blocks byte for byte as the job\'s own task does (Wine, pictures, The Devil\'s Dictionary)', async () => {
    const { task, samples } = await wine()
    const rows = tabularBlock(task, samples)
    const fromFormat = blockTask(sampleFormat(task))
    expect(encodeBlock(fromFormat, rows)).toEqual(encodeBlock(task, rows))
    expect(decodeBlock(encodeBlock(task, rows), fromFormat)).toEqual(rows)
    const pictures = makeBlock(IMAGE, Uint8Array.from({ length: 2 * 3 * 24 * 24 }, (_, i) => i % 256), Uint8Array.of(2, 0))
    expect(encodeBlock(blockTask(sampleFormat(IMAGE)), pictures)).toEqual(encodeBlock(IMAGE, pictures))
    const documents = readTextFile({ name: 'devils-dictionary.txt', bytes: await readSharedFile('text/devils-dictionary.txt') })
    const text: TextTask = { kind: 'text', schema: { kind: 'text', tokens: 'characters', vocab: characterVocab(documents, 96), context: 16 } }
    const windows = makeBlock(text, Uint16Array.from({ length: 17 * 3 }, (_, i) => i % 85), null)
    expect(decodeBlock(encodeBlock(text, windows), blockTask(sampleFormat(text)))).toEqual(windows)
  })

  it('is a valid task of neutral statistics for every kind, including a regression', async () => {
    const { schema } = await wine()
    for (const f of [sampleFormat(IMAGE), sampleFormat(TEXT), { kind: 'tabular' as const, schema }, { kind: 'tabular' as const, schema: { ...schema, target: { kind: 'regression' as const } } }]) {
      const task = blockTask(f)
      expect(decodeTask(JSON.parse(JSON.stringify(task)))).toEqual(task)
      expect(sameFormat(sampleFormat(task), f)).toBe(true)
    }
    expect(blockTask({ kind: 'tabular', schema: { ...schema, target: { kind: 'regression' } } })).toMatchObject({ target: { mean: 0, std: 1 } })
  })
})
