// The Fashion-MNIST subset shipped in public/ for the demo job and the device check.
import { readIdxPair, type LabelledImages } from '../data/labelled-images.ts'
import { TesseraeError } from '../errors.ts'

const BASE = '/datasets/fashion-mnist/'

async function fetchBytes(name: string): Promise<{ bytes: Uint8Array; name: string }> {
  const response = await fetch(`${BASE}${name}`)
  if (!response.ok) throw new TesseraeError('DATA_UNAVAILABLE', `could not download ${name} (HTTP ${response.status})`)
  return { bytes: new Uint8Array(await response.arrayBuffer()), name }
}

export async function loadDemoSet(split: 'train' | 't10k'): Promise<LabelledImages> {
  const [images, labels] = await Promise.all([fetchBytes(`${split}-images-idx3-ubyte.gz`), fetchBytes(`${split}-labels-idx1-ubyte.gz`)])
  return readIdxPair(images, labels)
}

/** Sizes of the shipped subset (server/make-demo-subset.ts writes it). */
export const DEMO_SAMPLES = { train: 4000, t10k: 1000 } as const
