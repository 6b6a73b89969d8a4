import { describe, expect, it } from 'vitest'
import { checkImage, crc32 } from './image-header.ts'
import { concatBytes } from '../bytes.ts'
import { encodePng, pngChunk as chunk } from './testing/png.ts'

const jpeg = (body: number[], end = true) => Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 0, 3, 0, 5, 1, 1, 0x11, 0, ...[0xff, 0xda, 0, 2], ...body, ...(end ? [0xff, 0xd9] : [])])

describe('image header checks', () => {
  it('accepts a good PNG and JPEG and reports their size', async () => {
    expect(checkImage(await encodePng(5, 3, new Uint8Array(15)), 'a.png')).toEqual({ format: 'png', width: 5, height: 3 })
    expect(checkImage(jpeg([1, 2, 3]), 'a.jpg')).toEqual({ format: 'jpeg', width: 5, height: 3 })
  })

  it('names the file and the fault for truncated, corrupt and unknown files', async () => {
    const zero = await encodePng(0, 4, new Uint8Array(0))
    const png = await encodePng(4, 4, new Uint8Array(16))
    expect(() => checkImage(png.subarray(0, png.length - 20), 'cut.png')).toThrow(/cut.png is a truncated PNG/)
    const flipped = png.slice()
    flipped[45] = flipped[45]! ^ 0xff
    expect(() => checkImage(flipped, 'flip.png')).toThrow(/flip.png is a corrupt PNG: the checksum of its (IHDR|IDAT) chunk does not match/)
    const badType = png.slice()
    badType[37] = 0x20
    expect(() => checkImage(badType, 't.png')).toThrow('t.png is a corrupt PNG: chunk 1 at byte 33 has an invalid type')
    expect(() => checkImage(new TextEncoder().encode('GIF89a....'), 'x.png')).toThrow('x.png is neither a PNG nor a JPEG image (unrecognised signature)')
    expect(() => checkImage(new Uint8Array(0), 'e.png')).toThrow('e.png is empty')
    expect(() => checkImage(jpeg([1, 2, 3], false), 'cut.jpg')).toThrow('cut.jpg is a truncated JPEG')
    expect(() => checkImage(Uint8Array.of(0xff, 0xd8, 0x00, 0x00, 0, 0), 'bad.jpg')).toThrow(/bad.jpg is a corrupt JPEG/)
    expect(() => checkImage(zero, 'zero.png')).toThrow(/declares an empty image/)
  })
})

describe('image header limits', () => {
  const ihdr = (width: number, height: number) => {
    const d = new Uint8Array(13)
    new DataView(d.buffer).setUint32(0, width)
    new DataView(d.buffer).setUint32(4, height)
    d.set([8, 0, 0, 0, 0], 8)
    return chunk('IHDR', d)
  }
  const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)
  const png = (...chunks: Uint8Array[]) => concatBytes([SIGNATURE, ...chunks])
  const idat = chunk('IDAT', Uint8Array.of(1, 2, 3))
  const iend = chunk('IEND', new Uint8Array(0))

  it('computes the standard CRC-32 (check value of "123456789")', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
    expect(crc32(new TextEncoder().encode('xx123456789yy'), 2, 11)).toBe(0xcbf43926)
    expect(crc32(new Uint8Array(0))).toBe(0)
  })

  it('takes sides up to 8192 pixels and refuses one more on either side', () => {
    expect(checkImage(png(ihdr(8192, 8192), idat, iend), 'big.png')).toEqual({ format: 'png', width: 8192, height: 8192 })
    expect(() => checkImage(png(ihdr(8193, 1), idat, iend), 'w.png')).toThrow('w.png is 8193×1, over the 8192-pixel limit per side')
    expect(() => checkImage(png(ihdr(1, 8193), idat, iend), 'h.png')).toThrow('h.png is 1×8193, over the 8192-pixel limit per side')
    expect(() => checkImage(png(ihdr(3, 0), idat, iend), 'z.png')).toThrow('z.png declares an empty image (3×0)')
  })

  it('takes a file of exactly 20 MiB and refuses one byte more', () => {
    const filler = (n: number) => chunk('tEXt', new Uint8Array(n))
    const base = png(ihdr(1, 1), idat, iend).length + 12
    const limit = 20 * 2 ** 20
    expect(checkImage(png(ihdr(1, 1), filler(limit - base), idat, iend), 'max.png')).toMatchObject({ width: 1 })
    expect(() => checkImage(png(ihdr(1, 1), filler(limit - base + 1), idat, iend), 'over.png')).toThrow('over.png is 20.0 MiB, over the 20 MiB limit for one image')
  })

  it('needs IHDR first with 13 bytes, image data, and an IEND', () => {
    expect(() => checkImage(png(idat, ihdr(1, 1), iend), 'order.png')).toThrow('order.png is a corrupt PNG: it does not start with an IHDR chunk')
    expect(() => checkImage(png(chunk('IHDR', new Uint8Array(14)), idat, iend), 'long.png')).toThrow('it does not start with an IHDR chunk')
    expect(() => checkImage(png(ihdr(1, 1), iend), 'nodata.png')).toThrow('nodata.png is a PNG without image data (no IDAT chunk)')
    expect(() => checkImage(png(ihdr(1, 1), idat), 'noend.png')).toThrow('noend.png is a truncated PNG: it ends after 48 bytes without an IEND chunk')
    // Chunks after IEND are never read.
    expect(checkImage(png(ihdr(2, 1), idat, iend, Uint8Array.of(1, 2, 3)), 'tail.png')).toMatchObject({ width: 2 })
  })

  it('refuses a chunk that runs past the end of the file, whatever its length claims', () => {
    const cut = png(ihdr(1, 1), idat, iend).subarray(0, 8 + 25 + 14)
    expect(() => checkImage(cut, 'cut.png')).toThrow('cut.png is a truncated PNG: its IDAT chunk needs 3 bytes but the file ends first')
    const huge = png(ihdr(1, 1), idat, iend)
    new DataView(huge.buffer).setUint32(33, 0xfffffff0)
    expect(() => checkImage(huge, 'huge.png')).toThrow(/huge.png is a truncated PNG: its IDAT chunk needs 4294967280 bytes/)
  })

  it('reads the frame size from any SOF marker but not from DHT, JPG or DAC, and skips fill bytes', () => {
    const jpegWith = (marker: number) => Uint8Array.from([0xff, 0xd8, 0xff, 0xff, 0xff, marker, 0, 11, 8, 0, 7, 0, 9, 1, 1, 0x11, 0, 0xff, 0xda, 0, 2, 1, 0xff, 0xd9])
    for (const marker of [0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc9, 0xcf]) expect(checkImage(jpegWith(marker), 'f.jpg')).toEqual({ format: 'jpeg', width: 9, height: 7 })
    for (const marker of [0xc4, 0xc8, 0xcc, 0xbf, 0xd0]) expect(() => checkImage(jpegWith(marker), 'n.jpg')).toThrow('n.jpg is a corrupt JPEG: image data starts before the frame header')
  })

  it('names a JPEG cut short before its image data, and one whose segment overruns the file', () => {
    expect(() => checkImage(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 40, 1, 2), 'over.jpg')).toThrow('over.jpg is a truncated JPEG: it ends after 8 bytes, before its image data')
    expect(() => checkImage(Uint8Array.of(0xff, 0xd8, 0xff), 'tiny.jpg')).toThrow('tiny.jpg is a truncated JPEG: it ends after 3 bytes')
    expect(() => checkImage(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 2, 0x12, 0x34, 0, 0), 'm.jpg')).toThrow('m.jpg is a corrupt JPEG: no segment marker at byte 6')
    expect(() => checkImage(Uint8Array.of(0xff, 0xd9), 'x.jpg')).toThrow('x.jpg is neither a PNG nor a JPEG image')
  })
})

