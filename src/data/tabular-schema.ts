// A tabular task's input schema: which columns are features (numbers or categories), which one is the label,
// and whether the task predicts a class or a number. The job owner's first file proposes it (inferTabularSchema),
// the owner picks the label; every contributed file is then read against it, and a job carries it to peers
// (decodeTabularSchema, strict).
import { DecodeError } from '../errors.ts'
import { asObject, readString, readStringArray } from '../schema.ts'
import { DataFormatError } from './errors.ts'
import { present, MAX_NAME_CHARS, MAX_TABLE_COLUMNS, type NamedTable } from './tabular-read.ts'

/** Categories one feature may have, and classes one label may have (labels are stored as bytes). */
export const MAX_CATEGORIES = 256
/** A numeric label with at most this many distinct whole values is read as classes unless the owner says otherwise. */
const MAX_IMPLIED_CLASSES = 20

export type TabularFeature = { name: string; kind: 'numeric' } | { name: string; kind: 'categorical'; categories: string[] }

export type TabularTarget = { kind: 'classification'; classes: string[] } | { kind: 'regression' }

export interface TabularSchema {
  kind: 'tabular'
  features: TabularFeature[]
  /** The label column's name. */
  label: string
  target: TabularTarget
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/** The number a cell spells, or null when it is not plain decimal notation (no hex, no thousands separators). */
export function parseNumber(text: string): number | null {
  const t = text.trim()
  if (!NUMBER.test(t)) return null
  const value = Number(t)
  return Number.isFinite(value) ? value : null
}

/** What one column of the owner's file holds. */
export interface ColumnSummary {
  name: string
  /** Every present value is a number. */
  numeric: boolean
  /** Distinct present values, in first-seen order (stops counting past MAX_CATEGORIES + 1). */
  distinct: string[]
  missing: number
}

export function summariseColumns(table: NamedTable): ColumnSummary[] {
  return table.columns.map((name, c) => {
    const seen = new Set<string>()
    let numeric = true
    let missing = 0
    for (const row of table.rows) {
      const value = present(row.cells[c]!)
      if (value === null) {
        missing++
        continue
      }
      if (numeric && parseNumber(value) === null) numeric = false
      if (seen.size <= MAX_CATEGORIES) seen.add(value)
    }
    return { name, numeric, distinct: [...seen], missing }
  })
}

/** Distinct class or category names in a stable order: numbers by value, other text by code unit (no locale). */
function ordered(values: readonly string[], numeric: boolean): string[] {
  return [...values].sort((a, b) => (numeric ? parseNumber(a)! - parseNumber(b)! : a < b ? -1 : 1))
}

function categoriesOf(column: ColumnSummary, file: string, role: string): string[] {
  if (column.distinct.length > MAX_CATEGORIES) throw new DataFormatError(file, `column "${column.name}" has more than ${MAX_CATEGORIES} different values, too many for ${role}; if it is an id or free text, leave it out`)
  const long = column.distinct.find((v) => v.length > MAX_NAME_CHARS)
  if (long !== undefined) throw new DataFormatError(file, `column "${column.name}" holds "${long.slice(0, 40)}…", longer than ${MAX_NAME_CHARS} characters for ${role}; if it is free text, leave it out`)
  return ordered(column.distinct, column.numeric)
}

export interface SchemaChoices {
  /** The column to predict. */
  label: string
  /** Default: classification for a text label or a whole-number label with few values, regression otherwise. */
  target?: 'classification' | 'regression'
  /** Columns that are neither features nor the label (ids, free text). */
  ignore?: readonly string[]
}

/** The schema the owner's file and choices describe; every problem names the file and the column. */
export function inferTabularSchema(table: NamedTable, choices: SchemaChoices): TabularSchema {
  const columns = summariseColumns(table)
  const byName = new Map(columns.map((c) => [c.name, c]))
  const label = byName.get(choices.label)
  if (!label) throw new DataFormatError(table.file, `has no column named "${choices.label}" to predict (its columns: ${table.columns.map((c) => `"${c}"`).join(', ')})`)
  for (const name of choices.ignore ?? []) if (!byName.has(name)) throw new DataFormatError(table.file, `has no column named "${name}" to leave out`)
  if (label.distinct.length === 0) throw new DataFormatError(table.file, `column "${label.name}" has no values to learn from`)
  const wholeFew = label.numeric && label.distinct.length <= MAX_IMPLIED_CLASSES && label.distinct.every((v) => Number.isInteger(parseNumber(v)))
  const classify = choices.target === undefined ? !label.numeric || wholeFew : choices.target === 'classification'
  if (!classify && !label.numeric) throw new DataFormatError(table.file, `column "${label.name}" holds text such as "${label.distinct.find((v) => parseNumber(v) === null)!.slice(0, 40)}", so it cannot be predicted as a number`)
  let target: TabularTarget = { kind: 'regression' }
  if (classify) {
    const classes = categoriesOf(label, table.file, 'classes')
    if (classes.length < 2) throw new DataFormatError(table.file, `column "${label.name}" has only one value ("${classes[0]}"); a classifier needs at least two classes`)
    target = { kind: 'classification', classes }
  }
  const ignored = new Set(choices.ignore ?? [])
  const features: TabularFeature[] = []
  for (const column of columns) {
    if (column === label || ignored.has(column.name)) continue
    if (column.distinct.length === 0) throw new DataFormatError(table.file, `column "${column.name}" has no values; leave it out`)
    features.push(column.numeric ? { name: column.name, kind: 'numeric' } : { name: column.name, kind: 'categorical', categories: categoriesOf(column, table.file, 'categories') })
  }
  if (features.length === 0) throw new DataFormatError(table.file, `has no column to learn "${label.name}" from`)
  return { kind: 'tabular', features, label: label.name, target }
}

/** Width of one encoded sample: one input per numeric feature, one per category of each categorical one. */
export function encodedWidth(schema: TabularSchema): number {
  return schema.features.reduce((n, f) => n + (f.kind === 'numeric' ? 1 : f.categories.length), 0)
}

/** Strict decoder for a schema a job carries (it comes from a peer). */
export function decodeTabularSchema(value: unknown): TabularSchema {
  const what = 'tabular schema'
  const obj = asObject(value, what)
  if (obj.kind !== 'tabular') throw new DecodeError(what, '"kind" must be "tabular"')
  if (!Array.isArray(obj.features) || obj.features.length === 0 || obj.features.length > MAX_TABLE_COLUMNS) throw new DecodeError(what, `"features" must list 1 to ${MAX_TABLE_COLUMNS} features`)
  const names = new Set<string>()
  const features = obj.features.map((item: unknown, i: number): TabularFeature => {
    const where = `${what} feature ${i}`
    const f = asObject(item, where)
    const name = readString(f, 'name', where, MAX_NAME_CHARS)
    if (name === '' || names.has(name)) throw new DecodeError(where, `name "${name}" is empty or repeated`)
    names.add(name)
    if (f.kind === 'numeric') return { name, kind: 'numeric' }
    if (f.kind !== 'categorical') throw new DecodeError(where, '"kind" must be "numeric" or "categorical"')
    return { name, kind: 'categorical', categories: distinctNames(readStringArray(f, 'categories', where, MAX_CATEGORIES, MAX_NAME_CHARS), where, 'categories', 1) }
  })
  const label = readString(obj, 'label', what, MAX_NAME_CHARS)
  if (label === '' || names.has(label)) throw new DecodeError(what, `label "${label}" is empty or also a feature`)
  const t = asObject(obj.target, `${what} target`)
  let target: TabularTarget
  if (t.kind === 'regression') target = { kind: 'regression' }
  else if (t.kind === 'classification') target = { kind: 'classification', classes: distinctNames(readStringArray(t, 'classes', `${what} target`, MAX_CATEGORIES, MAX_NAME_CHARS), `${what} target`, 'classes', 2) }
  else throw new DecodeError(`${what} target`, '"kind" must be "classification" or "regression"')
  return { kind: 'tabular', features, label, target }
}

function distinctNames(list: string[], where: string, key: string, least: number): string[] {
  if (list.length < least) throw new DecodeError(where, `"${key}" must list at least ${least}`)
  if (new Set(list).size !== list.length) throw new DecodeError(where, `"${key}" repeats a name`)
  return list
}
