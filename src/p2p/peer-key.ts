// A peer's Ed25519 identity survives reloads: credit, reputation and a wallet binding all hang off the peer
// id, so losing the key would lose them. The key is stored as libp2p's protobuf encoding behind a small
// interface (IndexedDB in tabs, a file in Node).
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { TesseraeError } from '../errors.ts'

export interface KeyStore {
  load(): Promise<Uint8Array | null>
  save(bytes: Uint8Array): Promise<void>
}

export async function loadOrCreatePeerKey(store: KeyStore): Promise<PrivateKey> {
  const stored = await store.load()
  if (stored !== null) {
    try {
      const key = privateKeyFromProtobuf(stored)
      if (key.type !== 'Ed25519') throw new Error(`a ${key.type} key, not Ed25519`)
      return key
    } catch (error) {
      throw new TesseraeError('PEER_KEY_CORRUPT', `the stored peer key cannot be read (${error instanceof Error ? error.message : String(error)}); clear this site's data to start with a new identity`)
    }
  }
  const key = await generateKeyPair('Ed25519')
  await store.save(privateKeyToProtobuf(key))
  return key
}
