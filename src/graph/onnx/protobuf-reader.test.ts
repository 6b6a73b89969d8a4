// The bounded reader against the writer it mirrors, and against bytes no honest writer makes: every length past
// the end, every malformed number and every wrong type is a DataFormatError naming the file and the byte.
import { describe, expect, it } from 'vitest'
import { ProtoReader, WIRE_TYPE, type ProtoTag } from './protobuf-reader.ts'
import { ProtoWriter } from './protobuf-writer.ts'
import { DataFormatError } from '../../data/errors.ts'

const FILE = 'model.onnx'

/** A varint's bytes, written by hand so a test can make ones the writer never would. */
function varint(value: bigint): number[] {
  const out: number[] = []
  while (value >= 0x80n) {
    out.push(Number(value & 0x7fn) | 0x80)
    value >>= 7n
  }
  out.push(Number(value))
  return out
}
const tagByte = (field: number, wireType: number): number[] => varint(BigInt((field << 3) | wireType))
const reader = (bytes: ArrayLike<number>): ProtoReader => new ProtoReader(Uint8Array.from(bytes), FILE)

/** Reads every field of a message as the test says, returning what it saw. */
function readAll(r: ProtoReader, read: (r: ProtoReader, tag: ProtoTag) => unknown): unknown[] {
  const seen: unknown[] = []
  while (!r.done) seen.push(read(r, r.tag()))
  return seen
}

