// Settlement errors a user can act on: a bad binding, a tree that does not match the chain, no contracts.
import { TesseraeError } from '../errors.ts'

export type LedgerErrorCode = 'BAD_BINDING' | 'BAD_TREE' | 'BAD_DECISION' | 'BAD_LOG' | 'NO_CONTRACTS' | 'WRONG_CHAIN' | 'NOT_IN_TREE' | 'NOT_FUNDED'

export class LedgerError extends TesseraeError {
  constructor(code: LedgerErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options)
    this.name = 'LedgerError'
  }
}
