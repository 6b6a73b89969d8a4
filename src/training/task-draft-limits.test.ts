// The owner's own task at its limits: which .jsonl files are a text and which a table, the fewest rows, windows
// and pictures a job takes, the context, picture sizes, class folders and description size at and one past each bound.
import { describe, expect, it } from 'vitest'
import { buildTaskJob, MAX_PICTURES, MAX_TASK_BYTES, ownTaskData, readOwnFile, type OwnData, type TaskChoices } from './task-draft.ts'
import { TesseraeError } from '../errors.ts'
import { IMAGE_SIDE } from '../data/task.ts'
import { UNKNOWN } from '../data/text.ts'
import type { RgbaImage } from '../data/resize.ts'

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (documents: string[], file = 'notes.txt'): OwnData => ({ kind: 'text', file, documents })
/** A picture of one colour: every pixel (value, value, value), opaque. */
const uniform = (value: number, side = 4): RgbaImage => ({ width: side, height: side, data: Uint8Array.from({ length: side * side * 4 }, (_, i) => (i % 4 === 3 ? 255 : value)) })
const grey = uniform(128)
/** `count` grey pictures alternating between the classes "cats" and "dogs". */
const pictures = (count: number): OwnData => ({ kind: 'images', pictures: Array.from({ length: count }, (_, i) => ({ file: `p${i}.png`, className: i % 2 ? 'dogs' : 'cats', image: grey })) })
const inClasses = (...classNames: string[]): OwnData => ({ kind: 'images', pictures: Array.from({ length: 6 }, (_, i) => ({ file: `p${i}.png`, className: classNames[i % classNames.length]!, image: grey })) })
const small = { height: 4, width: 4, channels: 1 } as const

describe('which .jsonl file is a text', () => {
  const read = (lines: string) => readOwnFile({ name: 'notes.jsonl', bytes: bytes(lines) })

  it('a text when every line is an object with "text", however it is spaced; blank lines do not count', () => {
    expect(read('  {"text": "indented"}\n\t{"text": "tabbed"}\n')).toEqual({ kind: 'text', file: 'notes.jsonl', documents: ['indented', 'tabbed'] })
    expect(read('{"text" : "a space before the colon"}\n')).toMatchObject({ kind: 'text', documents: ['a space before the colon'] })
    expect(read('{"text": "first"}\n   \n\t\n{"text": "second"}\n')).toMatchObject({ kind: 'text', documents: ['first', 'second'] })
  })

  it('a table when one line has no "text": its keys are the columns', () => {
    const data = read('{"text": "a", "n": 1}\n{"title": "b", "n": 2}\n')
    expect(data.kind).toBe('table')
    if (data.kind === 'table') expect(data.table.columns).toEqual(['text', 'n', 'title'])
  })

  it('a line that is a list is not a text: it is refused as a table row', () => {
    expect(() => read('[{"text": "in a list"}]\n')).toThrow('notes.jsonl line 1 must be a JSON object whose keys name the columns')
  })

  it('a file of blank lines is an empty table, not an empty text', () => {
    expect(() => read('\n  \n\n')).toThrow('notes.jsonl holds no rows')
  })

  it('only a name ending in .csv or .tsv is a table', () => {
    expect(() => readOwnFile({ name: 'rows.csv.bak', bytes: bytes('a,b\n1,2\n') })).toThrow('rows.csv.bak is not a table (.csv, .tsv, .jsonl) or a text (.txt, .jsonl of {"text": …}); pictures are chosen as a folder of class folders')
    expect(() => readOwnFile({ name: 'rows.tsvx', bytes: bytes('a\tb\n1\t2\n') })).toThrow('rows.tsvx is not a table')
    expect(readOwnFile({ name: 'rows.TSV', bytes: bytes('a\tb\n1\t2\n') }).kind).toBe('table')
  })
})

describe('the fewest samples a job takes', () => {
  const table = (rows: number) => readOwnFile({ name: 'few.csv', bytes: bytes(['size,kind', ...Array.from({ length: rows }, (_, i) => `${i},${i % 2 ? 'big' : 'small'}`)].join('\n')) })

  it('a table of 6 rows: 4 to train on and 2 held out; 5 rows are refused', () => {
    const { train, test } = ownTaskData(table(6), { label: 'kind' })
    expect([train.count, test.count]).toEqual([4, 2])
    expect(() => ownTaskData(table(5), { label: 'kind' })).toThrow('few.csv has 5 rows; a job needs at least 6 to train on some and score on others')
  })

  it('a text of two windows: one to train on, one to score on; one window is refused', () => {
    const two = ownTaskData(text(['abcdefghijklmnopqrstuvwxyz0123456']), { context: 16 })
    expect([two.train.count, two.test.count]).toEqual([1, 1])
    // The held-out window is the first: the text's first 17 characters.
    expect(Array.from(two.test.x).map((t) => two.task.kind === 'text' && two.task.schema.vocab[t])).toEqual([...'abcdefghijklmnopq'])
    expect(() => ownTaskData(text(['abcdefghijklmnopqrstuvwxyz012345']), { context: 16 })).toThrow('notes.txt holds 1 windows of 17 tokens; a job needs at least 2 (one to train on, one to score on): use a shorter context or more text')
  })

  it('pictures: as for table rows, 6 are the fewest a job takes, and the refusal says so', () => {
    expect(() => ownTaskData(pictures(2), small)).toThrow('2 pictures are too few; a job needs at least 6 to train on some and score on others')
    expect(() => ownTaskData(pictures(5), small)).toThrow('5 pictures are too few; a job needs at least 6')
    expect(ownTaskData(pictures(6), small).train.count).toBe(4)
  })
})

