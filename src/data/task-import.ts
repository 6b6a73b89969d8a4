// A contributor's files for a job, read against the job's sample format: pictures in class folders fitted to its
// size and channels, tables with its named columns, or text in its vocabulary, as one block of samples with the
// file and row of each. All or nothing: the first problem (naming its file, line and column) aborts the import.
// Runs in the import worker; pictures are decoded by the injected `decode`, since only the browser has one.
import { TesseraeError } from '../errors.ts'
import { DataFormatError } from './errors.ts'
import { checkImage } from './image-header.ts'
import type { ImportFile, ImportOptions } from './import-files.ts'
import { IMPORT_LIMITS, mib } from './limits.ts'
import { MAX_MANIFEST_CHUNKS } from './manifest.ts'
import { fitImage, type FitRule, type RgbaImage } from './resize.ts'
import { blockTask, describeFormat, type ImageFormat, type SampleFormat, type TabularFormat, type TextFormat } from './sample-format.ts'
import { labelResolver, unknownLabel, type SampleSource } from './samples.ts'
import { readNamedTable } from './tabular-read.ts'
import { tabularSamples } from './tabular-samples.ts'
import { concatBlocks, makeBlock, samplesPerBlock, valuesPerSample, type TaskBlock } from './task-block.ts'
import { tabularBlock, textBlock } from './task-samples.ts'
import { readTextFile, tokenize, windowStarts, type TextSchema } from './text.ts'
import type { TaskSamples } from './task-sample-set.ts'

/** What a file holds, judged by its name. */
type DataKind = 'picture' | 'table' | 'jsonl' | 'text' | 'idx'

const KINDS: ReadonlyArray<{ kind: DataKind; name: RegExp; words: string }> = [
  { kind: 'picture', name: /\.(png|jpe?g|bmp|gif|webp)$/i, words: 'a picture' },
  { kind: 'table', name: /\.(csv|tsv)$/i, words: 'a table' },
  { kind: 'jsonl', name: /\.jsonl$/i, words: 'a JSONL file' },
  { kind: 'text', name: /\.(txt|text|md)$/i, words: 'a text' },
  { kind: 'idx', name: /(\.idx\d?(-ubyte)?|-ubyte)(\.gz)?$/i, words: 'an IDX file' },
]
/** Hidden files, and what Windows and macOS archives leave beside the data (import-files.ts skips the same). */
const JUNK = /(^|\/)(\.[^/]*|Thumbs\.db|desktop\.ini|__MACOSX(\/.*)?)$/i

/** The file's data kind, or null for junk and files of no data kind (left out, and listed as skipped). */
function dataKind(path: string): DataKind | null {
  if (JUNK.test(path)) return null
  return KINDS.find((k) => k.name.test(path))?.kind ?? null
}

/** How one import reads its files: it counts each one done, and may be cancelled between files. */
interface ImportRun {
  options: ImportOptions
  read(file: ImportFile, limitBytes: number, limitName: string): Promise<Uint8Array>
  done(): void
}

interface Imported {
  block: TaskBlock
  sources: SampleSource[]
}

/** One row per sample format: which files it reads, which it leaves out as notes, and how it reads them. */
interface FormatImport<F extends SampleFormat> {
  reads: readonly DataKind[]
  /** Kinds left out beside the data, as a README or notes.txt beside class folders. */
  notes: readonly DataKind[]
  /** What the job takes, for messages: "pictures … in folders named after its classes". */
  takes: string
  read(files: ImportFile[], format: F, fit: FitRule, run: ImportRun): Promise<Imported>
}

const IMPORTS: { [K in SampleFormat['kind']]: FormatImport<Extract<SampleFormat, { kind: K }>> } = {
  image: { reads: ['picture'], notes: ['text'], takes: 'pictures (PNG, JPEG, BMP, GIF or WebP) in folders named after its classes', read: importPictures },
  tabular: { reads: ['table', 'jsonl'], notes: ['text'], takes: 'tables (CSV, TSV or JSONL) with its named columns', read: importTables },
  text: { reads: ['text', 'jsonl'], notes: [], takes: 'text (.txt, .text, .md, or JSONL lines with a "text" string)', read: importTexts },
}

/**
 * Samples one dataset of `format` may hold: the stated import limit, or what its manifest's chunks can hold
 * when one block holds few samples (large colour pictures).
 */
