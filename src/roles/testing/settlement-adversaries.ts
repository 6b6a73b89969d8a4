// Dishonest coordinators for tests and the audit's e2e: each doctors the epoch book the way a coordinator with
// the escrow's key could, while its job log stays honest, so an audit has something real to catch.
import { getAddress, type Address } from 'viem'
import type { EpochBook } from '../../ledger/epochs.ts'
import type { SettlementAdversary } from '../settlement-host.ts'

/** From epoch `from` on, the coordinator's own chain account is paid `extra` more than anyone earned. */
export function paysItself(extra: bigint, from = 1): SettlementAdversary {
  return {
    doctorBook(book: EpochBook, epoch: number, self: Address): EpochBook {
      if (epoch < from) return book
      const wallets = new Map(book.wallets)
      const key = getAddress(self)
      wallets.set(key, (wallets.get(key) ?? 0n) + extra)
      return { ...book, wallets }
    },
  }
}
