import { describe, expect, it } from 'vitest'
import { fitImage, toGrayscale, type ImageTarget } from './resize.ts'

const rgba = (width: number, height: number, f: (x: number, y: number) => [number, number, number, number]) => {
  const data = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(f(x, y), (y * width + x) * 4)
  return { width, height, data }
}

describe('grayscale resize', () => {
  it('averages exact blocks when downscaling by an integer factor', () => {
    const img = rgba(4, 4, (x, y) => (x < 2 && y < 2 ? [200, 200, 200, 255] : [0, 0, 0, 255]))
    expect([...toGrayscale(img, 2, 2)]).toEqual([200, 0, 0, 0])
    expect([...toGrayscale(rgba(3, 1, (x) => [x * 90, x * 90, x * 90, 255]), 1, 1)]).toEqual([90])
  })

  it('upscales without changing a flat image, weights colour by luminance, composites alpha over black and inverts', () => {
    expect([...toGrayscale(rgba(1, 1, () => [50, 50, 50, 255]), 3, 3)]).toEqual(new Array(9).fill(50))
    expect([...toGrayscale(rgba(1, 1, () => [255, 0, 0, 255]), 1, 1)]).toEqual([76])
    expect([...toGrayscale(rgba(1, 1, () => [255, 255, 255, 0]), 1, 1)]).toEqual([0])
    expect([...toGrayscale(rgba(1, 1, () => [255, 255, 255, 255]), 1, 1, true)]).toEqual([0])
    expect([...toGrayscale(rgba(1, 1, () => [0, 0, 0, 255]), 1, 1, true)]).toEqual([255])
  })

  it('keeps the mean brightness for a non-integer factor', () => {
    const img = rgba(7, 5, (x, y) => [((x * 31 + y * 17) % 256), 0, 0, 255].map((v, i) => (i === 3 ? 255 : i === 0 ? v : 0)) as [number, number, number, number])
    const full = toGrayscale(img, 5, 7)
    const small = toGrayscale(img, 3, 3)
    const mean = (a: Uint8Array) => a.reduce((s, v) => s + v, 0) / a.length
    expect(Math.abs(mean(small) - mean(full))).toBeLessThan(1.5)
  })
})

describe('fitting a picture to a job\'s input', () => {
  const rgb = (h: number, w: number, fit: ImageTarget['fit']): ImageTarget => ({ height: h, width: w, channels: 3, fit })
  // 4 wide, 2 high: red, green, green, blue columns.
  const wide = rgba(4, 2, (x) => (x === 0 ? [240, 0, 0, 255] : x === 3 ? [0, 0, 240, 255] : [0, 240, 0, 255]))

  it('keeps colour channel by channel, channel-major, and composites alpha over black', () => {
    expect([...fitImage(wide, rgb(2, 4, 'stretch'))]).toEqual([240, 0, 0, 0, 240, 0, 0, 0, 0, 240, 240, 0, 0, 240, 240, 0, 0, 0, 0, 240, 0, 0, 0, 240])
    expect([...fitImage(rgba(1, 1, () => [200, 100, 50, 51]), rgb(1, 1, 'stretch'))]).toEqual([40, 20, 10])
    // One channel is the same luminance toGrayscale gives.
    expect(fitImage(wide, { height: 2, width: 2, channels: 1, fit: 'stretch' })).toEqual(toGrayscale(wide, 2, 2))
  })

  it('crops the centred part with the input\'s aspect ratio', () => {
    // A 2×2 input from the 4×2 picture keeps its middle two (green) columns.
    expect([...fitImage(wide, rgb(2, 2, 'crop'))]).toEqual([0, 0, 0, 0, 240, 240, 240, 240, 0, 0, 0, 0])
    // A tall picture loses its top and bottom rows.
    const tall = rgba(1, 3, (_, y) => (y === 1 ? [90, 90, 90, 255] : [255, 255, 255, 255]))
    expect([...fitImage(tall, { height: 1, width: 1, channels: 1, fit: 'crop' })]).toEqual([90])
  })

  it('pads the whole picture to fit, centred on black', () => {
    // The 4×2 picture into 4×4: resized to 4×2, one black row above and below.
    const padded = [...fitImage(wide, rgb(4, 4, 'pad'))]
    const red = padded.slice(0, 16)
    expect(red).toEqual([0, 0, 0, 0, 240, 0, 0, 0, 240, 0, 0, 0, 0, 0, 0, 0])
    const blue = padded.slice(32)
    expect(blue).toEqual([0, 0, 0, 0, 0, 0, 0, 240, 0, 0, 0, 240, 0, 0, 0, 0])
    // Stretching instead squashes the picture over the whole input.
    expect([...fitImage(wide, rgb(4, 4, 'stretch'))].slice(0, 16)).toEqual([240, 0, 0, 0, 240, 0, 0, 0, 240, 0, 0, 0, 240, 0, 0, 0])
  })

  it('downscales a large photo-sized picture to any input size without changing a flat colour', () => {
    const flat = rgba(640, 480, () => [10, 120, 230, 255])
    for (const fit of ['crop', 'pad', 'stretch'] as const) {
      const out = fitImage(flat, rgb(48, 64, fit))
      expect(out).toHaveLength(3 * 48 * 64)
      // 640×480 is 4:3 like 64×48: no padding, so every pixel keeps the colour.
      expect(new Set(out.subarray(0, 48 * 64))).toEqual(new Set([10]))
      expect(new Set(out.subarray(2 * 48 * 64))).toEqual(new Set([230]))
    }
  })
})