export function maxDatasetSamples(format: SampleFormat): number {
  return Math.min(IMPORT_LIMITS.samples, MAX_MANIFEST_CHUNKS * samplesPerBlock(blockTask(format)))
}

function checkCount(count: number, format: SampleFormat): void {
  const max = maxDatasetSamples(format)
  if (count > max) throw new TesseraeError('IMPORT_TOO_LARGE', `the files hold ${count} samples; one dataset of ${describeFormat(format)} holds at most ${max}`)
}

function checkCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new TesseraeError('IMPORT_CANCELLED', 'the import was cancelled; nothing was added')
}

const folderOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : null)
const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1)

/** Each picture's label from its folder's name (a class name in any case, or its index). */
function pictureLabels(files: readonly ImportFile[], classes: readonly string[], folders: readonly string[]): number[] {
  const resolve = labelResolver(classes)
  const labels = files.map((f) => {
    const folder = folderOf(f.path)
    if (folder === null) throw new DataFormatError(f.path, `is not inside a class folder; put each picture in a folder named after its class (${classes.slice(0, 3).join(', ')}, …)`)
    const label = resolve(baseName(folder))
    if (label === null) throw new DataFormatError(`folder "${folder}"`, `does not name a class: ${unknownLabel(baseName(folder), classes).replace(/^label/, 'the name')}`)
    return label
  })
  for (const folder of folders.map((f) => f.replace(/\/$/, ''))) {
    if (resolve(baseName(folder)) !== null && !files.some((f) => f.path.startsWith(`${folder}/`))) throw new DataFormatError(`class folder "${folder}"`, 'is empty; add pictures to it or remove it')
  }
  return labels
}

/** A negative of the picture: dark objects on a light background become light on dark (options.invert). */
const inverted = (image: RgbaImage): RgbaImage => ({ ...image, data: image.data.map((v, i) => (i % 4 === 3 ? v : 255 - v)) })

async function decodePicture(file: ImportFile, bytes: Uint8Array, options: ImportOptions): Promise<RgbaImage> {
  // PNG and JPEG are checked chunk by chunk first, so a truncated file is named as such; other kinds go to the decoder.
  if (/\.(png|jpe?g)$/i.test(file.path)) checkImage(bytes, file.path)
  let image: RgbaImage
  try {
    image = await options.decode(bytes, file.path)
  } catch (error) {
    throw new DataFormatError(file.path, `cannot be decoded as an image (${error instanceof Error ? error.message : String(error)})`)
  }
  const { width, height } = image
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1 && width <= IMPORT_LIMITS.imageSide && height <= IMPORT_LIMITS.imageSide)) throw new DataFormatError(file.path, `is ${width}×${height}; a picture is 1 to ${IMPORT_LIMITS.imageSide} pixels a side`)
  if (image.data.length !== width * height * 4) throw new DataFormatError(file.path, `decoded to ${image.data.length} bytes, not the ${width * height * 4} of ${width}×${height} RGBA pixels`)
  return options.invert ? inverted(image) : image
}

async function importPictures(files: ImportFile[], format: ImageFormat, fit: FitRule, run: ImportRun): Promise<Imported> {
  const labels = pictureLabels(files, format.classes, run.options.folders ?? [])
  checkCount(files.length, format)
  const task = blockTask(format)
  const per = valuesPerSample(task)
  const x = new Uint8Array(files.length * per)
  for (const [i, f] of files.entries()) {
    const image = await decodePicture(f, await run.read(f, IMPORT_LIMITS.imageFileBytes, 'one image'), run.options)
    x.set(fitImage(image, { height: format.height, width: format.width, channels: format.channels, fit }), i * per)
    run.done()
  }
  return { block: makeBlock(task, x, Uint8Array.from(labels)), sources: files.map((f) => ({ file: f.path, row: 0 })) }
}

async function importTables(files: ImportFile[], format: TabularFormat, _fit: FitRule, run: ImportRun): Promise<Imported> {
  const task = blockTask(format)
  const blocks: TaskBlock[] = []
  const sources: SampleSource[] = []
  for (const f of files) {
    const samples = tabularSamples(readNamedTable({ name: f.path, bytes: await run.read(f, IMPORT_LIMITS.tableFileBytes, 'one table file') }), format.schema)
    checkCount(sources.length + samples.count, format)
    blocks.push(tabularBlock(task, samples))
    for (const s of samples.sources) sources.push(s)
    run.done()
  }
  return { block: concatBlocks(task, blocks), sources }
}

