// Gzip with a cap: a small hostile file cannot expand without bound, and bad data names its file.
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { gunzip, isGzip } from './gunzip.ts'

describe('gunzip', () => {
  const data = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) & 0xff)
  const packed = new Uint8Array(gzipSync(data))

  it('inflates up to exactly the limit and refuses one byte more', async () => {
    expect(await gunzip(packed, 'f.gz', 100_000)).toEqual(data)
    // The whole message: the cap's own error is not dressed up as bad gzip data.
    await expect(gunzip(packed, 'f.gz', 99_999)).rejects.toThrow(/^f\.gz decompresses to more than the 99999-byte limit$/)
  })

  it('names the file when the data is not gzip or is cut short', async () => {
    await expect(gunzip(Uint8Array.of(1, 2, 3), 'x.gz', 10)).rejects.toThrow(/^x\.gz is not valid gzip data \(/)
    await expect(gunzip(packed.subarray(0, packed.length - 10), 'cut.gz', 1e6)).rejects.toThrow(/cut\.gz is not valid gzip data/)
  })

  it('recognises gzip by its two magic bytes only', () => {
    expect(isGzip(packed)).toBe(true)
    expect(isGzip(Uint8Array.of(0x1f, 0x8b))).toBe(true)
    expect(isGzip(Uint8Array.of(0x1f))).toBe(false)
    expect(isGzip(Uint8Array.of(0x1f, 0x8c))).toBe(false)
    expect(isGzip(Uint8Array.of(0x1e, 0x8b))).toBe(false)
  })
})
