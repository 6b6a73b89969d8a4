import { describe, expect, it } from 'vitest'
import { Harness, runRounds } from './testing/coordinator-harness.ts'
import { testJob } from './testing/job-fixture.ts'
import { expireHolds } from './assignment.ts'
import { MAX_PROBES_PER_ROUND, PROBE_HOLD_MS, PROBE_STEPS, probeFor, unitFlops } from './probe.ts'
import type { HolderStatus, RoundState } from './coordinator-state.ts'
import { resultCommitment } from './audit-draw.ts'
import { newPeer } from './reputation.ts'
import { replayLedger, type RoundRecord } from './job-log.ts'
import { checkRounds } from './log-checks.ts'

// 48 steps: a full unit is twelve times a probe, and has three checkpoint segments.
const job = (overrides = {}) => testJob({ innerLr: 0.05, innerSteps: 48, ...overrides })
const FLOPS_PER_STEP = 1000 // the harness's

async function opened(overrides = {}, probeSteps = PROBE_STEPS): Promise<Harness> {
  const h = new Harness(job(overrides), { probeSteps })
  await h.open()
  return h
}

const holderOf = (h: Harness, unitId: string, peer: string) => [...h.coordinator.view.current.units, ...(h.coordinator.view.current.probes ?? [])].find((u) => u.id === unitId)!.holders.find((x) => x.peer === peer)!

