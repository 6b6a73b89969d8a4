// The owner's own data to a job: a table with the owner's label, a text, pictures in class folders, each with
// a model from a spec, a held-out split, statistics from the training part only, and a clear refusal of
// every choice that cannot work.
import { describe, expect, it } from 'vitest'
import { buildTaskJob, HOLD_OUT, readOwnFile, type OwnData } from './task-draft.ts'
import { readSharedFile } from '../data/testing/shared-files.ts'
import type { RgbaImage } from '../data/resize.ts'

const bytes = (text: string) => new TextEncoder().encode(text)

describe('a job from the owner\'s own data', () => {
  it('Wine: the owner\'s label column, 4 of 5 rows to train and the 5th held out, statistics from the training rows', async () => {
    const data = readOwnFile({ name: 'wine.csv', bytes: await readSharedFile('tabular/wine.csv') })
    expect(data.kind).toBe('table')
    if (data.kind !== 'table') return
    expect(data.columns.map((c) => c.name)).toContain('cultivar')
    const job = buildTaskJob(data, { label: 'cultivar', model: { kind: 'mlp', hidden: [32] }, microBatch: 16 })
    expect([job.train.count, job.test.count]).toEqual([142, 36])
    expect(job.recipe).toEqual({ spec: { kind: 'mlp', hidden: [32] }, input: { kind: 'vector', width: 13 }, outputs: 3, objective: 'classes' })
    expect(job.cost.parameters).toBe(13 * 32 + 32 + 32 * 3 + 3)
    if (job.task.kind !== 'tabular') throw new Error('a table task')
    // The first feature's mean over the training rows only (every row whose index is not a multiple of 5).
    const first = new TextDecoder().decode(await readSharedFile('tabular/wine.csv')).trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]))
    const trainRows = first.filter((_, i) => i % HOLD_OUT !== 0)
    expect(job.task.stats.features[0]!.mean).toBeCloseTo(trainRows.reduce((a, b) => a + b, 0) / trainRows.length, 5)
    expect(Array.from(job.test.x.subarray(0, 1))).toEqual([Math.fround(first[0]!)])
  })

  it('a regression on a number column, leaving another out', () => {
    const rows = Array.from({ length: 20 }, (_, i) => `${i},${i % 3 === 0 ? 'red' : 'blue'},${2 * i + 1},id${i}`)
    const data = readOwnFile({ name: 'houses.csv', bytes: bytes(['rooms,colour,price,id', ...rows].join('\n')) })
    const job = buildTaskJob(data, { label: 'price', target: 'regression', ignore: ['id'], model: { kind: 'mlp', hidden: [4] }, microBatch: 4 })
    expect(job.recipe).toMatchObject({ input: { kind: 'vector', width: 3 }, outputs: 1, objective: 'values' })
    expect(job.task.kind === 'tabular' && job.task.target !== null).toBe(true)
  })

  it('a text: character windows, a tenth of them held out', async () => {
    const data = readOwnFile({ name: 'devils-dictionary.txt', bytes: await readSharedFile('text/devils-dictionary.txt') })
    const job = buildTaskJob(data, { tokens: 'characters', vocab: 96, context: 64, model: { kind: 'transformer', layers: 2, width: 64, heads: 4 }, microBatch: 8 })
    // The text has 84 different characters: the vocabulary holds them all and the unknown token.
    expect(job.recipe.input).toEqual({ kind: 'tokens', vocab: 85, context: 64 })
    expect(job.test.count).toBe(Math.ceil((job.train.count + job.test.count) / (2 * HOLD_OUT)))
    const jsonl = readOwnFile({ name: 'notes.jsonl', bytes: bytes('{"text": "a first note, long enough"}\n{"text": "and a second one"}\n') })
    expect(jsonl.kind).toBe('text')
    expect(readOwnFile({ name: 'rows.jsonl', bytes: bytes('{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n') }).kind).toBe('table')
  })

  it('pictures in class folders: the owner\'s class names, fitted to the chosen size and channels', () => {
    const picture = (r: number, g: number, b: number, w = 10, h = 6): RgbaImage => ({ width: w, height: h, data: Uint8Array.from({ length: w * h * 4 }, (_, i) => [r, g, b, 255][i % 4]!) })
    const pictures = Array.from({ length: 12 }, (_, i) => ({ file: `p${i}.png`, className: i % 2 ? 'red_dots' : 'blue_stripes', image: i % 2 ? picture(255, 0, 0) : picture(0, 0, 255, 6, 10) }))
    const data: OwnData = { kind: 'images', pictures }
    const job = buildTaskJob(data, { height: 8, width: 12, channels: 3, fit: 'pad', model: { kind: 'cnn', channels: [4], dense: 8 }, microBatch: 4 })
    expect(job.task).toMatchObject({ kind: 'image', height: 8, width: 12, channels: 3, classes: ['blue_stripes', 'red_dots'], fit: 'pad' })
    expect([job.train.count, job.test.count]).toEqual([9, 3])
    // Sample 1 (held-in) is red: its red channel is lit where the picture lands, its blue channel dark.
    const red = job.train.x.subarray(0, 3 * 96)
    expect(Math.max(...red.subarray(0, 96))).toBe(255)
    expect(Math.max(...red.subarray(192, 288))).toBe(0)
    expect(job.train.y![0]).toBe(1)
    expect(() => buildTaskJob({ kind: 'images', pictures: pictures.map((p) => ({ ...p, className: 'all' })) }, { model: { kind: 'cnn', channels: [4], dense: 8 }, microBatch: 4 })).toThrow('the pictures are in 1 class folder; a job needs at least 2')
    expect(() => buildTaskJob(data, { height: 300, width: 12, model: { kind: 'cnn', channels: [4], dense: 8 }, microBatch: 4 })).toThrow('pictures are 4 to 256 pixels a side, not 300×12')
  })

  it('refuses what cannot work, naming what to change', async () => {
    const wine = readOwnFile({ name: 'wine.csv', bytes: await readSharedFile('tabular/wine.csv') })
    expect(() => buildTaskJob(wine, { model: { kind: 'mlp', hidden: [8] }, microBatch: 4 })).toThrow('choose the column to predict')
    expect(() => buildTaskJob(wine, { label: 'grape', model: { kind: 'mlp', hidden: [8] }, microBatch: 4 })).toThrow('wine.csv has no column named "grape" to predict')
    expect(() => buildTaskJob(wine, { label: 'cultivar', model: { kind: 'transformer', layers: 1, width: 16, heads: 2 }, microBatch: 4 })).toThrow('a transformer reads tokens; this task\'s input is a feature vector')
    expect(() => buildTaskJob(wine, { label: 'cultivar', model: { kind: 'mlp', hidden: [4096, 4096, 4096] }, microBatch: 64 })).toThrow('more than the 256 MiB a phone\'s tab can give')
    expect(() => readOwnFile({ name: 'photo.png', bytes: new Uint8Array(4) })).toThrow('photo.png is not a table (.csv, .tsv, .jsonl) or a text (.txt, .jsonl of {"text": …})')
    const tiny = readOwnFile({ name: 'tiny.csv', bytes: bytes('a,b\n1,x\n2,y\n3,x\n') })
    expect(() => buildTaskJob(tiny, { label: 'b', model: { kind: 'mlp', hidden: [2] }, microBatch: 1 })).toThrow('tiny.csv has 3 rows; a job needs at least 6')
    // 40 text columns of 200 different 40-character values each: the categories alone are over 300 KiB.
    const wide = Array.from({ length: 200 }, (_, r) => [...Array.from({ length: 40 }, (_, c) => `column ${c} value ${r} ${'x'.repeat(20)}`), r % 2].join(','))
    const many = readOwnFile({ name: 'wide.csv', bytes: bytes([[...Array.from({ length: 40 }, (_, c) => `c${c}`), 'y'].join(','), ...wide].join('\n')) })
    expect(() => buildTaskJob(many, { label: 'y', model: { kind: 'mlp', hidden: [2] }, microBatch: 1 })).toThrow(/^the task's description \(columns, categories, vocabulary and statistics\) is \d+ KiB, more than the 64 KiB a job announcement can carry/)
    const short = readOwnFile({ name: 'short.txt', bytes: bytes('just a few words here') })
    expect(() => buildTaskJob(short, { context: 16, model: { kind: 'transformer', layers: 1, width: 16, heads: 2 }, microBatch: 1 })).toThrow('short.txt holds 1 windows of 17 tokens; a job needs at least 2')
    expect(() => buildTaskJob(short, { context: 1, model: { kind: 'transformer', layers: 1, width: 16, heads: 2 }, microBatch: 1 })).toThrow('a context is 2 to 1024 tokens, not 1')
  })
})
