import { describe, expect, it } from 'vitest'
import { decodeFromWorker, decodeToWorker } from './worker-protocol.ts'

describe('worker protocol', () => {
  it('decodes requests and rejects unknown or malformed ones', () => {
    expect(decodeToWorker({ type: 'probe', id: 7 })).toEqual({ type: 'probe', id: 7 })
    expect(() => decodeToWorker({ type: 'train', id: 1 })).toThrow(/unknown message type "train"/)
    expect(() => decodeToWorker({ type: 'probe', id: -1 })).toThrow(/"id" must be between/)
    expect(() => decodeToWorker('probe')).toThrow(/expected an object/)
  })

  it('decodes replies, including errors, and rejects a probe result without a report', () => {
    expect(decodeFromWorker({ type: 'error', id: 1, code: 'X', message: 'broke' })).toEqual({ type: 'error', id: 1, code: 'X', message: 'broke' })
    expect(() => decodeFromWorker({ type: 'probe-result', id: 1 })).toThrow(/report: expected an object/)
  })
})
