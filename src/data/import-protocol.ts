// Messages between the Contribute page and the import worker. Files travel as File objects (structured
// clone, no copy of their bytes); results come back with their pixel buffers transferred.
import type { SampleSet, SampleShape } from './samples.ts'
import type { SampleFormat } from './sample-format.ts'
import type { FitRule } from './resize.ts'
import type { TaskSamples } from './task-sample-set.ts'

export type ImportRequest =
  | { type: 'import'; files: Array<{ path: string; file: File }>; folders: string[]; shape: SampleShape; invert: boolean }
  /** Samples for a job with its own task: pictures fitted by `fit`, tables read by the job's columns, or text. */
  | { type: 'import-task'; files: Array<{ path: string; file: File }>; folders: string[]; format: SampleFormat; fit: FitRule }
  | { type: 'cancel' }

export type ImportReply =
  | { type: 'progress'; done: number; total: number; file: string }
  | { type: 'done'; samples: SampleSet; skipped: string[] }
  | { type: 'task-done'; samples: TaskSamples; skipped: string[] }
  | { type: 'failed'; message: string; cancelled: boolean }
