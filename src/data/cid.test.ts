import { describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { identity } from 'multiformats/hashes/identity'
import { sha512 } from 'multiformats/hashes/sha2'
import { cidOf, parseCid } from './cid.ts'

describe('content ids', () => {
  it('parses its own sha2-256 CIDs back', async () => {
    const cid = await cidOf(Uint8Array.of(1, 2, 3))
    expect(parseCid(cid.toString()).equals(cid)).toBe(true)
  })

  it('refuses a CID under any other hash: an identity CID would let a peer name bytes it never has to hash', async () => {
    const bytes = Uint8Array.of(1, 2, 3)
    for (const cid of [CID.createV1(raw.code, identity.digest(bytes)), CID.createV1(raw.code, await sha512.digest(bytes))]) {
      expect(() => parseCid(cid.toString())).toThrow(expect.objectContaining({ code: 'BAD_CID', message: expect.stringContaining('only sha2-256 content ids are accepted') }))
    }
  })

  it('quotes at most 80 characters of a bad id', () => {
    const long = 'x'.repeat(500)
    expect(() => parseCid(long)).toThrow(expect.objectContaining({ code: 'BAD_CID', message: expect.stringMatching(/^"x{80}" is not a valid sha2-256 CID/) }))
  })
})
