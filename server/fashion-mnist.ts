// Loads Fashion-MNIST from ../shared/datasets/fashion-mnist (or FASHION_MNIST_DIR) for Node scripts and tests,
// and says where the other shared datasets are (../shared/datasets, or TESSERAE_DATASETS_DIR).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readIdxPair, type LabelledImages } from '../src/data/labelled-images.ts'
import { FASHION_MNIST_FILES } from '../src/data/fashion-mnist-files.ts'

export const sharedDatasetsDir = (): string => process.env.TESSERAE_DATASETS_DIR ?? fileURLToPath(new URL('../../shared/datasets/', import.meta.url))
export const fashionMnistDir = (): string => process.env.FASHION_MNIST_DIR ?? join(sharedDatasetsDir(), 'fashion-mnist')

export async function loadFashionMnist(split: 'train' | 'test', dir = fashionMnistDir()): Promise<LabelledImages> {
  const files = FASHION_MNIST_FILES[split]
  const read = async (name: string) => ({ bytes: new Uint8Array(await readFile(join(dir, name))), name })
  return readIdxPair(await read(files.images), await read(files.labels))
}
