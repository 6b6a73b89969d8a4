// Reads a table with named columns (CSV, TSV or JSONL) into raw text cells, before any typing: the first row of
// a CSV or TSV names the columns; each JSONL line is an object whose keys name them. Errors name the file, the
// row and the column; a failed file yields nothing.
import { DataFormatError } from './errors.ts'
import { IMPORT_LIMITS } from './limits.ts'
import { decodeText, delimiterOf, jsonlObjects, parseDelimited, type TableFile } from './table.ts'

/** Columns one table may have. */
export const MAX_TABLE_COLUMNS = 512
/** Longest column name, and longest category or class name (longer text is not a category). */
export const MAX_NAME_CHARS = 64

export interface TableRow {
  /** 1-based line of the file the row starts on. */
  line: number
  /** One cell per column, in `columns` order; null where the row has no value for it. */
  cells: Array<string | null>
}

export interface NamedTable {
  file: string
  columns: string[]
  rows: TableRow[]
}

/** Cell text read as "no value": the spellings spreadsheets and data tools write for a gap. */
const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '?'])

/** A cell's value without surrounding space, or null when the cell is missing. */
export function present(cell: string | null): string | null {
  if (cell === null) return null
  const text = cell.trim()
  return MISSING.has(text.toLowerCase()) ? null : text
}

export function readNamedTable(file: TableFile): NamedTable {
  return /\.jsonl$/i.test(file.name) ? readJsonl(file) : readDelimited(file)
}

function checkColumns(file: string, names: string[], where: string): void {
  if (names.length > MAX_TABLE_COLUMNS) throw new DataFormatError(file, `${where} has ${names.length} columns, over the limit of ${MAX_TABLE_COLUMNS}`)
  const seen = new Map<string, number>()
  names.forEach((name, i) => {
    if (name === '') throw new DataFormatError(file, `${where}: column ${i + 1} has no name; name every column in the first row`)
    if (name.length > MAX_NAME_CHARS) throw new DataFormatError(file, `${where}: column ${i + 1}'s name is longer than ${MAX_NAME_CHARS} characters`)
    const before = seen.get(name)
    if (before !== undefined) throw new DataFormatError(file, `${where}: columns ${before + 1} and ${i + 1} are both named "${name}"`)
    seen.set(name, i)
  })
}

function checkRowCount(file: string, rows: number): void {
  if (rows > IMPORT_LIMITS.samples) throw new DataFormatError(file, `has more than ${IMPORT_LIMITS.samples} rows, the limit for one dataset`)
}

function readDelimited(file: TableFile): NamedTable {
  const text = decodeText(file)
  const rows = parseDelimited(text, delimiterOf(file.name, text), file.name)
  if (rows.length === 0) throw new DataFormatError(file.name, 'is empty')
  const header = rows[0]!
  const columns = header.cells.map((c) => c.trim())
  // A first row of numbers is data, not names: the columns would be called "5.1", "3.5", …
  if (columns.every((c) => c !== '' && Number.isFinite(Number(c)))) throw new DataFormatError(file.name, `line ${header.line} holds numbers, not column names; add a first row naming each column`)
  checkColumns(file.name, columns, `the header (line ${header.line})`)
  checkRowCount(file.name, rows.length - 1)
  const body = rows.slice(1).map(({ line, cells }) => {
    if (cells.length !== columns.length) throw new DataFormatError(file.name, `line ${line} has ${cells.length} values, but the header names ${columns.length} columns`)
    return { line, cells: cells as Array<string | null> }
  })
  if (body.length === 0) throw new DataFormatError(file.name, 'has a header but no rows')
  return { file: file.name, columns, rows: body }
}

function jsonCell(value: unknown, file: string, line: number, key: string): string | null {
  if (value === null) return null
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new DataFormatError(file, `line ${line} column "${key}": ${value} is not a finite number`)
    return String(value)
  }
  if (typeof value === 'string') return value
  if (typeof value === 'boolean') return String(value)
  throw new DataFormatError(file, `line ${line} column "${key}": a value must be a number, a string, true, false or null, not ${Array.isArray(value) ? 'a list' : 'an object'}`)
}

function readJsonl(file: TableFile): NamedTable {
  const objects = jsonlObjects(decodeText(file), file.name, 'whose keys name the columns')
  const index = new Map<string, number>()
  const columns: string[] = []
  for (const { line, obj } of objects) {
    for (const key of Object.keys(obj)) {
      if (index.has(key)) continue
      index.set(key, columns.length)
      columns.push(key)
      checkColumns(file.name, columns, `line ${line}`)
    }
  }
  checkRowCount(file.name, objects.length)
  if (objects.length === 0) throw new DataFormatError(file.name, 'holds no rows')
  // A key a line leaves out is a missing value in that row.
  const rows = objects.map(({ line, obj }) => ({ line, cells: columns.map((key) => (key in obj ? jsonCell(obj[key], file.name, line, key) : null)) }))
  return { file: file.name, columns, rows }
}
