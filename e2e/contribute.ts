// Contribute-page steps several specs share: an IDX pair cut from the Fashion-MNIST test set (what a
// contributor would upload), and saving the imported samples as a signed dataset.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { expect, type Page } from '@playwright/test'
import { encodeIdx } from '../src/data/idx.ts'

export const FASHION = new URL('../../shared/datasets/fashion-mnist/', import.meta.url)

/** The Fashion-MNIST test set, unzipped (README in /work/shared/datasets says where it comes from). */
export async function fashionTestSet(): Promise<{ images: Uint8Array; labels: Uint8Array }> {
  const read = async (name: string) => {
    try {
      return gunzipSync(await readFile(new URL(name, FASHION)))
    } catch (error) {
      throw new Error(`${name} is missing from ${FASHION.pathname}: download Fashion-MNIST's t10k files there (see shared/datasets/README)`, { cause: error })
    }
  }
  return { images: await read('t10k-images-idx3-ubyte.gz'), labels: await read('t10k-labels-idx1-ubyte.gz') }
}

/** Writes samples `start`…`start + count` of the test set as an IDX image file and label file; returns both paths. */
export async function writeIdxSlice(dir: string, start: number, count: number): Promise<[string, string]> {
  const { images, labels } = await fashionTestSet()
  const imagesPath = join(dir, 'slice-images-idx3-ubyte')
  const labelsPath = join(dir, 'slice-labels-idx1-ubyte')
  await writeFile(imagesPath, encodeIdx([count, 28, 28], images.subarray(16 + start * 784, 16 + (start + count) * 784)))
  await writeFile(labelsPath, encodeIdx([count], labels.subarray(8 + start, 8 + start + count)))
  return [imagesPath, labelsPath]
}

/** Saves the imported samples as a signed dataset from the Contribute page's save panel; returns its id. */
export async function saveSignedDataset(page: Page, name: string, licence: string): Promise<string> {
  const save = page.getByTestId('save-panel')
  await save.getByLabel('Dataset name').fill(name)
  await save.getByLabel('Licence').selectOption(licence)
  await save.getByRole('button', { name: 'Save and sign' }).click()
  const row = page.locator('[data-testid="dataset-row"]', { hasText: name })
  await expect(row).toHaveCount(1, { timeout: 60_000 })
  return (await row.getAttribute('data-dataset-id'))!
}
