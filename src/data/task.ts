// A job's task as data: what one sample is (an image of the owner's size and channels with the owner's class
// names, a table row of named features, or a window of text), how it is encoded for a model, and what the
// model predicts. Import, shard blocks, batches, models, metrics and the use page all follow from this one
// value, which a job carries to every peer (decodeTask, strict).
import { DecodeError } from '../errors.ts'
import { asObject, readInteger, readNumber, readString, readStringArray, type JsonObject } from '../schema.ts'
import type { InputSpec } from '../graph/model-spec.ts'
import { MAX_CLASSES } from './samples.ts'
import type { FitRule } from './resize.ts'
import { decodeTabularSchema, encodedWidth, type TabularSchema } from './tabular-schema.ts'
import type { FeatureStats } from './tabular-samples.ts'
import { decodeTextSchema, vocabSize, type TextSchema } from './text.ts'
import { MAX_NAME_CHARS } from './tabular-read.ts'

export interface Standardisation {
  mean: number
  std: number
}

export interface ImageTask {
  kind: 'image'
  height: number
  width: number
  /** 1: grayscale (luminance); 3: RGB, channel-major. */
  channels: 1 | 3
  /** Class names in label order. */
  classes: string[]
  /** How a contributed picture of another shape becomes this size (resize.ts). */
  fit: FitRule
  /** Pixel statistics after scaling to [0, 1]: inputs are (p / 255 − mean) / std. */
  normalisation: Standardisation
}

export interface TabularTask {
  kind: 'tabular'
  schema: TabularSchema
  /** Feature statistics from the job's accepted data, versioned with the model (the use page encodes with them). */
  stats: FeatureStats
  /** Regression only: the label's statistics; the model predicts (value − mean) / std. */
  target: Standardisation | null
}

export interface TextTask {
  kind: 'text'
  schema: TextSchema
}

export type TaskSpec = ImageTask | TabularTask | TextTask

export const IMAGE_FITS: readonly FitRule[] = ['crop', 'pad', 'stretch']
/** An image task's side, in pixels: small enough for a phone to train, large enough for a photo's gist. */
export const IMAGE_SIDE = { min: 4, max: 256 } as const

/** The model input a task's samples encode to. */
export function taskInput(task: TaskSpec): InputSpec {
  if (task.kind === 'image') return { kind: 'image', height: task.height, width: task.width, channels: task.channels }
  if (task.kind === 'tabular') return { kind: 'vector', width: encodedWidth(task.schema) }
  return { kind: 'tokens', vocab: vocabSize(task.schema), context: task.schema.context }
}

/** How many outputs a model for the task has, and whether they are class scores or a value. */
export function taskOutputs(task: TaskSpec): { outputs: number; objective: 'classes' | 'values' } {
  if (task.kind === 'image') return { outputs: task.classes.length, objective: 'classes' }
  if (task.kind === 'text') return { outputs: vocabSize(task.schema), objective: 'classes' }
  return task.schema.target.kind === 'classification' ? { outputs: task.schema.target.classes.length, objective: 'classes' } : { outputs: 1, objective: 'values' }
}

/** The names of what the model predicts: classes, or null for a value or the next token. */
export function taskClasses(task: TaskSpec): string[] | null {
  if (task.kind === 'image') return task.classes
  if (task.kind === 'tabular' && task.schema.target.kind === 'classification') return task.schema.target.classes
  return null
}

export function describeTask(task: TaskSpec): string {
  if (task.kind === 'image') return `${task.height}×${task.width} ${task.channels === 3 ? 'RGB' : 'grayscale'} images, ${task.classes.length} classes`
  if (task.kind === 'text') return `${task.schema.tokens === 'bytes' ? 'byte' : 'character'}-level text, ${vocabSize(task.schema)} tokens, context ${task.schema.context}`
  const target = task.schema.target
  return `table rows of ${task.schema.features.length} features predicting "${task.schema.label}" (${target.kind === 'classification' ? `${target.classes.length} classes` : 'a number'})`
}

const WHAT = 'task'

function readStandardisation(value: unknown, what: string): Standardisation {
  const obj = asObject(value, what)
  return { mean: readNumber(obj, 'mean', what, -1e12, 1e12), std: readNumber(obj, 'std', what, 1e-12, 1e12) }
}

function readClasses(obj: JsonObject, what: string): string[] {
  const classes = readStringArray(obj, 'classes', what, MAX_CLASSES, MAX_NAME_CHARS)
  if (classes.length < 2) throw new DecodeError(what, '"classes" must name at least 2 classes')
  if (classes.some((c) => c.trim() === '')) throw new DecodeError(what, '"classes" has an empty name')
  if (new Set(classes).size !== classes.length) throw new DecodeError(what, '"classes" repeats a name')
  return classes
}

function readStats(value: unknown, schema: TabularSchema): FeatureStats {
  const what = `${WHAT} stats`
  const obj = asObject(value, what)
  const list = obj.features
  if (!Array.isArray(list) || list.length !== schema.features.length) throw new DecodeError(what, `"features" must hold one entry per feature (${schema.features.length})`)
  return {
    features: list.map((item: unknown, i: number) => {
      const numeric = schema.features[i]!.kind === 'numeric'
      if (!numeric) {
        if (item !== null) throw new DecodeError(what, `feature ${i} is categorical, so its statistics must be null`)
        return null
      }
      return readStandardisation(item, `${what} feature ${i}`)
    }),
  }
}

/** What an image sample is, as a job's task and a dataset's sample format both carry it. */
export type ImageShape = Pick<ImageTask, 'height' | 'width' | 'channels' | 'classes'>

/** Reads and bounds an image's sides, channels and class names from `obj` (a task or a sample format). */
export function readImageShape(obj: JsonObject, what: string): ImageShape {
  const side = (key: string) => readInteger(obj, key, what, IMAGE_SIDE.min, IMAGE_SIDE.max)
  const channels = readInteger(obj, 'channels', what, 1, 3)
  if (channels !== 1 && channels !== 3) throw new DecodeError(what, '"channels" must be 1 (grayscale) or 3 (RGB)')
  return { height: side('height'), width: side('width'), channels, classes: readClasses(obj, what) }
}

/** Strict decoder for the task a job carries: every part a peer could make hostile is bounded. */
export function decodeTask(value: unknown): TaskSpec {
  const obj = asObject(value, WHAT)
  if (obj.kind === 'image') {
    const shape = readImageShape(obj, WHAT)
    const fit = readString(obj, 'fit', WHAT, 16) as FitRule
    if (!IMAGE_FITS.includes(fit)) throw new DecodeError(WHAT, `"fit" must be one of ${IMAGE_FITS.join(', ')}`)
    return { kind: 'image', ...shape, fit, normalisation: readStandardisation(obj.normalisation, `${WHAT} normalisation`) }
  }
  if (obj.kind === 'tabular') {
    const schema = decodeTabularSchema(obj.schema)
    const regression = schema.target.kind === 'regression'
    if (regression !== (obj.target !== null && obj.target !== undefined)) throw new DecodeError(WHAT, regression ? 'a regression task needs its label\'s "target" statistics' : 'a classification task has no "target" statistics')
    return { kind: 'tabular', schema, stats: readStats(obj.stats, schema), target: regression ? readStandardisation(obj.target, `${WHAT} target`) : null }
  }
  if (obj.kind === 'text') return { kind: 'text', schema: decodeTextSchema(obj.schema) }
  throw new DecodeError(WHAT, '"kind" must be "image", "tabular" or "text"')
}
