// `npm run deploy:contracts` against a real anvil standing in for a public chain, and the verification it
// runs: the code at each address must be exactly what this build compiles for that deployment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { startTestChain, TEST_ESCROW, type TestChain } from './testing.ts'
import { ANVIL_KEYS } from '../server/settlement.ts'
import { DEFAULT_ESCROW, DEFAULT_GOVERNANCE, deploySettlement, verifySettlement } from '../src/ledger/deploy.ts'
import type { Writer } from '../src/ledger/escrow.ts'
import { encodeDeployData, type Hex } from 'viem'
import { jobEscrowAbi, jobGovernorAbi, jobGovernorBytecode, testTokenAbi } from '../src/ledger/generated/contracts.ts'
import { decodeStackConfig } from '../src/stack/stack-config.ts'

const run = promisify(execFile)
const CLI = fileURLToPath(new URL('../server/deploy/contracts.ts', import.meta.url))
const GOVERNANCE = { votingPeriodSeconds: 3600, quorumBps: 2000 }
const SETTINGS = { governance: GOVERNANCE, escrow: TEST_ESCROW }

let chain: TestChain
let dir: string
beforeAll(async () => {
  chain = await startTestChain(GOVERNANCE)
  dir = await mkdtemp(join(tmpdir(), 'tesserae-deploy-'))
})
afterAll(async () => {
  await chain.chain.stop()
  await rm(dir, { recursive: true })
})

async function deployCli(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd: dir })
    return { code: 0, out: stdout + stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, out: e.stdout + e.stderr }
  }
}

