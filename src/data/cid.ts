// Content ids for blocks, chunks and manifests: CIDv1, raw codec, sha2-256. The data module owns them because
// a dataset's chunks are named before any network exists; the block exchange reuses the same functions.
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { TesseraeError } from '../errors.ts'

export async function cidOf(bytes: Uint8Array): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(bytes))
}

export function parseCid(text: string): CID {
  try {
    const cid = CID.parse(text)
    if (cid.multihash.code !== sha256.code) throw new Error('only sha2-256 content ids are accepted')
    return cid
  } catch (error) {
    throw new TesseraeError('BAD_CID', `"${text.slice(0, 80)}" is not a valid sha2-256 CID: ${error instanceof Error ? error.message : String(error)}`)
  }
}