/** Tokens `text` becomes: one per character (code point), or one per UTF-8 byte, as tokenize counts them. */
function tokenCount(text: string, schema: TextSchema): number {
  if (schema.tokens === 'bytes') return new TextEncoder().encode(text).length
  let n = 0
  // A surrogate pair is one code point; a lone surrogate is one too, as the string iterator yields it.
  for (let i = 0; i < text.length; i++, n++) if (text.codePointAt(i)! > 0xffff) i++
  return n
}

/** Tokens between two documents: tokenize joins them with a blank line ("\n\n"). */
const SEPARATOR_TOKENS = 2

/**
 * Every file's text becomes one token stream (in path order), so short notes still make windows and no
 * transition is lost; a window's source is the file it starts in, its row the window's number in that file.
 */
async function importTexts(files: ImportFile[], format: TextFormat, _fit: FitRule, run: ImportRun): Promise<Imported> {
  const documents: string[] = []
  const starts: Array<{ file: string; at: number }> = []
  let at = 0
  for (const f of files) {
    const docs = readTextFile({ name: f.path, bytes: await run.read(f, IMPORT_LIMITS.tableFileBytes, 'one text file') })
    if (documents.length > 0) at += SEPARATOR_TOKENS
    starts.push({ file: f.path, at })
    at += tokenCount(docs.join('\n\n'), format.schema)
    for (const d of docs) documents.push(d)
    run.done()
  }
  const samples = tokenize(documents, format.schema, files.length === 1 ? files[0]!.path : `the text of ${files.length} files`)
  const windows = windowStarts(samples.tokens.length, format.schema.context)
  checkCount(windows.length, format)
  const sources: SampleSource[] = []
  let file = 0
  let row = 0
  for (const start of windows) {
    while (file + 1 < starts.length && starts[file + 1]!.at <= start) {
      file++
      row = 0
    }
    sources.push({ file: starts[file]!.file, row: ++row })
  }
  return { block: textBlock(blockTask(format), samples), sources }
}

/**
 * The samples `files` hold for a job of `format`, pictures fitted to it by `fit`; with the files left out
 * (junk, notes beside the data). A file of another kind than the job takes is an error naming it.
 */
export async function importTaskFiles(files: ImportFile[], format: SampleFormat, fit: FitRule, options: ImportOptions): Promise<{ samples: TaskSamples; skipped: string[] }> {
  if (files.length === 0) throw new TesseraeError('IMPORT_EMPTY', 'no files were given')
  const rule = IMPORTS[format.kind] as FormatImport<SampleFormat>
  const data: ImportFile[] = []
  const skipped: string[] = []
  for (const f of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    const kind = dataKind(f.path)
    if (kind !== null && rule.reads.includes(kind)) data.push(f)
    else if (kind === null || rule.notes.includes(kind)) skipped.push(f.path)
    else throw new DataFormatError(f.path, `is ${KINDS.find((k) => k.kind === kind)!.words}, but this job's samples are ${describeFormat(format)}: it takes ${rule.takes}`)
  }
  if (data.length === 0) throw new TesseraeError('IMPORT_EMPTY', `none of the ${files.length} files is data for this job, which takes ${rule.takes}`)
  let done = 0
  let current = ''
  const run: ImportRun = {
    options,
    read: async (file, limitBytes, limitName) => {
      checkCancelled(options.signal)
      current = file.path
      if (file.size > limitBytes) throw new DataFormatError(file.path, `is ${mib(file.size)}, over the ${mib(limitBytes)} limit for ${limitName}`)
      const bytes = await file.read()
      if (bytes.length > limitBytes) throw new DataFormatError(file.path, `is ${mib(bytes.length)}, over the ${mib(limitBytes)} limit for ${limitName}`)
      return bytes
    },
    done: () => options.onProgress?.(++done, data.length, current),
  }
  const { block, sources } = await rule.read(data, format, fit, run)
  checkCancelled(options.signal)
  return { samples: { format, block, sources }, skipped }
}
