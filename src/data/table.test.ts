import { describe, expect, it } from 'vitest'
import { importDelimited, importJsonl, parseDelimited } from './table.ts'
import type { SampleShape } from './samples.ts'

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