describe('a new volunteer\'s probe', () => {
  it('is a short unit, replayed in full at once and credited as verified for its steps', async () => {
    const h = await opened()
    const first = await h.work('a')
    if (first.reply.kind !== 'unit') throw new Error('no unit')
    expect(first.reply.unit).toMatchObject({ innerSteps: PROBE_STEPS, unitId: '0.p0', batchSize: 8 })
    expect(first.accepted).toBe(true)
    await h.coordinator.settled()
    expect(holderOf(h, '0.p0', 'a')).toMatchObject({ status: 'accepted', audit: { reason: 'probation', outcome: 'passed', segments: 1 } })
    expect(h.coordinator.credits.volunteer('a')).toMatchObject({ units: 1, flops: FLOPS_PER_STEP * PROBE_STEPS, samples: 8 * PROBE_STEPS })
    expect(h.coordinator.credits.pending('a').units).toBe(0)
    // Its data never reached the model: the shard's owner is not credited for it; nor is its delta a yardstick.
    expect(h.coordinator.credits.dataOwner('alice').samples).toBe(0)
    expect(h.coordinator.view.reference).toHaveLength(0)
    // It does not end probation: the first full unit is replayed in full as well.
    const second = await h.work('a')
    if (second.reply.kind !== 'unit') throw new Error('no unit')
    expect(second.reply.unit).toMatchObject({ innerSteps: 48, unitId: '0.0' })
    await h.coordinator.settled()
    expect(holderOf(h, '0.0', 'a')).toMatchObject({ status: 'accepted', audit: { reason: 'probation', outcome: 'passed' } })
    expect(h.coordinator.view.peers.a).toMatchObject({ accepted: 2, auditsPassed: 1 })
    expect(h.coordinator.credits.volunteer('a')).toMatchObject({ units: 2, flops: FLOPS_PER_STEP * (PROBE_STEPS + 48) })
  })

  it('is asked again while held, never twice to one peer, not for jobs as short, and at most so many per round', async () => {
    const h = await opened()
    const a1 = await h.coordinator.requestWork('a')
    const a2 = await h.coordinator.requestWork('a')
    expect(a1.kind === 'unit' && a2.kind === 'unit' && a2.unit.unitId === a1.unit.unitId && a1.unit.innerSteps === PROBE_STEPS).toBe(true)
    // A peer that already had a result decided gets ordinary units.
    const b = await opened()
    await b.work('x')
    await b.coordinator.settled()
    const next = await b.coordinator.requestWork('x')
    expect(next.kind === 'unit' && next.unit.innerSteps).toBe(48)
    // A job whose units are no longer than a probe has none, and neither has a coordinator without probes.
    for (const none of [await opened({ innerSteps: PROBE_STEPS }), await opened({}, 0)]) {
      const s = await none.coordinator.requestWork('a')
      expect(s.kind === 'unit' && s.unit.unitId).toBe('0.0')
      expect(none.coordinator.view.current.probes).toBeUndefined()
    }

    // A crowd of fresh identities gets the round's limit of probes, then ordinary units (or a wait).
    const crowd = await opened({ unitsPerRound: 2 })
    const replies = []
    for (let i = 0; i < MAX_PROBES_PER_ROUND + 3; i++) replies.push(await crowd.coordinator.requestWork(`p${i}`))
    const probes = replies.filter((r) => r.kind === 'unit' && r.unit.innerSteps === PROBE_STEPS)
    expect(probes).toHaveLength(MAX_PROBES_PER_ROUND)
    expect(crowd.coordinator.view.current.probes).toHaveLength(MAX_PROBES_PER_ROUND)
    expect(replies.slice(MAX_PROBES_PER_ROUND).map((r) => (r.kind === 'unit' ? r.unit.unitId : r.verdict.code))).toEqual(['0.0', '0.1', 'NO_OPEN_UNITS'])
  })

  it('catches a volunteer that fakes its probe, which then gets no second one', async () => {
    const h = await opened()
    const out = await h.work('z', 'zero')
    expect(out.reply.kind === 'unit' && out.reply.unit.innerSteps).toBe(PROBE_STEPS)
    await h.coordinator.settled()
    expect(holderOf(h, '0.p0', 'z')).toMatchObject({ status: 'rejected', verdict: { code: 'AUDIT_FAILED' } })
    expect(h.coordinator.credits.volunteer('z').flops + h.coordinator.credits.pending('z').flops).toBe(0)
    const again = await h.coordinator.requestWork('z')
    expect(again.kind === 'unit' ? again.unit.innerSteps : again.verdict.code).not.toBe(PROBE_STEPS)
    // The round's report counts it as a rejection, and only accepted probes as probes.
    await h.work('a')
    await h.coordinator.settled()
    await runRounds(h, [['a', 'honest']], 1)
    expect(h.coordinator.view.history[0]).toMatchObject({ probes: 1, rejections: expect.arrayContaining([expect.objectContaining({ peer: 'z', unitId: '0.p0', code: 'AUDIT_FAILED' })]) })
  })

  it('counts only live probes towards the limit, and releases only undelivered ones, after exactly PROBE_HOLD_MS', async () => {
    const h = await opened()
    const withProbes = (status: HolderStatus, assignedAtMs = 0): RoundState => {
      const round = structuredClone(h.coordinator.view.current)
      round.probes = Array.from({ length: MAX_PROBES_PER_ROUND }, (_, i) => ({ id: `0.p${i}`, index: i, shards: [0], seed: i, holders: [{ peer: `x${i}`, assignedAtMs, status }], outcome: 'open' as const, probe: true as const, steps: PROBE_STEPS }))
      return round
    }
    for (const status of ['released', 'rejected'] as const) expect(probeFor(h.job, withProbes(status), 'new', newPeer(0), 0)).toMatchObject({ id: `0.p${MAX_PROBES_PER_ROUND}` })
    for (const status of ['assigned', 'verifying', 'accepted'] as const) expect(probeFor(h.job, withProbes(status), 'new', newPeer(0), 0)).toBeNull()
    const held = withProbes('assigned', 1000)
    expireHolds(held, 1000 + PROBE_HOLD_MS, h.job.roundMs)
    expect(held.probes!.every((p) => p.holders[0]!.status === 'assigned')).toBe(true)
    expireHolds(held, 1000 + PROBE_HOLD_MS + 1, h.job.roundMs)
    expect(held.probes!.every((p) => p.holders[0]!.status === 'released')).toBe(true)
    for (const status of ['verifying', 'accepted', 'rejected'] as const) {
      const decided = withProbes(status)
      expireHolds(decided, 10 * PROBE_HOLD_MS, h.job.roundMs)
      expect(decided.probes!.every((p) => p.holders[0]!.status === status)).toBe(true)
    }
  })

  it('credits a full unit exactly what a full unit is worth, and a probe its share', () => {
    // (F / n) · n is not F in floating point for every F and n: a full unit must not lose or gain a FLOP.
    expect(unitFlops(123456789, 100, 100)).toBe(123456789)
    expect(unitFlops(987654321987, 7, 7)).toBe(987654321987)
    expect(unitFlops(64_000, 64, 4)).toBe(4000)
  })

  it('takes probes of a single step, and none on a job without its own shards', async () => {
    const one = await opened({}, 1)
    const r = await one.coordinator.requestWork('a')
    expect(r.kind === 'unit' && r.unit.innerSteps).toBe(1)
    const round = structuredClone(one.coordinator.view.current)
    expect(probeFor({ ...one.job, train: [] }, round, 'b', newPeer(0), 0)).toBeNull()
  })

  it('goes to no peer with a result already refused, nor to one holding a full unit', async () => {
    const h = await opened()
    const round = structuredClone(h.coordinator.view.current)
    expect(probeFor(h.job, round, 'q', { ...newPeer(0), rejected: 1 }, 0)).toBeNull()
    // A full unit whose hold was released does not count: only one still being worked on.
    round.units[0]!.holders.push({ peer: 'q', assignedAtMs: 0, status: 'released' })
    expect(probeFor(h.job, structuredClone(round), 'q', newPeer(0), 0)).toMatchObject({ probe: true })
    round.units[1]!.holders.push({ peer: 'q', assignedAtMs: 0, status: 'assigned' })
    expect(probeFor(h.job, round, 'q', newPeer(0), 0)).toBeNull()
    expect(probeFor(h.job, round, 'r', newPeer(0), 0)).toMatchObject({ probe: true, steps: PROBE_STEPS, shards: [0] })
    expect(probeFor(h.job, round, 's', newPeer(0), 0)).toMatchObject({ shards: [1] })
  })

  it('is released when not delivered in time or when its peer leaves, freeing its place in the round\'s limit', async () => {
    const h = await opened({ roundMs: 2 * PROBE_HOLD_MS })
    for (let i = 0; i < MAX_PROBES_PER_ROUND; i++) await h.coordinator.requestWork(`p${i}`)
    const full = await h.coordinator.requestWork('late')
    expect(full.kind === 'unit' && full.unit.innerSteps).toBe(48)
    await h.coordinator.peerLeft('p0')
    const freed = await h.coordinator.requestWork('newcomer')
    expect(freed.kind === 'unit' && freed.unit.innerSteps).toBe(PROBE_STEPS)
    h.clock += PROBE_HOLD_MS + 1
    const later = await h.coordinator.requestWork('another')
    expect(later.kind === 'unit' && later.unit.innerSteps).toBe(PROBE_STEPS)
    // A released probe's peer gets ordinary units from then on.
    const p1 = await h.coordinator.requestWork('p1')
    expect(p1.kind === 'unit' && p1.unit.innerSteps).toBe(48)
  })

  it('closes a round at its deadline when only probes were taken, so their credit is in the log', async () => {
    const h = await opened()
    await h.work('a')
    await h.coordinator.settled()
    h.clock = h.coordinator.view.current.deadlineMs + 1
    expect(await h.coordinator.tick()).toMatchObject({ round: 0, accepted: 0, probes: 1 })
    expect(h.log.rounds(h.coordinator.view.logHead)[0]!.units.filter((u) => u.holders.length > 0)).toEqual([expect.objectContaining({ id: '0.p0', probe: true, outcome: 'accepted' })])
  })

  it('is not aggregated: a round with probes moves the model exactly as the same round without them', async () => {
    const run = async (probeFirst: boolean) => {
      const h = await opened()
      if (probeFirst) for (const p of ['a', 'b']) await h.work(p)
      else for (const p of ['a', 'b']) (h.coordinator.view.peers as Record<string, { accepted: number }>)[p] = { ...h.coordinator.view.peers[p]!, accepted: 1 }
      await h.coordinator.settled()
      await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
      const last = h.coordinator.view.history.at(-1)!
      return { paramsCid: h.coordinator.view.current.paramsCid, accepted: last.accepted, flops: last.flops }
    }
    const withProbes = await run(true)
    expect(withProbes).toEqual(await run(false))
    expect(withProbes.accepted).toBe(4)
  })

  it('holds the round\'s close while it is checked, so its verdict is in that round\'s log record', async () => {
    const h = await opened()
    const reply = await h.coordinator.requestWork('a')
    if (reply.kind !== 'unit') throw new Error('no unit')
    await h.work('b')
    // b works on (its probe, then its share of full units); a's probe arrives just before the deadline.
    for (let i = 0; i < 4; i++) await h.work('b')
    h.clock = h.coordinator.view.current.deadlineMs - 1
    const output = await h.compute('a', reply.unit)
    await h.submit('a', output)
    h.clock += 2
    expect(await h.coordinator.tick()).toBeNull()
    await h.coordinator.settled()
    await h.coordinator.tick()
    expect(h.coordinator.view.current.round).toBe(1)
    const [record] = h.log.rounds(h.coordinator.view.logHead)
    expect(record!.report.probes).toBe(2) // a's and b's
    expect(record!.units.find((u) => u.id === '0.p0')).toMatchObject({ probe: true, steps: PROBE_STEPS, holders: [expect.objectContaining({ peer: 'a', status: 'accepted' })] })
  })
})

