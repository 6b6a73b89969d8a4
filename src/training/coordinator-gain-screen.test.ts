// The coordinator's last-batch gain screen learns from its accepted units (gain-screen.ts): a job whose honest
// units all gain less than the fixed fraction has them replayed only until the yardstick is known, and it stays
// known across a restart.
import { describe, expect, it } from 'vitest'
import { testJob } from './testing/job-fixture.ts'
import { Harness, runRounds } from './testing/coordinator-harness.ts'
import { DEFAULT_THRESHOLDS } from './verification.ts'
import { GAIN_HISTORY_MIN } from './gain-screen.ts'
import { ATTACKS } from './testing/adversaries.ts'

const job = () => testJob({ innerLr: 0.003, innerSteps: 48, auditRate: 0, unitsPerRound: 2 })
// A fixed screen no honest unit of the harness's quadratic task passes (they gain 95–99.5 %).
const strict = { ...DEFAULT_THRESHOLDS, minLastBatchGain: 0.999 }
// Arrival screens off: in this toy task they doubt many honest norms, and a unit doubted on arrival skips the
// loss checks this file is about.
const screening = { maxNormRatio: Infinity, minCosine: -Infinity, minCount: 3 }

const suspicious = (h: Harness) => h.coordinator.view.history.reduce((n, r) => n + (r.audits.bySuspicion.NO_PROGRESS ?? 0), 0)

describe('coordinator: the gain screen', () => {
  it('replays honest units under a fixed screen they all miss only until enough gains are known, then accepts them unreplayed', async () => {
    const h = new Harness(job(), { thresholds: strict, screening })
    await h.open()
    // Until enough gains are known, every unit past its peer's probation that the arrival screens did not
    // already doubt is doubted for its gain, replayed, passed, and its gain kept.
    for (let guard = 0; (h.coordinator.view.gains?.length ?? 0) < GAIN_HISTORY_MIN && guard < 20; guard++) {
      await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
      const last = h.coordinator.view.history.at(-1)!
      if (last.round > 0) expect(last.audits.byReason.suspicious).toBe(2)
    }
    expect(h.coordinator.view.gains).toHaveLength(GAIN_HISTORY_MIN)
    // Replay-vouched gains, an honest unit's below zero among them at times: the median screen shrugs it off.
    expect(Math.max(...h.coordinator.view.gains!)).toBeLessThan(0.999)
    expect([...h.coordinator.view.gains!].sort((x, y) => x - y)[GAIN_HISTORY_MIN / 2]).toBeGreaterThan(0.9)
    const before = suspicious(h)
    // A restart keeps the yardstick: the next rounds' honest units pass the cheap checks.
    await h.open()
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 3)
    // Of the 6 units at most one (an honest unit of this toy task may even raise its last batch's loss) is
    // doubted, where the fixed screen doubted them all.
    expect(suspicious(h) - before).toBeLessThanOrEqual(1)
    expect(h.coordinator.view.history.slice(-3).reduce((n, r) => n + r.audits.run, 0)).toBeLessThanOrEqual(1)
    expect(h.coordinator.view.history.slice(-3).reduce((n, r) => n + r.accepted, 0)).toBe(6)
    expect(h.coordinator.view.gains).toHaveLength(GAIN_HISTORY_MIN + 6)
  })

  it('still doubts a delta that gains nothing once the yardstick is known', async () => {
    const h = new Harness(job(), { thresholds: strict, screening })
    await h.open()
    for (let guard = 0; (h.coordinator.view.gains?.length ?? 0) < GAIN_HISTORY_MIN && guard < 20; guard++) await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    const kept = h.coordinator.view.gains!.length
    // b, honest so far and past probation, now sends a zero delta.
    await runRounds(h, [['a', 'honest'], ['b', ATTACKS.zero()]], 1)
    const last = h.coordinator.view.history.at(-1)!
    // Doubted, replayed, failed and rejected; its unit then went to a.
    expect(last).toMatchObject({ rejected: 1, audits: { failed: 1 }, rejections: [{ code: 'AUDIT_FAILED' }] })
    expect(h.coordinator.view.peers.b!.banned).toBe(true)
    // Its gain (exactly 0) did not join the yardstick.
    expect(h.coordinator.view.gains!.slice(kept)).not.toContain(0)
  })
})
