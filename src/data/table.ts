// CSV, TSV and JSONL importers. Every sample is one row (or line): a label and height × width pixel values
// 0–255. Errors name the file, the row and the column, and a failed file yields nothing.
import { DataFormatError } from './errors.ts'
import { IMPORT_LIMITS, mib } from './limits.ts'
import { labelResolver, pixelsPerSample, unknownLabel, type SampleSet, type SampleShape, type SampleSource } from './samples.ts'

export interface TableFile {
  name: string
  bytes: Uint8Array
}

const LABEL_COLUMNS = ['label', 'class', 'y', 'target']

/** The file's text, refused past the size limit or when it is not UTF-8. */
export function decodeText(file: TableFile): string {
  if (file.bytes.length > IMPORT_LIMITS.tableFileBytes) throw new DataFormatError(file.name, `is ${mib(file.bytes.length)}, over the ${mib(IMPORT_LIMITS.tableFileBytes)} limit for one table file`)
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(file.bytes)
  } catch {
    throw new DataFormatError(file.name, 'is not UTF-8 text')
  }
}

/** Tab for a .tsv file or text whose start has tabs and no commas; comma otherwise. */
export function delimiterOf(fileName: string, text: string): string {
  const start = text.slice(0, 4096)
  return /\.tsv$/i.test(fileName) || (!start.includes(',') && start.includes('\t')) ? '\t' : ','
}

/** Splits delimited text into rows (RFC 4180 quoting), with each row's 1-based line number. */
export function parseDelimited(text: string, delimiter: string, fileName: string): Array<{ line: number; cells: string[] }> {
  const rows: Array<{ line: number; cells: string[] }> = []
  let cells: string[] = []
  let cell = ''
  let quoted = false
  let line = 1
  let rowLine = 1
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"'
          i++
        } else quoted = false
      } else {
        if (ch === '\n') line++
        cell += ch
      }
      continue
    }
    if (ch === '"' && cell === '') quoted = true
    else if (ch === delimiter) {
      cells.push(cell)
      cell = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      cells.push(cell)
      if (cells.length > 1 || cells[0] !== '') rows.push({ line: rowLine, cells })
      cells = []
      cell = ''
      line++
      rowLine = line
    } else cell += ch
  }
  if (quoted) throw new DataFormatError(fileName, `line ${rowLine}: a quoted value is never closed`)
  cells.push(cell)
  if (cells.length > 1 || cells[0] !== '') rows.push({ line: rowLine, cells })
  return rows
}

function readPixel(text: string, file: string, where: string): number {
  const value = Number(text.trim())
  if (text.trim() === '' || !Number.isFinite(value)) throw new DataFormatError(file, `${where}: "${text.slice(0, 20)}" is not a number`)
  if (value < 0 || value > 255) throw new DataFormatError(file, `${where}: pixel value ${value} is outside 0–255`)
  return Math.round(value)
}

class Builder {
  readonly shape: SampleShape
  readonly size: number
  private readonly pixels: Uint8Array
  private readonly labels: Uint8Array
  readonly sources: SampleSource[] = []
  count = 0

  /** `rows`: the file's rows or lines, which bound its samples (blank ones and a header hold none). */
  constructor(shape: SampleShape, rows: number) {
    this.shape = shape
    this.size = pixelsPerSample(shape)
    this.pixels = new Uint8Array(rows * this.size)
    this.labels = new Uint8Array(rows)
  }

  add(pixel: (p: number) => number, label: number, source: SampleSource): void {
    if (this.count >= IMPORT_LIMITS.samples) throw new DataFormatError(source.file, `has more than ${IMPORT_LIMITS.samples} samples, the limit for one dataset`)
    const at = this.count * this.size
    for (let p = 0; p < this.size; p++) this.pixels[at + p] = pixel(p)
    this.labels[this.count] = label
    this.sources.push(source)
    this.count++
  }

  finish(file: string): SampleSet {
    if (this.count === 0) throw new DataFormatError(file, 'holds no samples')
    return { shape: this.shape, count: this.count, pixels: this.pixels.slice(0, this.count * this.size), labels: this.labels.slice(0, this.count), sources: this.sources }
  }
}

/**
 * CSV or TSV: one sample per row, a label column (named label, class, y or target in a header row; the first
 * column when there is no header) and height × width pixel columns.
 */
