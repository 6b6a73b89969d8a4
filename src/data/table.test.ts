import { describe, expect, it } from 'vitest'
import { importDelimited, importJsonl, parseDelimited } from './table.ts'
import type { SampleShape } from './samples.ts'
import { IMPORT_LIMITS } from './limits.ts'

const shape: SampleShape = { height: 2, width: 2, classes: ['cat', 'dog', 'bird'] }
const file = (name: string, text: string) => ({ name, bytes: new TextEncoder().encode(text) })

describe('delimited text', () => {
  it('parses quotes, escaped quotes, CRLF and embedded newlines with line numbers', () => {
    expect(parseDelimited('a,"b,1"\r\n"x""y","multi\nline"\n\nlast,1', ',', 'f.csv')).toEqual([
      { line: 1, cells: ['a', 'b,1'] },
      { line: 2, cells: ['x"y', 'multi\nline'] },
      { line: 5, cells: ['last', '1'] },
    ])
    expect(() => parseDelimited('a,"open\n', ',', 'f.csv')).toThrow('f.csv line 1: a quoted value is never closed')
  })
})

describe('CSV and TSV import', () => {
  it('reads a header with a named label column anywhere, labels by name or index', () => {
    const set = importDelimited(file('a.csv', 'p1,p2,Label,p3,p4\n0,1,cat,2,3\n255,254,2,253,252.4\n'), shape)
    expect(set.count).toBe(2)
    expect([...set.pixels]).toEqual([0, 1, 2, 3, 255, 254, 253, 252])
    expect([...set.labels]).toEqual([0, 2])
    expect(set.sources).toEqual([{ file: 'a.csv', row: 2 }, { file: 'a.csv', row: 3 }])
  })

  it('reads headerless rows with the label first, and TSV by extension', () => {
    expect([...importDelimited(file('b.csv', '1,9,9,9,9\n'), shape).labels]).toEqual([1])
    expect(importDelimited(file('c.tsv', 'label\ta\tb\tc\td\ndog\t1\t2\t3\t4\n'), shape).count).toBe(1)
  })

  it('names the file, row and column of every problem', () => {
    expect(() => importDelimited(file('x.csv', 'label,a,b,c\ncat,1,2,3\n'), shape)).toThrow('x.csv header has 4 columns; a 2×2 image needs 4 pixel columns plus a label column (5)')
    expect(() => importDelimited(file('x.csv', 'label,a,b,c,d\ncat,1,2,3\n'), shape)).toThrow('x.csv row 2 has 4 columns, expected 5')
    expect(() => importDelimited(file('x.csv', 'label,a,b,c,d\ncat,1,2,3,4\nfish,1,2,3,4\n'), shape)).toThrow('x.csv row 3: label "fish" is not a class of this dataset')
    expect(() => importDelimited(file('x.csv', 'label,a,b,c,d\ncat,1,zz,3,4\n'), shape)).toThrow('x.csv row 2 column 3: "zz" is not a number')
    expect(() => importDelimited(file('x.csv', 'label,a,b,c,d\ncat,1,300,3,4\n'), shape)).toThrow('x.csv row 2 column 3: pixel value 300 is outside 0–255')
    expect(() => importDelimited(file('x.csv', 'a,b,c,d,e\n1,2,3,4,5\n'), shape)).toThrow(/no label column/)
    expect(() => importDelimited(file('x.csv', 'label,a,b,c,d\n'), shape)).toThrow('x.csv holds no samples')
    expect(() => importDelimited(file('x.csv', ''), shape)).toThrow('x.csv is empty')
    expect(() => importDelimited({ name: 'bin.csv', bytes: new Uint8Array([0xff, 0xfe, 0xfd]) }, shape)).toThrow('bin.csv is not UTF-8 text')
  })
})

describe('JSONL import', () => {
  it('reads flat and row-major pixels, skipping blank lines', () => {
    const set = importJsonl(file('d.jsonl', '{"label":"dog","pixels":[1,2,3,4]}\n\n{"label":2,"image":[[5,6],[7,8]]}\n'), shape)
    expect([...set.labels]).toEqual([1, 2])
    expect([...set.pixels]).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(set.sources[1]).toEqual({ file: 'd.jsonl', row: 3 })
  })

  it('names the line of every problem', () => {
    expect(() => importJsonl(file('e.jsonl', '{"label":"dog","pixels":[1,2,3,4]}\n{oops\n'), shape)).toThrow(/e.jsonl line 2 is not valid JSON/)
    expect(() => importJsonl(file('e.jsonl', '[1]\n'), shape)).toThrow('e.jsonl line 1 must be a JSON object')
    expect(() => importJsonl(file('e.jsonl', '{"pixels":[1,2,3,4]}\n'), shape)).toThrow('e.jsonl line 1 has no "label"')
    expect(() => importJsonl(file('e.jsonl', '{"label":"emu","pixels":[1,2,3,4]}\n'), shape)).toThrow('e.jsonl line 1: label "emu" is not a class')
    expect(() => importJsonl(file('e.jsonl', '{"label":0,"pixels":[1,2,3]}\n'), shape)).toThrow('e.jsonl line 1 has 3 pixel values; a 2×2 image needs 4')
    expect(() => importJsonl(file('e.jsonl', '{"label":0,"pixels":[[1,2,3],[4]]}\n'), shape)).toThrow('e.jsonl line 1: the pixel rows are not 2 rows of 2')
    expect(() => importJsonl(file('e.jsonl', '{"label":0,"pixels":[1,"2",3,4]}\n'), shape)).toThrow('e.jsonl line 1 pixel 1: "2" is not a number')
  })
})

