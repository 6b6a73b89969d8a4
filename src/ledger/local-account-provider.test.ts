// The EIP-1193 provider the burner wallet and the e2e wallet use, against a real anvil: a reverted
// transaction comes back with its revert data, so an app going through it names the contract's error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWalletClient, custom, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { startTestChain, type TestChain } from '../../contracts/testing.ts'
import { ANVIL_KEYS } from '../../server/settlement.ts'
import { chainOf } from './chain.ts'
import { NATIVE_TOKEN } from './escrow.ts'
import { explainChainError } from './explain-error.ts'
import { jobEscrowAbi } from './generated/contracts.ts'
import { jobKey } from './job-key.ts'
import { localAccountProvider } from './local-account-provider.ts'

let t: TestChain
beforeAll(async () => {
  t = await startTestChain()
}, 60_000)
afterAll(async () => t?.chain.stop())

describe('localAccountProvider', () => {
  it('exposes no account until asked, and returns revert data that decodes to the contract\'s named error', async () => {
    const chain = chainOf({ chainId: t.chain.chainId, name: 'anvil', rpcUrl: t.chain.rpcUrl })
    const account = privateKeyToAccount(ANVIL_KEYS[2]!)
    const provider = localAccountProvider(account, chain, t.chain.rpcUrl)
    expect(await provider.request({ method: 'eth_accounts' })).toEqual([])
    expect(await provider.request({ method: 'eth_requestAccounts' })).toEqual([account.address])
    // What crosses a real wallet boundary (an extension, the e2e bridge) is only code, message and data.
    const boundary = {
      request: (args: { method: string; params?: unknown }) =>
        provider.request(args).catch((error: { code?: number; message?: string; data?: string }) => {
          throw Object.assign(new Error(error.message), { code: error.code ?? -32603, data: error.data })
        }),
    }
    const wallet = createWalletClient({ account: account.address, chain, transport: custom(boundary) })
    const id = `provider-${Date.now().toString(36)}`
    const deadline = (await t.clients[0]!.publicClient.getBlock()).timestamp + 3600n
    const challenge = await t.clients[0]!.publicClient.readContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'minChallengePeriod' })
    await wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [id, account.address, NATIVE_TOKEN, parseEther('1'), deadline, challenge], value: parseEther('1') })
    const failure = await wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'claim', args: [jobKey(account.address, id), 1n, account.address, 1n, 1n, []] }).then(() => null, (error: unknown) => error)
    expect(explainChainError(failure)).toMatch(/\(UnknownEpoch\)\.$/)
  })
})