describe('image signatures and JPEG segments at their edges', () => {
  // SOI, an APP0 of length 4, a SOF0 of 3×5, then the caller's segments.
  const head = [0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 0, 3, 0, 5, 1, 1, 0x11, 0]

  it('recognises a PNG only by its whole signature and a JPEG only by both start bytes', () => {
    const pngStart = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    expect(() => checkImage(pngStart, 'half.png')).toThrow('half.png is neither a PNG nor a JPEG image (unrecognised signature)')
    expect(() => checkImage(Uint8Array.of(0x00, 0xd8, 0xff, 0xd9), 'half.jpg')).toThrow('half.jpg is neither a PNG nor a JPEG image (unrecognised signature)')
    expect(() => checkImage(Uint8Array.of(0xff, 0x00, 0xff, 0xd9), 'soi.jpg')).toThrow('soi.jpg is neither a PNG nor a JPEG image (unrecognised signature)')
  })

  it('takes a scan segment that ends exactly at the end of the file', () => {
    // SOS of length 4 whose last two bytes are the end-of-image marker: the segment ends at the last byte.
    expect(checkImage(Uint8Array.from([...head, 0xff, 0xda, 0, 4, 0xff, 0xd9]), 'exact.jpg')).toEqual({ format: 'jpeg', width: 5, height: 3 })
  })

  it('refuses a segment whose length runs past the end, before reading it', () => {
    const runs = Uint8Array.from([...head.slice(0, 8), 0xff, 0xc0, 0, 200, 8, 0, 3])
    expect(() => checkImage(runs, 'runs.jpg')).toThrow(`runs.jpg is a truncated JPEG: it ends after ${runs.length} bytes, before its image data`)
  })

  it('needs both bytes of the end-of-image marker', () => {
    for (const end of [[0xff, 0x00], [0x00, 0xd9], [0xd9, 0xff]]) {
      expect(() => checkImage(Uint8Array.from([...head, 0xff, 0xda, 0, 2, 1, 2, ...end]), 'end.jpg')).toThrow('end.jpg is a truncated JPEG: it does not end with an end-of-image marker')
    }
  })

  it('reports a PNG cut inside its last chunk by that chunk, and a first chunk of 13 bytes that is not IHDR', async () => {
    const png = await encodePng(2, 2, new Uint8Array(4))
    expect(() => checkImage(png.subarray(0, png.length - 4), 'cut.png')).toThrow('cut.png is a truncated PNG: its IEND chunk needs 0 bytes but the file ends first')
    const text = concatBytes([png.subarray(0, 8), chunk('tEXt', new Uint8Array(13)), png.subarray(8)])
    expect(() => checkImage(text, 'text.png')).toThrow('text.png is a corrupt PNG: it does not start with an IHDR chunk')
  })
})
