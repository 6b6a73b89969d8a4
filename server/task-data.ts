// Task data from the shared datasets for the swarm's task tests and benchmarks, made the way an owner's import
// makes it: a table read with its named columns and the owner's label, statistics from the training rows only;
// colour pictures of the owner's own classes fitted to the job's size by the stated rule.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readNamedTable, type NamedTable } from '../src/data/tabular-read.ts'
import { inferTabularSchema } from '../src/data/tabular-schema.ts'
import { tabularSamples } from '../src/data/tabular-samples.ts'
import { tabularBlock, tabularTask, textBlock } from '../src/data/task-samples.ts'
import { characterVocab, readTextFile, tokenize } from '../src/data/text.ts'
import { makeBlock, type TaskBlock } from '../src/data/task-block.ts'
import type { ImageTask, TaskSpec } from '../src/data/task.ts'
import { fitImage, type FitRule } from '../src/data/resize.ts'
import type { LabelledImages } from '../src/data/labelled-images.ts'
import { seededRandom } from '../src/random.ts'
import { sharedDatasetsDir } from './fashion-mnist.ts'

export interface TaskData {
  task: TaskSpec
  train: TaskBlock
  test: TaskBlock
}

async function sharedFile(path: string): Promise<Uint8Array> {
  const full = join(sharedDatasetsDir(), path)
  try {
    return new Uint8Array(await readFile(full))
  } catch (error) {
    throw new Error(`${path} is missing at ${full}: get it as shared/datasets/README says (or set TESSERAE_DATASETS_DIR to the folder holding it)`, { cause: error })
  }
}

/** Every `every`-th row (from the first) is held out; the others train. */
function split(table: NamedTable, every: number): { train: NamedTable; test: NamedTable } {
  return { train: { ...table, rows: table.rows.filter((_, i) => i % every !== 0) }, test: { ...table, rows: table.rows.filter((_, i) => i % every === 0) } }
}

/** A table of the shared datasets as a task predicting `label`; the statistics come from the training rows. */
export async function tableTask(path: string, label: string, every = 5): Promise<TaskData> {
  const table = readNamedTable({ name: path, bytes: await sharedFile(path) })
  const schema = inferTabularSchema(table, { label })
  const parts = split(table, every)
  const train = tabularSamples(parts.train, schema)
  const test = tabularSamples(parts.test, schema)
  const task = tabularTask(schema, [train])
  return { task, train: tabularBlock(task, train), test: tabularBlock(task, test) }
}

/**
 * Fashion-MNIST pictures of a few classes as an owner's colour photos: each tinted a random colour, fitted to
 * `side`×`side` RGB by `fit`, with the owner's own class names. The model must tell the classes apart whatever
 * their colour.
 */
export function colourPictures(set: LabelledImages, picks: ReadonlyArray<{ label: number; name: string }>, options: { side: number; fit: FitRule; count: number; seed: number }): { task: ImageTask; block: TaskBlock } {
  const task: ImageTask = { kind: 'image', height: options.side, width: options.side, channels: 3, classes: picks.map((p) => p.name), fit: options.fit, normalisation: { mean: 0.2, std: 0.3 } }
  const random = seededRandom(options.seed)
  const per = 3 * options.side * options.side
  const x = new Uint8Array(options.count * per)
  const y = new Uint8Array(options.count)
  const size = set.height * set.width
  let n = 0
  for (let i = 0; i < set.count && n < options.count; i++) {
    const pick = picks.findIndex((p) => p.label === set.labels[i])
    if (pick === -1) continue
    const tint = [random(), random(), random()].map((c) => 0.3 + 0.7 * c)
    const rgba = new Uint8Array(size * 4)
    for (let p = 0; p < size; p++) {
      const v = set.pixels[i * size + p]!
      rgba[p * 4] = v * tint[0]!
      rgba[p * 4 + 1] = v * tint[1]!
      rgba[p * 4 + 2] = v * tint[2]!
      rgba[p * 4 + 3] = 255
    }
    x.set(fitImage({ width: set.width, height: set.height, data: rgba }, { height: options.side, width: options.side, channels: 3, fit: options.fit }), n * per)
    y[n++] = pick
  }
  return { task, block: makeBlock(task, x.subarray(0, n * per), y.subarray(0, n)) }
}

/**
 * A text of the shared datasets as a character-level language-modelling task: the vocabulary is the text's
 * `vocab - 1` most frequent characters; every `every`-th window is held out.
 */
export async function textTask(path: string, options: { vocab: number; context: number; every?: number }): Promise<TaskData & { characters: number }> {
  const documents = readTextFile({ name: path, bytes: await sharedFile(path) })
  const task: TaskSpec = { kind: 'text', schema: { kind: 'text', tokens: 'characters', vocab: characterVocab(documents, options.vocab), context: options.context } }
  const samples = tokenize(documents, task.schema, path)
  const all = textBlock(task, samples)
  const every = options.every ?? 10
  const per = all.perSample
  const pick = (keep: (i: number) => boolean) => {
    const windows = Array.from({ length: all.count }, (_, i) => i).filter(keep)
    const x = new Uint16Array(windows.length * per)
    windows.forEach((w, k) => x.set(all.x.subarray(w * per, (w + 1) * per), k * per))
    return makeBlock(task, x, null)
  }
  return { task, train: pick((i) => i % every !== 0), test: pick((i) => i % every === 0), characters: samples.characters }
}
