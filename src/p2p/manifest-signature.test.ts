// Manifest signatures against an independent Ed25519 (Node's own crypto), so a change to what is signed or
// how cannot pass by signing and verifying with the same code: the signed bytes are spelled out here.
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { buildDataset } from '../data/build-dataset.ts'
import { datasetId, type DatasetManifestV1 } from '../data/manifest.ts'
import { cidOf } from '../data/cid.ts'
import { toHex } from '../hex.ts'
import { signManifest, verifySignedManifest } from './manifest-signature.ts'

const seed = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')

describe('manifest signatures', async () => {
  const key = await generateKeyPairFromSeed('Ed25519', seed)
  const owner = peerIdFromPrivateKey(key).toString()
  const jwk = { kty: 'OKP', crv: 'Ed25519', x: b64url(key.publicKey.raw), d: b64url(seed) }
  const nodePrivate = createPrivateKey({ key: jwk, format: 'jwk' })
  const nodePublic = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' })
  const { manifest } = await buildDataset(
    { shape: { height: 2, width: 2, classes: ['cat', 'dog'] }, count: 3, pixels: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), labels: Uint8Array.of(0, 1, 1), sources: [1, 2, 3].map((row) => ({ file: 'f', row })) },
    { name: 'pets', licence: 'CC0-1.0', description: 'three tiny pets' },
    owner,
    1_700_000_000_000,
  )
  /** What the owner signs, written out by hand: the prefix, then the fields in this order. */
  const expectedBytes = (m: DatasetManifestV1) =>
    new TextEncoder().encode(
      'tesserae dataset manifest v1\n' +
        JSON.stringify({ format: m.format, name: m.name, licence: m.licence, description: m.description, height: m.height, width: m.width, classes: m.classes, chunks: m.chunks, merkleRoot: m.merkleRoot, samples: m.samples, classCounts: m.classCounts, owner: m.owner, createdAtMs: m.createdAtMs }),
    )

  it('signs exactly the prefixed canonical manifest, verifiable by any Ed25519 implementation', async () => {
    const signed = await signManifest(key, manifest)
    expect(signed.signature).toMatch(/^[0-9a-f]{128}$/)
    expect(nodeVerify(null, expectedBytes(manifest), nodePublic, Buffer.from(signed.signature, 'hex'))).toBe(true)
    // Key order in the object does not matter: the bytes are canonical.
    const reordered = Object.fromEntries(Object.entries(manifest).reverse()) as unknown as DatasetManifestV1
    expect((await signManifest(key, reordered)).signature).toBe(signed.signature)
  })

  it('accepts a signature made elsewhere over those bytes, and names the dataset by the CID of the canonical manifest', async () => {
    const signature = toHex(nodeSign(null, expectedBytes(manifest), nodePrivate))
    const id = await verifySignedManifest({ manifest, signature })
    const canonical = expectedBytes(manifest).subarray('tesserae dataset manifest v1\n'.length)
    expect(id).toBe((await cidOf(canonical)).toString())
    expect(id).toBe(await datasetId(manifest))
  })

  it('refuses a signature over any other field values, by another key, or over the bytes without the prefix', async () => {
    const signed = await signManifest(key, manifest)
    await expect(verifySignedManifest({ manifest: { ...manifest, licence: 'MIT' }, signature: signed.signature })).rejects.toMatchObject({ code: 'BAD_SIGNATURE', message: 'the manifest of "pets" is not signed by its owner' })
    const other = await generateKeyPairFromSeed('Ed25519', seed.map((b) => b ^ 0xff))
    await expect(verifySignedManifest(await signManifest(other, manifest))).rejects.toMatchObject({ code: 'BAD_SIGNATURE' })
    const unprefixed = toHex(nodeSign(null, expectedBytes(manifest).subarray('tesserae dataset manifest v1\n'.length), nodePrivate))
    await expect(verifySignedManifest({ manifest, signature: unprefixed })).rejects.toMatchObject({ code: 'BAD_SIGNATURE' })
  })

  it('refuses an owner that is not a peer id, or one without an embedded public key', async () => {
    const signed = await signManifest(key, manifest)
    await expect(verifySignedManifest({ ...signed, manifest: { ...manifest, owner: 'carol' } })).rejects.toMatchObject({ code: 'BAD_MANIFEST', message: expect.stringMatching(/^the manifest's owner "carol" is not a peer id \(/) })
    // An RSA peer id is a hash of the key: nothing to verify with.
    const rsa = 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'
    await expect(verifySignedManifest({ ...signed, manifest: { ...manifest, owner: rsa } })).rejects.toMatchObject({ code: 'BAD_MANIFEST', message: "the manifest owner's peer id does not carry a public key" })
  })

  it('refuses a correctly signed manifest whose own numbers do not add up', async () => {
    const inconsistent = { ...manifest, samples: manifest.samples + 1 }
    await expect(verifySignedManifest(await signManifest(key, inconsistent))).rejects.toThrow('its chunks hold 3 samples but it declares 4')
  })
})