describe('table limits', () => {
  const one = { height: 1, width: 1, classes: ['a', 'b'] }

  it('takes pixel values 0 to 255 (rounded) and refuses anything outside or blank', () => {
    expect([...importDelimited(file('p.csv', '0,0\n1,255\n0,254.5\n1, 7 \n'), one).pixels]).toEqual([0, 255, 255, 7])
    expect(() => importDelimited(file('p.csv', '0,255.01\n'), one)).toThrow('p.csv row 1 column 2: pixel value 255.01 is outside 0–255')
    expect(() => importDelimited(file('p.csv', '0,-0.01\n'), one)).toThrow('pixel value -0.01 is outside 0–255')
    expect(() => importDelimited(file('p.csv', '0,  \n'), one)).toThrow('p.csv row 1 column 2: "  " is not a number')
    expect(() => importDelimited(file('p.csv', '0,1\n1,Infinity\n'), one)).toThrow('p.csv row 2 column 2: "Infinity" is not a number')
    expect(() => importJsonl(file('p.jsonl', '{"label":0,"pixels":[256]}\n'), one)).toThrow('p.jsonl line 1 pixel 0: pixel value 256 is outside 0–255')
  })

  it('reads tabs by extension, or when the first 4 KiB hold tabs and no comma', () => {
    expect(importDelimited(file('t.txt.csv', 'a\t1\nb\t2\n'), one).count).toBe(2)
    expect(importDelimited(file('T.TSV', 'b\t1\n'), one).count).toBe(1)
    // A comma in the first 4 KiB makes it CSV, even with tabs around.
    expect([...importDelimited(file('m.csv', 'b,1\t\n'), one).pixels]).toEqual([1])
    // Past the first 4 KiB a comma no longer counts: the tabs decide.
    const long = `label\tp\n${'a\t1\n'.repeat(1100)}a\t"1,0"\n`
    expect(() => importDelimited(file('long.csv', long), one)).toThrow(/"1,0" is not a number/)
  })

  it('finds a header by a cell that is neither a number nor a class, and the label column by any of its names', () => {
    for (const name of ['label', 'Class', ' y ', 'TARGET']) expect([...importDelimited(file('h.csv', `p,${name}\n5,b\n`), one).labels]).toEqual([1])
    // A first row of class names and numbers is data, not a header.
    expect(importDelimited(file('d.csv', 'b,3\na,4\n'), one).count).toBe(2)
    // The first class's name is label 0, which is still a label: the row is data.
    expect(importDelimited(file('d.csv', 'a,3\n'), one).sources[0]).toEqual({ file: 'd.csv', row: 1 })
    expect(() => importDelimited(file('n.csv', 'p,name\n5,b\n'), one)).toThrow('n.csv has a header row but no label column (name one of label, class, y, target)')
  })

  it('resolves labels by name (any case, trimmed) or by index below the class count', () => {
    expect([...importDelimited(file('l.csv', ' B ,1\n1,1\n0,1\n'), one).labels]).toEqual([1, 1, 0])
    expect(() => importDelimited(file('l.csv', '2,1\n'), one)).toThrow('l.csv row 1: label "2" is not a class of this dataset (expected one of "a", "b", or an index 0–1)')
    expect(() => importDelimited(file('l.csv', '-1,1\n'), one)).toThrow('label "-1" is not a class')
    expect(() => importDelimited(file('l.csv', '1.0,1\n'), one)).toThrow('label "1.0" is not a class')
  })

  it('takes exactly the sample limit and refuses one more', () => {
    expect(importDelimited(file('n.csv', '0,1\n'.repeat(IMPORT_LIMITS.samples)), one).count).toBe(IMPORT_LIMITS.samples)
    expect(() => importDelimited(file('n.csv', '0,1\n'.repeat(IMPORT_LIMITS.samples + 1)), one)).toThrow(`n.csv has more than ${IMPORT_LIMITS.samples} samples, the limit for one dataset`)
  })

  it('reads JSONL labels as names or numbers, "image" for "pixels", and refuses anything else', () => {
    expect([...importJsonl(file('j.jsonl', '{"label":"B","image":[9]}\r\n{"label":0,"pixels":[[3]]}'), one).pixels]).toEqual([9, 3])
    expect(() => importJsonl(file('j.jsonl', '{"label":true,"pixels":[1]}\n'), one)).toThrow('j.jsonl line 1 has no "label" (a class name or index)')
    expect(() => importJsonl(file('j.jsonl', '{"label":0,"pixels":"1"}\n'), one)).toThrow('j.jsonl line 1 has no "pixels" array')
    expect(() => importJsonl(file('j.jsonl', 'null\n'), one)).toThrow('j.jsonl line 1 must be a JSON object with "label" and "pixels"')
    expect(() => importJsonl(file('j.jsonl', '{"label":0,"pixels":[[1],2]}\n'), { ...one, height: 2 })).toThrow('j.jsonl line 1: the pixel rows are not 2 rows of 1')
    expect(() => importJsonl(file('j.jsonl', '{"label":0,"pixels":[[1]]}\n'), { ...one, height: 2 })).toThrow('the pixel rows are not 2 rows of 1')
    expect(() => importJsonl(file('j.jsonl', '\n\n'), one)).toThrow('j.jsonl holds no samples')
  })

  it('keeps each sample\'s source row and nothing past the last sample', () => {
    const set = importDelimited(file('s.csv', 'label,p\na,1\n\nb,2\n'), one)
    expect(set.sources).toEqual([{ file: 's.csv', row: 2 }, { file: 's.csv', row: 4 }])
    expect(set.pixels).toHaveLength(2)
    expect(set.labels).toHaveLength(2)
  })
})