describe('deploying the settlement contracts', () => {
  it('verifies a deployment and refuses one whose code or wiring differs from this build', async () => {
    const { publicClient } = chain.clients[0]!
    await expect(verifySettlement(publicClient, chain.deployment, SETTINGS)).resolves.toBeUndefined()
    // Same contracts, other constructor arguments: the governor's or the escrow's immutables would differ.
    await expect(verifySettlement(publicClient, chain.deployment, { ...SETTINGS, governance: { ...GOVERNANCE, quorumBps: 5000 } })).rejects.toThrow(/JobGovernor/)
    await expect(verifySettlement(publicClient, chain.deployment, { ...SETTINGS, escrow: { ...TEST_ESCROW, minChallengeSeconds: 99 } })).rejects.toThrow(/JobEscrow/)
    // Another contract at the escrow's address (the test token): its code is not JobEscrow's.
    await expect(verifySettlement(publicClient, { ...chain.deployment, escrow: chain.deployment.testToken!, transactions: { ...chain.deployment.transactions, escrow: chain.deployment.transactions.testToken! } }, SETTINGS)).rejects.toThrow(/JobEscrow/)
    // A second governor for the same escrow is this build's code and names the escrow, but the escrow took
    // the first one: it could not veto anything.
    const { wallet } = chain.clients[0]!
    const hash = await wallet.deployContract({ abi: jobGovernorAbi, bytecode: jobGovernorBytecode, args: [chain.deployment.escrow, BigInt(GOVERNANCE.votingPeriodSeconds), GOVERNANCE.quorumBps] })
    const second = (await publicClient.waitForTransactionReceipt({ hash })).contractAddress!
    await expect(verifySettlement(publicClient, { ...chain.deployment, governor: second, transactions: { ...chain.deployment.transactions, governor: hash } }, SETTINGS)).rejects.toThrow(/names governor/)
  })

  it('refuses a record whose creation transaction is another contract\'s, or whose address holds no code', async () => {
    const { publicClient } = chain.clients[0]!
    const { escrow, governor } = chain.deployment.transactions
    // The escrow's address is right, but the transaction named for it created the governor: replaying this
    // build's escrow from the same sender would still match the address's code, so the input itself is checked.
    await expect(verifySettlement(publicClient, { ...chain.deployment, transactions: { ...chain.deployment.transactions, escrow: governor } }, SETTINGS)).rejects.toMatchObject({
      code: 'DEPLOY_MISMATCH',
      message: `JobEscrow: transaction ${governor} did not deploy this build's bytecode`,
    })
    // A plain account at the escrow's address: named as empty, not as different code.
    const account = chain.addresses[5]!
    await expect(verifySettlement(publicClient, { ...chain.deployment, escrow: account, transactions: { ...chain.deployment.transactions, escrow } }, SETTINGS)).rejects.toMatchObject({
      code: 'DEPLOY_MISMATCH',
      message: `JobEscrow: no code at ${account}`,
    })
  })

  it('deploys a test token only when asked for one, and what it deploys verifies', async () => {
    const { publicClient, wallet } = chain.clients[0]!
    const deployment = await deploySettlement(wallet, publicClient, SETTINGS)
    expect(deployment.testToken).toBeUndefined()
    expect(deployment.transactions.testToken).toBeUndefined()
    await expect(verifySettlement(publicClient, deployment, SETTINGS)).resolves.toBeUndefined()
  })

  it('deploys with the public-chain defaults when given no settings: a veto vote always fits a challenge period', async () => {
    // A root can only be vetoed while it is challenged: the shortest challenge period must outlast a vote.
    expect(DEFAULT_ESCROW.minChallengeSeconds).toBeGreaterThan(DEFAULT_GOVERNANCE.votingPeriodSeconds)
    const { publicClient, wallet } = chain.clients[0]!
    const deployment = await deploySettlement(wallet, publicClient)
    await expect(verifySettlement(publicClient, deployment)).resolves.toBeUndefined()
    const escrow = (functionName: 'minChallengePeriod' | 'claimWindow' | 'coordinatorDelay' | 'maxPause') => publicClient.readContract({ address: deployment.escrow, abi: jobEscrowAbi, functionName })
    const day = 86_400n
    expect([await escrow('minChallengePeriod'), await escrow('claimWindow'), await escrow('coordinatorDelay'), await escrow('maxPause')]).toEqual([3n * day + 3600n, 30n * day, 3n * day, 14n * day])
    expect(await publicClient.readContract({ address: deployment.governor, abi: jobGovernorAbi, functionName: 'votingPeriod' })).toBe(3n * day)
  })

  it('deploys a working test token when asked for one', async () => {
    const { publicClient, wallet } = chain.clients[0]!
    const deployment = await deploySettlement(wallet, publicClient, { ...SETTINGS, testToken: true })
    expect(deployment.testToken).toMatch(/^0x[0-9a-fA-F]{40}$/)
    expect((await publicClient.getTransactionReceipt({ hash: deployment.transactions.testToken! })).contractAddress?.toLowerCase()).toBe(deployment.testToken!.toLowerCase())
    expect(typeof await publicClient.readContract({ address: deployment.testToken!, abi: testTokenAbi, functionName: 'totalSupply' })).toBe('bigint')
  })

  it('fails when a transaction is mined but reverts, instead of returning contracts that are not there or not linked', async () => {
    const { publicClient, wallet } = chain.clients[0]!
    // Nine tenths of the gas it needs, given explicitly so the wallet sends without estimating: the transaction
    // is mined and reverts (out of gas).
    const starved = (which: 'deployContract' | 'writeContract'): Writer => ({
      ...wallet,
      [which]: async (args: Parameters<Writer['deployContract']>[0] & Parameters<Writer['writeContract']>[0]) => {
        const need = which === 'deployContract' ? await publicClient.estimateGas({ account: wallet.account, data: encodeDeployData(args) }) : await publicClient.estimateContractGas({ ...args, account: wallet.account })
        return (wallet[which] as (a: object) => Promise<Hex>)({ ...args, gas: (need * 9n) / 10n })
      },
    }) as Writer
    await expect(deploySettlement(starved('deployContract'), publicClient, SETTINGS)).rejects.toMatchObject({ code: 'DEPLOY_FAILED', message: expect.stringMatching(/^deployment transaction 0x[0-9a-f]{64} failed$/) })
    await expect(deploySettlement(starved('writeContract'), publicClient, SETTINGS)).rejects.toMatchObject({ code: 'DEPLOY_FAILED', message: expect.stringMatching(/^linking the governor to the escrow failed \(transaction 0x[0-9a-f]{64}\)$/) })
  })

  it('deploys from a private key file, verifies, and writes the chain part of config.json keeping the relays', async () => {
    const key = join(dir, 'deployer.key')
    await writeFile(key, `${ANVIL_KEYS[3]}\n`)
    await chmod(key, 0o644)
    const config = join(dir, 'config.json')
    await writeFile(config, JSON.stringify({ relayAddrs: ['/dns4/relay.example.org/tcp/443/tls/ws/p2p/12D3KooWRelay'], iceServers: ['stun:stun.example.org:3478'], chain: { rpcUrl: 'http://old', chainId: 1, name: 'old', local: false } }))
    const args = ['--rpc', chain.chain.rpcUrl, '--key-file', key, '--config', config, '--name', 'Public stand-in', '--voting-period-seconds', '600', '--min-challenge-seconds', '7200']
    const exposed = await deployCli(args)
    expect(exposed.code).not.toBe(0)
    expect(exposed.out).toMatch(/chmod 600/)

    await chmod(key, 0o600)
    const deployed = await deployCli(args)
    expect(deployed.out).toMatch(/verified/)
    expect(deployed.code).toBe(0)
    const written = decodeStackConfig(await readFile(config, 'utf8'))
    expect(written.relayAddrs).toEqual(['/dns4/relay.example.org/tcp/443/tls/ws/p2p/12D3KooWRelay'])
    expect(written.iceServers).toEqual([{ urls: ['stun:stun.example.org:3478'] }])
    expect(written.chain).toMatchObject({ rpcUrl: chain.chain.rpcUrl, chainId: 31337, name: 'Public stand-in', local: false })
    const { publicClient } = chain.clients[0]!
    const read = (functionName: 'minChallengePeriod' | 'claimWindow' | 'coordinatorDelay' | 'maxPause' | 'governor') => publicClient.readContract({ address: written.chain.contracts!.escrow, abi: jobEscrowAbi, functionName })
    // The rules asked for, public-chain defaults for the rest (days, not the local stack's seconds), and the governor linked.
    expect([await read('minChallengePeriod'), await read('claimWindow'), await read('coordinatorDelay'), await read('maxPause')]).toEqual([7200n, 30n * 86_400n, 3n * 86_400n, 14n * 86_400n])
    expect((await read('governor') as string).toLowerCase()).toBe(written.chain.contracts!.governor.toLowerCase())
    expect(await publicClient.readContract({ address: written.chain.contracts!.governor, abi: jobGovernorAbi, functionName: 'votingPeriod' })).toBe(600n)

    // A second run would strand jobs funded on the first contracts: refused unless asked for.
    const again = await deployCli(args)
    expect(again.code).not.toBe(0)
    expect(again.out).toMatch(/--replace/)
    expect((await deployCli([...args, '--replace', '--claim-window-seconds', '60'])).out).toMatch(/--claim-window-seconds must be an integer from 3600/)
  })

  it('changes nothing and spends nothing when config.json is broken or the key is not a key', async () => {
    const key = join(dir, 'bad.key')
    await writeFile(key, 'not a key', { mode: 0o600 })
    const broken = join(dir, 'broken.json')
    await writeFile(broken, '{"relayAddrs": [')
    const nonce = await chain.clients[0]!.publicClient.getTransactionCount({ address: chain.addresses[3]! })
    expect((await deployCli(['--rpc', chain.chain.rpcUrl, '--key-file', key, '--config', join(dir, 'fresh.json')])).out).toMatch(/32-byte private key/)
    const good = join(dir, 'deployer.key')
    expect((await deployCli(['--rpc', chain.chain.rpcUrl, '--key-file', good, '--config', broken])).out).toMatch(/not a valid config.json/)
    expect(await readFile(broken, 'utf8')).toBe('{"relayAddrs": [')
    expect(await chain.clients[0]!.publicClient.getTransactionCount({ address: chain.addresses[3]! })).toBe(nonce)
  })
})
