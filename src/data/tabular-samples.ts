// Rows of a table read against a job's tabular schema, then encoded for a model. The stated rules:
// - a file may hold more columns than the schema (they are ignored) but must hold every feature and the label;
// - a missing feature value is allowed: a missing number becomes the feature's mean in the job's accepted data
//   (0 after standardisation), a missing category sets none of its inputs;
// - a missing or unknown label, a value that is not a number, or a category the job does not know is an error
//   naming the file, the line and the column, and the file yields nothing;
// - numbers are standardised with statistics computed from the job's accepted data (featureStats), which are
//   versioned with the model so the use page encodes a row exactly as training did.
import { DataFormatError } from './errors.ts'
import type { SampleSource } from './samples.ts'
import { present, readNamedTable, type NamedTable } from './tabular-read.ts'
import { encodedWidth, parseNumber, type TabularSchema } from './tabular-schema.ts'
import type { TableFile } from './table.ts'

export interface TabularSamples {
  schema: TabularSchema
  count: number
  /**
   * count × features values, row-major: a number as read (NaN where missing), or a category's index (-1
   * where missing).
   */
  values: Float32Array
  /** A class index (classification) or the value to predict (regression), per sample. */
  labels: Float32Array
  sources: SampleSource[]
}

const describeCategories = (names: readonly string[]) => `${names.slice(0, 8).map((n) => `"${n}"`).join(', ')}${names.length > 8 ? `, … (${names.length} in all)` : ''}`

/** Reads `table`'s rows as samples of `schema`. */
export function tabularSamples(table: NamedTable, schema: TabularSchema): TabularSamples {
  const column = (name: string) => {
    const at = table.columns.indexOf(name)
    if (at === -1) throw new DataFormatError(table.file, `has no column "${name}", which this job needs (it reads ${[...schema.features.map((f) => f.name), schema.label].map((n) => `"${n}"`).join(', ')})`)
    return at
  }
  const featureColumns = schema.features.map((f) => column(f.name))
  const labelColumn = column(schema.label)
  const categoryIndex = schema.features.map((f) => (f.kind === 'categorical' ? new Map(f.categories.map((c, i) => [c, i])) : null))
  const classes = schema.target.kind === 'classification' ? schema.target.classes : null
  const classIndex = classes ? new Map(classes.map((c, i) => [c, i])) : null
  const width = schema.features.length
  const values = new Float32Array(table.rows.length * width)
  const labels = new Float32Array(table.rows.length)
  table.rows.forEach(({ line, cells }, r) => {
    schema.features.forEach((feature, f) => {
      const text = present(cells[featureColumns[f]!]!)
      const at = r * width + f
      if (text === null) {
        values[at] = feature.kind === 'numeric' ? NaN : -1
        return
      }
      if (feature.kind === 'numeric') {
        const value = parseNumber(text)
        if (value === null) throw new DataFormatError(table.file, `line ${line} column "${feature.name}": "${text.slice(0, 40)}" is not a number`)
        values[at] = value
        return
      }
      const index = categoryIndex[f]!.get(text)
      if (index === undefined) throw new DataFormatError(table.file, `line ${line} column "${feature.name}": "${text.slice(0, 40)}" is not one of this job's categories (${describeCategories(feature.categories)})`)
      values[at] = index
    })
    const text = present(cells[labelColumn]!)
    if (text === null) throw new DataFormatError(table.file, `line ${line} column "${schema.label}": the label is missing`)
    if (classes && classIndex) {
      const index = classIndex.get(text)
      if (index === undefined) throw new DataFormatError(table.file, `line ${line} column "${schema.label}": "${text.slice(0, 40)}" is not one of this job's classes (${describeCategories(classes)})`)
      labels[r] = index
    } else {
      const value = parseNumber(text)
      if (value === null) throw new DataFormatError(table.file, `line ${line} column "${schema.label}": "${text.slice(0, 40)}" is not a number to predict`)
      labels[r] = value
    }
  })
  return { schema, count: table.rows.length, values, labels, sources: table.rows.map(({ line }) => ({ file: table.file, row: line })) }
}

/** A contributed file read against the job's schema: all of it, or an error and nothing. */
export function importTabular(file: TableFile, schema: TabularSchema): TabularSamples {
  return tabularSamples(readNamedTable(file), schema)
}

/** Per numeric feature, the mean and standard deviation of its present values; null for categorical ones. */
export interface FeatureStats {
  features: Array<{ mean: number; std: number } | null>
}

/**
 * Statistics over every accepted sample, in float64. A feature with no spread (or no values) gets std 1, so it
 * encodes to 0 rather than dividing by zero.
 */
export function featureStats(sets: readonly TabularSamples[]): FeatureStats {
  const schema = sets[0]?.schema
  if (!schema) throw new RangeError('feature statistics need at least one set of samples')
  const width = schema.features.length
  return {
    features: schema.features.map((feature, f) => {
      if (feature.kind !== 'numeric') return null
      let n = 0
      let sum = 0
      for (const set of sets) for (let r = 0; r < set.count; r++) {
        const v = set.values[r * width + f]!
        if (Number.isNaN(v)) continue
        n++
        sum += v
      }
      const mean = n === 0 ? 0 : sum / n
      let squares = 0
      for (const set of sets) for (let r = 0; r < set.count; r++) {
        const v = set.values[r * width + f]!
        if (!Number.isNaN(v)) squares += (v - mean) ** 2
      }
      // No values (0 / 0) or no spread: 1, so the feature encodes to 0.
      const std = Math.sqrt(squares / n)
      return { mean, std: std > 0 ? std : 1 }
    }),
  }
}

/** The model's inputs: count × encodedWidth(schema), numbers standardised, categories one-hot. */
export function encodeTabular(samples: TabularSamples, stats: FeatureStats): Float32Array {
  const { schema, count, values } = samples
  if (stats.features.length !== schema.features.length) throw new RangeError(`the statistics describe ${stats.features.length} features, the samples ${schema.features.length}`)
  const width = schema.features.length
  const encoded = encodedWidth(schema)
  const out = new Float32Array(count * encoded)
  for (let r = 0; r < count; r++) encodeRow(schema, stats, values.subarray(r * width, (r + 1) * width), out.subarray(r * encoded, (r + 1) * encoded))
  return out
}

/** One row's values as read → its encoded features, written into `out` (zeroed, encodedWidth long). */
export function encodeRow(schema: TabularSchema, stats: FeatureStats, row: ArrayLike<number>, out: Float32Array): void {
  let at = 0
  schema.features.forEach((feature, f) => {
    const v = row[f]!
    if (feature.kind === 'numeric') {
      const s = stats.features[f]
      if (!s) throw new RangeError(`feature "${feature.name}" is numeric but its statistics are not`)
      // The stated missing-value rule: a missing number is the mean of the accepted data, 0 once standardised.
      out[at++] = Number.isNaN(v) ? 0 : (v - s.mean) / s.std
      return
    }
    // A missing category (−1) sets none of its inputs.
    if (v >= 0) out[at + v] = 1
    at += feature.categories.length
  })
}
