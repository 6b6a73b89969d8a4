// The strict readers every decoder at the edge is built from: each limit inclusive, each type exact, and the
// failure a DecodeError naming the message and the field.
import { describe, expect, it } from 'vitest'
import { DecodeError } from './errors.ts'
import { fromHex, toHex } from './hex.ts'
import { asObject, parseJsonLimited, readBoolean, readInteger, readNumber, readString, readStringArray } from './schema.ts'

const fails = (f: () => unknown, message: string) => {
  expect(f).toThrow(DecodeError)
  expect(f).toThrow(message)
}

describe('schema readers', () => {
  it('take only plain objects', () => {
    expect(asObject({ a: 1 }, 'm')).toEqual({ a: 1 })
    for (const bad of [null, [], 'x', 1, undefined]) fails(() => asObject(bad, 'm'), 'm: expected an object')
  })

  it('read strings up to their limit, inclusive', () => {
    expect(readString({ s: 'abc' }, 's', 'm', 3)).toBe('abc')
    fails(() => readString({ s: 'abcd' }, 's', 'm', 3), 'm: "s" is longer than 3 characters')
    fails(() => readString({ s: 5 }, 's', 'm'), 'm: "s" must be a string')
    expect(readString({ s: 'x'.repeat(1024) }, 's', 'm')).toHaveLength(1024)
    fails(() => readString({ s: 'x'.repeat(1025) }, 's', 'm'), 'longer than 1024')
  })

  it('read finite numbers within inclusive bounds, and integers', () => {
    expect(readNumber({ n: 2 }, 'n', 'm', 2, 3)).toBe(2)
    expect(readNumber({ n: 3 }, 'n', 'm', 2, 3)).toBe(3)
    fails(() => readNumber({ n: 1.99 }, 'n', 'm', 2, 3), 'm: "n" must be between 2 and 3')
    fails(() => readNumber({ n: 3.01 }, 'n', 'm', 2, 3), 'm: "n" must be between 2 and 3')
    for (const bad of [NaN, Infinity, '1', null]) fails(() => readNumber({ n: bad }, 'n', 'm'), 'm: "n" must be a finite number')
    expect(readNumber({ n: -1e300 }, 'n', 'm')).toBe(-1e300)
    expect(readInteger({ n: 0 }, 'n', 'm')).toBe(0)
    fails(() => readInteger({ n: -1 }, 'n', 'm'), '"n" must be between 0 and 9007199254740991')
    fails(() => readInteger({ n: 2 ** 53 }, 'n', 'm'), '"n" must be between 0')
    fails(() => readInteger({ n: 1.5 }, 'n', 'm'), 'm: "n" must be an integer')
    expect(readInteger({ n: -5 }, 'n', 'm', -5, 5)).toBe(-5)
  })

  it('read booleans only as booleans', () => {
    expect(readBoolean({ b: false }, 'b', 'm')).toBe(false)
    for (const bad of [0, 'true', null]) fails(() => readBoolean({ b: bad }, 'b', 'm'), 'm: "b" must be true or false')
  })

  it('read string arrays up to their count and item length, inclusive', () => {
    expect(readStringArray({ a: ['x', 'yy'] }, 'a', 'm', 2, 2)).toEqual(['x', 'yy'])
    fails(() => readStringArray({ a: ['x', 'y', 'z'] }, 'a', 'm', 2), 'm: "a" has more than 2 entries')
    fails(() => readStringArray({ a: ['x', 'yyy'] }, 'a', 'm', 2, 2), 'm: "a[1]" is longer than 2 characters')
    fails(() => readStringArray({ a: ['x', 1] }, 'a', 'm', 2), 'm: "a[1]" must be a string')
    fails(() => readStringArray({ a: 'x' }, 'a', 'm', 2), 'm: "a" must be an array')
    expect(readStringArray({ a: ['x'.repeat(1024)] }, 'a', 'm', 1)).toHaveLength(1)
    fails(() => readStringArray({ a: ['x'.repeat(1025)] }, 'a', 'm', 1), 'is longer than 1024')
  })

  it('parse JSON up to its size limit, inclusive, and say why it failed', () => {
    expect(parseJsonLimited('[1]  ', 5, 'm')).toEqual([1])
    fails(() => parseJsonLimited('[1]   ', 5, 'm'), 'm: message is 6 bytes, the limit is 5')
    fails(() => parseJsonLimited('[1', 5, 'm'), 'm: not valid JSON (')
  })
})

describe('hex', () => {
  it('writes two lowercase digits per byte and reads them back', () => {
    expect(toHex(Uint8Array.of(0, 9, 10, 255))).toBe('00090aff')
    expect([...fromHex('00090aff')]).toEqual([0, 9, 10, 255])
    expect([...fromHex('')]).toEqual([])
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
    expect(fromHex(toHex(bytes))).toEqual(bytes)
  })
})
