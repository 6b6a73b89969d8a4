// The import worker: reads the dropped files, decodes images with the browser's own decoders
// (createImageBitmap + OffscreenCanvas) and runs the pure importers, off the page's main thread.
import { importFiles } from '../src/data/import-files.ts'
import { importTaskFiles } from '../src/data/task-import.ts'
import type { ImportReply, ImportRequest } from '../src/data/import-protocol.ts'
import type { RgbaImage } from '../src/data/resize.ts'
import { TesseraeError } from '../src/errors.ts'
import { decodePicture } from '../src/app/decode-picture.ts'

let controller: AbortController | null = null
const reply = (message: ImportReply, transfer: Transferable[] = []) => postMessage(message, { transfer })

const decode = (bytes: Uint8Array): Promise<RgbaImage> => decodePicture(new Blob([bytes as Uint8Array<ArrayBuffer>]))

self.onmessage = async (event: MessageEvent<ImportRequest>) => {
  const request = event.data
  if (request.type === 'cancel') return controller?.abort()
  controller = new AbortController()
  const signal = controller.signal
  let last = 0
  try {
    const files = request.files.map(({ path, file }) => ({ path, size: file.size, read: async () => new Uint8Array(await file.arrayBuffer()) }))
    const onProgress = (done: number, total: number, file: string) => {
      // At most ~20 progress messages a second.
      if (done === total || performance.now() - last > 50) {
        last = performance.now()
        reply({ type: 'progress', done, total, file })
      }
    }
    if (request.type === 'import-task') {
      const { samples, skipped } = await importTaskFiles(files, request.format, request.fit, { decode, folders: request.folders, signal, onProgress })
      reply({ type: 'task-done', samples, skipped }, [samples.block.x.buffer as ArrayBuffer, ...(samples.block.y ? [samples.block.y.buffer as ArrayBuffer] : [])])
      return
    }
    const { samples, skipped } = await importFiles(files, request.shape, { decode, invert: request.invert, folders: request.folders, signal, onProgress })
    reply({ type: 'done', samples, skipped }, [samples.pixels.buffer, samples.labels.buffer])
  } catch (error) {
    const cancelled = error instanceof TesseraeError && error.code === 'IMPORT_CANCELLED'
    reply({ type: 'failed', message: error instanceof Error ? error.message : String(error), cancelled })
  } finally {
    controller = null
  }
}
