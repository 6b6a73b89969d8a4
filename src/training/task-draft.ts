// A job on the owner's own data: the owner's file (a table, a text, or pictures in class folders) and a few
// choices become the job's task, its model recipe, and the training and held-out samples, with what the
// model costs. Pure, so the form and the tests run the same rules; every problem is a sentence naming the
// file, the column or the choice to change.
import { fineTuneStart, type FineTuneMode } from '../graph/fine-tune.ts'
import type { ExportedModel } from '../graph/onnx/import-model.ts'
import type { FineTune } from './job.ts'
import { TesseraeError } from '../errors.ts'
import { buildModel, checkFitsPhone, modelCost, type ModelCost, type ModelSpec } from '../graph/model-spec.ts'
import type { ModelRecipe } from '../graph/model-recipe.ts'
import { DataFormatError } from '../data/errors.ts'
import { readNamedTable, type NamedTable } from '../data/tabular-read.ts'
import { inferTabularSchema, summariseColumns, type ColumnSummary } from '../data/tabular-schema.ts'
import { tabularSamples } from '../data/tabular-samples.ts'
import { tabularBlock, tabularTask, textBlock } from '../data/task-samples.ts'
import { characterVocab, readTextFile, tokenize } from '../data/text.ts'
import { makeBlock, type TaskBlock } from '../data/task-block.ts'
import { IMAGE_SIDE, taskInput, taskOutputs, type TaskSpec } from '../data/task.ts'
import { fitImage, type FitRule, type RgbaImage } from '../data/resize.ts'
import type { TableFile } from '../data/table.ts'

/** The owner's data as read, before any choice. */
export type OwnData =
  | { kind: 'table'; table: NamedTable; columns: ColumnSummary[] }
  | { kind: 'text'; file: string; documents: string[] }
  | { kind: 'images'; pictures: ReadonlyArray<{ file: string; className: string; image: RgbaImage }> }

export interface TaskChoices {
  /** Tables: the column to predict, whether it is a class or a number, and columns to leave out. */
  label?: string
  target?: 'classification' | 'regression'
  ignore?: string[]
  /** Text: characters (the text's most frequent, up to `vocab`) or UTF-8 bytes, and the context in tokens. */
  tokens?: 'characters' | 'bytes'
  vocab?: number
  context?: number
  /** Pictures: the size and channels the model sees, and how a picture of another shape is fitted. */
  height?: number
  width?: number
  channels?: 1 | 3
  fit?: FitRule
  model: ModelSpec
  /** Rows per engine run on a volunteer's device: the memory check's batch. */
  microBatch: number
  /** Start from an exported model (its spec replaces `model`): continue it, or a new head on its body. */
  start?: { file: ExportedModel; mode: FineTuneMode }
}

export interface TaskJob {
  task: TaskSpec
  recipe: ModelRecipe
  train: TaskBlock
  test: TaskBlock
  cost: ModelCost
  /** The starting parameters and fine-tuning settings, for a job started from an exported model. */
  start?: { params: Map<string, Float32Array>; fineTune: Omit<FineTune, 'paramsCid'> }
}

/** Every `HOLD_OUT`-th sample (windows of text: every 2 × HOLD_OUT-th) is held out to score the job. */
export const HOLD_OUT = 5
/**
 * A task's description (schema, categories, vocabulary, statistics) travels in every job announcement, which
 * holds at most 128 KiB with the shard list: the task may take half.
 */
export const MAX_TASK_BYTES = 64 * 1024
/** Pictures one job may start with (each is decoded in the page). */
export const MAX_PICTURES = 20_000

const fail = (problem: string): never => {
  throw new TesseraeError('BAD_TASK', problem)
}

