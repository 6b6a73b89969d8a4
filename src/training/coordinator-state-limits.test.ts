// The checkpoint envelope, check by check, with the whole message each refusal gives: the file is ours but
// the storage is not, so every check must hold on its own. A checkpoint from before audits is upgraded field
// by field.
import { describe, expect, it } from 'vitest'
import { decodeCheckpoint } from './coordinator-state.ts'

const SECRET = '0123456789abcdef'.repeat(4)
const checkpoint = (patch: object = {}) => ({
  format: 2, jobId: 'j', secret: SECRET, current: { round: 3, version: 2, units: [] }, momentumCid: null, centreCid: null, peers: {}, ledger: {}, history: [],
  initialAccuracy: null, finished: false, reference: [], datasets: [], pool: [], shardUse: [], bindings: {}, bannedWallets: [], seq: 9, logHead: 'head', ...patch,
})
const decode = (patch: object = {}, jobId = 'j') => decodeCheckpoint(JSON.stringify(checkpoint(patch)), jobId)
const refusal = (message: string) => expect.objectContaining({ code: 'DECODE', message })

describe('checkpoint envelope', () => {
  it('takes a format-2 checkpoint as it stands, to be resumed without replanning', () => {
    expect(decode()).toEqual({ state: checkpoint(), replan: false })
    expect(decode({ current: { round: 0, version: 0, units: [] } }).state.current.round).toBe(0)
  })

  it('refuses each broken part with its own message', () => {
    const cases: Array<[object, string]> = [
      [{ format: 0 }, 'coordinator checkpoint: unknown format 0'],
      [{ format: undefined }, 'coordinator checkpoint: unknown format undefined'],
      [{ jobId: 'k' }, 'coordinator checkpoint: belongs to job "k", not "j"'],
      [{ current: [] }, 'coordinator checkpoint current: expected an object'],
      [{ current: { version: 0, units: [] } }, 'coordinator checkpoint: "round" must be a finite number'],
      [{ current: { round: 1.5, version: 0, units: [] } }, 'coordinator checkpoint: "round" must be an integer'],
      [{ current: { round: 0, version: -1, units: [] } }, `coordinator checkpoint: "version" must be between 0 and ${Number.MAX_SAFE_INTEGER}`],
      [{ current: { round: 0, version: 0 } }, 'coordinator checkpoint: "current.units" must be an array'],
      [{ peers: null }, 'coordinator checkpoint peers: expected an object'],
      [{ ledger: [] }, 'coordinator checkpoint ledger: expected an object'],
      [{ history: undefined }, 'coordinator checkpoint: "history" must be an array'],
      [{ secret: undefined }, 'coordinator checkpoint: "secret" must be 64 hex digits'],
      [{ secret: `${SECRET.slice(1)}g` }, 'coordinator checkpoint: "secret" must be 64 hex digits'],
      [{ secret: ` ${SECRET.slice(1)}` }, 'coordinator checkpoint: "secret" must be 64 hex digits'],
    ]
    for (const [patch, message] of cases) expect(() => decode(patch), message).toThrow(refusal(message))
    expect(() => decodeCheckpoint('not json', 'j')).toThrow(expect.objectContaining({ code: 'DECODE', message: expect.stringMatching(/^coordinator checkpoint: not valid JSON \(.+\)$/) }))
    expect(() => decodeCheckpoint('null', 'j')).toThrow(refusal('coordinator checkpoint: expected an object'))
  })
})

describe('format-1 checkpoints', () => {
  const report = { round: 0, version: 1, startedAtMs: 0, closedAtMs: 5, accepted: 2, verified: 3, disagreements: 1, outliers: 0, samples: 64 }
  const old = (patch: object = {}) => ({
    format: 1, jobId: 'j', current: { round: 1, version: 1, units: [{ id: 'x' }] }, momentumCid: 'm', centreCid: null, peers: { a: { accepted: 2, reputation: 5 } }, ledger: { v: 1 }, history: [report],
    initialAccuracy: 0.1, finished: false, ...patch,
  })
  const upgrade = (patch: object = {}) => decodeCheckpoint(JSON.stringify(old(patch)), 'j')

  it('becomes a format-2 state with empty audit records, no secret yet, and its round to be planned again', () => {
    const { state, replan } = upgrade()
    expect(replan).toBe(true)
    expect(state).toEqual({
      format: 2, jobId: 'j', secret: '', current: { round: 1, version: 1, units: [{ id: 'x' }] }, momentumCid: 'm', centreCid: null, peers: { a: { accepted: 2, reputation: 5, auditsPassed: 0, auditsFailed: 0 } },
      ledger: { v: 1 }, initialAccuracy: 0.1, finished: false, reference: [], datasets: [], pool: [], shardUse: [], bindings: {}, bannedWallets: [], seq: 0, logHead: null,
      history: [{
        round: 0, version: 1, startedAtMs: 0, closedAtMs: 5, accepted: 2, samples: 64, rejections: [], bans: [], refereeMs: 0, roundSecret: '',
        audits: { run: 0, passed: 0, failed: 0, incomplete: 0, byReason: { every: 0, probation: 0, draw: 0, suspicious: 0 }, bySuspicion: {} },
      }],
    })
  })

  it('keeps its bindings, each at sequence 0, and does not need a secret', () => {
    const { state } = upgrade({ secret: 'not hex', bindings: { a: { wallet: '0x1', expiry: 2, signature: 's', boundAtMs: 3 } } })
    expect(state.bindings).toEqual({ a: { wallet: '0x1', expiry: 2, signature: 's', boundAtMs: 3, seq: 0 } })
    expect(state.secret).toBe('')
  })

  it('refuses a peer, report or binding that is not an object', () => {
    expect(() => upgrade({ peers: { a: 7 } })).toThrow(refusal('coordinator checkpoint: expected an object'))
    expect(() => upgrade({ history: [null] })).toThrow(refusal('coordinator checkpoint: expected an object'))
    expect(() => upgrade({ bindings: { a: 'x' } })).toThrow(refusal('coordinator checkpoint: expected an object'))
    expect(() => upgrade({ bindings: [] })).toThrow(refusal('coordinator checkpoint: expected an object'))
  })
})