describe('a text\'s tokens and context', () => {
  const fox = 'a quick brown fox jumps over the lazy dog. '.repeat(50)

  it('a context of 2 to 1024 tokens, a whole number', () => {
    expect(ownTaskData(text(['abcde']), { context: 2 }).train.count).toBe(1)
    // 1024 tokens need 2 × 1024 + 1 characters for two windows.
    const long = ownTaskData(text([fox.slice(0, 2049)]), { context: 1024 })
    expect([long.train.count, long.test.count, long.train.perSample]).toEqual([1, 1, 1025])
    for (const context of [1, 1025, 2.5, 0]) expect(() => ownTaskData(text([fox]), { context })).toThrow(`a context is 2 to 1024 tokens, not ${context}`)
  })

  it('UTF-8 bytes: no vocabulary in the task, 256 tokens in the model, a character of two bytes is two tokens', () => {
    const data = text(['héllo wörld, '.repeat(4)])
    const { task, test } = ownTaskData(data, { tokens: 'bytes', context: 8 })
    expect(task).toEqual({ kind: 'text', schema: { kind: 'text', tokens: 'bytes', vocab: [], context: 8 } })
    expect(Array.from(test.x.subarray(0, 9))).toEqual(Array.from(bytes('héllo wörld').subarray(0, 9)))
    const job = buildTaskJob(data, { tokens: 'bytes', context: 8, model: { kind: 'transformer', layers: 1, width: 16, heads: 2 }, microBatch: 1 })
    expect(job.recipe.input).toEqual({ kind: 'tokens', vocab: 256, context: 8 })
  })

  it('characters: the 95 most frequent and the unknown token unless the owner chooses another size', () => {
    // 200 different characters: the first 95 twice, the others once.
    const chars = Array.from({ length: 200 }, (_, i) => String.fromCodePoint(0x100 + i))
    const data = text([chars.slice(0, 95).join('') + chars.join('')])
    const vocab = (choices: { vocab?: number }) => {
      const { task } = ownTaskData(data, { context: 8, ...choices })
      return task.kind === 'text' ? task.schema.vocab : []
    }
    // In code-point order after the unknown token.
    expect(vocab({})).toEqual([UNKNOWN, ...chars.slice(0, 95)])
    expect(vocab({ vocab: 40 })).toEqual([UNKNOWN, ...chars.slice(0, 39)])
  })
})

