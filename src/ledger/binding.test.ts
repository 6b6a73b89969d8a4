import { describe, expect, it } from 'vitest'
import { hexToBigInt, numberToHex, parseSignature, recoverTypedDataAddress, serializeSignature } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
import { bindingTypedData, decodeSignedBinding, verifyBinding, type PeerBinding } from './binding.ts'

const wallet = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
const other = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')
const domain = { chainId: 31337, escrow: '0x5FbDB2315678afecb367f032d93F642f64180aa3' } as const
const now = 1_900_000_000
const binding: PeerBinding = { job: 'job-1', peer: '12D3KooWPeer', wallet: wallet.address, expiry: now + 3600 }

async function signed(by = wallet, b = binding, d: typeof domain | { chainId: number; escrow: `0x${string}` } = domain) {
  return decodeSignedBinding(JSON.parse(JSON.stringify({ ...b, signature: await by.signTypedData(bindingTypedData(b, d)) })))
}

describe('wallet ↔ peer binding', () => {
  const expected = { job: 'job-1', fromPeer: '12D3KooWPeer', nowSeconds: now, domain }

  it('accepts the wallet\'s own signature from the named peer', async () => {
    expect(await verifyBinding(await signed(), expected)).toBe(wallet.address)
  })

  it('refuses another peer, another job, an expired binding, another signer and another chain', async () => {
    const good = await signed()
    await expect(verifyBinding(good, { ...expected, fromPeer: '12D3KooWThief' })).rejects.toThrow(/names another peer/)
    await expect(verifyBinding(good, { ...expected, job: 'job-2' })).rejects.toThrow(/is for job/)
    await expect(verifyBinding(good, { ...expected, nowSeconds: now + 7200 })).rejects.toThrow(/expired/)
    await expect(verifyBinding(await signed(other), expected)).rejects.toThrow(/not 0x/)
    await expect(verifyBinding(await signed(wallet, binding, { ...domain, chainId: 1 }), expected)).rejects.toThrow(/wrong chain/)
    await expect(verifyBinding({ ...good, signature: '0x1234' }, expected)).rejects.toThrow(/malformed|not 0x/)
  })

  it('refuses the high-s twin of a valid signature', async () => {
    const good = await signed()
    const { r, s, yParity } = parseSignature(good.signature)
    // (r, n − s) with the other recovery bit recovers the same address: valid maths, but not what a wallet signs.
    const twin = serializeSignature({ r, s: numberToHex(N - hexToBigInt(s), { size: 32 }), yParity: yParity === 0 ? 1 : 0 })
    expect(await recoverTypedDataAddress({ ...bindingTypedData(good, domain), signature: twin })).toBe(wallet.address)
    await expect(verifyBinding({ ...good, signature: twin }, expected)).rejects.toThrow(/high s/)
  })

  it('decodes strictly', () => {
    expect(() => decodeSignedBinding({ ...binding, wallet: 'nope', signature: '0x00' })).toThrow(/not an address/)
    expect(() => decodeSignedBinding({ ...binding, signature: 'zz' })).toThrow(/hex/)
  })
})