export function importDelimited(file: TableFile, shape: SampleShape): SampleSet {
  const text = decodeText(file)
  const rows = parseDelimited(text, delimiterOf(file.name, text), file.name)
  if (rows.length === 0) throw new DataFormatError(file.name, 'is empty')
  const size = pixelsPerSample(shape)
  const first = rows[0]!.cells
  const hasHeader = first.some((c) => c.trim() !== '' && !Number.isFinite(Number(c.trim())) && labelResolver(shape.classes)(c) === null)
  let labelColumn = 0
  if (hasHeader) {
    const found = first.findIndex((c) => LABEL_COLUMNS.includes(c.trim().toLowerCase()))
    if (found === -1) throw new DataFormatError(file.name, `has a header row but no label column (name one of ${LABEL_COLUMNS.join(', ')})`)
    labelColumn = found
  }
  const columns = first.length
  if (columns !== size + 1) throw new DataFormatError(file.name, `${hasHeader ? 'header' : `row ${rows[0]!.line}`} has ${columns} columns; a ${shape.height}×${shape.width} image needs ${size} pixel columns plus a label column (${size + 1})`)
  const resolve = labelResolver(shape.classes)
  const builder = new Builder(shape, rows.length)
  for (const { line, cells } of hasHeader ? rows.slice(1) : rows) {
    if (cells.length !== columns) throw new DataFormatError(file.name, `row ${line} has ${cells.length} columns, expected ${columns}`)
    const label = resolve(cells[labelColumn]!)
    if (label === null) throw new DataFormatError(file.name, `row ${line}: ${unknownLabel(cells[labelColumn]!, shape.classes)}`)
    builder.add((p) => {
      const column = p < labelColumn ? p : p + 1
      return readPixel(cells[column]!, file.name, `row ${line} column ${column + 1}`)
    }, label, { file: file.name, row: line })
  }
  return builder.finish(file.name)
}

/**
 * JSONL: one object per line, {"label": "Coat" | 4, "pixels": [...]} with the pixels flat (height × width
 * numbers) or as rows ([[...], ...]); "image" is accepted for "pixels". Blank lines are skipped.
 */
export function importJsonl(file: TableFile, shape: SampleShape): SampleSet {
  const objects = jsonlObjects(decodeText(file), file.name, 'with "label" and "pixels"')
  const size = pixelsPerSample(shape)
  const resolve = labelResolver(shape.classes)
  const builder = new Builder(shape, objects.length)
  for (const { line, obj } of objects) {
    const rawLabel = obj.label
    if (typeof rawLabel !== 'string' && typeof rawLabel !== 'number') throw new DataFormatError(file.name, `line ${line} has no "label" (a class name or index)`)
    const label = resolve(String(rawLabel))
    if (label === null) throw new DataFormatError(file.name, `line ${line}: ${unknownLabel(String(rawLabel), shape.classes)}`)
    const rawPixels = obj.pixels ?? obj.image
    if (!Array.isArray(rawPixels)) throw new DataFormatError(file.name, `line ${line} has no "pixels" array`)
    const flat: unknown[] = Array.isArray(rawPixels[0]) ? (rawPixels as unknown[][]).flat() : rawPixels
    if (Array.isArray(rawPixels[0]) && (rawPixels.length !== shape.height || rawPixels.some((r) => !Array.isArray(r) || r.length !== shape.width)))
      throw new DataFormatError(file.name, `line ${line}: the pixel rows are not ${shape.height} rows of ${shape.width}`)
    if (flat.length !== size) throw new DataFormatError(file.name, `line ${line} has ${flat.length} pixel values; a ${shape.height}×${shape.width} image needs ${size}`)
    builder.add((p) => {
      const v = flat[p]
      if (typeof v !== 'number') throw new DataFormatError(file.name, `line ${line} pixel ${p}: ${JSON.stringify(v)?.slice(0, 20)} is not a number`)
      return readPixel(String(v), file.name, `line ${line} pixel ${p}`)
    }, label, { file: file.name, row: line })
  }
  return builder.finish(file.name)
}

/**
 * Each non-blank line of JSONL text parsed as an object, with its 1-based line number; `expected` finishes the
 * sentence "line N must be a JSON object …" for a line that is valid JSON but no object.
 */
export function jsonlObjects(text: string, fileName: string, expected: string): Array<{ line: number; obj: Record<string, unknown> }> {
  const objects: Array<{ line: number; obj: Record<string, unknown> }> = []
  text.split(/\r?\n/).forEach((source, i) => {
    const line = i + 1
    if (source.trim() === '') return
    let value: unknown
    try {
      value = JSON.parse(source)
    } catch (error) {
      throw new DataFormatError(fileName, `line ${line} is not valid JSON (${error instanceof Error ? error.message : String(error)})`)
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DataFormatError(fileName, `line ${line} must be a JSON object ${expected}`)
    objects.push({ line, obj: value as Record<string, unknown> })
  })
  return objects
}
