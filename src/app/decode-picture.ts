// A picture file's pixels with the browser's own decoders (createImageBitmap + OffscreenCanvas), in a page or
// a worker: the one way pictures are read for import, for a job's own data and on the use page.
import type { RgbaImage } from '../data/resize.ts'

export async function decodePicture(source: Blob): Promise<RgbaImage> {
  const bitmap = await createImageBitmap(source)
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height)
    const context = canvas.getContext('2d', { willReadFrequently: true })
    if (!context) throw new Error('no 2D canvas in this browser')
    context.drawImage(bitmap, 0, 0)
    const { data, width, height } = context.getImageData(0, 0, bitmap.width, bitmap.height)
    return { data, width, height }
  } finally {
    bitmap.close()
  }
}
