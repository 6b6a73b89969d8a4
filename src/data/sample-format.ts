// What one sample of a dataset is, apart from any job's normalisation or statistics: an image of a size,
// channels and class names, a table row of a schema, or a window of text of a vocabulary. A dataset's manifest
// carries it, a contributor's import reads files against it, and a job takes a dataset whose format is its own.
import { DecodeError } from '../errors.ts'
import { asObject } from '../schema.ts'
import { decodeTabularSchema, type TabularSchema } from './tabular-schema.ts'
import { decodeTextSchema, type TextSchema } from './text.ts'
import { describeTask, readImageShape, taskClasses, type TaskSpec } from './task.ts'

export type ImageFormat = { kind: 'image'; height: number; width: number; channels: 1 | 3; classes: string[] }
export type TabularFormat = { kind: 'tabular'; schema: TabularSchema }
export type TextFormat = { kind: 'text'; schema: TextSchema }
export type SampleFormat = ImageFormat | TabularFormat | TextFormat

/** The format of a job's samples: its task without the fit rule, normalisation or statistics. */
export function sampleFormat(task: TaskSpec): SampleFormat {
  if (task.kind === 'image') return { kind: 'image', height: task.height, width: task.width, channels: task.channels, classes: [...task.classes] }
  return task.kind === 'tabular' ? { kind: 'tabular', schema: task.schema } : { kind: 'text', schema: task.schema }
}

const WHAT = 'sample format'

/** Strict decoder for a format a peer sends (in a manifest): the same bounds as a job's task. */
export function decodeSampleFormat(value: unknown): SampleFormat {
  const obj = asObject(value, WHAT)
  if (obj.kind === 'image') return { kind: 'image', ...readImageShape(obj, WHAT) }
  if (obj.kind === 'tabular') return { kind: 'tabular', schema: decodeTabularSchema(obj.schema) }
  if (obj.kind === 'text') return { kind: 'text', schema: decodeTextSchema(obj.schema) }
  throw new DecodeError(WHAT, '"kind" must be "image", "tabular" or "text"')
}

/** A copy with every key in one fixed order, so a format always serialises to the same bytes (a manifest's id). */
export function canonicalFormat(f: SampleFormat): SampleFormat {
  if (f.kind === 'image') return { kind: 'image', height: f.height, width: f.width, channels: f.channels, classes: [...f.classes] }
  if (f.kind === 'text') return { kind: 'text', schema: { kind: 'text', tokens: f.schema.tokens, vocab: [...f.schema.vocab], context: f.schema.context } }
  const { features, label, target } = f.schema
  return {
    kind: 'tabular',
    schema: {
      kind: 'tabular',
      features: features.map((feature) => (feature.kind === 'numeric' ? { name: feature.name, kind: 'numeric' } : { name: feature.name, kind: 'categorical', categories: [...feature.categories] })),
      label,
      target: target.kind === 'classification' ? { kind: 'classification', classes: [...target.classes] } : { kind: 'regression' },
    },
  }
}

/** The same samples: equal sizes, channels, class and category names (in order), schema and vocabulary. */
export function sameFormat(a: SampleFormat, b: SampleFormat): boolean {
  return JSON.stringify(canonicalFormat(a)) === JSON.stringify(canonicalFormat(b))
}

/**
 * A task for encodeBlock, decodeBlock, makeBlock and chunkBlock, which read only the sample format (sizes,
 * classes, schema, vocabulary). The rest is neutral — fit 'stretch', standardisation mean 0 and std 1 — and
 * never reaches a model: a job's own task carries the real values.
 */
export function blockTask(f: SampleFormat): TaskSpec {
  const neutral = { mean: 0, std: 1 }
  if (f.kind === 'image') return { ...f, fit: 'stretch', normalisation: neutral }
  if (f.kind === 'text') return { kind: 'text', schema: f.schema }
  return {
    kind: 'tabular',
    schema: f.schema,
    stats: { features: f.schema.features.map((feature) => (feature.kind === 'numeric' ? neutral : null)) },
    target: f.schema.target.kind === 'regression' ? neutral : null,
  }
}

/** The classes a sample is labelled with (images, table rows predicting a class), or null (a number, text). */
export function formatClasses(f: SampleFormat): string[] | null {
  return taskClasses(blockTask(f))
}

/** In words, as a job's task is described: "24×24 RGB images, 3 classes". */
export function describeFormat(f: SampleFormat): string {
  return describeTask(blockTask(f))
}

/**
 * One table row or text window in words, as the owner and the contributor look at it: `name=value` per feature
 * (a category by name, `missing` where a value is missing), or the window's characters.
 */
export function sampleText(f: TabularFormat | TextFormat, values: ArrayLike<number>, missing = ''): string {
  if (f.kind === 'tabular') return f.schema.features.map((feature, k) => `${feature.name}=${feature.kind === 'numeric' ? (Number.isNaN(values[k]!) ? missing : String(values[k])) : (feature.categories[values[k]!] ?? missing)}`).join(', ')
  return f.schema.tokens === 'bytes' ? new TextDecoder().decode(Uint8Array.from(values)) : Array.from(values, (t) => f.schema.vocab[t] ?? '').join('')
}
