// One entry point for everything a contributor drops in: files are grouped by kind (image folders, IDX
// pairs, CSV/TSV, JSONL), each group is imported, and the samples are returned together, or nothing is:
// the first error (naming its file and row) aborts the whole import, so a failure never leaves half a
// dataset behind. Runs in the import worker; image decoding is injected because only the browser has it.
import { DataFormatError } from './errors.ts'
import { TesseraeError } from '../errors.ts'
import { checkImage } from './image-header.ts'
import { IMPORT_LIMITS, mib } from './limits.ts'
import { readIdxFile } from './labelled-images.ts'
import { toGrayscale, type RgbaImage } from './resize.ts'
import { appendSamples, emptySamples, labelResolver, pixelsPerSample, unknownLabel, type SampleSet, type SampleShape } from './samples.ts'
import { importDelimited, importJsonl } from './table.ts'

export interface ImportFile {
  /** Path relative to the dropped folder ("Coat/001.png"), or the bare name for a loose file. */
  path: string
  size: number
  read(): Promise<Uint8Array>
}

export type FileKind = 'image' | 'idx' | 'csv' | 'jsonl' | 'ignored'

export interface ImportOptions {
  decode: (bytes: Uint8Array, name: string) => Promise<RgbaImage>
  /** Dark objects on a light background: invert so they match the job's light-on-dark convention. */
  invert?: boolean
  /** Folder paths seen in the drop, so an empty class folder is reported rather than silently absent. */
  folders?: string[]
  onProgress?: (done: number, total: number, file: string) => void
  signal?: AbortSignal
}

export interface ImportResult {
  samples: SampleSet
  /** Files that were not data (hidden files, notes next to the class folders) and were left out. */
  skipped: string[]
}

const JUNK = /(^|\/)(\.[^/]*|Thumbs\.db|desktop\.ini|__MACOSX(\/.*)?)$/i

export function fileKind(path: string): FileKind {
  if (JUNK.test(path)) return 'ignored'
  const name = path.toLowerCase()
  if (/\.(png|jpe?g)$/.test(name)) return 'image'
  if (/(\.idx\d?(-ubyte)?|-ubyte)(\.gz)?$/.test(name) || /\.idx\.gz$/.test(name)) return 'idx'
  if (/\.(csv|tsv)$/.test(name)) return 'csv'
  if (/\.(jsonl|ndjson)$/.test(name)) return 'jsonl'
  return 'ignored'
}

/**
 * Roughly the bytes an import will need once stored: one byte per pixel and label for images, and the
 * file size for tables and IDX files (×4 when gzipped, Fashion-MNIST's ratio is about 3.4).
 */
export function estimateStoredBytes(files: ReadonlyArray<{ path: string; size: number }>, pixelsPerSample: number): number {
  return files.reduce((n, f) => n + (fileKind(f.path) === 'image' ? pixelsPerSample + 1 : /\.gz$/i.test(f.path) ? 4 * f.size : f.size), 0)
}

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1)
const parentName = (path: string) => {
  const parts = path.split('/')
  return parts.length >= 2 ? parts[parts.length - 2]! : null
}

function checkCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new TesseraeError('IMPORT_CANCELLED', 'the import was cancelled; nothing was added')
}

async function importImages(files: ImportFile[], shape: SampleShape, options: ImportOptions, progress: () => void, at: (path: string) => void): Promise<SampleSet> {
  const resolve = labelResolver(shape.classes)
  const byClass = new Map<string, number>()
  for (const f of files) {
    const folder = parentName(f.path)
    if (folder === null) throw new DataFormatError(f.path, `is not inside a class folder; put each image in a folder named after its class (${shape.classes.slice(0, 3).join(', ')}, …)`)
    if (!byClass.has(folder)) {
      const label = resolve(folder)
      if (label === null) throw new DataFormatError(`folder "${folder}"`, `does not name a class: ${unknownLabel(folder, shape.classes).replace(/^label/, 'the name')}`)
      byClass.set(folder, label)
    }
  }
  for (const folder of options.folders ?? []) {
    const name = baseName(folder.replace(/\/$/, ''))
    const holds = files.some((f) => f.path.startsWith(`${folder.replace(/\/$/, '')}/`))
    if (!holds && resolve(name) !== null) throw new DataFormatError(`class folder "${name}"`, 'is empty; add images to it or remove it')
  }
  const size = pixelsPerSample(shape)
  const pixels = new Uint8Array(files.length * size)
  const labels = new Uint8Array(files.length)
  for (const [i, f] of files.entries()) {
    checkCancelled(options.signal)
    at(f.path)
    if (f.size > IMPORT_LIMITS.imageFileBytes) throw new DataFormatError(f.path, `is ${mib(f.size)}, over the ${mib(IMPORT_LIMITS.imageFileBytes)} limit for one image`)
    const bytes = await f.read()
    checkImage(bytes, f.path)
    let image: RgbaImage
    try {
      image = await options.decode(bytes, f.path)
    } catch (error) {
      throw new DataFormatError(f.path, `cannot be decoded as an image (${error instanceof Error ? error.message : String(error)})`)
    }
    pixels.set(toGrayscale(image, shape.height, shape.width, options.invert), i * size)
    labels[i] = byClass.get(parentName(f.path)!)!
    progress()
  }
  return { shape, count: files.length, pixels, labels, sources: files.map((f) => ({ file: f.path, row: 0 })) }
}

