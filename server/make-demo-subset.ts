// Writes the small Fashion-MNIST subset the app ships in public/ (first N train and test images, gzip IDX),
// from the full set in ../shared. Run once with `node server/make-demo-subset.ts`; the output is committed.
import { mkdir, writeFile } from 'node:fs/promises'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { loadFashionMnist } from './fashion-mnist.ts'
import type { LabelledImages } from '../src/data/labelled-images.ts'
import { encodeIdx } from '../src/data/idx.ts'

const outDir = fileURLToPath(new URL('../public/datasets/fashion-mnist/', import.meta.url))

const idx = (dims: number[], data: Uint8Array): Uint8Array => gzipSync(encodeIdx(dims, data), { level: 9 })

async function write(set: LabelledImages, count: number, prefix: string): Promise<void> {
  const size = set.height * set.width
  await writeFile(`${outDir}${prefix}-images-idx3-ubyte.gz`, idx([count, set.height, set.width], set.pixels.subarray(0, count * size)))
  await writeFile(`${outDir}${prefix}-labels-idx1-ubyte.gz`, idx([count], set.labels.subarray(0, count)))
}

await mkdir(outDir, { recursive: true })
await write(await loadFashionMnist('train'), 4000, 'train')
await write(await loadFashionMnist('test'), 1000, 't10k')
console.log(`wrote the demo subset to ${outDir}`)
