// Decoded RGBA pixels to the job's grayscale input: luminance (Rec. 601) composited over black, since the
// models are trained on light objects on a dark background, then an area-average resize, which is exact
// for integer factors and does not alias on downscaling (28×28 from photos is mostly downscaling).
export interface RgbaImage {
  width: number
  height: number
  /** width × height × 4 bytes. */
  data: Uint8Array | Uint8ClampedArray
}

/** Per output index along one axis: the source range it covers and each source pixel's weight. */
function axisWeights(from: number, to: number): Array<{ start: number; weights: number[] }> {
  const scale = from / to
  return Array.from({ length: to }, (_, o) => {
    const lo = o * scale
    const hi = lo + scale
    const start = Math.floor(lo)
    const weights: number[] = []
    for (let s = start; s < Math.min(from, Math.ceil(hi)); s++) weights.push((Math.min(hi, s + 1) - Math.max(lo, s)) / scale)
    return { start, weights }
  })
}

export function toGrayscale(image: RgbaImage, targetHeight: number, targetWidth: number, invert = false): Uint8Array {
  const { width, height, data } = image
  const gray = new Float32Array(width * height)
  for (let i = 0; i < width * height; i++) {
    const a = data[i * 4 + 3]! / 255
    const y = (0.299 * data[i * 4]! + 0.587 * data[i * 4 + 1]! + 0.114 * data[i * 4 + 2]!) * a
    gray[i] = invert ? 255 * a - y : y
  }
  const xs = axisWeights(width, targetWidth)
  const ys = axisWeights(height, targetHeight)
  // Separable: rows first into a height × targetWidth buffer, then columns.
  const rows = new Float32Array(height * targetWidth)
  for (let r = 0; r < height; r++) {
    for (let o = 0; o < targetWidth; o++) {
      const { start, weights } = xs[o]!
      let sum = 0
      for (let k = 0; k < weights.length; k++) sum += gray[r * width + start + k]! * weights[k]!
      rows[r * targetWidth + o] = sum
    }
  }
  const out = new Uint8Array(targetHeight * targetWidth)
  for (let o = 0; o < targetHeight; o++) {
    const { start, weights } = ys[o]!
    for (let c = 0; c < targetWidth; c++) {
      let sum = 0
      for (let k = 0; k < weights.length; k++) sum += rows[(start + k) * targetWidth + c]! * weights[k]!
      out[o * targetWidth + c] = Math.max(0, Math.min(255, Math.round(sum)))
    }
  }
  return out
}
