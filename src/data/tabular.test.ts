// Tables with named columns: reading CSV, TSV and JSONL, proposing a schema from the owner's file, reading
// contributed files against it (every refusal names the file, the line and the column), statistics and encoding,
// and the strict decoder a job's schema goes through. The real Wine and Breast-Cancer files are read too.
import { describe, expect, it } from 'vitest'
import { readNamedTable, MAX_TABLE_COLUMNS } from './tabular-read.ts'
import { decodeTabularSchema, encodedWidth, inferTabularSchema, MAX_CATEGORIES, parseNumber, summariseColumns, type TabularSchema } from './tabular-schema.ts'
import { IMPORT_LIMITS } from './limits.ts'
import { encodeTabular, featureStats, importTabular, tabularSamples } from './tabular-samples.ts'
import { readSharedFile } from './testing/shared-files.ts'

const file = (name: string, text: string) => ({ name, bytes: new TextEncoder().encode(text) })
const table = (name: string, text: string) => readNamedTable(file(name, text))

const IRIS = [
  'sepal_length,sepal_width,colour,species',
  '5.1,3.5,blue,setosa',
  '4.9,,red,setosa',
  '7.0,3.2,NA,versicolor',
  '6.3,3.3,blue,virginica',
  '"5.8",2.7,red,virginica',
].join('\n')

