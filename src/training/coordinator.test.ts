import { describe, expect, it } from 'vitest'
import { testJob } from './testing/job-fixture.ts'
import { DIM, distance, Harness, runRounds, type Behaviour } from './testing/coordinator-harness.ts'
import { ATTACKS, colludingPair, type AttackName } from './testing/adversaries.ts'
import { quantizeInt8 } from './quantize.ts'
import type { DatasetOffer } from './datasets.ts'
import { auditDraw, roundSecret, secretCommitment } from './audit-draw.ts'
import { replayLedger } from './job-log.ts'

const HONEST: Array<[string, Behaviour]> = [['a', 'honest'], ['b', 'honest'], ['c', 'honest']]
// 48 steps make three segments, so checkpoints exist to commit, reveal, fake and withhold.
const job = (overrides = {}) => testJob({ innerLr: 0.05, innerSteps: 48, ...overrides })

/** Units of `peer` the coordinator accepted, and its credit (verified + pending) now. */
function standing(h: Harness, peer: string) {
  const c = h.coordinator.credits
  return { accepted: h.coordinator.view.peers[peer]?.accepted ?? 0, credit: c.volunteer(peer).flops + c.pending(peer).flops, banned: h.coordinator.view.peers[peer]?.banned ?? false }
}

describe('coordinator', () => {
  it('trains with honest volunteers: every unit accepted, each credited once, audited units vouching for earlier ones', async () => {
    const h = new Harness(job())
    await h.open()
    const start = distance(h.coordinator.currentParams)
    await runRounds(h, HONEST, 6)
    expect(distance(h.coordinator.currentParams)).toBeLessThan(start * 0.5)
    const history = h.coordinator.view.history
    expect(history).toHaveLength(6)
    expect(history.every((r) => r.rejected === 0 && r.accepted === 4 && r.dropped === 0)).toBe(true)
    // Probation audits each peer's first unit; the draw takes about half the rest at an audit rate of 0.5.
    expect(history[0]!.audits.byReason.probation).toBe(3)
    const drawn = history.reduce((n, r) => n + r.audits.byReason.draw, 0)
    expect(drawn).toBeGreaterThan(4)
    expect(drawn).toBeLessThan(20)
    expect(history.every((r) => r.audits.failed === 0)).toBe(true)
    const units = ['a', 'b', 'c'].map((p) => h.coordinator.credits.volunteer(p).units + h.coordinator.credits.pending(p).units)
    const acceptedReplicas = Object.values(h.coordinator.view.peers).reduce((n, p) => n + p.accepted, 0)
    expect(units.reduce((a, b) => a + b)).toBe(acceptedReplicas)
    expect(acceptedReplicas).toBe(24)
    expect(h.coordinator.credits.volunteer('a').flops + h.coordinator.credits.pending('a').flops).toBe(units[0]! * 1000 * 48)
    expect(h.coordinator.credits.dataOwner('alice').samples + h.coordinator.credits.dataOwner('bob').samples).toBe(6 * 4 * 8 * 48)
    expect(history.at(-1)!.testAccuracy!).toBeGreaterThan(h.coordinator.view.initialAccuracy!)
  })

  it('pays only for audited work: credit stays pending until a later passed audit vouches for it', async () => {
    const h = new Harness(job({ auditRate: 0 }))
    await h.open()
    await runRounds(h, HONEST, 3)
    const c = h.coordinator.credits
    for (const p of ['a', 'b', 'c']) {
      const record = h.coordinator.view.peers[p]!
      // Only audits (probation, and cheap checks that found something odd) verify; everything else waits.
      expect(record.auditsPassed).toBeGreaterThanOrEqual(1)
      expect(c.volunteer(p).units).toBeGreaterThanOrEqual(record.auditsPassed)
      expect(c.volunteer(p).units + c.pending(p).units).toBe(record.accepted)
    }
    expect(['a', 'b', 'c'].reduce((n, p) => n + c.pending(p).units, 0)).toBeGreaterThan(0)
  })

  it('holds nothing against a volunteer whose tab closed before its work could be checked, and gives its unit to another', async () => {
    const h = new Harness(job({ auditRate: 0, unitsPerRound: 2 }))
    await h.open()
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    const gone = await h.work('x', 'leaver')
    expect(gone.accepted).toBe(true)
    await h.coordinator.settled()
    const x = h.coordinator.view.peers.x!
    expect(x).toMatchObject({ rejected: 0, reputation: 1, banned: false })
    const unit = h.coordinator.view.current.units.find((u) => u.holders.some((hh) => hh.peer === 'x'))!
    expect(unit.holders.find((hh) => hh.peer === 'x')).toMatchObject({ status: 'rejected', verdict: { code: 'UNVERIFIED' } })
    const next = await h.coordinator.requestWork('a')
    expect(next.kind === 'unit' && next.unit.unitId).toBe(unit.id)
  })

  const attacks = (Object.keys(ATTACKS) as AttackName[]).filter((a) => a !== 'honest' && a !== 'leaver')
  for (const attack of attacks) {
    it(`catches a "${attack}" volunteer: no credit, excluded, while every honest unit is accepted`, async () => {
      const h = new Harness(job())
      await h.open()
      const start = distance(h.coordinator.currentParams)
      await runRounds(h, [['x', attack], ...HONEST], 8)
      const x = standing(h, 'x')
      expect(x.banned).toBe(true)
      expect(x.credit).toBe(0)
      // These do honest work at first (replay and stale need an earlier unit to reuse): that work was accepted, then forfeited.
      if (!['sometimes', 'replay', 'stale'].includes(attack)) expect(x.accepted).toBe(0)
      for (const p of ['a', 'b', 'c']) expect(h.coordinator.view.peers[p]!.rejected).toBe(0)
      expect(distance(h.coordinator.currentParams)).toBeLessThan(start * 0.5)
      expect((await h.coordinator.requestWork('x')).kind).toBe('wait')
      // Its units were done again by others in the same round: nothing was dropped.
      expect(h.coordinator.view.history.every((r) => r.dropped === 0)).toBe(true)
    })
  }

  it('catches a delta changed after honest training even when the draw does not pick it: the spot check', async () => {
    const h = new Harness(job({ auditRate: 0 }))
    await h.open()
    const bias = ATTACKS.bias()
    let units = 0
    const turncoat = { cheats: [], work: (unit, honest, run) => (units++ === 0 ? run(honest) : bias.work(unit, honest, run)) } satisfies Parameters<typeof h.work>[1]
    await runRounds(h, [['x', turncoat], ...HONEST], 3)
    const x = h.coordinator.view.peers.x!
    expect(x.auditsPassed).toBe(1)
    expect(x.ban).toMatchObject({ code: 'AUDIT_FAILED', params: { delta: expect.any(Number) } })
    expect(standing(h, 'x').credit).toBe(0)
    const round = h.coordinator.view.history.find((r) => r.bans.some((b) => b.peer === 'x'))!
    expect(round.audits, JSON.stringify(round.audits)).toMatchObject({ bySuspicion: { DELTA_MISMATCH: 1 } })
  })

  it('writes a job log whose replay gives back every peer\'s credit exactly, bans and forfeits included', async () => {
    const h = new Harness(job({ auditRate: 0.3 }))
    await h.open()
    await h.coordinator.recordBinding('x', { wallet: '0x00000000000000000000000000000000000000aa', expiry: 2e9, signature: '0x', boundAtMs: 0 })
    await h.coordinator.recordBinding('y', { wallet: '0x00000000000000000000000000000000000000aa', expiry: 2e9, signature: '0x', boundAtMs: 0 })
    await runRounds(h, [['y', 'honest'], ['z', 'nan'], ...HONEST], 2)
    await runRounds(h, [['x', 'sometimes'], ['y', 'honest'], ['w', 'withhold'], ...HONEST], 4)
    const view = h.coordinator.view
    const rounds = h.log.rounds(view.logHead)
    expect(rounds.map((r) => r.round)).toEqual([0, 1, 2, 3, 4, 5])
    expect(rounds.every((r, i) => r.prev === (i === 0 ? null : expect.any(String)) || i > 0)).toBe(true)
    const bindings = Object.entries(view.bindings).map(([peer, b]) => ({ peer, ...b }))
    const { ledger, banned } = replayLedger(rounds, bindings, view.closedSeq!)
    expect(ledger.toJSON()).toEqual(view.closedLedger)
    expect(banned.get('x')).toBe('AUDIT_FAILED')
    expect(banned.get('y')).toBe('AUDIT_FAILED')
    expect(banned.has('a')).toBe(false)
    // A doctored record shows: crediting a unit to someone else changes the replayed ledger.
    const doctored = structuredClone(rounds)
    const accepted = doctored[5]!.units.flatMap((u) => u.holders).find((hh) => hh.status === 'accepted' && hh.peer === 'a')!
    accepted.peer = 'mallory'
    expect(replayLedger(doctored, bindings, view.closedSeq!).ledger.toJSON()).not.toEqual(view.closedLedger)
  })

  it('rejects both members of a colluding pair: agreeing with each other proves nothing', async () => {
    const h = new Harness(job())
    await h.open()
    const [x1, x2] = colludingPair()
    await runRounds(h, [['x1', x1], ['x2', x2], ...HONEST], 8)
    for (const p of ['x1', 'x2']) expect(standing(h, p)).toMatchObject({ banned: true, credit: 0, accepted: 0 })
    for (const p of ['a', 'b', 'c']) expect(h.coordinator.view.peers[p]!.rejected).toBe(0)
  })

  it('a colluding pair copies work only onto a unit of the same length, so an audit is what catches it', async () => {
    // On a live job one member's full unit and the other's probe can share a round; a copy across lengths
    // would be refused as WRONG_SAMPLES before any audit and the swarm e2e would not see the audit work.
    const h = new Harness(job())
    await h.open()
    const reply = await h.coordinator.requestWork('a')
    if (reply.kind !== 'unit') throw new Error(`no unit: ${reply.kind}`)
    const full = reply.unit
    const [x1, x2] = colludingPair()
    await h.compute('x1', full, x1)
    const probe = await h.compute('x2', { ...full, unitId: `${full.round}.p0`, innerSteps: 2 }, x2)
    expect(probe.result.samples).toBe(2 * full.batchSize)
    const copy = await h.compute('x2', { ...full, unitId: `${full.round}.1` }, x2)
    expect(copy.result).toMatchObject({ samples: full.innerSteps * full.batchSize, unitId: `${full.round}.1` })
    expect(x2.cheats).toHaveLength(2)
  })

  it('records at each close exactly the peers banned for a failed audit by then, whose waiting credit settlement forfeits', async () => {
    const h = new Harness(job({ auditRate: 1 }))
    await h.open()
    await runRounds(h, HONEST, 1)
    expect(h.coordinator.view.closedForfeits).toEqual([])
    await runRounds(h, [...HONEST, ['x', ATTACKS.bias()]], 1)
    expect(h.coordinator.view.peers.x!.ban?.code).toBe('AUDIT_FAILED')
    await runRounds(h, HONEST, 1)
    expect(h.coordinator.view.closedForfeits).toEqual(['x'])
  })

  it('forfeits the unpaid credit of every peer bound to a cheater\'s wallet and refuses that wallet later', async () => {
    const h = new Harness(job({ auditRate: 0 }))
    await h.open()
    const binding = { wallet: '0x00000000000000000000000000000000000000aa', expiry: 2e9, signature: '0x', boundAtMs: 0 }
    await h.coordinator.recordBinding('x1', binding)
    await h.coordinator.recordBinding('x2', binding)
    // x2 works honestly and earns credit; x1, the same person's other tab, is then caught.
    await runRounds(h, [['x2', 'honest'], ...HONEST], 2)
    expect(standing(h, 'x2').credit).toBeGreaterThan(0)
    await runRounds(h, [['x1', 'bias'], ['x2', 'honest'], ...HONEST], 2)
    expect(standing(h, 'x1')).toMatchObject({ banned: true, credit: 0 })
    expect(standing(h, 'x2')).toMatchObject({ banned: true, credit: 0 })
    expect(h.coordinator.credits.forfeited('x2').flops).toBeGreaterThan(0)
    await expect(h.coordinator.recordBinding('x3', binding)).rejects.toThrow(/caught cheating/)
  })

  it('with an audit rate of 1 re-executes every unit, the last of each round included, and never waits for the deadline', async () => {
    const h = new Harness(job({ auditRate: 1 }))
    await h.open()
    await runRounds(h, [...HONEST, ['d', 'honest'], ['e', 'honest']], 4)
    expect(h.clock).toBeLessThan(h.job.roundMs)
    for (const r of h.coordinator.view.history) {
      expect(r.audits.run).toBe(4)
      expect(r.audits.byReason.every).toBe(4)
      expect(r.accepted).toBe(4)
    }
  })

  it('accepts honest work re-executed on a slightly different engine (WebGPU against wasm)', async () => {
    const h = new Harness(job({ auditRate: 1 }), { refereeJitter: 2e-3 })
    await h.open()
    await runRounds(h, HONEST, 2)
    expect(h.coordinator.view.history.every((r) => r.accepted === 4 && r.audits.failed === 0)).toBe(true)
  })

  it('gives a refused unit to the next peer at once, and a leaver\'s unit too, without waiting for the deadline', async () => {
    const h = new Harness(job({ auditRate: 0, unitsPerRound: 2 }))
    await h.open()
    const nan = await h.work('x', 'nan')
    expect(nan.accepted).toBe(false)
    expect(nan.verdict?.code).toBe('MALFORMED_DELTA')
    const again = await h.coordinator.requestWork('b')
    expect(again.kind === 'unit' && nan.reply.kind === 'unit' && again.unit.unitId === nan.reply.unit.unitId).toBe(true)
    const held = await h.coordinator.requestWork('c')
    if (held.kind !== 'unit') throw new Error('expected a unit')
    await h.coordinator.peerLeft('c')
    const taken = await h.coordinator.requestWork('d')
    expect(taken.kind === 'unit' && taken.unit.unitId).toBe(held.unit.unitId)
    expect(h.coordinator.view.peers.x!.reputation).toBeLessThan(1)
  })

  /** Round 0 passes a's and b's probation; in round 1, a holds a unit so long that b is given a copy of it. */
  async function stragglerAndCopy() {
    const h = new Harness(job({ auditRate: 0, unitsPerRound: 2 }))
    await h.open()
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    const slow = await h.coordinator.requestWork('a')
    if (slow.kind !== 'unit') throw new Error('expected a unit')
    h.clock += 100
    await h.work('b', 'honest')
    await h.coordinator.settled()
    h.clock += 5_000
    const copy = await h.coordinator.requestWork('b')
    if (copy.kind !== 'unit' || copy.unit.unitId !== slow.unit.unitId) throw new Error('expected a copy of the straggler\'s unit')
    return { h, slow, copy }
  }

  it('copies a straggler\'s unit to a second peer; the first valid result wins and is credited once', async () => {
    const { h, slow, copy } = await stragglerAndCopy()
    await h.submit('b', await h.compute('b', copy.unit))
    await h.coordinator.settled()
    expect(h.coordinator.view.history).toHaveLength(2)
    const late = await h.submit('a', await h.compute('a', slow.unit))
    expect(late).toMatchObject({ accepted: false, verdict: { code: 'ROUND_CLOSED' } })
    const credited = ['a', 'b'].reduce((n, p) => n + h.coordinator.credits.volunteer(p).units + h.coordinator.credits.pending(p).units, 0)
    expect(credited).toBe(4)
  })

  it('when a straggler and its copy both deliver before either is checked, accepts and credits the unit once', async () => {
    const { h, slow, copy } = await stragglerAndCopy()
    const [first, second] = [await h.compute('a', slow.unit), await h.compute('b', copy.unit)]
    // Both are taken for checking; the second's verdict arrives after the first won the unit.
    expect((await h.submit('a', first)).accepted).toBe(true)
    expect((await h.submit('b', second)).accepted).toBe(true)
    await h.coordinator.settled()
    const round = h.coordinator.view.history.at(-1)!
    expect(round.accepted).toBe(2)
    const units = ['a', 'b'].map((p) => h.coordinator.credits.volunteer(p).units + h.coordinator.credits.pending(p).units)
    expect(units[0]! + units[1]!).toBe(4)
    expect(h.coordinator.view.peers.a!.accepted + h.coordinator.view.peers.b!.accepted).toBe(4)
    // The round's flops are what its accepted units did: steps × FLOPs per step each.
    expect(round.flops).toBe(2 * 1000 * 48)
    expect(round.samples).toBe(2 * 48 * 8)
  })

  it('resumes from its checkpoint mid-round without losing or double-counting a unit', async () => {
    const h = new Harness(job({ auditRate: 0 }))
    await h.open()
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 2)
    const first = await h.work('a', 'honest')
    expect(first.accepted).toBe(true)
    await h.coordinator.settled()
    const pendingB = await h.coordinator.requestWork('b')
    const before = JSON.parse(h.checkpoints.text!)
    const restored = await h.open()
    expect(restored.view.current.round).toBe(before.current.round)
    expect(restored.view.history).toHaveLength(2)
    // The same result again is refused; b's unit assigned before the reload is still b's.
    expect(await restored.submit('a', first.result!, quantizeInt8(new Float32Array(DIM)), { checkpoint: async () => new Float32Array(DIM), checkpointPieces: async () => ({ valuesPerPiece: DIM, pieces: new Map() }) }, 'ab')).toMatchObject({ accepted: false, verdict: { code: 'NOT_ASSIGNED' } })
    expect(await restored.requestWork('b')).toEqual(pendingB)
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 2)
    const units = Object.values(restored.view.peers).reduce((n, p) => n + p.accepted, 0)
    const credited = ['a', 'b'].reduce((n, p) => n + restored.credits.volunteer(p).units + restored.credits.pending(p).units, 0)
    expect(credited).toBe(units)
    expect(units).toBe(4 * 4)
  })

  it('refuses results for the wrong job, round, shape or sample count with typed codes', async () => {
    const h = new Harness(job({ auditRate: 0 }))
    await h.open()
    const { result } = await h.work('a', 'honest')
    const q = quantizeInt8(new Float32Array(DIM))
    const evidence = { checkpoint: async () => new Float32Array(DIM), checkpointPieces: async () => ({ valuesPerPiece: DIM, pieces: new Map() }) }
    const sign = 'ab'
    expect(await h.coordinator.submit('a', { ...result!, jobId: 'other' }, q, evidence, sign)).toMatchObject({ accepted: false, verdict: { code: 'UNKNOWN_JOB' } })
    expect(await h.coordinator.submit('a', { ...result!, round: 9 }, q, evidence, sign)).toMatchObject({ accepted: false, verdict: { code: 'ROUND_CLOSED' } })
    expect(await h.coordinator.submit('z', result!, q, evidence, sign)).toMatchObject({ accepted: false, verdict: { code: 'NOT_ASSIGNED' } })
    for (const [peer, patch, delta, code] of [
      ['b', {}, quantizeInt8(new Float32Array(DIM - 1)), 'WRONG_SHAPE'],
      ['c', { samples: 10_000 }, q, 'WRONG_SAMPLES'],
      ['d', { lossAfter: NaN }, q, 'NON_FINITE_LOSS'],
      ['e', { checkpoints: ['x'] as string[] }, q, 'WRONG_CHECKPOINTS'],
    ] as const) {
      const reply = await h.coordinator.requestWork(peer)
      if (reply.kind !== 'unit') throw new Error('expected a unit')
      const refused = await h.coordinator.submit(peer, { ...result!, ...patch, unitId: reply.unit.unitId }, delta, evidence, sign)
      expect(refused).toMatchObject({ accepted: false, verdict: { code } })
      expect(h.coordinator.view.peers[peer]!.reputation).toBeLessThan(1)
    }
  })

  it('draws audits after the commitment from a round secret it announced beforehand and reveals at the close', async () => {
    const h = new Harness(job({ auditRate: 0.5 }))
    await h.open()
    const announced = h.coordinator.view.current.secretCommitment
    await runRounds(h, HONEST, 1)
    await runRounds(h, HONEST, 1)
    const report = h.coordinator.view.history[1]!
    expect(await secretCommitment(report.roundSecret)).not.toBe(announced)
    expect(await secretCommitment(h.coordinator.view.history[0]!.roundSecret)).toBe(announced)
    // The secret is the one the coordinator's job secret derives; a draw is a pure function of it and the commitment.
    expect(report.roundSecret).toBe(await roundSecret('07'.repeat(32), 1))
    const d = await auditDraw(report.roundSecret, 'ab'.repeat(32))
    expect(d).toBeGreaterThanOrEqual(0)
    expect(d).toBeLessThan(1)
    expect(await auditDraw(report.roundSecret, 'ab'.repeat(32))).toBe(d)
  })

  it('drops stragglers at the deadline and keeps their late results out', async () => {
    const h = new Harness(job({ auditRate: 0, unitsPerRound: 2 }))
    await h.open()
    await h.work('a', 'honest')
    const straggler = await h.coordinator.requestWork('b')
    if (straggler.kind !== 'unit') throw new Error('expected a unit')
    await h.coordinator.settled()
    h.clock += 10_001
    const report = await h.coordinator.tick()
    expect(report).toMatchObject({ round: 0, accepted: 1, dropped: 1 })
    const late = await h.submit('b', await h.compute('b', straggler.unit))
    expect(late).toMatchObject({ accepted: false, verdict: { code: 'ROUND_CLOSED' } })
  })

  it('keeps a round open past its deadline when nothing was verified, instead of publishing the same version', async () => {
    const h = new Harness(job({ auditRate: 0 }))
    await h.open()
    h.clock += 10_001
    expect(await h.coordinator.tick()).toBeNull()
    expect(h.coordinator.view.current.round).toBe(0)
    expect(h.coordinator.view.current.deadlineMs).toBe(h.clock + 10_000)
  })

  it('keeps the fair share: a fast peer cannot take most of a round', async () => {
    const h = new Harness(job({ auditRate: 0, unitsPerRound: 4 }))
    await h.open()
    for (const p of ['a', 'b', 'c', 'd']) await h.coordinator.requestWork(p)
    h.clock += 1
    const second = await h.work('a', 'honest')
    expect(second.accepted).toBe(true)
    const third = await h.coordinator.requestWork('a')
    expect(third).toMatchObject({ kind: 'wait', verdict: { code: 'NO_OPEN_UNITS' } })
  })

  const offer = (overrides: Partial<DatasetOffer> = {}): DatasetOffer => ({
    id: 'ds-1', name: 'mine', licence: 'CC-BY-4.0', owner: 'carol', height: 28, width: 28, classes: job().classes,
    chunks: [{ cid: 'chunk-a', samples: 64 }, { cid: 'chunk-b', samples: 64 }], merkleRoot: 'root', samples: 128, ...overrides,
  })

  it('adds an accepted dataset\'s chunks to the next rounds and credits its owner per sample used', async () => {
    const h = new Harness(job({ auditRate: 0, unitsPerRound: 4 }))
    await h.open()
    expect((await h.coordinator.offerDataset(offer())).status).toBe('pending')
    expect((await h.coordinator.offerDataset(offer({ id: 'ds-2', height: 32 }))).status).toBe('rejected')
    await h.coordinator.decideDataset('ds-1', true, '')
    await runRounds(h, HONEST, 3)
    const used = h.coordinator.credits.dataOwner('carol').samples
    expect(used).toBeGreaterThan(0)
    expect(h.coordinator.datasets.find((d) => d.id === 'ds-1')!.samplesUsed).toBe(used)
  })
})
