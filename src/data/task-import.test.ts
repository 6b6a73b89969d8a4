// A contributor's files read against a job's sample format: colour pictures in class folders fitted to the
// job's size, real tables (Wine, Breast Cancer) by their named columns, real text (The Devil's Dictionary) in
// the job's vocabulary. Every refusal names the file, and the line and column where there is one.
import { describe, expect, it } from 'vitest'
import { TesseraeError } from '../errors.ts'
import type { ImportFile, ImportOptions } from './import-files.ts'
import { IMPORT_LIMITS } from './limits.ts'
import type { RgbaImage } from './resize.ts'
import { blockTask, type SampleFormat } from './sample-format.ts'
import { importTaskFiles, maxDatasetSamples } from './task-import.ts'
import { textBlock } from './task-samples.ts'
import { readNamedTable } from './tabular-read.ts'
import { inferTabularSchema, type TabularSchema } from './tabular-schema.ts'
import { characterVocab, readTextFile, tokenize, UNKNOWN, type TextSchema } from './text.ts'
import { encodePng, decodeTestPng } from './testing/png.ts'
import { readSharedFile } from './testing/shared-files.ts'

const bytes = (text: string) => new TextEncoder().encode(text)
const file = (path: string, content: Uint8Array): ImportFile => ({ path, size: content.length, read: async () => content })
/** A file that claims `size` bytes; reading it fails the test, since a limit must refuse it first. */
const huge = (path: string, size: number): ImportFile => ({ path, size, read: async () => Promise.reject(new Error(`${path} was read`)) })
const solid = (r: number, g: number, b: number, width: number, height: number, alpha = 255): RgbaImage => ({ width, height, data: Uint8Array.from({ length: width * height * 4 }, (_, i) => [r, g, b, alpha][i % 4]!) })

/** Pictures by path for the injected decoder (PNGs are real and decoded from their bytes). */
function pictures(entries: Record<string, RgbaImage>): { files: ImportFile[]; decode: ImportOptions['decode'] } {
  return {
    files: Object.keys(entries).map((path) => file(path, Uint8Array.of(1, 2, 3))),
    decode: async (content, name) => (name.endsWith('.png') ? decodeTestPng(content) : entries[name] ?? Promise.reject(new Error(`no picture ${name}`))),
  }
}

const RGB: SampleFormat = { kind: 'image', height: 4, width: 6, channels: 3, classes: ['Blue_Stripes', 'red_dots', 'green'] }
const GRAY: SampleFormat = { ...RGB, channels: 1 }
const plane = (x: ArrayLike<number>, sample: number, channel: number) => Array.from(x).slice((sample * 3 + channel) * 24, (sample * 3 + channel + 1) * 24)

const failure = async (run: Promise<unknown>): Promise<TesseraeError> => {
  try {
    await run
  } catch (error) {
    if (error instanceof TesseraeError) return error
    throw error
  }
  throw new Error('the import succeeded')
}

async function wineSchema(): Promise<TabularSchema> {
  return inferTabularSchema(readNamedTable({ name: 'wine.csv', bytes: await readSharedFile('tabular/wine.csv') }), { label: 'cultivar' })
}