describe('pictures at their limits', () => {
  it(`sides of ${IMAGE_SIDE.min} to ${IMAGE_SIDE.max} pixels, whole numbers`, () => {
    const { task, train } = ownTaskData(pictures(6), { height: IMAGE_SIDE.min, width: IMAGE_SIDE.max, channels: 1 })
    expect(task).toMatchObject({ height: 4, width: 256 })
    expect(train.perSample).toBe(4 * 256)
    expect(ownTaskData(pictures(6), { height: 256, width: 4, channels: 1 }).train.perSample).toBe(256 * 4)
    for (const [height, width] of [[3, 4], [4, 3], [257, 4], [4, 257], [4.5, 4], [4, 31.5]] as const)
      expect(() => ownTaskData(pictures(6), { height, width })).toThrow(`pictures are 4 to 256 pixels a side, not ${height}×${width}`)
  })

  it(`at most ${MAX_PICTURES} pictures`, () => {
    expect(() => ownTaskData(pictures(MAX_PICTURES + 1), small)).toThrow('20001 pictures are more than the 20000 a job starts with')
    const { train, test } = ownTaskData(pictures(MAX_PICTURES), small)
    expect(train.count + test.count).toBe(MAX_PICTURES)
  })

  it('classes in name order, whatever the order of the folders', () => {
    const { task, train, test } = ownTaskData(inClasses('zebras', 'ants'), small)
    expect(task).toMatchObject({ classes: ['ants', 'zebras'] })
    // Pictures 0, 2, 4 are zebras (class 1), 1, 3, 5 ants (class 0); 0 and 5 are held out.
    expect(Array.from(train.y!)).toEqual([0, 1, 0, 1])
    expect(Array.from(test.y!)).toEqual([1, 0])
  })

  it('two class folders or more, each named with 1 to 64 characters', () => {
    expect(() => ownTaskData({ kind: 'images', pictures: [] }, small)).toThrow('the pictures are in 0 class folders; a job needs at least 2 (one folder per class, named as the class)')
    expect(() => ownTaskData(inClasses('cats'), small)).toThrow('the pictures are in 1 class folder; a job needs at least 2 (one folder per class, named as the class)')
    const longest = 'a'.repeat(40) + 'b'.repeat(24)
    expect(ownTaskData(inClasses('cats', longest), small).task).toMatchObject({ classes: [longest, 'cats'] })
    expect(() => ownTaskData(inClasses('cats', `${longest}c`), small)).toThrow(`the class folder "${'a'.repeat(40)}" needs a name of 1 to 64 characters`)
    expect(() => ownTaskData(inClasses('cats', '   '), small)).toThrow('the class folder "   " needs a name of 1 to 64 characters')
  })

  it('a refusal carries the code the page turns into words', () => {
    let refusal: unknown
    try {
      ownTaskData(inClasses('cats'), small)
    } catch (error) {
      refusal = error
    }
    expect(refusal).toBeInstanceOf(TesseraeError)
    expect((refusal as TesseraeError).code).toBe('BAD_TASK')
  })

  it('inputs are standardised by the mean and spread of every pixel the model sees', () => {
    // Six pictures of one shade each, 0, 51, …, 255: as fractions of 255, 0, 0.2, …, 1.
    const shades = [0, 51, 102, 153, 204, 255]
    const data: OwnData = { kind: 'images', pictures: shades.map((v, i) => ({ file: `p${i}.png`, className: i % 2 ? 'light' : 'dark', image: uniform(v) })) }
    const { task, train, test } = ownTaskData(data, { height: 4, width: 4, channels: 3 })
    const fractions = shades.map((v) => v / 255)
    const mean = fractions.reduce((a, b) => a + b, 0) / 6
    const std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / 6)
    if (task.kind !== 'image') throw new Error('a picture task')
    expect(task.normalisation.mean).toBeCloseTo(0.5, 12)
    expect(task.normalisation.std).toBeCloseTo(std, 12)
    // Each sample is its own picture's 3 × 4 × 4 values: pictures 1 to 4 to train on, 0 and 5 held out.
    expect(Array.from(train.x)).toEqual([51, 102, 153, 204].flatMap((v) => Array<number>(48).fill(v)))
    expect(Array.from(test.x)).toEqual([0, 255].flatMap((v) => Array<number>(48).fill(v)))
    const flat = ownTaskData({ kind: 'images', pictures: data.kind === 'images' ? data.pictures.map((p) => ({ ...p, image: uniform(255) })) : [] }, small).task
    // Pictures that do not spread keep a spread of 1: standardising them only shifts them.
    expect(flat.kind === 'image' && flat.normalisation).toEqual({ mean: 1, std: 1 })
    // Of any shade: one pass (mean of squares less the squared mean) would leave a rounding residue of about
    // 3e-8 for 102 here, and standardising by it would blow every input up.
    for (const shade of [1, 102, 137, 254]) {
      const one = ownTaskData({ kind: 'images', pictures: data.kind === 'images' ? data.pictures.map((p) => ({ ...p, image: uniform(shade) })) : [] }, small).task
      expect(one.kind === 'image' && one.normalisation.std, String(shade)).toBe(1)
    }
  })
})

describe('the task\'s description fits a job announcement', () => {
  // Five columns of 256 different categories each (the most a column may have), every category's length chosen.
  const COLUMNS = 5
  const ROWS = 256
  const table = (length: (cell: number) => number) => {
    const header = [...Array.from({ length: COLUMNS }, (_, c) => `c${c}`), 'y'].join(',')
    const rows = Array.from({ length: ROWS }, (_, r) => [...Array.from({ length: COLUMNS }, (_, c) => `${c}-${r}-`.padEnd(length(r * COLUMNS + c), 'x')), r % 2].join(','))
    return readOwnFile({ name: 'wide.csv', bytes: bytes([header, ...rows].join('\n')) })
  }
  const descriptionBytes = (data: OwnData) => bytes(JSON.stringify(ownTaskData(data, { label: 'y' }).task)).length
  const choices: TaskChoices = { label: 'y', model: { kind: 'mlp', hidden: [2] }, microBatch: 1 }

  it('64 KiB is carried; one byte more is refused, with its size in KiB rounded up', () => {
    // Each category's character is one byte of the description: lengthen the categories to reach 64 KiB exactly.
    const missing = MAX_TASK_BYTES - descriptionBytes(table(() => 40))
    const cells = COLUMNS * ROWS
    const exact = (cell: number) => 40 + Math.floor(missing / cells) + (cell < missing % cells ? 1 : 0)
    expect(missing).toBeGreaterThan(0)
    expect(exact(0)).toBeLessThanOrEqual(64)
    const atLimit = table(exact)
    expect(descriptionBytes(atLimit)).toBe(MAX_TASK_BYTES)
    expect(buildTaskJob(atLimit, choices).recipe.input).toEqual({ kind: 'vector', width: COLUMNS * ROWS })
    const over = table((cell) => exact(cell) + (cell === cells - 1 ? 1 : 0))
    expect(descriptionBytes(over)).toBe(MAX_TASK_BYTES + 1)
    expect(() => buildTaskJob(over, choices)).toThrow('the task\'s description (columns, categories, vocabulary and statistics) is 65 KiB, more than the 64 KiB a job announcement can carry: leave out columns with many categories, or use a smaller vocabulary')
  })
})
