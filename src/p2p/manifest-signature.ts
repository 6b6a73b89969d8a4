// Dataset manifests are signed with the owner's peer key (Ed25519): the owner field is a peer id, which for
// Ed25519 embeds the public key, so anyone can check a manifest without contacting its owner.
import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { TesseraeError } from '../errors.ts'
import { fromHex, toHex } from '../hex.ts'
import { checkManifest, datasetId, manifestSigningBytes, type DatasetManifest, type SignedManifest } from '../data/manifest.ts'

export async function signManifest(key: PrivateKey, manifest: DatasetManifest): Promise<SignedManifest> {
  return { manifest, signature: toHex(await key.sign(manifestSigningBytes(manifest))) }
}

/** Checks the signature and the manifest's own consistency; returns the dataset id. */
export async function verifySignedManifest(signed: SignedManifest): Promise<string> {
  let publicKey
  try {
    publicKey = peerIdFromString(signed.manifest.owner).publicKey
  } catch (error) {
    throw new TesseraeError('BAD_MANIFEST', `the manifest's owner "${signed.manifest.owner.slice(0, 60)}" is not a peer id (${error instanceof Error ? error.message : String(error)})`)
  }
  if (!publicKey) throw new TesseraeError('BAD_MANIFEST', 'the manifest owner\'s peer id does not carry a public key')
  if (!(await publicKey.verify(manifestSigningBytes(signed.manifest), fromHex(signed.signature)))) throw new TesseraeError('BAD_SIGNATURE', `the manifest of "${signed.manifest.name.slice(0, 40)}" is not signed by its owner`)
  await checkManifest(signed.manifest)
  return datasetId(signed.manifest)
}