describe('probes in the job log', () => {
  it('leave probation to the first full unit: a log that skipped its replay shows', async () => {
    const h = await opened({ auditRate: 0 })
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    const rounds = h.log.rounds(h.coordinator.view.logHead)
    const first = rounds[0]!.units.find((u) => !u.probe && u.holders.some((x) => x.peer === 'a' && x.status === 'accepted'))!
    delete first.holders.find((x) => x.peer === 'a')!.audit
    expect(await checkRounds(rounds)).toContainEqual(expect.objectContaining({ code: 'AUDIT_SKIPPED', unit: first.id, message: expect.stringMatching(/first unit/) }))
  })

  async function logWithProbes(): Promise<{ h: Harness; rounds: RoundRecord[] }> {
    const h = await opened({ auditRate: 0.3 })
    await runRounds(h, [['a', 'honest'], ['b', 'honest'], ['c', 'honest']], 3)
    return { h, rounds: h.log.rounds(h.coordinator.view.logHead) }
  }
  const probesIn = (rounds: RoundRecord[]) => rounds.flatMap((r) => r.units.filter((u) => u.probe).map((u) => ({ round: r, unit: u, holder: u.holders[0]! })))

  /** A record rewritten by its coordinator: the result changed, and its commitment recomputed to match. */
  async function rewrite(holder: RoundRecord['units'][number]['holders'][number], samples: number) {
    holder.result = { ...holder.result!, samples }
    holder.commitment = await resultCommitment(holder.result)
  }
  const findingsOf = async (rounds: RoundRecord[]) => (await checkRounds(rounds)).map((f) => `${f.code} ${f.unit}`)

  it('take a probe of one step, and hold every accepted result to the steps it was signed for', async () => {
    const h = new Harness(job({ auditRate: 0.3 }), { probeSteps: 1 })
    await h.open()
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    const rounds = h.log.rounds(h.coordinator.view.logHead)
    expect(probesIn(rounds).map((p) => p.unit.steps)).toEqual([1, 1])
    expect(await checkRounds(rounds)).toEqual([])

    const { rounds: log } = await logWithProbes()
    const full = () => log[1]!.units.filter((u) => !u.probe && u.holders.some((x) => x.status === 'accepted'))
    const [fractional, foreign, mixed] = probesIn(log)
    // A probe of 2.5 steps whose result the coordinator rewrote to say 20 samples.
    fractional!.unit.steps = 2.5
    await rewrite(fractional!.holder, 20)
    // Probes on a contributed chunk's index (the first index past the job's own shards), alone or beside an own one.
    foreign!.unit.shards = [{ ...foreign!.unit.shards[0]!, index: log[0]!.spec.train.length }]
    mixed!.unit.shards = [mixed!.unit.shards[0]!, { ...mixed!.unit.shards[0]!, index: log[0]!.spec.train.length }]
    // A full unit credited for twice its steps, its result rewritten to match; another whose samples were changed.
    const [doubled, resized] = full()
    doubled!.steps = 96
    await rewrite(doubled!.holders.find((x) => x.status === 'accepted')!, 96 * 8)
    await rewrite(resized!.holders.find((x) => x.status === 'accepted')!, 47 * 8)
    // A refused result's samples are nobody's credit: nothing to check.
    const refused = log[2]!.units.find((u) => !u.probe && u.holders.some((x) => x.status === 'accepted'))!.holders.find((x) => x.status === 'accepted')!
    refused.status = 'rejected'
    await rewrite(refused, 3)
    expect((await findingsOf(log)).sort()).toEqual([fractional, foreign, mixed].map((p) => `BAD_STEPS ${p!.unit.id}`).concat([`BAD_STEPS ${doubled!.id}`, `BAD_STEPS ${resized!.id}`]).sort())
  })

  it('replays to the coordinator\'s own credit, and checks out', async () => {
    const { h, rounds } = await logWithProbes()
    expect(probesIn(rounds)).toHaveLength(3)
    const view = h.coordinator.view
    expect(replayLedger(rounds, [], view.closedSeq!).ledger.toJSON()).toEqual(view.closedLedger)
    expect(await checkRounds(rounds)).toEqual([])
  })

  it('shows a probe credited without its replay, credited for more steps than were signed, and a full unit passed off as short', async () => {
    const { rounds } = await logWithProbes()
    const unreplayed = structuredClone(rounds)
    delete probesIn(unreplayed)[0]!.holder.audit
    expect(await checkRounds(unreplayed)).toEqual([expect.objectContaining({ code: 'AUDIT_SKIPPED', message: expect.stringMatching(/a probe is always re-executed/) })])

    const longer = structuredClone(rounds)
    probesIn(longer)[1]!.unit.steps = 48
    expect(await checkRounds(longer)).toEqual([expect.objectContaining({ code: 'BAD_STEPS', unit: probesIn(longer)[1]!.unit.id })])
    // The doctored steps would also pay more: the replayed ledger differs from the honest one.
    expect(replayLedger(longer, [], Infinity).ledger.toJSON()).not.toEqual(replayLedger(rounds, [], Infinity).ledger.toJSON())

    // A full unit passed off as a probe (its data's owners then go uncredited) shows too.
    const demoted = structuredClone(rounds)
    const real = demoted[1]!.units.find((u) => !u.probe && u.holders.some((x) => x.status === 'accepted'))!
    real.probe = true
    expect(await checkRounds(demoted)).toEqual([expect.objectContaining({ code: 'BAD_STEPS', unit: real.id })])
    // So does an accepted probe whose signed result was dropped from the record to hide its steps.
    const hidden = structuredClone(rounds)
    const p = probesIn(hidden)[2]!
    p.unit.steps = 1_000_000
    delete p.holder.result
    expect(await checkRounds(hidden)).toEqual([expect.objectContaining({ code: 'BAD_STEPS', unit: p.unit.id, message: expect.stringMatching(/no signed result/) })])

    const relabelled = structuredClone(rounds)
    const full = relabelled[2]!.units.find((u) => !u.probe && u.holders.some((x) => x.status === 'accepted'))!
    full.steps = 96
    expect(await checkRounds(relabelled)).toEqual([expect.objectContaining({ code: 'BAD_STEPS', unit: full.id })])
  })
})
