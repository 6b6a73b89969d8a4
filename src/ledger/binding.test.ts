// Wallet ↔ peer bindings: who may bind, for how long, and with which signature. The EIP-712 payload is checked
// against a digest built by hand from the EIP-712 rules (type strings, struct hash, domain separator), not by the
// code under test: a renamed field, a reordered type, another domain name or version, or a domain without the
// verifying contract would still sign and verify against itself, but no wallet's signature over the standard
// payload would check out any more. Every limit of the check is tested exactly at and one past.
import { describe, expect, it } from 'vitest'
import { concat, encodeAbiParameters, hashTypedData, hexToBigInt, keccak256, numberToHex, parseSignature, recoverTypedDataAddress, serializeSignature, toHex, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { bindingActive, bindingTypedData, decodeSignedBinding, verifyBinding, type PeerBinding, type SignedBinding } from './binding.ts'

/** secp256k1's group order. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

const wallet = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
const other = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')
const domain = { chainId: 31337, escrow: '0x5FbDB2315678afecb367f032d93F642f64180aa3' } as const
const now = 1_900_000_000
const binding: PeerBinding = { job: 'job-1', peer: '12D3KooWPeer', wallet: wallet.address, expiry: now + 3600 }

async function signed(by = wallet, b = binding, d: typeof domain | { chainId: number; escrow: `0x${string}` } = domain) {
  return decodeSignedBinding(JSON.parse(JSON.stringify({ ...b, signature: await by.signTypedData(bindingTypedData(b, d)) })))
}

const expected = { job: 'job-1', fromPeer: '12D3KooWPeer', nowSeconds: now, domain }
const FIVE_YEARS = 5 * 365 * 24 * 3600

describe('wallet ↔ peer binding', () => {
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

/** EIP-712 by hand: keccak256("\x19\x01" ‖ domainSeparator ‖ hashStruct(message)). */
function digestByHand(b: PeerBinding, d: { chainId: number; escrow: Address }): Hex {
  const text = (s: string) => keccak256(toHex(s))
  const domainSeparator = keccak256(encodeAbiParameters(
    [{ type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'uint256' }, { type: 'address' }],
    [text('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'), text('Tesserae'), text('1'), BigInt(d.chainId), d.escrow],
  ))
  const structHash = keccak256(encodeAbiParameters(
    [{ type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'address' }, { type: 'uint64' }],
    [text('PeerBinding(string job,string peer,address wallet,uint64 expiry)'), text(b.job), text(b.peer), b.wallet, BigInt(b.expiry)],
  ))
  return keccak256(concat(['0x1901', domainSeparator, structHash]))
}

/** A wallet's signature over the hand-built digest: what any standard EIP-712 wallet produces. */
async function signedByHand(b: PeerBinding = binding, d: { chainId: number; escrow: Address } = domain): Promise<SignedBinding> {
  return { ...b, signature: await wallet.sign({ hash: digestByHand(b, d) }) }
}

describe('the binding\'s EIP-712 payload', () => {
  it('hashes to the digest the EIP-712 rules give, pinned as a fixed vector', () => {
    expect(hashTypedData(bindingTypedData(binding, domain))).toBe(digestByHand(binding, domain))
    // Pinned once, so a change to the hand-built digest above is caught too.
    expect(digestByHand(binding, domain)).toBe('0x957a6e9adb6dea2059319ad4a2d33a59de10cbf8e07184144dda5a3933fced1a')
  })

  it('accepts a signature made over the standard digest, not only its own payload', async () => {
    expect(await verifyBinding(await signedByHand(), expected)).toBe(wallet.address)
  })

  it('refuses a signature for another escrow contract on the same chain', async () => {
    const elsewhere = await signedByHand(binding, { ...domain, escrow: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512' })
    await expect(verifyBinding(elsewhere, expected)).rejects.toMatchObject({ code: 'BAD_BINDING', message: `the signature is not ${wallet.address}'s over this binding (wrong chain, contract or wallet?)` })
  })

  it('refuses a signature over other fields of the binding', async () => {
    for (const changed of [{ ...binding, job: 'job-2' }, { ...binding, peer: '12D3KooWOther' }, { ...binding, expiry: binding.expiry + 1 }]) {
      const { signature } = await signedByHand(changed)
      await expect(verifyBinding({ ...binding, signature }, expected)).rejects.toMatchObject({ code: 'BAD_BINDING' })
    }
  })
})

describe('the binding\'s limits', () => {
  it('routes credit until the second before its expiry, and refuses it from that second on', async () => {
    const at = await signedByHand({ ...binding, expiry: now + 1 })
    expect(await verifyBinding(at, expected)).toBe(wallet.address)
    await expect(verifyBinding(at, { ...expected, nowSeconds: now + 1 })).rejects.toMatchObject({ code: 'BAD_BINDING', message: `the binding expired at ${new Date((now + 1) * 1000).toISOString()}; sign a new one` })
    expect(bindingActive(binding, binding.expiry - 1)).toBe(true)
    expect(bindingActive(binding, binding.expiry)).toBe(false)
  })

  it('takes an expiry exactly five years ahead and refuses one a second later', async () => {
    expect(await verifyBinding(await signedByHand({ ...binding, expiry: now + FIVE_YEARS }), expected)).toBe(wallet.address)
    await expect(verifyBinding(await signedByHand({ ...binding, expiry: now + FIVE_YEARS + 1 }), expected)).rejects.toMatchObject({ code: 'BAD_BINDING', message: 'the binding lasts more than five years; pick a nearer expiry' })
  })

  it('takes only 65-byte signatures, naming the length it got', async () => {
    const good = await signedByHand()
    await expect(verifyBinding({ ...good, signature: `${good.signature}00` }, expected)).rejects.toMatchObject({ code: 'BAD_BINDING', message: 'the binding\'s signature is malformed: a signature is 65 bytes, not 66' })
    await expect(verifyBinding({ ...good, signature: good.signature.slice(0, -2) as Hex }, expected)).rejects.toMatchObject({ code: 'BAD_BINDING', message: 'the binding\'s signature is malformed: a signature is 65 bytes, not 64' })
  })

  it('takes s up to exactly half the group order and refuses one above, by name', async () => {
    const half = N / 2n
    const r = numberToHex(0x1234n, { size: 32 })
    const at = serializeSignature({ r, s: numberToHex(half, { size: 32 }), yParity: 0 })
    const above = serializeSignature({ r, s: numberToHex(half + 1n, { size: 32 }), yParity: 0 })
    // At the bound the check lets it through, and it fails only as someone else's signature.
    await expect(verifyBinding({ ...binding, signature: at }, expected)).rejects.toMatchObject({ code: 'BAD_BINDING', message: expect.not.stringContaining('high s') })
    await expect(verifyBinding({ ...binding, signature: above }, expected)).rejects.toMatchObject({ code: 'BAD_BINDING', message: 'the signature has a high s value (EIP-2): wallets never produce one, so it was altered' })
  })

  it('names what the binding is for when it is for another job or peer', async () => {
    const good = await signedByHand()
    await expect(verifyBinding(good, { ...expected, job: 'job-9' })).rejects.toMatchObject({ code: 'BAD_BINDING', message: 'the binding is for job "job-1", not "job-9"' })
    await expect(verifyBinding(good, { ...expected, fromPeer: 'x' })).rejects.toMatchObject({ code: 'BAD_BINDING', message: 'the binding names another peer: a wallet can only be bound by the peer that holds the key' })
  })

  it('decodes each field up to its limit and refuses one past it', () => {
    const raw = { job: 'j'.repeat(128), peer: 'p'.repeat(128), wallet: wallet.address.toLowerCase(), expiry: 2 ** 40, signature: `0x${'ab'.repeat(299)}` }
    // A lowercase address comes back checksummed.
    expect(decodeSignedBinding(raw)).toEqual({ ...raw, wallet: wallet.address })
    expect(() => decodeSignedBinding({ ...raw, job: 'j'.repeat(129) })).toThrow(/job/)
    expect(() => decodeSignedBinding({ ...raw, peer: 'p'.repeat(129) })).toThrow(/peer/)
    expect(() => decodeSignedBinding({ ...raw, expiry: 2 ** 40 + 1 })).toThrow(/expiry/)
    expect(() => decodeSignedBinding({ ...raw, expiry: -1 })).toThrow(/expiry/)
    expect(() => decodeSignedBinding({ ...raw, signature: `0x${'ab'.repeat(300)}` })).toThrow(/signature/)
    expect(() => decodeSignedBinding({ ...raw, wallet: `${wallet.address}0` })).toThrow(/wallet/)
    expect(() => decodeSignedBinding({ ...raw, signature: '0x12g4' })).toThrow('"signature" must be 0x-prefixed hex')
    expect(() => decodeSignedBinding({ ...raw, signature: 'ab12' })).toThrow('"signature" must be 0x-prefixed hex')
    expect(() => decodeSignedBinding({ ...raw, signature: 'zz0x12' })).toThrow('wallet binding: "signature" must be 0x-prefixed hex')
    expect(() => decodeSignedBinding({ ...raw, wallet: 'nope' })).toThrow('wallet binding: "nope" is not an address')
    // A mixed-case address with a wrong checksum is still an address: wallets paste them lowercase or mixed.
    const miscased = `0x${wallet.address.slice(2).split('').map((c) => (/[a-f]/.test(c) ? c.toUpperCase() : /[A-F]/.test(c) ? c.toLowerCase() : c)).join('')}`
    expect(decodeSignedBinding({ ...raw, wallet: miscased }).wallet).toBe(wallet.address)
  })
})
