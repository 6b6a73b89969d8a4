// One wallet transaction at a time, with its status in words: waiting for the wallet, sent and being mined,
// done (saying what it did), or failed with the contract's own reason (explainChainError).
import { useCallback, useState } from 'react'
import type { Hex, TransactionReceipt } from 'viem'
import { readerFor } from '../../ledger/chain.ts'
import { explainChainError } from '../../ledger/explain-error.ts'
import type { ChainConfig } from '../../stack/stack-config.ts'

export type TransactionState = { kind: 'idle' } | { kind: 'busy'; what: string } | { kind: 'done'; what: string } | { kind: 'failed'; error: string }

export interface Transaction {
  state: TransactionState
  busy: boolean
  /**
   * Sends what `send` signs (it may read the chain first, and throw a sentence to stop), waits for it to be
   * mined, and says `done(receipt)`; `what` names the action in every line ("Voting for proposal 3").
   */
  run: (what: string, send: () => Promise<Hex>, done: (receipt: TransactionReceipt) => string) => Promise<void>
}

export function useTransaction(chain: ChainConfig, onMined?: () => void): Transaction {
  const [state, setState] = useState<TransactionState>({ kind: 'idle' })
  const run = useCallback(
    async (what: string, send: () => Promise<Hex>, done: (receipt: TransactionReceipt) => string) => {
      try {
        setState({ kind: 'busy', what: `${what}: waiting for your wallet to confirm…` })
        const hash = await send()
        setState({ kind: 'busy', what: `${what}: sent (transaction ${hash.slice(0, 10)}…), waiting for it to be mined…` })
        const receipt = await readerFor(chain).waitForTransactionReceipt({ hash })
        if (receipt.status !== 'success') throw new Error(`the transaction ${hash} reverted`)
        setState({ kind: 'done', what: done(receipt) })
        onMined?.()
      } catch (error) {
        setState({ kind: 'failed', error: `${what} failed: ${explainChainError(error)}` })
      }
    },
    [chain, onMined],
  )
  return { state, busy: state.kind === 'busy', run }
}