/** Reads the owner's table or text file; JSONL is text when every line has a "text" string, else a table. */
export function readOwnFile(file: TableFile): OwnData {
  const name = file.name.toLowerCase()
  if (name.endsWith('.txt')) return { kind: 'text', file: file.name, documents: readTextFile(file) }
  if (name.endsWith('.jsonl')) {
    const text = new TextDecoder().decode(file.bytes)
    const lines = text.split('\n').filter((l) => l.trim() !== '')
    const isText = lines.length > 0 && lines.every((l) => /^\s*\{/.test(l) && /"text"\s*:/.test(l))
    if (isText) return { kind: 'text', file: file.name, documents: readTextFile(file) }
  } else if (!/\.(csv|tsv)$/.test(name)) throw new DataFormatError(file.name, 'is not a table (.csv, .tsv, .jsonl) or a text (.txt, .jsonl of {"text": …}); pictures are chosen as a folder of class folders')
  const table = readNamedTable(file)
  return { kind: 'table', table, columns: summariseColumns(table) }
}

function split(count: number, every: number): { train: number[]; test: number[] } {
  const train: number[] = []
  const test: number[] = []
  for (let i = 0; i < count; i++) (i % every === 0 ? test : train).push(i)
  return { train, test }
}

function pick(task: TaskSpec, block: TaskBlock, indices: readonly number[]): TaskBlock {
  const per = block.perSample
  const x = new (block.x.constructor as new (n: number) => TaskBlock['x'])(indices.length * per)
  const y = block.y ? new (block.y.constructor as new (n: number) => NonNullable<TaskBlock['y']>)(indices.length) : null
  indices.forEach((i, k) => {
    x.set(block.x.subarray(i * per, (i + 1) * per) as never, k * per)
    if (y) y[k] = block.y![i]!
  })
  return makeBlock(task, x, y)
}

/** The task and its training and held-out samples the owner's data and choices describe (no model yet). */
export function ownTaskData(data: OwnData, choices: Omit<TaskChoices, 'model' | 'microBatch'>): { task: TaskSpec; train: TaskBlock; test: TaskBlock } {
  if (data.kind === 'table') {
    if (!choices.label) fail('choose the column to predict')
    const schema = inferTabularSchema(data.table, { label: choices.label!, target: choices.target, ignore: choices.ignore })
    const parts = split(data.table.rows.length, HOLD_OUT)
    if (data.table.rows.length < HOLD_OUT + 1) fail(`${data.table.file} has ${data.table.rows.length} rows; a job needs at least ${HOLD_OUT + 1} to train on some and score on others`)
    const rows = (indices: number[]) => tabularSamples({ ...data.table, rows: indices.map((i) => data.table.rows[i]!) }, schema)
    const train = rows(parts.train)
    const test = rows(parts.test)
    // The statistics come from the training rows only: the held-out rows score the job as new data would.
    const task = tabularTask(schema, [train])
    return { task, train: tabularBlock(task, train), test: tabularBlock(task, test) }
  }
  if (data.kind === 'text') {
    const context = choices.context ?? 64
    const tokens = choices.tokens ?? 'characters'
    const schema = tokens === 'bytes' ? { kind: 'text' as const, tokens, vocab: [], context } : { kind: 'text' as const, tokens, vocab: characterVocab(data.documents, choices.vocab ?? 96), context }
    if (!(Number.isInteger(context) && context >= 2 && context <= 1024)) fail(`a context is 2 to 1024 tokens, not ${context}`)
    const task: TaskSpec = { kind: 'text', schema }
    const all = textBlock(task, tokenize(data.documents, schema, data.file))
    const parts = split(all.count, 2 * HOLD_OUT)
    if (parts.train.length < 1 || parts.test.length < 1) fail(`${data.file} holds ${all.count} windows of ${context + 1} tokens; a job needs at least 2 (one to train on, one to score on): use a shorter context or more text`)
    return { task, train: pick(task, all, parts.train), test: pick(task, all, parts.test) }
  }
  const height = choices.height ?? 32
  const width = choices.width ?? 32
  const channels = choices.channels ?? 3
  if (![height, width].every((s) => Number.isInteger(s) && s >= IMAGE_SIDE.min && s <= IMAGE_SIDE.max)) fail(`pictures are ${IMAGE_SIDE.min} to ${IMAGE_SIDE.max} pixels a side, not ${height}×${width}`)
  if (data.pictures.length > MAX_PICTURES) fail(`${data.pictures.length} pictures are more than the ${MAX_PICTURES} a job starts with`)
  const classes = [...new Set(data.pictures.map((p) => p.className))].sort()
  if (classes.length < 2) fail(`the pictures are in ${classes.length} class folder${classes.length === 1 ? '' : 's'}; a job needs at least 2 (one folder per class, named as the class)`)
  const tooLong = classes.find((c) => c.length > 64 || c.trim() === '')
  if (tooLong !== undefined) fail(`the class folder "${tooLong.slice(0, 40)}" needs a name of 1 to 64 characters`)
  const task: TaskSpec = { kind: 'image', height, width, channels, classes, fit: choices.fit ?? 'crop', normalisation: { mean: 0.5, std: 0.25 } }
  const per = channels * height * width
  const x = new Uint8Array(data.pictures.length * per)
  const y = new Uint8Array(data.pictures.length)
  data.pictures.forEach((p, i) => {
    x.set(fitImage(p.image, { height, width, channels, fit: task.fit }), i * per)
    y[i] = classes.indexOf(p.className)
  })
  // Pixel statistics of what the model sees: inputs are standardised by them.
  // The spread around the mean (two passes); pictures of one shade have none and keep 1, decided on the bytes:
  // a rounding residue of about 1e-8 would otherwise blow every input up.
  let sum = 0
  for (const v of x) sum += v / 255
  const mean = sum / x.length
  let squares = 0
  for (const v of x) squares += (v / 255 - mean) ** 2
  const flat = x.every((v) => v === x[0])
  task.normalisation = { mean, std: flat ? 1 : Math.sqrt(squares / x.length) }
  const all = makeBlock(task, x, y)
  const parts = split(all.count, HOLD_OUT)
  if (all.count < HOLD_OUT + 1) fail(`${all.count} pictures are too few; a job needs at least ${HOLD_OUT + 1} to train on some and score on others`)
  return { task, train: pick(task, all, parts.train), test: pick(task, all, parts.test) }
}

/** The job the owner's data and choices describe, or a TesseraeError / DataFormatError saying what to change. */
export function buildTaskJob(data: OwnData, choices: TaskChoices): TaskJob {
  const { task, train, test } = ownTaskData(data, choices)
  const taskBytes = new TextEncoder().encode(JSON.stringify(task)).length
  if (taskBytes > MAX_TASK_BYTES) fail(`the task's description (columns, categories, vocabulary and statistics) is ${Math.ceil(taskBytes / 1024)} KiB, more than the ${MAX_TASK_BYTES / 1024} KiB a job announcement can carry: leave out columns with many categories, or use a smaller vocabulary`)
  const { outputs, objective } = taskOutputs(task)
  // A new head starts from a fixed seed: its starting values are recorded with the rest under one content id.
  const started = choices.start ? fineTuneStart(choices.start.file, { input: taskInput(task), outputs, objective }, choices.start.mode, 1) : null
  const recipe: ModelRecipe = started?.recipe ?? { spec: choices.model, input: taskInput(task), outputs, objective }
  const model = buildModel(recipe.spec, recipe.input, outputs, objective)
  const cost = modelCost(model, choices.microBatch)
  checkFitsPhone(cost)
  if (!started || !choices.start) return { task, recipe, train, test, cost }
  const { id, name, version } = choices.start.file.job
  return { task, recipe, train, test, cost, start: { params: started.params, fineTune: { from: { job: id, name, version }, bodyLayers: started.bodyLayers, bodyScale: started.bodyScale } } }
}
