// One input typed or dropped by someone using a trained model, encoded exactly as training encoded its samples,
// and what the model's outputs mean for the task: class probabilities, a value in the label's own units, or the
// tokens a prompt starts from.
import { DataFormatError } from './errors.ts'
import { fitImage, type RgbaImage } from './resize.ts'
import { makeBlock, type TaskBlock } from './task-block.ts'
import type { ImageTask, TabularTask, TaskSpec } from './task.ts'
import { present } from './tabular-read.ts'
import { parseNumber } from './tabular-schema.ts'
import type { TextSchema } from './text.ts'

/** A table row from the values typed per feature (missing ones allowed, by the training rule). */
export function rowBlock(task: TabularTask, typed: Readonly<Record<string, string>>): TaskBlock {
  const values = Float32Array.from(task.schema.features, (feature) => {
    const text = present(typed[feature.name] ?? '')
    if (text === null) return feature.kind === 'numeric' ? NaN : -1
    if (feature.kind === 'numeric') {
      const v = parseNumber(text)
      if (v === null) throw new DataFormatError(`"${feature.name}"`, `"${text.slice(0, 40)}" is not a number`)
      return v
    }
    const index = feature.categories.indexOf(text)
    if (index === -1) throw new DataFormatError(`"${feature.name}"`, `"${text.slice(0, 40)}" is not one of its categories (${feature.categories.slice(0, 8).join(', ')})`)
    return index
  })
  return makeBlock(task, values, Float32Array.of(0))
}

/** A picture fitted to the task's input by its rule. */
export function pictureBlock(task: ImageTask, image: RgbaImage): TaskBlock {
  return makeBlock(task, fitImage(image, task), Uint8Array.of(0))
}

/**
 * A prompt as tokens for a model reading `context` of them: unknown characters become token 0, and a prompt
 * shorter than the context is preceded by spaces (or token 0 where the vocabulary has no space).
 */
export function promptTokens(schema: TextSchema, prompt: string): Uint16Array {
  const tokens = schema.tokens === 'bytes' ? Array.from(new TextEncoder().encode(prompt)) : Array.from(prompt, (ch) => Math.max(0, schema.vocab.indexOf(ch)))
  const pad = schema.tokens === 'bytes' ? 32 : Math.max(0, schema.vocab.indexOf(' '))
  const missing = Math.max(0, schema.context - tokens.length)
  return Uint16Array.from([...new Array<number>(missing).fill(pad), ...tokens.slice(-Math.max(schema.context, 1))])
}

export type Prediction = { kind: 'classes'; classes: Array<{ name: string; probability: number }> } | { kind: 'value'; value: number; label: string }

/** What one sample's outputs mean: class probabilities (most likely first), or the predicted value. */
export function readPrediction(task: TaskSpec, outputs: ArrayLike<number>): Prediction {
  if (task.kind === 'tabular' && task.target) return { kind: 'value', value: outputs[0]! * task.target.std + task.target.mean, label: task.schema.label }
  const names = task.kind === 'image' ? task.classes : task.kind === 'tabular' && task.schema.target.kind === 'classification' ? task.schema.target.classes : null
  if (!names) throw new RangeError('a text model writes tokens; it has no classes to read')
  const max = Math.max(...Array.from(outputs))
  const exps = Array.from(outputs, (o) => Math.exp(o - max))
  const sum = exps.reduce((a, b) => a + b, 0)
  return { kind: 'classes', classes: names.map((name, i) => ({ name, probability: exps[i]! / sum })).sort((a, b) => b.probability - a.probability) }
}
