// Pairs an IDX image file with its IDX label file into a labelled image set, checking that they agree.
import { DataFormatError } from './errors.ts'
import { gunzip, isGzip } from './gunzip.ts'
import { parseIdx } from './idx.ts'

export interface LabelledImages {
  count: number
  height: number
  width: number
  /** count × height × width bytes, row-major. */
  pixels: Uint8Array
  labels: Uint8Array
  classes: number
}

export const MAX_IDX_BYTES = 256 * 2 ** 20

export async function readIdxFile(bytes: Uint8Array, fileName: string): Promise<ReturnType<typeof parseIdx>> {
  return parseIdx(isGzip(bytes) ? await gunzip(bytes, fileName, MAX_IDX_BYTES) : bytes, fileName)
}

export async function readIdxPair(images: { bytes: Uint8Array; name: string }, labels: { bytes: Uint8Array; name: string }, classes = 10): Promise<LabelledImages> {
  const img = await readIdxFile(images.bytes, images.name)
  const lab = await readIdxFile(labels.bytes, labels.name)
  if (img.dims.length !== 3) throw new DataFormatError(images.name, `has ${img.dims.length} dimensions; an image file needs 3 (count × height × width)`)
  if (lab.dims.length !== 1) throw new DataFormatError(labels.name, `has ${lab.dims.length} dimensions; a label file needs 1`)
  if (img.dims[0] !== lab.dims[0]) throw new DataFormatError(labels.name, `has ${lab.dims[0]} labels but ${images.name} has ${img.dims[0]} images`)
  const bad = lab.data.findIndex((l) => l >= classes)
  if (bad !== -1) throw new DataFormatError(labels.name, `row ${bad} has label ${lab.data[bad]}, outside the ${classes} classes 0–${classes - 1}`)
  return { count: img.dims[0]!, height: img.dims[1]!, width: img.dims[2]!, pixels: img.data, labels: lab.data, classes }
}
