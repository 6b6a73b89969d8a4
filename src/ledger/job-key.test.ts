// A job's key on chain must be the one JobEscrow.jobKey computes, keccak256(abi.encode(owner, keccak256(bytes(id)))),
// or every call for the job names an escrow that does not exist. Checked against a fixed vector and a hash
// written out by hand, without viem's ABI encoder.
import { describe, expect, it } from 'vitest'
import { concat, keccak256, pad, stringToBytes, type Address } from 'viem'
import { escrowKeyOf, jobKey } from './job-key.ts'

const OWNER: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const MNIST_KEY = '0x614acaa20835d7cb9897fbcf4d1380f3640ef76d2139722a2cb0ce0438e89386'

describe('jobKey', () => {
  it('hashes the owner, left-padded to 32 bytes, with the keccak of the id', () => {
    expect(jobKey(OWNER, 'mnist-1')).toBe(MNIST_KEY)
    expect(keccak256(concat([pad(OWNER), keccak256(stringToBytes('mnist-1'))]))).toBe(MNIST_KEY)
    // An id is hashed as UTF-8 bytes, as Solidity's bytes(id) sees it.
    expect(jobKey(OWNER, 'jöb')).toBe(keccak256(concat([pad(OWNER), keccak256(new TextEncoder().encode('jöb'))])))
  })

  it('gives the same id different keys under different owners, and the same key however the owner is cased', () => {
    expect(jobKey('0x0000000000000000000000000000000000000001', 'mnist-1')).not.toBe(MNIST_KEY)
    expect(jobKey(OWNER.toLowerCase() as Address, 'mnist-1')).toBe(MNIST_KEY)
    expect(jobKey(OWNER, 'mnist-2')).not.toBe(MNIST_KEY)
  })
})

describe('escrowKeyOf', () => {
  it('is the job\'s key under its reward\'s owner', () => {
    expect(escrowKeyOf({ id: 'mnist-1', reward: { amount: '1', symbol: 'ETH', decimals: 18, dataShareBps: 0, owner: OWNER } })).toBe(MNIST_KEY)
  })

  it('is null when nothing is escrowed: no reward, or a reward without an owner', () => {
    expect(escrowKeyOf({ id: 'mnist-1' })).toBeNull()
    expect(escrowKeyOf({ id: 'mnist-1', reward: undefined })).toBeNull()
    expect(escrowKeyOf({ id: 'mnist-1', reward: { amount: '1', symbol: 'ETH', decimals: 18, dataShareBps: 0 } })).toBeNull()
    expect(escrowKeyOf({ id: 'mnist-1', reward: { amount: '1', symbol: 'ETH', decimals: 18, dataShareBps: 0, owner: '' } })).toBeNull()
  })
})
