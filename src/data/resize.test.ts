import { describe, expect, it } from 'vitest'
import { toGrayscale } from './resize.ts'

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