describe('reading tables with named columns', () => {
  it('reads CSV, TSV (by extension or by its tabs) and JSONL into the same rows, missing cells as null', () => {
    const csv = table('a.csv', 'x,y,label\n1,2,a\n3,,b\n')
    expect(csv).toEqual({ file: 'a.csv', columns: ['x', 'y', 'label'], rows: [{ line: 2, cells: ['1', '2', 'a'] }, { line: 3, cells: ['3', '', 'b'] }] })
    expect(table('a.tsv', 'x\ty\tlabel\n1\t2\ta\n3\t\tb').rows).toEqual(csv.rows)
    expect(table('a.txt', 'x\ty\tlabel\n1\t2\ta\n3\t\tb').rows).toEqual(csv.rows)
    // A byte-order mark (spreadsheet exports write one) is not part of the first name.
    expect(readNamedTable({ name: 'bom.csv', bytes: Uint8Array.of(0xef, 0xbb, 0xbf, ...new TextEncoder().encode('x,y\n1,2')) }).columns).toEqual(['x', 'y'])
    // Only a name ending in .tsv is tab-separated by its name.
    expect(table('data.tsv.csv', 'x,y\n1,2').columns).toEqual(['x', 'y'])
    // One column; a row of empty cells is a row; old Mac line endings; an inch mark inside a value.
    expect(table('one.csv', 'x\n1\n2').rows).toEqual([{ line: 2, cells: ['1'] }, { line: 3, cells: ['2'] }])
    expect(table('empty.csv', 'x,y\n,\n1,2').rows).toEqual([{ line: 2, cells: ['', ''] }, { line: 3, cells: ['1', '2'] }])
    expect(table('mac.csv', 'x,y\r1,2\r3,4').rows).toEqual([{ line: 2, cells: ['1', '2'] }, { line: 3, cells: ['3', '4'] }])
    expect(table('inch.csv', 'size,y\n5"6,a').rows).toEqual([{ line: 2, cells: ['5"6', 'a'] }])
    // JSONL: a line of spaces is blank; a line that is JSON but no object is refused.
    expect(table('s.jsonl', '{"x": 1}\n   \n{"x": 2}').rows).toHaveLength(2)
    expect(() => table('n.jsonl', '{"x": 1}\n5')).toThrow('n.jsonl line 2 must be a JSON object whose keys name the columns')
    expect(() => table('n.jsonl', '"x"')).toThrow('n.jsonl line 1 must be a JSON object')
    // Names are trimmed; only a name ending in .jsonl is JSONL.
    expect(table('b.csv', ' x , y,label\n1,2,a').columns).toEqual(['x', 'y', 'label'])
    expect(table('rows.jsonl.csv', 'x,label\n1,a').columns).toEqual(['x', 'label'])
    const jsonl = table('a.jsonl', '{"x": 1, "y": 2, "label": "a"}\n\n{"label": "b", "x": 3, "extra": true}\n{"y": null, "x": 5, "label": "c"}')
    expect(jsonl.columns).toEqual(['x', 'y', 'label', 'extra'])
    expect(jsonl.rows).toEqual([
      { line: 1, cells: ['1', '2', 'a', null] },
      { line: 3, cells: ['3', null, 'b', 'true'] },
      { line: 4, cells: ['5', null, 'c', null] },
    ])
  })

  it('refuses a table it cannot name the columns of, naming the file and the line', () => {
    expect(() => table('n.csv', '5.1,3.5,0\n4.9,3.0,1')).toThrow('n.csv line 1 holds numbers, not column names; add a first row naming each column')
    // Some numbers among names are names (years, say); an empty one is still a missing name.
    expect(table('y.csv', 'region,2020,2021\nx,1,2').columns).toEqual(['region', '2020', '2021'])
    expect(() => table('g.csv', '1,,2\n1,2,3')).toThrow('g.csv the header (line 1): column 2 has no name')
    expect(() => table('e.csv', 'x,,label\n1,2,a')).toThrow('e.csv the header (line 1): column 2 has no name')
    expect(() => table('d.csv', 'x,y,x\n1,2,3')).toThrow('d.csv the header (line 1): columns 1 and 3 are both named "x"')
    expect(() => table('w.csv', 'x,y,label\n1,2,a\n1,2\n')).toThrow('w.csv line 3 has 2 values, but the header names 3 columns')
    expect(() => table('h.csv', 'x,y,label\n')).toThrow('h.csv has a header but no rows')
    expect(() => table('z.csv', '')).toThrow('z.csv is empty')
    expect(() => table('b.jsonl', '{"x": 1}\n[1, 2]')).toThrow('b.jsonl line 2 must be a JSON object whose keys name the columns')
    expect(() => table('b.jsonl', '{"x": 1}\n{"x": ')).toThrow(/^b\.jsonl line 2 is not valid JSON/)
    expect(() => table('b.jsonl', '{"x": {"deep": 1}}')).toThrow('b.jsonl line 1 column "x": a value must be a number, a string, true, false or null, not an object')
    expect(() => table('b.jsonl', '{"x": [1]}')).toThrow('not a list')
    expect(() => table('b.jsonl', '{"x": 1}\n{"x": 1e999}')).toThrow('b.jsonl line 2 column "x": Infinity is not a finite number')
    expect(() => table('b.jsonl', '\n\n')).toThrow('b.jsonl holds no rows')
    expect(() => readNamedTable({ name: 'bin.csv', bytes: Uint8Array.of(0x78, 0x0a, 0xff, 0xfe) })).toThrow('bin.csv is not UTF-8 text')
  })

  it('takes exactly the column limit and names of exactly 64 characters, and refuses one more', () => {
    const names = (n: number, long = 'c') => Array.from({ length: n }, (_, i) => `${long}${i}`)
    expect(table('wide.csv', `${names(MAX_TABLE_COLUMNS).join(',')}\n${new Array(MAX_TABLE_COLUMNS).fill(1).join(',')}`).columns).toHaveLength(MAX_TABLE_COLUMNS)
    expect(() => table('wide.csv', `${names(MAX_TABLE_COLUMNS + 1).join(',')}\n${new Array(MAX_TABLE_COLUMNS + 1).fill(1).join(',')}`)).toThrow(`wide.csv the header (line 1) has ${MAX_TABLE_COLUMNS + 1} columns, over the limit of ${MAX_TABLE_COLUMNS}`)
    expect(table('n.csv', `${'n'.repeat(64)},label\n1,a`).columns[0]).toHaveLength(64)
    expect(() => table('n.csv', `${'n'.repeat(65)},label\n1,a`)).toThrow("n.csv the header (line 1): column 1's name is longer than 64 characters")
    const wideJson = (n: number) => JSON.stringify(Object.fromEntries(names(n, 'k').map((k) => [k, 1])))
    expect(table('w.jsonl', wideJson(MAX_TABLE_COLUMNS)).columns).toHaveLength(MAX_TABLE_COLUMNS)
    expect(() => table('w.jsonl', wideJson(MAX_TABLE_COLUMNS + 1))).toThrow(`w.jsonl line 1 has ${MAX_TABLE_COLUMNS + 1} columns`)
  })

  it('takes exactly the row limit for one dataset and refuses one more, in CSV and JSONL', () => {
    const limit = IMPORT_LIMITS.samples
    expect(table('big.csv', `x\n${'1\n'.repeat(limit)}`).rows).toHaveLength(limit)
    expect(() => table('big.csv', `x\n${'1\n'.repeat(limit + 1)}`)).toThrow(`big.csv has more than ${limit} rows, the limit for one dataset`)
    expect(table('big.jsonl', '{"x":1}\n'.repeat(limit)).rows).toHaveLength(limit)
    expect(() => table('big.jsonl', '{"x":1}\n'.repeat(limit + 1))).toThrow(`big.jsonl has more than ${limit} rows`)
  })

  it('reads plain decimal numbers only', () => {
    for (const [text, value] of [['1', 1], [' -2.5 ', -2.5], ['+.5', 0.5], ['3.', 3], ['1e3', 1000], ['2.5E-2', 0.025]] as const) expect(parseNumber(text)).toBe(value)
    for (const text of ['', '0x10', '1,000', '1e', 'Infinity', 'NaN', '1e999', '--1', '.']) expect(parseNumber(text)).toBeNull()
  })
})

