// A file of ../shared/datasets for data tests, from where every Node script finds it (server/fashion-mnist.ts:
// TESSERAE_DATASETS_DIR, which the mutation runner sets since its sandbox is not beside ../shared).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sharedDatasetsDir } from '../../../server/fashion-mnist.ts'

/** `path` inside the datasets folder (e.g. tabular/wine.csv); a missing one says where to get it. */
export async function readSharedFile(path: string): Promise<Uint8Array<ArrayBuffer>> {
  const full = join(sharedDatasetsDir(), path)
  try {
    return new Uint8Array(await readFile(full))
  } catch (error) {
    throw new Error(`${path} is missing at ${full}: get it as shared/datasets/README says (or set TESSERAE_DATASETS_DIR to the folder holding it)`, { cause: error })
  }
}
