// Messages between the Contribute page and the import worker. Files travel as File objects (structured
// clone, no copy of their bytes); results come back with their pixel buffers transferred.
import type { SampleSet, SampleShape } from './samples.ts'

export type ImportRequest =
  | { type: 'import'; files: Array<{ path: string; file: File }>; folders: string[]; shape: SampleShape; invert: boolean }
  | { type: 'cancel' }

export type ImportReply =
  | { type: 'progress'; done: number; total: number; file: string }
  | { type: 'done'; samples: SampleSet; skipped: string[] }
  | { type: 'failed'; message: string; cancelled: boolean }
