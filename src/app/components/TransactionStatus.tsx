// A transaction's status line (useTransaction): announced politely while busy or done, as an alert on failure.
import type { TransactionState } from '../hooks/useTransaction.ts'

export function TransactionStatus({ state, testId }: { state: TransactionState; testId: string }) {
  return (
    <>
      <p role="status" aria-live="polite" data-testid={testId} data-state={state.kind}>
        {state.kind === 'busy' || state.kind === 'done' ? state.what : ''}
      </p>
      {state.kind === 'failed' && <p className="field-error" role="alert" data-testid={`${testId}-error`}>{state.error}</p>}
    </>
  )
}