describe('pictures for an image job', () => {
  it('labels by class folder (name in any case, or index), fits colour pictures to the job\'s size, skips junk and notes', async () => {
    const { files, decode } = pictures({ 'drop/red_dots/1.webp': solid(255, 0, 0, 12, 8), 'drop/blue_stripes/2.bmp': solid(0, 0, 255, 4, 8), 'drop/2/3.gif': solid(0, 200, 0, 6, 4) })
    const junk = ['drop/.DS_Store', 'drop/red_dots/._1.webp', '__MACOSX/drop/red_dots/1.webp', 'drop/Thumbs.db', 'drop/notes.txt', 'drop/README.md', 'drop/licence.pdf'].map((p) => file(p, Uint8Array.of(0)))
    const progress: Array<[number, number, string]> = []
    const { samples, skipped } = await importTaskFiles([...files, ...junk], RGB, 'pad', { decode, onProgress: (...p) => progress.push(p) })
    expect(samples.format).toBe(RGB)
    expect(samples.block.count).toBe(3)
    // Path order: drop/2/3.gif (green), drop/blue_stripes/2.bmp, drop/red_dots/1.webp.
    expect(Array.from(samples.block.y!)).toEqual([2, 0, 1])
    expect(samples.sources).toEqual([{ file: 'drop/2/3.gif', row: 0 }, { file: 'drop/blue_stripes/2.bmp', row: 0 }, { file: 'drop/red_dots/1.webp', row: 0 }])
    expect(plane(samples.block.x, 0, 1).every((v) => v === 200)).toBe(true)
    // The blue picture is 4 wide and 8 high: padded into 6×4, its middle columns are blue and its sides black.
    expect(plane(samples.block.x, 1, 2).slice(0, 6)).toEqual([0, 0, 255, 255, 0, 0])
    expect(plane(samples.block.x, 2, 0).every((v) => v === 255)).toBe(true)
    expect(plane(samples.block.x, 2, 1).every((v) => v === 0)).toBe(true)
    expect(skipped.sort()).toEqual(junk.map((f) => f.path).sort())
    expect(progress).toEqual([[1, 3, 'drop/2/3.gif'], [2, 3, 'drop/blue_stripes/2.bmp'], [3, 3, 'drop/red_dots/1.webp']])
  })

  it('reads real PNGs to a grayscale job by luminance, and inverts dark-on-light pictures when asked', async () => {
    const png = await encodePng(2, 2, Uint8Array.of(200, 200, 200, 200))
    const { samples } = await importTaskFiles([file('green/a.png', png)], GRAY, 'stretch', { decode: decodeTestPng })
    expect(Array.from(samples.block.x)).toEqual(new Array(24).fill(200))
    const inverted = await importTaskFiles([file('green/a.png', png)], GRAY, 'stretch', { decode: decodeTestPng, invert: true })
    expect(Array.from(inverted.samples.block.x)).toEqual(new Array(24).fill(55))
  })

  it('refuses unknown class folders, loose pictures, empty class folders and undecodable pictures, naming each', async () => {
    const { files, decode } = pictures({ 'drop/cow/1.webp': solid(1, 1, 1, 4, 4), 'loose.webp': solid(1, 1, 1, 4, 4), 'drop/green/ok.webp': solid(1, 1, 1, 4, 4) })
    const [cow, loose, ok] = files as [ImportFile, ImportFile, ImportFile]
    expect((await failure(importTaskFiles([ok, cow], RGB, 'crop', { decode }))).message).toBe('folder "drop/cow" does not name a class: the name "cow" is not a class of this dataset (expected one of "Blue_Stripes", "red_dots", "green", or an index 0–2)')
    expect((await failure(importTaskFiles([loose], RGB, 'crop', { decode }))).message).toMatch(/^loose.webp is not inside a class folder/)
    expect((await failure(importTaskFiles([ok], RGB, 'crop', { decode, folders: ['drop', 'drop/green', 'drop/red_dots/'] }))).message).toBe('class folder "drop/red_dots" is empty; add pictures to it or remove it')
    expect((await failure(importTaskFiles([file('drop/green/x.webp', Uint8Array.of(1))], RGB, 'crop', { decode: async () => Promise.reject(new Error('decoder says no')) }))).message).toBe('drop/green/x.webp cannot be decoded as an image (decoder says no)')
    expect((await failure(importTaskFiles([file('drop/green/x.png', bytes('not a png'))], RGB, 'crop', { decode }))).message).toMatch(/^drop\/green\/x.png is neither a PNG nor a JPEG/)
    const wide = pictures({ 'g/green/wide.gif': solid(0, 0, 0, IMPORT_LIMITS.imageSide + 1, 1) })
    expect((await failure(importTaskFiles(wide.files, RGB, 'crop', { decode: wide.decode }))).message).toBe(`g/green/wide.gif is ${IMPORT_LIMITS.imageSide + 1}×1; a picture is 1 to ${IMPORT_LIMITS.imageSide} pixels a side`)
    const short = { width: 2, height: 2, data: new Uint8Array(15) }
    expect((await failure(importTaskFiles([file('g/green/s.gif', Uint8Array.of(1))], RGB, 'crop', { decode: async () => short }))).message).toBe('g/green/s.gif decoded to 15 bytes, not the 16 of 2×2 RGBA pixels')
  })

  it('refuses a picture over the size limit before reading it, and more pictures than one dataset of the size holds', async () => {
    const error = await failure(importTaskFiles([huge('drop/green/big.jpg', 21 * 2 ** 20)], RGB, 'crop', { decode: decodeTestPng }))
    expect(error.message).toBe('drop/green/big.jpg is 21 MiB, over the 20 MiB limit for one image')
    // 256×256 RGB: five pictures fill a 1 MiB block, and a manifest lists at most 512 blocks.
    const large: SampleFormat = { kind: 'image', height: 256, width: 256, channels: 3, classes: ['a', 'b'] }
    expect(maxDatasetSamples(large)).toBe(2560)
    expect(maxDatasetSamples(RGB)).toBe(IMPORT_LIMITS.samples)
    const many = Array.from({ length: 2561 }, (_, i) => huge(`a/${i}.png`, 10))
    const tooMany = await failure(importTaskFiles(many, large, 'crop', { decode: decodeTestPng }))
    expect([tooMany.code, tooMany.message]).toEqual(['IMPORT_TOO_LARGE', 'the files hold 2561 samples; one dataset of 256×256 RGB images, 2 classes holds at most 2560'])
  })
})

