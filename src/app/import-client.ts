// The page's side of the import worker: one import at a time, with progress and cancel.
import type { ImportReply, ImportRequest } from '../data/import-protocol.ts'
import type { SampleSet, SampleShape } from '../data/samples.ts'
import type { SampleFormat } from '../data/sample-format.ts'
import type { FitRule } from '../data/resize.ts'
import type { TaskSamples } from '../data/task-sample-set.ts'

type Progress = (done: number, total: number, file: string) => void
import { TesseraeError } from '../errors.ts'

export interface PickedFile {
  path: string
  file: File
}

export class ImportClient {
  private worker: Worker | null = null

  run(files: PickedFile[], folders: string[], shape: SampleShape, invert: boolean, onProgress: Progress): Promise<{ samples: SampleSet; skipped: string[] }> {
    return this.start({ type: 'import', files, folders, shape, invert }, onProgress).then((m) => {
      if (m.type !== 'done') throw new TesseraeError('IMPORT_FAILED', 'the import worker answered with samples of another kind')
      return { samples: m.samples, skipped: m.skipped }
    })
  }

  /** An import for a job with its own task (any picture size and channels, named table columns, text). */
  runTask(files: PickedFile[], folders: string[], format: SampleFormat, fit: FitRule, onProgress: Progress): Promise<{ samples: TaskSamples; skipped: string[] }> {
    return this.start({ type: 'import-task', files, folders, format, fit }, onProgress).then((m) => {
      if (m.type !== 'task-done') throw new TesseraeError('IMPORT_FAILED', 'the import worker answered with samples of another kind')
      return { samples: m.samples, skipped: m.skipped }
    })
  }

  private start(request: Exclude<ImportRequest, { type: 'cancel' }>, onProgress: Progress): Promise<Extract<ImportReply, { type: 'done' | 'task-done' }>> {
    // One import at a time: a second one must not silently replace the first and lose its files.
    if (this.worker) return Promise.reject(new TesseraeError('IMPORT_BUSY', 'another import is still running; wait for it to finish or cancel it'))
    const worker = new Worker(new URL('../../workers/import.worker.ts', import.meta.url), { type: 'module', name: 'tesserae-import' })
    this.worker = worker
    return new Promise((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<ImportReply>) => {
        const m = event.data
        if (m.type === 'progress') return onProgress(m.done, m.total, m.file)
        worker.terminate()
        if (this.worker === worker) this.worker = null
        if (m.type === 'failed') reject(new TesseraeError(m.cancelled ? 'IMPORT_CANCELLED' : 'IMPORT_FAILED', m.message))
        else resolve(m)
      }
      worker.onerror = (event) => {
        worker.terminate()
        if (this.worker === worker) this.worker = null
        reject(new TesseraeError('IMPORT_FAILED', `the import worker crashed: ${event.message}`))
      }
      worker.postMessage(request)
    })
  }

  get busy(): boolean {
    return this.worker !== null
  }

  cancel(): void {
    const request: ImportRequest = { type: 'cancel' }
    this.worker?.postMessage(request)
  }
}