describe('a schema from the owner\'s file', () => {
  it('makes text and whole-number labels classes, other numbers a regression, and names classes in a stable order', () => {
    const iris = inferTabularSchema(table('iris.csv', IRIS), { label: 'species' })
    expect(iris).toEqual({
      kind: 'tabular',
      features: [{ name: 'sepal_length', kind: 'numeric' }, { name: 'sepal_width', kind: 'numeric' }, { name: 'colour', kind: 'categorical', categories: ['blue', 'red'] }],
      label: 'species',
      target: { kind: 'classification', classes: ['setosa', 'versicolor', 'virginica'] },
    })
    // Numeric categories sort by value, not as text.
    expect(inferTabularSchema(table('g.csv', 'x,grade\n1,10\n2,9\n3,10\n4,100'), { label: 'grade' }).target).toEqual({ kind: 'classification', classes: ['9', '10', '100'] })
    expect(inferTabularSchema(table('r.csv', 'x,price\n1,10.5\n2,9\n'), { label: 'price' }).target).toEqual({ kind: 'regression' })
    expect(inferTabularSchema(table('r.csv', 'x,price\n1,10\n2,9\n'), { label: 'price', target: 'regression' }).target).toEqual({ kind: 'regression' })
    // Classes in order whatever order the file shows them in.
    expect(inferTabularSchema(table('o.csv', 'x,y\n1,c\n2,b\n3,a\n4,b'), { label: 'y' }).target).toEqual({ kind: 'classification', classes: ['a', 'b', 'c'] })
    // The owner can leave columns out.
    expect(inferTabularSchema(table('iris.csv', IRIS), { label: 'species', ignore: ['colour', 'sepal_width'] }).features).toEqual([{ name: 'sepal_length', kind: 'numeric' }])
  })

  it('reads up to 20 whole-number values as classes and 21 as a number', () => {
    const labels = (n: number) => `x,y\n${Array.from({ length: n }, (_, i) => `${i},${i}`).join('\n')}`
    expect(inferTabularSchema(table('a.csv', labels(20)), { label: 'y' }).target.kind).toBe('classification')
    expect(inferTabularSchema(table('a.csv', labels(21)), { label: 'y' }).target.kind).toBe('regression')
  })

  it('takes exactly 256 categories and category names of 64 characters, and refuses one more of either', () => {
    const column = (values: string[]) => `id,y\n${values.map((v, i) => `${v},${i % 2}`).join('\n')}`
    const many = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`)
    const feature = (values: string[]) => inferTabularSchema(table('c.csv', column(values)), { label: 'y' }).features[0]!
    expect(feature(many(MAX_CATEGORIES))).toMatchObject({ kind: 'categorical', categories: expect.arrayContaining(['v0', 'v255']) })
    expect(() => feature(many(MAX_CATEGORIES + 1))).toThrow(`c.csv column "id" has more than ${MAX_CATEGORIES} different values, too many for categories; if it is an id or free text, leave it out`)
    expect(feature(['a'.repeat(64), 'b'])).toMatchObject({ categories: ['a'.repeat(64), 'b'] })
    expect(() => feature(['a'.repeat(65), 'b'])).toThrow(`c.csv column "id" holds "${'a'.repeat(40)}…", longer than 64 characters for categories`)
  })

  it('refuses a choice the file cannot serve, naming the column', () => {
    const t = table('iris.csv', IRIS)
    expect(() => inferTabularSchema(t, { label: 'variety' })).toThrow('iris.csv has no column named "variety" to predict (its columns: "sepal_length", "sepal_width", "colour", "species")')
    expect(() => inferTabularSchema(t, { label: 'species', ignore: ['petal'] })).toThrow('iris.csv has no column named "petal" to leave out')
    expect(() => inferTabularSchema(t, { label: 'species', target: 'regression' })).toThrow('iris.csv column "species" holds text such as "setosa", so it cannot be predicted as a number')
    expect(() => inferTabularSchema(table('m.csv', `x,y\n1,2\n2,${'many'.repeat(20)}`), { label: 'y', target: 'regression' })).toThrow(`m.csv column "y" holds text such as "${'many'.repeat(10)}", so it cannot`)
    const labels = (n: number) => `x,y\n${Array.from({ length: n }, (_, i) => `1,k${i}`).join('\n')}`
    expect(inferTabularSchema(table('k.csv', labels(MAX_CATEGORIES)), { label: 'y' }).target).toMatchObject({ kind: 'classification' })
    expect(() => inferTabularSchema(table('k.csv', labels(MAX_CATEGORIES + 1)), { label: 'y' })).toThrow(`k.csv column "y" has more than ${MAX_CATEGORIES} different values, too many for classes`)
    expect(() => inferTabularSchema(t, { label: 'species', ignore: ['sepal_length', 'sepal_width', 'colour'] })).toThrow('iris.csv has no column to learn "species" from')
    expect(() => inferTabularSchema(table('o.csv', 'x,y\n1,a\n2,a'), { label: 'y' })).toThrow('o.csv column "y" has only one value ("a"); a classifier needs at least two classes')
    expect(() => inferTabularSchema(table('o.csv', 'x,y\n1,\n2,NA'), { label: 'y' })).toThrow('o.csv column "y" has no values to learn from')
    expect(() => inferTabularSchema(table('o.csv', 'x,gap,y\n1,,a\n2,?,b'), { label: 'y' })).toThrow('o.csv column "gap" has no values; leave it out')
  })
})

describe('contributed rows against the job\'s schema', () => {
  const schema = inferTabularSchema(table('iris.csv', IRIS), { label: 'species' })

  it('summarises each column: numbers or not, distinct values (counted up to one past the limit), missing cells', () => {
    const summary = summariseColumns(table('s.csv', `n,c\n1, blue \n,blue\nNA,red\n2,  `))
    expect(summary).toEqual([
      { name: 'n', numeric: true, distinct: ['1', '2'], missing: 2 },
      { name: 'c', numeric: false, distinct: ['blue', 'red'], missing: 1 },
    ])
    const many = summariseColumns(table('m.csv', `id\n${Array.from({ length: 300 }, (_, i) => `v${i}`).join('\n')}`))
    expect(many[0]!.distinct).toHaveLength(MAX_CATEGORIES + 1)
  })

  it('reads every row, missing numbers as NaN and missing categories as -1, and ignores extra columns', () => {
    const set = tabularSamples(table('more.csv', 'id,species,colour,sepal_width,sepal_length\n7,virginica,red,3.0,6.5\n8,setosa,,n/a,5.0\n9,setosa,NULL,None,?'), schema)
    expect(set.count).toBe(3)
    expect([...set.values]).toEqual([6.5, 3, 1, 5, NaN, -1, NaN, NaN, -1])
    expect([...set.labels]).toEqual([2, 0, 0])
    expect(set.sources).toEqual([{ file: 'more.csv', row: 2 }, { file: 'more.csv', row: 3 }, { file: 'more.csv', row: 4 }])
  })

  it('refuses a file with a bad value, naming the file, the line and the column', () => {
    const bad = (rows: string) => () => importTabular(file('bad.csv', `sepal_length,sepal_width,colour,species\n5,3,blue,setosa\n${rows}`), schema)
    expect(bad('five,3,blue,setosa')).toThrow('bad.csv line 3 column "sepal_length": "five" is not a number')
    expect(bad('5,3,teal,setosa')).toThrow('bad.csv line 3 column "colour": "teal" is not one of this job\'s categories ("blue", "red")')
    expect(bad(`5,3,${'t'.repeat(50)},setosa`)).toThrow(`bad.csv line 3 column "colour": "${'t'.repeat(40)}" is not one of`)
    expect(bad(`${'9'.repeat(30)}x${'9'.repeat(30)},3,blue,setosa`)).toThrow(`column "sepal_length": "${'9'.repeat(30)}x${'9'.repeat(9)}" is not a number`)
    expect(bad(`5,3,blue,${'r'.repeat(50)}`)).toThrow(`column "species": "${'r'.repeat(40)}" is not one of`)
    // Past eight categories the message says how many there are rather than listing them all.
    const wide: TabularSchema = { kind: 'tabular', features: [{ name: 'c', kind: 'categorical', categories: Array.from({ length: 9 }, (_, i) => `k${i}`) }], label: 'y', target: { kind: 'classification', classes: Array.from({ length: 8 }, (_, i) => `y${i}`) } }
    expect(() => importTabular(file('w.csv', 'c,y\nzz,y0'), wide)).toThrow('"zz" is not one of this job\'s categories ("k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", … (9 in all))')
    expect(() => importTabular(file('w.csv', 'c,y\nk0,y9'), wide)).toThrow('"y9" is not one of this job\'s classes ("y0", "y1", "y2", "y3", "y4", "y5", "y6", "y7")')
    expect(bad('5,3,blue,rosea')).toThrow('bad.csv line 3 column "species": "rosea" is not one of this job\'s classes ("setosa", "versicolor", "virginica")')
    expect(bad('5,3,blue,')).toThrow('bad.csv line 3 column "species": the label is missing')
    expect(() => importTabular(file('few.csv', 'sepal_length,colour,species\n5,blue,setosa'), schema)).toThrow('few.csv has no column "sepal_width", which this job needs (it reads "sepal_length", "sepal_width", "colour", "species")')
    const regression: TabularSchema = { kind: 'tabular', features: [{ name: 'x', kind: 'numeric' }], label: 'y', target: { kind: 'regression' } }
    expect(() => importTabular(file('r.csv', 'x,y\n1,2\n2,lots'), regression)).toThrow('r.csv line 3 column "y": "lots" is not a number to predict')
    expect(() => importTabular(file('r.csv', `x,y\n2,${'l'.repeat(60)}`), regression)).toThrow(`"${'l'.repeat(40)}" is not a number to predict`)
    expect([...importTabular(file('r.csv', 'x,y\n1,2.5\n2,-1'), regression).labels]).toEqual([2.5, -1])
  })

  it('standardises numbers with statistics over every accepted set, encodes missing numbers as the mean and categories one-hot', () => {
    const a = tabularSamples(table('a.csv', 'sepal_length,sepal_width,colour,species\n1,10,blue,setosa\n3,,red,setosa'), schema)
    const b = tabularSamples(table('b.csv', 'sepal_length,sepal_width,colour,species\n5,10,,virginica'), schema)
    const stats = featureStats([a, b])
    // sepal_length 1, 3, 5: mean 3, population std sqrt(8/3); sepal_width 10, 10: no spread, std 1.
    expect(stats.features[0]!.mean).toBe(3)
    expect(stats.features[0]!.std).toBeCloseTo(Math.sqrt(8 / 3), 12)
    expect(stats.features[1]).toEqual({ mean: 10, std: 1 })
    // A missing value counts in neither the mean nor the spread: 10 and 14 give 12 and 2.
    const gap = tabularSamples(table('g.csv', 'sepal_length,sepal_width,colour,species\n1,10,blue,setosa\n1,,blue,setosa\n1,14,blue,setosa'), schema)
    expect(featureStats([gap]).features[1]).toEqual({ mean: 12, std: 2 })
    expect(stats.features[2]).toBeNull()
    expect(encodedWidth(schema)).toBe(4)
    const s = Math.sqrt(8 / 3)
    const encoded = [...encodeTabular(a, stats), ...encodeTabular(b, stats)]
    const expected = [-2 / s, 0, 1, 0, 0, 0, 0, 1, 2 / s, 0, 0, 0]
    expected.forEach((v, i) => expect(encoded[i]).toBeCloseTo(v, 6))
    expect(() => featureStats([])).toThrow('feature statistics need at least one set of samples')
    expect(() => encodeTabular(a, { features: [null] })).toThrow('the statistics describe 1 features, the samples 3')
    expect(() => encodeTabular(a, { features: [null, null, null] })).toThrow('feature "sepal_length" is numeric but its statistics are not')
    // A feature with no value at all encodes to 0.
    const empty = tabularSamples(table('e.csv', 'sepal_length,sepal_width,colour,species\n,,,setosa'), schema)
    expect(featureStats([empty]).features[0]).toEqual({ mean: 0, std: 1 })
  })
})

describe('the shared tabular datasets', () => {
  it('reads Wine and Breast-Cancer with their label columns, and standardises each feature to mean 0 and std 1', async () => {
    for (const [path, label, rows, features, classes] of [
      ['tabular/wine.csv', 'cultivar', 178, 13, ['class_0', 'class_1', 'class_2']],
      ['tabular/breast-cancer.csv', 'diagnosis', 569, 30, ['benign', 'malignant']],
    ] as const) {
      const bytes = await readSharedFile(path)
      const t = readNamedTable({ name: path, bytes })
      const schema = inferTabularSchema(t, { label })
      expect(schema.features).toHaveLength(features)
      expect(schema.features.every((f) => f.kind === 'numeric')).toBe(true)
      expect(schema.target).toEqual({ kind: 'classification', classes })
      const set = tabularSamples(t, schema)
      expect(set.count).toBe(rows)
      // The first feature's mean, computed here from the text by hand.
      const firstColumn = new TextDecoder().decode(bytes).trim().split('\n').slice(1).map((line) => Number(line.split(',')[0]))
      const stats = featureStats([set])
      expect(stats.features[0]!.mean).toBeCloseTo(firstColumn.reduce((a, b) => a + b, 0) / rows, 6)
      const encoded = encodeTabular(set, stats)
      for (let f = 0; f < features; f++) {
        const column = Array.from({ length: rows }, (_, r) => encoded[r * features + f]!)
        const mean = column.reduce((a, b) => a + b, 0) / rows
        expect(Math.abs(mean)).toBeLessThan(1e-5)
        expect(Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / rows)).toBeCloseTo(1, 4)
      }
      expect(new Set(set.labels).size).toBe(classes.length)
    }
  })
})

describe('a schema as a job carries it', () => {
  const schema: TabularSchema = { kind: 'tabular', features: [{ name: 'x', kind: 'numeric' }, { name: 'c', kind: 'categorical', categories: ['a', 'b'] }], label: 'y', target: { kind: 'classification', classes: ['no', 'yes'] } }

  it('decodes what it encodes, and a regression target', () => {
    expect(decodeTabularSchema(JSON.parse(JSON.stringify(schema)))).toEqual(schema)
    expect(decodeTabularSchema({ ...schema, target: { kind: 'regression' } }).target).toEqual({ kind: 'regression' })
  })

  it('refuses each malformed part by name', () => {
    const bad = (patch: Record<string, unknown>) => () => decodeTabularSchema({ ...schema, ...patch })
    expect(bad({ kind: 'image' })).toThrow('"kind" must be "tabular"')
    expect(bad({ features: [] })).toThrow(`"features" must list 1 to ${MAX_TABLE_COLUMNS} features`)
    expect(bad({ features: Array.from({ length: MAX_TABLE_COLUMNS + 1 }, (_, i) => ({ name: `f${i}`, kind: 'numeric' })) })).toThrow('"features" must list')
    expect(decodeTabularSchema({ ...schema, features: Array.from({ length: MAX_TABLE_COLUMNS }, (_, i) => ({ name: `f${i}`, kind: 'numeric' })) }).features).toHaveLength(MAX_TABLE_COLUMNS)
    expect(bad({ features: [{ name: 'x', kind: 'numeric' }, { name: 'x', kind: 'numeric' }] })).toThrow('tabular schema feature 1: name "x" is empty or repeated')
    expect(bad({ features: [{ name: '', kind: 'numeric' }] })).toThrow('tabular schema feature 0: name "" is empty or repeated')
    expect(bad({ features: [{ name: 'x', kind: 'text' }] })).toThrow('"kind" must be "numeric" or "categorical"')
    expect(bad({ features: [{ name: 'c', kind: 'categorical', categories: [] }] })).toThrow('"categories" must list at least 1')
    expect(bad({ features: [{ name: 'c', kind: 'categorical', categories: ['a', 'a'] }] })).toThrow('"categories" repeats a name')
    expect(bad({ features: [{ name: 'c', kind: 'categorical', categories: Array.from({ length: MAX_CATEGORIES + 1 }, (_, i) => `v${i}`) }] })).toThrow(/categories/)
    expect(bad({ label: 'x' })).toThrow('label "x" is empty or also a feature')
    expect(bad({ label: '' })).toThrow('label "" is empty or also a feature')
    expect(bad({ target: { kind: 'ranking' } })).toThrow('tabular schema target: "kind" must be "classification" or "regression"')
    expect(bad({ target: { kind: 'classification', classes: ['only'] } })).toThrow('tabular schema target: "classes" must list at least 2')
    expect(bad({ target: { kind: 'classification', classes: ['a', 'a'] } })).toThrow('tabular schema target: "classes" repeats a name')
    expect(bad({ target: { kind: 'classification', classes: 'a,b' } })).toThrow('tabular schema target: ')
    expect(bad({ target: 'regression' })).toThrow('tabular schema target: ')
    expect(bad({ features: [{ name: 'n'.repeat(65), kind: 'numeric' }] })).toThrow(/longer than 64/)
  })
})
