// The coordinator's last-batch gain screen learns from replayed units only (gain-screen.ts): a job whose honest
// units all gain less than the fixed fraction has them replayed only until the yardstick is known, the
// yardstick survives a restart, and work the cheap checks alone let through never moves it.
import { describe, expect, it } from 'vitest'
import { testJob } from './testing/job-fixture.ts'
import { Harness, runRounds } from './testing/coordinator-harness.ts'
import type { Attack } from './testing/adversaries.ts'
import { DEFAULT_THRESHOLDS } from './verification.ts'
import { GAIN_HISTORY_MIN } from './gain-screen.ts'
import { dequantize, quantizeInt8 } from './quantize.ts'
import { checkpointSteps } from './unit.ts'

// A slow learning rate keeps the toy task's honest gains steady (about 0.1–0.95 of the last batch's loss).
const job = () => testJob({ innerLr: 0.003, innerSteps: 48, auditRate: 0, unitsPerRound: 2 })
// A fixed screen no honest unit of the toy task passes.
const strict = { ...DEFAULT_THRESHOLDS, minLastBatchGain: 0.999 }
// Arrival screens off: in this toy task they doubt many honest norms, and a unit doubted on arrival skips the
// loss checks this file is about.
const screening = { maxNormRatio: Infinity, minCosine: -Infinity, minCount: 3 }

const suspicious = (h: Harness) => h.coordinator.view.history.reduce((n, r) => n + (r.audits.bySuspicion.NO_PROGRESS ?? 0), 0)
const passed = (h: Harness) => h.coordinator.view.history.reduce((n, r) => n + r.audits.passed, 0)

/** A peer that trains, then sends `factor` of its delta with checkpoints moved to match and its honest losses. */
function shrinking(factor: number): Attack {
  const cheats: string[] = []
  return {
    cheats,
    async work(unit, honest, run) {
      const out = await run({ ...honest, commit: async () => '' })
      const step = dequantize(out.delta)
      const checkpoints: string[] = []
      for (const s of checkpointSteps(unit.innerSteps)) checkpoints.push(await honest.commit(Float32Array.from(honest.start, (p, i) => p - factor * (s / unit.innerSteps) * step[i]!), s))
      cheats.push(unit.unitId)
      return { delta: quantizeInt8(Float32Array.from(step, (x) => factor * x)), result: { ...out.result, checkpoints } }
    },
  }
}

async function withYardstick(): Promise<Harness> {
  const h = new Harness(job(), { thresholds: strict, screening })
  await h.open()
  for (let guard = 0; (h.coordinator.view.gains?.length ?? 0) < GAIN_HISTORY_MIN && guard < 20; guard++) {
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    // Until enough gains are known every unit is replayed: on probation, or doubted for its gain.
    expect(h.coordinator.view.history.at(-1)!.audits.run).toBe(2)
  }
  expect(h.coordinator.view.gains).toHaveLength(GAIN_HISTORY_MIN)
  return h
}

describe('coordinator: the gain screen', () => {
  it('replays honest units under a fixed screen they all miss only until enough gains are known, then accepts them unreplayed, across a restart', async () => {
    const h = await withYardstick()
    expect(Math.max(...h.coordinator.view.gains!)).toBeLessThan(0.999)
    const [doubted, replayed, kept] = [suspicious(h), passed(h), h.coordinator.view.gains!.length]
    await h.open()
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 3)
    // Of the 6 units at most one (an honest unit of this toy task may even raise its last batch's loss) is
    // doubted, where the fixed screen doubted them all.
    expect(suspicious(h) - doubted).toBeLessThanOrEqual(1)
    expect(h.coordinator.view.history.slice(-3).reduce((n, r) => n + r.accepted, 0)).toBe(6)
    // Only replayed units' gains joined the yardstick.
    expect(h.coordinator.view.gains!.length - kept).toBe(passed(h) - replayed)
  })

  it('doubts a delta that gains nothing, sent with honest-looking losses, once the yardstick is known', async () => {
    const h = await withYardstick()
    const kept = [...h.coordinator.view.gains!]
    const idle: Attack = {
      cheats: [],
      async work(unit, honest, run) {
        const out = await run({ ...honest, commit: async () => '' })
        const checkpoints: string[] = []
        for (const s of checkpointSteps(unit.innerSteps)) checkpoints.push(await honest.commit(Float32Array.from(honest.start), s))
        return { delta: quantizeInt8(new Float32Array(honest.start.length)), result: { ...out.result, checkpoints } }
      },
    }
    await runRounds(h, [['a', 'honest'], ['b', idle]], 1)
    const round = h.coordinator.view.history.at(-1)!
    expect(round).toMatchObject({ rejected: 1, audits: { failed: 1, bySuspicion: { NO_PROGRESS: 1 } }, rejections: [{ code: 'AUDIT_FAILED' }] })
    expect(h.coordinator.view.peers.b!.banned).toBe(true)
    expect(h.coordinator.view.gains).toEqual(kept)
  })

  it('keeps no gain of work the cheap checks let through: a peer sending a fraction of its work cannot lower the screen', async () => {
    const h = await withYardstick()
    const [replayed, kept] = [passed(h), [...h.coordinator.view.gains!]]
    // A twentieth of the work gains too little for the screen: doubted, replayed, failed.
    await runRounds(h, [['a', 'honest'], ['b', shrinking(0.05)]], 1)
    expect(h.coordinator.view.history.at(-1)).toMatchObject({ rejected: 1, audits: { failed: 1, bySuspicion: { NO_PROGRESS: 1 } } })
    // Two thirds of it passes the screen, unreplayed at audit rate 0, and is accepted, but its gain is not kept.
    const c = shrinking(0.67)
    await runRounds(h, [['a', 'honest'], ['c', 'honest']], 1)
    const accepted = h.coordinator.view.peers.c!.accepted
    await runRounds(h, [['a', 'honest'], ['c', c]], 2)
    expect(c.cheats).toHaveLength(2)
    expect(h.coordinator.view.peers.c!.accepted).toBe(accepted + 2)
    expect(h.coordinator.view.gains!.length - kept.length).toBe(passed(h) - replayed)
  })
})