describe('tables for a tabular job', () => {
  it('reads Wine by its named columns, ignoring extra ones, with each row\'s file and line', async () => {
    const schema = await wineSchema()
    const format: SampleFormat = { kind: 'tabular', schema }
    const text = new TextDecoder().decode(await readSharedFile('tabular/wine.csv'))
    const lines = text.trim().split(/\r?\n/)
    // The contributor's copy has its columns in another order and an id the job does not read.
    const header = lines[0]!.split(',')
    const shuffled = [['id', ...[...header].reverse()].join(','), ...lines.slice(1).map((l, i) => [`w${i}`, ...l.split(',').reverse()].join(','))].join('\n')
    const { samples } = await importTaskFiles([file('mine/wine.csv', bytes(shuffled))], format, 'crop', { decode: decodeTestPng })
    expect(samples.block.count).toBe(178)
    expect(Array.from(samples.block.x.subarray(0, 3))).toEqual([14.23, 1.71, 2.43].map(Math.fround))
    expect(Array.from(samples.block.y!.subarray(0, 1))).toEqual([0])
    expect(samples.sources[0]).toEqual({ file: 'mine/wine.csv', row: 2 })
    expect(samples.sources[177]).toEqual({ file: 'mine/wine.csv', row: 179 })
  })

  it('joins CSV, TSV and JSONL files in path order, and leaves notes beside them out', async () => {
    const schema: TabularSchema = { kind: 'tabular', features: [{ name: 'size', kind: 'numeric' }, { name: 'colour', kind: 'categorical', categories: ['red', 'blue'] }], label: 'price', target: { kind: 'regression' } }
    const files = [file('b.tsv', bytes('colour\tsize\tprice\nblue\t2\t20\n')), file('a.csv', bytes('size,colour,price,note\n1,red,10,x\n,NA,11,y\n')), file('c.jsonl', bytes('{"size": 3, "colour": "red", "price": 30}\n')), file('wine.names.txt', bytes('notes'))]
    const { samples, skipped } = await importTaskFiles(files, { kind: 'tabular', schema }, 'crop', { decode: decodeTestPng })
    expect(Array.from(samples.block.x)).toEqual([1, 0, NaN, -1, 2, 1, 3, 0])
    expect(Array.from(samples.block.y!)).toEqual([10, 11, 20, 30])
    expect(samples.sources.map((s) => `${s.file}:${s.row}`)).toEqual(['a.csv:2', 'a.csv:3', 'b.tsv:2', 'c.jsonl:1'])
    expect(skipped).toEqual(['wine.names.txt'])
  })

  it('reads Breast Cancer against its own schema, and refuses it for Wine by the first column it lacks', async () => {
    const content = await readSharedFile('tabular/breast-cancer.csv')
    const schema = inferTabularSchema(readNamedTable({ name: 'breast-cancer.csv', bytes: content }), { label: 'diagnosis' })
    const { samples } = await importTaskFiles([file('bc.csv', content)], { kind: 'tabular', schema }, 'crop', { decode: decodeTestPng })
    expect(samples.block.count).toBe(569)
    expect(new Set(samples.block.y)).toEqual(new Set([0, 1]))
    const wine = await failure(importTaskFiles([file('bc.csv', content)], { kind: 'tabular', schema: await wineSchema() }, 'crop', { decode: decodeTestPng }))
    expect(wine.message).toMatch(/^bc.csv has no column "alcohol", which this job needs \(it reads "alcohol", "malic_acid", /)
  })

  it('refuses a wrong column name, a non-number, an unknown category or class, naming file, line and column', async () => {
    const schema: TabularSchema = { kind: 'tabular', features: [{ name: 'size', kind: 'numeric' }, { name: 'colour', kind: 'categorical', categories: ['red', 'blue'] }], label: 'kind', target: { kind: 'classification', classes: ['a', 'b'] } }
    const format: SampleFormat = { kind: 'tabular', schema }
    const message = async (csv: string) => (await failure(importTaskFiles([file('in/rows.csv', bytes(csv))], format, 'crop', { decode: decodeTestPng }))).message
    expect(await message('size,color,kind\n1,red,a\n')).toBe('in/rows.csv has no column "colour", which this job needs (it reads "size", "colour", "kind")')
    expect(await message('size,colour,kind\n1,red,a\nbig,red,a\n')).toBe('in/rows.csv line 3 column "size": "big" is not a number')
    expect(await message('size,colour,kind\n1,green,a\n')).toBe('in/rows.csv line 2 column "colour": "green" is not one of this job\'s categories ("red", "blue")')
    expect(await message('size,colour,kind\n1,red,c\n')).toBe('in/rows.csv line 2 column "kind": "c" is not one of this job\'s classes ("a", "b")')
    expect(await message('size,colour,kind\n1,red\n')).toBe('in/rows.csv line 2 has 2 values, but the header names 3 columns')
    // One bad file aborts the whole import: nothing from the good one comes back.
    const both = importTaskFiles([file('a.csv', bytes('size,colour,kind\n1,red,a\n')), file('b.csv', bytes('size,colour,kind\n1,red,z\n'))], format, 'crop', { decode: decodeTestPng })
    await expect(both).rejects.toThrow('b.csv line 2 column "kind": "z" is not one of this job\'s classes')
    expect((await failure(importTaskFiles([huge('big.csv', 257 * 2 ** 20)], format, 'crop', { decode: decodeTestPng }))).message).toBe('big.csv is 257 MiB, over the 256 MiB limit for one table file')
  })
})

describe('text for a text job', () => {
  it('tokenizes The Devil\'s Dictionary with the job\'s vocabulary into the windows the owner\'s import makes', async () => {
    const content = await readSharedFile('text/devils-dictionary.txt')
    const documents = readTextFile({ name: 'devils-dictionary.txt', bytes: content })
    const schema: TextSchema = { kind: 'text', tokens: 'characters', vocab: characterVocab(documents, 96), context: 64 }
    const format: SampleFormat = { kind: 'text', schema }
    const { samples } = await importTaskFiles([file('books/devils-dictionary.txt', content)], format, 'crop', { decode: decodeTestPng })
    const owners = textBlock(blockTask(format), tokenize(documents, schema, 'devils-dictionary.txt'))
    expect(samples.block.count).toBe(owners.count)
    expect(samples.block.x).toEqual(owners.x)
    expect(samples.block.y).toBeNull()
    expect(samples.sources[0]).toEqual({ file: 'books/devils-dictionary.txt', row: 1 })
    expect(samples.sources.at(-1)).toEqual({ file: 'books/devils-dictionary.txt', row: owners.count })
  })

  it('joins .txt, .md and JSONL text in path order; a window\'s source is the file it starts in', async () => {
    const schema: TextSchema = { kind: 'text', tokens: 'bytes', vocab: [], context: 4 }
    const files = [file('b.md', bytes('bbbbbbbbbb')), file('a.txt', bytes('aaaaaaaaaa')), file('c.jsonl', bytes('{"text": "cc"}\n{"text": "dd"}\n'))]
    const { samples } = await importTaskFiles(files, { kind: 'text', schema }, 'crop', { decode: decodeTestPng })
    // a (10) + "\n\n" + b (10) + "\n\n" + "cc\n\ndd" (6): 30 tokens; windows of 5 every 4 tokens, at 0 to 24; b starts at 12, c at 24.
    expect(samples.block.count).toBe(7)
    expect(samples.sources.map((s) => `${s.file}:${s.row}`)).toEqual(['a.txt:1', 'a.txt:2', 'a.txt:3', 'b.md:1', 'b.md:2', 'b.md:3', 'c.jsonl:1'])
    expect(new TextDecoder().decode(Uint8Array.from(samples.block.x.subarray(3 * 5, 4 * 5)))).toBe('bbbbb')
    expect(new TextDecoder().decode(Uint8Array.from(samples.block.x.subarray(6 * 5, 7 * 5)))).toBe('cc\n\nd')
  })

  it('counts a character outside the basic plane as one token when placing windows', async () => {
    const schema: TextSchema = { kind: 'text', tokens: 'characters', vocab: [UNKNOWN, 'a', 'b', '😀'], context: 2 }
    const { samples } = await importTaskFiles([file('1.txt', bytes('😀😀')), file('2.txt', bytes('bbbbbb'))], { kind: 'text', schema }, 'crop', { decode: decodeTestPng })
    // 2 + 2 ("\n\n") + 6 = 10 tokens, windows of 3 at 0, 2, 4 and 6; 2.txt starts at token 4 (at 6, were the emoji two each).
    expect(samples.sources.map((s) => `${s.file}:${s.row}`)).toEqual(['1.txt:1', '1.txt:2', '2.txt:1', '2.txt:2'])
    expect(Array.from(samples.block.x.subarray(0, 3))).toEqual([3, 3, 0])
  })

  it('refuses too little text, JSONL without text, and a file over the limit, naming the file', async () => {
    const schema: TextSchema = { kind: 'text', tokens: 'bytes', vocab: [], context: 8 }
    const format: SampleFormat = { kind: 'text', schema }
    const message = async (files: ImportFile[]) => (await failure(importTaskFiles(files, format, 'crop', { decode: decodeTestPng }))).message
    expect(await message([file('short.txt', bytes('tiny'))])).toBe('short.txt holds 4 tokens; one training window needs 9')
    expect(await message([file('a.txt', bytes('ab')), file('b.txt', bytes('cd'))])).toBe('the text of 2 files holds 6 tokens; one training window needs 9')
    expect(await message([file('rows.jsonl', bytes('{"text": "a long enough line"}\n{"a": 1, "b": 2}\n'))])).toBe('rows.jsonl line 2 must be an object with a "text" string')
    expect(await message([file('empty.md', bytes('  \n'))])).toBe('empty.md holds no text')
    expect(await message([huge('big.txt', 300 * 2 ** 20)])).toBe('big.txt is 300 MiB, over the 256 MiB limit for one text file')
  })
})

describe('what every import refuses', () => {
  const table: SampleFormat = { kind: 'tabular', schema: { kind: 'tabular', features: [{ name: 'x', kind: 'numeric' }], label: 'y', target: { kind: 'regression' } } }
  const text: SampleFormat = { kind: 'text', schema: { kind: 'text', tokens: 'bytes', vocab: [], context: 4 } }

  it('a file of another kind than the job takes, naming the file and what the job takes, before reading anything', async () => {
    const message = async (path: string, format: SampleFormat) => (await failure(importTaskFiles([huge(path, 10)], format, 'crop', { decode: decodeTestPng }))).message
    expect(await message('rows.csv', RGB)).toBe('rows.csv is a table, but this job\'s samples are 4×6 RGB images, 3 classes: it takes pictures (PNG, JPEG, BMP, GIF or WebP) in folders named after its classes')
    expect(await message('rows.jsonl', GRAY)).toMatch(/^rows.jsonl is a JSONL file, but this job's samples are 4×6 grayscale images, 3 classes/)
    expect(await message('train-images-idx3-ubyte.gz', GRAY)).toMatch(/^train-images-idx3-ubyte.gz is an IDX file, but this job's samples are 4×6 grayscale images/)
    expect(await message('cat/1.png', table)).toBe('cat/1.png is a picture, but this job\'s samples are table rows of 1 features predicting "y" (a number): it takes tables (CSV, TSV or JSONL) with its named columns')
    expect(await message('wine.csv', text)).toBe('wine.csv is a table, but this job\'s samples are byte-level text, 256 tokens, context 4: it takes text (.txt, .text, .md, or JSONL lines with a "text" string)')
    expect(await message('cat/1.jpg', text)).toMatch(/^cat\/1.jpg is a picture, but this job's samples are byte-level text/)
  })

  it('no files, or none of the job\'s kind', async () => {
    const none = await failure(importTaskFiles([], RGB, 'crop', { decode: decodeTestPng }))
    expect([none.code, none.message]).toEqual(['IMPORT_EMPTY', 'no files were given'])
    const notes = await failure(importTaskFiles([file('README.md', bytes('hi')), file('.DS_Store', bytes('x'))], RGB, 'crop', { decode: decodeTestPng }))
    expect([notes.code, notes.message]).toEqual(['IMPORT_EMPTY', 'none of the 2 files is data for this job, which takes pictures (PNG, JPEG, BMP, GIF or WebP) in folders named after its classes'])
  })

  it('stops on cancel with IMPORT_CANCELLED and returns nothing', async () => {
    const controller = new AbortController()
    const { files, decode } = pictures({ 'green/1.gif': solid(1, 1, 1, 4, 4), 'green/2.gif': solid(1, 1, 1, 4, 4), 'green/3.gif': solid(1, 1, 1, 4, 4) })
    const done: number[] = []
    const error = await failure(importTaskFiles(files, RGB, 'crop', { decode, signal: controller.signal, onProgress: (n) => (done.push(n), n === 1 && controller.abort()) }))
    expect([error.code, error.message, done]).toEqual(['IMPORT_CANCELLED', 'the import was cancelled; nothing was added', [1]])
    const tables = new AbortController()
    tables.abort()
    const before = await failure(importTaskFiles([file('a.csv', bytes('x,y\n1,2\n'))], table, 'crop', { decode: decodeTestPng, signal: tables.signal }))
    expect(before.code).toBe('IMPORT_CANCELLED')
  })

  it('refuses a picture its decoder says is empty or larger than a picture may be, naming it', async () => {
    const shaped = (width: number, height: number): RgbaImage => ({ width, height, data: new Uint8Array(Math.max(0, width * height * 4)) })
    const side = 8192
    for (const [width, height] of [[0, 4], [4, 0], [side + 1, 1], [1, side + 1], [2.5, 4]] as const) {
      const { files, decode } = pictures({ 'green/odd.bmp': shaped(width, height) })
      const error = await failure(importTaskFiles(files, RGB, 'stretch', { decode }))
      expect(error.message).toBe(`green/odd.bmp is ${width}×${height}; a picture is 1 to ${side} pixels a side`)
    }
    for (const [width, height] of [[1, 1], [side, 1], [1, side]] as const) {
      const { files, decode } = pictures({ 'green/ok.bmp': shaped(width, height) })
      expect((await importTaskFiles(files, RGB, 'stretch', { decode })).samples.block.count).toBe(1)
    }
  })
})