async function importIdx(files: ImportFile[], shape: SampleShape, options: ImportOptions, progress: () => void, at: (path: string) => void): Promise<SampleSet> {
  const parsed = []
  for (const f of files) {
    checkCancelled(options.signal)
    at(f.path)
    if (f.size > IMPORT_LIMITS.idxFileBytes) throw new DataFormatError(f.path, `is ${mib(f.size)}, over the ${mib(IMPORT_LIMITS.idxFileBytes)} limit for one IDX file`)
    parsed.push({ path: f.path, idx: await readIdxFile(await f.read(), f.path) })
    progress()
  }
  const images = parsed.filter((p) => p.idx.dims.length === 3)
  const labelFiles = parsed.filter((p) => p.idx.dims.length === 1)
  const odd = parsed.find((p) => p.idx.dims.length !== 3 && p.idx.dims.length !== 1)
  if (odd) throw new DataFormatError(odd.path, `has ${odd.idx.dims.length} dimensions; IDX image files have 3 (count × height × width) and label files 1`)
  // Pair each image file with the label file whose name matches it with "images" read as "labels".
  const key = (path: string) => baseName(path).toLowerCase().replace(/images?|labels?/g, '*').replace(/idx\d/g, 'idx')
  let result = emptySamples(shape)
  for (const img of images) {
    const matches = labelFiles.filter((l) => key(l.path) === key(img.path))
    const lab = matches.length === 1 ? matches[0]! : images.length === 1 && labelFiles.length === 1 ? labelFiles[0]! : null
    if (lab === null) throw new DataFormatError(img.path, 'has no matching IDX label file; add the labels file from the same set (e.g. train-labels-idx1-ubyte.gz)')
    const [count, height, width] = img.idx.dims as [number, number, number]
    if (height !== shape.height || width !== shape.width) throw new DataFormatError(img.path, `holds ${height}×${width} images, but this dataset needs ${shape.height}×${shape.width}; import them as an image folder to resize them`)
    if (lab.idx.dims[0] !== count) throw new DataFormatError(lab.path, `has ${lab.idx.dims[0]} labels but ${img.path} has ${count} images`)
    const bad = lab.idx.data.findIndex((l) => l >= shape.classes.length)
    if (bad !== -1) throw new DataFormatError(lab.path, `row ${bad + 1} has label ${lab.idx.data[bad]}, outside the ${shape.classes.length} classes 0–${shape.classes.length - 1}`)
    const sources = Array.from({ length: count }, (_, r) => ({ file: baseName(img.path), row: r + 1 }))
    result = appendSamples(result, { shape, count, pixels: img.idx.data.slice(), labels: lab.idx.data.slice(), sources })
  }
  const unpaired = labelFiles.find((l) => !images.some((img) => key(img.path) === key(l.path)) && !(images.length === 1 && labelFiles.length === 1))
  if (unpaired) throw new DataFormatError(unpaired.path, 'is an IDX label file without a matching image file')
  return result
}

export async function importFiles(files: ImportFile[], shape: SampleShape, options: ImportOptions): Promise<ImportResult> {
  if (files.length === 0) throw new TesseraeError('IMPORT_EMPTY', 'no files were given')
  const groups = { image: [] as ImportFile[], idx: [] as ImportFile[], csv: [] as ImportFile[], jsonl: [] as ImportFile[] }
  const skipped: string[] = []
  for (const f of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    const kind = fileKind(f.path)
    if (kind === 'ignored') skipped.push(f.path)
    else groups[kind].push(f)
  }
  const total = files.length - skipped.length
  if (total === 0) throw new TesseraeError('IMPORT_EMPTY', `none of the ${files.length} files is a PNG, JPEG, IDX, CSV, TSV or JSONL file`)
  let done = 0
  let current = ''
  const progress = () => options.onProgress?.(++done, total, current)
  const at = (path: string) => (current = path)
  let samples = emptySamples(shape)
  if (groups.image.length > 0) samples = appendSamples(samples, await importImages(groups.image, shape, options, progress, at))
  if (groups.idx.length > 0) samples = appendSamples(samples, await importIdx(groups.idx, shape, options, progress, at))
  for (const f of [...groups.csv, ...groups.jsonl]) {
    checkCancelled(options.signal)
    at(f.path)
    const table = { name: f.path, bytes: await f.read() }
    samples = appendSamples(samples, fileKind(f.path) === 'csv' ? importDelimited(table, shape) : importJsonl(table, shape))
    progress()
  }
  checkCancelled(options.signal)
  if (samples.count > IMPORT_LIMITS.samples) throw new TesseraeError('IMPORT_TOO_LARGE', `the files hold ${samples.count} samples, over the ${IMPORT_LIMITS.samples} limit for one dataset`)
  return { samples, skipped }
}
