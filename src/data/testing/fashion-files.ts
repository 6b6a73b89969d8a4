// The real Fashion-MNIST files for data tests, from where every Node script finds them (server/fashion-mnist.ts:
// FASHION_MNIST_DIR, which the mutation runner sets since its sandbox is not beside ../shared, else
// ../shared/datasets/fashion-mnist next to the checkout).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fashionMnistDir } from '../../../server/fashion-mnist.ts'

/** One file of the set; a missing one says where to get it. */
export async function readFashionFile(name: string): Promise<Uint8Array<ArrayBuffer>> {
  const path = join(fashionMnistDir(), name)
  try {
    return new Uint8Array(await readFile(path))
  } catch (error) {
    throw new Error(`${name} is missing at ${path}: download Fashion-MNIST's files there (see shared/datasets/README), or set FASHION_MNIST_DIR`, { cause: error })
  }
}
