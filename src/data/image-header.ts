// Structural checks of PNG and JPEG files before they reach a decoder: browsers' decoders fail with one
// generic message, and a contributor needs to know which file is truncated or corrupt and how.
import { DataFormatError } from './errors.ts'
import { IMPORT_LIMITS } from './limits.ts'

export interface ImageHeader {
  format: 'png' | 'jpeg'
  width: number
  height: number
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

const chunkName = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4))

function checkPng(bytes: Uint8Array, name: string): ImageHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 8
  let width = 0
  let height = 0
  let sawData = false
  for (let index = 0; ; index++) {
    if (at + 8 > bytes.length) throw new DataFormatError(name, `is a truncated PNG: it ends after ${bytes.length} bytes without an IEND chunk`)
    const length = view.getUint32(at)
    const type = chunkName(bytes, at + 4)
    if (!/^[A-Za-z]{4}$/.test(type)) throw new DataFormatError(name, `is a corrupt PNG: chunk ${index} at byte ${at} has an invalid type`)
    if (at + 12 + length > bytes.length) throw new DataFormatError(name, `is a truncated PNG: its ${type} chunk needs ${length} bytes but the file ends first`)
    if (crc32(bytes, at + 4, at + 8 + length) !== view.getUint32(at + 8 + length)) throw new DataFormatError(name, `is a corrupt PNG: the checksum of its ${type} chunk does not match`)
    if (index === 0) {
      if (type !== 'IHDR' || length !== 13) throw new DataFormatError(name, 'is a corrupt PNG: it does not start with an IHDR chunk')
      width = view.getUint32(at + 8)
      height = view.getUint32(at + 12)
    }
    if (type === 'IDAT') sawData = true
    if (type === 'IEND') break
    at += 12 + length
  }
  if (!sawData) throw new DataFormatError(name, 'is a PNG without image data (no IDAT chunk)')
  return { format: 'png', width, height }
}

function checkJpeg(bytes: Uint8Array, name: string): ImageHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 2
  let size: { width: number; height: number } | null = null
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw new DataFormatError(name, `is a corrupt JPEG: no segment marker at byte ${at}`)
    const marker = bytes[at + 1]!
    if (marker === 0xff) {
      at++
      continue
    }
    const length = view.getUint16(at + 2)
    if (at + 2 + length > bytes.length) break
    // SOF0–SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) size = { height: view.getUint16(at + 5), width: view.getUint16(at + 7) }
    if (marker === 0xda) {
      if (size === null) throw new DataFormatError(name, 'is a corrupt JPEG: image data starts before the frame header')
      if (bytes[bytes.length - 2] !== 0xff || bytes[bytes.length - 1] !== 0xd9) throw new DataFormatError(name, 'is a truncated JPEG: it does not end with an end-of-image marker')
      return { format: 'jpeg', ...size }
    }
    at += 2 + length
  }
  throw new DataFormatError(name, `is a truncated JPEG: it ends after ${bytes.length} bytes, before its image data`)
}

/** Identifies and checks a PNG or JPEG; throws a DataFormatError naming the file otherwise. */
export function checkImage(bytes: Uint8Array, name: string): ImageHeader {
  if (bytes.length > IMPORT_LIMITS.imageFileBytes) throw new DataFormatError(name, `is ${(bytes.length / 2 ** 20).toFixed(1)} MiB, over the ${IMPORT_LIMITS.imageFileBytes / 2 ** 20} MiB limit for one image`)
  if (bytes.length === 0) throw new DataFormatError(name, 'is empty')
  let header: ImageHeader
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) header = checkPng(bytes, name)
  else if (bytes[0] === 0xff && bytes[1] === 0xd8) header = checkJpeg(bytes, name)
  else throw new DataFormatError(name, 'is neither a PNG nor a JPEG image (unrecognised signature)')
  if (header.width === 0 || header.height === 0) throw new DataFormatError(name, `declares an empty image (${header.width}×${header.height})`)
  if (header.width > IMPORT_LIMITS.imageSide || header.height > IMPORT_LIMITS.imageSide) throw new DataFormatError(name, `is ${header.width}×${header.height}, over the ${IMPORT_LIMITS.imageSide}-pixel limit per side`)
  return header
}
