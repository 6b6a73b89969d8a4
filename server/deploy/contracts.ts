// `npm run deploy:contracts -- --rpc <url> --key-file <path>`: deploys JobEscrow and JobGovernor to any EVM
// chain from the key in <path>, links them (the escrow's one setGovernor call), verifies that the code at both
// addresses is exactly this build's with the rules asked for and that they name each other, and writes the
// `chain` part of config.json (relays and ICE servers already there are kept).
import { parseArgs } from 'node:util'
import { readFile } from 'node:fs/promises'
import { createPublicClient, createWalletClient, formatEther, http, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { chainOf } from '../../src/ledger/chain.ts'
import { DEFAULT_ESCROW, DEFAULT_GOVERNANCE, deploySettlement, verifySettlement, type EscrowSettings, type GovernanceSettings } from '../../src/ledger/deploy.ts'
import type { ChainConfig } from '../../src/stack/stack-config.ts'
import { TesseraeError } from '../../src/errors.ts'
import { assertPrivateFile } from '../private-files.ts'
import { readDeploymentConfig, withChain, writeDeploymentConfig } from './deployment-config.ts'

const USAGE = `usage: npm run deploy:contracts -- --rpc <url> --key-file <path> [--config config.json] [--name <chain name>]
       [--voting-period-seconds ${DEFAULT_GOVERNANCE.votingPeriodSeconds}] [--quorum-bps ${DEFAULT_GOVERNANCE.quorumBps}]
       [--min-challenge-seconds ${DEFAULT_ESCROW.minChallengeSeconds}] [--claim-window-seconds ${DEFAULT_ESCROW.claimWindowSeconds}]
       [--coordinator-delay-seconds ${DEFAULT_ESCROW.coordinatorDelaySeconds}] [--max-pause-seconds ${DEFAULT_ESCROW.maxPauseSeconds}] [--local] [--replace]`

const YEAR = 365 * 86_400

async function readKey(path: string): Promise<Hex> {
  await assertPrivateFile(path, 'the deployer key file')
  const key = (await readFile(path, 'utf8')).trim()
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) throw new TesseraeError('KEY_FILE_INVALID', `${path} must hold one 32-byte private key in hex (0x followed by 64 hex digits)`)
  return (key.startsWith('0x') ? key : `0x${key}`) as Hex
}

function integer(value: string, flag: string, min: number, max: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw new TesseraeError('BAD_FLAG', `--${flag} must be an integer from ${min} to ${max}, got "${value}"`)
  return n
}

