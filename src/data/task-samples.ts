// Imported samples of each kind → task blocks, and a tabular task's statistics from the job's accepted data.
// Text becomes windows of context + 1 tokens, one every `context` tokens: each window trains next-token
// prediction at every position, and consecutive windows share one token so no transition is lost.
import type { TabularSchema } from './tabular-schema.ts'
import { featureStats, type TabularSamples } from './tabular-samples.ts'
import { windowStarts, type TextSamples } from './text.ts'
import { makeBlock, type TaskBlock } from './task-block.ts'
import type { Standardisation, TabularTask, TaskSpec } from './task.ts'

/** A tabular task whose statistics come from `sets` (the job's accepted data). */
export function tabularTask(schema: TabularSchema, sets: readonly TabularSamples[]): TabularTask {
  return { kind: 'tabular', schema, stats: featureStats(sets), target: schema.target.kind === 'regression' ? labelStats(sets) : null }
}

/** Mean and standard deviation of every label in `sets` (std 1 when they do not spread). */
function labelStats(sets: readonly TabularSamples[]): Standardisation {
  let n = 0
  let sum = 0
  for (const set of sets) for (let r = 0; r < set.count; r++) {
    n++
    sum += set.labels[r]!
  }
  const mean = n === 0 ? 0 : sum / n
  let squares = 0
  for (const set of sets) for (let r = 0; r < set.count; r++) squares += (set.labels[r]! - mean) ** 2
  const std = n === 0 ? 0 : Math.sqrt(squares / n)
  return { mean, std: std > 0 ? std : 1 }
}

export function tabularBlock(task: TaskSpec, samples: TabularSamples): TaskBlock {
  return makeBlock(task, samples.values, samples.labels)
}

export function textBlock(task: TaskSpec, samples: TextSamples): TaskBlock {
  if (task.kind !== 'text') throw new RangeError(`text samples do not fit a ${task.kind} task`)
  const context = task.schema.context
  const starts = windowStarts(samples.tokens.length, context)
  const x = new Uint16Array(starts.length * (context + 1))
  starts.forEach((start, i) => x.set(samples.tokens.subarray(start, start + context + 1), i * (context + 1)))
  return makeBlock(task, x, null)
}

/** Samples start..start+count of a block (a view: nothing is copied). */
export function sliceBlock(block: TaskBlock, start: number, count: number): TaskBlock {
  return { count, perSample: block.perSample, x: block.x.subarray(start * block.perSample, (start + count) * block.perSample), y: block.y?.subarray(start, start + count) ?? null }
}
