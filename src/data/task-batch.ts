// A batch of any task for the engine: float32 inputs in the model's input shape and float32 targets (one-hot
// classes or tokens, or a standardised value). Every encoding rule lives in the task, so a volunteer, the
// referee replaying a unit, the coordinator's evaluation and the use page encode a sample identically.
import type { TaskBlock } from './task-block.ts'
import type { TaskSpec, TextTask } from './task.ts'
import { taskInput, taskOutputs } from './task.ts'
import { vocabSize } from './text.ts'
import { encodeRow } from './tabular-samples.ts'
import { seededRandom } from '../random.ts'

export interface Batch {
  x: Float32Array
  y: Float32Array
}

/** Floats one sample's input and target take in a batch. */
export function batchWidths(task: TaskSpec): { x: number; y: number } {
  const input = taskInput(task)
  const outputs = taskOutputs(task).outputs
  if (input.kind === 'image') return { x: input.channels * input.height * input.width, y: outputs }
  if (input.kind === 'vector') return { x: input.width, y: outputs }
  return { x: input.context * input.vocab, y: input.context * input.vocab }
}

/**
 * The batch of `indices` into `block`. `into`: a spent batch's arrays to overwrite, used only when both have
 * exactly this batch's sizes. `salt` (training only): text windows start at an offset drawn from it (see
 * `shiftedWindow`); without it every window is read as stored, as evaluation and the use page read them.
 */
export function taskBatch(task: TaskSpec, block: TaskBlock, indices: ArrayLike<number>, into?: Batch, salt?: number): Batch {
  const rows = indices.length
  const widths = batchWidths(task)
  const fits = into !== undefined && into.x.length === rows * widths.x && into.y.length === rows * widths.y
  const x = fits ? into.x.fill(0) : new Float32Array(rows * widths.x)
  const y = fits ? into.y.fill(0) : new Float32Array(rows * widths.y)
  const text = task.kind === 'text' && salt !== undefined ? { task, random: seededRandom(salt) } : null
  for (let b = 0; b < rows; b++) {
    const i = indices[b]!
    if (!(Number.isInteger(i) && i >= 0 && i < block.count)) throw new RangeError(`sample ${i} is outside the ${block.count} samples`)
    const bx = x.subarray(b * widths.x, (b + 1) * widths.x)
    const by = y.subarray(b * widths.y, (b + 1) * widths.y)
    if (text) encodeTokens(text.task, shiftedWindow(block, i, Math.floor(text.random() * (block.perSample - 1))), bx, by)
    else encodeSample(task, block, i, bx, by)
  }
  return { x, y }
}

/**
 * Window `i` read `offset` tokens on, into the window after it. A text block's windows are one stream cut
 * every `context` tokens, each sharing its last token with the next one's first (task-samples.ts), so the
 * stored windows start a character at the same place in its window every epoch: a small text seen many
 * times over is then learnt position by position. Reading from a drawn offset shows every stretch at every
 * position. Where the next window does not continue this one (the block's last window, or the seam where a
 * unit's shards were joined), the window is read as stored.
 */
export function shiftedWindow(block: TaskBlock, i: number, offset: number): ArrayLike<number> {
  const per = block.perSample
  const context = per - 1
  const at = i * per
  const continued = offset > 0 && i + 1 < block.count && block.x[at + context] === block.x[at + per]
  if (!continued) return block.x.subarray(at, at + per)
  const out = new Uint16Array(per)
  out.set(block.x.subarray(at + offset, at + per), 0)
  out.set(block.x.subarray(at + per + 1, at + per + 1 + offset), per - offset)
  return out
}

/** Writes sample `i`'s input into `x` and its target into `y` (both zeroed by the caller). */
function encodeSample(task: TaskSpec, block: TaskBlock, i: number, x: Float32Array, y: Float32Array): void {
  const per = block.perSample
  const stored = block.x.subarray(i * per, (i + 1) * per)
  if (task.kind === 'image') {
    const { mean, std } = task.normalisation
    for (let p = 0; p < per; p++) x[p] = (stored[p]! / 255 - mean) / std
    y[block.y![i]!] = 1
    return
  }
  if (task.kind === 'text') return encodeTokens(task, stored, x, y)
  encodeRow(task.schema, task.stats, stored, x)
  const label = block.y![i]!
  if (task.target) y[0] = (label - task.target.mean) / task.target.std
  else y[label] = 1
}

/** One text window's context + 1 tokens as one-hot inputs and the one-hot next token at every position. */
function encodeTokens(task: TextTask, tokens: ArrayLike<number>, x: Float32Array, y: Float32Array): void {
  const vocab = vocabSize(task.schema)
  for (let t = 0; t < tokens.length - 1; t++) {
    x[t * vocab + tokens[t]!] = 1
    y[t * vocab + tokens[t + 1]!] = 1
  }
}