async function deployContracts(argv: string[], log: (line: string) => void): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rpc: { type: 'string' },
      'key-file': { type: 'string' },
      config: { type: 'string', default: 'config.json' },
      name: { type: 'string' },
      'voting-period-seconds': { type: 'string', default: String(DEFAULT_GOVERNANCE.votingPeriodSeconds) },
      'quorum-bps': { type: 'string', default: String(DEFAULT_GOVERNANCE.quorumBps) },
      'min-challenge-seconds': { type: 'string', default: String(DEFAULT_ESCROW.minChallengeSeconds) },
      'claim-window-seconds': { type: 'string', default: String(DEFAULT_ESCROW.claimWindowSeconds) },
      'coordinator-delay-seconds': { type: 'string', default: String(DEFAULT_ESCROW.coordinatorDelaySeconds) },
      'max-pause-seconds': { type: 'string', default: String(DEFAULT_ESCROW.maxPauseSeconds) },
      local: { type: 'boolean', default: false },
      replace: { type: 'boolean', default: false },
    },
  })
  if (!values.rpc || !values['key-file']) throw new TesseraeError('BAD_FLAG', USAGE)
  if (!/^https?:\/\//.test(values.rpc)) throw new TesseraeError('BAD_FLAG', `--rpc must be an http(s) URL, got "${values.rpc}"`)
  const governance: GovernanceSettings = {
    votingPeriodSeconds: integer(values['voting-period-seconds'], 'voting-period-seconds', 60, YEAR),
    quorumBps: integer(values['quorum-bps'], 'quorum-bps', 1, 10_000),
  }
  const escrowRules: EscrowSettings = {
    minChallengeSeconds: integer(values['min-challenge-seconds'], 'min-challenge-seconds', 1, YEAR),
    claimWindowSeconds: integer(values['claim-window-seconds'], 'claim-window-seconds', 3600, 5 * YEAR),
    coordinatorDelaySeconds: integer(values['coordinator-delay-seconds'], 'coordinator-delay-seconds', 0, YEAR),
    maxPauseSeconds: integer(values['max-pause-seconds'], 'max-pause-seconds', 0, YEAR),
  }
  // Read and check everything before spending gas: a broken config.json must not cost a deployment.
  const existing = await readDeploymentConfig(values.config)
  const account = privateKeyToAccount(await readKey(values['key-file']))
  const probe = createPublicClient({ transport: http(values.rpc, { retryCount: 1 }) })
  const chainId = await probe.getChainId()
  if (existing?.chain.contracts && existing.chain.chainId === chainId && !values.replace) {
    throw new TesseraeError('ALREADY_DEPLOYED', `${values.config} already names contracts on chain ${chainId} (escrow ${existing.chain.contracts.escrow}); jobs funded there stay there. Pass --replace to deploy new ones anyway.`)
  }
  const name = values.name ?? (existing?.chain.chainId === chainId ? existing.chain.name : `Chain ${chainId}`)
  const chain = chainOf({ chainId, name, rpcUrl: values.rpc })
  const transport = http(values.rpc, { retryCount: 1 })
  const publicClient = createPublicClient({ chain, transport })
  const wallet = createWalletClient({ chain, transport, account })
  const balance = await publicClient.getBalance({ address: account.address })
  if (balance === 0n) throw new TesseraeError('NO_GAS', `the deployer ${account.address} has no ETH on chain ${chainId}; send it some for gas first`)
  log(`Deploying from ${account.address} (${formatEther(balance)} ETH) to ${name} (chain ${chainId}) at ${values.rpc}…`)

  if (escrowRules.minChallengeSeconds < governance.votingPeriodSeconds) {
    log(`  note: roots go final after ${escrowRules.minChallengeSeconds} s, before a ${governance.votingPeriodSeconds} s veto vote ends; a veto then passes only if more than half of the credit votes for it early`)
  }

  const deployment = await deploySettlement(wallet, publicClient, { governance, escrow: escrowRules })
  log(`  JobEscrow   ${deployment.escrow} (tx ${deployment.transactions.escrow}, block ${deployment.deployBlock}; challenge at least ${escrowRules.minChallengeSeconds} s, claims open ${escrowRules.claimWindowSeconds} s after the deadline, coordinator change after ${escrowRules.coordinatorDelaySeconds} s, pauses up to ${escrowRules.maxPauseSeconds} s)`)
  log(`  JobGovernor ${deployment.governor} (tx ${deployment.transactions.governor}; voting ${governance.votingPeriodSeconds} s, quorum ${governance.quorumBps / 100} %), set as the escrow's governor`)
  await verifySettlement(publicClient, deployment, { governance, escrow: escrowRules })
  log('  verified: the code at both addresses is exactly what this build compiles with these rules, and escrow and governor name each other')

  const chainConfig: ChainConfig = { rpcUrl: values.rpc, chainId, name, local: values.local, contracts: { escrow: deployment.escrow, governor: deployment.governor }, deployBlock: deployment.deployBlock }
  await writeDeploymentConfig(values.config, withChain(existing, chainConfig))
  log(`Wrote the chain part of ${values.config}.${existing?.relayAddrs.length ? '' : ' Add your relay next: npm run relay (see README, Deploying).'}`)
}

await deployContracts(process.argv.slice(2), console.log).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error))
  process.exit(1)
})
