// PNG writing (and reading back what we write) for test fixtures and the e2e image folders: 8-bit gray or
// RGBA, filter 0, zlib via the platform's CompressionStream. Browsers decode real PNGs with their own decoder.
import { crc32 } from '../image-header.ts'
import { concatBytes } from '../../bytes.ts'
import type { RgbaImage } from '../resize.ts'

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream)).arrayBuffer())
}

/** A PNG chunk (length, type, data) with a correct CRC. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  out.set(new TextEncoder().encode(type), 4)
  out.set(data, 8)
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length))
  return out
}

/** `channels` 1 (gray) or 4 (RGBA); `pixels` is width × height × channels bytes. */
export async function encodePng(width: number, height: number, pixels: Uint8Array, channels: 1 | 4 = 1): Promise<Uint8Array> {
  const ihdr = new Uint8Array(13)
  const view = new DataView(ihdr.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  ihdr.set([8, channels === 1 ? 0 : 6, 0, 0, 0], 8)
  const raw = new Uint8Array(height * (1 + width * channels))
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width * channels, (y + 1) * width * channels), y * (1 + width * channels) + 1)
  const parts = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), pngChunk('IHDR', ihdr), pngChunk('IDAT', await pipe(raw, new CompressionStream('deflate'))), pngChunk('IEND', new Uint8Array(0))]
  return concatBytes(parts)
}

/** Reads back PNGs written by encodePng (filter 0 only), as RGBA. */
export async function decodeTestPng(bytes: Uint8Array): Promise<RgbaImage> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const width = view.getUint32(16)
  const height = view.getUint32(20)
  const channels = bytes[25] === 0 ? 1 : 4
  const idat: Uint8Array[] = []
  for (let at = 8; at < bytes.length; ) {
    const length = view.getUint32(at)
    if (String.fromCharCode(...bytes.subarray(at + 4, at + 8)) === 'IDAT') idat.push(bytes.subarray(at + 8, at + 8 + length))
    at += 12 + length
  }
  const raw = await pipe(concatBytes(idat), new DecompressionStream('deflate'))
  const data = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = y * (1 + width * channels) + 1 + x * channels
      if (raw[y * (1 + width * channels)] !== 0) throw new Error('only filter 0 is supported by the test decoder')
      if (channels === 1) data.set([raw[src]!, raw[src]!, raw[src]!, 255], (y * width + x) * 4)
      else data.set(raw.subarray(src, src + 4), (y * width + x) * 4)
    }
  }
  return { width, height, data }
}
