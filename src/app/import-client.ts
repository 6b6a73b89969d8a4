// The page's side of the import worker: one import at a time, with progress and cancel.
import type { ImportReply, ImportRequest } from '../data/import-protocol.ts'
import type { SampleSet, SampleShape } from '../data/samples.ts'
import { TesseraeError } from '../errors.ts'

export interface PickedFile {
  path: string
  file: File
}

export class ImportClient {
  private worker: Worker | null = null

  run(files: PickedFile[], folders: string[], shape: SampleShape, invert: boolean, onProgress: (done: number, total: number, file: string) => void): Promise<{ samples: SampleSet; skipped: string[] }> {
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
        if (m.type === 'done') resolve({ samples: m.samples, skipped: m.skipped })
        else reject(new TesseraeError(m.cancelled ? 'IMPORT_CANCELLED' : 'IMPORT_FAILED', m.message))
      }
      worker.onerror = (event) => {
        worker.terminate()
        if (this.worker === worker) this.worker = null
        reject(new TesseraeError('IMPORT_FAILED', `the import worker crashed: ${event.message}`))
      }
      const request: ImportRequest = { type: 'import', files, folders, shape, invert }
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
