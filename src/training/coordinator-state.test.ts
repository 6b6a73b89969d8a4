// Checkpoints live in storage a user or a bug can change: the envelope is checked before the coordinator
// trusts it, and a checkpoint from before audits is upgraded (its round planned again, its credit kept).
import { GAIN_WINDOW } from './gain-screen.ts'
import { describe, expect, it } from 'vitest'
import { decodeCheckpoint } from './coordinator-state.ts'
import { Harness, runRounds } from './testing/coordinator-harness.ts'
import { testJob } from './testing/job-fixture.ts'

describe('coordinator checkpoints', async () => {
  const h = new Harness(testJob({ innerLr: 0.05, innerSteps: 48, auditRate: 0, unitsPerRound: 2 }))
  await h.open()
  await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
  const saved = JSON.parse(h.checkpoints.text!) as Record<string, unknown>
  const decode = (patch: object, jobId = 'job-test') => decodeCheckpoint(JSON.stringify({ ...saved, ...patch }), jobId)

  it('reads back what the coordinator saved, as is', () => {
    const { state, replan } = decodeCheckpoint(h.checkpoints.text!, 'job-test')
    expect(replan).toBe(false)
    expect(state).toEqual(saved)
  })

  it('refuses text that is not a checkpoint of this job', () => {
    expect(() => decodeCheckpoint('{', 'job-test')).toThrow(/^coordinator checkpoint: not valid JSON \(/)
    expect(() => decodeCheckpoint('[]', 'job-test')).toThrow('coordinator checkpoint: expected an object')
    expect(() => decode({ format: 3 })).toThrow('coordinator checkpoint: unknown format 3')
    expect(() => decode({ format: '2' })).toThrow('unknown format 2')
    expect(() => decode({}, 'other-job')).toThrow('belongs to job "job-test", not "other-job"')
  })

  it('refuses a checkpoint whose parts are missing or the wrong kind', () => {
    const current = saved.current as Record<string, unknown>
    expect(() => decode({ current: null })).toThrow('coordinator checkpoint current: expected an object')
    expect(() => decode({ current: { ...current, round: -1 } })).toThrow('"round" must be between 0')
    expect(() => decode({ current: { ...current, version: 'v' } })).toThrow('"version" must be a finite number')
    expect(() => decode({ current: { ...current, units: {} } })).toThrow('"current.units" must be an array')
    expect(() => decode({ peers: [] })).toThrow('coordinator checkpoint peers: expected an object')
    expect(() => decode({ ledger: 'x' })).toThrow('coordinator checkpoint ledger: expected an object')
    expect(() => decode({ history: {} })).toThrow('"history" must be an array')
    for (const gains of [{}, [0.1, '0.2'], [0.1, null], 'x', Array(GAIN_WINDOW + 1).fill(0.1)]) expect(() => decode({ gains }), JSON.stringify(gains)).toThrow(`"gains" must be an array of at most ${GAIN_WINDOW} finite numbers`)
    expect(decode({ gains: [0.01, -0.2] }).state.gains).toEqual([0.01, -0.2])
  })

  it('needs a job secret of exactly 64 lowercase hex digits', () => {
    for (const secret of ['07'.repeat(31) + '0', '07'.repeat(32) + '0', 'AB'.repeat(32), 7, undefined]) expect(() => decode({ secret }), String(secret)).toThrow('"secret" must be 64 hex digits')
  })

  it('upgrades a checkpoint from before audits: peers without audits, reports without replica counts, the round replanned', () => {
    const report = { ...(saved.history as object[])[0], verified: 3, disagreements: 1, outliers: 2 } as Record<string, unknown>
    delete report.audits
    const old = { ...saved, format: 1, secret: undefined, history: [report], reference: undefined, datasets: undefined, pool: undefined, shardUse: undefined, bindings: undefined, bannedWallets: undefined }
    const { state, replan } = decodeCheckpoint(JSON.stringify(old), 'job-test')
    expect(replan).toBe(true)
    expect(state).toMatchObject({ format: 2, secret: '', reference: [], datasets: [], pool: [], shardUse: [], bindings: {}, bannedWallets: [] })
    for (const p of Object.values(state.peers)) expect(p).toMatchObject({ auditsPassed: 0, auditsFailed: 0 })
    const upgraded = state.history[0]!
    expect(upgraded).not.toHaveProperty('verified')
    expect(upgraded).not.toHaveProperty('disagreements')
    expect(upgraded).not.toHaveProperty('outliers')
    expect(upgraded).toMatchObject({ round: 0, accepted: 2, rejections: [], bans: [], refereeMs: 0, roundSecret: '', audits: { run: 0, byReason: { every: 0, probation: 0, draw: 0, suspicious: 0 }, bySuspicion: {} } })
    // Datasets and bindings a format-1 checkpoint did record are kept.
    const kept = decodeCheckpoint(JSON.stringify({ ...old, datasets: [{ id: 'd' }], pool: [{ cid: 'c' }], shardUse: [3], bindings: { a: { wallet: '0x1' } } }), 'job-test').state
    expect(kept).toMatchObject({ datasets: [{ id: 'd' }], pool: [{ cid: 'c' }], shardUse: [3], bindings: { a: { wallet: '0x1' } } })
  })

  it('resumes a format-1 checkpoint with a new secret, a fresh plan for its round, and its history', async () => {
    const old = { ...saved, format: 1, secret: undefined }
    await h.checkpoints.save(JSON.stringify(old))
    const resumed = await h.open()
    expect(resumed.view.secret).toBe('07'.repeat(32))
    expect(resumed.view.current.round).toBe(1)
    expect(resumed.view.current.secretCommitment).toMatch(/^[0-9a-f]{64}$/)
    expect(resumed.view.current.units.every((u) => u.holders.length === 0 && u.outcome === 'open')).toBe(true)
    expect(resumed.view.history).toHaveLength(1)
    expect(JSON.parse(h.checkpoints.text!).format).toBe(2)
  })
})