function expectDamaged(run: () => unknown, message: RegExp): DataFormatError {
  let caught: unknown
  try {
    run()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(DataFormatError)
  const error = caught as DataFormatError
  expect(error.code).toBe('DATA_FORMAT')
  expect(error.fileName).toBe(FILE)
  expect(error.message).toMatch(/^model\.onnx is damaged or cut short: at byte \d+, /)
  expect(error.message).toMatch(message)
  return error
}

describe('ProtoReader', () => {
  it('reads back what ProtoWriter writes, in order, stepping over the fields it is not asked for', () => {
    const big = 2 ** 53 - 1
    const bytes = new ProtoWriter()
      .int(1, 7)
      .int(2, big)
      .string(3, 'grüße')
      .message(4, (m) => m.int(1, 2 ** 40).string(2, 'inner'))
      .packedInts(5, [0, 1, 300, 2 ** 35])
      .packedFloats(6, [1.5, -2.25])
      .float(7, 0.5)
      .bytes(8, Uint8Array.from([9, 8, 7]))
      .finish()
    const seen = readAll(new ProtoReader(bytes, FILE), (r, tag) => {
      if (tag.field === 1 || tag.field === 2) return r.uint(tag, 'an int')
      if (tag.field === 3) return r.string(tag, 'a string')
      if (tag.field === 4) return readAll(r.message(tag, 'a message'), (m, t) => (t.field === 1 ? m.uint(t, 'int') : m.string(t, 'string')))
      if (tag.field === 5) return r.packedUints(tag, 'ints')
      if (tag.field === 6 || tag.field === 7) return Array.from(new Float32Array(r.packedFixed32(tag, 'floats').slice().buffer))
      r.skip(tag)
      return 'skipped'
    })
    expect(seen).toEqual([7, big, 'grüße', [2 ** 40, 'inner'], [0, 1, 300, 2 ** 35], [1.5, -2.25], [0.5], 'skipped'])
  })

  it('reads a repeated varint field that is not packed, one value per tag', () => {
    const seen = readAll(reader([...tagByte(1, WIRE_TYPE.varint), 5, ...tagByte(1, WIRE_TYPE.varint), ...varint(300n)]), (r, tag) => r.packedUints(tag, 'dims'))
    expect(seen).toEqual([[5], [300]])
  })

  it('skips unknown fields of every wire type and lands on the next field', () => {
    const bytes = [
      ...tagByte(1, WIRE_TYPE.varint), ...varint(2n ** 63n),
      ...tagByte(2, WIRE_TYPE.fixed64), 1, 2, 3, 4, 5, 6, 7, 8,
      ...tagByte(3, WIRE_TYPE.lengthDelimited), 2, 0xff, 0xff,
      ...tagByte(4, WIRE_TYPE.fixed32), 1, 2, 3, 4,
      ...tagByte(5, WIRE_TYPE.varint), 42,
    ]
    const seen = readAll(reader(bytes), (r, tag) => {
      if (tag.field === 5) return r.uint(tag, 'the answer')
      r.skip(tag)
      return tag.field
    })
    expect(seen).toEqual([1, 2, 3, 4, 42])
  })

  it('refuses a length past the end of the file, naming the length and what remains', () => {
    const bytes = [...tagByte(7, WIRE_TYPE.lengthDelimited), ...varint(1000n), 1, 2, 3]
    const error = expectDamaged(() => readAll(reader(bytes), (r, tag) => r.message(tag, 'the graph')), /says it is 1000 bytes long, but only 3 remain/)
    expect(error.message).toMatch(/at byte 1,/)
    expectDamaged(() => readAll(reader(bytes), (r, tag) => r.skip(tag)), /1000 bytes long, but only 3 remain/)
  })

  it('reads a length as all 64 bits: 2^32 + 3 is not 3, and 2^40 is past any file', () => {
    // A reader combining bytes with 32-bit shifts would take 2^32 + 3 for 3 and read "abc" as the value.
    const wrapped = [...tagByte(2, WIRE_TYPE.lengthDelimited), ...varint(2n ** 32n + 3n), 0x61, 0x62, 0x63]
    expectDamaged(() => readAll(reader(wrapped), (r, tag) => r.string(tag, 'a name')), /says it is 4294967299 bytes long, but only 3 remain/)
    const huge = [...tagByte(2, WIRE_TYPE.lengthDelimited), ...varint(2n ** 40n), 0]
    expectDamaged(() => readAll(reader(huge), (r, tag) => r.bytesField(tag, 'raw data')), /says it is 1099511627776 bytes long, but only 1 remain/)
  })

  it('refuses a number above 2^53 − 1, a varint over 64 bits and one that runs past the end', () => {
    const unsafe = [...tagByte(2, WIRE_TYPE.lengthDelimited), ...varint(2n ** 53n), 0]
    expectDamaged(() => readAll(reader(unsafe), (r, tag) => r.bytesField(tag, 'raw data')), /larger than 2\^53 − 1/)
    const elevenBytes = [...tagByte(1, WIRE_TYPE.varint), ...Array<number>(10).fill(0x80), 0]
    expectDamaged(() => readAll(reader(elevenBytes), (r, tag) => r.uint(tag, 'an int')), /longer than 64 bits/)
    const sixtyFiveBits = [...tagByte(1, WIRE_TYPE.varint), ...Array<number>(9).fill(0x80), 2]
    expectDamaged(() => readAll(reader(sixtyFiveBits), (r, tag) => r.uint(tag, 'an int')), /longer than 64 bits/)
    const cut = [...tagByte(1, WIRE_TYPE.varint), 0x80, 0x80]
    expectDamaged(() => readAll(reader(cut), (r, tag) => r.uint(tag, 'an int')), /a number runs past the end \(2 bytes left\)/)
  })

  it('refuses fixed-size values cut short', () => {
    expectDamaged(() => readAll(reader([...tagByte(2, WIRE_TYPE.fixed64), 1, 2, 3, 4, 5, 6, 7]), (r, tag) => r.skip(tag)), /a value of 8 bytes runs past the end \(7 bytes left\)/)
    expectDamaged(() => readAll(reader([...tagByte(4, WIRE_TYPE.fixed32), 1, 2, 3]), (r, tag) => r.packedFixed32(tag, 'a float')), /a value of 4 bytes runs past the end \(3 bytes left\)/)
  })

  it('keeps a nested message inside its own bytes, even where the file goes on', () => {
    // The inner field claims 5 bytes; the file has them, but its message has only 1 after the length.
    const inner = [...tagByte(1, WIRE_TYPE.lengthDelimited), 5, 0x61]
    const bytes = [...tagByte(7, WIRE_TYPE.lengthDelimited), inner.length, ...inner, 0x62, 0x63, 0x64, 0x65]
    expectDamaged(
      () => readAll(reader(bytes), (r, tag) => (tag.field === 7 ? readAll(r.message(tag, 'the graph'), (m, t) => m.string(t, 'a name')) : r.skip(tag))),
      /at byte 3, a field says it is 5 bytes long, but only 1 remain/,
    )
  })

  it('refuses a known field that arrives with the wrong wire type', () => {
    expectDamaged(() => readAll(reader([...tagByte(7, WIRE_TYPE.varint), 3]), (r, tag) => r.message(tag, 'the graph')), /the graph \(field 7\) is a varint, not length-delimited/)
    expectDamaged(() => readAll(reader([...tagByte(2, WIRE_TYPE.lengthDelimited), 1, 1]), (r, tag) => r.uint(tag, 'the data type')), /the data type \(field 2\) is length-delimited, not a varint/)
  })

  it('refuses groups, unknown wire types and field number 0', () => {
    for (const wireType of [3, 4, 6, 7]) expectDamaged(() => reader([...tagByte(1, wireType), 0]).tag(), new RegExp(`field 1 has wire type ${wireType}`))
    expectDamaged(() => reader([0x00, 0x00]).tag(), /a field number is 0/)
  })

  it('refuses text that is not UTF-8 and a packed float run that is not whole floats', () => {
    expectDamaged(() => readAll(reader([...tagByte(8, WIRE_TYPE.lengthDelimited), 2, 0xc3, 0x28]), (r, tag) => r.string(tag, 'a tensor name')), /a tensor name is not valid UTF-8/)
    expectDamaged(() => readAll(reader([...tagByte(4, WIRE_TYPE.lengthDelimited), 6, 0, 0, 0, 0, 0, 0]), (r, tag) => r.packedFixed32(tag, 'float data')), /float data holds 6 bytes, not a whole number of 4-byte values/)
  })
})
