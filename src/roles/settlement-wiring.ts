// Builds a coordinator's SettlementHost from the stack's chain config and the coordinator's own key: the same
// wiring in a researcher's tab and in the Node demo coordinator, for a whole-model job (settlementFor) and a
// staged one (settlementOf). Over HTTP JSON-RPC only, so it needs no wallet.
import { createPublicClient, createWalletClient, http, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { ChainConfig } from '../stack/stack-config.ts'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import { putChunked } from '../p2p/chunked.ts'
import type { CoordinatorHost } from './coordinator-host.ts'
import { SettlementHost, settledCoordinator, type SettledJob, type SettlementAdversary } from './settlement-host.ts'
import { LedgerError } from '../ledger/errors.ts'
import { chainOf } from '../ledger/chain.ts'
import type { LogStore } from '../training/stores.ts'

export interface SettlementWiring {
  config: ChainConfig
  exchange: BlockExchange
  coordinatorKey: Hex
  jobLog: LogStore
  log?: (line: string) => void
  adversary?: SettlementAdversary
}

/** A settlement host for any settled job; `decideDataset` for a job whose datasets governance may decide. */
export function settlementOf(options: SettlementWiring): (source: SettledJob, decideDataset?: (id: string, accept: boolean, reason: string) => Promise<void>) => SettlementHost {
  const contracts = options.config.contracts
  if (!contracts) throw new LedgerError('NO_CONTRACTS', `no settlement contracts are configured for ${options.config.name}`)
  const chain = chainOf(options.config)
  const transport = http(options.config.rpcUrl, { retryCount: 1, timeout: 20_000 })
  const reader = createPublicClient({ chain, transport, pollingInterval: 500 })
  const writer = createWalletClient({ chain, transport, account: privateKeyToAccount(options.coordinatorKey) })
  return (source, decideDataset) =>
    new SettlementHost({
      source,
      chain: { chainId: chain.id, escrow: contracts.escrow, governor: contracts.governor, reader, writer },
      publishTree: (bytes) => putChunked(options.exchange, 'epoch-tree', bytes),
      jobLog: options.jobLog,
      decideDataset,
      log: options.log,
      adversary: options.adversary,
    })
}

/** A whole-model job's settlement host, made for its coordinator host. */
export function settlementFor(options: SettlementWiring): (host: CoordinatorHost) => SettlementHost {
  const of = settlementOf(options)
  return (host) => of(settledCoordinator(host.coordinator), (id, accept, reason) => host.decideDataset(id, accept, reason))
}
