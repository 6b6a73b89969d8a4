// Gzip decompression with the platform's DecompressionStream (browsers and Node ≥ 18 alike), with a cap on
// the output so a small hostile file cannot expand without bound.
import { DataFormatError } from './errors.ts'

export const isGzip = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b

export async function gunzip(bytes: Uint8Array, fileName: string, maxBytes: number): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'))
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length
      if (total > maxBytes) throw new DataFormatError(fileName, `decompresses to more than the ${maxBytes}-byte limit`)
      chunks.push(chunk)
    }
  } catch (error) {
    if (error instanceof DataFormatError) throw error
    throw new DataFormatError(fileName, `is not valid gzip data (${error instanceof Error ? error.message : String(error)})`)
  }
  const out = new Uint8Array(total)
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.length
  }
  return out
}
