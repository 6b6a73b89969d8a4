// A batch of any task for the engine: float32 inputs in the model's input shape and float32 targets (one-hot
// classes or tokens, or a standardised value). Every encoding rule lives in the task, so a volunteer, the
// referee replaying a unit, the coordinator's evaluation and the use page encode a sample identically.
import type { TaskBlock } from './task-block.ts'
import type { TaskSpec } from './task.ts'
import { taskInput, taskOutputs } from './task.ts'
import { vocabSize } from './text.ts'
import { encodeRow } from './tabular-samples.ts'

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
 * exactly this batch's sizes.
 */
export function taskBatch(task: TaskSpec, block: TaskBlock, indices: ArrayLike<number>, into?: Batch): Batch {
  const rows = indices.length
  const widths = batchWidths(task)
  const fits = into !== undefined && into.x.length === rows * widths.x && into.y.length === rows * widths.y
  const x = fits ? into.x.fill(0) : new Float32Array(rows * widths.x)
  const y = fits ? into.y.fill(0) : new Float32Array(rows * widths.y)
  for (let b = 0; b < rows; b++) {
    const i = indices[b]!
    if (!(Number.isInteger(i) && i >= 0 && i < block.count)) throw new RangeError(`sample ${i} is outside the ${block.count} samples`)
    encodeSample(task, block, i, x.subarray(b * widths.x, (b + 1) * widths.x), y.subarray(b * widths.y, (b + 1) * widths.y))
  }
  return { x, y }
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
  if (task.kind === 'text') {
    const vocab = vocabSize(task.schema)
    for (let t = 0; t < per - 1; t++) {
      x[t * vocab + stored[t]!] = 1
      y[t * vocab + stored[t + 1]!] = 1
    }
    return
  }
  encodeRow(task.schema, task.stats, stored, x)
  const label = block.y![i]!
  if (task.target) y[0] = (label - task.target.mean) / task.target.std
  else y[label] = 1
}
