// Decoded RGBA pixels to a job's input: grayscale (luminance, Rec. 601) or RGB, composited over black, since the
// models are trained on light objects on a dark background, then an area-average resize, which is exact
// for integer factors and does not alias on downscaling (small inputs from photos are mostly downscaling).
// A picture of another aspect ratio is cropped, padded or stretched by the job's stated rule (fitImage).
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

/** Area-average resize of one float plane (height × width) to targetHeight × targetWidth, separable. */
function resizePlane(plane: Float32Array, height: number, width: number, targetHeight: number, targetWidth: number): Float32Array {
  const xs = axisWeights(width, targetWidth)
  const ys = axisWeights(height, targetHeight)
  // Rows first into a height × targetWidth buffer, then columns.
  const rows = new Float32Array(height * targetWidth)
  for (let r = 0; r < height; r++) {
    for (let o = 0; o < targetWidth; o++) {
      const { start, weights } = xs[o]!
      let sum = 0
      for (let k = 0; k < weights.length; k++) sum += plane[r * width + start + k]! * weights[k]!
      rows[r * targetWidth + o] = sum
    }
  }
  const out = new Float32Array(targetHeight * targetWidth)
  for (let o = 0; o < targetHeight; o++) {
    const { start, weights } = ys[o]!
    for (let c = 0; c < targetWidth; c++) {
      let sum = 0
      for (let k = 0; k < weights.length; k++) sum += rows[(start + k) * targetWidth + c]! * weights[k]!
      out[o * targetWidth + c] = sum
    }
  }
  return out
}

const toByte = (v: number) => Math.max(0, Math.min(255, Math.round(v)))
/** Rec. 601 luminance of the RGBA pixel at byte offset `i`, before alpha. */
const luminance = (data: RgbaImage['data'], i: number) => 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!

export function toGrayscale(image: RgbaImage, targetHeight: number, targetWidth: number, invert = false): Uint8Array {
  const { width, height, data } = image
  const gray = new Float32Array(width * height)
  for (let i = 0; i < width * height; i++) {
    const a = data[i * 4 + 3]! / 255
    const y = luminance(data, i * 4) * a
    gray[i] = invert ? 255 * a - y : y
  }
  return Uint8Array.from(resizePlane(gray, height, width, targetHeight, targetWidth), toByte)
}

/**
 * How a picture of another shape becomes the job's input (the import preview shows the result):
 * - 'crop': the largest centred part with the input's aspect ratio, resized (nothing is squashed, edges may go);
 * - 'pad': the whole picture resized to fit inside, centred on black (nothing is lost or squashed);
 * - 'stretch': the whole picture resized to the input's size (nothing is lost, shapes may squash).
 */
export type FitRule = 'crop' | 'pad' | 'stretch'

export interface ImageTarget {
  height: number
  width: number
  /** 1: luminance (Rec. 601); 3: red, green and blue. */
  channels: 1 | 3
  fit: FitRule
}

/** `image` as the job's input: channels × height × width bytes, channel-major, alpha composited over black. */
export function fitImage(image: RgbaImage, target: ImageTarget): Uint8Array {
  const { width, height, data } = image
  let [x0, y0, w, h] = [0, 0, width, height]
  let [outW, outH, offX, offY] = [target.width, target.height, 0, 0]
  if (target.fit === 'crop') {
    // Compare aspect ratios without division: width/height against target.width/target.height.
    if (width * target.height > target.width * height) w = Math.max(1, Math.round((height * target.width) / target.height))
    else h = Math.max(1, Math.round((width * target.height) / target.width))
    x0 = Math.floor((width - w) / 2)
    y0 = Math.floor((height - h) / 2)
  } else if (target.fit === 'pad') {
    const scale = Math.min(target.width / width, target.height / height)
    outW = Math.min(target.width, Math.max(1, Math.round(width * scale)))
    outH = Math.min(target.height, Math.max(1, Math.round(height * scale)))
    offX = Math.floor((target.width - outW) / 2)
    offY = Math.floor((target.height - outH) / 2)
  }
  const out = new Uint8Array(target.channels * target.height * target.width)
  for (let c = 0; c < target.channels; c++) {
    const plane = new Float32Array(w * h)
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = ((y0 + y) * width + x0 + x) * 4
        const alpha = data[i + 3]! / 255
        plane[y * w + x] = alpha * (target.channels === 1 ? luminance(data, i) : data[i + c]!)
      }
    }
    const resized = resizePlane(plane, h, w, outH, outW)
    const base = c * target.height * target.width
    for (let y = 0; y < outH; y++) for (let x = 0; x < outW; x++) out[base + (offY + y) * target.width + offX + x] = toByte(resized[y * outW + x]!)
  }
  return out
}
