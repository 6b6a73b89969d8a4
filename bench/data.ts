// The data path's costs in Node, on the full Fashion-MNIST training set (60,000 images): importing it as an
// IDX pair, as CSV and as JSONL (the same samples written out first), then duplicate detection, chunking with
// CIDs, and the Merkle root. Each stage is timed separately; the browser runs the same code in a worker.
import { readFile } from 'node:fs/promises'
import { encodeIdx } from '../src/data/idx.ts'
import { importFiles, type ImportFile } from '../src/data/import-files.ts'
import { findDuplicates } from '../src/data/duplicates.ts'
import { chunkSamples } from '../src/data/chunks.ts'
import { merkleRoot } from '../src/data/merkle.ts'
import { FASHION_MNIST_SHAPE } from '../src/data/samples.ts'
import { readIdxPair } from '../src/data/labelled-images.ts'

export interface DataBench {
  samples: number
  idx: { ms: number; samplesPerSecond: number }
  csv: { rows: number; megabytes: number; ms: number; samplesPerSecond: number }
  jsonl: { rows: number; megabytes: number; ms: number; samplesPerSecond: number }
  duplicatesMs: number
  duplicates: number
  chunks: number
  chunkAndCidMs: number
  merkleMs: number
}

const file = (path: string, bytes: Uint8Array): ImportFile => ({ path, size: bytes.length, read: async () => bytes })
const noDecode = async () => Promise.reject(new Error('no images in this benchmark'))

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now()
  const value = await run()
  return { value, ms: performance.now() - start }
}

export async function benchData(dir: URL, tableRows = 10_000): Promise<DataBench> {
  const images = new Uint8Array(await readFile(new URL('train-images-idx3-ubyte.gz', dir)))
  const labels = new Uint8Array(await readFile(new URL('train-labels-idx1-ubyte.gz', dir)))
  const idx = await timed(() => importFiles([file('train-images-idx3-ubyte.gz', images), file('train-labels-idx1-ubyte.gz', labels)], FASHION_MNIST_SHAPE, { decode: noDecode }))
  const set = idx.value.samples
  const raw = await readIdxPair({ bytes: images, name: 'i' }, { bytes: labels, name: 'l' })
  if (encodeIdx([raw.count, 28, 28], raw.pixels).length !== 16 + raw.pixels.length) throw new Error('IDX round trip changed size')

  const rows = Math.min(tableRows, set.count)
  const csvLines = ['label,' + Array.from({ length: 784 }, (_, i) => `pixel${i + 1}`).join(',')]
  const jsonLines: string[] = []
  for (let r = 0; r < rows; r++) {
    const pixels = Array.from(set.pixels.subarray(r * 784, (r + 1) * 784))
    csvLines.push(`${FASHION_MNIST_SHAPE.classes[set.labels[r]!]},${pixels.join(',')}`)
    jsonLines.push(JSON.stringify({ label: set.labels[r], pixels }))
  }
  const csvBytes = new TextEncoder().encode(csvLines.join('\n'))
  const jsonBytes = new TextEncoder().encode(jsonLines.join('\n'))
  const csv = await timed(() => importFiles([file('train.csv', csvBytes)], FASHION_MNIST_SHAPE, { decode: noDecode }))
  const jsonl = await timed(() => importFiles([file('train.jsonl', jsonBytes)], FASHION_MNIST_SHAPE, { decode: noDecode }))
  if (csv.value.samples.count !== rows || jsonl.value.samples.count !== rows) throw new Error('table import lost rows')

  const duplicates = await timed(async () => findDuplicates(set))
  const chunks = await timed(() => chunkSamples(set))
  const merkle = await timed(() => merkleRoot(chunks.value))
  const rate = (n: number, ms: number) => (n * 1000) / ms
  return {
    samples: set.count,
    idx: { ms: idx.ms, samplesPerSecond: rate(set.count, idx.ms) },
    csv: { rows, megabytes: csvBytes.length / 2 ** 20, ms: csv.ms, samplesPerSecond: rate(rows, csv.ms) },
    jsonl: { rows, megabytes: jsonBytes.length / 2 ** 20, ms: jsonl.ms, samplesPerSecond: rate(rows, jsonl.ms) },
    duplicatesMs: duplicates.ms,
    duplicates: duplicates.value.count,
    chunks: chunks.value.length,
    chunkAndCidMs: chunks.ms,
    merkleMs: merkle.ms,
  }
}
