// The samples a contributor is assembling for a job of any format, as one block with the file and row of each,
// and the review's edits on them: add another import, remove samples, give samples another class. Pure: every
// edit returns a new set, so the review can be undone by keeping the old one.
import { DataFormatError } from './errors.ts'
import { blockTask, describeFormat, formatClasses, sameFormat, type SampleFormat } from './sample-format.ts'
import type { SampleSource } from './samples.ts'
import { concatBlocks, makeBlock, type TaskBlock } from './task-block.ts'
import { sliceBlock } from './task-samples.ts'

export interface TaskSamples {
  format: SampleFormat
  block: TaskBlock
  /** One per sample, in block order. */
  sources: SampleSource[]
}

export function emptyTaskSamples(format: SampleFormat): TaskSamples {
  const task = blockTask(format)
  const block = task.kind === 'image' ? makeBlock(task, new Uint8Array(0), new Uint8Array(0)) : task.kind === 'tabular' ? makeBlock(task, new Float32Array(0), new Float32Array(0)) : makeBlock(task, new Uint16Array(0), null)
  return { format, block, sources: [] }
}

/** How samples of `theirs` differ from a dataset of `ours`, in words: the description, else the class names. */
function difference(theirs: SampleFormat, ours: SampleFormat): string {
  const [a, b] = [describeFormat(theirs), describeFormat(ours)]
  if (a !== b) return `holds ${a}, but this dataset holds ${b}`
  const names = (classes: string[] | null) => (classes ?? []).map((c) => `"${c}"`).join(', ')
  if (names(formatClasses(theirs)) !== names(formatClasses(ours))) return `names its classes ${names(formatClasses(theirs))}, but this dataset's are ${names(formatClasses(ours))}`
  return `holds ${a}, but with other columns, categories or vocabulary than this dataset's`
}

/** `more` after `set`; both must be samples of the same format. */
export function appendTaskSamples(set: TaskSamples, more: TaskSamples): TaskSamples {
  if (!sameFormat(set.format, more.format)) throw new DataFormatError(more.sources[0]?.file ?? 'the import', difference(more.format, set.format))
  return { format: set.format, block: concatBlocks(blockTask(set.format), [set.block, more.block]), sources: [...set.sources, ...more.sources] }
}

function checkIndex(set: TaskSamples, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= set.block.count) throw new RangeError(`sample ${i} does not exist (the dataset has ${set.block.count})`)
}

/** The set without the listed samples; the rest keep their order. */
export function removeTaskSamples(set: TaskSamples, indices: Iterable<number>): TaskSamples {
  const drop = new Set<number>()
  for (const i of indices) {
    checkIndex(set, i)
    drop.add(i)
  }
  if (drop.size === 0) return set
  // The kept samples as runs of neighbours: removing a few from many copies a few slices.
  const runs: TaskBlock[] = []
  for (let start = 0; start < set.block.count; ) {
    while (start < set.block.count && drop.has(start)) start++
    let end = start
    while (end < set.block.count && !drop.has(end)) end++
    if (end > start) runs.push(sliceBlock(set.block, start, end - start))
    start = end
  }
  const block = runs.length === 0 ? emptyTaskSamples(set.format).block : concatBlocks(blockTask(set.format), runs)
  return { format: set.format, block, sources: set.sources.filter((_, i) => !drop.has(i)) }
}

/** Gives every listed sample the class `label`; inputs are shared, not copied. Only formats with classes. */
export function relabelTaskSamples(set: TaskSamples, indices: Iterable<number>, label: number): TaskSamples {
  const classes = formatClasses(set.format)
  if (!classes || !set.block.y) throw new RangeError(`samples of ${describeFormat(set.format)} have no classes to relabel`)
  if (!Number.isInteger(label) || label < 0 || label >= classes.length) throw new RangeError(`label ${label} is not one of the ${classes.length} classes`)
  const y = set.block.y.slice()
  for (const i of indices) {
    checkIndex(set, i)
    y[i] = label
  }
  return { ...set, block: { ...set.block, y } }
}

/** Samples per class, in class order; empty for a format without classes. */
export function taskClassCounts(set: TaskSamples): number[] {
  const counts = new Array<number>(formatClasses(set.format)?.length ?? 0).fill(0)
  if (counts.length === 0) return counts
  for (let i = 0; i < set.block.count; i++) counts[set.block.y![i]!]!++
  return counts
}

