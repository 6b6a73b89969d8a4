// The real Fashion-MNIST files for data tests: FASHION_MNIST_DIR when set (the mutation runner sets it, since
// its sandbox is not beside ../shared), else ../shared/datasets/fashion-mnist next to the checkout.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const fashionDir = (): string => process.env.FASHION_MNIST_DIR ?? fileURLToPath(new URL('../../../../shared/datasets/fashion-mnist/', import.meta.url))

/** One file of the set; a missing one says where to get it. */
export async function readFashionFile(name: string): Promise<Uint8Array<ArrayBuffer>> {
  const path = join(fashionDir(), name)
  try {
    return new Uint8Array(await readFile(path))
  } catch (error) {
    throw new Error(`${name} is missing at ${path}: download Fashion-MNIST's files there (see shared/datasets/README), or set FASHION_MNIST_DIR`, { cause: error })
  }
}
