import { describe, expect, it } from 'vitest'
import { checkImage } from './image-header.ts'
import { encodePng } from './testing/png.ts'

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
