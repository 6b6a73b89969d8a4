// The wallet ↔ peer-key binding: one EIP-712 signature by the wallet saying "credit earned by this libp2p peer
// in this job is paid to me until this time". The coordinator checks it against the peer that sent it (the
// libp2p connection authenticates the peer key), so neither a peer nor a wallet can claim the other's work.
import { getAddress, isAddress, parseSignature, verifyTypedData, type Address, type Hex } from 'viem'
import { DecodeError } from '../errors.ts'
import { asObject, readInteger, readString } from '../schema.ts'
import { LedgerError } from './errors.ts'

export interface PeerBinding {
  /** The job's id as peers know it (not its on-chain key): wallets show it to the user. */
  job: string
  /** The libp2p peer id whose credit this wallet receives. */
  peer: string
  wallet: Address
  /** Unix seconds after which the binding no longer routes new credit. */
  expiry: number
}

export interface SignedBinding extends PeerBinding {
  signature: Hex
}

export interface BindingDomain {
  chainId: number
  escrow: Address
}

export const BINDING_TYPES = {
  PeerBinding: [
    { name: 'job', type: 'string' },
    { name: 'peer', type: 'string' },
    { name: 'wallet', type: 'address' },
    { name: 'expiry', type: 'uint64' },
  ],
} as const

/** A binding lasts this long unless the user picks otherwise: long enough for a job, short enough to expire. */
export const DEFAULT_BINDING_DAYS = 90
const MAX_BINDING_SECONDS = 5 * 365 * 24 * 3600
/** secp256k1's group order: a signature's `s` above half of it is the malleable twin of a valid one. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

/** The EIP-712 payload a wallet signs (viem's signTypedData / eth_signTypedData_v4 shape). */
export function bindingTypedData(binding: PeerBinding, domain: BindingDomain) {
  return {
    domain: { name: 'Tesserae', version: '1', chainId: domain.chainId, verifyingContract: domain.escrow },
    types: BINDING_TYPES,
    primaryType: 'PeerBinding' as const,
    message: { job: binding.job, peer: binding.peer, wallet: binding.wallet, expiry: BigInt(binding.expiry) },
  }
}

export function decodeSignedBinding(value: unknown): SignedBinding {
  const what = 'wallet binding'
  const obj = asObject(value, what)
  const wallet = readString(obj, 'wallet', what, 42)
  if (!isAddress(wallet, { strict: false })) throw new DecodeError(what, `"${wallet}" is not an address`)
  const signature = readString(obj, 'signature', what, 600)
  if (!/^0x[0-9a-fA-F]+$/.test(signature)) throw new DecodeError(what, '"signature" must be 0x-prefixed hex')
  return { job: readString(obj, 'job', what, 128), peer: readString(obj, 'peer', what, 128), wallet: getAddress(wallet), expiry: readInteger(obj, 'expiry', what, 0, 2 ** 40), signature: signature as Hex }
}

/**
 * Checks a binding sent by `fromPeer` for `jobId`; returns the wallet its credit goes to. Only EOA signatures
 * verify here (no ERC-1271 contract wallets: checking those needs a chain call the coordinator avoids).
 */
export async function verifyBinding(signed: SignedBinding, expected: { job: string; fromPeer: string; nowSeconds: number; domain: BindingDomain }): Promise<Address> {
  if (signed.job !== expected.job) throw new LedgerError('BAD_BINDING', `the binding is for job "${signed.job}", not "${expected.job}"`)
  if (signed.peer !== expected.fromPeer) throw new LedgerError('BAD_BINDING', 'the binding names another peer: a wallet can only be bound by the peer that holds the key')
  if (signed.expiry <= expected.nowSeconds) throw new LedgerError('BAD_BINDING', `the binding expired at ${new Date(signed.expiry * 1000).toISOString()}; sign a new one`)
  if (signed.expiry > expected.nowSeconds + MAX_BINDING_SECONDS) throw new LedgerError('BAD_BINDING', 'the binding lasts more than five years; pick a nearer expiry')
  let valid: boolean
  try {
    // Only 65-byte (r, s, v) signatures with low s (EIP-2), as wallets produce: the same binding then has
    // exactly one signature, so nobody can record a second, different-looking copy of someone's consent.
    if (signed.signature.length !== 132) throw new Error(`a signature is 65 bytes, not ${(signed.signature.length - 2) / 2}`)
    if (BigInt(parseSignature(signed.signature).s) > SECP256K1_N / 2n) throw new LedgerError('BAD_BINDING', 'the signature has a high s value (EIP-2): wallets never produce one, so it was altered')
    valid = await verifyTypedData({ address: signed.wallet, ...bindingTypedData(signed, expected.domain), signature: signed.signature })
  } catch (error) {
    if (error instanceof LedgerError) throw error
    throw new LedgerError('BAD_BINDING', `the binding's signature is malformed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)
  }
  if (!valid) throw new LedgerError('BAD_BINDING', `the signature is not ${signed.wallet}'s over this binding (wrong chain, contract or wallet?)`)
  return signed.wallet
}

/** Whether a stored binding still routes credit at `nowSeconds`. */
export const bindingActive = (binding: PeerBinding, nowSeconds: number) => binding.expiry > nowSeconds
