// The app's reads of the escrow (src/ledger/escrow.ts) against a real anvil: an auditor who knows only a job's
// id finds every job under it, one per owner, and nothing else; a job never created reads as absent, but a
// failed read is an error, never "no such job".
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getAddress, type Hex } from 'viem'
import { findJobKeys, readEscrowJob } from '../src/ledger/escrow.ts'
import { jobKey } from '../src/ledger/job-key.ts'
import { startTestChain, type TestChain } from './testing.ts'
import { EscrowActors, freshId } from './escrow-testing.ts'

let t: TestChain
let e: EscrowActors
beforeAll(async () => {
  t = await startTestChain()
  e = new EscrowActors(t)
}, 60_000)
afterAll(async () => t?.chain.stop())

describe('reading the escrow', () => {
  it('finds every job created under an id, by owner, and no job of another id', async () => {
    const id = freshId('shared')
    await e.createJob({ amount: 5n, id, owner: 0 })
    await e.createJob({ amount: 5n, id: `${id}-other`, owner: 0 })
    await e.createJob({ amount: 5n, id, owner: 2 })
    const found = await findJobKeys(t.clients[0]!.publicClient, e.escrow, id, 0n)
    expect(found).toEqual([
      { owner: getAddress(e.address(0)), key: jobKey(e.address(0), id) },
      { owner: getAddress(e.address(2)), key: jobKey(e.address(2), id) },
    ])
    expect(await findJobKeys(t.clients[0]!.publicClient, e.escrow, freshId('nobody'), 0n)).toEqual([])
  })

  it('reads a job never created as absent, and a read that fails as an error', async () => {
    const client = t.clients[0]!.publicClient
    expect(await readEscrowJob(client, e.escrow, `0x${'ab'.repeat(32)}` as Hex)).toBeNull()
    const { key } = await e.createJob({ amount: 5n })
    expect(await readEscrowJob(client, e.escrow, key)).toMatchObject({ owner: getAddress(e.address(0)), deposited: 5n })
    // An address without the contract answers nothing: that is a broken read, not "no such job".
    await expect(readEscrowJob(client, e.address(4), key)).rejects.toThrow()
  })
})
